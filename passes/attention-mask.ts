// Masks of the attention fusion: what a mask applied to the scores means (additive, keep, drop), whether it only
// depends on the sequence lengths, and whether it is the causal mask — decided by evaluating it, not by its
// spelling, because exporters build it in many ways (a sliced tril buffer, Trilu of ones, arange comparisons).
//
// A mask whose value depends on no graph input data (only on constants and on Shape of inputs) is evaluated for
// several sequence lengths, up to the largest dim of the constants it slices; when every evaluation keeps exactly
// key j <= i + (Sk - Sq) at every leading index it is the causal mask, aligned to the bottom-right.

import { type Dim, evalDim, isStaticDim } from '../compiler/ir/dim.js';
import { makeEvalContext } from '../compiler/ir/builder.js';
import { type Value, materialize } from '../compiler/ir/graph.js';
import { Tensor, shapeSize } from '../compiler/ir/tensor.js';
import { getOp } from '../compiler/ops/registry.js';
import { broadcastValues } from '../compiler/ops/util.js';

export type MaskKind = 'additive' | 'keep' | 'drop';

/** A fill value that removes a score: -inf, or a finite value so negative that exp() of it is 0 (finfo.min, -1e9). */
export const dropsScore = (x: number): boolean => x <= -1e9;

/** Largest mask (elements) evaluated to recognise a causal mask. */
const MAX_EVAL_ELEMENTS = 1 << 22;
/** Largest sequence length tried. */
const MAX_TRIED_LENGTH = 512;

/** Whether `v` depends on no graph input data: constants, and Shape/Size of anything. */
export function shapeOnly(v: Value, seen = new Map<Value, boolean>()): boolean {
  const known = seen.get(v);
  if (known !== undefined) return known;
  seen.set(v, false);
  let ok: boolean;
  if (v.constant) ok = true;
  else if (!v.producer) ok = false;
  else if (v.producer.op === 'Shape' || v.producer.op === 'Size') ok = true;
  else ok = v.producer.inputs.every((x) => !x || shapeOnly(x, seen));
  seen.set(v, ok);
  return ok;
}

/** The largest dim of a constant matrix (rank >= 2) in the backward slice of `v`: the extent of a sliced buffer. */
function largestConstantDim(v: Value, seen = new Set<Value>()): number {
  if (seen.has(v)) return 0;
  seen.add(v);
  if (v.constant) return v.constant.shape.length >= 2 ? Math.max(0, ...v.constant.shape) : 0;
  if (!v.producer || v.producer.op === 'Shape' || v.producer.op === 'Size') return 0;
  return Math.max(0, ...v.producer.inputs.map((x) => (x ? largestConstantDim(x, seen) : 0)));
}

/** Evaluates a shape-only value with every symbolic dim bound to `n`; undefined when that is not possible. */
function evaluateAt(v: Value, n: number, memo: Map<Value, Tensor>): Tensor | undefined {
  const hit = memo.get(v);
  if (hit) return hit;
  const size = (d: Dim) => (isStaticDim(d) ? d : evalDim(d, new Proxy({}, { get: () => n, has: () => true })));
  let t: Tensor | undefined;
  if (v.constant) t = materialize(v.constant);
  else if (v.producer) {
    const node = v.producer;
    const def = getOp(node.op);
    if (!def) return undefined;
    const args: (Tensor | undefined)[] = [];
    for (const x of node.inputs) {
      if (!x) args.push(undefined);
      else if (node.op === 'Shape' || node.op === 'Size') args.push(Tensor.zeros(x.type.dtype, x.type.shape.map(size)));
      else {
        const a = evaluateAt(x, n, memo);
        if (!a) return undefined;
        args.push(a);
      }
    }
    const outs = def.evaluate(makeEvalContext(node, node.attrs, args, node.outputs.length) as never);
    node.outputs.forEach((o, i) => memo.set(o, outs[i]!));
    t = outs[node.outputs.indexOf(v)];
  }
  if (t) memo.set(v, t);
  return t;
}

/**
 * Whether the mask `v` of `kind`, applied to scores of shape `context` ([..., Sq, Sk]), is the causal mask at every
 * sequence length tried (and depends on nothing but the lengths).
 */
export function isCausalMask(v: Value, kind: MaskKind, context: readonly Dim[]): boolean {
  if (!shapeOnly(v) || context.length < 2) return false;
  // Lengths up to the extent of the buffer the mask slices (beyond it the model cannot run), else up to 64.
  const extent = Math.min(MAX_TRIED_LENGTH, largestConstantDim(v) || 64);
  const lengths = [...new Set([1, 2, 3, 5, 16, 64, extent - 1, extent])].filter((n) => n >= 1 && n <= extent);
  let tried = 0;
  for (const n of lengths) {
    let shape: number[];
    let m: Tensor | undefined;
    try {
      shape = context.map((d) => (isStaticDim(d) ? d : evalDim(d, new Proxy({}, { get: () => n, has: () => true }))));
      if (shapeSize(shape) > MAX_EVAL_ELEMENTS) continue;
      m = evaluateAt(v, n, new Map());
    } catch {
      return false; // the buffer is shorter than n, or a symbol cannot be bound: not a mask for every length
    }
    if (!m) return false;
    if (!causalAt(m, kind, shape)) return false;
    tried++;
  }
  return tried >= 2;
}

function causalAt(m: Tensor, kind: MaskKind, shape: readonly number[]): boolean {
  const lead = shape.length - m.shape.length;
  if (lead < 0 || !m.shape.every((d, i) => d === 1 || d === shape[lead + i])) return false;
  let values: Float64Array;
  try {
    values = broadcastValues(m, shape);
  } catch {
    return false;
  }
  const sq = shape[shape.length - 2]!;
  const sk = shape[shape.length - 1]!;
  const rows = shapeSize(shape.slice(0, -2));
  for (let l = 0; l < rows; l++) {
    for (let i = 0; i < sq; i++) {
      for (let j = 0; j < sk; j++) {
        const x = values[(l * sq + i) * sk + j]!;
        let kept: boolean;
        if (kind === 'keep') kept = x !== 0;
        else if (kind === 'drop') kept = x === 0;
        else if (x === 0) kept = true;
        else if (dropsScore(x)) kept = false;
        else return false;
        if (kept !== (j <= i + sk - sq)) return false;
      }
    }
  }
  return true;
}
