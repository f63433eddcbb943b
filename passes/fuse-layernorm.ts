// LayerNorm fusion: the decomposed chain exporters write below opset 17 becomes one ONNX LayerNormalization.
//
//   d = x - ReduceMean(x, axes)                              (axes: the trailing dims)
//   y = d / Sqrt(ReduceMean(d^2, axes) + eps) [* gamma] [+ beta]     (or d * Reciprocal(Sqrt(...)), d*d for d^2)
//   → LayerNormalization(x, gamma or ones, beta; axis = -|axes|, epsilon = eps)
//
// Opset-17 exports already carry LayerNormalization; nothing to do for them.

import type { Dim } from '../compiler/ir/dim.js';
import { isStaticDim } from '../compiler/ir/dim.js';
import { type AttrValue, type Value, materialize } from '../compiler/ir/graph.js';
import { Tensor } from '../compiler/ir/tensor.js';
import { $, m } from './pattern-dsl.js';
import { type OpPattern } from './pattern.js';
import { type Pattern, type RewriteBuilder, patternPass, rule, scalarValue } from './rewrite.js';

/** The reduced axes of a ReduceMean as sorted non-negative numbers (absent: every axis). */
function reducedAxes(axes: AttrValue | undefined, rank: number): number[] {
  if (!Array.isArray(axes) || axes.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return (axes as number[]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/** The scale or bias operand for LayerNormalization: a constant with leading 1-dims dropped to the normalized rank. */
function normalizedOperand(b: RewriteBuilder, v: Value, normRank: number): Value {
  const shape = v.type.shape;
  if (shape.length <= normRank) return v;
  const lead = shape.slice(0, shape.length - normRank);
  if (!lead.every((d) => d === 1) || !v.constant) return v; // LayerNormalization's type rule rejects it
  const t = materialize(v.constant);
  return b.constant(t.reshape(t.shape.slice(shape.length - normRank)), `${v.name}_normalized`);
}

/** The decomposed layer norm rooted at `normalized` (Div or Mul by a reciprocal) with optional scale and bias. */
function layerNorm(name: string, normalized: (d: ReturnType<typeof m.any>, std: OpPattern) => OpPattern): Pattern {
  const d = m.Sub($.x, m.ReduceMean($.x, { axes: $.meanAxes, keepdims: 1 })).as('d');
  const variance = m.ReduceMean(m.oneOf(m.Pow(d, m.scalar(2)), m.Mul(d, d)), { axes: $.varAxes, keepdims: 1 });
  const std = m.Sqrt(m.Add(variance, m.scalar($.eps)));
  const root = m.Add.maybe(m.Mul.maybe(normalized(d, std), m.const($.gamma)), m.const($.beta));
  return rule(name, root, ({ x, gamma, beta, eps }, b, reject, { attrs }) => {
    const rank = x!.type.shape.length;
    const axes = reducedAxes(attrs.meanAxes, rank);
    if (reducedAxes(attrs.varAxes, rank).join() !== axes.join()) return reject('the mean and the variance reduce different axes');
    if (!axes.every((a, i) => a === rank - axes.length + i)) return reject(`the reduced axes [${axes.join(', ')}] are not the trailing dims`);
    const axis = -axes.length; // counted from the back, as opset-17 exports write it
    const normShape: Dim[] = x!.type.shape.slice(rank + axis);
    let scale: Value;
    if (gamma) scale = normalizedOperand(b, gamma, normShape.length);
    else if (normShape.every(isStaticDim)) scale = b.constant(Tensor.fromNumbers(x!.type.dtype, normShape, new Array<number>(normShape.reduce((p, q) => p * q, 1)).fill(1)));
    else return reject('without a scale, the normalized dims must be static (LayerNormalization needs a Scale operand)');
    const bias = beta ? normalizedOperand(b, beta, normShape.length) : undefined;
    return b.op('LayerNormalization', [x, scale, bias], { axis, epsilon: scalarValue(eps)! });
  }, { internalOnly: true });
}

export const LAYERNORM_PATTERNS: readonly Pattern[] = [
  layerNorm('layernorm-div', (d, std) => m.Div(d, std)), //                  d / sqrt(var + eps)
  layerNorm('layernorm-reciprocal', (d, std) => m.Mul(d, m.Reciprocal(std))), // d * (1 / sqrt(var + eps))
];

export const fuseLayernorm = patternPass(
  'fuse-layernorm',
  'fuses decomposed ReduceMean/Sub/Pow/Sqrt/Div(/Mul/Add) layer norms into LayerNormalization',
  LAYERNORM_PATTERNS,
  { reverse: true },
);
