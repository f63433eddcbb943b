// N-d strided loops for the data-movement and logic kernels: dims collapsing, a loop-nest function builder
// (operand pointers advanced by byte strides, dims and strides passed at run time), element loads and stores
// by dtype, and byte-run copies.
//
// A kernel describes its work as "for every index of `dims` (row-major), operand j is at base_j + Σ i_k *
// strides[j][k]", collapses it (size-1 dims dropped, dims contiguous for every operand merged), and calls a
// function specialized on rank, element sizes and what it does with the innermost row. Symbolic dims and
// strides are evaluated at the call site, so one function serves every shape of the same structure.

import binaryen from 'binaryen';
import { type Dim, dimEq, dimMul, dimsProduct, isStaticDim } from '../../../compiler/ir/dim.js';
import { type DType, dtypeInfo } from '../../../compiler/ir/dtype.js';
import type { TensorRef } from '../../common/schedule.js';
import type { Expr, KernelContext } from '../kernel.js';
import { Fn, type Local } from '../simd.js';

const { i32, i64, f32, f64 } = binaryen;

/** Row-major byte strides of a shape. */
export function byteStrides(shape: readonly Dim[], elemBytes: number): Dim[] {
  const out: Dim[] = new Array<Dim>(shape.length);
  let s: Dim = elemBytes;
  for (let k = shape.length - 1; k >= 0; k--) {
    out[k] = s;
    s = dimMul(s, shape[k]!);
  }
  return out;
}

/**
 * Numpy broadcasting strides: the byte strides of `shape` read as `outShape` (missing and size-1 dims get 0).
 * The shapes come from the node's types (already checked by its type rule).
 */
export function broadcastStrides(shape: readonly Dim[], outShape: readonly Dim[], elemBytes: number): Dim[] {
  const own = byteStrides(shape, elemBytes);
  return outShape.map((_, k) => {
    const i = k - (outShape.length - shape.length);
    return i < 0 || shape[i] === 1 ? 0 : own[i]!;
  });
}

export interface NdSpace {
  readonly dims: Dim[];
  /** strides[j][k]: bytes operand j advances per step of dim k. */
  readonly strides: Dim[][];
}

/**
 * Drops static size-1 dims and merges neighbours that every operand walks contiguously (stride[k] ==
 * stride[k+1] * dims[k+1]). At least one dim remains (a scalar is one element with strides `elemBytes`).
 */
export function collapse(space: NdSpace, elemBytes: readonly number[]): NdSpace {
  const keep = space.dims.map((d, k) => (d === 1 ? -1 : k)).filter((k) => k >= 0);
  if (keep.length === 0) return { dims: [1], strides: elemBytes.map((e) => [e]) };
  const dims: Dim[] = [space.dims[keep[keep.length - 1]!]!];
  const strides: Dim[][] = space.strides.map((s) => [s[keep[keep.length - 1]!]!]);
  for (let n = keep.length - 2; n >= 0; n--) {
    const k = keep[n]!;
    const d = space.dims[k]!;
    const mergeable = space.strides.every((s, j) => dimEq(s[k]!, dimMul(strides[j]![0]!, dims[0]!)));
    if (mergeable) {
      dims[0] = dimMul(d, dims[0]!);
    } else {
      dims.unshift(d);
      strides.forEach((s, j) => s.unshift(space.strides[j]![k]!));
    }
  }
  return { dims, strides };
}

/** The innermost-row body: pointers at the row's start, its length, and each operand's innermost stride. */
/** The broadcast space of a result over its operands (numpy broadcasting): strides[0] the result's, then each operand's. */
export function broadcastSpace(out: TensorRef, operands: readonly TensorRef[]): NdSpace {
  const space = { dims: [...out.shape], strides: [byteStrides(out.shape, elemBytes(out)), ...operands.map((t) => broadcastStrides(t.shape, out.shape, elemBytes(t)))] };
  return collapse(space, [out, ...operands].map(elemBytes));
}

export type InnerBody = (f: Fn, ptrs: readonly Local[], count: Local, strides: readonly Local[]) => Expr;

/**
 * The function `name` looping over a `rank`-d space for `operands` pointers: params (ptr_0..ptr_{n-1},
 * dim_0..dim_{r-1}, stride_{0,0}..stride_{n-1,r-1}); the innermost dim is handed to `inner`.
 */
