// Hardmax on wasm against the interpreter: every axis, ties (the first wins), NaN and -inf rows, symbolic dims.

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor } from '../helpers.js';
import { runWasmOp } from './harness.js';

describe('Hardmax', () => {
  it('every axis of [3, 5, 7] (incl. negative axes) equals the reference', async () => {
    const x = randomTensor('f32', [3, 5, 7], 1, -3, 3);
    for (const axis of [0, 1, 2, -1, -2]) {
      const { wasm, ref } = await runWasmOp('Hardmax', [x], { axis });
      expect(Array.from(wasm[0]!.toFloat64())).toEqual(Array.from(ref[0]!.toFloat64()));
    }
  });
  it('hand-computed: ties pick the first, NaN never wins, an all -inf row picks the first', async () => {
    const x = Tensor.fromNumbers('f32', [4, 3], [1, 3, 3, NaN, 2, 5, -Infinity, -Infinity, -Infinity, 2, NaN, 1]);
    const { wasm, ref } = await runWasmOp('Hardmax', [x], { axis: 1 });
    expect(Array.from(wasm[0]!.toFloat64())).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(ref[0]!.toFloat64())).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0]);
  });
  it('a symbolic dim at several values', async () => {
    for (const seq of [1, 4, 9]) {
      const { wasm, ref, types } = await runWasmOp('Hardmax', [randomTensor('f32', [2, seq, 6], seq, -1, 1)], { axis: -1 }, {
        symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 6] }],
      });
      expect(types[0]!.shape).toEqual(['batch', 'seq', 6]);
      expect(Array.from(wasm[0]!.toFloat64())).toEqual(Array.from(ref[0]!.toFloat64()));
    }
  });
});
