// Scatters: ScatterND (PyTorch's slice and index assignment, `mask[:, a:] = x`) and ScatterElements (`scatter_`),
// with the reductions none/add/mul/max/min; one writer shared by both.

import { type Dim, dimEq, isStaticDim, shapeToString } from '../ir/dim.js';
import { dtypeInfo } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor, shapeSize, stridesOf } from '../ir/tensor.js';
import { defineOp, attr } from './registry.js';
import { normalizeAxis } from './util.js';

interface Failer {
  fail(message: string): never;
}

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'] as const;
type Reduction = (typeof REDUCTIONS)[number];

function checkReduction(ctx: Failer, r: string): Reduction {
  if (!(REDUCTIONS as readonly string[]).includes(r)) ctx.fail(`reduction '${r}' is not one of ${REDUCTIONS.join(', ')}`);
  return r as Reduction;
}

/** Checks the operand dtypes shared by both scatters. */
function checkOperands(ctx: Failer, data: TensorType, indices: TensorType, updates: TensorType, reduction: Reduction): void {
  if (indices.dtype !== 'i64' && indices.dtype !== 'i32') ctx.fail(`indices must be i32 or i64, got ${indices.dtype}`);
  if (updates.dtype !== data.dtype) ctx.fail(`updates have dtype ${updates.dtype}, the data has ${data.dtype}`);
  if (reduction !== 'none' && dtypeInfo(data.dtype).kind === 'bool') ctx.fail(`reduction '${reduction}' needs numeric data, got bool`);
}

/** Two dims that certainly differ (both static and unequal; a symbol may be anything at compile time). */
function differ(a: Dim, b: Dim): boolean {
  return isStaticDim(a) && isStaticDim(b) && !dimEq(a, b);
}

/** An index within [-size, size) made non-negative; fails naming the operand position otherwise. */
function indexInRange(ctx: Failer, v: number, size: number, where: string): number {
  if (v < -size || v >= size) ctx.fail(`index ${v} at ${where} is out of range for a dimension of size ${size}`);
  return v < 0 ? v + size : v;
}

/**
 * A copy of `data` with element targets[i] combined with element i of `updates` (in order, so later duplicates
 * win for 'none'). 'none' copies raw storage (exact for every dtype); reductions compute on bigints for 64-bit
 * integers and on float64 otherwise, rounded once on store.
 */
function scatterInto(data: Tensor, updates: Tensor, targets: Int32Array, reduction: Reduction): Tensor {
  if (reduction === 'none') {
    const out = new Tensor(data.dtype, data.shape, data.data.slice());
    const dst = out.data as unknown as (number | bigint)[];
    const src = updates.data as unknown as readonly (number | bigint)[];
    for (let i = 0; i < targets.length; i++) dst[targets[i]!] = src[i]!;
    return out;
  }
  if (dtypeInfo(data.dtype).big) {
    const out = new Tensor(data.dtype, data.shape, data.data.slice());
    const dst = out.data as BigInt64Array;
    const src = updates.data as BigInt64Array;
    const f: (a: bigint, b: bigint) => bigint = {
      add: (a: bigint, b: bigint) => a + b, mul: (a: bigint, b: bigint) => a * b,
      max: (a: bigint, b: bigint) => (a > b ? a : b), min: (a: bigint, b: bigint) => (a < b ? a : b),
    }[reduction];
    for (let i = 0; i < targets.length; i++) dst[targets[i]!] = f(dst[targets[i]!]!, src[i]!);
    return out;
  }
  const values = Float64Array.from(data.toFloat64());
  const src = updates.toFloat64();
  const f: (a: number, b: number) => number = {
    add: (a: number, b: number) => a + b, mul: (a: number, b: number) => a * b, max: Math.max, min: Math.min,
  }[reduction];
  for (let i = 0; i < targets.length; i++) values[targets[i]!] = f(values[targets[i]!]!, src[i]!);
  return Tensor.fromNumbers(data.dtype, data.shape, values);
}

// ---------------------------------------------------------------------------------------------------------
// ScatterND

