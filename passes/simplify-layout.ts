// Transpose and reshape simplification: a table of layout rules (cancel and merge transposes, collapse chains of
// views into one Reshape, drop views and expands that do not change the shape), each with its algebra.

import { type Node, type Value, materialize } from '../compiler/ir/graph.js';
import { $, m } from './pattern-dsl.js';
import { type Pattern, type RewriteBuilder, patternPass, rule } from './rewrite.js';
import { isIdentityPerm, permOf, reshapeTarget, sameType } from './shapes.js';

/** Ops whose result is their operand's elements in order, in another shape (free views). */
export const VIEW_OPS = ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'] as const;

/** The node's first result has the type of its first operand (the op changes nothing). */
const keepsType = (n: Node): boolean => n.inputs[0] !== undefined && sameType(n.inputs[0].type, n.outputs[0]!.type);

/** The permutation a Transpose node applies. */
const nodePerm = (n: Node): number[] => permOf(n.attrs.perm, n.inputs[0]!.type.shape.length);

/** x as a value of `like`'s shape: x itself when the shapes agree, else a Reshape with a constant target. */
function reshapeLike(b: RewriteBuilder, x: Value, like: Value, reject: (reason: string) => never): Value {
  if (sameType(x.type, like.type)) return x;
  const target = reshapeTarget(x.type.shape, like.type.shape);
  if (!target) return reject(`the shape [${like.type.shape.join(', ')}] cannot be written as a constant target for [${x.type.shape.join(', ')}]`);
  return b.op('Reshape', [x, b.ints(target)]);
}

/** Static dims of size 1 move, every other dim keeps its order: the transpose is a reshape (a view). */
function onlyMovesOnes(n: Node): boolean {
  const shape = n.inputs[0]!.type.shape;
  const moved = nodePerm(n).filter((p) => shape[p] !== 1);
  return moved.every((p, i) => i === 0 || p > moved[i - 1]!);
}

/** Every step of a Slice is 1 (an absent steps operand means 1). */
function unitSteps(n: Node): boolean {
  const steps = n.inputs[4];
  if (!steps) return true;
  return steps.constant !== undefined && materialize(steps.constant).toNumbers().every((s) => s === 1);
}

export const LAYOUT_RULES: readonly Pattern[] = [
  // Transpose(x, [0, 1, ..., n-1]) → x
  rule('transpose-identity', m.Transpose($.x).when((n) => isIdentityPerm(nodePerm(n))), ({ x }) => x),
  // Transpose(Transpose(x, p), q) → Transpose(x, r) with r[i] = p[q[i]]; → x when r is the identity
  rule('transpose-transpose', m.Transpose(m.Transpose($.x).as('inner')), ({ x, inner }, b, _reject, { root }) => {
    const p = nodePerm(inner!.producer!);
    const r = nodePerm(root).map((qi) => p[qi]!);
    return isIdentityPerm(r) ? x : b.op('Transpose', [x], { perm: r });
  }),
  // Transpose(x, perm) that moves only dims of size 1 → Reshape(x, shape): the same elements in the same order
  rule('transpose-as-reshape', m.Transpose($.x).when((n) => !isIdentityPerm(nodePerm(n)) && onlyMovesOnes(n)),
    ({ x }, b, reject, { root }) => reshapeLike(b, x, root.outputs[0]!, reject)),
  // view(x) with the shape of x → x   (Reshape, Flatten, Squeeze, Unsqueeze)
  rule('view-same-shape', m.op(VIEW_OPS, $.x, m.rest).when(keepsType), ({ x }) => x),
  // view(view(x)) → Reshape(x, target of the result's shape)   (Reshape∘Reshape, Squeeze∘Unsqueeze, ...)
  rule('view-of-view', m.op(VIEW_OPS, m.op(VIEW_OPS, $.x, m.rest), m.rest),
    ({ x }, b, reject, { root }) => reshapeLike(b, x, root.outputs[0]!, reject)),
  // Expand(x, shape) with the shape of x → x
  rule('expand-same-shape', m.Expand($.x, m.any()).when(keepsType), ({ x }) => x),
  // Slice(x, ...) with steps 1 and the shape of x → x   (a unit-step slice as long as the dim starts at 0)
  rule('slice-whole', m.Slice($.x, m.rest).when((n) => keepsType(n) && unitSteps(n)), ({ x }) => x),
  // Concat(x) → x
  rule('concat-one', m.Concat($.x), ({ x }) => x),
  // Split(x) into one part → x
  rule('split-one', m.Split($.x, m.rest).when((n) => n.outputs.length === 1 && keepsType(n)), ({ x }) => x),
];

export const simplifyLayout = patternPass(
  'simplify-layout',
  'cancels and merges transposes, collapses chains of views into one Reshape, drops no-op views, expands and slices',
  LAYOUT_RULES,
);
