// WebGPU math kernels against the interpreter: trig / hyperbolic helpers, Mod, BatchNormalization, Reduce*,
// ArgMax / ArgMin, Softmax / LogSoftmax / Hardmax on any axis, Conv (1-3 d, groups, pads, auto_pad), Einsum.

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor } from '../helpers.js';
import { checkOp, compileWebGpu, gpuUnavailable, oneNode } from './gpu.js';

type Inputs = Parameters<typeof oneNode>[1];
type Symbolic = Parameters<typeof oneNode>[3];
const r = randomTensor;
const i64 = (shape: number[], values: number[]): { constant: Tensor } => ({ constant: Tensor.fromNumbers('i64', shape, values) });

/** Runs one node on the GPU and the interpreter; f32 within rel. L2 `tol` (non-finite values equal), others exact. */
async function check(op: string, inputs: Inputs, attrs = {}, symbolic?: Symbolic, tol = 2e-6, numOutputs?: number): Promise<Tensor[]> {
  return (await checkOp(op, inputs, attrs, { symbolic, numOutputs, tol })).got;
}

/** The kernelUnsupported / missingKernel message compiling one node gives. */
function rejection(op: string, inputs: Inputs, attrs = {}, symbolic?: Symbolic): string {
  const { graph } = oneNode(op, inputs, attrs, symbolic);
  try {
    compileWebGpu(graph);
  } catch (e) {
    return (e as Error).message;
  }
  return 'compiled';
}

/** Evenly spaced f32 values over [lo, hi]. */
const span = (n: number, lo: number, hi: number): Tensor => Tensor.fromNumbers('f32', [n], Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)));

