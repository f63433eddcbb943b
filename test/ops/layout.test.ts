// Concat, Split, Slice, Gather, GatherElements, Tile: values against naive references, clamping, symbolic dims, errors.

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
const INT64_MAX = 9223372036854775807;
const INT64_MIN = -9223372036854775808;

/**
 * CPython's slice index adjustment (PySlice_AdjustIndices), which ONNX Slice's clamping follows with one
 * difference: a start before the beginning with a negative step is clamped to 0 by the ONNX spec (and
 * onnxruntime), so x[-9::-1] on 5 elements is [x[0]] there and empty in Python.
 */
function pyPositions(start: number, end: number, step: number, len: number): number[] {
  const adjust = (v: number, isStart: boolean) => {
    if (v < 0) {
      v += len;
      if (v < 0) v = step < 0 && !isStart ? -1 : 0;
    } else if (v >= len) v = step < 0 ? len - 1 : len;
    return v;
  };
  const out: number[] = [];
  for (let i = adjust(start, true); step > 0 ? i < adjust(end, false) : i > adjust(end, false); i += step) out.push(i);
  return out;
}

/** Naive strided read of a 3-D tensor by per-axis position lists. */
function pick3(x: Tensor, pos: number[][]): number[] {
  const v = x.toNumbers();
  const [, d1, d2] = x.shape as [number, number, number];
  const out: number[] = [];
  for (const a of pos[0]!) for (const b of pos[1]!) for (const c of pos[2]!) out.push(v[(a * d1 + b) * d2 + c]!);
  return out;
}

function symbolicGraph(shape: (number | string)[]): { g: Graph; b: GraphBuilder; x: Value } {
  const g = new Graph();
  return { g, b: new GraphBuilder(g), x: g.addInput('x', { dtype: 'f32', shape }) };
}

describe('Concat', () => {
  it('joins along an axis, negative too', () => {
    const a = t('f32', [2, 2], [1, 2, 3, 4]);
    const b = t('f32', [2, 1], [5, 6]);
    const { outputs, types } = runOp('Concat', [a, b, a], { axis: -1 });
    expect(types[0]!.shape).toEqual([2, 5]);
    expect(outputs[0]!.toNumbers()).toEqual([1, 2, 5, 1, 2, 3, 4, 6, 3, 4]);
    expect(runOp('Concat', [a, a], { axis: 0 }).outputs[0]!.toNumbers()).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
  });
  it('handles empty parts and i64 data', () => {
    const { outputs } = runOp('Concat', [t('i64', [0], []), t('i64', [2], [2 ** 40, -1])], { axis: 0 });
    expect(outputs[0]!.toNumbers()).toEqual([2 ** 40, -1]);
  });
  it('adds symbolic dims along the axis', () => {
    const { types } = runOp('Concat', [f32([2, 3, 4]), f32([2, 5, 4])], { axis: 1 }, {
      symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'past', 4] }, { dtype: 'f32', shape: ['batch', 'seq', 4] }],
    });
    expect(types[0]!.shape).toEqual(['batch', 'past+seq', 4]);
  });
  it('rejects mismatched shapes and dtypes', () => {
    expect(() => runOp('Concat', [f32([2, 3]), f32([3, 3])], { axis: 1 }))
      .toThrow("Concat node 'test_Concat': operand 1 has shape [3, 3], which cannot be concatenated with [2, 3] along axis 1");
    expect(() => runOp('Concat', [f32([2, 3]), t('i64', [2, 3], iota(6))], { axis: 0 })).toThrow('operand 1 has dtype i64, operand 0 has f32');
    expect(() => runOp('Concat', [f32([2, 3]), f32([2, 3])], { axis: 2 })).toThrow('axis 2 is out of range for rank 2');
  });
});

