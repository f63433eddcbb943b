// The WebGPU flash-style Attention kernel against the interpreter: layouts, masks, causal offsets, tile edges, symbolic dims.

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../compiler/ir/tensor.js';
import type { CompiledWebGpu } from '../../backends/webgpu/index.js';
import { attentionFloats, chooseAttentionTile } from '../../backends/webgpu/kernels/attention.js';
import { randomTensor } from '../helpers.js';
import { checkOp, compileWebGpu, gpuUnavailable, oneNode } from './gpu.js';

/**
 * Runs Attention on the interpreter and the GPU: NaN exactly where the reference has NaN (rows with every key
 * dropped), rel. L2 <= 2e-6 elsewhere. Returns the compiled graph and the number of NaN elements.
 */
async function check(inputs: Parameters<typeof oneNode>[1], attrs: Parameters<typeof oneNode>[2], symbolic?: Parameters<typeof oneNode>[3]): Promise<{ c: CompiledWebGpu; nans: number }> {
  const { c, got } = await checkOp('Attention', inputs, attrs, { symbolic });
  return { c, nans: Array.from(got[0]!.toFloat64(), Number.isNaN).filter(Boolean).length };
}

const r = randomTensor;
const source = (c: CompiledWebGpu): string => Object.values(c.shaders)[0]!;
/** A bool mask with a fixed pattern (never all-true, never all-false). */
const boolMask = (shape: number[], every = 3): Tensor =>
  Tensor.fromNumbers('bool', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % every === 0 ? 0 : 1)));

describe('attention tile choice', () => {
  it('the largest blocks within 16 KiB, no larger than static Sq / Sk need', () => {
    expect(chooseAttentionTile(64, 64, 's', 's')).toEqual({ bq: 32, bk: 16 });
    expect(chooseAttentionTile(8, 8, 's', 's')).toEqual({ bq: 32, bk: 32 });
    expect(chooseAttentionTile(128, 128, 's', 's')).toEqual({ bq: 16, bk: 8 });
    expect(chooseAttentionTile(256, 256, 's', 's')).toEqual({ bq: 8, bk: 4 });
    expect(chooseAttentionTile(64, 64, 1, 100)).toEqual({ bq: 1, bk: 32 });
    expect(chooseAttentionTile(64, 64, 5, 7)).toEqual({ bq: 8, bk: 8 });
    for (const d of [1, 3, 8, 63, 64, 100, 128, 200, 256]) expect(attentionFloats(chooseAttentionTile(d, d, 's', 's'), d, d) * 4).toBeLessThanOrEqual(16384);
  });
});