export function ndFunction(ctx: KernelContext, name: string, operands: number, rank: number, inner: InnerBody): string {
  const params = binaryen.createType(new Array<binaryen.Type>(operands + rank + operands * rank).fill(i32));
  return ctx.fn(name, params, binaryen.none, (m) => {
    const f = new Fn(m, ctx.features, new Array<binaryen.Type>(operands + rank + operands * rank).fill(i32));
    const ptr = (j: number) => f.params[j]!;
    const dim = (k: number) => f.params[operands + k]!;
    const stride = (j: number, k: number) => f.params[operands + rank + j * rank + k]!;
    // base[k][j]: operand j's pointer at the start of loop level k.
    const base: Local[][] = [Array.from({ length: operands }, (_, j) => ptr(j))];
    for (let k = 1; k < rank; k++) base.push(Array.from({ length: operands }, () => f.local(i32)));
    const gen = (k: number): Expr => {
      if (k === rank - 1) return inner(f, base[k]!, dim(k), Array.from({ length: operands }, (_, j) => stride(j, k)));
      const i = f.local(i32);
      const body = [
        ...base[k + 1]!.map((l, j) => f.set(l, f.get(base[k]![j]!))),
        gen(k + 1),
        ...base[k]!.map((l, j) => f.inc(l, f.get(stride(j, k)))),
      ];
      return f.forRange(i, f.i32(0), () => f.get(dim(k)), 1, body);
    };
    const body = gen(0);
    return { vars: f.varTypes, body };
  });
}

/** Calls an ndFunction over a collapsed space. */
export function ndCall(ctx: KernelContext, name: string, ptrs: readonly Expr[], space: NdSpace): Expr {
  const args = [...ptrs, ...space.dims.map((d) => ctx.dim(d)), ...space.strides.flatMap((s) => s.map((d) => ctx.dim(d)))];
  return ctx.module.call(name, args, binaryen.none);
}

/** An element loop over the innermost row: `body` per element, then every pointer advances by its stride. */
export function elementLoop(f: Fn, ptrs: readonly Local[], count: Local, strides: readonly Local[], body: (ptrs: readonly Local[]) => Expr[]): Expr {
  const i = f.local(i32);
  const cursors = ptrs.map(() => f.local(i32));
  return f.block([
    ...cursors.map((c, j) => f.set(c, f.get(ptrs[j]!))),
    f.forRange(i, f.i32(0), () => f.get(count), 1, [...body(cursors), ...cursors.map((c, j) => f.inc(c, f.get(strides[j]!)))]),
  ]);
}

/** A static-or-not key for function names: the number, or 'd' for a run-time value. */
export const staticKey = (d: Dim): string => (isStaticDim(d) ? String(d) : 'd');

// ---------------------------------------------------------------------------------------------------------
// Elements by dtype: values are held as i32 (8/16/32-bit integers, bool), i64, f32 or f64.

export type ValueClass = 'i32' | 'i64' | 'f32' | 'f64';

export function valueClass(dtype: DType): ValueClass | undefined {
  switch (dtype) {
    case 'i8': case 'u8': case 'i16': case 'u16': case 'i32': case 'u32': case 'bool': return 'i32';
    case 'i64': case 'u64': return 'i64';
    case 'f32': return 'f32';
    case 'f64': return 'f64';
    default: return undefined; // f16, bf16: moved as bytes only
  }
}

export const classType = (c: ValueClass): binaryen.Type => ({ i32, i64, f32, f64 })[c];

export const isUnsigned = (dtype: DType): boolean => dtypeInfo(dtype).kind === 'uint' || dtype === 'bool';

/** Loads one element (8/16-bit integers extended by their signedness). */
export function loadElem(m: binaryen.Module, dtype: DType, ptr: Expr): Expr {
  switch (dtype) {
    case 'i8': return m.i32.load8_s(0, 1, ptr);
    case 'u8': case 'bool': return m.i32.load8_u(0, 1, ptr);
    case 'i16': return m.i32.load16_s(0, 2, ptr);
    case 'u16': return m.i32.load16_u(0, 2, ptr);
    case 'i32': case 'u32': return m.i32.load(0, 4, ptr);
    case 'i64': case 'u64': return m.i64.load(0, 8, ptr);
    case 'f32': return m.f32.load(0, 4, ptr);
    case 'f64': return m.f64.load(0, 8, ptr);
    default: throw new Error(`no element load for ${dtype}`);
  }
}

