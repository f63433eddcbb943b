// ScatterND and ScatterElements: the ONNX examples, reductions, negative and duplicate indices, dtypes, errors.

import { describe, expect, it } from 'vitest';
import { runOp, t } from '../helpers.js';

const idx = (shape: number[], values: number[]) => t('i64', shape, values);

describe('ScatterND', () => {
  const data = t('f32', [8], [1, 2, 3, 4, 5, 6, 7, 8]);
  it('replaces single elements (the ONNX example) and whole slices', () => {
    const out = runOp('ScatterND', [data, idx([4, 1], [4, 3, 1, 7]), t('f32', [4], [9, 10, 11, 12])]).outputs[0]!;
    expect(out.toNumbers()).toEqual([1, 11, 3, 10, 9, 6, 7, 12]);
    const m = t('f32', [3, 2], [1, 2, 3, 4, 5, 6]);
    const rows = runOp('ScatterND', [m, idx([2, 1], [2, 0]), t('f32', [2, 2], [50, 60, 10, 20])]).outputs[0]!;
    expect(rows.toNumbers()).toEqual([10, 20, 3, 4, 50, 60]);
  });
  it('writes a causal mask into a bool tensor the way PyTorch slice assignment exports', () => {
    // mask[:, 0:] = ids[:, None] < ids[None, :] for 3 positions: indices address every row.
    const mask = t('bool', [3, 3], new Array(9).fill(0));
    const upd = t('bool', [3, 3], [0, 1, 1, 0, 0, 1, 0, 0, 0]);
    const out = runOp('ScatterND', [mask, idx([3, 1], [0, 1, 2]), upd]).outputs[0]!;
    expect(out.dtype).toBe('bool');
    expect(out.toNumbers()).toEqual([0, 1, 1, 0, 0, 1, 0, 0, 0]);
  });
  it('reduces with add and mul, accepts negative indices, keeps i64 exact', () => {
    const add = runOp('ScatterND', [data, idx([2, 1], [0, 0]), t('f32', [2], [10, 20])], { reduction: 'add' }).outputs[0]!;
    expect(add.toNumbers()).toEqual([31, 2, 3, 4, 5, 6, 7, 8]);
    const mul = runOp('ScatterND', [data, idx([1, 1], [-1]), t('f32', [1], [3])], { reduction: 'mul' }).outputs[0]!;
    expect(mul.toNumbers()).toEqual([1, 2, 3, 4, 5, 6, 7, 24]);
    const big = t('i64', [2], [1, 2]);
    const out = runOp('ScatterND', [big, idx([1, 1], [1]), t('i64', [1], [2 ** 40])], { reduction: 'max' }).outputs[0]!;
    expect(out.toNumbers()).toEqual([1, 2 ** 40]);
  });
  it('keeps symbolic shapes', () => {
    const { types } = runOp('ScatterND', [t('f32', [2, 3], [1, 2, 3, 4, 5, 6]), idx([1, 1], [1]), t('f32', [1, 3], [7, 8, 9])], {},
      { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq'] }, { dtype: 'i64', shape: [1, 1] }, { dtype: 'f32', shape: [1, 'seq'] }] });
    expect(types[0]).toEqual({ dtype: 'f32', shape: ['batch', 'seq'] });
  });
  it('rejects mismatched updates, out-of-range indices and unknown reductions', () => {
    expect(() => runOp('ScatterND', [data, idx([2, 1], [0, 1]), t('f32', [3], [1, 2, 3])]))
      .toThrow("ScatterND node 'test_ScatterND': updates have shape [3], but data [8] and indices [2, 1] need [2]");
    expect(() => runOp('ScatterND', [data, idx([1, 2], [0, 1]), t('f32', [1], [1])])).toThrow('indices [1, 2] address 2 axes, but the data [8] has 1');
    expect(() => runOp('ScatterND', [data, idx([1, 1], [8]), t('f32', [1], [1])])).toThrow('index 8 at indices element 0 is out of range for a dimension of size 8');
    expect(() => runOp('ScatterND', [data, idx([1, 1], [0]), t('f32', [1], [1])], { reduction: 'avg' })).toThrow("reduction 'avg' is not one of none, add, mul, max, min");
  });
});

describe('ScatterElements', () => {
  it('scatters along axis 1 (the ONNX example) and axis 0 by default', () => {
    const out = runOp('ScatterElements', [t('f32', [1, 5], [1, 2, 3, 4, 5]), idx([1, 2], [1, 3]), t('f32', [1, 2], [1.1, 2.1])], { axis: 1 }).outputs[0]!;
    expect(out.toNumbers()).toEqual([1, 1.1, 3, 2.1, 5].map(Math.fround));
    const zeros = t('f32', [3, 3], new Array(9).fill(0));
    const upd = t('f32', [2, 3], [1, 1.1, 1.2, 2, 2.1, 2.2]);
    const out0 = runOp('ScatterElements', [zeros, idx([2, 3], [1, 0, 2, 0, 2, 1]), upd]).outputs[0]!;
    expect(out0.toNumbers()).toEqual([2, 1.1, 0, 1, 0, 2.2, 0, 2.1, 1.2].map(Math.fround));
  });
  it('handles negative axis and indices, and duplicates with add', () => {
    const out = runOp('ScatterElements', [t('f32', [1, 5], [1, 2, 3, 4, 5]), idx([1, 2], [1, -4]), t('f32', [1, 2], [1, 2])],
      { axis: -1, reduction: 'add' }).outputs[0]!;
    expect(out.toNumbers()).toEqual([1, 5, 3, 4, 5]);
  });
  it('rejects indices of another rank and mismatched updates', () => {
    expect(() => runOp('ScatterElements', [t('f32', [2, 2], [1, 2, 3, 4]), idx([2], [0, 1]), t('f32', [2], [1, 2])]))
      .toThrow("ScatterElements node 'test_ScatterElements': indices [2] must have the rank of the data [2, 2]");
    expect(() => runOp('ScatterElements', [t('f32', [2, 2], [1, 2, 3, 4]), idx([1, 2], [0, 1]), t('f32', [2, 1], [1, 2])]))
      .toThrow('updates have shape [2, 1], but indices have [1, 2]');
  });
});
