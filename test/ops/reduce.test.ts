// Reductions, ArgMax/ArgMin and Softmax/LogSoftmax/Hardmax: naive references, axes forms, symbolic shapes, errors.

import { describe, expect, it } from 'vitest';
import { randomTensor, relL2, runOp, t } from '../helpers.js';
import { Graph, materialize } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Tensor } from '../../compiler/ir/tensor.js';

const f32 = (shape: number[], values: number[]) => t('f32', shape, values);
const axesInput = (axes: number[]) => ({ constant: t('i64', [axes.length], axes) });

/** Multi-index of flat index j in a row-major shape. */
function unflatten(j: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = j % shape[d]!;
    j = Math.floor(j / shape[d]!);
  }
  return idx;
}

/** Naive reduction: for each output element, the input elements whose kept coordinates match, in row-major order. */
function naiveReduce(x: Tensor, axes: number[], keepdims: boolean, f: (xs: number[]) => number) {
  const rank = x.rank;
  const ax = axes.map((a) => (a < 0 ? a + rank : a));
  const kept = x.shape.map((_, i) => i).filter((i) => !ax.includes(i));
  const outShape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : kept.map((i) => x.shape[i]!);
  const keptShape = kept.map((i) => x.shape[i]!);
  const n = keptShape.reduce((a, b) => a * b, 1);
  const vals = x.toNumbers();
  const values: number[] = [];
  for (let o = 0; o < n; o++) {
    const oi = unflatten(o, keptShape);
    const group = vals.filter((_, j) => {
      const idx = unflatten(j, x.shape);
      return kept.every((k, q) => idx[k] === oi[q]);
    });
    values.push(f(group));
  }
  return { shape: outShape, values };
}

const kernels: [string, (xs: number[]) => number][] = [
  ['ReduceSum', (xs) => xs.reduce((a, b) => a + b, 0)],
  ['ReduceMean', (xs) => xs.reduce((a, b) => a + b, 0) / xs.length],
  ['ReduceMax', (xs) => Math.max(...xs)],
  ['ReduceMin', (xs) => Math.min(...xs)],
  ['ReduceProd', (xs) => xs.reduce((a, b) => a * b, 1)],
  ['ReduceL1', (xs) => xs.reduce((a, b) => a + Math.abs(b), 0)],
  ['ReduceL2', (xs) => Math.sqrt(xs.reduce((a, b) => a + b * b, 0))],
  ['ReduceSumSquare', (xs) => xs.reduce((a, b) => a + b * b, 0)],
  ['ReduceLogSum', (xs) => Math.log(xs.reduce((a, b) => a + b, 0))],
  ['ReduceLogSumExp', (xs) => Math.log(xs.reduce((a, b) => a + Math.exp(b), 0))],
];

