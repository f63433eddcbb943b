// The fused Attention op: softmax(scale·Q·Kᵀ + mask, causal) · V over heads, with its reference semantics.
//
// Layouts (attribute `layout`):
//   'bsd'   Q [B, Sq, H·Dk], K [B, Sk, H·Dk], V [B, Sk, H·Dv] -> Y [B, Sq, H·Dv]   (heads split/merged inside;
//           HuggingFace BERT/GPT-2/ViT after the fusion absorbs their view/permute pairs)
//   'sbd'   the same sequence-first: Q [Sq, B, H·Dk] ... -> Y [Sq, B, H·Dv]    (torch.nn.MultiheadAttention)
//   'heads' Q [..., Sq, Dk], K [..., Sk, Dk], V [..., Sk, Dv] -> Y [..., Sq, Dv] (heads already split; leading
//           dims broadcast like MatMul; num_heads unused)
// `k_transposed` = 1 when K is given as [..., Dk, Sk] ('heads' only). The mask broadcasts to the scores
// [B, H, Sq, Sk] ('bsd'/'sbd') or [..., Sq, Sk] ('heads'): mask_kind 'additive' adds it (f32), 'keep' (bool)
// keeps scores where true and drops the rest, 'drop' drops where true. `causal` = 1 drops key j > i + (Sk - Sq).
// Dropped scores are -inf, so a row with every key dropped is NaN, as softmax over it is in the source graph.

import { type Dim, dimDiv, dimEq, shapeToString } from '../ir/dim.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor, shapeSize } from '../ir/tensor.js';
import { type InferContext, attr, defineOp } from './registry.js';
import { broadcastIndex, broadcastShapes } from './util.js';

const LAYOUTS = ['bsd', 'sbd', 'heads'] as const;
const MASK_KINDS = ['none', 'additive', 'keep', 'drop'] as const;

const attentionAttrs = {
  num_heads: attr.int(0),
  scale: attr.required('float'),
  causal: attr.int(0),
  mask_kind: attr.string('none'),
  layout: attr.string('bsd'),
  k_transposed: attr.int(0),
};

type AttentionAttrs = { num_heads: number; scale: number; causal: number; mask_kind: string; layout: string; k_transposed: number };

/** The problem in heads form: leading dims, Sq, Sk, Dk, Dv, and the scores shape the mask broadcasts to. */
interface Geometry {
  lead: Dim[];
  sq: Dim;
  sk: Dim;
  dk: Dim;
  dv: Dim;
  scores: Dim[];
  out: Dim[];
}

