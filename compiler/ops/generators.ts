// Ops that create tensors from attributes and shapes: Constant, ConstantOfShape, Range, EyeLike.

import { type Dim, dimDiv, dimSub, isStaticDim, shapeToString } from '../ir/dim.js';
import { type DType, dtypeFromOnnx, onnxDataTypeName } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor, shapeSize } from '../ir/tensor.js';
import { type InferContext, defineOp, attr } from './registry.js';
import { shapeOperand } from './shape.js';

interface Failer {
  fail(message: string): never;
}

// ---------------------------------------------------------------------------------------------------------
// Constant

interface ConstantAttrs {
  readonly value?: Tensor;
  readonly value_float?: number;
  readonly value_floats?: number[];
  readonly value_int?: number;
  readonly value_ints?: number[];
  readonly value_string?: string;
  readonly value_strings?: string[];
}

/** The tensor a Constant node holds: exactly one of its value attributes, strings refused. */
function constantValue(ctx: Failer, a: ConstantAttrs): Tensor {
  const given = Object.entries(a).filter(([, v]) => v !== undefined).map(([k]) => k);
  if (given.length !== 1) {
    ctx.fail(`exactly one value attribute must be given, got ${given.length === 0 ? 'none' : given.join(', ')}`);
  }
  if (a.value_string !== undefined || a.value_strings !== undefined) ctx.fail('string constants are not supported');
  if (a.value) return a.value;
  if (a.value_float !== undefined) return Tensor.scalar('f32', a.value_float);
  if (a.value_floats) return Tensor.fromNumbers('f32', [a.value_floats.length], a.value_floats);
  if (a.value_int !== undefined) return Tensor.scalar('i64', a.value_int);
  return Tensor.fromNumbers('i64', [a.value_ints!.length], a.value_ints!);
}

export const Constant = defineOp({
  name: 'Constant',
  summary: 'a constant tensor given by one of the value attributes',
  inputs: [],
  outputs: [{ name: 'output' }],
  attrs: {
    value: attr.tensor(), value_float: attr.float(), value_floats: attr.floats(), value_int: attr.int(),
    value_ints: attr.ints(), value_string: attr.string(), value_strings: attr.strings(),
  },
  infer(ctx) {
    const t = constantValue(ctx, ctx.attrs);
    return [{ dtype: t.dtype, shape: [...t.shape] }];
  },
  evaluate: (ctx) => [constantValue(ctx, ctx.attrs)],
});

// ---------------------------------------------------------------------------------------------------------
// ConstantOfShape

/** ConstantOfShape's fill value: a one-element tensor, default f32 0. */
function fillValue(ctx: Failer, value: Tensor | undefined): Tensor {
  if (!value) return Tensor.scalar('f32', 0);
  if (value.size !== 1) ctx.fail(`value must hold exactly one element, got shape ${shapeToString(value.shape)}`);
  return value;
}

function checkShape(ctx: Failer, shape: readonly Dim[]): void {
  if (shape.some((d) => isStaticDim(d) && (d < 0 || !Number.isInteger(d)))) ctx.fail(`invalid shape ${shapeToString(shape)}`);
}

export const ConstantOfShape = defineOp({
  name: 'ConstantOfShape',
  summary: 'a tensor of the given shape filled with one value',
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: { value: attr.tensor() },
  infer(ctx) {
    const value = fillValue(ctx, ctx.attrs.value);
    const shape = shapeOperand(ctx as InferContext<unknown>, 0, 'shape');
    checkShape(ctx, shape);
    return [{ dtype: value.dtype, shape }];
  },
  evaluate(ctx) {
    const value = fillValue(ctx, ctx.attrs.value);
    const shape = ctx.input(0).toNumbers();
    checkShape(ctx, shape);
    const out = Tensor.zeros(value.dtype, shape);
    (out.data as unknown as { fill(v: number | bigint): void }).fill(value.data[0]!);
    return [out];
  },
});

// ---------------------------------------------------------------------------------------------------------
// Range

