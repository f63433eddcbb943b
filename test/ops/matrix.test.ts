// Trilu and Einsum: values against hand-computed and naive references, symbolic shapes, broadcasting, errors.

import { describe, expect, it } from 'vitest';
import { randomTensor, relL2, runOp, t } from '../helpers.js';
import { Tensor } from '../../compiler/ir/tensor.js';

const iota = (shape: number[], dtype: 'f32' | 'i64' = 'f32') =>
  t(dtype, shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1));

describe('Trilu', () => {
  const x = iota([3, 4]);
  it('keeps the upper triangle by default, with k from a constant operand', () => {
    expect(runOp('Trilu', [x]).outputs[0]!.toNumbers()).toEqual([1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    expect(runOp('Trilu', [x, { constant: t('i64', [], [1]) }]).outputs[0]!.toNumbers())
      .toEqual([0, 2, 3, 4, 0, 0, 7, 8, 0, 0, 0, 12]);
    expect(runOp('Trilu', [x, { constant: t('i64', [], [-1]) }]).outputs[0]!.toNumbers())
      .toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12]);
  });
  it('keeps the lower triangle with upper=0; k as a graph input too', () => {
    expect(runOp('Trilu', [x], { upper: 0 }).outputs[0]!.toNumbers()).toEqual([1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0]);
    expect(runOp('Trilu', [x, t('i64', [], [2])], { upper: 0 }).outputs[0]!.toNumbers())
      .toEqual([1, 2, 3, 0, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(runOp('Trilu', [x], { upper: 0, k: -5 }).outputs[0]!.toNumbers()).toEqual(new Array(12).fill(0));
  });
  it('works per matrix of a batch, on i64 and bool, against a naive reference', () => {
    const b = iota([2, 3, 5], 'i64');
    const out = runOp('Trilu', [b], { upper: 0, k: 1 }).outputs[0]!;
    expect(out.dtype).toBe('i64');
    const naive = b.toNumbers().map((v, p) => ((p % 5) - (Math.floor(p / 5) % 3) <= 1 ? v : 0));
    expect(out.toNumbers()).toEqual(naive);
    const ones = t('bool', [3, 3], new Array(9).fill(1));
    expect(runOp('Trilu', [ones], { k: 1 }).outputs[0]!.toNumbers()).toEqual([0, 1, 1, 0, 0, 1, 0, 0, 0]);
  });
  it('keeps symbolic shapes', () => {
    const { types } = runOp('Trilu', [iota([2, 4, 4])], { upper: 0 }, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 'seq'] }] });
    expect(types[0]).toEqual({ dtype: 'f32', shape: ['batch', 'seq', 'seq'] });
  });
  it('rejects rank < 2 and a k that is not an i64 scalar', () => {
    expect(() => runOp('Trilu', [t('f32', [3], [1, 2, 3])])).toThrow("Trilu node 'test_Trilu': the input must have rank >= 2, got shape [3]");
    expect(() => runOp('Trilu', [x, t('i32', [], [1])])).toThrow("operand 'k' must be an i64 scalar, got i32[]");
  });
});

/** Naive einsum for the few equations tested: explicit loops written out per equation. */
function naiveBatchMatmulT(q: Tensor, k: Tensor): number[] {
  const [B, H, Q, D] = q.shape as number[];
  const K = k.shape[2]!;
  const a = q.toNumbers();
  const b = k.toNumbers();
  const out: number[] = [];
  for (let bi = 0; bi < B!; bi++) for (let h = 0; h < H!; h++) for (let i = 0; i < Q!; i++) for (let j = 0; j < K; j++) {
    let s = 0;
    for (let d = 0; d < D!; d++) s += a[((bi * H! + h) * Q! + i) * D! + d]! * b[((bi * H! + h) * K + j) * D! + d]!;
    out.push(s);
  }
  return out;
}

