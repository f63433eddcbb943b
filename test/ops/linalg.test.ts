// MatMul, Gemm and Conv: hand-computed values, naive references, broadcasting, symbolic shapes, error messages.

import { describe, expect, it } from 'vitest';
import { randomTensor, relL2, runOp, t } from '../helpers.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import type { Attrs } from '../../compiler/ir/graph.js';

const f32 = (shape: number[], values: number[]) => t('f32', shape, values);
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Naive batched matmul over explicit [batch, m, k] x [batch, k, n] values with a batch index map per operand. */
function naiveMatmul(a: number[], b: number[], m: number, k: number, n: number, pairs: [number, number][]): number[] {
  const out: number[] = [];
  for (const [pa, pb] of pairs) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[pa * m * k + i * k + q]! * b[pb * k * n + q * n + j]!;
        out.push(s);
      }
    }
  }
  return out;
}

describe('MatMul', () => {
  it('multiplies matrices (hand-computed)', () => {
    const { outputs, types } = runOp('MatMul', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3, 2], [7, 8, 9, 10, 11, 12])]);
    expect(types[0]).toEqual({ dtype: 'f32', shape: [2, 2] });
    expect(outputs[0]!.toNumbers()).toEqual([58, 64, 139, 154]);
  });

  it('promotes 1-D operands and removes the added dims', () => {
    const v = f32([3], [1, 2, 3]);
    const m = f32([3, 2], [1, 2, 3, 4, 5, 6]);
    expect(runOp('MatMul', [v, v]).outputs[0]!.shape).toEqual([]);
    expect(runOp('MatMul', [v, v]).outputs[0]!.toNumbers()).toEqual([14]);
    expect(runOp('MatMul', [v, m]).outputs[0]!.toNumbers()).toEqual([22, 28]);
    expect(runOp('MatMul', [f32([2, 3], [1, 2, 3, 4, 5, 6]), v]).outputs[0]!.toNumbers()).toEqual([14, 32]);
    const batched = runOp('MatMul', [v, randomTensor('f32', [4, 3, 5], 1)]);
    expect(batched.types[0]!.shape).toEqual([4, 5]);
    expect(runOp('MatMul', [randomTensor('f32', [4, 2, 3], 1), v]).types[0]!.shape).toEqual([4, 2]);
  });

  it('broadcasts batch dims (rank-different, 1-stretches) and matches a naive product', () => {
    const a = randomTensor('f32', [2, 1, 3, 5], 1);
    const b = randomTensor('f32', [4, 5, 7], 2);
    const { outputs, types } = runOp('MatMul', [a, b]);
    expect(types[0]!.shape).toEqual([2, 4, 3, 7]);
    const pairs: [number, number][] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) pairs.push([i, j]);
    expect(outputs[0]!.toNumbers()).toEqual(naiveMatmul(a.toNumbers(), b.toNumbers(), 3, 5, 7, pairs).map(Math.fround));
  });

  it('multiplies integers', () => {
    const y = runOp('MatMul', [t('i32', [1, 2], [3, -4]), t('i32', [2, 2], [5, 6, 7, 8])]).outputs[0]!;
    expect(y.dtype).toBe('i32');
    expect(y.toNumbers()).toEqual([-13, -14]);
  });

  it('infers symbolic shapes', () => {
    const sym = (shapes: (number | string)[][]) => ({ symbolicInputs: shapes.map((shape) => ({ dtype: 'f32' as const, shape })) });
    const { types } = runOp('MatMul', [randomTensor('f32', [2, 3, 8], 1), randomTensor('f32', [8, 4], 2)], {}, sym([['batch', 'seq', 8], [8, 4]]));
    expect(types[0]).toEqual({ dtype: 'f32', shape: ['batch', 'seq', 4] });
    const q = randomTensor('f32', [2, 2, 3, 4], 3);
    const k = randomTensor('f32', [2, 2, 4, 3], 4);
    const r = runOp('MatMul', [q, k], {}, sym([['batch', 2, 'seq', 4], ['batch', 2, 4, 'seq']]));
    expect(r.types[0]!.shape).toEqual(['batch', 2, 'seq', 'seq']);
    const s = runOp('MatMul', [randomTensor('f32', [3, 3], 1), randomTensor('f32', [3, 2], 2)], {}, sym([['seq', 'seq'], ['seq', 2]]));
    expect(s.types[0]!.shape).toEqual(['seq', 2]);
  });

  it('fails when the contracted dims differ, naming both shapes', () => {
    expect(() => runOp('MatMul', [Tensor.zeros('f32', [2, 3]), Tensor.zeros('f32', [4, 5])])).toThrow(
      "MatMul node 'test_MatMul': contracted dimensions differ: 3 (last of A [2, 3]) vs 4 (second to last of B [4, 5])");
    expect(() => runOp('MatMul', [Tensor.zeros('f32', [2, 3]), Tensor.zeros('f32', [3, 4])], {}, {
      symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq'] }, { dtype: 'f32', shape: ['hidden', 4] }],
    })).toThrow("contracted dimensions differ: seq (last of A [batch, seq]) vs hidden (second to last of B [hidden, 4])");
    expect(() => runOp('MatMul', [Tensor.zeros('f32', [3]), Tensor.zeros('f32', [4])])).toThrow(
      'contracted dimensions differ: 3 (last of A [3]) vs 4 (only of B [4])');
  });

  it('fails on batch dims that do not broadcast, rank 0 and dtype mismatch', () => {
    expect(() => runOp('MatMul', [Tensor.zeros('f32', [2, 2, 3]), Tensor.zeros('f32', [3, 3, 4])])).toThrow(
      'batch dimensions of A [2, 2, 3] and B [3, 3, 4] do not broadcast: shapes [2] and [3] cannot be broadcast (dimension 0: 2 vs 3)');
    expect(() => runOp('MatMul', [Tensor.zeros('f32', []), Tensor.zeros('f32', [3])])).toThrow(
      'operands must have rank >= 1, got A [] and B [3]');
    expect(() => runOp('MatMul', [Tensor.zeros('f32', [2, 3]), Tensor.zeros('f16', [3, 4])])).toThrow(
      "MatMul node 'test_MatMul': operand dtypes differ: A is f32, B is f16");
  });
});