describe.skipIf(gpuUnavailable)('webgpu attention', () => {
  it('bsd across query blocks and key tiles (Sq = 35, Sk = 37, 32 x 32 tiles): causal (Sq < Sk) with an additive mask; keep mask', async () => {
    const [q, k, v] = [r('f32', [2, 35, 8], 1), r('f32', [2, 37, 8], 2), r('f32', [2, 37, 12], 3)];
    const { c } = await check([q, k, v, r('f32', [2, 1, 1, 37], 4, -3, 3)], { num_heads: 2, scale: 0.5, mask_kind: 'additive', causal: 1 });
    expect(source(c)).toContain('let kEnd = u32(clamp(');
    await check([q, k, v, boolMask([2, 1, 35, 37])], { num_heads: 2, scale: 0.5, mask_kind: 'keep' });
  });
  it('bsd masks broadcast from every rank (per head, [Sq, Sk], [Sk])', async () => {
    const [q, k, v] = [r('f32', [2, 5, 8], 1), r('f32', [2, 7, 8], 2), r('f32', [2, 7, 12], 3)];
    await check([q, k, v, r('f32', [2, 2, 5, 7], 5, -3, 3)], { num_heads: 2, scale: 0.5, mask_kind: 'additive' });
    await check([q, k, v, boolMask([5, 7], 4)], { num_heads: 2, scale: 0.5, mask_kind: 'drop' });
    await check([q, k, v, boolMask([7], 2)], { num_heads: 4, scale: 0.5, mask_kind: 'drop' });
  });
  it('additive masks with -inf and float-min entries; rows with every key dropped are NaN', async () => {
    const [q, k, v] = [r('f32', [1, 3, 4], 1), r('f32', [1, 6, 4], 2), r('f32', [1, 6, 4], 3)];
    const min = -3.4028234663852886e38;
    // Row 0: two keys -inf; row 1: every key -inf (NaN); row 2: every key at float min (a uniform average, not NaN).
    const add = Tensor.fromNumbers('f32', [3, 6], [0, -Infinity, 1, -Infinity, 0.5, 0, ...new Array<number>(6).fill(-Infinity), ...new Array<number>(6).fill(min)]);
    expect((await check([q, k, v, add], { num_heads: 1, scale: 0.5, mask_kind: 'additive' })).nans).toBe(4);
    const keep = Tensor.fromNumbers('bool', [1, 1, 3, 6], [1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect((await check([q, k, v, keep], { num_heads: 1, scale: 0.5, mask_kind: 'keep' })).nans).toBe(4);
  });
  it('causal with Sq > Sk (leading rows see no key: NaN) and with a mask', async () => {
    const qk = (sq: number, sk: number) => [r('f32', [2, sq, 8], 1), r('f32', [2, sk, 8], 2), r('f32', [2, sk, 8], 3)];
    expect((await check(qk(9, 4), { num_heads: 2, scale: 0.5, causal: 1 })).nans).toBe(2 * 5 * 8);
    await check([...qk(6, 9), boolMask([2, 1, 1, 9], 4)], { num_heads: 2, scale: 0.5, causal: 1, mask_kind: 'keep' });
  });
  it('sbd, odd head sizes (scalar path), Dk != Dv', async () => {
    await check([r('f32', [5, 2, 8], 1), r('f32', [7, 2, 8], 2), r('f32', [7, 2, 8], 3)], { num_heads: 2, scale: 0.5, layout: 'sbd' });
    await check([r('f32', [5, 3, 10], 1), r('f32', [7, 3, 10], 2), r('f32', [7, 3, 6], 3), boolMask([3, 1, 5, 7])], { num_heads: 2, scale: 0.5, layout: 'sbd', causal: 1, mask_kind: 'drop' });
    await check([r('f32', [2, 5, 12], 1), r('f32', [2, 9, 12], 2), r('f32', [2, 9, 20], 3)], { num_heads: 2, scale: 0.5 });
  });
  it('heads: [B, H, S, D], broadcast leading dims, k_transposed, rank 2, masks', async () => {
    await check([r('f32', [2, 3, 5, 8], 1), r('f32', [2, 3, 7, 8], 2), r('f32', [2, 3, 7, 4], 3)], { layout: 'heads', scale: 0.35 });
    await check([r('f32', [2, 3, 5, 8], 1), r('f32', [2, 1, 7, 8], 2), r('f32', [1, 3, 7, 8], 3), boolMask([2, 1, 5, 7])], { layout: 'heads', scale: 0.35, mask_kind: 'keep' });
    await check([r('f32', [2, 3, 5, 6], 1), r('f32', [2, 3, 6, 9], 2), r('f32', [2, 3, 9, 5], 3), r('f32', [9], 4)], { layout: 'heads', scale: 0.35, k_transposed: 1, mask_kind: 'additive', causal: 1 });
    await check([r('f32', [3, 5, 8], 1), r('f32', [1, 8, 11], 2), r('f32', [3, 11, 8], 3)], { layout: 'heads', scale: 0.2, k_transposed: 1 });
    await check([r('f32', [6, 4], 1), r('f32', [11, 4], 2), r('f32', [11, 4], 3)], { layout: 'heads', scale: 0.5, causal: 1 });
  });
  it('symbolic batch and sequence lengths (bsd causal with mask, heads)', async () => {
    await check([r('f32', [2, 5, 8], 1), r('f32', [2, 33, 8], 2), r('f32', [2, 33, 8], 3), boolMask([2, 1, 1, 33], 5)], { num_heads: 2, scale: 0.5, causal: 1, mask_kind: 'keep' },
      [{ dtype: 'f32', shape: ['b', 'q', 8] }, { dtype: 'f32', shape: ['b', 'k', 8] }, { dtype: 'f32', shape: ['b', 'k', 8] }, { dtype: 'bool', shape: ['b', 1, 1, 'k'] }]);
    await check([r('f32', [1, 2, 3, 4], 1), r('f32', [1, 2, 7, 4], 2), r('f32', [1, 2, 7, 4], 3)], { layout: 'heads', scale: 0.5 },
      [{ dtype: 'f32', shape: ['b', 2, 'q', 4] }, { dtype: 'f32', shape: ['b', 2, 'k', 4] }, { dtype: 'f32', shape: ['b', 2, 'k', 4] }]);
  });
  it('head size 256 (8 x 4 tiles) and its limit', async () => {
    await check([r('f32', [1, 8, 256], 1), r('f32', [1, 9, 256], 2), r('f32', [1, 9, 256], 3)], { num_heads: 1, scale: 0.06, causal: 1 });
    const { graph } = oneNode('Attention', [r('f32', [2, 264], 1), r('f32', [3, 264], 2), r('f32', [3, 8], 3)], { layout: 'heads', scale: 0.1 });
    expect(() => compileWebGpu(graph)).toThrow(/head sizes must be static and at most 256, got Dk = 264, Dv = 8/);
  });
});
