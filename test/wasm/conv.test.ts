// Conv wasm kernels against the interpreter: the implicit-GEMM path (constant weights, no padding, groups 1:
// ViT patch embedding with stride = kernel, overlapping and dilated windows, 1-D), with pixel counts and output
// channels that are not multiples of the 4 x 8 tile and that cross the 64-pixel chunk; the direct path (pads,
// strides, dilations, groups, auto_pad, weights given at run time); symbolic dims — in both module variants.

import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../compiler/ir/graph.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { compileWasm } from '../../backends/wasm/index.js';
import { randomTensor, relL2 } from '../helpers.js';
import { type OpInput, runWasmOp } from './harness.js';

const VARIANTS = [false, true] as const;
const f32 = (shape: number[], seed: number): Tensor => randomTensor('f32', shape, seed, -1, 1);

/** Runs Conv; returns the name of the kernel function used ('igemm' or 'direct'). */
async function check(inputs: OpInput[], attrs: object, relaxedSimd: boolean, symbolicInputs?: TensorType[]): Promise<string> {
  const { wasm, ref, graph, types } = await runWasmOp('Conv', inputs, attrs as never, { relaxedSimd, ...(symbolicInputs ? { symbolicInputs } : {}) });
  expect(wasm[0]!.shape).toEqual(ref[0]!.shape);
  expect(relL2(wasm[0]!.toFloat64(), ref[0]!.toFloat64())).toBeLessThanOrEqual(2e-6);
  if (symbolicInputs) expect(types[0]!.shape[0]).toBe(symbolicInputs[0]!.shape[0]);
  return /xfc_conv_igemm/.test(compileWasm(graph, { relaxed: false }).simd.text) ? 'igemm' : 'direct';
}

describe('Conv, implicit GEMM (constant weights, no padding, groups 1)', () => {
  for (const relaxed of VARIANTS) {
    it(`ViT-style patch embedding, stride = kernel, with and without bias (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
      // 5x5 = 25 pixels, 13 channels (one full panel + 5); 9x9 = 81 pixels cross the 64-pixel chunk; 8 and 3 channels.
      for (const [x, m, k, bias] of [[[2, 3, 20, 20], 13, 4, true], [[1, 3, 72, 72], 8, 8, false], [[1, 2, 9, 9], 3, 3, true], [[1, 3, 16, 16], 17, 16, true]] as [number[], number, number, boolean][]) {
        const w = { constant: f32([m, x[1]!, k, k], m) };
        const inputs: OpInput[] = [f32(x, k), w, ...(bias ? [{ constant: f32([m], 3) }] : [])];
        expect(await check(inputs, { strides: [k, k] }, relaxed)).toBe('igemm');
      }
    });
    it(`overlapping, strided, dilated and rectangular windows; 1-D; bias as a run-time input (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
      expect(await check([f32([1, 4, 11, 9], 1), { constant: f32([6, 4, 3, 2], 2) }, f32([6], 3)], {}, relaxed)).toBe('igemm');
      expect(await check([f32([2, 3, 13, 12], 4), { constant: f32([9, 3, 3, 3], 5) }], { strides: [2, 3], dilations: [2, 1] }, relaxed)).toBe('igemm');
      expect(await check([f32([2, 5, 37], 6), { constant: f32([7, 5, 4], 7) }, { constant: f32([7], 8) }], { strides: [2] }, relaxed)).toBe('igemm');
      // pads given but never read (VALID); the end remainder that the floor drops
      expect(await check([f32([1, 2, 10, 10], 9), { constant: f32([5, 2, 3, 3], 10) }], { strides: [3, 3], auto_pad: 'VALID' }, relaxed)).toBe('igemm');
    });
  }
  it('symbolic batch at several values', async () => {
    for (const n of [1, 2, 3]) {
      const sym: TensorType[] = [{ dtype: 'f32', shape: ['n', 3, 12, 12] }];
      expect(await check([f32([n, 3, 12, 12], n), { constant: f32([10, 3, 4, 4], 1) }, { constant: f32([10], 2) }], { strides: [4, 4] }, n === 2, sym)).toBe('igemm');
    }
  });
});

describe('Conv, direct loop', () => {
  for (const relaxed of VARIANTS) {
    it(`pads, strides, dilations, groups, auto_pad, run-time weights (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
      const cases: [OpInput[], object][] = [
        [[f32([2, 3, 7, 8], 1), { constant: f32([5, 3, 3, 3], 2) }, { constant: f32([5], 3) }], { pads: [1, 1, 1, 1] }],
        [[f32([1, 4, 9, 7], 4), { constant: f32([6, 2, 3, 2], 5) }], { group: 2, pads: [0, 1, 2, 0], strides: [2, 1] }],
        [[f32([1, 4, 8, 8], 6), { constant: f32([4, 1, 3, 3], 7) }, { constant: f32([4], 8) }], { group: 4, pads: [1, 1, 1, 1], dilations: [2, 2] }],
        [[f32([2, 3, 9, 10], 9), { constant: f32([5, 3, 3, 3], 10) }], { auto_pad: 'SAME_UPPER', strides: [2, 2] }],
        [[f32([1, 2, 6, 5], 11), { constant: f32([3, 2, 2, 2], 12) }], { auto_pad: 'SAME_LOWER' }],
        [[f32([2, 6, 17], 13), { constant: f32([4, 3, 5], 14) }, { constant: f32([4], 15) }], { group: 2, pads: [2, 2], strides: [2] }],
        [[f32([1, 3, 12, 12], 16), f32([7, 3, 4, 4], 17), f32([7], 18)], { strides: [4, 4] }], // weights at run time
      ];
      for (const [inputs, attrs] of cases) expect(await check(inputs, attrs, relaxed)).toBe('direct');
    });
  }
  it('symbolic batch and length (1-D, same padding)', async () => {
    for (const l of [1, 4, 9]) {
      const sym: TensorType[] = [{ dtype: 'f32', shape: ['n', 4, 'l'] }];
      expect(await check([f32([2, 4, l], l), { constant: f32([3, 4, 3], 1) }, { constant: f32([3], 2) }], { pads: [1, 1] }, false, sym)).toBe('direct');
    }
  });
});