const RANGE_TYPES: readonly DType[] = ['f32', 'f64', 'i16', 'i32', 'i64'];

/** Range's length max(ceil((limit - start) / delta), 0) on numbers. */
function rangeLength(ctx: Failer, start: number, limit: number, delta: number): number {
  if (delta === 0) ctx.fail('delta must not be 0');
  const n = Math.max(0, Math.ceil((limit - start) / delta));
  if (!Number.isSafeInteger(n)) ctx.fail(`start ${start}, limit ${limit} and delta ${delta} do not give a finite length`);
  return n;
}

export const Range = defineOp({
  name: 'Range',
  summary: 'the 1-D sequence start, start + delta, ... up to but excluding limit',
  inputs: [{ name: 'start' }, { name: 'limit' }, { name: 'delta' }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer(ctx) {
    const types = [0, 1, 2].map((i) => ctx.input(i));
    const dtype = types[0]!.dtype;
    if (!RANGE_TYPES.includes(dtype)) ctx.fail(`dtype ${dtype} is not supported (${RANGE_TYPES.join(', ')})`);
    types.forEach((t: TensorType, i) => {
      if (t.dtype !== dtype) ctx.fail(`operand ${i} has dtype ${t.dtype}, start has ${dtype}`);
      if (t.shape.length !== 0) ctx.fail(`operand ${i} must be a scalar, got shape ${shapeToString(t.shape)}`);
    });
    // Integer operands may be symbolic (a Range over a sequence length); float ones are known only as constants.
    const [start, limit, delta] = [0, 1, 2].map((i) => ctx.symbolic(i)?.[0] ?? ctx.constant(i)?.get(0));
    if (start !== undefined && limit !== undefined && isStaticDim(delta!)) {
      if (isStaticDim(start) && isStaticDim(limit)) return [{ dtype, shape: [rangeLength(ctx, start, limit, delta)] }];
      // Symbolic bounds: limit >= start is assumed (as for arange(seq) in exports), so the length is exact.
      const n = delta === 1 ? dimSub(limit, start) : delta > 0 ? dimDiv(dimSub(limit, start), delta) : undefined;
      if (n !== undefined) return [{ dtype, shape: [n] }];
    }
    return [{ dtype, shape: [ctx.freshDim('range')] }];
  },
  evaluate(ctx) {
    const [start, limit, delta] = [0, 1, 2].map((i) => ctx.input(i).get(0)) as [number, number, number];
    const n = rangeLength(ctx, start, limit, delta);
    // start + i * delta computed in float64 and rounded once on store (exact for integers below 2^53).
    return [Tensor.fromNumbers(ctx.input(0).dtype, [n], Array.from({ length: n }, (_, i) => start + i * delta))];
  },
});

// ---------------------------------------------------------------------------------------------------------
// EyeLike

function eyeDType(ctx: Failer, code: number | undefined, input: DType): DType {
  if (code === undefined) return input;
  const d = dtypeFromOnnx(code);
  if (!d) ctx.fail(`dtype ${onnxDataTypeName(code)} is not supported`);
  return d;
}

export const EyeLike = defineOp({
  name: 'EyeLike',
  summary: 'a 2-D tensor of the input shape with ones on the k-th diagonal',
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: { dtype: attr.int(), k: attr.int(0) },
  infer(ctx) {
    const t = ctx.input(0);
    if (t.shape.length !== 2) ctx.fail(`the input must be 2-D, got shape ${shapeToString(t.shape)}`);
    return [{ dtype: eyeDType(ctx, ctx.attrs.dtype, t.dtype), shape: [...t.shape] }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const [rows, cols] = t.shape as [number, number];
    const values = new Array<number>(shapeSize(t.shape)).fill(0);
    for (let i = 0; i < rows; i++) {
      const j = i + ctx.attrs.k;
      if (j >= 0 && j < cols) values[i * cols + j] = 1;
    }
    return [Tensor.fromNumbers(eyeDType(ctx, ctx.attrs.dtype, t.dtype), t.shape, values)];
  },
});
