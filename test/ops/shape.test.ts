// Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand: values, negative axes, symbolic shapes, errors.

import { describe, expect, it } from 'vitest';
import { randomTensor, runOp, t } from '../helpers.js';
import { Graph, type Value, materialize } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Tensor } from '../../compiler/ir/tensor.js';

/** The contents of a value when it became a constant. */
const numbersOf = (v: Value | undefined) => (v?.constant ? materialize(v.constant).toNumbers() : undefined);

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
const f32 = (shape: number[]) => t('f32', shape, iota(shape.reduce((a, b) => a * b, 1)));
const i64 = (values: number[]) => ({ constant: t('i64', [values.length], values) });

/** Naive transpose: walks every output multi-index. */
function naiveTranspose(x: Tensor, perm: number[]): number[] {
  const inShape = x.shape;
  const outShape = perm.map((p) => inShape[p]!);
  const vals = x.toNumbers();
  const out: number[] = [];
  const n = vals.length;
  for (let j = 0; j < n; j++) {
    // Output multi-index of j.
    const o: number[] = [];
    let r = j;
    for (let d = outShape.length - 1; d >= 0; d--) {
      o[d] = r % outShape[d]!;
      r = Math.floor(r / outShape[d]!);
    }
    const inIdx: number[] = [];
    perm.forEach((p, d) => { inIdx[p] = o[d]!; });
    let flat = 0;
    for (let d = 0; d < inShape.length; d++) flat = flat * inShape[d]! + inIdx[d]!;
    out.push(vals[flat]!);
  }
  return out;
}

describe('Shape', () => {
  const x = f32([3, 4, 5]);
  it.each([
    [{}, [3, 4, 5]],
    [{ start: 1 }, [4, 5]],
    [{ end: 1 }, [3]],
    [{ end: -1 }, [3, 4]],
    [{ start: -1 }, [5]],
    [{ start: 1, end: 2 }, [4]],
    [{ start: 1, end: -1 }, [4]],
    [{ start: -10 }, [3, 4, 5]],
    [{ end: 10 }, [3, 4, 5]],
    [{ start: 2, end: 1 }, []],
  ])('attrs %j gives %j', (attrs, expected) => {
    const { outputs, types } = runOp('Shape', [x], attrs);
    expect(outputs[0]!.dtype).toBe('i64');
    expect(outputs[0]!.toNumbers()).toEqual(expected);
    expect(types[0]).toEqual({ dtype: 'i64', shape: [expected.length] });
  });

  it('has the symbolic dims of its input as contents', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const xs = g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq', 32] });
    const [s] = b.add('Shape', [xs]);
    expect(s!.symbolic).toEqual(['batch', 'seq', 32]);
    expect(s!.constant).toBeUndefined();
    const [tail] = b.add('Shape', [xs], { start: -1 });
    expect(numbersOf(tail)).toEqual([32]); // all static: a constant, no node
    expect(g.nodes.map((n) => n.op)).toEqual(['Shape']);
  });
});

