// Data-movement ops that pick or join elements: Concat, Split, Slice, Gather, GatherElements, Tile; and the
// index-plan helpers they share with shape.ts (one plan drives both the reference evaluation and the
// propagation of symbolic contents, so the two cannot disagree).

import {
  type Dim, dimAdd, dimDiv, dimEq, dimIsPositive, dimMul, dimSub, isStaticDim, shapeToString,
} from '../ir/dim.js';
import { type DType, isInteger } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor, shapeSize, stridesOf } from '../ir/tensor.js';
import { defineOp, attr } from './registry.js';
import { normalizeAxes, normalizeAxis } from './util.js';

interface Failer {
  fail(message: string): never;
}

// ---------------------------------------------------------------------------------------------------------
// Index plans: for each output element (row-major), the flat index of the input element it copies.

/** The plan of an affine view: input index = offset + Σ_d j_d * coefs[d] for output multi-index j. */
export function affineIndex(outShape: readonly number[], offset: number, coefs: readonly number[]): Int32Array {
  const n = shapeSize(outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const counter = new Array<number>(rank).fill(0);
  let off = offset;
  for (let j = 0; j < n; j++) {
    idx[j] = off;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      off += coefs[d]!;
      if (counter[d]! < outShape[d]!) break;
      off -= coefs[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

/** The plan of a strided window: output dim d reads input positions starts[d] + j * steps[d]. */
export function stridedIndex(inShape: readonly number[], outShape: readonly number[], starts: readonly number[], steps: readonly number[]): Int32Array {
  const strides = stridesOf(inShape);
  const offset = starts.reduce((acc, s, d) => acc + s * strides[d]!, 0);
  return affineIndex(outShape, offset, steps.map((s, d) => s * strides[d]!));
}

/**
 * A new tensor of `shape` whose element i is element idx[i] of sources[src[i]] (src absent: sources[0]).
 * Raw storage is copied, so every dtype (f16 bits, bigints, bools) moves exactly.
 */
export function takeElements(dtype: DType, shape: readonly number[], sources: readonly Tensor[], idx: Int32Array, src?: Int32Array): Tensor {
  const out = Tensor.zeros(dtype, shape);
  const dst = out.data as unknown as (number | bigint)[];
  const data = sources.map((t) => t.data as unknown as readonly (number | bigint)[]);
  for (let i = 0; i < idx.length; i++) dst[i] = data[src ? src[i]! : 0]![idx[i]!]!;
  return out;
}

/** The same plan applied to symbolic contents. */
export function takeDims(sources: readonly (readonly Dim[])[], idx: Int32Array, src?: Int32Array): Dim[] {
  return Array.from(idx, (k, i) => sources[src ? src[i]! : 0]![k]!);
}

/** Static dims of a result type, or undefined (symbolic contents exist only for static shapes). */
export function staticShape(t: TensorType | undefined): number[] | undefined {
  return t && t.shape.every(isStaticDim) ? (t.shape as number[]) : undefined;
}

/**
 * An ints attribute that later opsets turned into an optional input (Squeeze/Unsqueeze `axes`, Split `split`):
 * the attribute when given, else the operand's contents, which must be known numbers. Undefined when neither.
 */
export function attrOrOperand(
  ctx: Failer & { readonly inputs: readonly unknown[] },
  name: string,
  fromAttr: readonly number[] | undefined,
  i: number,
  contents: () => readonly Dim[] | undefined,
): number[] | undefined {
  const present = ctx.inputs[i] !== undefined;
  if (fromAttr && present) ctx.fail(`'${name}' is given both as an attribute and as operand ${i}`);
  if (fromAttr) return [...fromAttr];
  if (!present) return undefined;
  const c = contents();
  if (!c || !c.every(isStaticDim)) ctx.fail(`operand '${name}' must be a constant known at compile time`);
  return c as number[];
}

// ---------------------------------------------------------------------------------------------------------
// Concat

function concatPlan(shapes: readonly (readonly number[])[], axis: number): { src: Int32Array; idx: Int32Array } {
  const first = shapes[0]!;
  const outer = shapeSize(first.slice(0, axis));
  const inner = shapeSize(first.slice(axis + 1));
  const chunks = shapes.map((s) => s[axis]! * inner);
  const total = outer * chunks.reduce((a, b) => a + b, 0);
  const src = new Int32Array(total);
  const idx = new Int32Array(total);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    chunks.forEach((chunk, k) => {
      for (let i = 0; i < chunk; i++, p++) {
        src[p] = k;
        idx[p] = o * chunk + i;
      }
    });
  }
  return { src, idx };
}

export const Concat = defineOp({
  name: 'Concat',
  summary: 'joins tensors along an axis',
  inputs: [{ name: 'inputs', variadic: true }],
  outputs: [{ name: 'concat_result' }],
  attrs: { axis: attr.required('int') },
  infer(ctx) {
    const types = ctx.inputs.map((_, i) => ctx.input(i));
    const first = types[0]!;
    const rank = first.shape.length;
    if (rank === 0) ctx.fail('cannot concatenate scalars (rank 0)');
    const axis = normalizeAxis(ctx, ctx.attrs.axis, rank);
    const shape = [...first.shape];
    shape[axis] = 0;
    types.forEach((t, k) => {
      const mismatch = () => ctx.fail(`operand ${k} has shape ${shapeToString(t.shape)}, which cannot be concatenated with ${shapeToString(first.shape)} along axis ${axis}`);
      if (t.dtype !== first.dtype) ctx.fail(`operand ${k} has dtype ${t.dtype}, operand 0 has ${first.dtype}`);
      if (t.shape.length !== rank) mismatch();
      t.shape.forEach((d, i) => {
        if (i === axis || dimEq(d, shape[i]!)) return;
        if (isStaticDim(d) && isStaticDim(shape[i]!)) mismatch();
        // A symbol against a number: the run-time value must be that number. Two symbols: equal at run time.
        if (isStaticDim(d)) shape[i] = d;
      });
      shape[axis] = dimAdd(shape[axis]!, t.shape[axis]!);
    });
    return [{ dtype: first.dtype, shape }];
  },
  evaluate(ctx) {
    const ts = ctx.inputs.map((_, i) => ctx.input(i));
    const axis = normalizeAxis(ctx, ctx.attrs.axis, ts[0]!.rank);
    const shape = [...ts[0]!.shape];
    shape[axis] = ts.reduce((acc, t) => acc + t.shape[axis]!, 0);
    const { src, idx } = concatPlan(ts.map((t) => t.shape), axis);
    return [takeElements(ts[0]!.dtype, shape, ts, idx, src)];
  },
  symbolic(ctx) {
    const parts = ctx.inputs.map((_, i) => ctx.symbolic(i));
    const shapes = ctx.inputs.map((t) => staticShape(t));
    if (parts.some((p) => !p) || shapes.some((s) => !s)) return [undefined];
    const axis = normalizeAxis(ctx, ctx.attrs.axis, shapes[0]!.length);
    const { src, idx } = concatPlan(shapes as number[][], axis);
    return [takeDims(parts as Dim[][], idx, src)];
  },
});

// ---------------------------------------------------------------------------------------------------------
// Split

/**
 * The lengths of Split's parts along a dim of size `dim`: explicit `split`, `num_outputs` (opset 18: parts of
 * ceil(dim / n), the last one smaller), or equal parts, one per result.
 */
function splitLengths(
  ctx: Failer & { freshDim?(hint: string): string },
  dim: Dim,
  split: readonly number[] | undefined,
  numOutputsAttr: number | undefined,
  numResults: number,
): Dim[] {
  if (split) {
    if (numOutputsAttr !== undefined) ctx.fail("'split' and 'num_outputs' cannot both be given");
    if (split.length !== numResults) ctx.fail(`'split' has ${split.length} lengths [${split.join(', ')}] but the node has ${numResults} results`);
    if (split.some((s) => s < 0)) ctx.fail(`'split' lengths [${split.join(', ')}] must be >= 0`);
    const sum = split.reduce((a, b) => a + b, 0);
    if (!dimEq(sum, dim)) ctx.fail(`'split' lengths [${split.join(', ')}] sum to ${sum}, but the split axis has size ${dim}`);
    return [...split];
  }
  if (numOutputsAttr !== undefined && numOutputsAttr !== numResults) {
    ctx.fail(`num_outputs is ${numOutputsAttr} but the node has ${numResults} results`);
  }
  const n = numResults;
  if (n < 1) ctx.fail('Split needs at least one result');
  if (isStaticDim(dim)) {
    if (dim % n === 0) return new Array<Dim>(n).fill(dim / n);
    if (numOutputsAttr === undefined) ctx.fail(`the split axis has size ${dim}, which is not divisible into ${n} equal parts`);
    const chunk = Math.ceil(dim / n);
    const last = dim - chunk * (n - 1);
    if (last < 0) ctx.fail(`the split axis has size ${dim}, too small for num_outputs=${n} parts of ${chunk}`);
    return [...new Array<Dim>(n - 1).fill(chunk), last];
  }
  const part = dimDiv(dim, n);
  if (part !== undefined) return new Array<Dim>(n).fill(part);
  if (!ctx.freshDim) ctx.fail(`cannot split ${dim} into ${n} parts`);
  return Array.from({ length: n }, () => ctx.freshDim!('split'));
}

/** For each part: its shape and its plan into the input. */
function splitPlans(inShape: readonly number[], axis: number, lengths: readonly number[]): { shape: number[]; idx: Int32Array }[] {
  let offset = 0;
  return lengths.map((len) => {
    const shape = [...inShape];
    shape[axis] = len;
    const starts = inShape.map((_, d) => (d === axis ? offset : 0));
    offset += len;
    return { shape, idx: stridedIndex(inShape, shape, starts, inShape.map(() => 1)) };
  });
}

export const Split = defineOp({
  name: 'Split',
  summary: 'cuts a tensor into parts along an axis (explicit lengths, num_outputs, or equal parts)',
  inputs: [{ name: 'input' }, { name: 'split', optional: true, constantToAttr: 'split' }],
  outputs: [{ name: 'outputs', variadic: true }],
  attrs: { axis: attr.int(0), split: attr.ints(), num_outputs: attr.int() },
  infer(ctx) {
    const t = ctx.input(0);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, t.shape.length);
    const split = attrOrOperand(ctx, 'split', ctx.attrs.split, 1, () => ctx.symbolic(1));
    const lengths = splitLengths(ctx, t.shape[axis]!, split, ctx.attrs.num_outputs, ctx.numOutputs);
    return lengths.map((len) => ({ dtype: t.dtype, shape: t.shape.map((d, i) => (i === axis ? len : d)) }));
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, t.rank);
    const split = attrOrOperand(ctx, 'split', ctx.attrs.split, 1, () => ctx.input(1).toNumbers());
    const lengths = splitLengths(ctx, t.shape[axis]!, split, ctx.attrs.num_outputs, ctx.numOutputs) as number[];
    return splitPlans(t.shape, axis, lengths).map((p) => takeElements(t.dtype, p.shape, [t], p.idx));
  },
  symbolic(ctx) {
    const s = ctx.symbolic(0);
    const inShape = staticShape(ctx.inputs[0]);
    const outShapes = ctx.outputs.map(staticShape);
    if (!s || !inShape || outShapes.some((o) => !o)) return ctx.outputs.map(() => undefined);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, inShape.length);
    return splitPlans(inShape, axis, outShapes.map((o) => o![axis]!)).map((p) => takeDims([s], p.idx));
  },
});