/** Stores one element (narrow integers keep the low bits). */
export function storeElem(m: binaryen.Module, dtype: DType, ptr: Expr, value: Expr): Expr {
  switch (dtype) {
    case 'i8': case 'u8': case 'bool': return m.i32.store8(0, 1, ptr, value);
    case 'i16': case 'u16': return m.i32.store16(0, 2, ptr, value);
    case 'i32': case 'u32': return m.i32.store(0, 4, ptr, value);
    case 'i64': case 'u64': return m.i64.store(0, 8, ptr, value);
    case 'f32': return m.f32.store(0, 4, ptr, value);
    case 'f64': return m.f64.store(0, 8, ptr, value);
    default: throw new Error(`no element store for ${dtype}`);
  }
}

/** Copies one element of `bytes` bytes as raw bits (any dtype). */
export function copyElem(m: binaryen.Module, bytes: number, dst: Expr, src: Expr): Expr {
  switch (bytes) {
    case 1: return m.i32.store8(0, 1, dst, m.i32.load8_u(0, 1, src));
    case 2: return m.i32.store16(0, 2, dst, m.i32.load16_u(0, 2, src));
    case 4: return m.i32.store(0, 4, dst, m.i32.load(0, 4, src));
    case 8: return m.i64.store(0, 8, dst, m.i64.load(0, 8, src));
    default: throw new Error(`no element copy of ${bytes} bytes`);
  }
}

/** A v128 with one element of `bytes` bytes (held in an i32 or i64 value) in every lane. */
export function splatElem(m: binaryen.Module, bytes: number, value: Expr): Expr {
  switch (bytes) {
    case 1: return m.i8x16.splat(value);
    case 2: return m.i16x8.splat(value);
    case 4: return m.i32x4.splat(value);
    case 8: return m.i64x2.splat(value);
    default: throw new Error(`no splat of ${bytes} bytes`);
  }
}

/** Loads one element's raw bits (i32 for up to 4 bytes, i64 for 8). */
export function loadBits(m: binaryen.Module, bytes: number, ptr: Expr): Expr {
  switch (bytes) {
    case 1: return m.i32.load8_u(0, 1, ptr);
    case 2: return m.i32.load16_u(0, 2, ptr);
    case 4: return m.i32.load(0, 4, ptr);
    case 8: return m.i64.load(0, 8, ptr);
    default: throw new Error(`no element load of ${bytes} bytes`);
  }
}

/** Runs of at least this many bytes go through memory.copy (V8 calls out to memmove); shorter ones use v128 moves. */
const MEMCPY_MIN = 512;

/**
 * Copies `n` bytes (a local) from src to dst (locals, not modified): memory.copy for long runs, else v128
 * moves and a byte tail. dst and src never overlap (distinct buffers). Counts, not pointer compares, drive
 * the loops, so addresses above 2 GiB are fine.
 */
export function copyBytes(f: Fn, dst: Local, src: Local, n: Local): Expr {
  const m = f.m;
  const d = f.local(i32);
  const s = f.local(i32);
  const k = f.local(i32);
  return f.if(m.i32.ge_u(f.get(n), f.i32(MEMCPY_MIN)), [m.memory.copy(f.get(dst), f.get(src), f.get(n))], [
    f.set(d, f.get(dst)),
    f.set(s, f.get(src)),
    f.if(f.tee(k, m.i32.shr_u(f.get(n), f.i32(4))), [
      f.countDown(k, [m.v128.store(0, 1, f.get(d), m.v128.load(0, 1, f.get(s))), f.incN(d, 16), f.incN(s, 16)]),
    ]),
    f.if(f.tee(k, m.i32.and(f.get(n), f.i32(15))), [
      f.countDown(k, [m.i32.store8(0, 1, f.get(d), m.i32.load8_u(0, 1, f.get(s))), f.incN(d, 1), f.incN(s, 1)]),
    ]),
  ]);
}

/** The element size of a tensor. */
export const elemBytes = (t: TensorRef): number => dtypeInfo(t.dtype).bytes;

/** Byte size of a tensor as a Dim. */
export const tensorByteSize = (t: TensorRef): Dim => dimMul(dimsProduct(t.shape), elemBytes(t));
