// Reference semantics of the fused ops (Attention, Linear, SkipLayerNormalization) against the unfused graphs.

import { describe, expect, it } from 'vitest';
import { runOp, randomTensor, relL2, t } from '../helpers.js';
import type { Tensor } from '../../compiler/ir/tensor.js';

/** The unfused computation: softmax(scale·q·kᵀ + mask) · v with heads split from [B, S, H·D]. */
function naiveAttention(q: Tensor, k: Tensor, v: Tensor, heads: number, scale: number, mask?: (b: number, h: number, i: number, j: number) => number, causal = false): number[] {
  const [B, Sq, E] = q.shape as [number, number, number];
  const Sk = k.shape[1]!;
  const Ev = v.shape[2]!;
  const [D, Dv] = [E / heads, Ev / heads];
  const [qv, kv, vv] = [q.toFloat64(), k.toFloat64(), v.toFloat64()];
  const out = new Array<number>(B * Sq * Ev).fill(0);
  for (let b = 0; b < B; b++) for (let h = 0; h < heads; h++) for (let i = 0; i < Sq; i++) {
    const s: number[] = [];
    for (let j = 0; j < Sk; j++) {
      let acc = 0;
      for (let d = 0; d < D; d++) acc += qv[(b * Sq + i) * E + h * D + d]! * kv[(b * Sk + j) * E + h * D + d]!;
      let x = acc * scale + (mask ? mask(b, h, i, j) : 0);
      if (causal && j > i + Sk - Sq) x = -Infinity;
      s.push(x);
    }
    const m = Math.max(...s);
    const e = s.map((x) => Math.exp(x - m));
    const sum = e.reduce((a, x) => a + x, 0);
    for (let d = 0; d < Dv; d++) {
      let acc = 0;
      for (let j = 0; j < Sk; j++) acc += (e[j]! / sum) * vv[(b * Sk + j) * Ev + h * Dv + d]!;
      out[(b * Sq + i) * Ev + h * Dv + d] = acc;
    }
  }
  return out;
}

