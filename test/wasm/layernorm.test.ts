// LayerNormalization and BatchNormalization wasm kernels against the interpreter (f64): hidden sizes 1..1025,
// axis over several trailing dims, single-value scale / bias, no bias, the Mean / InvStdDev outputs, inputs with
// a large common offset (the accuracy the f64 mean buys), symbolic dims — in both module variants.

import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../compiler/ir/graph.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor, relL2 } from '../helpers.js';
import { type OpInput, runWasmOp } from './harness.js';

const VARIANTS = [false, true] as const;

async function check(op: string, inputs: OpInput[], attrs: object, relaxedSimd: boolean, numOutputs = 1, symbolicInputs?: TensorType[], tol = 1e-5) {
  const { wasm, ref, types } = await runWasmOp(op, inputs, attrs as never, { relaxedSimd, numOutputs, ...(symbolicInputs ? { symbolicInputs } : {}) });
  const errors = wasm.map((w, k) => {
    expect(w.shape).toEqual(ref[k]!.shape);
    return relL2(w.toFloat64(), ref[k]!.toFloat64());
  });
  for (const e of errors) expect(e).toBeLessThanOrEqual(tol);
  return { errors, types };
}

const f32 = (shape: number[], seed: number, lo = -2, hi = 2): Tensor => randomTensor('f32', shape, seed, lo, hi);

describe('LayerNormalization', () => {
  for (const relaxed of VARIANTS) {
    it(`hidden sizes 1, 3, 5, 17, 32, 33, 384, 385, 1024, 1025 with scale and bias (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
      for (const h of [1, 3, 5, 17, 32, 33, 384, 385, 1024, 1025]) {
        await check('LayerNormalization', [f32([3, h], h), f32([h], h + 1, 0.5, 1.5), f32([h], h + 2)], { epsilon: 1e-5 }, relaxed);
      }
    });
    it(`axis over several dims, negative axis, scalar scale / bias, no bias, Mean and InvStdDev (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
      await check('LayerNormalization', [f32([2, 3, 5], 1), f32([3, 5], 2), f32([3, 5], 3)], { axis: 1 }, relaxed, 3);
      await check('LayerNormalization', [f32([2, 3, 5], 4), f32([3, 5], 5)], { axis: -2 }, relaxed, 2);
      await check('LayerNormalization', [f32([4, 7], 6), f32([1], 7), f32([1], 8)], { axis: -1, epsilon: 1e-3 }, relaxed, 3);
      await check('LayerNormalization', [f32([2, 3, 4], 9), { constant: f32([4], 10) }, { constant: f32([4], 11) }], { axis: 2 }, relaxed);
      await check('LayerNormalization', [f32([6, 5], 12), f32([6, 5], 13)], { axis: 0 }, relaxed, 3); // one row
    });
  }

  it('accuracy: rel. L2 against the f64 reference at hidden 32..1024, also with a large common offset', async () => {
    const worst: Record<string, number> = {};
    for (const h of [32, 33, 128, 384, 768, 1024]) {
      for (const [name, lo, hi] of [['centered', -2, 2], ['offset', 50, 52], ['offset', 1000, 1002]] as const) {
        for (const relaxed of VARIANTS) {
          const { errors } = await check('LayerNormalization', [f32([8, h], h, lo, hi), f32([h], 2, 0.5, 1.5), f32([h], 3)], {}, relaxed, 3);
          worst[name] = Math.max(worst[name] ?? 0, ...errors);
        }
      }
    }
    // Measured (worst over sizes, variants and the three outputs): 6e-8 centered and with offsets 50 and 1000
    // (the mean kept as an f32 pair; with a single f32 mean the offset-1000 case was 2e-5).
    expect(worst.centered!).toBeLessThanOrEqual(2e-7);
    expect(worst.offset!).toBeLessThanOrEqual(2e-7);
  });

  it('symbolic dims at several values', async () => {
    for (const seq of [1, 3, 17]) {
      const sym: TensorType[] = [{ dtype: 'f32', shape: ['batch', 'seq', 33] }];
      const { types } = await check('LayerNormalization', [f32([2, seq, 33], seq), { constant: f32([33], 1) }, { constant: f32([33], 2) }], {}, seq === 3, 3, sym);
      expect(types[0]!.shape).toEqual(['batch', 'seq', 33]);
      expect(types[1]!.shape).toEqual(['batch', 'seq', 1]);
    }
  });
});

describe('BatchNormalization (inference)', () => {
  for (const relaxed of VARIANTS) {
    it(`2-D, 1-D and channel-only inputs, running statistics passed through (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
      for (const shape of [[2, 3, 5, 7], [1, 4, 17], [3, 6], [2, 5, 1, 1]]) {
        const c = shape[1]!;
        const ops = [f32(shape, c), f32([c], 1, 0.5, 1.5), f32([c], 2), f32([c], 3), f32([c], 4, 0.1, 2)];
        await check('BatchNormalization', ops, { epsilon: 1e-3 }, relaxed);
        await check('BatchNormalization', [ops[0]!, ...ops.slice(1).map((t) => ({ constant: t }))], {}, relaxed, 3);
      }
    });
  }
  it('symbolic batch and spatial dims', async () => {
    for (const h of [1, 5]) {
      const sym: TensorType[] = [{ dtype: 'f32', shape: ['n', 3, 'h', 6] }];
      await check('BatchNormalization', [f32([2, 3, h, 6], h), f32([3], 1), f32([3], 2), f32([3], 3), f32([3], 4, 0.1, 2)], {}, false, 1, sym);
    }
  });
});