// ---------------------------------------------------------------------------------------------------------
// Slice

/** Bounds at or beyond this magnitude are "to the end" sentinels (PyTorch writes INT64_MAX / INT64_MIN). */
const SENTINEL = 2 ** 31 - 1;

/** ONNX Slice clamping on a static dim: the first position read and the number of positions. */
export function clampSlice(dim: number, start: number, end: number, step: number): { start: number; length: number } {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
  } else {
    start = Math.min(Math.max(start, 0), dim - 1);
    end = Math.min(Math.max(end, -1), dim - 1);
  }
  return { start, length: Math.max(0, Math.ceil((end - start) / step)) };
}

/**
 * The length of a slice when the dim or a bound is symbolic.
 *
 * Assumptions (documented because they cannot be checked at compile time):
 *  - A symbolic bound lies within [0, dim] (or is the negation of such a value, counting from the end).
 *    PyTorch computes these bounds from the tensor's own shape: GPT-2 slices its causal-mask buffer with
 *    `bias[:, :, k_len - q_len : k_len, :k_len]` (k_len, q_len from Shape), BERT slices `position_ids[:, :seq]`.
 *    So GPT-2's 1024-long buffer sliced [k_len - seq : k_len] has length `seq`.
 *  - A static bound on a symbolic dim is only taken literally when it is certainly in range, i.e. when its
 *    magnitude is at most 1 (symbols are >= 1): `x[:, 1:]` is `seq-1`, `x[:, :-1]` is `seq-1`. A sentinel
 *    (|bound| >= 2^31-1) means "to the end". Otherwise (e.g. `x[:, :8]` on `seq`, really min(8, seq)) the
 *    length is a fresh symbol.
 */
