// Matrix-structure ops: Trilu (keep the upper/lower triangle of the last two dims) and Einsum (general Einstein
// summation: contractions, outer products, transposes, diagonals, ellipsis broadcasting; float64 accumulation).

import { type Dim, dimEq, shapeToString } from '../ir/dim.js';
import { type DType, dtypeInfo } from '../ir/dtype.js';
import { Tensor, shapeSize, stridesOf } from '../ir/tensor.js';
import { defineOp, attr } from './registry.js';
import { broadcastShapes } from './util.js';

interface Failer {
  fail(message: string): never;
  freshDim?(hint: string): string;
}

// ---------------------------------------------------------------------------------------------------------
// Trilu

export const Trilu = defineOp({
  name: 'Trilu',
  summary: 'zeroes the elements below (upper=1) or above (upper=0) the k-th diagonal of the last two dims',
  inputs: [{ name: 'input' }, { name: 'k', optional: true, constantToAttr: 'k' }],
  outputs: [{ name: 'output' }],
  attrs: { upper: attr.int(1), k: attr.int() },
  infer(ctx) {
    const t = ctx.input(0);
    if (t.shape.length < 2) ctx.fail(`the input must have rank >= 2, got shape ${shapeToString(t.shape)}`);
    if (ctx.attrs.k !== undefined && ctx.inputs[1]) ctx.fail("'k' is given both as an attribute and as operand 1");
    const k = ctx.inputs[1];
    if (k && !(k.dtype === 'i64' && (k.shape.length === 0 || (k.shape.length === 1 && k.shape[0] === 1)))) {
      ctx.fail(`operand 'k' must be an i64 scalar, got ${k.dtype}${shapeToString(k.shape)}`);
    }
    return [t];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const k = ctx.attrs.k ?? (ctx.inputs[1] ? ctx.input(1).get(0) : 0);
    const [rows, cols] = t.shape.slice(-2) as [number, number];
    const keep = ctx.attrs.upper !== 0 ? (i: number, j: number) => j - i >= k : (i: number, j: number) => j - i <= k;
    const out = Tensor.zeros(t.dtype, t.shape);
    const src = t.data as unknown as readonly (number | bigint)[];
    const dst = out.data as unknown as (number | bigint)[];
    for (let p = 0; p < t.size; p++) {
      const j = p % cols;
      const i = Math.floor(p / cols) % rows;
      if (keep(i, j)) dst[p] = src[p]!;
    }
    return [out];
  },
});

// ---------------------------------------------------------------------------------------------------------
// Einsum

/** A parsed equation: per operand, one label per axis; the result's labels. Ellipsis axes get labels '0', '1', ... */
export interface EinsumPlan {
  operands: string[][];
  output: string[];
  /** The size of every label (broadcast across operands). */
  sizes: Map<string, Dim>;
}

const LETTER = /^[A-Za-z]$/;

/** Splits one term ("b...ij") into letters, with the ellipsis position (or -1). */
function parseTerm(ctx: Failer, term: string, equation: string): { letters: string[]; ellipsis: number } {
  const letters: string[] = [];
  let ellipsis = -1;
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('...', i)) {
      if (ellipsis >= 0) ctx.fail(`equation '${equation}': term '${term}' has more than one ellipsis`);
      ellipsis = letters.length;
      i += 2;
    } else if (LETTER.test(term[i]!)) letters.push(term[i]!);
    else ctx.fail(`equation '${equation}': unexpected character '${term[i]}' in term '${term}'`);
  }
  return { letters, ellipsis };
}

/**
 * Parses and checks an equation against operand shapes (symbolic or static): labels per axis, the result's
 * labels (implicit form: the ellipsis, then letters used exactly once, in alphabetical order), and label sizes.
 * Sizes of one label must agree across operands, except that 1 broadcasts (as numpy and PyTorch do); within one
 * operand a repeated label (a diagonal) needs equal sizes.
 */