describe('Einsum', () => {
  it('contracts attention scores bhqd,bhkd->bhqk (odd sizes) like a naive loop', () => {
    const q = randomTensor('f32', [2, 3, 5, 7], 1);
    const k = randomTensor('f32', [2, 3, 6, 7], 2);
    const { outputs, types } = runOp('Einsum', [q, k], { equation: 'bhqd,bhkd->bhqk' });
    expect(types[0]!.shape).toEqual([2, 3, 5, 6]);
    expect(relL2(outputs[0]!.toNumbers(), naiveBatchMatmulT(q, k))).toBeLessThan(1e-7);
  });
  it('computes an outer product, a transpose, a trace, a diagonal and a full sum', () => {
    const a = t('f32', [3], [1, 2, 3]);
    const b = t('f32', [2], [10, 20]);
    expect(runOp('Einsum', [a, b], { equation: 'i,j->ij' }).outputs[0]!.toNumbers()).toEqual([10, 20, 20, 40, 30, 60]);
    const m = iota([2, 3]);
    expect(runOp('Einsum', [m], { equation: 'ij->ji' }).outputs[0]!.toNumbers()).toEqual([1, 4, 2, 5, 3, 6]);
    const sq = iota([3, 3]);
    expect(runOp('Einsum', [sq], { equation: 'ii' }).outputs[0]!.toNumbers()).toEqual([15]);
    expect(runOp('Einsum', [sq], { equation: 'ii->i' }).outputs[0]!.toNumbers()).toEqual([1, 5, 9]);
    expect(runOp('Einsum', [m], { equation: 'ij->' }).outputs[0]!.toNumbers()).toEqual([21]);
  });
  it('uses the implicit output (alphabetical letters used once) and ignores spaces', () => {
    const a = iota([2, 3]);
    const b = iota([3, 4]);
    const { outputs, types } = runOp('Einsum', [a, b], { equation: ' ij , jk ' });
    expect(types[0]!.shape).toEqual([2, 4]);
    expect(outputs[0]!.toNumbers()).toEqual([38, 44, 50, 56, 83, 98, 113, 128]);
    // 'ba' implicitly gives 'ab': a transpose.
    expect(runOp('Einsum', [a], { equation: 'ba' }).outputs[0]!.toNumbers()).toEqual([1, 4, 2, 5, 3, 6]);
  });
  it('broadcasts ellipsis dims and size-1 labels; sums an ellipsis the result leaves out', () => {
    const a = randomTensor('f32', [2, 1, 3, 4], 3);
    const b = randomTensor('f32', [5, 4, 2], 4);
    const { outputs, types } = runOp('Einsum', [a, b], { equation: '...ij,...jk->...ik' });
    expect(types[0]!.shape).toEqual([2, 5, 3, 2]);
    const av = a.toNumbers();
    const bv = b.toNumbers();
    const naive: number[] = [];
    for (let p = 0; p < 2; p++) for (let q = 0; q < 5; q++) for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let j = 0; j < 4; j++) s += av[(p * 3 + i) * 4 + j]! * bv[(q * 4 + j) * 2 + k]!;
      naive.push(s);
    }
    expect(relL2(outputs[0]!.toNumbers(), naive)).toBeLessThan(1e-7);
    expect(runOp('Einsum', [iota([2, 3])], { equation: '...j->j' }).outputs[0]!.toNumbers()).toEqual([5, 7, 9]);
    // A label of size 1 in one operand stretches to the other's size.
    expect(runOp('Einsum', [t('f32', [1, 2], [1, 2]), iota([3, 2])], { equation: 'ij,ij->ij' }).outputs[0]!.toNumbers())
      .toEqual([1, 4, 3, 8, 5, 12]);
  });
  it('contracts projections with 3-D weights (bnd,hde->bhne) and three operands', () => {
    const x = randomTensor('f32', [2, 5, 4], 5);
    const w = randomTensor('f32', [3, 4, 6], 6);
    const out = runOp('Einsum', [x, w], { equation: 'bnd,hde->bhne' }).outputs[0]!;
    const xv = x.toNumbers();
    const wv = w.toNumbers();
    const naive: number[] = [];
    for (let b = 0; b < 2; b++) for (let h = 0; h < 3; h++) for (let n = 0; n < 5; n++) for (let e = 0; e < 6; e++) {
      let s = 0;
      for (let d = 0; d < 4; d++) s += xv[(b * 5 + n) * 4 + d]! * wv[(h * 4 + d) * 6 + e]!;
      naive.push(s);
    }
    expect(relL2(out.toNumbers(), naive)).toBeLessThan(1e-7);
    const v = t('f32', [2], [1, 2]);
    expect(runOp('Einsum', [v, iota([2, 2]), v], { equation: 'i,ij,j->' }).outputs[0]!.toNumbers()).toEqual([1 + 4 + 6 + 16]);
  });
  it('accumulates in float64 and rounds once; integer dtypes stay exact', () => {
    const big = t('f32', [3], [1e8, 1, -1e8]);
    expect(runOp('Einsum', [big, t('f32', [3], [1, 1, 1])], { equation: 'i,i->' }).outputs[0]!.toNumbers()).toEqual([1]);
    const out = runOp('Einsum', [iota([2, 2], 'i64'), iota([2, 2], 'i64')], { equation: 'ij,jk->ik' }).outputs[0]!;
    expect(out.dtype).toBe('i64');
    expect(out.toNumbers()).toEqual([7, 10, 15, 22]);
  });
  it('infers symbolic shapes', () => {
    const q = randomTensor('f32', [2, 3, 5, 4], 7);
    const k = randomTensor('f32', [2, 3, 5, 4], 8);
    const sym = { dtype: 'f32' as const, shape: ['batch', 3, 'seq', 4] };
    expect(runOp('Einsum', [q, k], { equation: 'bhqd,bhkd->bhqk' }, { symbolicInputs: [sym, sym] }).types[0]!.shape)
      .toEqual(['batch', 3, 'seq', 'seq']);
    const r = runOp('Einsum', [t('f32', [5], [0, 1, 2, 3, 4]), t('f32', [2], [1, 2])], { equation: 'i,j->ij' },
      { symbolicInputs: [{ dtype: 'f32', shape: ['seq'] }, { dtype: 'f32', shape: [2] }] });
    expect(r.types[0]!.shape).toEqual(['seq', 2]);
  });
  it('rejects malformed equations and mismatched operands', () => {
    const a = iota([2, 3]);
    const fails = (inputs: Tensor[], equation: string, message: string) =>
      expect(() => runOp('Einsum', inputs, { equation })).toThrow(message);
    fails([a], 'ij,jk->ik', "Einsum node 'test_Einsum': equation 'ij,jk->ik' has 2 input terms, but the node has 1 operands");
    fails([a], 'ijk', "equation 'ijk': term 'ijk' does not fit operand 0 of shape [2, 3]");
    fails([a, iota([4, 2])], 'ij,jk->ik', "equation 'ij,jk->ik': label 'j' has sizes that do not match");
    fails([a], 'ii', "equation 'ii': label 'i' repeats in operand 0 of shape [2, 3] with different sizes 2 and 3");
    fails([a], 'ij->ik', "equation 'ij->ik': result label 'k' does not appear in any input term");
    fails([a], 'ij->ii', "equation 'ij->ii': the result repeats a label");
    fails([a], 'i2->i', "equation 'i2->i': unexpected character '2' in term 'i2'");
    fails([a], '...i...->i', "term '...i...' has more than one ellipsis");
    fails([a, t('i64', [2, 3], [1, 2, 3, 4, 5, 6])], 'ij,ij->', 'operand 1 has dtype i64, operand 0 has f32');
  });
});