function symbolicSliceLength(dim: Dim, start: Dim, end: Dim, step: number, freshDim: (hint: string) => string): Dim {
  if (isStaticDim(dim) && isStaticDim(start) && isStaticDim(end)) return clampSlice(dim, start, end, step).length;
  const s = slicePosition(dim, start, step, true);
  const e = slicePosition(dim, end, step, false);
  const diff = dimSub(e.pos, s.pos);
  if (!s.exact || !e.exact) return freshDim('slice');
  if (isStaticDim(diff)) return Math.max(0, Math.ceil(diff / step));
  return step === 1 ? diff : dimDiv(diff, step) ?? freshDim('slice');
}

/**
 * Where a Slice bound lands on an axis of size `dim`, under the assumptions of symbolicSliceLength (static dim
 * and bound: clamped exactly as the spec does). `exact` is false for a static bound on a symbolic dim that may
 * be out of range (|bound| > 1, not a sentinel): the position is then only nominal. Backends use the start
 * position to address the first element read.
 */
export function slicePosition(dim: Dim, v: Dim, step: number, isStart: boolean): { pos: Dim; exact: boolean } {
  if (!isStaticDim(v)) {
    // `-k` with k a symbolic bound counts from the end.
    return { pos: dimIsPositive(dimMul(v, -1)) ? dimAdd(dim, v) : v, exact: true };
  }
  if (isStaticDim(dim)) {
    const c = v < 0 ? v + dim : v;
    return { pos: step > 0 ? Math.min(Math.max(c, 0), dim) : Math.min(Math.max(c, isStart ? 0 : -1), dim - 1), exact: true };
  }
  if (v >= SENTINEL) return { pos: step > 0 ? dim : dimSub(dim, 1), exact: true };
  if (v <= -SENTINEL) return { pos: step > 0 ? 0 : -1, exact: true };
  return { pos: v < 0 ? dimAdd(dim, v) : v, exact: Math.abs(v) <= 1 };
}