describe('Gemm', () => {
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const b = f32([3, 2], [7, 8, 9, 10, 11, 12]);
  const ab = [58, 64, 139, 154];
  it('computes alpha * A * B + beta * C with C broadcast', () => {
    expect(runOp('Gemm', [a, b]).outputs[0]!.toNumbers()).toEqual(ab);
    expect(runOp('Gemm', [a, b, f32([], [1])]).outputs[0]!.toNumbers()).toEqual(ab.map((v) => v + 1));
    expect(runOp('Gemm', [a, b, f32([2], [1, 2])], { beta: 2 }).outputs[0]!.toNumbers()).toEqual([60, 68, 141, 158]);
    expect(runOp('Gemm', [a, b, f32([2, 1], [1, 2])], { alpha: 0.5 }).outputs[0]!.toNumbers()).toEqual([30, 33, 71.5, 79]);
    expect(runOp('Gemm', [a, b, f32([2, 2], [1, 2, 3, 4])]).outputs[0]!.toNumbers()).toEqual([59, 66, 142, 158]);
  });

  it('transposes A and B', () => {
    const at = f32([3, 2], [1, 4, 2, 5, 3, 6]);
    const bt = f32([2, 3], [7, 9, 11, 8, 10, 12]);
    expect(runOp('Gemm', [at, b], { transA: 1 }).outputs[0]!.toNumbers()).toEqual(ab);
    expect(runOp('Gemm', [a, bt], { transB: 1 }).outputs[0]!.toNumbers()).toEqual(ab);
    const { outputs, types } = runOp('Gemm', [at, bt], { transA: 1, transB: 1 });
    expect(types[0]).toEqual({ dtype: 'f32', shape: [2, 2] });
    expect(outputs[0]!.toNumbers()).toEqual(ab);
  });

  it('matches a naive product on odd sizes', () => {
    const x = randomTensor('f32', [7, 5], 1);
    const w = randomTensor('f32', [3, 5], 2);
    const c = randomTensor('f32', [3], 3);
    const y = runOp('Gemm', [x, w, c], { transB: 1, alpha: 0.75, beta: -1.5 }).outputs[0]!;
    const [xv, wv, cv] = [x.toNumbers(), w.toNumbers(), c.toNumbers()];
    const expected: number[] = [];
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let q = 0; q < 5; q++) s += xv[i * 5 + q]! * wv[j * 5 + q]!;
        expected.push(Math.fround(0.75 * s - 1.5 * cv[j]!));
      }
    }
    expect(y.toNumbers()).toEqual(expected);
  });

  it('infers symbolic M and fails on wrong shapes', () => {
    const { types } = runOp('Gemm', [randomTensor('f32', [4, 3], 1), b], {}, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 3] }] });
    expect(types[0]!.shape).toEqual(['batch', 2]);
    expect(() => runOp('Gemm', [a, a])).toThrow(
      "Gemm node 'test_Gemm': contracted dimensions differ: 3 of A [2, 3] (transA=0) vs 2 of B [2, 3] (transB=0)");
    expect(() => runOp('Gemm', [a, b, f32([3], [1, 2, 3])])).toThrow('C of shape [3] does not broadcast to [M, N] = [2, 2]');
    expect(() => runOp('Gemm', [a, b, f32([1, 2, 2], [1, 2, 3, 4])])).toThrow('C of shape [1, 2, 2] does not broadcast to [M, N] = [2, 2]');
    expect(() => runOp('Gemm', [f32([3], [1, 2, 3]), b])).toThrow('A and B must be matrices, got A [3] and B [3, 2]');
  });
});

