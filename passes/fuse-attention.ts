// Attention fusion: the scaled-dot-product block becomes one Attention op (compiler/ops/attention.ts).
//
//   Y = softmax(mask(scale · Q·Kᵀ)) · V        softmax over the last axis; Kᵀ a Transpose of K
//
// The scores are peeled from the Softmax inwards, one step at a time, each step a pattern of the STEPS table below: a scale (Mul or Div by a scalar constant, on the scores, on Q or on K before the product — exporters
// put it in all three places), an additive mask (Add, either operand), a boolean mask (Where(c, s, -inf) keeps
// where c, Where(c, -inf, s) drops where c), a view of the leading dims (Reshape). A mask computed only from the
// sequence lengths that keeps j <= i + (Sk - Sq) becomes causal = 1 (attention-mask.ts decides by evaluating it).
//
// Layouts, tried in this order:
//   'bsd'    HF BERT/GPT-2/ViT: Q = Transpose(Reshape(X [B,S,H·D] → [B,S,H,D]), [0,2,1,3]), K the same with
//            [0,2,3,1] (already transposed), merge Transpose [0,2,1,3] + Reshape [B,S,H·D] after ·V.
//   'sbd'    torch.nn.MultiheadAttention: Reshape(X [S,B,H·D] → [S,B·H,D]) + Transpose [1,0,2] (K: [1,2,0]),
//            merge Transpose [1,0,2] + Reshape [S,B,H·D] (or [S·B, H·D], then a Reshape after the Attention).
//   'heads'  anything else with a Transpose of K: Q [..., Sq, D], K [..., Sk, D] (or Kᵀ with k_transposed = 1),
//            V [..., Sk, Dv]; the split and merge stay outside, the scores are still never materialized.
// The QKV projection and its Split/Slice stay outside: the Attention takes Q, K and V.

import { type Dim, dimDiv, dimEq, dimMul, shapesEqual } from '../compiler/ir/dim.js';
import type { Node, Value } from '../compiler/ir/graph.js';
import { Tensor } from '../compiler/ir/tensor.js';
import { type MaskKind, dropsScore, isCausalMask } from './attention-mask.js';
import type { GraphEditor } from './editor.js';
import { $, m } from './pattern-dsl.js';
import { type ValuePattern, matchValue } from './pattern.js';
import { type Pattern, type RewriteBuilder, patternPass, rule, scalarValue } from './rewrite.js';
import { permOf, reshapeTarget } from './shapes.js';

type Reject = (reason: string) => never;

/** Softmax over the last axis. */
const lastAxisSoftmax = m.Softmax($.scores).when((n) => {
  const axis = n.attrs.axis as number;
  return axis === -1 || axis === n.inputs[0]!.type.shape.length - 1;
});

// ---------------------------------------------------------------------------------------------------------
// The score chain

interface MaskUse {
  value: Value;
  kind: MaskKind;
  /** The scores shape where the mask is applied. */
  context: readonly Dim[];
}

interface Scores {
  /** The Q·Kᵀ MatMul's operands. */
  q: Value;
  kt: Value;
  scale: number;
  masks: MaskUse[];
  /** Every node from the product to the Softmax input. */
  nodes: Node[];
  /** The shape of the product (the scores before any view). */
  shape: readonly Dim[];
}

const veryNegative = (x: number) => dropsScore(x);

/** One step of the chain, outermost first: each binds `s` (the scores below it). */
const STEPS: readonly { name: string; p: ValuePattern }[] = [
  { name: 'mul', p: m.Mul($.s, m.scalar($.c)) }, //                          s · c
  { name: 'div', p: m.Div.ordered($.s, m.scalar($.c)) }, //                   s / c
  { name: 'keep', p: m.Where($.mask, $.s, m.scalar($.fill, veryNegative)) }, //  mask ? s : -inf
  { name: 'drop', p: m.Where($.mask, m.scalar($.fill, veryNegative), $.s) }, //  mask ? -inf : s
  { name: 'add', p: m.Add($.s, $.mask) }, //                                   s + mask (either operand order)
  { name: 'view', p: m.Reshape($.s, m.any()) }, //                             a view of the leading dims
];