describe('Reduce*', () => {
  const x = randomTensor('f32', [3, 5, 4], 7, 0.5, 2);
  for (const [op, f] of kernels) {
    it.each([
      [[1], 1], [[-1], 0], [[0, 2], 1], [[-3, 1], 0], [[0, 1, 2], 0],
    ] as [number[], number][])(`${op} over axes %j, keepdims %i, matches a naive reduction`, (axes, keepdims) => {
      const expected = naiveReduce(x, axes, keepdims === 1, f);
      for (const form of ['attribute', 'operand'] as const) {
        const { outputs, types } = form === 'attribute'
          ? runOp(op, [x], { axes, keepdims })
          : runOp(op, [x, axesInput(axes)], { keepdims });
        expect(types[0]).toEqual({ dtype: 'f32', shape: expected.shape });
        expect(outputs[0]!.toNumbers()).toEqual(expected.values.map(Math.fround));
      }
    });
  }

  it('hand-computed values', () => {
    const m = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(runOp('ReduceSum', [m], { axes: [0] }).outputs[0]!.toNumbers()).toEqual([5, 7, 9]);
    expect(runOp('ReduceMean', [m], { axes: [1], keepdims: 0 }).outputs[0]!.toNumbers()).toEqual([2, 5]);
    expect(runOp('ReduceProd', [m]).outputs[0]!.toNumbers()).toEqual([720]);
    expect(runOp('ReduceProd', [m]).outputs[0]!.shape).toEqual([1, 1]);
    expect(runOp('ReduceMax', [m], { axes: [-1], keepdims: 0 }).outputs[0]!.toNumbers()).toEqual([3, 6]);
    expect(runOp('ReduceL2', [f32([2], [3, 4])]).outputs[0]!.toNumbers()).toEqual([5]);
  });

  it('ReduceLogSumExp is stable for large values', () => {
    const y = runOp('ReduceLogSumExp', [f32([3], [1000, 1000, 1000])]).outputs[0]!;
    expect(y.toNumbers()[0]).toBeCloseTo(1000 + Math.log(3), 3);
  });

  it('empty axes reduce everything, or nothing with noop_with_empty_axes', () => {
    const m = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(runOp('ReduceSum', [m, axesInput([])]).outputs[0]!.toNumbers()).toEqual([21]);
    const noop = runOp('ReduceSum', [m, axesInput([])], { noop_with_empty_axes: 1 });
    expect(noop.types[0]).toEqual({ dtype: 'f32', shape: [2, 3] });
    expect(noop.outputs[0]!.toNumbers()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(runOp('ReduceMean', [m], { keepdims: 0 }).outputs[0]!.shape).toEqual([]);
  });

  it('integer reductions keep the dtype', () => {
    const { outputs, types } = runOp('ReduceSum', [t('i64', [2, 2], [1, 2, 3, 4])], { axes: [1], keepdims: 0 });
    expect(types[0]).toEqual({ dtype: 'i64', shape: [2] });
    expect(outputs[0]!.toNumbers()).toEqual([3, 7]);
  });

  it('infers symbolic shapes', () => {
    const x2 = randomTensor('f32', [2, 3, 8], 1);
    const sym = { symbolicInputs: [{ dtype: 'f32' as const, shape: ['batch', 'seq', 8] }] };
    expect(runOp('ReduceMean', [x2], { axes: [-1] }, sym).types[0]!.shape).toEqual(['batch', 'seq', 1]);
    expect(runOp('ReduceMean', [x2], { axes: [-1], keepdims: 0 }, sym).types[0]!.shape).toEqual(['batch', 'seq']);
    expect(runOp('ReduceMax', [x2, axesInput([1])], { keepdims: 0 }, sym).types[0]!.shape).toEqual(['batch', 8]);
  });

  it('fails on bad axes and dtypes', () => {
    const m = Tensor.zeros('f32', [2, 3]);
    expect(() => runOp('ReduceSum', [m], { axes: [2] })).toThrow("ReduceSum node 'test_ReduceSum': axis 2 is out of range for rank 2");
    expect(() => runOp('ReduceMean', [m], { axes: [1, -1] })).toThrow('axes [1, -1] repeat an axis');
    expect(() => runOp('ReduceSum', [m, axesInput([0])], { axes: [0] })).toThrow('axes are given both as an attribute and as an operand');
    expect(() => runOp('ReduceSum', [m, t('i64', [1], [0])])).toThrow('the axes operand must be a constant');
    expect(() => runOp('ReduceMax', [Tensor.zeros('bool', [2])])).toThrow("operand 'data' has dtype bool, but ReduceMax needs a numeric dtype");
  });

  it('propagates symbolic contents: the product of a shape is the element count', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const x2 = g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq', 32] });
    const [s] = b.add('Shape', [x2]);
    const [numel] = b.add('ReduceProd', [s!], { keepdims: 0 });
    expect(numel!.symbolic).toEqual(['32*batch*seq']);
    expect(b.add('ReduceSum', [s!])[0]!.symbolic).toEqual(['batch+seq+32']);
    expect(b.add('ReduceMin', [s!], { keepdims: 0 })[0]!.symbolic).toBeUndefined();
    const [ones] = b.add('Max', [s!, b.constant(t('i64', [3], [1, 1, 40]))]);
    const [largest] = b.add('ReduceMax', [ones!], { keepdims: 0 });
    expect(largest!.symbolic).toBeUndefined();
    const [pair] = b.add('ReduceMax', [b.add('Mul', [s!, b.constant(t('i64', [], [0]))])[0]!]);
    expect(materialize(pair!.constant!).toNumbers()).toEqual([0]);
  });
});

