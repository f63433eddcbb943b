// LayerNormalization and BatchNormalization: hand-computed values, naive references, axes, symbolic shapes, errors.

import { describe, expect, it } from 'vitest';
import { randomTensor, relL2, runOp, t } from '../helpers.js';
import { Tensor } from '../../compiler/ir/tensor.js';

const f32 = (shape: number[], values: number[]) => t('f32', shape, values);

/** Naive layer norm over the trailing `size` elements of each row, with per-position scale and bias. */
function naiveLayerNorm(xs: number[], size: number, scale: number[], bias: number[] | undefined, eps: number) {
  const y: number[] = [];
  const mean: number[] = [];
  const inv: number[] = [];
  for (let r = 0; r < xs.length / size; r++) {
    const row = xs.slice(r * size, (r + 1) * size);
    const mu = row.reduce((a, b) => a + b, 0) / size;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / size;
    const is = 1 / Math.sqrt(v + eps);
    row.forEach((x, j) => y.push((x - mu) * is * scale[j % scale.length]! + (bias ? bias[j % bias.length]! : 0)));
    mean.push(mu);
    inv.push(is);
  }
  return { y, mean, inv };
}

describe('LayerNormalization', () => {
  it('hand-computed values', () => {
    const x = f32([2, 4], [1, 2, 3, 4, 2, 2, 2, 2]);
    const { outputs } = runOp('LayerNormalization', [x, f32([4], [1, 1, 2, 2]), f32([4], [0, 0, 0, 1])], { epsilon: 0 }, { numOutputs: 3 });
    const s = Math.sqrt(1.25);
    expect(outputs[0]!.toNumbers().slice(0, 4)).toEqual([-1.5 / s, -0.5 / s, 1 / s, 3 / s + 1].map(Math.fround));
    expect(outputs[0]!.toNumbers().slice(4)).toEqual([NaN, NaN, NaN, NaN]);
    expect(outputs[1]!.toNumbers()).toEqual([2.5, 2]);
    expect(outputs[2]!.toNumbers()).toEqual([Math.fround(1 / s), Infinity]);
    const withEps = runOp('LayerNormalization', [x, f32([4], [1, 1, 1, 1])]).outputs[0]!;
    expect(withEps.toNumbers().slice(4)).toEqual([0, 0, 0, 0]);
  });

  it.each([
    [-1, [2, 3, 5], [5]],
    [1, [2, 3, 5], [1, 5]],
    [1, [2, 3, 5], [3, 5]],
    [1, [2, 3, 5], [5]],
    [-2, [2, 3, 5], [3, 1]],
    [0, [3, 7], [3, 7]],
  ])('axis %i of %j with Scale and B of shape %j matches a naive computation', (axis, shape, paramShape) => {
    const x = randomTensor('f32', shape, 1, -2, 3);
    const scale = randomTensor('f32', paramShape, 2);
    const bias = randomTensor('f32', paramShape, 3);
    const a = axis < 0 ? axis + shape.length : axis;
    const normShape = shape.slice(a);
    const size = normShape.reduce((p, q) => p * q, 1);
    // Expand scale and bias to the normalized shape by hand (trailing-aligned broadcasting).
    const expand = (p: Tensor) => {
      const pv = p.toNumbers();
      const ps = [...new Array<number>(normShape.length - p.rank).fill(1), ...p.shape];
      return Array.from({ length: size }, (_, j) => {
        let rest = j;
        let flat = 0;
        for (let d = normShape.length - 1, stride = 1; d >= 0; d--) {
          const c = rest % normShape[d]!;
          rest = Math.floor(rest / normShape[d]!);
          if (ps[d] !== 1) flat += c * stride;
          stride *= ps[d]!;
        }
        return pv[flat]!;
      });
    };
    const expected = naiveLayerNorm(x.toNumbers(), size, expand(scale), expand(bias), 1e-5);
    const { outputs, types } = runOp('LayerNormalization', [x, scale, bias], { axis }, { numOutputs: 3 });
    const statShape = shape.map((d, i) => (i < a ? d : 1));
    expect(types).toEqual([{ dtype: 'f32', shape }, { dtype: 'f32', shape: statShape }, { dtype: 'f32', shape: statShape }]);
    expect(relL2(outputs[0]!.toNumbers(), expected.y)).toBeLessThan(1e-7);
    expect(outputs[1]!.toNumbers()).toEqual(expected.mean.map(Math.fround));
    expect(relL2(outputs[2]!.toNumbers(), expected.inv)).toBeLessThan(1e-7);
  });

  it('works without B and computes f16 with f32 statistics (stash_type 1)', () => {
    const x = randomTensor('f16', [3, 4], 1);
    const { outputs, types } = runOp('LayerNormalization', [x, t('f16', [4], [1, 1, 1, 1])], {}, { numOutputs: 2 });
    expect(types).toEqual([{ dtype: 'f16', shape: [3, 4] }, { dtype: 'f32', shape: [3, 1] }]);
    const expected = naiveLayerNorm(x.toNumbers(), 4, [1], undefined, 1e-5);
    expect(relL2(outputs[0]!.toNumbers(), expected.y)).toBeLessThan(1e-3);
    const f64 = runOp('LayerNormalization', [randomTensor('f64', [2, 2], 1), t('f64', [2], [1, 1])], { stash_type: 11 }, { numOutputs: 3 });
    expect(f64.types[2]).toEqual({ dtype: 'f64', shape: [2, 1] });
  });

  it('infers symbolic shapes', () => {
    const x = randomTensor('f32', [2, 3, 8], 1);
    const { types } = runOp('LayerNormalization', [x, randomTensor('f32', [8], 2), randomTensor('f32', [8], 3)], {}, {
      numOutputs: 3, symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 8] }],
    });
    expect(types).toEqual([
      { dtype: 'f32', shape: ['batch', 'seq', 8] },
      { dtype: 'f32', shape: ['batch', 'seq', 1] },
      { dtype: 'f32', shape: ['batch', 'seq', 1] },
    ]);
  });

  it('fails on Scale or B that do not broadcast, dtype mismatch and bad axes', () => {
    const x = Tensor.zeros('f32', [2, 3, 8]);
    expect(() => runOp('LayerNormalization', [x, Tensor.zeros('f32', [5])])).toThrow(
      "LayerNormalization node 'test_LayerNormalization': Scale of shape [5] does not broadcast to the normalized shape [8]");
    expect(() => runOp('LayerNormalization', [x, Tensor.zeros('f32', [8]), Tensor.zeros('f32', [3, 8])])).toThrow(
      'B of shape [3, 8] does not broadcast to the normalized shape [8]');
    expect(() => runOp('LayerNormalization', [x, Tensor.zeros('f32', [3])], { axis: 1 })).toThrow(
      'Scale of shape [3] does not broadcast to the normalized shape [3, 8]');
    expect(() => runOp('LayerNormalization', [x, Tensor.zeros('f16', [8])])).toThrow('operand dtypes differ: X is f32, Scale is f16');
    expect(() => runOp('LayerNormalization', [x, Tensor.zeros('f32', [8])], { axis: 3 })).toThrow('axis 3 is out of range for rank 3');
    expect(() => runOp('LayerNormalization', [Tensor.zeros('i32', [8]), Tensor.zeros('i32', [8])])).toThrow(
      "operand 'X' has dtype i32, but LayerNormalization needs a floating-point dtype");
    expect(() => runOp('LayerNormalization', [x, Tensor.zeros('f32', [8])], { stash_type: 7 })).toThrow('stash_type 7 is not a floating-point type');
  });
});