interface SliceArgs {
  starts: readonly Dim[];
  ends: readonly Dim[];
  axes: number[];
  steps: number[];
}

/** Reads and checks Slice's operands (shared by the type rule and the evaluation). */
function sliceArgs(ctx: Failer, rank: number, starts: readonly Dim[], ends: readonly Dim[], axes: readonly Dim[] | undefined, steps: readonly Dim[] | undefined): SliceArgs {
  const n = starts.length;
  if (ends.length !== n) ctx.fail(`starts has ${n} elements but ends has ${ends.length}`);
  if (axes && axes.length !== n) ctx.fail(`starts has ${n} elements but axes has ${axes.length}`);
  if (steps && steps.length !== n) ctx.fail(`starts has ${n} elements but steps has ${steps.length}`);
  if (axes && !axes.every(isStaticDim)) ctx.fail('axes must be known at compile time');
  if (steps && !steps.every(isStaticDim)) ctx.fail('steps must be known at compile time');
  const stepList = steps ? (steps as number[]) : new Array<number>(n).fill(1);
  if (stepList.some((s) => s === 0)) ctx.fail(`steps [${stepList.join(', ')}] must not be 0`);
  const axisList = axes ? normalizeAxes(ctx, axes as number[], rank) : Array.from({ length: n }, (_, i) => i);
  if (axisList.some((a) => a >= rank)) ctx.fail(`${n} axes to slice, but the data has rank ${rank}`);
  return { starts, ends, axes: axisList, steps: stepList };
}

/** Static slicing: the output shape and the plan into the input. */
function slicePlan(inShape: readonly number[], args: SliceArgs): { shape: number[]; idx: Int32Array } {
  const shape = [...inShape];
  const starts = inShape.map(() => 0);
  const steps = inShape.map(() => 1);
  args.axes.forEach((axis, i) => {
    const c = clampSlice(inShape[axis]!, args.starts[i] as number, args.ends[i] as number, args.steps[i]!);
    shape[axis] = c.length;
    starts[axis] = c.start;
    steps[axis] = args.steps[i]!;
  });
  return { shape, idx: stridedIndex(inShape, shape, starts, steps) };
}

