// The fused Attention wasm kernel against the interpreter: every layout, sequence lengths that are not multiples
// of the 4x4 blocks, Sq != Sk with causal masking (rows with no visible key are NaN), additive and bool masks
// broadcast from their own shapes, symbolic batch/seq at several values — with the default blocking and with
// small blocks (so that small shapes cross many query/key block edges), in the SIMD128 and relaxed-SIMD variants.

import { afterEach, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { dimAdd, dimEq, dimMul } from '../../compiler/ir/dim.js';
import { type Attrs, Graph, type TensorType } from '../../compiler/ir/graph.js';
import { compileWasm } from '../../backends/wasm/index.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { attentionTuning } from '../../backends/wasm/kernels/attention.js';
import { randomTensor, relL2 } from '../helpers.js';
import { type OpInput, runWasmOp } from './harness.js';

const VARIANTS = [false, true] as const;
/** Query rows x keys per block, keys per P·V iteration: the default, and small blocks with every tail. */
const BLOCKINGS = [{ bq: 32, bk: 64, unroll: 1 }, { bq: 4, bk: 8, unroll: 4 }] as const;

const DEFAULTS = { ...attentionTuning };
afterEach(() => {
  Object.assign(attentionTuning, DEFAULTS);
});

/** Runs Attention in wasm and in the interpreter; NaNs must match exactly, the rest within rel. L2 1e-5. */
async function check(inputs: OpInput[], attrs: Attrs, relaxedSimd: boolean, symbolicInputs?: (TensorType | undefined)[]) {
  const { wasm, ref, types } = await runWasmOp('Attention', inputs, attrs, { relaxedSimd, ...(symbolicInputs ? { symbolicInputs } : {}) });
  expect(wasm[0]!.shape).toEqual(ref[0]!.shape);
  const [a, b] = [wasm[0]!.toFloat64(), ref[0]!.toFloat64()];
  const live = Array.from(b.keys()).filter((i) => !Number.isNaN(b[i]!));
  expect(live.length).toBeGreaterThan(0);
  expect(relL2(live.map((i) => a[i]!), live.map((i) => b[i]!))).toBeLessThanOrEqual(1e-5);
  for (const i of b.keys()) if (Number.isNaN(b[i]!)) expect(a[i]).toBeNaN();
  return { types, nan: b.length - live.length };
}

/** A bool tensor with roughly `p` of its elements true (deterministic). */
function boolTensor(shape: number[], seed: number, p = 0.7): Tensor {
  const r = randomTensor('f32', shape, seed, 0, 1).toFloat64();
  return Tensor.fromNumbers('bool', shape, Array.from(r, (x) => (x < p ? 1 : 0)));
}

const qkv = (shape: (s: number) => number[], sq: number, sk: number, seed: number): Tensor[] =>
  [randomTensor('f32', shape(sq), seed, -2, 2), randomTensor('f32', shape(sk), seed + 1, -2, 2), randomTensor('f32', shape(sk), seed + 2, -2, 2)];

describe('Attention (wasm)', () => {
  for (const blocking of BLOCKINGS) {
    for (const relaxed of VARIANTS) {
      const tag = `blocks ${blocking.bq}x${blocking.bk}, ${relaxed ? 'relaxed' : 'simd128'}`;

      it(`layout bsd, S = 1, 3, 5, 17, 33, 130, head sizes 8 and 6 (${tag})`, async () => {
        Object.assign(attentionTuning, blocking);
        for (const [s, h, d] of [[1, 2, 8], [3, 2, 8], [5, 3, 6], [17, 2, 8], [33, 1, 6], [130, 2, 8]] as const) {
          const [q, k, v] = qkv((n) => [2, n, h * d], s, s, s);
          await check([q!, k!, v!], { num_heads: h, scale: 1 / Math.sqrt(d) }, relaxed);
        }
      });

      it(`layout sbd with Dk != Dv and odd head sizes (${tag})`, async () => {
        Object.assign(attentionTuning, blocking);
        for (const [sq, sk] of [[5, 5], [3, 17], [18, 7]] as const) {
          const q = randomTensor('f32', [sq, 2, 3 * 5], sq, -2, 2);
          const k = randomTensor('f32', [sk, 2, 3 * 5], sk + 1, -2, 2);
          const v = randomTensor('f32', [sk, 2, 3 * 7], sk + 2, -2, 2);
          await check([q, k, v], { num_heads: 3, scale: 0.4, layout: 'sbd' }, relaxed);
        }
      });

      it(`layout heads, broadcast leading dims, K plain and transposed (${tag})`, async () => {
        Object.assign(attentionTuning, blocking);
        const q = randomTensor('f32', [2, 3, 9, 8], 1, -2, 2);
        const k = randomTensor('f32', [1, 3, 13, 8], 2, -2, 2);
        const v = randomTensor('f32', [2, 1, 13, 5], 3, -2, 2);
        await check([q, k, v], { scale: 0.35, layout: 'heads' }, relaxed);
        const kT = randomTensor('f32', [3, 8, 13], 4, -2, 2); // rank 3: broadcast over the first lead dim
        await check([q, kT, v], { scale: 0.35, layout: 'heads', k_transposed: 1 }, relaxed);
        const kT16 = randomTensor('f32', [2, 3, 8, 16], 5, -2, 2); // full key blocks only
        await check([q, kT16, randomTensor('f32', [2, 3, 16, 4], 6, -2, 2)], { scale: 0.35, layout: 'heads', k_transposed: 1, causal: 1 }, relaxed);
        // No leading dims at all.
        await check([randomTensor('f32', [6, 4], 7), randomTensor('f32', [11, 4], 8), randomTensor('f32', [11, 3], 9)], { scale: 0.5, layout: 'heads' }, relaxed);
      });

      it(`causal with Sq = Sk, Sq < Sk and Sq > Sk (rows with no visible key are NaN) (${tag})`, async () => {
        Object.assign(attentionTuning, blocking);
        for (const [sq, sk] of [[17, 17], [5, 33], [1, 130], [3, 5], [9, 4], [33, 5]] as const) {
          const [q, , ] = qkv((n) => [2, n, 2 * 8], sq, sk, sq * 7 + sk);
          const [, k, v] = qkv((n) => [2, n, 2 * 8], sq, sk, sq * 3 + sk);
          const { nan } = await check([q!, k!, v!], { num_heads: 2, scale: 0.3, causal: 1 }, relaxed);
          expect(nan).toBe(sq > sk ? 2 * (sq - sk) * 16 : 0);
        }
      });

      it(`additive masks [B,1,1,Sk], [B,1,Sq,Sk], [1,H,Sq,Sk], [Sk], [Sq,1] (${tag})`, async () => {
        Object.assign(attentionTuning, blocking);
        const [B, H, D, sq, sk] = [2, 3, 8, 6, 13];
        const [q, , ] = qkv((n) => [B, n, H * D], sq, sk, 11);
        const [, k, v] = qkv((n) => [B, n, H * D], sq, sk, 12);
        for (const shape of [[B, 1, 1, sk], [B, 1, sq, sk], [1, H, sq, sk], [sk], [sq, 1]]) {
          const mask = randomTensor('f32', shape, shape.length, -6, 3);
          await check([q!, k!, v!, mask], { num_heads: H, scale: 0.3, mask_kind: 'additive' }, relaxed);
          await check([q!, k!, v!, mask], { num_heads: H, scale: 0.3, mask_kind: 'additive', causal: 1 }, relaxed);
        }
        // A padding mask of -10000 / 0 as a constant (weights image), and a row fully masked by -inf.
        const pad = Tensor.fromNumbers('f32', [B, 1, 1, sk], Array.from({ length: B * sk }, (_, i) => (i % sk >= sk - 3 - (i >= sk ? 4 : 0) ? -10000 : 0)));
        await check([q!, k!, v!, { constant: pad }], { num_heads: H, scale: 0.3, mask_kind: 'additive' }, relaxed);
        const inf = Tensor.fromNumbers('f32', [1, 1, sq, sk], Array.from({ length: sq * sk }, (_, i) => (Math.floor(i / sk) === 2 || i % 5 === 0 ? -Infinity : 0)));
        const { nan } = await check([q!, k!, v!, inf], { num_heads: H, scale: 0.3, mask_kind: 'additive' }, relaxed);
        expect(nan).toBe(B * H * D);
      });

      it(`bool keep and drop masks, broadcast and full, with causal (${tag})`, async () => {
        Object.assign(attentionTuning, blocking);
        const [B, H, D, sq, sk] = [2, 2, 8, 7, 10];
        const [q, , ] = qkv((n) => [B, n, H * D], sq, sk, 21);
        const [, k, v] = qkv((n) => [B, n, H * D], sq, sk, 22);
        for (const [n, shape] of [[0, [B, 1, 1, sk]], [1, [B, H, sq, sk]], [2, [sq, 1]]] as const) {
          const mask = boolTensor([...shape], 30 + n);
          for (const kind of ['keep', 'drop']) {
            await check([q!, k!, v!, mask], { num_heads: H, scale: 0.3, mask_kind: kind }, relaxed);
            await check([q!, k!, v!, mask], { num_heads: H, scale: 0.3, mask_kind: kind, causal: 1 }, relaxed);
          }
        }
        // Heads layout with a GPT-2-style [1, 1, Sq, Sk] keep mask (lower triangle) and one all-false row.
        const tri = Tensor.fromNumbers('bool', [1, 1, sq, sk], Array.from({ length: sq * sk }, (_, i) => (i % sk <= Math.floor(i / sk) + sk - sq && Math.floor(i / sk) !== 4 ? 1 : 0)));
        const qh = randomTensor('f32', [B, H, sq, D], 40);
        const kh = randomTensor('f32', [B, H, sk, D], 41);
        const vh = randomTensor('f32', [B, H, sk, D], 42);
        const { nan } = await check([qh, kh, vh, tri], { scale: 0.3, layout: 'heads', mask_kind: 'keep' }, relaxed);
        expect(nan).toBe(B * H * D);
      });
    }
  }

  it('symbolic batch and seq at several values (bsd with a padding mask, heads with causal)', async () => {
    for (const [batch, seq] of [[1, 1], [2, 5], [1, 17], [3, 34]] as const) {
      for (const relaxed of VARIANTS) {
        const [q, k, v] = qkv((n) => [batch, n, 2 * 8], seq, seq, seq + batch);
        const mask = randomTensor('f32', [batch, 1, 1, seq], seq, -4, 0);
        const sym: TensorType[] = [...[0, 1, 2].map(() => ({ dtype: 'f32' as const, shape: ['batch', 'seq', 16] })), { dtype: 'f32', shape: ['batch', 1, 1, 'seq'] }];
        const { types } = await check([q!, k!, v!, mask], { num_heads: 2, scale: 0.25, mask_kind: 'additive' }, relaxed, sym);
        expect(types[0]!.shape).toEqual(['batch', 'seq', 16]);
        const h = (n: number) => randomTensor('f32', [batch, 3, n, 4], n + 100 * batch);
        const symH: TensorType[] = [0, 1, 2].map(() => ({ dtype: 'f32', shape: ['batch', 3, 'seq', 4] }));
        await check([h(seq), h(seq), h(seq)], { scale: 0.5, layout: 'heads', causal: 1 }, relaxed, symH);
      }
    }
  });

  it('symbolic sequence-first (sbd) with distinct query and key lengths', async () => {
    for (const [sq, sk] of [[1, 6], [6, 1], [9, 14]] as const) {
      const q = randomTensor('f32', [sq, 2, 12], sq);
      const k = randomTensor('f32', [sk, 2, 12], sk + 50);
      const v = randomTensor('f32', [sk, 2, 12], sk + 60);
      const sym: TensorType[] = [{ dtype: 'f32', shape: ['tq', 'batch', 12] }, { dtype: 'f32', shape: ['tk', 'batch', 12] }, { dtype: 'f32', shape: ['tk', 'batch', 12] }];
      await check([q, k, v], { num_heads: 3, scale: 0.5, layout: 'sbd' }, sq % 2 === 0, sym);
    }
  });

  it('every blocking (query rows x keys per block, P·V unrolling) across block edges', async () => {
    for (const [bq, bk, unroll] of [[4, 8, 1], [8, 16, 2], [12, 24, 4], [8, 8, 1], [4, 32, 2]] as const) {
      Object.assign(attentionTuning, { bq, bk, unroll });
      for (const [sq, sk] of [[7, 7], [5, 19], [13, 6], [25, 41]] as const) {
        const [q, , ] = qkv((n) => [2, n, 2 * 8], sq, sk, sq + 3 * sk);
        const [, k, v] = qkv((n) => [2, n, 2 * 8], sq, sk, sq + 5 * sk);
        const mask = randomTensor('f32', [2, 1, sq, sk], sq * sk, -3, 1);
        await check([q!, k!, v!, mask], { num_heads: 2, scale: 0.3, mask_kind: 'additive', causal: sk % 2 }, unroll === 2);
      }
    }
    attentionTuning.bq = 6; // not a multiple of 4
    await expect(check(qkv((n) => [1, n, 8], 3, 3, 1), { num_heads: 1, scale: 0.3 }, false)).rejects.toThrow(/bq must be a multiple of 4/);
  });

  it('asks for scratch memory: an arena buffer live only for its step, in the manifest, sized from Sk and the head size', () => {
    const g = new Graph('attn');
    const b = new GraphBuilder(g, { fold: false });
    const ins = ['q', 'k', 'v'].map((n) => g.addInput(n, { dtype: 'f32', shape: ['batch', n === 'q' ? 'tq' : 'tk', 24] }));
    const [x] = b.add('Attention', ins, { num_heads: 3, scale: 0.3 }, { name: 'attn' });
    g.outputs = b.add('Relu', [x!], {}, { name: 'after' }); // a second step: the scratch must not live into it
    const { schedule, manifestWasm } = compileWasm(g, { relaxed: false });
    const step = schedule.steps[0]!;
    expect(step.op).toBe('Attention');
    const ref = step.scratch!;
    expect(ref.loc.kind).toBe('arena');
    const id = ref.loc.kind === 'arena' ? ref.loc.buffer : -1;
    const buf = schedule.buffers[id]!;
    expect([buf.firstStep, buf.lastStep, buf.label]).toEqual([0, 0, 'attn (scratch)']);
    // Fixed blocks (Q 32x8, scores 32x64, O 32x8, m/l/alpha 32 each) then K panels, (tk + 7) * 8 * 4 bytes, and
    // V panels, tk * 8 * 4 bytes.
    const fixed = 4 * (32 * 8 + 32 * 64 + 32 * 8 + 3 * 32);
    expect(dimEq(buf.bytes, dimAdd(fixed + 7 * 32, dimMul('tk', 64)))).toBe(true);
    expect(manifestWasm.buffers[id]).toEqual({ bytes: buf.bytes, first: 0, last: 0 });
    expect(schedule.steps[1]!.scratch).toBeUndefined();
  });

  it('MiniLM head size (D = 32, 12 heads) at S = 64 with a padding mask', async () => {
    const [q, k, v] = qkv((n) => [1, n, 12 * 32], 64, 64, 5);
    const mask = Tensor.fromNumbers('f32', [1, 1, 1, 64], Array.from({ length: 64 }, (_, j) => (j >= 50 ? -10000 : 0)));
    for (const relaxed of VARIANTS) await check([q!, k!, v!, mask], { num_heads: 12, scale: 1 / Math.sqrt(32), mask_kind: 'additive' }, relaxed);
  });
});