describe('BatchNormalization', () => {
  it('normalizes each channel with the running statistics', () => {
    const x = f32([1, 2, 1, 3], [1, 2, 3, 4, 5, 6]);
    const p = (values: number[]) => f32([2], values);
    const y = runOp('BatchNormalization', [x, p([1, 2]), p([0, 1]), p([2, 5]), p([4, 1])], { epsilon: 0 }).outputs[0]!;
    expect(y.toNumbers()).toEqual([-0.5, 0, 0.5, -1, 1, 3]);
  });

  it('matches a naive computation on [N, C, H, W] and [N, C]', () => {
    for (const shape of [[2, 3, 4, 5], [4, 3]]) {
      const x = randomTensor('f32', shape, 1);
      const [s, b, m] = [2, 3, 4].map((seed) => randomTensor('f32', [3], seed));
      const v = randomTensor('f32', [3], 5, 0.1, 2);
      const { outputs, types } = runOp('BatchNormalization', [x, s!, b!, m!, v]);
      expect(types[0]).toEqual({ dtype: 'f32', shape });
      const inner = shape.slice(2).reduce((p, q) => p * q, 1);
      const [sv, bv, mv, vv] = [s!, b!, m!, v].map((q) => q.toNumbers());
      const expected = x.toNumbers().map((xv, i) => {
        const c = Math.floor(i / inner) % 3;
        return Math.fround(((xv - mv![c]!) / Math.sqrt(vv![c]! + 1e-5)) * sv![c]! + bv![c]!);
      });
      expect(outputs[0]!.toNumbers()).toEqual(expected);
    }
  });

  it('fails in training mode and on parameters of the wrong size', () => {
    const x = Tensor.zeros('f32', [1, 2, 3]);
    const p = Tensor.zeros('f32', [2]);
    expect(() => runOp('BatchNormalization', [x, p, p, p, p], { training_mode: 1 })).toThrow(
      "BatchNormalization node 'test_BatchNormalization': training mode (running_mean / running_var outputs) is not supported; xfc is inference only");
    expect(() => runOp('BatchNormalization', [x, p, p, Tensor.zeros('f32', [3]), p])).toThrow(
      'input_mean must have shape [2] (the channels of X [1, 2, 3]), got [3]');
  });
});