describe('Attention', () => {
  const [B, S, H, D] = [2, 5, 3, 4];
  const q = randomTensor('f32', [B, S, H * D], 1);
  const k = randomTensor('f32', [B, S, H * D], 2);
  const v = randomTensor('f32', [B, S, H * D], 3);

  it('computes multi-head attention in layout bsd with an additive padding mask', () => {
    const mask = t('f32', [B, 1, 1, S], [0, 0, 0, -10000, -10000, 0, 0, 0, 0, -10000]);
    const { outputs } = runOp('Attention', [q, k, v, mask], { num_heads: H, scale: 0.5, mask_kind: 'additive' });
    const want = naiveAttention(q, k, v, H, 0.5, (b, _h, _i, j) => mask.get(b * S + j));
    expect(outputs[0]!.shape).toEqual([B, S, H * D]);
    expect(relL2(outputs[0]!.toFloat64(), want)).toBeLessThan(1e-6);
  });

  it('applies the causal flag, including when keys outnumber queries', () => {
    const q2 = randomTensor('f32', [B, 3, H * D], 4);
    const { outputs } = runOp('Attention', [q2, k, v], { num_heads: H, scale: 0.3, causal: 1 });
    expect(relL2(outputs[0]!.toFloat64(), naiveAttention(q2, k, v, H, 0.3, undefined, true))).toBeLessThan(1e-6);
  });

  it('treats a keep mask (bool, true keeps) like an additive -inf mask', () => {
    const keep = t('bool', [B, 1, 1, S], [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    const { outputs } = runOp('Attention', [q, k, v, keep], { num_heads: H, scale: 0.5, mask_kind: 'keep' });
    const want = naiveAttention(q, k, v, H, 0.5, (b, _h, _i, j) => (keep.get(b * S + j) ? 0 : -Infinity));
    expect(relL2(outputs[0]!.toFloat64(), want)).toBeLessThan(1e-6);
  });

  it('gives the same result in layouts bsd, sbd and heads', () => {
    const bsd = runOp('Attention', [q, k, v], { num_heads: H, scale: 0.5 }).outputs[0]!;
    const toSbd = (x: Tensor) => runOp('Transpose', [x], { perm: [1, 0, 2] }).outputs[0]!;
    const sbd = runOp('Attention', [toSbd(q), toSbd(k), toSbd(v)], { num_heads: H, scale: 0.5, layout: 'sbd' }).outputs[0]!;
    expect(relL2(toSbd(sbd).toFloat64(), bsd.toFloat64())).toBeLessThan(1e-7);
    const toHeads = (x: Tensor) => runOp('Transpose', [x.reshape([B, S, H, D])], { perm: [0, 2, 1, 3] }).outputs[0]!;
    const kT = runOp('Transpose', [toHeads(k)], { perm: [0, 1, 3, 2] }).outputs[0]!;
    const heads = runOp('Attention', [toHeads(q), kT, toHeads(v)], { scale: 0.5, layout: 'heads', k_transposed: 1 }).outputs[0]!;
    const merged = runOp('Transpose', [heads], { perm: [0, 2, 1, 3] }).outputs[0]!;
    expect(relL2(merged.toFloat64(), bsd.toFloat64())).toBeLessThan(1e-7);
  });

  it('rejects a mask that does not broadcast to the scores, naming both shapes', () => {
    const bad = randomTensor('f32', [B, 2, 1, S], 9);
    expect(() => runOp('Attention', [q, k, v, bad], { num_heads: H, scale: 1, mask_kind: 'additive' }))
      .toThrow(/mask \[2, 2, 1, 5\] does not broadcast to the scores|cannot be broadcast/);
  });

  it('rejects a hidden size not divisible by num_heads', () => {
    expect(() => runOp('Attention', [q, k, v], { num_heads: 5, scale: 1 })).toThrow(/not divisible by num_heads 5/);
  });
});

describe('Linear', () => {
  const x = randomTensor('f32', [2, 3, 5], 11);
  const w = randomTensor('f32', [5, 7], 12);
  const bias = randomTensor('f32', [7], 13);
  const res = randomTensor('f32', [2, 3, 7], 14);

  it.each(['none', 'relu', 'gelu', 'gelu_tanh'])('equals MatMul + Add + %s + residual Add', (activation) => {
    const mm = runOp('MatMul', [x, w]).outputs[0]!;
    let y = runOp('Add', [mm, bias]).outputs[0]!;
    if (activation === 'relu') y = runOp('Relu', [y]).outputs[0]!;
    if (activation.startsWith('gelu')) y = runOp('Gelu', [y], { approximate: activation === 'gelu' ? 'none' : 'tanh' }).outputs[0]!;
    const want = runOp('Add', [y, res]).outputs[0]!;
    const got = runOp('Linear', [x, w, bias, res], { activation }).outputs[0]!;
    expect(got.shape).toEqual([2, 3, 7]);
    expect(relL2(got.toFloat64(), want.toFloat64())).toBeLessThan(1e-6);
  });

  it('reads W as [N, K] with trans_b', () => {
    const wt = runOp('Transpose', [w]).outputs[0]!;
    const a = runOp('Linear', [x, w]).outputs[0]!;
    const b = runOp('Linear', [x, wt], { trans_b: 1 }).outputs[0]!;
    expect(b.toNumbers()).toEqual(a.toNumbers());
  });

  it('rejects mismatched contracted dims and an unknown activation', () => {
    expect(() => runOp('Linear', [x, randomTensor('f32', [4, 7])])).toThrow(/contracted dimensions differ/);
    expect(() => runOp('Linear', [x, w], { activation: 'swish' })).toThrow(/activation must be one of/);
  });
});

describe('SkipLayerNormalization', () => {
  it('equals LayerNormalization(X + skip + bias) and returns the sum', () => {
    const x = randomTensor('f32', [2, 3, 8], 21);
    const skip = randomTensor('f32', [2, 3, 8], 22);
    const gamma = randomTensor('f32', [8], 23);
    const beta = randomTensor('f32', [8], 24);
    const bias = randomTensor('f32', [8], 25);
    const sum = runOp('Add', [runOp('Add', [x, skip]).outputs[0]!, bias]).outputs[0]!;
    const want = runOp('LayerNormalization', [sum, gamma, beta]).outputs[0]!;
    const { outputs } = runOp('SkipLayerNormalization', [x, skip, gamma, beta, bias], {}, { numOutputs: 2 });
    expect(relL2(outputs[0]!.toFloat64(), want.toFloat64())).toBeLessThan(1e-6);
    expect(relL2(outputs[1]!.toFloat64(), sum.toFloat64())).toBeLessThan(1e-7);
  });

  it('rejects a gamma of the wrong size', () => {
    const x = randomTensor('f32', [2, 8], 1);
    expect(() => runOp('SkipLayerNormalization', [x, x, randomTensor('f32', [4], 2)])).toThrow(/gamma \[4\] must be \[8\]/);
  });
});
