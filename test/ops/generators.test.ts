// Constant, ConstantOfShape, Range, EyeLike: values, dtypes, symbolic shapes, errors.

import { describe, expect, it } from 'vitest';
import { runOp, t } from '../helpers.js';
import { Graph, type Value, materialize } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Tensor } from '../../compiler/ir/tensor.js';

/** The contents of a value when it became a constant. */
const numbersOf = (v: Value | undefined) => (v?.constant ? materialize(v.constant).toNumbers() : undefined);

const i64 = (values: number[]) => ({ constant: t('i64', [values.length], values) });

describe('Constant', () => {
  it.each([
    [{ value: t('f16', [2], [1.5, -2]) }, 'f16', [2], [1.5, -2]],
    [{ value_float: 0.1 }, 'f32', [], [Math.fround(0.1)]],
    [{ value_floats: [1, 2.5] }, 'f32', [2], [1, 2.5]],
    [{ value_int: -7 }, 'i64', [], [-7]],
    [{ value_ints: [3, 4, 5] }, 'i64', [3], [3, 4, 5]],
    [{ value_ints: [] }, 'i64', [0], []],
  ])('%j', (attrs, dtype, shape, values) => {
    const { outputs, types } = runOp('Constant', [], attrs);
    expect(types[0]).toEqual({ dtype, shape });
    expect(outputs[0]!.dtype).toBe(dtype);
    expect(outputs[0]!.toNumbers()).toEqual(values);
  });
  it('folds into a graph constant', () => {
    const g = new Graph();
    const [c] = new GraphBuilder(g).add('Constant', [], { value_ints: [1, 2] });
    expect(numbersOf(c)).toEqual([1, 2]);
    expect(g.nodes).toHaveLength(0);
  });
  it('needs exactly one value and no strings', () => {
    expect(() => runOp('Constant', [], {})).toThrow("Constant node 'test_Constant': exactly one value attribute must be given, got none");
    expect(() => runOp('Constant', [], { value_int: 1, value_float: 2 })).toThrow('exactly one value attribute must be given, got value_float, value_int');
    expect(() => runOp('Constant', [], { value_string: 'a' })).toThrow('string constants are not supported');
  });
});