describe('ArgMax and ArgMin', () => {
  const x = f32([2, 3], [1, 5, 5, 7, 2, 7]);
  it('index of the first extreme, as i64', () => {
    const { outputs, types } = runOp('ArgMax', [x], { axis: 1 });
    expect(types[0]).toEqual({ dtype: 'i64', shape: [2, 1] });
    expect(outputs[0]!.toNumbers()).toEqual([1, 0]);
    expect(runOp('ArgMin', [x], { axis: 1, keepdims: 0 }).outputs[0]!.toNumbers()).toEqual([0, 1]);
    expect(runOp('ArgMax', [x]).outputs[0]!.toNumbers()).toEqual([1, 0, 1]);
  });

  it('select_last_index and negative axes', () => {
    expect(runOp('ArgMax', [x], { axis: -1, keepdims: 0, select_last_index: 1 }).outputs[0]!.toNumbers()).toEqual([2, 2]);
    expect(runOp('ArgMin', [f32([4], [3, 1, 1, 2])], { axis: -1, select_last_index: 1 }).outputs[0]!.toNumbers()).toEqual([2]);
  });

  it('matches a naive arg-reduction on odd sizes', () => {
    const r = randomTensor('f32', [3, 7, 5], 11);
    const { outputs } = runOp('ArgMax', [r], { axis: 1, keepdims: 0 });
    const expected = naiveReduce(r, [1], false, (xs) => xs.indexOf(Math.max(...xs)));
    expect(outputs[0]!.toNumbers()).toEqual(expected.values);
  });

  it('infers symbolic shapes and fails on bad axes', () => {
    const sym = { symbolicInputs: [{ dtype: 'f32' as const, shape: ['batch', 3] }] };
    expect(runOp('ArgMax', [x], { axis: 1, keepdims: 0 }, sym).types[0]).toEqual({ dtype: 'i64', shape: ['batch'] });
    expect(() => runOp('ArgMax', [x], { axis: 2 })).toThrow("ArgMax node 'test_ArgMax': axis 2 is out of range for rank 2");
  });
});

describe('Softmax, LogSoftmax, Hardmax', () => {
  /** Naive softmax along `axis` through naiveReduce for the denominators. */
  function naiveSoftmax(x: Tensor, axis: number): number[] {
    const a = axis < 0 ? axis + x.rank : axis;
    const stride = x.shape.slice(a + 1).reduce((p, q) => p * q, 1);
    const n = x.shape[a]!;
    const vals = x.toNumbers();
    return vals.map((v, j) => {
      const base = j - (Math.floor(j / stride) % n) * stride;
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.exp(vals[base + k * stride]!);
      return Math.exp(v) / s;
    });
  }

  const x = randomTensor('f32', [3, 5, 7], 5, -3, 3);
  it.each([-1, 0, 1, 2, -2])('Softmax and LogSoftmax along axis %i match a naive computation', (axis) => {
    const expected = naiveSoftmax(x, axis);
    const y = runOp('Softmax', [x], { axis }).outputs[0]!;
    expect(relL2(y.toNumbers(), expected)).toBeLessThan(1e-6);
    const ly = runOp('LogSoftmax', [x], { axis }).outputs[0]!;
    expect(relL2(ly.toNumbers(), expected.map(Math.log))).toBeLessThan(1e-6);
  });

  it('hand-computed values and the default last axis', () => {
    const y = runOp('Softmax', [f32([2, 2], [0, Math.log(3), 1, 1])]).outputs[0]!;
    expect(y.toNumbers()).toEqual([0.25, 0.75, 0.5, 0.5]);
    const ly = runOp('LogSoftmax', [f32([2], [0, 0])]).outputs[0]!;
    expect(ly.toNumbers()).toEqual([Math.fround(-Math.LN2), Math.fround(-Math.LN2)]);
  });

  it('are stable for large inputs', () => {
    expect(runOp('Softmax', [f32([3], [10000, 10000, -Infinity])]).outputs[0]!.toNumbers()).toEqual([0.5, 0.5, 0]);
    expect(runOp('LogSoftmax', [f32([2], [1000, 0])]).outputs[0]!.toNumbers()).toEqual([0, -1000]);
  });

  it('Hardmax marks the first largest element', () => {
    const y = runOp('Hardmax', [f32([2, 3], [1, 3, 3, 2, 0, -1])], { axis: -1 }).outputs[0]!;
    expect(y.toNumbers()).toEqual([0, 1, 0, 1, 0, 0]);
    expect(runOp('Hardmax', [f32([2, 3], [1, 3, 3, 2, 0, -1])], { axis: 0 }).outputs[0]!.toNumbers()).toEqual([0, 1, 1, 1, 0, 0]);
  });

  it('keep symbolic shapes and fail on integer inputs and bad axes', () => {
    const sym = { symbolicInputs: [{ dtype: 'f32' as const, shape: ['batch', 'heads', 'seq', 'seq'] }] };
    expect(runOp('Softmax', [randomTensor('f32', [2, 2, 3, 3], 1)], {}, sym).types[0]!.shape).toEqual(['batch', 'heads', 'seq', 'seq']);
    expect(() => runOp('Softmax', [t('i32', [2], [1, 2])])).toThrow("operand 'input' has dtype i32, but Softmax needs a floating-point dtype");
    expect(() => runOp('LogSoftmax', [x], { axis: 3 })).toThrow("LogSoftmax node 'test_LogSoftmax': axis 3 is out of range for rank 3");
  });
});