describe('Split', () => {
  const x = f32([2, 6]);
  const values = (r: { outputs: Tensor[] }) => r.outputs.map((o) => o.toNumbers());
  it('splits by lengths given as attribute or operand', () => {
    const a = runOp('Split', [x], { axis: 1, split: [2, 4] }, { numOutputs: 2 });
    const b = runOp('Split', [x, i64([2, 4])], { axis: -1 }, { numOutputs: 2 });
    expect(values(a)).toEqual([[0, 1, 6, 7], [2, 3, 4, 5, 8, 9, 10, 11]]);
    expect(values(b)).toEqual(values(a));
    expect(b.types.map((ty) => ty.shape)).toEqual([[2, 2], [2, 4]]);
  });
  it('splits into equal parts by the number of results', () => {
    const r = runOp('Split', [x], { axis: 1 }, { numOutputs: 3 });
    expect(values(r)).toEqual([[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]]);
    expect(values(runOp('Split', [x], {}, { numOutputs: 2 }))).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]);
  });
  it('num_outputs uses ceil division with a smaller last part (opset 18)', () => {
    const r = runOp('Split', [f32([7])], { num_outputs: 3 }, { numOutputs: 3 });
    expect(values(r)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const r2 = runOp('Split', [f32([2, 8])], { axis: 1, num_outputs: 3 }, { numOutputs: 3 });
    expect(r2.types.map((ty) => ty.shape)).toEqual([[2, 3], [2, 3], [2, 2]]);
  });
  it('allows zero-size parts', () => {
    const r = runOp('Split', [f32([6]), i64([2, 0, 4])], {}, { numOutputs: 3 });
    expect(values(r)).toEqual([[0, 1], [], [2, 3, 4, 5]]);
  });
  it('splits symbolic dims exactly, else into fresh dims', () => {
    const sym = runOp('Split', [f32([2, 6])], { axis: 1 }, { numOutputs: 2, symbolicInputs: [{ dtype: 'f32', shape: ['b', '2*seq'] }] });
    expect(sym.types.map((ty) => ty.shape)).toEqual([['b', 'seq'], ['b', 'seq']]);
    const { b, x: xs } = symbolicGraph(['b', 'seq']);
    const parts = b.add('Split', [xs], { axis: 1 }, { numOutputs: 2 });
    expect(parts.every((p) => typeof p.type.shape[1] === 'string' && p.type.shape[1] !== 'seq')).toBe(true);
    // The GPT-2 fused QKV: a static last axis split three ways.
    const qkv = runOp('Split', [f32([1, 2, 9])], { axis: 2 }, { numOutputs: 3, symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 9] }] });
    expect(qkv.types.map((ty) => ty.shape)).toEqual([['batch', 'seq', 3], ['batch', 'seq', 3], ['batch', 'seq', 3]]);
  });
  it('splits symbolic contents', () => {
    const { b, x: xs } = symbolicGraph(['batch', 'seq', 4, 8]);
    const [shape] = b.add('Shape', [xs]);
    const [head, tail] = b.add('Split', [shape!, b.constant(t('i64', [2], [2, 2]))], {}, { numOutputs: 2 });
    expect(head!.symbolic).toEqual(['batch', 'seq']);
    expect(numbersOf(tail)).toEqual([4, 8]);
  });
  it('rejects inconsistent splits', () => {
    expect(() => runOp('Split', [x], { axis: 1, split: [2, 2] }, { numOutputs: 2 }))
      .toThrow("Split node 'test_Split': 'split' lengths [2, 2] sum to 4, but the split axis has size 6");
    expect(() => runOp('Split', [x], { axis: 1, split: [2, 4] }, { numOutputs: 3 })).toThrow("'split' has 2 lengths [2, 4] but the node has 3 results");
    expect(() => runOp('Split', [x], { axis: 1 }, { numOutputs: 4 })).toThrow('the split axis has size 6, which is not divisible into 4 equal parts');
    expect(() => runOp('Split', [x], { axis: 1, num_outputs: 2 }, { numOutputs: 3 })).toThrow('num_outputs is 2 but the node has 3 results');
  });
});