describe('Conv', () => {
  /** Naive 2-D convolution with explicit pads [top, left, bottom, right]. */
  function naiveConv2d(x: Tensor, w: Tensor, bias: number[] | undefined, pads: number[], strides: number[], dil: number[], group: number) {
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const [m, cg, kh, kw] = w.shape as [number, number, number, number];
    const oh = Math.floor((h + pads[0]! + pads[2]! - dil[0]! * (kh - 1) - 1) / strides[0]!) + 1;
    const ow = Math.floor((wd + pads[1]! + pads[3]! - dil[1]! * (kw - 1) - 1) / strides[1]!) + 1;
    const [xv, wv] = [x.toNumbers(), w.toNumbers()];
    const out: number[] = [];
    for (let b = 0; b < n; b++) {
      for (let oc = 0; oc < m; oc++) {
        const g = Math.floor(oc / (m / group));
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            let s = bias ? bias[oc]! : 0;
            for (let ci = 0; ci < cg; ci++) {
              for (let p = 0; p < kh; p++) {
                for (let q = 0; q < kw; q++) {
                  const y = i * strides[0]! - pads[0]! + p * dil[0]!;
                  const z = j * strides[1]! - pads[1]! + q * dil[1]!;
                  if (y < 0 || y >= h || z < 0 || z >= wd) continue;
                  s += xv[((b * c + g * cg + ci) * h + y) * wd + z]! * wv[((oc * cg + ci) * kh + p) * kw + q]!;
                }
              }
            }
            out.push(Math.fround(s));
          }
        }
      }
    }
    return { shape: [n, m, oh, ow], values: out };
  }

  const x = f32([1, 1, 5, 5], iota(25));
  const ones = f32([1, 1, 3, 3], new Array<number>(9).fill(1));

  it('ONNX example: 3x3 ones kernel over 0..24 with and without padding', () => {
    const padded = runOp('Conv', [x, ones], { pads: [1, 1, 1, 1] }).outputs[0]!;
    expect(padded.shape).toEqual([1, 1, 5, 5]);
    expect(padded.toNumbers()).toEqual([12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84]);
    const valid = runOp('Conv', [x, ones], { kernel_shape: [3, 3] }).outputs[0]!;
    expect(valid.toNumbers()).toEqual([54, 63, 72, 99, 108, 117, 144, 153, 162]);
    const strided = runOp('Conv', [x, ones], { pads: [1, 0, 1, 0], strides: [2, 2] }).outputs[0]!;
    expect(strided.shape).toEqual([1, 1, 3, 2]);
    expect(strided.toNumbers()).toEqual([21, 33, 99, 117, 111, 123]);
  });

  it.each([
    ['plain', [2, 3, 7, 6], [4, 3, 3, 2], {}, [0, 0, 0, 0], [1, 1], [1, 1], 1],
    ['pads, strides, dilations', [1, 2, 9, 8], [3, 2, 3, 3], { pads: [1, 2, 0, 1], strides: [2, 3], dilations: [2, 1] }, [1, 2, 0, 1], [2, 3], [2, 1], 1],
    ['groups', [2, 4, 5, 5], [6, 2, 3, 3], { group: 2, pads: [1, 1, 1, 1] }, [1, 1, 1, 1], [1, 1], [1, 1], 2],
    ['depthwise', [1, 3, 6, 5], [3, 1, 3, 3], { group: 3 }, [0, 0, 0, 0], [1, 1], [1, 1], 3],
    ['SAME_UPPER stride 2 (even split)', [1, 2, 5, 5], [2, 2, 3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, [1, 1, 1, 1], [2, 2], [1, 1], 1],
    ['SAME_UPPER odd padding goes at the end', [1, 1, 6, 6], [1, 1, 3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, [0, 0, 1, 1], [2, 2], [1, 1], 1],
    ['SAME_LOWER odd padding goes at the start', [1, 1, 6, 6], [1, 1, 3, 3], { auto_pad: 'SAME_LOWER', strides: [2, 2] }, [1, 1, 0, 0], [2, 2], [1, 1], 1],
    ['VALID ignores pads', [1, 1, 6, 7], [2, 1, 2, 3], { auto_pad: 'VALID', strides: [2, 2] }, [0, 0, 0, 0], [2, 2], [1, 1], 1],
  ] as const)('2-D %s matches a naive convolution', (_, xs, ws, attrs, pads, strides, dil, group) => {
    const [xt, wt] = [randomTensor('f32', [...xs], 1), randomTensor('f32', [...ws], 2)];
    const bias = randomTensor('f32', [ws[0]], 3);
    const expected = naiveConv2d(xt, wt, bias.toNumbers(), [...pads], [...strides], [...dil], group);
    const { outputs, types } = runOp('Conv', [xt, wt, bias], attrs as unknown as Attrs);
    expect(types[0]!.shape).toEqual(expected.shape);
    expect(outputs[0]!.toNumbers()).toEqual(expected.values);
  });

  it('1-D convolution with bias (as 2-D with height 1)', () => {
    const xt = randomTensor('f32', [2, 3, 11], 4);
    const wt = randomTensor('f32', [5, 3, 4], 5);
    const bias = randomTensor('f32', [5], 6);
    const { outputs, types } = runOp('Conv', [xt, wt, bias], { pads: [2, 1], strides: [2] });
    const expected = naiveConv2d(xt.reshape([2, 3, 1, 11]), wt.reshape([5, 3, 1, 4]), bias.toNumbers(), [0, 2, 0, 1], [1, 2], [1, 1], 1);
    expect(types[0]!.shape).toEqual([2, 5, 6]);
    expect(relL2(outputs[0]!.toNumbers(), expected.values)).toBe(0);
  });

  it('3-D convolution output shape', () => {
    const { types } = runOp('Conv', [randomTensor('f32', [1, 2, 4, 5, 6], 1), randomTensor('f32', [3, 2, 2, 3, 3], 2)], { pads: [0, 1, 1, 0, 1, 1] });
    expect(types[0]!.shape).toEqual([1, 3, 3, 5, 6]);
  });

  it('infers symbolic spatial dims for stride 1 and exact strides', () => {
    const xs = randomTensor('f32', [2, 3, 8, 6], 1);
    const ws = randomTensor('f32', [4, 3, 3, 3], 2);
    const sym = { symbolicInputs: [{ dtype: 'f32' as const, shape: ['batch', 3, 'h', 'w'] }] };
    expect(runOp('Conv', [xs, ws], { pads: [1, 1, 1, 1] }, sym).types[0]!.shape).toEqual(['batch', 4, 'h', 'w']);
    expect(runOp('Conv', [xs, ws], {}, sym).types[0]!.shape).toEqual(['batch', 4, 'h-2', 'w-2']);
    expect(runOp('Conv', [xs, ws], { auto_pad: 'SAME_LOWER' }, sym).types[0]!.shape).toEqual(['batch', 4, 'h', 'w']);
    expect(runOp('Conv', [xs, ws], { auto_pad: 'VALID', dilations: [2, 1] }, sym).types[0]!.shape).toEqual(['batch', 4, 'h-4', 'w-2']);
    const even = { symbolicInputs: [{ dtype: 'f32' as const, shape: ['batch', 3, '2*h', '2*w'] }] };
    expect(runOp('Conv', [xs, ws], { auto_pad: 'SAME_UPPER', strides: [2, 2] }, even).types[0]!.shape).toEqual(['batch', 4, 'h', 'w']);
    expect(() => runOp('Conv', [xs, ws], { strides: [2, 2] }, sym)).toThrow(
      "Conv node 'test_Conv': spatial dim 0 of input [batch, 3, h, w] is symbolic and the output size with stride 2 is not an exact expression");
  });

  it('fails clearly on mismatched channels, kernel_shape, bias and attributes', () => {
    expect(() => runOp('Conv', [Tensor.zeros('f32', [1, 4, 5, 5]), Tensor.zeros('f32', [2, 3, 3, 3])])).toThrow(
      "Conv node 'test_Conv': input channels 4 must equal W's dim 1 (3) times group 1, got X [1, 4, 5, 5] and W [2, 3, 3, 3]");
    expect(() => runOp('Conv', [Tensor.zeros('f32', [1, 4, 5, 5]), Tensor.zeros('f32', [3, 2, 3, 3])], { group: 2 })).toThrow(
      'output channels 3 (W [3, 2, 3, 3]) are not divisible by group 2');
    expect(() => runOp('Conv', [x, ones], { kernel_shape: [2, 2] })).toThrow('kernel_shape [2, 2] disagrees with W [1, 1, 3, 3]');
    expect(() => runOp('Conv', [x, ones, f32([2], [0, 0])])).toThrow('B must have shape [1], got [2]');
    expect(() => runOp('Conv', [x, ones], { strides: [1] })).toThrow('strides [1], dilations [1, 1] and pads [0, 0, 0, 0] must have 2, 2 and 4 entries');
    expect(() => runOp('Conv', [x, ones], { auto_pad: 'SAME' })).toThrow("auto_pad 'SAME' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    expect(() => runOp('Conv', [f32([1, 1, 2, 2], [1, 2, 3, 4]), ones])).toThrow(
      'spatial dim 0: the padded input (2 + 0) is smaller than the dilated kernel (3)');
    expect(() => runOp('Conv', [x, Tensor.zeros('f32', [1, 1, 3])])).toThrow(
      'X must be [N, C, spatial...] and W [M, C/group, kernel...] of the same rank, got X [1, 1, 5, 5] and W [1, 1, 3]');
    expect(() => runOp('Conv', [t('i32', [1, 1, 3, 3], iota(9)), t('i32', [1, 1, 1, 1], [1])])).toThrow(
      'operands have dtype i32, but Conv needs a floating-point dtype');
  });
});