const PRODUCT = m.MatMul($.q, $.kt);

/** Peels the scores chain below `v` (continuation-passing, so commutative alternatives backtrack). */
function peelScores(v: Value, editor: GraphEditor, acc: Omit<Scores, 'q' | 'kt' | 'shape'>, k: (s: Scores) => boolean): boolean {
  if (matchValue(PRODUCT, v, editor, (c, nodes) => k({ ...acc, q: c.q!, kt: c.kt!, nodes: [...acc.nodes, ...nodes], shape: v.type.shape }))) return true;
  return STEPS.some(({ name, p }) => matchValue(p, v, editor, (c, nodes) => {
    const s = c.s!;
    if (s.type.shape.length < 2 || !shapesEqual(s.type.shape.slice(-2), v.type.shape.slice(-2))) return false;
    // A mask or scale that broadcasts the scores up (more heads or rows than Q·Kᵀ has) is not per-head attention.
    if (name !== 'view' && !shapesEqual(s.type.shape, v.type.shape)) return false;
    const next = { ...acc, nodes: [...acc.nodes, ...nodes] };
    if (name === 'mul' || name === 'div') {
      const x = scalarValue(c.c)!;
      if (!(x > 0) || !Number.isFinite(x)) return false;
      next.scale = name === 'mul' ? acc.scale * x : acc.scale / x;
    } else if (name !== 'view') {
      const mask = c.mask!;
      if (name === 'add' && (mask.type.dtype !== v.type.dtype)) return false;
      // Steps are peeled outermost first: a scale peeled already is applied after this mask. It would scale an
      // additive mask too; a -inf mask commutes with a positive scale.
      if (name === 'add' && acc.scale !== 1) return false;
      next.masks = [...acc.masks, { value: mask, kind: name === 'add' ? 'additive' : (name as MaskKind), context: v.type.shape }];
    }
    return peelScores(s, editor, next, k);
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Q, K and V: scales and transposes around the head split

/** `v` with scalar multiplications and divisions peeled off, and the factor they applied. */
function peelScale(v: Value, editor: GraphEditor): { base: Value; factor: number } {
  let factor = 1;
  for (;;) {
    let next: Value | undefined;
    matchValue(m.oneOf(m.Mul($.x, m.scalar($.c)).as('mul'), m.Div.ordered($.x, m.scalar($.c))), v, editor, (c) => {
      const x = scalarValue(c.c)!;
      if (!(x > 0) || !Number.isFinite(x)) return false;
      factor = c.mul ? factor * x : factor / x;
      next = c.x;
      return true;
    });
    if (!next) return { base: v, factor };
    v = next;
  }
}

/** `v` as base·scale seen through Transposes: the value below them and the composed permutation. */
function throughTransposes(v: Value, editor: GraphEditor): { base: Value; perm: number[]; factor: number } {
  let perm = Array.from({ length: v.type.shape.length }, (_, i) => i);
  let factor = 1;
  for (;;) {
    const s = peelScale(v, editor);
    factor *= s.factor;
    v = s.base;
    let inner: Value | undefined;
    let p: number[] = [];
    matchValue(m.Transpose($.x), v, editor, (c, nodes) => {
      inner = c.x;
      p = permOf(nodes[0]!.attrs.perm, c.x!.type.shape.length);
      return true;
    });
    if (!inner) return { base: v, perm, factor };
    perm = perm.map((i) => p[i]!);
    v = inner;
  }
}

interface Split {
  /** The tensor before the head split ([B, S, H·D] or [S, B, H·D]), scales peeled. */
  x: Value;
  heads: Dim;
  factor: number;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The head split of layout 'bsd' or 'sbd' under `v` with the given permutation to the [.., H, S|D, D|S] form. */
function headSplit(v: Value, layout: 'bsd' | 'sbd', perm: readonly number[], editor: GraphEditor): Split | undefined {
  const t = throughTransposes(v, editor);
  if (!same(t.perm, perm)) return undefined;
  let out: Split | undefined;
  matchValue(m.Reshape($.x, m.any()), t.base, editor, (c) => {
    const s = peelScale(c.x!, editor);
    const xs = s.base.type.shape;
    const ys = t.base.type.shape;
    if (xs.length !== 3) return false;
    if (layout === 'bsd') {
      // [B, S, H·D] → [B, S, H, D]
      if (ys.length !== 4 || !dimEq(xs[0]!, ys[0]!) || !dimEq(xs[1]!, ys[1]!) || !dimEq(xs[2]!, dimMul(ys[2]!, ys[3]!))) return false;
      out = { x: s.base, heads: ys[2]!, factor: t.factor * s.factor };
    } else {
      // [S, B, H·D] → [S, B·H, D]
      const h = ys.length === 3 ? headsOf(ys[1]!, xs[1]!) : undefined;
      if (h === undefined || !dimEq(xs[0]!, ys[0]!) || !dimEq(xs[2]!, dimMul(h, ys[2]!))) return false;
      out = { x: s.base, heads: h, factor: t.factor * s.factor };
    }
    return true;
  });
  return out;
}

/** The static H with B·H = merged, or undefined. */
function headsOf(merged: Dim, b: Dim): number | undefined {
  const h = dimDiv(merged, b);
  return typeof h === 'number' && h >= 1 ? h : undefined;
}

const PERMS = {
  bsd: { q: [0, 2, 1, 3], k: [0, 2, 3, 1], merge: [0, 2, 1, 3] },
  sbd: { q: [1, 0, 2], k: [1, 2, 0], merge: [1, 0, 2] },
} as const;

// ---------------------------------------------------------------------------------------------------------
// Masks in the Attention's scores layout

/** Zeros: a constant, or ConstantOfShape(shape) of 0 (MultiheadAttention builds its float mask from one). */
const zeroLike = m.oneOf(m.splat(0), m.ConstantOfShape(m.any(), { value: (t) => t instanceof Tensor && isZeroSplat(t) }));
function isZeroSplat(t: Tensor): boolean {
  for (let i = 0; i < t.size; i++) if (t.get(i) !== 0) return false;
  return true;
}

/** An additive mask Where(c, -inf, 0) is the drop mask c (exactly: -inf + s = -inf); Where(c, 0, -inf) keeps c. */
function asBooleanMask(mk: MaskUse, editor: GraphEditor): MaskUse {
  if (mk.kind !== 'additive') return mk;
  let out = mk;
  const fill = m.scalar($.fill, veryNegative);
  matchValue(m.oneOf(m.Where($.c, fill, zeroLike).as('drop'), m.Where($.c, zeroLike, fill)), mk.value, editor, (c) => {
    if (c.c!.type.dtype !== 'bool') return false;
    out = { ...mk, value: c.c!, kind: c.drop ? 'drop' : 'keep' };
    return true;
  });
  return out;
}

/** The mask without Expands (Attention broadcasts it itself). */
function withoutExpand(v: Value, editor: GraphEditor): Value {
  for (;;) {
    let inner: Value | undefined;
    matchValue(m.Expand($.x, m.any()), v, editor, (c) => {
      inner = c.x;
      return true;
    });
    if (!inner) return v;
    v = inner;
  }
}

/**
 * The mask as an operand broadcasting to the Attention's scores `target` ([B, H, Sq, Sk] in 'bsd'/'sbd'), from
 * the shape `context` it was applied at (e.g. the merged [B·H, Sq, Sk] of MultiheadAttention): a merged leading
 * dim is split again by looking through the Reshape that merged it. Undefined when that is not possible.
 */
function maskFor(mk: MaskUse, target: readonly Dim[], editor: GraphEditor): Value | undefined {
  let v = withoutExpand(mk.value, editor);
  if (shapesEqual(mk.context, target)) return v;
  const ctx = mk.context;
  if (target.length === 4 && ctx.length === 3 && dimEq(ctx[0]!, dimMul(target[0]!, target[1]!))) {
    const ms = v.type.shape;
    if (ms.length < 3 || ms[ms.length - 3] === 1) return v; // broadcasts over batch and heads alike
    let split: Value | undefined;
    matchValue(m.Reshape($.x, m.any()), v, editor, (c) => {
      const xs = c.x!.type.shape;
      if (xs.length !== 4 || !dimEq(dimMul(xs[0]!, xs[1]!), ms[0]!) || !shapesEqual(xs.slice(2), ms.slice(1))) return false;
      if (!dimEq(xs[0]!, target[0]!) || !dimEq(xs[1]!, target[1]!)) return false;
      split = c.x;
      return true;
    });
    return split ? withoutExpand(split, editor) : undefined;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The rewrite

interface Plan {
  layout: 'bsd' | 'sbd' | 'heads';
  q: Value;
  k: Value;
  v: Value;
  heads: Dim;
  kTransposed: boolean;
  scale: number;
  /** The Attention's scores shape, for placing the masks. */
  target: readonly Dim[];
}

/** Q, K and V of layout 'bsd' or 'sbd' with their head split, when all three have it with the same heads. */
function splitPlan(layout: 'bsd' | 'sbd', sc: Scores, v: Value, editor: GraphEditor): Plan | undefined {
  const p = PERMS[layout];
  const q = headSplit(sc.q, layout, p.q, editor);
  const k = headSplit(sc.kt, layout, p.k, editor);
  const vs = headSplit(v, layout, p.q, editor);
  if (!q || !k || !vs || !dimEq(q.heads, k.heads) || !dimEq(q.heads, vs.heads) || vs.factor !== 1) return undefined;
  const b = layout === 'bsd' ? q.x.type.shape[0]! : q.x.type.shape[1]!;
  const sq = sc.shape[sc.shape.length - 2]!;
  const sk = sc.shape[sc.shape.length - 1]!;
  return { layout, q: q.x, k: k.x, v: vs.x, heads: q.heads, kTransposed: false, scale: sc.scale * q.factor * k.factor, target: [b, q.heads, sq, sk] };
}

/** Layout 'heads': Q and V as they are, K below its Transpose (or the transposed K), scales peeled. */
function headsPlan(sc: Scores, v: Value, editor: GraphEditor, reject: Reject): Plan {
  const q = peelScale(sc.q, editor);
  const kt = peelScale(sc.kt, editor);
  let plan: Plan | undefined;
  matchValue(m.Transpose($.k), kt.base, editor, (c, nodes) => {
    const r = kt.base.type.shape.length;
    const perm = permOf(nodes[0]!.attrs.perm, r);
    // Kᵀ: the product contracts K's last axis (the head size) against Q's.
    if (perm[r - 2] !== r - 1 || perm[r - 1] === r - 1) return false;
    const swapsLastTwo = perm.every((p, i) => (i < r - 2 ? p === i : true));
    const k = swapsLastTwo ? peelScale(c.k!, editor) : { base: kt.base, factor: 1 };
    plan = {
      layout: 'heads', q: q.base, k: k.base, v, heads: 0, kTransposed: !swapsLastTwo,
      scale: sc.scale * q.factor * kt.factor * k.factor, target: sc.shape,
    };
    return true;
  });
  return plan ?? reject('K is not transposed relative to Q (the product is not Q·Kᵀ)');
}

/** Builds the Attention node for the plan and the scores' masks. */
function buildAttention(plan: Plan, sc: Scores, b: RewriteBuilder, editor: GraphEditor, reject: Reject): Value {
  let causal = 0;
  const regular: { value: Value; kind: MaskKind }[] = [];
  for (const raw of sc.masks) {
    const mk = asBooleanMask(raw, editor);
    if (isCausalMask(mk.value, mk.kind, mk.context)) {
      causal = 1;
      continue;
    }
    const value = maskFor(mk, plan.target, editor);
    if (!value) return reject(`the mask ${shapeText(mk.value)} applied to scores ${shapeText(mk.context)} does not broadcast per head to ${shapeText(plan.target)}`);
    regular.push({ value, kind: mk.kind });
  }
  if (regular.length > 1) return reject(`${regular.length} masks are applied to the scores; Attention takes one`);
  const mask = regular[0];
  if (mask && mask.value.type.shape.length > plan.target.length) return reject(`the mask ${shapeText(mask.value)} has more dims than the scores ${shapeText(plan.target)}`);
  return b.op('Attention', [plan.q, plan.k, plan.v, mask?.value], {
    num_heads: typeof plan.heads === 'number' ? plan.heads : 0,
    scale: plan.scale,
    causal,
    mask_kind: mask ? mask.kind : 'none',
    layout: plan.layout,
    k_transposed: plan.kTransposed ? 1 : 0,
  });
}

const shapeText = (x: Value | readonly Dim[]) => `[${(Array.isArray(x) ? x : (x as Value).type.shape).join(', ')}]`;

/** Matches the scores under the Softmax and checks that nothing of them is used outside the block. */
function scoresOf(scores: Value, softmax: Node, root: Node, editor: GraphEditor, reject: Reject): Scores {
  let found: Scores | undefined;
  peelScores(scores, editor, { scale: 1, masks: [], nodes: [] }, (s) => {
    found = s;
    return true;
  });
  if (!found) return reject('the Softmax input is not Q·Kᵀ with scalar scales, masks and views');
  const inside = new Set([...found.nodes, softmax, root]);
  for (const n of [...found.nodes, softmax]) {
    for (const o of n.outputs) {
      // Shape of the scores reads only their type (DistilBERT expands its mask to it): it goes away with the mask.
      if (editor.isGraphOutput(o) || editor.users(o).some((u) => !inside.has(u) && u.op !== 'Shape')) return reject(`%${o.name} (scores or probabilities) is also used outside the attention block`);
    }
  }
  return found;
}

const softmaxNode = (root: Node): Node => root.inputs[0]!.producer!;

/** The fused block with the head merge: Reshape(Transpose(MatMul(Softmax(scores), V))) → Attention ('bsd'/'sbd'). */
const attentionMerged = rule(
  'attention-merged',
  m.Reshape(m.Transpose(m.MatMul(lastAxisSoftmax, $.v).as('y'), { perm: $.perm }).as('yt'), m.any()),
  ({ scores, v, y, yt }, b, reject, { root, editor, attrs }) => {
    const product = y!.producer!;
    const sc = scoresOf(scores!, softmaxNode(product), product, editor, reject);
    for (const [val, user] of [[y!, yt!.producer!], [yt!, root]] as const) {
      if (editor.useCount(val) !== 1 || editor.users(val)[0] !== user) return reject(`%${val.name} is also used outside the head merge`);
    }
    const perm = attrs.perm as number[];
    const layout = same(perm, PERMS.bsd.merge) ? 'bsd' : same(perm, PERMS.sbd.merge) ? 'sbd' : undefined;
    if (!layout) return reject(`the merge Transpose perm [${perm.join(', ')}] is neither [0, 2, 1, 3] nor [1, 0, 2]`);
    const plan = splitPlan(layout, sc, v!, editor) ?? reject(`Q, K and V do not all have the ${layout} head split`);
    const out = buildAttention(plan, sc, b, editor, reject);
    const want = root.outputs[0]!.type.shape;
    if (shapesEqual(out.type.shape, want)) return out;
    const target = reshapeTarget(out.type.shape, want) ?? reject(`the merged result [${want.join(', ')}] cannot be written as a constant Reshape target`);
    return b.op('Reshape', [out, b.ints(target)]);
  },
);

/** The block without an absorbable split/merge: MatMul(Softmax(scores), V) → Attention ('heads'). */
const attentionHeads = rule(
  'attention-heads',
  m.MatMul(lastAxisSoftmax, $.v),
  ({ scores, v }, b, reject, { root, editor }) => {
    const sc = scoresOf(scores!, softmaxNode(root), root, editor, reject);
    if (!shapesEqual(sc.shape, scores!.type.shape)) return reject('the scores are viewed in another shape between Q·Kᵀ and the Softmax');
    const plan = headsPlan(sc, v!, editor, reject);
    return buildAttention(plan, sc, b, editor, reject);
  },
);

export const ATTENTION_PATTERNS: readonly Pattern[] = [attentionMerged, attentionHeads];

export const fuseAttention = patternPass(
  'fuse-attention',
  'fuses scaled dot-product attention (Q·Kᵀ, scale, masks, causal mask, softmax, ·V, head split/merge) into Attention',
  ATTENTION_PATTERNS,
  { reverse: true },
);