export const Slice = defineOp({
  name: 'Slice',
  summary: 'a strided window of a tensor (starts/ends/axes/steps operands, numpy-style clamping)',
  inputs: [{ name: 'data' }, { name: 'starts' }, { name: 'ends' }, { name: 'axes', optional: true }, { name: 'steps', optional: true }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer(ctx) {
    const t = ctx.input(0);
    const known = (i: number, what: string): Dim[] => {
      return ctx.symbolic(i) ?? ctx.fail(`${what} (operand ${i}) could not be determined at compile time`);
    };
    for (const i of [1, 2, 3, 4]) {
      const ty = ctx.inputs[i];
      if (ty && !isInteger(ty.dtype)) ctx.fail(`operand ${i} must be an integer tensor, got ${ty.dtype}`);
    }
    const args = sliceArgs(ctx, t.shape.length, known(1, 'starts'), known(2, 'ends'),
      ctx.inputs[3] ? known(3, 'axes') : undefined, ctx.inputs[4] ? known(4, 'steps') : undefined);
    const shape = [...t.shape];
    args.axes.forEach((axis, i) => {
      shape[axis] = symbolicSliceLength(t.shape[axis]!, args.starts[i]!, args.ends[i]!, args.steps[i]!, ctx.freshDim);
    });
    return [{ dtype: t.dtype, shape }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const nums = (i: number) => (ctx.inputs[i] ? ctx.input(i).toNumbers() : undefined);
    const plan = slicePlan(t.shape, sliceArgs(ctx, t.rank, nums(1)!, nums(2)!, nums(3), nums(4)));
    return [takeElements(t.dtype, plan.shape, [t], plan.idx)];
  },
  symbolic(ctx) {
    const s = ctx.symbolic(0);
    const inShape = staticShape(ctx.inputs[0]);
    const bounds = [1, 2, 3, 4].map((i) => (ctx.inputs[i] ? ctx.symbolic(i) : undefined));
    if (!s || !inShape || !bounds[0]?.every(isStaticDim) || !bounds[1]?.every(isStaticDim)) return [undefined];
    const plan = slicePlan(inShape, sliceArgs(ctx, inShape.length, bounds[0], bounds[1], bounds[2], bounds[3]));
    return [takeDims([s], plan.idx)];
  },
});

// ---------------------------------------------------------------------------------------------------------
// Gather, GatherElements

/** Gather's plan: out[outer, k..., inner] = data[outer, indices[k...], inner]. */
function gatherPlan(ctx: Failer, dataShape: readonly number[], axis: number, indices: readonly number[]): Int32Array {
  const outer = shapeSize(dataShape.slice(0, axis));
  const inner = shapeSize(dataShape.slice(axis + 1));
  const n = dataShape[axis]!;
  const idx = new Int32Array(outer * indices.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (const raw of indices) {
      const k = raw < 0 ? raw + n : raw;
      if (!(k >= 0 && k < n)) ctx.fail(`index ${raw} is out of range for axis ${axis} of size ${n}`);
      for (let i = 0; i < inner; i++) idx[p++] = (o * n + k) * inner + i;
    }
  }
  return idx;
}

/** What Gather and GatherElements share: data and integer indices, one result, an axis (default 0). */
const GATHER_PORTS = {
  inputs: [{ name: 'data' }, { name: 'indices' }],
  outputs: [{ name: 'output' }],
  attrs: { axis: attr.int(0) },
};

/** The types of data and indices; fails unless indices are i32 or i64. */
function gatherOperands(ctx: Failer & { input(i: number): TensorType }): [data: TensorType, indices: TensorType] {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  if (indices.dtype !== 'i32' && indices.dtype !== 'i64') ctx.fail(`indices must be i32 or i64, got ${indices.dtype}`);
  return [data, indices];
}

export const Gather = defineOp({
  name: 'Gather',
  summary: 'picks entries of data along an axis by (possibly negative) indices',
  ...GATHER_PORTS,
  infer(ctx) {
    const [data, indices] = gatherOperands(ctx);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, data.shape.length);
    const dim = data.shape[axis]!;
    const known = ctx.symbolic(1);
    if (known && isStaticDim(dim)) {
      for (const k of known) {
        if (isStaticDim(k) && (k < -dim || k >= dim)) ctx.fail(`index ${k} is out of range for axis ${axis} of data ${shapeToString(data.shape)}`);
      }
    }
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
  },
  evaluate(ctx) {
    const data = ctx.input(0);
    const indices = ctx.input(1);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, data.rank);
    const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
    return [takeElements(data.dtype, shape, [data], gatherPlan(ctx, data.shape, axis, indices.toNumbers()))];
  },
  symbolic(ctx) {
    // The `Shape -> Gather(i)` chain: picking dims out of a shape vector.
    const s = ctx.symbolic(0);
    const inShape = staticShape(ctx.inputs[0]);
    const indices = ctx.symbolic(1);
    if (!s || !inShape || !indices?.every(isStaticDim)) return [undefined];
    const axis = normalizeAxis(ctx, ctx.attrs.axis, inShape.length);
    return [takeDims([s], gatherPlan(ctx, inShape, axis, indices))];
  },
});