describe('Size', () => {
  it('counts elements', () => {
    const { outputs, types } = runOp('Size', [f32([2, 3, 5])]);
    expect(outputs[0]!.toNumbers()).toEqual([30]);
    expect(types[0]).toEqual({ dtype: 'i64', shape: [] });
  });
  it('is the product of symbolic dims', () => {
    const g = new Graph();
    const [s] = new GraphBuilder(g).add('Size', [g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq', 4] })]);
    expect(s!.symbolic).toEqual(['4*batch*seq']);
  });
});

describe('Reshape', () => {
  const x = f32([2, 3, 4]);
  it.each([
    [[4, 6], [4, 6]],
    [[0, -1], [2, 12]],
    [[-1], [24]],
    [[0, 0, 2, 2], [2, 3, 2, 2]],
    [[2, -1, 4], [2, 3, 4]],
    [[0, 4, -1], [2, 4, 3]],
  ])('to %j gives %j with the data in order', (target, expected) => {
    const { outputs, types } = runOp('Reshape', [x, i64(target)]);
    expect(outputs[0]!.shape).toEqual(expected);
    expect(types[0]!.shape).toEqual(expected);
    expect(outputs[0]!.toNumbers()).toEqual(iota(24));
  });

  it('allowzero=1 makes 0 a real zero-size dim', () => {
    const { outputs } = runOp('Reshape', [f32([0, 3]), i64([3, 0])], { allowzero: 1 });
    expect(outputs[0]!.shape).toEqual([3, 0]);
    const copied = runOp('Reshape', [f32([0, 3]), i64([0, 3])], { allowzero: 0 });
    expect(copied.outputs[0]!.shape).toEqual([0, 3]);
  });

  it('infers -1 by exact symbolic division', () => {
    const sym = [{ dtype: 'f32' as const, shape: ['batch', 'seq', 32] }];
    const x3 = f32([2, 3, 32]);
    expect(runOp('Reshape', [x3, i64([0, 0, 4, -1])], {}, { symbolicInputs: sym }).types[0]!.shape).toEqual(['batch', 'seq', 4, 8]);
    expect(runOp('Reshape', [x3, i64([-1, 32])], {}, { symbolicInputs: sym }).types[0]!.shape).toEqual(['batch*seq', 32]);
    expect(runOp('Reshape', [x3, i64([0, -1])], {}, { symbolicInputs: sym }).types[0]!.shape).toEqual(['batch', '32*seq']);
    const { outputs, types } = runOp('Reshape', [x3, i64([-1, 8, 4])], {}, { symbolicInputs: sym });
    expect(types[0]!.shape).toEqual(['batch*seq', 8, 4]);
    expect(outputs[0]!.shape).toEqual([6, 8, 4]);
  });

  it('takes symbolic target dims from the shape operand', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const x = g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq', 32] });
    const target = g.addInput('target', { dtype: 'i64', shape: [3] });
    target.symbolic = ['batch', 'seq', -1];
    expect(b.add('Reshape', [x, target])[0]!.type.shape).toEqual(['batch', 'seq', 32]);
  });

  it('uses fresh dims when only the target length is known', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const x = g.addInput('x', { dtype: 'f32', shape: [2, 12] });
    const target = g.addInput('target', { dtype: 'i64', shape: [3] });
    const shape = b.add('Reshape', [x, target])[0]!.type.shape;
    expect(shape).toHaveLength(3);
    expect(shape.every((d) => typeof d === 'string')).toBe(true);
    expect(new Set(shape).size).toBe(3);
  });

  it('fails clearly when the target is unknown', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const x = g.addInput('x', { dtype: 'f32', shape: [2, 12] });
    const target = g.addInput('target', { dtype: 'i64', shape: ['n'] });
    expect(() => b.add('Reshape', [x, target], {}, { name: 'r' })).toThrow(
      "Reshape node 'r': the target shape (operand 1) could not be determined at compile time, not even its length (n)");
  });

  it.each([
    [[5, -1], "cannot reshape [2, 3, 4] to [5, -1]: 24 elements are not a multiple of 5, so -1 cannot be inferred"],
    [[-1, -1], 'cannot reshape [2, 3, 4] to [-1, -1]: more than one -1'],
    [[5, 5], 'cannot reshape [2, 3, 4] to [5, 5]: 24 elements vs 25'],
    [[0, 0, 0, 0], 'cannot reshape [2, 3, 4] to [0, 0, 0, 0]: the 0 at position 3 copies an input dim, but the input has rank 3'],
    [[-2, 12], 'cannot reshape [2, 3, 4] to [-2, 12]: invalid dim -2'],
  ])('rejects %j', (target, message) => {
    expect(() => runOp('Reshape', [x, i64(target)])).toThrow(`Reshape node 'test_Reshape': ${message}`);
  });

  it('rejects symbolic sizes that differ by a constant factor', () => {
    expect(() => runOp('Reshape', [f32([2, 3, 32]), i64([0, 0, 16])], {}, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 32] }] }))
      .toThrow('cannot reshape [batch, seq, 32] to [0, 0, 16]: 32*batch*seq elements vs 16*batch*seq');
  });

  it('rejects -1 with 0 under allowzero', () => {
    expect(() => runOp('Reshape', [f32([0, 3]), i64([0, -1])], { allowzero: 1 })).toThrow('-1 together with 0 is ambiguous when allowzero=1');
  });
});