describe('Slice', () => {
  const bounds = [-9, -5, -3, -1, 0, 1, 2, 4, 5, 7, INT64_MAX, INT64_MIN];
  it('clamps like Python for every start/end/step on a 1-D tensor', () => {
    const x = f32([5]);
    let checked = 0;
    for (const step of [1, 2, 3, -1, -2]) {
      for (const start of bounds) {
        for (const end of bounds) {
          const { outputs, types } = runOp('Slice', [x, i64([start]), i64([end]), i64([0]), i64([step])]);
          const expected = pyPositions(start, end, step, 5);
          expect(outputs[0]!.toNumbers(), `[${start}:${end}:${step}]`).toEqual(expected);
          expect(types[0]!.shape).toEqual([expected.length]);
          checked++;
        }
      }
    }
    expect(checked).toBe(5 * bounds.length * bounds.length);
  });
  it('slices several axes given in any order, negative axes, default axes and steps', () => {
    const x = randomTensor('f32', [4, 5, 6], 3);
    const r = runOp('Slice', [x, i64([-1, 1]), i64([0, 5]), i64([-1, 0]), i64([-2, 2])]);
    expect(r.outputs[0]!.toNumbers()).toEqual(pick3(x, [pyPositions(1, 5, 2, 4), iota(5), pyPositions(-1, 0, -2, 6)]));
    const d = runOp('Slice', [x, i64([1, 2]), i64([3, -1])]);
    expect(d.outputs[0]!.shape).toEqual([2, 2, 6]);
    expect(d.outputs[0]!.toNumbers()).toEqual(pick3(x, [[1, 2], [2, 3], iota(6)]));
  });
  it('gives symbolic lengths for the slices exporters write', () => {
    const sym = [{ dtype: 'f32' as const, shape: ['batch', 'seq', 32] }];
    const x = f32([2, 5, 32]);
    const len = (s: number, e: number, step = 1) => runOp('Slice', [x, i64([s]), i64([e]), i64([1]), i64([step])], {}, { symbolicInputs: sym }).types[0]!.shape[1];
    expect(len(0, INT64_MAX)).toBe('seq'); // full range
    expect(len(1, INT64_MAX)).toBe('seq-1'); // x[:, 1:] (drop the CLS token)
    expect(len(0, -1)).toBe('seq-1'); // x[:, :-1]
    expect(len(-1, INT64_MAX)).toBe(1); // x[:, -1:]
    expect(len(-1, INT64_MIN, -1)).toBe('seq'); // x[:, ::-1]
    expect(len(0, 1)).toBe(1);
    // x[:, :3] is min(3, seq): not expressible, so a fresh symbol.
    const fresh = len(0, 3);
    expect(typeof fresh === 'string' && fresh !== 'seq').toBe(true);
    // Static dims of the same tensor are sliced exactly.
    expect(runOp('Slice', [x, i64([8]), i64([INT64_MAX]), i64([-1])], {}, { symbolicInputs: sym }).types[0]!.shape).toEqual(['batch', 'seq', 24]);
  });
  it("slices GPT-2's causal-mask buffer with bounds computed from shapes", () => {
    // bias[:, :, k_len - q_len : k_len, :k_len] with k_len = past+seq, q_len = seq (both from Shape chains).
    const g = new Graph();
    const b = new GraphBuilder(g);
    const bias = b.constant(t('u8', [1, 1, 8, 8], new Array<number>(64).fill(1)));
    const start = g.addInput('start', { dtype: 'i64', shape: [1] });
    const end = g.addInput('end', { dtype: 'i64', shape: [1] });
    start.symbolic = ['past']; // (past+seq) - seq, as Sub computes it
    end.symbolic = ['past+seq'];
    const zero = b.constant(t('i64', [1], [0]));
    const [rows] = b.add('Slice', [bias, start, end, b.constant(t('i64', [1], [2]))]);
    const [mask] = b.add('Slice', [rows!, zero, end, b.constant(t('i64', [1], [3]))]);
    expect(rows!.type.shape).toEqual([1, 1, 'seq', 8]);
    expect(mask!.type.shape).toEqual([1, 1, 'seq', 'past+seq']);
  });
  it('slices symbolic contents (Shape -> Slice)', () => {
    const { b, x } = symbolicGraph(['batch', 'seq', 4, 8]);
    const [shape] = b.add('Shape', [x]);
    const c = (v: number[]) => b.constant(t('i64', [v.length], v));
    const [lead] = b.add('Slice', [shape!, c([0]), c([-2])]);
    const [tail] = b.add('Slice', [shape!, c([-2]), c([INT64_MAX])]);
    const [rev] = b.add('Slice', [shape!, c([-1]), c([INT64_MIN]), c([0]), c([-1])]);
    expect(lead!.symbolic).toEqual(['batch', 'seq']);
    expect(numbersOf(tail)).toEqual([4, 8]);
    expect(rev!.symbolic).toEqual([8, 4, 'seq', 'batch']);
  });
  it('rejects bad operands', () => {
    const x = f32([4, 5]);
    expect(() => runOp('Slice', [x, i64([0]), i64([1]), i64([0]), i64([0])])).toThrow("Slice node 'test_Slice': steps [0] must not be 0");
    expect(() => runOp('Slice', [x, i64([0, 0]), i64([1])])).toThrow('starts has 2 elements but ends has 1');
    expect(() => runOp('Slice', [x, i64([0, 0]), i64([1, 1]), i64([1, -1])])).toThrow('axes [1, -1] repeat an axis');
    expect(() => runOp('Slice', [x, t('i64', [1], [0]), i64([1])])).toThrow('starts (operand 1) could not be determined at compile time');
  });
});