export const GatherElements = defineOp({
  name: 'GatherElements',
  summary: 'out[j] = data[j with its axis coordinate replaced by indices[j]]',
  ...GATHER_PORTS,
  infer(ctx) {
    const [data, indices] = gatherOperands(ctx);
    if (indices.shape.length !== data.shape.length) {
      ctx.fail(`indices ${shapeToString(indices.shape)} must have the rank of data ${shapeToString(data.shape)}`);
    }
    normalizeAxis(ctx, ctx.attrs.axis, data.shape.length);
    return [{ dtype: data.dtype, shape: [...indices.shape] }];
  },
  evaluate(ctx) {
    const data = ctx.input(0);
    const indices = ctx.input(1);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, data.rank);
    const dataStrides = stridesOf(data.shape);
    const ind = indices.toNumbers();
    const n = data.shape[axis]!;
    // Every other coordinate of j is used as is: start from the affine plan with the axis coefficient 0.
    const base = affineIndex(indices.shape, 0, dataStrides.map((s, d) => (d === axis ? 0 : s)));
    const idx = base.map((b, j) => {
      const k = ind[j]! < 0 ? ind[j]! + n : ind[j]!;
      if (!(k >= 0 && k < n)) ctx.fail(`index ${ind[j]} is out of range for axis ${axis} of size ${n}`);
      return b + k * dataStrides[axis]!;
    });
    return [takeElements(data.dtype, indices.shape, [data], idx)];
  },
});

// ---------------------------------------------------------------------------------------------------------
// Tile

function tilePlan(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const strides = stridesOf(inShape);
  const n = shapeSize(outShape);
  const idx = new Int32Array(n);
  const coord = new Array<number>(outShape.length).fill(0);
  for (let j = 0; j < n; j++) {
    let k = 0;
    for (let d = 0; d < coord.length; d++) k += (coord[d]! % inShape[d]!) * strides[d]!;
    idx[j] = k;
    for (let d = coord.length - 1; d >= 0; d--) {
      if (++coord[d]! < outShape[d]!) break;
      coord[d] = 0;
    }
  }
  return idx;
}

function tileShape(ctx: Failer, shape: readonly Dim[], repeats: readonly Dim[] | undefined): Dim[] {
  if (!repeats) ctx.fail('repeats (operand 1) could not be determined at compile time');
  if (repeats.length !== shape.length) ctx.fail(`repeats has ${repeats.length} elements but the input ${shapeToString(shape)} has rank ${shape.length}`);
  if (repeats.some((r) => isStaticDim(r) && r < 0)) ctx.fail(`repeats [${repeats.join(', ')}] must be >= 0`);
  return shape.map((d, i) => dimMul(d, repeats[i]!));
}

export const Tile = defineOp({
  name: 'Tile',
  summary: 'repeats a tensor along each axis',
  inputs: [{ name: 'input' }, { name: 'repeats' }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer(ctx) {
    const t = ctx.input(0);
    return [{ dtype: t.dtype, shape: tileShape(ctx, t.shape, ctx.symbolic(1)) }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const shape = tileShape(ctx, t.shape, ctx.input(1).toNumbers()) as number[];
    return [takeElements(t.dtype, shape, [t], tilePlan(t.shape, shape))];
  },
  symbolic(ctx) {
    const s = ctx.symbolic(0);
    const inShape = staticShape(ctx.inputs[0]);
    const outShape = staticShape(ctx.outputs[0]);
    return [s && inShape && outShape ? takeDims([s], tilePlan(inShape, outShape)) : undefined];
  },
});