export function einsumPlan(ctx: Failer, equation: string, shapes: readonly (readonly Dim[])[]): EinsumPlan {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) {
    ctx.fail(`equation '${equation}' has ${terms.length} input terms, but the node has ${shapes.length} operands`);
  }
  const parsed = terms.map((t) => parseTerm(ctx, t, equation));
  const ellipsisRank = Math.max(0, ...parsed.map((p, i) => (p.ellipsis >= 0 ? shapes[i]!.length - p.letters.length : 0)));
  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, i) => String(i));
  const dimsOf = new Map<string, Dim[]>();
  const operands = parsed.map((p, i) => {
    const shape = shapes[i]!;
    const n = p.ellipsis >= 0 ? shape.length - p.letters.length : 0;
    if (n < 0 || (p.ellipsis < 0 && shape.length !== p.letters.length)) {
      ctx.fail(`equation '${equation}': term '${terms[i]}' does not fit operand ${i} of shape ${shapeToString(shape)}`);
    }
    const labels = p.ellipsis < 0 ? p.letters
      : [...p.letters.slice(0, p.ellipsis), ...ellipsisLabels.slice(ellipsisRank - n), ...p.letters.slice(p.ellipsis)];
    const own = new Map<string, Dim>();
    labels.forEach((l, axis) => {
      const d = shape[axis]!;
      const prev = own.get(l);
      if (prev !== undefined && !dimEq(prev, d)) {
        ctx.fail(`equation '${equation}': label '${l}' repeats in operand ${i} of shape ${shapeToString(shape)} with different sizes ${prev} and ${d}`);
      }
      if (prev === undefined) {
        own.set(l, d);
        dimsOf.set(l, [...(dimsOf.get(l) ?? []), d]);
      }
    });
    return labels;
  });
  const sizes = new Map<string, Dim>();
  for (const [l, dims] of dimsOf) {
    const what = /^[0-9]/.test(l) ? `ellipsis dimension ${l}` : `label '${l}'`;
    const failer = { fail: (m: string): never => ctx.fail(`equation '${equation}': ${what} has sizes that do not match: ${m}`), freshDim: ctx.freshDim };
    sizes.set(l, broadcastShapes(failer, dims.map((d) => [d]))[0]!);
  }
  let output: string[];
  if (arrow >= 0) {
    const p = parseTerm(ctx, eq.slice(arrow + 2), equation);
    if (p.ellipsis >= 0 && !parsed.some((q) => q.ellipsis >= 0)) {
      ctx.fail(`equation '${equation}': the result has an ellipsis but no input term does`);
    }
    output = p.ellipsis < 0 ? p.letters : [...p.letters.slice(0, p.ellipsis), ...ellipsisLabels, ...p.letters.slice(p.ellipsis)];
    for (const l of p.letters) {
      if (!sizes.has(l)) ctx.fail(`equation '${equation}': result label '${l}' does not appear in any input term`);
    }
    if (new Set(p.letters).size !== p.letters.length) ctx.fail(`equation '${equation}': the result repeats a label`);
  } else {
    const counts = new Map<string, number>();
    for (const p of parsed) for (const l of p.letters) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort();
    output = [...ellipsisLabels, ...once];
  }
  return { operands, output, sizes };
}

/** Reference evaluation of a checked plan: every label combination visited once, products summed in float64. */
function einsumEvaluate(dtype: DType, plan: EinsumPlan, ts: readonly Tensor[]): Tensor {
  const outLabels = plan.output;
  const sumLabels = [...plan.sizes.keys()].filter((l) => !outLabels.includes(l));
  const loop = [...outLabels, ...sumLabels];
  const extent = loop.map((l) => plan.sizes.get(l) as number);
  // Per operand, the stride of each loop label (summed over repeated axes: diagonals; 0 where a 1 broadcasts).
  const strides = ts.map((t, k) => {
    const s = stridesOf(t.shape);
    return loop.map((l) => plan.operands[k]!.reduce((acc, ol, axis) => (ol === l && t.shape[axis] !== 1 ? acc + s[axis]! : acc), 0));
  });
  const values = ts.map((t) => t.toFloat64());
  const outShape = outLabels.map((l) => plan.sizes.get(l) as number);
  const outSize = shapeSize(outShape);
  const inner = shapeSize(sumLabels.map((l) => plan.sizes.get(l) as number));
  const result = new Float64Array(outSize);
  if (inner > 0) {
    const counter = new Array<number>(loop.length).fill(0);
    const offsets = new Array<number>(ts.length).fill(0);
    for (let o = 0; o < outSize; o++) {
      let acc = 0;
      for (let r = 0; r < inner; r++) {
        let prod = 1;
        for (let k = 0; k < ts.length; k++) prod *= values[k]![offsets[k]!]!;
        acc += prod;
        // Advance the loop counter (innermost label last), keeping each operand's offset current.
        for (let d = loop.length - 1; d >= 0; d--) {
          counter[d]!++;
          for (let k = 0; k < ts.length; k++) offsets[k]! += strides[k]![d]!;
          if (counter[d]! < extent[d]!) break;
          for (let k = 0; k < ts.length; k++) offsets[k]! -= strides[k]![d]! * counter[d]!;
          counter[d] = 0;
        }
      }
      result[o] = acc;
    }
  }
  return Tensor.fromNumbers(dtype, outShape, result);
}

export const Einsum = defineOp({
  name: 'Einsum',
  summary: 'Einstein summation over the operands as the equation says (products summed over absent labels)',
  inputs: [{ name: 'Inputs', variadic: true }],
  outputs: [{ name: 'Output' }],
  attrs: { equation: attr.required('string') },
  infer(ctx) {
    const types = ctx.inputs.map((_, i) => ctx.input(i));
    if (types.length === 0) ctx.fail('Einsum needs at least one operand');
    const dtype = types[0]!.dtype;
    types.forEach((t, i) => {
      if (t.dtype !== dtype) ctx.fail(`operand ${i} has dtype ${t.dtype}, operand 0 has ${dtype}`);
    });
    if (dtypeInfo(dtype).kind === 'bool') ctx.fail('Einsum needs numeric operands, got bool');
    const plan = einsumPlan(ctx, ctx.attrs.equation, types.map((t) => t.shape));
    return [{ dtype, shape: plan.output.map((l) => plan.sizes.get(l)!) }];
  },
  evaluate(ctx) {
    const ts = ctx.inputs.map((_, i) => ctx.input(i));
    const plan = einsumPlan(ctx, ctx.attrs.equation, ts.map((t) => t.shape));
    return [einsumEvaluate(ts[0]!.dtype, plan, ts)];
  },
});