export const ScatterND = defineOp({
  name: 'ScatterND',
  summary: 'a copy of data with the slices addressed by the last axis of indices replaced by (or reduced with) updates',
  inputs: [{ name: 'data' }, { name: 'indices' }, { name: 'updates' }],
  outputs: [{ name: 'output' }],
  attrs: { reduction: attr.string('none') },
  infer(ctx) {
    const [data, indices, updates] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    checkOperands(ctx, data, indices, updates, checkReduction(ctx, ctx.attrs.reduction));
    const q = indices.shape.length;
    if (q < 1) ctx.fail('indices must have rank >= 1, got a scalar');
    const last = indices.shape[q - 1]!;
    const k = isStaticDim(last) ? last : ctx.fail(`the last dimension of indices ${shapeToString(indices.shape)} must be static`);
    if (k > data.shape.length) ctx.fail(`indices ${shapeToString(indices.shape)} address ${k} axes, but the data ${shapeToString(data.shape)} has ${data.shape.length}`);
    const expected: Dim[] = [...indices.shape.slice(0, -1), ...data.shape.slice(k)];
    if (updates.shape.length !== expected.length || updates.shape.some((d, i) => differ(d, expected[i]!))) {
      ctx.fail(`updates have shape ${shapeToString(updates.shape)}, but data ${shapeToString(data.shape)} and indices ${shapeToString(indices.shape)} need ${shapeToString(expected)}`);
    }
    return [data];
  },
  evaluate(ctx) {
    const [data, indices, updates] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const k = indices.shape[indices.rank - 1]!;
    const strides = stridesOf(data.shape);
    const slice = shapeSize(data.shape.slice(k));
    const count = shapeSize(indices.shape.slice(0, -1));
    if (updates.size !== count * slice) ctx.fail(`updates have shape ${shapeToString(updates.shape)}, which does not fit data ${shapeToString(data.shape)} and indices ${shapeToString(indices.shape)}`);
    const idx = indices.toFloat64();
    const targets = new Int32Array(count * slice);
    for (let i = 0; i < count; i++) {
      let base = 0;
      for (let j = 0; j < k; j++) base += indexInRange(ctx, idx[i * k + j]!, data.shape[j]!, `indices element ${i * k + j}`) * strides[j]!;
      for (let e = 0; e < slice; e++) targets[i * slice + e] = base + e;
    }
    return [scatterInto(data, updates, targets, checkReduction(ctx, ctx.attrs.reduction))];
  },
});

// ---------------------------------------------------------------------------------------------------------
// ScatterElements

export const ScatterElements = defineOp({
  name: 'ScatterElements',
  summary: 'a copy of data where, along axis, position indices[i] takes (or is reduced with) updates[i]',
  inputs: [{ name: 'data' }, { name: 'indices' }, { name: 'updates' }],
  outputs: [{ name: 'output' }],
  attrs: { axis: attr.int(0), reduction: attr.string('none') },
  infer(ctx) {
    const [data, indices, updates] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    checkOperands(ctx, data, indices, updates, checkReduction(ctx, ctx.attrs.reduction));
    normalizeAxis(ctx, ctx.attrs.axis, data.shape.length);
    if (indices.shape.length !== data.shape.length) ctx.fail(`indices ${shapeToString(indices.shape)} must have the rank of the data ${shapeToString(data.shape)}`);
    const same = updates.shape.length === indices.shape.length && !updates.shape.some((d, i) => differ(d, indices.shape[i]!));
    if (!same) ctx.fail(`updates have shape ${shapeToString(updates.shape)}, but indices have ${shapeToString(indices.shape)}`);
    return [data];
  },
  evaluate(ctx) {
    const [data, indices, updates] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const axis = normalizeAxis(ctx, ctx.attrs.axis, data.rank);
    if (indices.shape.some((d, i) => d !== updates.shape[i] || (i !== axis && d > data.shape[i]!))) {
      ctx.fail(`indices ${shapeToString(indices.shape)} and updates ${shapeToString(updates.shape)} do not fit data ${shapeToString(data.shape)}`);
    }
    const dataStrides = stridesOf(data.shape);
    const idxStrides = stridesOf(indices.shape);
    const idx = indices.toFloat64();
    const targets = new Int32Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      let off = 0;
      for (let d = 0; d < data.rank; d++) {
        const c = Math.floor(i / idxStrides[d]!) % indices.shape[d]!;
        off += (d === axis ? indexInRange(ctx, idx[i]!, data.shape[d]!, `indices element ${i}`) : c) * dataStrides[d]!;
      }
      targets[i] = off;
    }
    return [scatterInto(data, updates, targets, checkReduction(ctx, ctx.attrs.reduction))];
  },
});
