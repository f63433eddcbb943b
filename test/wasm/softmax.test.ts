// Softmax / LogSoftmax wasm kernels against the interpreter: last-axis rows (tails of 1..3 lanes), other axes
// (negative too) through the strided path, masked (-inf) entries and fully masked rows, large logits, symbolic
// dims — in the SIMD128 and relaxed-SIMD module variants.

import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor, relL2 } from '../helpers.js';
import { runWasmOp } from './harness.js';

const VARIANTS = [false, true] as const;

async function check(op: string, x: Tensor, axis: number, relaxedSimd: boolean, symbolicInputs?: TensorType[]) {
  const { wasm, ref, types } = await runWasmOp(op, [x], { axis }, { relaxedSimd, ...(symbolicInputs ? { symbolicInputs } : {}) });
  expect(wasm[0]!.shape).toEqual(ref[0]!.shape);
  const [a, b] = [wasm[0]!.toFloat64(), ref[0]!.toFloat64()];
  // Compare finite entries by rel. L2; non-finite ones (masked log-softmax, NaN rows) exactly.
  const finite = Array.from(b.keys()).filter((i) => Number.isFinite(b[i]!));
  expect(relL2(finite.map((i) => a[i]!), finite.map((i) => b[i]!))).toBeLessThanOrEqual(2e-6);
  for (const i of b.keys()) if (!Number.isFinite(b[i]!)) expect(a[i]).toBe(b[i]);
  return types;
}

describe('Softmax, LogSoftmax', () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const relaxed of VARIANTS) {
      it(`${op} along the last axis, rows of 1, 3, 5, 17, 33, 385 (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
        for (const n of [1, 3, 5, 17, 33, 385]) await check(op, randomTensor('f32', [3, n], n, -8, 8), -1, relaxed);
        await check(op, randomTensor('f32', [2, 3, 4, 7], 5, -8, 8), 3, relaxed);
      });
      it(`${op} along other axes (strided path, inner widths 1..9) (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
        await check(op, randomTensor('f32', [5, 17], 1, -5, 5), 0, relaxed);
        await check(op, randomTensor('f32', [2, 7, 9], 2, -5, 5), 1, relaxed);
        await check(op, randomTensor('f32', [2, 7, 3], 3, -5, 5), -2, relaxed);
        await check(op, randomTensor('f32', [3, 4, 5, 2], 4, -5, 5), -3, relaxed);
      });
    }
    it(`${op}: large logits, masked entries, and a fully masked row`, async () => {
      for (const relaxed of VARIANTS) {
        await check(op, randomTensor('f32', [4, 37], 6, 50, 80), -1, relaxed);
        const v = Array.from(randomTensor('f32', [4, 13], 7, -3, 3).toFloat64());
        for (let i = 0; i < v.length; i++) if (i % 3 === 0 || (i >= 13 && i < 26)) v[i] = -Infinity; // row 1 fully masked
        const x = Tensor.fromNumbers('f32', [4, 13], v);
        await check(op, x, -1, relaxed);
        await check(op, x, 0, relaxed);
        const { wasm } = await runWasmOp(op, [x], { axis: -1 }, { relaxedSimd: relaxed });
        const y = wasm[0]!.toFloat64();
        if (op === 'Softmax') {
          expect(y[0]).toBe(0); // masked entry of a live row
          expect(Number.isNaN(y[13]!)).toBe(true); // fully masked row: NaN as in the reference
        }
      }
    });
    it(`${op} with symbolic dims at several values`, async () => {
      for (const seq of [1, 3, 17]) {
        const sym: TensorType[] = [{ dtype: 'f32', shape: ['batch', 2, 'seq', 'seq'] }];
        const types = await check(op, randomTensor('f32', [1, 2, seq, seq], seq, -4, 4), -1, seq % 2 === 1, sym);
        expect(types[0]!.shape).toEqual(['batch', 2, 'seq', 'seq']);
        await check(op, randomTensor('f32', [2, 2, seq, seq], seq + 1, -4, 4), 2, false, sym);
      }
    });
  }
});
