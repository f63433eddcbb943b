// Pass-through ops: Identity, Dropout (inference: identity, mask of ones), and the conversions Cast, CastLike.

import { defineOp, attr } from './registry.js';
import { Tensor, writeNumbers } from '../ir/tensor.js';
import { type DType, dtypeFromOnnx, dtypeInfo, isFloat, isInteger, onnxDataTypeName } from '../ir/dtype.js';
import type { Dim } from '../ir/dim.js';
import type { TensorType } from '../ir/graph.js';

export const Identity = defineOp({
  name: 'Identity',
  summary: 'returns its operand unchanged',
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer: (ctx) => [ctx.input(0)],
  evaluate: (ctx) => [ctx.input(0)],
  symbolic: (ctx) => [ctx.symbolic(0)],
});

export const Dropout = defineOp({
  name: 'Dropout',
  summary: 'inference-mode dropout: the data unchanged, and an all-true mask when asked for',
  inputs: [{ name: 'data' }, { name: 'ratio', optional: true }, { name: 'training_mode', optional: true }],
  outputs: [{ name: 'output' }, { name: 'mask', optional: true }],
  attrs: { seed: attr.int(), ratio: attr.float() },
  infer(ctx) {
    const t = ctx.input(0);
    const training = ctx.constant(2);
    if (training && training.get(0) !== 0) ctx.fail('training_mode=true is not supported (inference only)');
    if (ctx.inputs[2] && !training) ctx.fail('training_mode must be a constant');
    return [t, { dtype: 'bool', shape: t.shape }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const mask = Tensor.fromNumbers('bool', t.shape, new Array<number>(t.size).fill(1));
    return [t, mask];
  },
});

/**
 * Converts a tensor's elements to another dtype with ONNX Cast semantics: floats to integers truncate toward
 * zero (out of range: wraps for narrow types, saturates for 64-bit ones; NaN -> 0), anything to bool is
 * `x != 0` (NaN -> true), floats round to nearest even. 64-bit integers convert exactly between each other
 * and to narrower integers (two's complement wrap), through BigInt.
 */
export function castTensor(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = Tensor.zeros(dtype, t.shape);
  const from = dtypeInfo(t.dtype);
  const to = dtypeInfo(dtype);
  if (from.big && (to.kind === 'int' || to.kind === 'uint')) {
    const src = t.data as BigInt64Array | BigUint64Array;
    const bits = to.bytes * 8;
    const wrap = to.kind === 'int' ? (v: bigint) => BigInt.asIntN(bits, v) : (v: bigint) => BigInt.asUintN(bits, v);
    const dst = out.data as unknown as (number | bigint)[];
    for (let i = 0; i < src.length; i++) dst[i] = to.big ? wrap(src[i]!) : Number(wrap(src[i]!));
    return out;
  }
  if (dtype === 'bool') {
    const src = t.data as unknown as readonly (number | bigint)[];
    for (let i = 0; i < out.size; i++) out.data[i] = from.big ? (src[i] !== 0n ? 1 : 0) : t.get(i) !== 0 ? 1 : 0;
    return out;
  }
  writeNumbers(out, t.toFloat64());
  return out;
}

/**
 * The symbolic contents a cast keeps. Integer-to-integer casts of shape values (PyTorch casts i64 shapes to i32
 * and back) keep them. Integer-to-float casts keep them only for scalars: `torch.arange(seq, dtype=float)` exports
 * Range(0, Cast(seq), 1), whose length is `seq` only if the cast keeps the symbol. A float vector could mix
 * numbers and symbols, and elementwise symbolic folding (integer semantics: Div truncates) would then compute
 * wrong float numbers, so vectors are not kept.
 */
function castSymbolic(from: TensorType, to: DType, contents: Dim[] | undefined): Dim[] | undefined {
  if (!isInteger(from.dtype)) return undefined;
  if (isInteger(to)) return contents;
  return isFloat(to) && from.shape.length === 0 ? contents : undefined;
}

export const Cast = defineOp({
  name: 'Cast',
  summary: "converts the elements to the dtype `to` (a TensorProto.DataType code)",
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: { to: attr.required('int'), saturate: attr.int(1) },
  infer(ctx) {
    const dtype = dtypeFromOnnx(ctx.attrs.to) ?? ctx.fail(`cannot cast to ${onnxDataTypeName(ctx.attrs.to)}: xfc has no such dtype`);
    return [{ dtype, shape: ctx.input(0).shape }];
  },
  evaluate: (ctx) => [castTensor(ctx.input(0), dtypeFromOnnx(ctx.attrs.to)!)],
  symbolic: (ctx) => [castSymbolic(ctx.input(0), ctx.outputs[0]!.dtype, ctx.symbolic(0))],
});

export const CastLike = defineOp({
  name: 'CastLike',
  summary: 'converts the elements of input to the dtype of target_type',
  inputs: [{ name: 'input' }, { name: 'target_type' }],
  outputs: [{ name: 'output' }],
  attrs: { saturate: attr.int(1) },
  infer: (ctx) => [{ dtype: ctx.input(1).dtype, shape: ctx.input(0).shape }],
  evaluate: (ctx) => [castTensor(ctx.input(0), ctx.input(1).dtype)],
  symbolic: (ctx) => [castSymbolic(ctx.input(0), ctx.input(1).dtype, ctx.symbolic(0))],
});