function geometry(ctx: Pick<InferContext<AttentionAttrs>, 'fail' | 'attrs'> & { freshDim?(h: string): string }, q: TensorType, k: TensorType, v: TensorType): Geometry {
  const a = ctx.attrs;
  if (!(LAYOUTS as readonly string[]).includes(a.layout)) ctx.fail(`layout must be one of ${LAYOUTS.join(', ')}, got '${a.layout}'`);
  if (!(MASK_KINDS as readonly string[]).includes(a.mask_kind)) ctx.fail(`mask_kind must be one of ${MASK_KINDS.join(', ')}, got '${a.mask_kind}'`);
  for (const [name, t] of [['Q', q], ['K', k], ['V', v]] as const) {
    if (t.dtype !== 'f32' && t.dtype !== 'f16' && t.dtype !== 'f64') ctx.fail(`${name} has dtype ${t.dtype}; Attention needs floats`);
  }
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) ctx.fail(`Q, K and V dtypes differ: ${q.dtype}, ${k.dtype}, ${v.dtype}`);
  if (a.layout === 'heads') {
    if (q.shape.length < 2 || k.shape.length < 2 || v.shape.length < 2) ctx.fail('Q, K and V need rank >= 2 in layout heads');
    const [sq, dk] = q.shape.slice(-2) as [Dim, Dim];
    const kt = k.shape.slice(-2) as [Dim, Dim];
    const [sk, dk2] = a.k_transposed ? [kt[1], kt[0]] : kt;
    const [sv, dv] = v.shape.slice(-2) as [Dim, Dim];
    if (!dimEq(dk, dk2)) ctx.fail(`head sizes of Q ${shapeToString(q.shape)} and K ${shapeToString(k.shape)} differ`);
    if (!dimEq(sk, sv)) ctx.fail(`key lengths of K ${shapeToString(k.shape)} and V ${shapeToString(v.shape)} differ`);
    const lead = broadcastShapes(ctx, [q.shape.slice(0, -2), k.shape.slice(0, -2), v.shape.slice(0, -2)]);
    return { lead, sq, sk, dk, dv, scores: [...lead, sq, sk], out: [...lead, sq, dv] };
  }
  if (a.k_transposed) ctx.fail('k_transposed applies to layout heads only');
  const h = a.num_heads;
  if (!(h >= 1)) ctx.fail(`num_heads must be >= 1 in layout ${a.layout}, got ${h}`);
  for (const [name, t] of [['Q', q], ['K', k], ['V', v]] as const) {
    if (t.shape.length !== 3) ctx.fail(`${name} must have rank 3 in layout ${a.layout}, got ${shapeToString(t.shape)}`);
  }
  const seqFirst = a.layout === 'sbd';
  const [bq, sq] = seqFirst ? [q.shape[1]!, q.shape[0]!] : [q.shape[0]!, q.shape[1]!];
  const [bk, sk] = seqFirst ? [k.shape[1]!, k.shape[0]!] : [k.shape[0]!, k.shape[1]!];
  const [bv, sv] = seqFirst ? [v.shape[1]!, v.shape[0]!] : [v.shape[0]!, v.shape[1]!];
  if (!dimEq(bq, bk) || !dimEq(bq, bv)) ctx.fail(`batch sizes of Q, K, V differ: ${bq}, ${bk}, ${bv}`);
  if (!dimEq(sk, sv)) ctx.fail(`key lengths of K and V differ: ${sk} vs ${sv}`);
  const dk = dimDiv(q.shape[2]!, h);
  const dkK = dimDiv(k.shape[2]!, h);
  const dv = dimDiv(v.shape[2]!, h);
  if (dk === undefined || dv === undefined || dkK === undefined) ctx.fail(`hidden sizes ${q.shape[2]}, ${k.shape[2]}, ${v.shape[2]} are not divisible by num_heads ${h}`);
  if (!dimEq(dk!, dkK!)) ctx.fail(`hidden sizes of Q (${q.shape[2]}) and K (${k.shape[2]}) differ`);
  const out = seqFirst ? [sq, bq, v.shape[2]!] : [bq, sq, v.shape[2]!];
  return { lead: [bq, h], sq, sk, dk: dk!, dv: dv!, scores: [bq, h, sq, sk], out };
}