describe('Gather', () => {
  const data = t('f32', [3, 2], [1, 2, 3, 4, 5, 6]);
  it('gathers rows, columns, with negative and 2-D indices', () => {
    expect(runOp('Gather', [data, t('i64', [2, 2], [0, 1, 1, 2])]).outputs[0]!.toNumbers()).toEqual([1, 2, 3, 4, 3, 4, 5, 6]);
    expect(runOp('Gather', [data, t('i64', [2, 2], [0, 1, 1, 2])]).types[0]!.shape).toEqual([2, 2, 2]);
    expect(runOp('Gather', [data, t('i32', [1], [-1])], { axis: 1 }).outputs[0]!.toNumbers()).toEqual([2, 4, 6]);
    const scalar = runOp('Gather', [data, t('i64', [], [-3])]);
    expect(scalar.types[0]!.shape).toEqual([2]);
    expect(scalar.outputs[0]!.toNumbers()).toEqual([1, 2]);
  });
  it('matches a naive gather on a 3-D tensor along the middle axis', () => {
    const x = randomTensor('f32', [2, 5, 3], 11);
    const idx = [4, -1, 0, 2];
    const out = runOp('Gather', [x, t('i64', [4], idx)], { axis: -2 }).outputs[0]!.toNumbers();
    const v = x.toNumbers();
    const expected: number[] = [];
    for (let a = 0; a < 2; a++) for (const k of idx) for (let c = 0; c < 3; c++) expected.push(v[(a * 5 + (k + 5) % 5) * 3 + c]!);
    expect(out).toEqual(expected);
  });
  it('keeps symbolic dims (embedding lookup)', () => {
    const { types } = runOp('Gather', [f32([10, 4]), t('i64', [2, 3], iota(6))], {}, {
      symbolicInputs: [{ dtype: 'f32', shape: [10, 4] }, { dtype: 'i64', shape: ['batch', 'seq'] }],
    });
    expect(types[0]!.shape).toEqual(['batch', 'seq', 4]);
  });
  it('rejects out-of-range indices at compile time and at run time', () => {
    expect(() => runOp('Gather', [data, i64([3])])).toThrow("Gather node 'test_Gather': index 3 is out of range for axis 0 of data [3, 2]");
    expect(() => runOp('Gather', [data, t('i64', [1], [-4])])).toThrow("Gather node 'test_Gather': index -4 is out of range for axis 0 of size 3");
    expect(() => runOp('Gather', [data, t('f32', [1], [0])])).toThrow('indices must be i32 or i64, got f32');
  });
});

describe('GatherElements', () => {
  it('follows the spec examples, negative indices too', () => {
    const r = runOp('GatherElements', [t('f32', [2, 2], [1, 2, 3, 4]), t('i64', [2, 2], [0, 0, 1, 0])], { axis: 1 });
    expect(r.outputs[0]!.toNumbers()).toEqual([1, 1, 4, 3]);
    const r2 = runOp('GatherElements', [f32([3, 3]), t('i64', [2, 3], [1, 2, 0, 2, 0, -3])], { axis: 0 });
    expect(r2.outputs[0]!.toNumbers()).toEqual([3, 7, 2, 6, 1, 2]);
  });
});

describe('Tile', () => {
  it('repeats along each axis', () => {
    const r = runOp('Tile', [t('f32', [2, 2], [1, 2, 3, 4]), i64([2, 3])]);
    expect(r.types[0]!.shape).toEqual([4, 6]);
    expect(r.outputs[0]!.toNumbers()).toEqual([
      1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
  });
  it('multiplies symbolic dims and rejects a wrong repeats length', () => {
    const { types } = runOp('Tile', [f32([2, 3]), i64([1, 2])], {}, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 3] }] });
    expect(types[0]!.shape).toEqual(['batch', 6]);
    expect(() => runOp('Tile', [f32([2, 3]), i64([2])])).toThrow('repeats has 1 elements but the input [2, 3] has rank 2');
  });
});
