// Helpers shared by op declarations: axis normalization, numpy broadcasting of shapes and tensors.

import { type Dim, dimEq, isStaticDim, shapeToString } from '../ir/dim.js';
import { Tensor, shapeSize, stridesOf } from '../ir/tensor.js';

interface Failer {
  fail(message: string): never;
}

/** Normalizes a possibly negative axis into [0, rank); fails naming the axis and rank. */
export function normalizeAxis(ctx: Failer, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Normalizes a list of axes; fails on duplicates. */
export function normalizeAxes(ctx: Failer, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => normalizeAxis(ctx, a, rank));
  if (new Set(out).size !== out.length) ctx.fail(`axes [${axes.join(', ')}] repeat an axis`);
  return out;
}

/**
 * Numpy broadcasting of symbolic shapes. A 1 stretches to the other dim; a symbol against a number n != 1 is
 * taken to be n (the only valid value besides 1); two different symbols get `unknown(...)`.
 */
export function broadcastShapes(
  ctx: Failer & { freshDim?(hint: string): string },
  shapes: readonly (readonly Dim[])[],
): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k]!;
      if (e === 1 || dimEq(e, d)) continue;
      if (d === 1) d = e;
      else if (isStaticDim(d) && isStaticDim(e)) {
        ctx.fail(`shapes ${shapes.map(shapeToString).join(' and ')} cannot be broadcast (dimension ${i}: ${d} vs ${e})`);
      } else if (isStaticDim(e)) d = e;
      else if (!isStaticDim(d)) d = ctx.freshDim ? ctx.freshDim('bcast') : d;
    }
    out.push(d);
  }
  return out;
}

/** Numpy broadcasting of static shapes (for evaluation). */
export function broadcastStatic(ctx: Failer, shapes: readonly (readonly number[])[]): number[] {
  return broadcastShapes(ctx, shapes) as number[];
}

/**
 * For each element of `outShape` (row-major), the flat index of the element of `inShape` it reads under
 * broadcasting. `inShape` must be broadcastable to `outShape`.
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = shapeSize(outShape);
  const idx = new Int32Array(n);
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // Effective strides in the output's rank: 0 where the input has no dim or a dim of 1.
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < rank; i++) {
    const k = inShape.length - rank + i;
    if (k >= 0 && inShape[k] !== 1) eff[i] = inStrides[k]!;
  }
  const counter = new Array<number>(rank).fill(0);
  let off = 0;
  for (let j = 0; j < n; j++) {
    idx[j] = off;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      off += eff[d]!;
      if (counter[d]! < outShape[d]!) break;
      off -= eff[d]! * counter[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

/** A tensor's elements broadcast to `shape`, as float64 (for elementwise reference semantics). */
export function broadcastValues(t: Tensor, shape: readonly number[]): Float64Array {
  const values = t.toFloat64();
  if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return values;
  const idx = broadcastIndex(t.shape, shape);
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i]!]!;
  return out;
}

/** Static dims of a shape, or a failure naming the shape when some dim is symbolic. */
export function requireStatic(ctx: Failer, shape: readonly Dim[], what: string): number[] {
  if (!shape.every(isStaticDim)) ctx.fail(`${what} must have a static shape, got ${shapeToString(shape)}`);
  return shape as number[];
}