describe('ConstantOfShape', () => {
  it('fills with f32 0 by default, or the value tensor', () => {
    const d = runOp('ConstantOfShape', [i64([2, 3])]);
    expect(d.types[0]).toEqual({ dtype: 'f32', shape: [2, 3] });
    expect(d.outputs[0]!.toNumbers()).toEqual([0, 0, 0, 0, 0, 0]);
    const v = runOp('ConstantOfShape', [i64([3])], { value: t('i64', [1], [2 ** 40]) });
    expect(v.outputs[0]!.toNumbers()).toEqual([2 ** 40, 2 ** 40, 2 ** 40]);
    const h = runOp('ConstantOfShape', [i64([2])], { value: t('f16', [1], [-0.5]) });
    expect(h.outputs[0]!.toNumbers()).toEqual([-0.5, -0.5]);
    const z = runOp('ConstantOfShape', [i64([0])], { value: t('i32', [1], [1]) });
    expect(z.outputs[0]!.shape).toEqual([0]);
    const s = runOp('ConstantOfShape', [{ constant: t('i64', [0], []) }], { value: t('i32', [1], [4]) });
    expect(s.outputs[0]!.shape).toEqual([]);
    expect(s.outputs[0]!.toNumbers()).toEqual([4]);
  });
  it('takes a runtime shape operand and checks it against the type', () => {
    const { outputs, types } = runOp('ConstantOfShape', [t('i64', [2], [2, 1])]);
    expect(types[0]!.shape).toHaveLength(2);
    expect(outputs[0]!.shape).toEqual([2, 1]);
  });
  it('has a symbolic shape from Shape', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const [shape] = b.add('Shape', [g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq'] })]);
    const [ones] = b.add('ConstantOfShape', [shape!], { value: t('bool', [1], [1]) });
    expect(ones!.type).toEqual({ dtype: 'bool', shape: ['batch', 'seq'] });
  });
  it('rejects bad values and shapes', () => {
    expect(() => runOp('ConstantOfShape', [i64([2])], { value: t('f32', [2], [1, 2]) }))
      .toThrow("ConstantOfShape node 'test_ConstantOfShape': value must hold exactly one element, got shape [2]");
    expect(() => runOp('ConstantOfShape', [i64([2, -1])])).toThrow('invalid shape [2, -1]');
    expect(() => runOp('ConstantOfShape', [{ constant: t('f32', [1], [2]) }])).toThrow('the shape (operand 0) must be an integer tensor, got f32');
  });
});

describe('Range', () => {
  it.each([
    ['i64', 0, 5, 1, [0, 1, 2, 3, 4]],
    ['i32', 10, 4, -3, [10, 7]],
    ['i32', 2, 2, 1, []],
    ['i16', 1, 8, 3, [1, 4, 7]],
    ['f32', 1, 2, 0.25, [1, 1.25, 1.5, 1.75]],
    ['f64', 0, 1, 0.3, [0, 0.3, 0.6, 0.8999999999999999]],
    ['f32', 3, 1, 1, []],
  ] as const)('%s %d..%d by %d', (dtype, start, limit, delta, expected) => {
    const s = (v: number) => ({ constant: Tensor.scalar(dtype, v) });
    const { outputs, types } = runOp('Range', [s(start), s(limit), s(delta)]);
    expect(types[0]).toEqual({ dtype, shape: [expected.length] });
    expect(outputs[0]!.toNumbers()).toEqual(expected.map((v) => (dtype === 'f32' ? Math.fround(v) : v)));
  });
  it('computes with runtime operands', () => {
    const { outputs, types } = runOp('Range', [Tensor.scalar('i64', 2), Tensor.scalar('i64', 9), Tensor.scalar('i64', 2)]);
    expect(outputs[0]!.toNumbers()).toEqual([2, 4, 6, 8]);
    expect(typeof types[0]!.shape[0]).toBe('string');
  });
  it('has length `seq` for Range(0, seq, 1)', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const [shape] = b.add('Shape', [g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq'] })]);
    const [seq] = b.add('Gather', [shape!, b.constant(Tensor.scalar('i64', 1))]);
    const [r] = b.add('Range', [b.constant(Tensor.scalar('i64', 0)), seq!, b.constant(Tensor.scalar('i64', 1))]);
    expect(r!.type).toEqual({ dtype: 'i64', shape: ['seq'] });
    const [r2] = b.add('Range', [b.constant(Tensor.scalar('i64', 0)), seq!, b.constant(Tensor.scalar('i64', 2))]);
    expect(typeof r2!.type.shape[0] === 'string' && r2!.type.shape[0] !== 'seq').toBe(true);
  });
  it('rejects mixed dtypes, non-scalars and delta 0', () => {
    const s = (v: number) => ({ constant: Tensor.scalar('i64', v) });
    expect(() => runOp('Range', [s(0), { constant: Tensor.scalar('i32', 3) }, s(1)])).toThrow("Range node 'test_Range': operand 1 has dtype i32, start has i64");
    expect(() => runOp('Range', [s(0), i64([3]), s(1)])).toThrow('operand 1 must be a scalar, got shape [1]');
    expect(() => runOp('Range', [s(0), s(3), s(0)])).toThrow('delta must not be 0');
  });
});

describe('EyeLike', () => {
  it('puts ones on the k-th diagonal of a non-square matrix', () => {
    const x = t('i32', [3, 4], new Array<number>(12).fill(7));
    expect(runOp('EyeLike', [x]).outputs[0]!.toNumbers()).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
    const up = runOp('EyeLike', [x], { k: 1, dtype: 1 });
    expect(up.types[0]!.dtype).toBe('f32');
    expect(up.outputs[0]!.toNumbers()).toEqual([0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(runOp('EyeLike', [x], { k: -2 }).outputs[0]!.toNumbers()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
  });
  it('needs a 2-D input', () => {
    expect(() => runOp('EyeLike', [t('f32', [3], [0, 0, 0])])).toThrow('the input must be 2-D, got shape [3]');
  });
});
