// Shape helpers shared by passes: writing a known result type as a constant Reshape/Expand target, permutations.

import { type Dim, dimEq, isStaticDim, shapesEqual } from '../compiler/ir/dim.js';
import type { TensorType, Value } from '../compiler/ir/graph.js';

export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

/**
 * A constant Reshape target (ONNX encoding, allowzero = 0) that turns `from` into `to`: static dims as numbers,
 * 0 where `to` keeps the dim of `from` at the same position, and one -1 for the one remaining symbolic dim.
 * Undefined when `to` cannot be written so (two dims that are neither static nor kept, or a static 0).
 */
export function reshapeTarget(from: readonly Dim[], to: readonly Dim[]): number[] | undefined {
  let inferred = false;
  const out: number[] = [];
  for (let i = 0; i < to.length; i++) {
    const d = to[i]!;
    if (isStaticDim(d)) {
      if (d === 0) return undefined; // 0 would mean "copy"; -1 next to a 0 is ambiguous
      out.push(d);
    } else if (i < from.length && dimEq(from[i]!, d)) {
      out.push(0);
    } else {
      if (inferred) return undefined;
      inferred = true;
      out.push(-1);
    }
  }
  return out;
}

/**
 * A constant Expand target giving `to` from `from` (numpy broadcasting, right-aligned): static dims as numbers,
 * 1 where `to` keeps the operand's dim. Undefined when a symbolic dim of `to` comes from the target itself.
 */
export function expandTarget(from: readonly Dim[], to: readonly Dim[]): number[] | undefined {
  const offset = to.length - from.length;
  if (offset < 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < to.length; i++) {
    const d = to[i]!;
    if (isStaticDim(d)) out.push(d);
    else if (i >= offset && dimEq(from[i - offset]!, d)) out.push(1);
    else return undefined;
  }
  return out;
}

/** A Transpose's permutation (absent: the dims reversed). */
export function permOf(perm: unknown, rank: number): number[] {
  if (Array.isArray(perm)) return (perm as number[]).map((p) => (p < 0 ? p + rank : p));
  return Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

export function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** The rank of a value. */
export function rankOf(v: Value): number {
  return v.type.shape.length;
}
