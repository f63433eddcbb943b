// CumSum: inclusive/exclusive, forward/reverse, every axis against a naive reference, dtypes, symbolic contents, errors.

import { describe, expect, it } from 'vitest';
import { randomTensor, relL2, runOp, t } from '../helpers.js';
import { Graph } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Tensor } from '../../compiler/ir/tensor.js';

const axis = (a: number) => ({ constant: t('i64', [], [a]) });

/** Naive running sum along `ax` of a 3-D tensor by explicit index arithmetic. */
function naiveCumsum(x: Tensor, ax: number, exclusive: boolean, reverse: boolean): number[] {
  const [d0, d1, d2] = x.shape as [number, number, number];
  const v = x.toNumbers();
  const at = (i: number, j: number, k: number) => v[(i * d1 + j) * d2 + k]!;
  const out: number[] = [];
  for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) for (let k = 0; k < d2; k++) {
    const pos = [i, j, k];
    const n = x.shape[ax]!;
    let s = 0;
    for (let m = 0; m < n; m++) {
      const inRange = reverse ? (exclusive ? m > pos[ax]! : m >= pos[ax]!) : exclusive ? m < pos[ax]! : m <= pos[ax]!;
      if (!inRange) continue;
      const p = [...pos];
      p[ax] = m;
      s += at(p[0]!, p[1]!, p[2]!);
    }
    out.push(s);
  }
  return out;
}

describe('CumSum', () => {
  const x = t('f32', [5], [1, 2, 3, 4, 5]);
  it('computes the four variants on a vector (hand-computed)', () => {
    expect(runOp('CumSum', [x, axis(0)]).outputs[0]!.toNumbers()).toEqual([1, 3, 6, 10, 15]);
    expect(runOp('CumSum', [x, axis(0)], { exclusive: 1 }).outputs[0]!.toNumbers()).toEqual([0, 1, 3, 6, 10]);
    expect(runOp('CumSum', [x, axis(0)], { reverse: 1 }).outputs[0]!.toNumbers()).toEqual([15, 14, 12, 9, 5]);
    expect(runOp('CumSum', [x, axis(0)], { exclusive: 1, reverse: 1 }).outputs[0]!.toNumbers()).toEqual([14, 12, 9, 5, 0]);
  });
  it('matches a naive reference on every axis (negative too) of an odd-sized 3-D tensor', () => {
    const r = randomTensor('f32', [3, 4, 5], 9);
    for (const ax of [0, 1, 2, -1, -3]) {
      for (const [exclusive, reverse] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const got = runOp('CumSum', [r, axis(ax)], { exclusive, reverse }).outputs[0]!.toNumbers();
        const norm = ax < 0 ? ax + 3 : ax;
        expect(relL2(got, naiveCumsum(r, norm, exclusive === 1, reverse === 1))).toBeLessThan(1e-7);
      }
    }
  });
  it('takes the axis from a graph input (i32) at run time', () => {
    const m = t('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(runOp('CumSum', [m, t('i32', [1], [1])]).outputs[0]!.toNumbers()).toEqual([1, 3, 6, 4, 9, 15]);
    expect(runOp('CumSum', [m, t('i32', [], [-2])]).outputs[0]!.toNumbers()).toEqual([1, 2, 3, 5, 7, 9]);
  });
  it('keeps integer dtypes exact (i32 masks of RoBERTa position ids, i64 beyond 2^53)', () => {
    const mask = t('i32', [2, 4], [1, 1, 1, 0, 1, 1, 0, 0]);
    const out = runOp('CumSum', [mask, axis(1)]).outputs[0]!;
    expect(out.dtype).toBe('i32');
    expect(out.toNumbers()).toEqual([1, 2, 3, 3, 1, 2, 2, 2]);
    const big = new Tensor('i64', [2], BigInt64Array.from([2n ** 60n, 1n]));
    expect(Array.from(runOp('CumSum', [big, axis(0)]).outputs[0]!.data as BigInt64Array)).toEqual([2n ** 60n, 2n ** 60n + 1n]);
  });
  it('accumulates floats in float64', () => {
    const out = runOp('CumSum', [t('f32', [3], [1e8, 1, -1e8]), axis(0)]).outputs[0]!;
    expect(out.toNumbers()).toEqual([1e8, 1e8, 1]);
  });
  it('keeps symbolic shapes and propagates symbolic contents', () => {
    const { types } = runOp('CumSum', [randomTensor('f32', [2, 3], 1), axis(1)], {},
      { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq'] }] });
    expect(types[0]).toEqual({ dtype: 'f32', shape: ['batch', 'seq'] });
    const g = new Graph();
    const b = new GraphBuilder(g);
    const [shape] = b.add('Shape', [g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq', 4] })]);
    const [sums] = b.add('CumSum', [shape!, b.constant(t('i64', [], [0]))], { exclusive: 1 });
    expect(sums!.symbolic).toEqual([0, 'batch', 'batch+seq']);
  });
  it('rejects scalars, bool, bad axes', () => {
    expect(() => runOp('CumSum', [t('f32', [], [1]), axis(0)])).toThrow("CumSum node 'test_CumSum': the input must have rank >= 1, got a scalar");
    expect(() => runOp('CumSum', [x, axis(1)])).toThrow('axis 1 is out of range for rank 1');
    expect(() => runOp('CumSum', [x])).toThrow("the 'axis' operand is required");
    expect(() => runOp('CumSum', [x, t('f32', [], [0])])).toThrow("operand 'axis' must be an i32 or i64 scalar, got f32[]");
    expect(() => runOp('CumSum', [t('bool', [2], [1, 0]), axis(0)])).toThrow('CumSum needs numeric operands, got bool');
  });
});