describe('Flatten', () => {
  const x = f32([2, 3, 4, 5]);
  it.each([
    [0, [1, 120]], [1, [2, 60]], [2, [6, 20]], [3, [24, 5]], [4, [120, 1]],
    [-1, [24, 5]], [-2, [6, 20]], [-3, [2, 60]], [-4, [1, 120]],
  ])('axis %i gives %j', (axis, expected) => {
    const { outputs, types } = runOp('Flatten', [x], { axis });
    expect(outputs[0]!.shape).toEqual(expected);
    expect(types[0]!.shape).toEqual(expected);
    expect(outputs[0]!.toNumbers()).toEqual(iota(120));
  });
  it('multiplies symbolic dims', () => {
    const { types } = runOp('Flatten', [f32([2, 3, 4])], { axis: -1 }, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 4] }] });
    expect(types[0]!.shape).toEqual(['batch*seq', 4]);
  });
  it('rejects an axis beyond the rank', () => {
    expect(() => runOp('Flatten', [x], { axis: 5 })).toThrow("Flatten node 'test_Flatten': axis 5 is out of range for rank 4 (Flatten accepts [-4, 4])");
  });
});

describe('Squeeze and Unsqueeze', () => {
  const x = f32([1, 3, 1, 5]);
  it('squeezes axes given as an attribute, an operand, negative, or all static 1s', () => {
    expect(runOp('Squeeze', [x], { axes: [0] }).outputs[0]!.shape).toEqual([3, 1, 5]);
    expect(runOp('Squeeze', [x, i64([-2])]).outputs[0]!.shape).toEqual([1, 3, 5]);
    const all = runOp('Squeeze', [x]);
    expect(all.outputs[0]!.shape).toEqual([3, 5]);
    expect(all.outputs[0]!.toNumbers()).toEqual(iota(15));
  });
  it('keeps symbolic dims when squeezing without axes', () => {
    const { types } = runOp('Squeeze', [x], {}, { symbolicInputs: [{ dtype: 'f32', shape: [1, 'n', 1, 5] }] });
    expect(types[0]!.shape).toEqual(['n', 5]);
  });
  it('rejects squeezing a dim that is not 1', () => {
    expect(() => runOp('Squeeze', [x], { axes: [1] })).toThrow("Squeeze node 'test_Squeeze': cannot squeeze axis 1 of [1, 3, 1, 5]: its size is 3, not 1");
    expect(() => runOp('Squeeze', [x], { axes: [0] }, { symbolicInputs: [{ dtype: 'f32', shape: ['b', 3, 1, 5] }] }))
      .toThrow('cannot squeeze axis 0 of [b, 3, 1, 5]: its size is b, not 1');
  });
  it('rejects axes given twice', () => {
    expect(() => runOp('Squeeze', [x, i64([0])], { axes: [0] })).toThrow("'axes' is given both as an attribute and as operand 1");
  });
  it.each([
    [[0], [1, 3, 4]], [[1], [3, 1, 4]], [[2], [3, 4, 1]], [[-1], [3, 4, 1]],
    [[0, 3], [1, 3, 4, 1]], [[3, 0], [1, 3, 4, 1]], [[1, -1], [3, 1, 4, 1]], [[0, 1, 2], [1, 1, 1, 3, 4]],
  ])('unsqueezes %j to %j', (axes, expected) => {
    const a = runOp('Unsqueeze', [f32([3, 4])], { axes });
    const b = runOp('Unsqueeze', [f32([3, 4]), i64(axes)]);
    expect(a.outputs[0]!.shape).toEqual(expected);
    expect(b.types[0]!.shape).toEqual(expected);
    expect(b.outputs[0]!.toNumbers()).toEqual(iota(12));
  });
  it('rejects bad unsqueeze axes', () => {
    expect(() => runOp('Unsqueeze', [f32([3, 4])], { axes: [0, -4] })).toThrow('axes [0, -4] repeat an axis');
    expect(() => runOp('Unsqueeze', [f32([3, 4])], { axes: [3] })).toThrow('axis 3 is out of range for rank 3');
    expect(() => runOp('Unsqueeze', [f32([3, 4])])).toThrow('axes are required');
  });
  it('keeps symbolic dims', () => {
    const { types } = runOp('Unsqueeze', [f32([2, 3])], { axes: [1] }, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq'] }] });
    expect(types[0]!.shape).toEqual(['batch', 1, 'seq']);
  });
});

describe('Transpose', () => {
  const x = randomTensor('f32', [2, 3, 4], 7);
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  it.each(perms)('perm [%i, %i, %i] matches a naive transpose', (...perm) => {
    const { outputs, types } = runOp('Transpose', [x], { perm });
    expect(types[0]!.shape).toEqual(perm.map((p) => x.shape[p]));
    expect(outputs[0]!.toNumbers()).toEqual(naiveTranspose(x, perm));
  });
  it('reverses the dims by default', () => {
    const { outputs } = runOp('Transpose', [t('f32', [2, 3], [1, 2, 3, 4, 5, 6])]);
    expect(outputs[0]!.shape).toEqual([3, 2]);
    expect(outputs[0]!.toNumbers()).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it('moves i64 and f16 storage exactly', () => {
    const big = t('i64', [2, 2], [2 ** 40, 1, -3, 4]);
    expect(runOp('Transpose', [big]).outputs[0]!.toNumbers()).toEqual([2 ** 40, -3, 1, 4]);
    expect(runOp('Transpose', [t('f16', [1, 2], [0.5, -2])]).outputs[0]!.toNumbers()).toEqual([0.5, -2]);
  });
  it('permutes symbolic dims', () => {
    const { types } = runOp('Transpose', [f32([2, 3, 4, 8])], { perm: [0, 2, 1, 3] }, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 4, 8] }] });
    expect(types[0]!.shape).toEqual(['batch', 4, 'seq', 8]);
  });
  it('rejects a bad perm', () => {
    expect(() => runOp('Transpose', [x], { perm: [0, 1] })).toThrow("Transpose node 'test_Transpose': perm [0, 1] has 2 entries, but the input has rank 3");
    expect(() => runOp('Transpose', [x], { perm: [0, 1, 1] })).toThrow('axes [0, 1, 1] repeat an axis');
  });
});

describe('Expand', () => {
  it('broadcasts to a larger rank', () => {
    const { outputs, types } = runOp('Expand', [t('f32', [3, 1], [1, 2, 3]), i64([2, 1, 4])]);
    expect(types[0]!.shape).toEqual([2, 3, 4]);
    expect(outputs[0]!.toNumbers()).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });
  it('keeps input dims where the target has 1 (numpy rules)', () => {
    const { outputs } = runOp('Expand', [t('f32', [2, 3], [1, 2, 3, 4, 5, 6]), i64([1, 1])]);
    expect(outputs[0]!.shape).toEqual([2, 3]);
  });
  it('takes symbolic target dims', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const x = g.addInput('x', { dtype: 'f32', shape: ['batch', 1, 'seq'] });
    const [shape] = b.add('Shape', [x]);
    const [ones] = b.add('Expand', [b.constant(t('f32', [1, 1], [0])), shape!]);
    expect(ones!.type.shape).toEqual(['batch', 1, 'seq']);
  });
  it('rejects incompatible shapes', () => {
    expect(() => runOp('Expand', [f32([3, 2]), i64([3, 4])])).toThrow('shapes [3, 2] and [3, 4] cannot be broadcast');
  });
});