describe.skipIf(gpuUnavailable)('webgpu math kernels', () => {
  it('trigonometric and hyperbolic functions: ~1 ulp over wide ranges, small arguments, NaN outside the domain', async () => {
    const ranges: [string, number, number][] = [
      ['Tan', -1.56, 1.56], ['Tan', -30, 30], ['Sin', -100, 100], ['Cos', -100, 100], ['Sinh', -12, 12], ['Sinh', -1e-3, 1e-3],
      ['Sinh', 80, 89.4], ['Cosh', -89, 89], ['Asin', -1, 1], ['Acos', -1, 1], ['Atan', -50, 50], ['Atan', -1e-2, 1e-2],
    ];
    for (const [op, lo, hi] of ranges) {
      const [out] = await check(op, [span(301, lo, hi)], {}, undefined, 3e-7);
      // Small arguments: relative accuracy per element, not only on the large values that dominate the L2 norm.
      if (hi <= 1e-2) {
        const want = Array.from(span(301, lo, hi).toFloat64()).map((x) => (Math as unknown as Record<string, (v: number) => number>)[op.toLowerCase()]!(x));
        out!.toFloat64().forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(3e-7 * Math.abs(want[i]!) + 1e-45));
      }
    }
    await check('Atan', [r('f32', [3, 7], 1, -4, 4)], {}, [{ dtype: 'f32', shape: ['n', 7] }]);
    const [edge] = await check('Acos', [Tensor.fromNumbers('f32', [5], [-1, 1, 0, 2, -1.5])]);
    expect(Array.from(edge!.toFloat64()).slice(0, 3)).toEqual([Math.fround(Math.PI), 0, Math.fround(Math.PI / 2)]);
    expect(edge!.toFloat64().slice(3).every(Number.isNaN)).toBe(true);
  });

  it('Mod: exact C fmod on floats (sign of A, NaN for B = 0), floored and truncated integers, broadcasting', async () => {
    const a = Tensor.fromNumbers('f32', [8], [5.5, -5.5, 5.5, -5.5, 7, 1e10, 3, -4]);
    const b = Tensor.fromNumbers('f32', [8], [2, 2, -2, -2, 0, 3, 1e30, 2]);
    const [f] = await check('Mod', [a, b], { fmod: 1 }, undefined, 0);
    expect(Array.from(f!.toFloat64())).toEqual([1.5, -1.5, 1.5, -1.5, NaN, Math.fround(1e10) % 3, 3, -0]);
    await check('Mod', [r('f32', [3, 5], 1, -1000, 1000), r('f32', [5], 2, 0.01, 3)], { fmod: 1 }, undefined, 0);
    const ia = Tensor.fromNumbers('i32', [2, 4], [7, -7, 7, -7, 0, 5, -2147483648, 9]);
    const ib = Tensor.fromNumbers('i32', [2, 4], [3, 3, -3, -3, 4, 0, -1, 9]);
    const [floored] = await check('Mod', [ia, ib], { fmod: 0 });
    expect(Array.from(floored!.toFloat64())).toEqual([1, 2, -2, -1, 0, 0, 0, 0]);
    const [truncated] = await check('Mod', [ia, ib], { fmod: 1 });
    expect(Array.from(truncated!.toFloat64())).toEqual([1, -1, 1, -1, 0, 0, 0, 0]);
    await check('Mod', [r('i64', [2, 3, 5], 3, -50, 50), { constant: Tensor.fromNumbers('i64', [5], [3, -4, 7, 0, -9]) }]);
    await check('Mod', [Tensor.fromNumbers('u8', [6], [200, 7, 9, 255, 0, 13]), Tensor.fromNumbers('u8', [6], [7, 0, 3, 16, 5, 13])]);
  });

  it('BatchNormalization: per channel on 2-d, 3-d, 4-d input, symbolic dims, running-statistics results', async () => {
    const stats = (c: number, seed: number) => [r('f32', [c], seed), r('f32', [c], seed + 1), r('f32', [c], seed + 2), r('f32', [c], seed + 3, 0.1, 2)]
      .map((t) => ({ constant: t }));
    await check('BatchNormalization', [r('f32', [2, 3, 5, 4], 1), ...stats(3, 2)], { epsilon: 1e-3 });
    await check('BatchNormalization', [r('f32', [4, 5], 1), ...stats(5, 3)]);
    await check('BatchNormalization', [r('f32', [2, 6, 7], 1), ...stats(6, 4)], {}, [{ dtype: 'f32', shape: ['n', 6, 's'] }]);
    await check('BatchNormalization', [r('f32', [1, 3, 2], 1), ...stats(3, 5)], {}, undefined, 2e-6, 3);
  });

  it('Reduce*: contiguous, non-contiguous and all axes, keepdims, long rows (workgroup), axes operand, symbolic, noop', async () => {
    const ops = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];
    for (const op of ops) {
      const [lo, hi] = op === 'ReduceLogSum' ? [0.1, 2] : op === 'ReduceProd' ? [0.6, 1.5] : [-2, 2];
      const x = r('f32', [3, 5, 7], 1, lo, hi);
      await check(op, [x], { axes: [1] });
      await check(op, [x], { axes: [0, 2], keepdims: 0 });
      await check(op, [x], { axes: [-1] }, [{ dtype: 'f32', shape: ['a', 5, 7] }]);
      await check(op, [x], { keepdims: 0 });
      await check(op, [r('f32', [2, 150, 3], 2, lo, hi)], { axes: [1] });
    }
    const x = r('f32', [3, 70, 2], 3);
    await check('ReduceSum', [x, i64([2], [0, -1])], { keepdims: 0 });
    await check('ReduceMean', [x, i64([1], [1])], {}, [{ dtype: 'f32', shape: ['b', 's', 2] }]);
    await check('ReduceMax', [x, i64([0], [])], { noop_with_empty_axes: 1 });
    await check('ReduceL2', [x], { axes: [] , noop_with_empty_axes: 1 });
    await check('ReduceMax', [r('f32', [5, 1, 3], 4)], { axes: [1] });
    const [mx] = await check('ReduceMax', [Tensor.fromNumbers('f32', [2, 3], [1, NaN, 3, -1, -5, -2])], { axes: [1], keepdims: 0 });
    expect(Array.from(mx!.toFloat64())).toEqual([NaN, -1]);
  });

  it('ArgMax / ArgMin: first and last ties, keepdims, negative axis, long axes, NaN, i32 / i64 / u8 data', async () => {
    const ties = r('f32', [4, 5, 6], 1, -3, 3).toFloat64().map(Math.round);
    const x = Tensor.fromNumbers('f32', [4, 5, 6], Array.from(ties));
    for (const op of ['ArgMax', 'ArgMin']) {
      for (const last of [0, 1]) {
        await check(op, [x], { axis: 1, select_last_index: last });
        await check(op, [x], { axis: -1, keepdims: 0, select_last_index: last });
        await check(op, [Tensor.fromNumbers('f32', [2, 300], Array.from(r('f32', [2, 300], 2, -9, 9).toFloat64().map(Math.round)))], { axis: 1, select_last_index: last });
        await check(op, [Tensor.fromNumbers('f32', [130, 2], Array.from(r('f32', [130, 2], 3, -9, 9).toFloat64().map(Math.round)))], { axis: 0, select_last_index: last });
      }
      await check(op, [r('i32', [3, 7], 4, -5, 5)], { axis: 0 }, [{ dtype: 'i32', shape: [3, 'n'] }]);
      await check(op, [Tensor.fromNumbers('i64', [2, 4], [5e9, -5e9, 7, 4294967296, -1, -4294967296, 2, -3])], { axis: 1 });
      await check(op, [Tensor.fromNumbers('u8', [5], [3, 250, 7, 250, 0])], { select_last_index: 1 });
    }
    const [nan] = await check('ArgMax', [Tensor.fromNumbers('f32', [3, 4], [1, NaN, 3, 2, NaN, 5, 9, 1, 4, 4, NaN, 4])], { axis: 1, keepdims: 0, select_last_index: 1 });
    expect(Array.from(nan!.toFloat64())).toEqual([2, 0, 3]);
  });

  it('Softmax, LogSoftmax, Hardmax on any axis: short rows, long strided rows, symbolic, -inf entries', async () => {
    const x = r('f32', [3, 4, 5], 1, -5, 5);
    for (const op of ['Softmax', 'LogSoftmax', 'Hardmax']) {
      for (const axis of [0, 1, -1]) await check(op, [x], { axis });
      await check(op, [r('f32', [2, 100, 3], 2, -8, 8)], { axis: 1 });
      await check(op, [r('f32', [2, 3, 9], 3)], { axis: -2 }, [{ dtype: 'f32', shape: ['b', 3, 's'] }]);
    }
    const masked = Tensor.fromNumbers('f32', [2, 3], [0.5, -Infinity, 1, -Infinity, -Infinity, 2]);
    await check('Softmax', [masked], { axis: 1 });
    await check('LogSoftmax', [masked], { axis: 1 });
    const [hard] = await check('Hardmax', [Tensor.fromNumbers('f32', [2, 3], [1, 4, 4, NaN, 0, -1])], { axis: 1 });
    expect(Array.from(hard!.toFloat64())).toEqual([0, 1, 0, 1, 0, 0]);
  });

  it('Conv: 1-d / 2-d / 3-d, strides, dilations, pads, auto_pad, groups, depthwise, bias, patch embedding, symbolic', async () => {
    await check('Conv', [r('f32', [2, 4, 11], 1), { constant: r('f32', [6, 4, 3], 2) }, { constant: r('f32', [6], 3) }], { pads: [1, 2], strides: [2], dilations: [2] });
    await check('Conv', [r('f32', [1, 3, 9, 8], 1), { constant: r('f32', [4, 3, 3, 3], 2) }], { strides: [2, 1], pads: [1, 0, 2, 1] });
    await check('Conv', [r('f32', [2, 4, 7, 6], 1), { constant: r('f32', [6, 2, 3, 2], 2) }, { constant: r('f32', [6], 3) }], { group: 2, dilations: [1, 2] });
    await check('Conv', [r('f32', [1, 4, 7, 7], 1), { constant: r('f32', [4, 1, 3, 3], 2) }], { group: 4, pads: [1, 1, 1, 1] });
    for (const auto_pad of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) {
      await check('Conv', [r('f32', [1, 2, 8, 7], 1), { constant: r('f32', [3, 2, 4, 3], 2) }], { auto_pad, strides: [2, 2] });
    }
    // timm ViT patch embedding: 16x16, stride 16 (768-term sums).
    await check('Conv', [r('f32', [1, 3, 32, 48], 1), { constant: r('f32', [8, 3, 16, 16], 2, -0.1, 0.1) }, { constant: r('f32', [8], 3) }], { strides: [16, 16] });
    await check('Conv', [r('f32', [1, 2, 5, 6, 4], 1), { constant: r('f32', [3, 2, 2, 3, 2], 2) }], { pads: [1, 0, 1, 0, 1, 1], strides: [1, 2, 1] });
    await check('Conv', [r('f32', [2, 3, 6, 5], 1), r('f32', [4, 3, 3, 3], 2)], { pads: [1, 1, 1, 1] }, [{ dtype: 'f32', shape: ['n', 3, 'h', 'w'] }]);
  });

  it('Einsum: matmul, batched attention scores, diagonal, full sum, outer product, transpose, broadcast ellipsis, three operands', async () => {
    await check('Einsum', [r('f32', [5, 7], 1), r('f32', [7, 3], 2)], { equation: 'ij,jk->ik' });
    await check('Einsum', [r('f32', [2, 3, 5, 4], 1), r('f32', [2, 3, 6, 4], 2)], { equation: 'bhqd,bhkd->bhqk' });
    await check('Einsum', [r('f32', [5, 5], 1)], { equation: 'ii->i' });
    await check('Einsum', [r('f32', [4, 6], 1)], { equation: 'ij->' });
    await check('Einsum', [r('f32', [4], 1), r('f32', [3], 2)], { equation: 'i,j->ij' });
    await check('Einsum', [r('f32', [4, 3], 1)], { equation: 'ij->ji' });
    await check('Einsum', [r('f32', [2, 1, 3, 4], 1), r('f32', [5, 4, 2], 2)], { equation: '...ij,...jk->...ik' });
    await check('Einsum', [r('f32', [3, 4], 1), r('f32', [4, 5], 2), r('f32', [5, 2], 3)], { equation: 'ij,jk,kl->il' });
    await check('Einsum', [r('f32', [3, 4], 1), r('f32', [4, 2], 2)], { equation: 'ij,jk' });
    await check('Einsum', [r('f32', [2, 5, 4], 1), r('f32', [4, 3], 2)], { equation: 'bsd,de->bse' },
      [{ dtype: 'f32', shape: ['b', 's', 4] }, undefined]);
  });

  it('rejects what it cannot run, with the reason', () => {
    expect(rejection('ReduceSum', [r('i32', [3, 4], 1)], { axes: [1] })).toContain('ReduceSum on i32 is not supported by the WebGPU backend yet (f32 only)');
    expect(rejection('Einsum', [r('i32', [3, 4], 1)], { equation: 'ij->j' })).toContain('Einsum on i32 is not supported by the WebGPU backend yet (f32 only)');
    expect(rejection('Conv', [r('f32', [1, 2, 5], 1), r('f32', [3, 2, 3], 2)], {}, [undefined, { dtype: 'f32', shape: ['m', 2, 3] }]))
      .toContain("the weight's shape must be static, got [m, 2, 3]");
    expect(rejection('ArgMax', [r('f16', [3, 4], 1)], { axis: 1 })).toContain('dtype f16 is not supported by the WebGPU backend yet');
  });
});
