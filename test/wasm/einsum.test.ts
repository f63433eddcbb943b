// Einsum on wasm against the interpreter: attention-style contractions (both vectorized layouts), outer products,
// transposes, diagonals, full reductions, ellipsis broadcasting, three operands, odd sizes and symbolic dims.

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../compiler/ir/tensor.js';
import type { TensorType } from '../../compiler/ir/graph.js';
import { randomTensor, relL2 } from '../helpers.js';
import { runWasmOp } from './harness.js';

async function check(equation: string, shapes: number[][], symbolic?: TensorType['shape'][], relaxedSimd = false) {
  const inputs = shapes.map((s, i) => randomTensor('f32', s, 17 * i + s.length + s.reduce((a, b) => a + b, 0), -2, 2));
  const { wasm, ref, types } = await runWasmOp('Einsum', inputs, { equation }, {
    relaxedSimd,
    symbolicInputs: symbolic?.map((shape) => ({ dtype: 'f32', shape })),
  });
  expect(wasm[0]!.shape).toEqual(ref[0]!.shape);
  expect(relL2(wasm[0]!.toFloat64(), ref[0]!.toFloat64()), equation).toBeLessThanOrEqual(1e-6);
  return types[0]!;
}

describe('Einsum', () => {
  const cases: [string, number[][]][] = [
    ['bhqd,bhkd->bhqk', [[2, 3, 5, 7], [2, 3, 6, 7]]], // dot: d contiguous in both
    ['bhqk,bhkd->bhqd', [[2, 3, 5, 6], [2, 3, 6, 9]]], // axpy over d
    ['bnd,hde->bhne', [[2, 5, 6], [3, 6, 11]]],
    ['bhnd,hde->bne', [[2, 3, 5, 6], [3, 6, 7]]], // two summed labels
    ['i,j->ij', [[7], [13]]],
    ['ii->i', [[6, 6]]],
    ['ii', [[5, 5]]], // implicit output: the trace
    ['...ij,...jk->...ik', [[2, 3, 4, 5], [3, 5, 6]]], // ellipsis with broadcasting (2 vs absent)
    ['...ij,...jk->...ik', [[2, 1, 4, 5], [3, 5, 6]]], // size-1 ellipsis dim broadcasts
    ['ij->ji', [[5, 9]]],
    ['ij->', [[7, 11]]],
    ['ij->', [[2, 3]]],
    ['ij,ij->i', [[3, 10], [3, 10]]],
    ['ij,j->i', [[4, 9], [9]]],
    ['bij,bjk,bkl->bil', [[2, 3, 4], [2, 4, 5], [2, 5, 6]]], // three operands
    ['i,i->', [[37], [37]]],
    ['ik,jk->ij', [[3, 1], [4, 1]]],
    ['i->i', [[1]]],
  ];
  for (const [eq, shapes] of cases) {
    it(`${eq} on ${shapes.map((s) => `[${s}]`).join(', ')}`, async () => {
      await check(eq, shapes);
      await check(eq, shapes, undefined, true);
    });
  }

  it('hand-computed: matrix product, trace, outer product', async () => {
    const a = Tensor.fromNumbers('f32', [2, 2], [1, 2, 3, 4]);
    const b = Tensor.fromNumbers('f32', [2, 2], [5, 6, 7, 8]);
    expect(Array.from((await runWasmOp('Einsum', [a, b], { equation: 'ij,jk->ik' })).wasm[0]!.toFloat64())).toEqual([19, 22, 43, 50]);
    expect(Array.from((await runWasmOp('Einsum', [a], { equation: 'ii->' })).wasm[0]!.toFloat64())).toEqual([5]);
    const u = Tensor.fromNumbers('f32', [2], [1, 2]);
    const v = Tensor.fromNumbers('f32', [3], [3, 4, 5]);
    expect(Array.from((await runWasmOp('Einsum', [u, v], { equation: 'i,j->ij' })).wasm[0]!.toFloat64())).toEqual([3, 4, 5, 6, 8, 10]);
  });

  it('symbolic batch and sequence dims at several values', async () => {
    for (const seq of [1, 3, 8, 13]) {
      const t = await check('bhqd,bhkd->bhqk', [[2, 2, seq, 8], [2, 2, seq, 8]], [['batch', 2, 'seq', 8], ['batch', 2, 'seq', 8]]);
      expect(t.shape).toEqual(['batch', 2, 'seq', 'seq']);
      const u = await check('bhqk,bhkd->bhqd', [[1, 2, seq, seq], [1, 2, seq, 5]], [['batch', 2, 'seq', 'seq'], ['batch', 2, 'seq', 5]]);
      expect(u.shape).toEqual(['batch', 2, 'seq', 5]);
      const w = await check('i,j->ij', [[seq], [6]], [['seq'], [6]]);
      expect(w.shape).toEqual(['seq', 6]);
      await check('bnd,hde->bhne', [[2, seq, 6], [3, 6, 10]], [['batch', 'seq', 6], [3, 6, 10]]);
    }
  });

  it('a larger contraction stays within f32 accumulation error', async () => {
    await check('bhqd,bhkd->bhqk', [[1, 2, 33, 64], [1, 2, 31, 64]]);
    await check('bhqk,bhkd->bhqd', [[1, 2, 17, 130], [1, 2, 130, 19]]);
  });
});