export const Attention = defineOp({
  name: 'Attention',
  summary: 'softmax(scale·Q·Kᵀ + mask) · V per head, with causal and padding masks (fused scaled dot-product attention)',
  inputs: [{ name: 'Q' }, { name: 'K' }, { name: 'V' }, { name: 'mask', optional: true }],
  outputs: [{ name: 'Y' }],
  attrs: attentionAttrs,
  infer(ctx) {
    const g = geometry(ctx, ctx.input(0), ctx.input(1), ctx.input(2));
    const mask = ctx.inputs[3];
    if (ctx.attrs.mask_kind === 'none' && mask) ctx.fail("a mask operand is given but mask_kind is 'none'");
    if (ctx.attrs.mask_kind !== 'none') {
      if (!mask) ctx.fail(`mask_kind '${ctx.attrs.mask_kind}' needs a mask operand`);
      const wantBool = ctx.attrs.mask_kind !== 'additive';
      if (wantBool !== (mask!.dtype === 'bool')) ctx.fail(`mask_kind '${ctx.attrs.mask_kind}' needs a ${wantBool ? 'bool' : 'float'} mask, got ${mask!.dtype}`);
      if (mask!.shape.length > g.scores.length) ctx.fail(`mask ${shapeToString(mask!.shape)} has more dims than the scores ${shapeToString(g.scores)}`);
      const b = broadcastShapes(ctx, [g.scores, mask!.shape]);
      if (!b.every((d, i) => dimEq(d, g.scores[i]!))) ctx.fail(`mask ${shapeToString(mask!.shape)} does not broadcast to the scores ${shapeToString(g.scores)}`);
    }
    return [{ dtype: ctx.input(0).dtype, shape: g.out }];
  },
  evaluate(ctx) {
    const [q, k, v] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const a = ctx.attrs as AttentionAttrs;
    const g = geometry({ ...ctx, attrs: a }, q, k, v);
    const num = (d: Dim) => d as number;
    const [sq, sk, dk, dv] = [num(g.sq), num(g.sk), num(g.dk), num(g.dv)];
    const lead = g.lead as number[];
    const nLead = shapeSize(lead);
    // Index maps from (lead index, row, col) into each operand's storage.
    const at = operandIndexers(a, lead, q.shape, k.shape, v.shape);
    const maskT = ctx.inputs[3];
    const maskIdx = maskT ? broadcastIndex(maskT.shape, g.scores as number[]) : undefined;
    const maskVals = maskT?.toFloat64();
    const [qv, kv, vv] = [q.toFloat64(), k.toFloat64(), v.toFloat64()];
    const out = new Float64Array(shapeSize(g.out as number[]));
    const scores = new Float64Array(sk);
    for (let l = 0; l < nLead; l++) {
      for (let i = 0; i < sq; i++) {
        let max = -Infinity;
        for (let j = 0; j < sk; j++) {
          let s = 0;
          for (let d = 0; d < dk; d++) s += qv[at.q(l, i, d)]! * kv[at.k(l, j, d)]!;
          s *= a.scale;
          if (maskIdx) {
            const m = maskVals![maskIdx[(l * sq + i) * sk + j]!]!;
            if (a.mask_kind === 'additive') s += m;
            else if ((a.mask_kind === 'keep') === (m === 0)) s = -Infinity;
          }
          if (a.causal && j > i + (sk - sq)) s = -Infinity;
          scores[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < sk; j++) {
          scores[j] = Math.exp(scores[j]! - max);
          sum += scores[j]!;
        }
        for (let d = 0; d < dv; d++) {
          let acc = 0;
          for (let j = 0; j < sk; j++) acc += scores[j]! * vv[at.v(l, j, d)]!;
          out[at.y(l, i, d)] = acc / sum;
        }
      }
    }
    return [Tensor.fromNumbers(q.dtype, g.out as number[], out)];
  },
});

type Indexer = (lead: number, row: number, col: number) => number;

/** Flat indices of Q[l, i, d], K[l, j, d], V[l, j, d] and Y[l, i, d] for each layout (l = flat lead index). */
function operandIndexers(
  a: AttentionAttrs,
  lead: number[],
  qs: readonly number[],
  ks: readonly number[],
  vs: readonly number[],
): { q: Indexer; k: Indexer; v: Indexer; y: Indexer } {
  if (a.layout === 'heads') {
    const leadOf = (shape: readonly number[]) => {
      const idx = broadcastIndex(shape.slice(0, -2).length ? shape.slice(0, -2) : [1], lead.length ? lead : [1]);
      return (l: number) => idx[l]!;
    };
    const [lq, lk, lv] = [leadOf(qs), leadOf(ks), leadOf(vs)];
    const [sq, dk] = qs.slice(-2) as [number, number];
    const kRows = ks[ks.length - 2]!;
    const kCols = ks[ks.length - 1]!;
    const [sv, dv] = vs.slice(-2) as [number, number];
    return {
      q: (l, i, d) => (lq(l) * sq + i) * dk + d,
      k: a.k_transposed ? (l, j, d) => (lk(l) * kRows + d) * kCols + j : (l, j, d) => (lk(l) * kRows + j) * kCols + d,
      v: (l, j, d) => (lv(l) * sv + j) * dv + d,
      y: (l, i, d) => (l * sq + i) * dv + d,
    };
  }
  const h = a.num_heads;
  const seqFirst = a.layout === 'sbd';
  const [b] = lead as [number, number];
  // Element (batch, pos, head, c) of a [B, S, H·D] or [S, B, H·D] tensor.
  const idx = (shape: readonly number[]) => {
    const width = shape[2]!;
    const hd = width / h;
    const s = seqFirst ? shape[0]! : shape[1]!;
    return (l: number, pos: number, c: number) => {
      const batch = Math.floor(l / h);
      const head = l % h;
      const row = seqFirst ? pos * b + batch : batch * s + pos;
      return row * width + head * hd + c;
    };
  };
  const yShape = seqFirst ? [qs[0]!, b, vs[2]!] : [b, qs[1]!, vs[2]!];
  return { q: idx(qs), k: idx(ks), v: idx(vs), y: idx(yShape) };
}


