// The SkipLayerNormalization wasm kernel (the skip / bias add fused into LayerNorm's row pass) against the
// interpreter: hidden sizes that are not multiples of 4 / 8, with and without beta and bias, the optional sum
// output, skip broadcast by repeated rows ([S, H] over [B, S, H], [H]), symbolic dims, both SIMD variants.

import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../compiler/ir/graph.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor, relL2 } from '../helpers.js';
import { type OpInput, relaxedSimdAvailable, runWasmOp } from './harness.js';

const variants = [false, ...(relaxedSimdAvailable() ? [true] : [])];
let seed = 1;
const rand = (shape: number[], lo = -2, hi = 2): Tensor => randomTensor('f32', shape, seed++, lo, hi);

async function check(inputs: OpInput[], relaxedSimd: boolean, numOutputs: 1 | 2, attrs: Record<string, number> = {}, symbolicInputs?: (TensorType | undefined)[]) {
  const { wasm, ref, types } = await runWasmOp('SkipLayerNormalization', inputs, attrs as never, { relaxedSimd, numOutputs, ...(symbolicInputs ? { symbolicInputs } : {}) });
  wasm.forEach((w, k) => {
    expect(w.shape).toEqual(ref[k]!.shape);
    expect(relL2(w.toFloat64(), ref[k]!.toFloat64()), `output ${k}`).toBeLessThanOrEqual(1e-5);
  });
  return types;
}

/** X [rows..., H], skip, gamma, optional beta and bias (constants, as after fusion). */
function operands(xShape: number[], skipShape: number[], beta: boolean, bias: boolean): OpInput[] {
  const h = xShape[xShape.length - 1]!;
  return [rand(xShape), rand(skipShape), { constant: rand([h], 0.5, 1.5) }, beta ? { constant: rand([h]) } : null, bias ? { constant: rand([h]) } : null];
}

for (const relaxed of variants) {
  describe(`SkipLayerNormalization (${relaxed ? 'relaxed' : 'simd128'})`, () => {
    it('hidden 1, 3, 5, 8, 17, 33, 384, 385 with beta and bias, Y and sum', async () => {
      for (const h of [1, 3, 5, 8, 17, 33, 384, 385]) await check(operands([3, h], [3, h], true, true), relaxed, 2, { epsilon: 1e-5 });
    });
    it('without beta / bias, with and without the sum output', async () => {
      for (const [beta, bias] of [[false, false], [true, false], [false, true]] as const) {
        for (const n of [1, 2] as const) await check(operands([2, 5, 13], [2, 5, 13], beta, bias), relaxed, n, { epsilon: 1e-3 });
      }
    });
    it('skip broadcast by rows: [S, H] over [B, S, H], [H], [1, 1, H]', async () => {
      await check(operands([2, 5, 13], [5, 13], true, true), relaxed, 2);
      await check(operands([2, 5, 13], [13], true, false), relaxed, 2);
      await check(operands([2, 5, 13], [1, 1, 13], false, true), relaxed, 1);
    });
    it('symbolic batch and seq at several values', async () => {
      for (const seq of [1, 3, 17]) {
        const types = await check(operands([2, seq, 37], [2, seq, 37], true, true), relaxed, 2, {},
          [{ dtype: 'f32', shape: ['batch', 'seq', 37] }, { dtype: 'f32', shape: ['batch', 'seq', 37] }]);
        expect(types.map((t) => t.shape)).toEqual([['batch', 'seq', 37], ['batch', 'seq', 37]]);
      }
    });
    it('rows with a large common offset keep their accuracy (the mean as an f32 pair)', async () => {
      const h = 384;
      await check([rand([4, h], 100, 102), rand([4, h], -1, 1), { constant: rand([h], 0.5, 1.5) }, { constant: rand([h]) }, { constant: rand([h]) }], relaxed, 2);
    });
  });
}

describe('SkipLayerNormalization check', () => {
  it('rejects a skip broadcast along a middle axis', async () => {
    await expect(runWasmOp('SkipLayerNormalization', operands([2, 5, 13], [2, 1, 13], true, true), {}, { numOutputs: 1 })).rejects.toThrow(/middle axis/);
  });
});
