// Data-movement kernels: Identity, Transpose, Slice, Concat, Split, Expand, Tile, Gather, GatherElements.
//
// Each describes its result as a strided view of its operand(s) and emits one strided copy (nd.ts): runs that
// are contiguous on both sides move as v128s or memory.copy, broadcast rows as v128 splats, and a transpose
// that moves the innermost axis as 4×4 f32 blocks (head transposes in attention keep the innermost axis and
// copy whole rows).

import binaryen from 'binaryen';
import { type Dim, dimAdd, dimEq, dimMul, isStaticDim } from '../../../compiler/ir/dim.js';
import { slicePosition } from '../../../compiler/ops/layout.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import {
  type NdSpace, broadcastStrides, byteStrides, collapse, copyBytes, copyElem, elemBytes, elementLoop, loadBits,
  ndCall, ndFunction, splatElem, tensorByteSize,
} from './nd.js';

const { i32 } = binaryen;

/** An axis attribute normalized against a rank (the type rule has already checked it). */
export const axisOf = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** Adds `bytes` (a Dim) to an address expression. */
function offset(ctx: KernelContext, ptr: Expr, bytes: Dim): Expr {
  return dimEq(bytes, 0) ? ptr : ctx.module.i32.add(ptr, ctx.dim(bytes));
}

/**
 * Copies the space (dims, strides[0] = destination, strides[1] = source, in bytes) of `e`-byte elements from
 * src to dst. The innermost collapsed row decides the loop: a contiguous run, a broadcast element, or
 * element-by-element.
 */
export function stridedCopy(ctx: KernelContext, e: number, dst: Expr, src: Expr, space: NdSpace): Expr {
  const m = ctx.module;
  if (space.dims.some((d) => d === 0)) return m.nop();
  const s = collapse(space, [e, e]);
  const r = s.dims.length;
  const [dIn, sIn] = [s.strides[0]![r - 1]!, s.strides[1]![r - 1]!];
  const mode = dimEq(dIn, e) && dimEq(sIn, e) ? 'run' : dimEq(dIn, e) && dimEq(sIn, 0) ? 'splat' : 'elem';
  const transposes = r >= 2 && dimEq(sIn, dimMul(s.dims[r - 2]!, e)) && dimEq(s.strides[1]![r - 2]!, e) && dimEq(s.strides[0]![r - 2]!, dimMul(s.dims[r - 1]!, e));
  if (mode === 'elem' && e === 4 && dimEq(dIn, 4) && transposes) {
    return transposeCopy(ctx, dst, src, s);
  }
  const name = ndFunction(ctx, `xfc_copy_${mode}_r${r}_e${e}`, 2, r, (f, ptrs, count, strides) => {
    if (mode === 'run') {
      const n = f.local(i32);
      return f.block([f.set(n, m.i32.mul(f.get(count), f.i32(e))), copyBytes(f, ptrs[0]!, ptrs[1]!, n)]);
    }
    if (mode === 'elem') return elementLoop(f, ptrs, count, strides, ([d, src]) => [copyElem(m, e, f.get(d!), f.get(src!))]);
    // One element repeated along the row: v128 stores of its splat, then single elements.
    const vec = f.local(binaryen.v128);
    const d = f.local(i32);
    const k = f.local(i32);
    const bits = loadBits(m, e, f.get(ptrs[1]!));
    const bitsLocal = f.local(e === 8 ? binaryen.i64 : i32);
    const store1 = e === 8 ? m.i64.store(0, 1, f.get(d), f.get(bitsLocal)) : copyElemFromValue(m, e, f.get(d), f.get(bitsLocal));
    return f.block([
      f.set(bitsLocal, bits),
      f.set(vec, splatElem(m, e, f.get(bitsLocal))),
      f.set(d, f.get(ptrs[0]!)),
      f.if(f.tee(k, m.i32.shr_u(m.i32.mul(f.get(count), f.i32(e)), f.i32(4))), [
        f.countDown(k, [m.v128.store(0, 1, f.get(d), f.get(vec)), f.incN(d, 16)]),
      ]),
      f.if(f.tee(k, m.i32.and(f.get(count), f.i32(16 / e - 1))), [f.countDown(k, [store1, f.incN(d, e)])]),
    ]);
  });
  return ndCall(ctx, name, [dst, src], s);
}

function copyElemFromValue(m: binaryen.Module, e: number, ptr: Expr, value: Expr): Expr {
  return e === 1 ? m.i32.store8(0, 1, ptr, value) : e === 2 ? m.i32.store16(0, 2, ptr, value) : m.i32.store(0, 1, ptr, value);
}

/** i8x16.shuffle mask picking 32-bit lanes (0-3 from the left operand, 4-7 from the right). */
const lanes32 = (l: readonly number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

/**
 * dst[i*C + j] = src[j*R + i] for 4-byte elements (i < R, j < C): 4×4 blocks moved through v128 shuffles,
 * the edges element by element.
 */
function transposeMatrix(ctx: KernelContext): string {
  const params = binaryen.createType([i32, i32, i32, i32]);
  return ctx.fn('xfc_transpose_4x4_e4', params, binaryen.none, (m) => {
    const f = new Fn(m, ctx.features, [i32, i32, i32, i32]);
    const [dst, src, R, C] = f.params as [Local, Local, Local, Local];
    const [i, j, R4, C4, sp, dp] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
    const rows = [0, 1, 2, 3].map(() => f.local(binaryen.v128));
    const t = [0, 1, 2, 3].map(() => f.local(binaryen.v128));
    const shuf = (a: Local, b: Local, l: number[]) => m.i8x16.shuffle(f.get(a), f.get(b), lanes32(l));
    const addr = (base: Local, row: Expr, rowLen: Local, col: Expr) => m.i32.add(f.get(base), m.i32.shl(m.i32.add(m.i32.mul(row, f.get(rowLen)), col), f.i32(2)));
    const scalar = (iFrom: Expr, iTo: () => Expr, jFrom: () => Expr, jTo: () => Expr): Expr => f.forRange(i, iFrom, iTo, 1, [
      f.forRange(j, jFrom(), jTo, 1, [
        m.i32.store(0, 4, addr(dst, f.get(i), C, f.get(j)), m.i32.load(0, 4, addr(src, f.get(j), R, f.get(i)))),
      ]),
    ]);
    const body = f.block([
      f.set(R4, m.i32.and(f.get(R), f.i32(~3))),
      f.set(C4, m.i32.and(f.get(C), f.i32(~3))),
      f.forRange(i, f.i32(0), () => f.get(R4), 4, [
        f.forRange(j, f.i32(0), () => f.get(C4), 4, [
          f.set(sp, addr(src, f.get(j), R, f.get(i))),
          ...rows.map((r, k) => f.set(r, m.v128.load(0, 4, m.i32.add(f.get(sp), m.i32.mul(f.get(R), f.i32(4 * k)))))),
          f.set(t[0]!, shuf(rows[0]!, rows[1]!, [0, 4, 1, 5])),
          f.set(t[1]!, shuf(rows[0]!, rows[1]!, [2, 6, 3, 7])),
          f.set(t[2]!, shuf(rows[2]!, rows[3]!, [0, 4, 1, 5])),
          f.set(t[3]!, shuf(rows[2]!, rows[3]!, [2, 6, 3, 7])),
          f.set(dp, addr(dst, f.get(i), C, f.get(j))),
          m.v128.store(0, 4, f.get(dp), shuf(t[0]!, t[2]!, [0, 1, 4, 5])),
          m.v128.store(0, 4, m.i32.add(f.get(dp), m.i32.shl(f.get(C), f.i32(2))), shuf(t[0]!, t[2]!, [2, 3, 6, 7])),
          m.v128.store(0, 4, m.i32.add(f.get(dp), m.i32.shl(f.get(C), f.i32(3))), shuf(t[1]!, t[3]!, [0, 1, 4, 5])),
          m.v128.store(0, 4, m.i32.add(f.get(dp), m.i32.mul(f.get(C), f.i32(12))), shuf(t[1]!, t[3]!, [2, 3, 6, 7])),
        ]),
      ]),
      scalar(f.i32(0), () => f.get(R4), () => f.get(C4), () => f.get(C)),
      scalar(f.get(R4), () => f.get(R), () => f.i32(0), () => f.get(C)),
    ]);
    return { vars: f.varTypes, body };
  });
}

/**
 * A 4-byte copy whose two innermost collapsed dims [R, C] transpose (the source holds them as [C, R]): the
 * outer dims loop as usual and R, C ride along as two extra stride-0 "operands" of the loop nest.
 */
function transposeCopy(ctx: KernelContext, dst: Expr, src: Expr, s: NdSpace): Expr {
  const m = ctx.module;
  const r = s.dims.length;
  const [R, C] = [s.dims[r - 2]!, s.dims[r - 1]!];
  const matrix = transposeMatrix(ctx);
  if (r === 2) return m.call(matrix, [dst, src, ctx.dim(R), ctx.dim(C)], binaryen.none);
  const outer: NdSpace = collapse({ dims: s.dims.slice(0, r - 2), strides: [s.strides[0]!.slice(0, r - 2), s.strides[1]!.slice(0, r - 2), s.dims.slice(0, r - 2).map(() => 0), s.dims.slice(0, r - 2).map(() => 0)] }, [4, 4, 0, 0]);
  const name = ndFunction(ctx, `xfc_transpose_outer_r${outer.dims.length}`, 4, outer.dims.length, (f, ptrs, count, strides) =>
    elementLoop(f, ptrs, count, strides, ([d, sp, rr, cc]) => [m.call(matrix, [f.get(d!), f.get(sp!), f.get(rr!), f.get(cc!)], binaryen.none)]));
  return ndCall(ctx, name, [dst, src, ctx.dim(R), ctx.dim(C)], outer);
}

/** Row-major source strides of a tensor read as the space `dims` through a permutation (dst dim k = src dim perm[k]). */
function permutedStrides(src: TensorRef, perm: readonly number[]): Dim[] {
  const own = byteStrides(src.shape, elemBytes(src));
  return perm.map((p) => own[p]!);
}

registerKernel({
  op: 'Identity',
  emit(ctx, step) {
    const [src, dst] = [step.inputs[0]!, step.outputs[0]!];
    return ctx.module.memory.copy(ctx.ptr(dst), ctx.ptr(src), ctx.dim(tensorByteSize(dst)));
  },
});

registerKernel({
  op: 'Transpose',
  emit(ctx, step) {
    const [src, dst] = [step.inputs[0]!, step.outputs[0]!];
    const rank = src.shape.length;
    const perm = (step.attrs.perm as number[] | undefined)?.map((p) => axisOf(p, rank)) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const e = elemBytes(dst);
    return stridedCopy(ctx, e, ctx.ptr(dst), ctx.ptr(src), { dims: [...dst.shape], strides: [byteStrides(dst.shape, e), permutedStrides(src, perm)] });
  },
});

/** Slice's operands as numbers or dims (from Step.known): starts, ends, axes, steps. */
function sliceKnown(step: Step): { starts: readonly Dim[]; ends: readonly Dim[]; axes: number[]; steps: number[] } | string {
  const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => step.known[i]);
  if (!starts || !ends) return 'starts and ends must be known at compile time';
  if ((axes && !axes.every(isStaticDim)) || (steps && !steps.every(isStaticDim))) return 'axes and steps must be known numbers';
  const rank = step.inputs[0]!.shape.length;
  return {
    starts,
    ends,
    axes: axes ? (axes as number[]).map((a) => axisOf(a, rank)) : starts.map((_, i) => i),
    steps: steps ? (steps as number[]) : starts.map(() => 1),
  };
}

registerKernel({
  op: 'Slice',
  check(step) {
    const k = sliceKnown(step);
    if (typeof k === 'string') return k;
    const dims = step.inputs[0]!.shape;
    const bad = k.axes.findIndex((a, i) => !slicePosition(dims[a]!, k.starts[i]!, k.steps[i]!, true).exact);
    return bad >= 0 ? `the start ${k.starts[bad]} on axis ${k.axes[bad]} of size ${dims[k.axes[bad]!]} may be clamped at run time` : undefined;
  },
  emit(ctx, step) {
    const k = sliceKnown(step) as Exclude<ReturnType<typeof sliceKnown>, string>;
    const [src, dst] = [step.inputs[0]!, step.outputs[0]!];
    const e = elemBytes(dst);
    const own = byteStrides(src.shape, e);
    const strides = [...own];
    let base: Dim = 0;
    k.axes.forEach((a, i) => {
      const start = slicePosition(src.shape[a]!, k.starts[i]!, k.steps[i]!, true).pos;
      base = dimAdd(base, dimMul(start, own[a]!));
      strides[a] = dimMul(own[a]!, k.steps[i]!);
    });
    return stridedCopy(ctx, e, ctx.ptr(dst), offset(ctx, ctx.ptr(src), base), { dims: [...dst.shape], strides: [byteStrides(dst.shape, e), strides] });
  },
});

/** Concat and Split: each part is a window of the whole along `axis`, at a running offset. */
function partsAlong(ctx: KernelContext, whole: TensorRef, parts: readonly TensorRef[], axisAttr: number, intoWhole: boolean): Expr {
  const axis = axisOf(axisAttr, whole.shape.length);
  const e = elemBytes(whole);
  const wholeStrides = byteStrides(whole.shape, e);
  let at: Dim = 0;
  const stmts = parts.map((part) => {
    const window = offset(ctx, ctx.ptr(whole), dimMul(at, wholeStrides[axis]!));
    at = dimAdd(at, part.shape[axis]!);
    const space = { dims: [...part.shape], strides: intoWhole ? [wholeStrides, byteStrides(part.shape, e)] : [byteStrides(part.shape, e), wholeStrides] };
    return intoWhole ? stridedCopy(ctx, e, window, ctx.ptr(part), space) : stridedCopy(ctx, e, ctx.ptr(part), window, space);
  });
  return ctx.module.block(null, stmts, binaryen.none);
}

registerKernel({
  op: 'Concat',
  emit: (ctx, step) => partsAlong(ctx, step.outputs[0]!, step.inputs.map((r) => r!), step.attrs.axis as number, true),
});

registerKernel({
  op: 'Split',
  emit: (ctx, step) => partsAlong(ctx, step.inputs[0]!, step.outputs, (step.attrs.axis as number | undefined) ?? 0, false),
});

registerKernel({
  op: 'Expand',
  emit(ctx, step) {
    const [src, dst] = [step.inputs[0]!, step.outputs[0]!];
    const e = elemBytes(dst);
    return stridedCopy(ctx, e, ctx.ptr(dst), ctx.ptr(src), { dims: [...dst.shape], strides: [byteStrides(dst.shape, e), broadcastStrides(src.shape, dst.shape, e)] });
  },
});

registerKernel({
  op: 'Tile',
  check: (step) => (step.known[1] ? undefined : 'repeats must be known at compile time'),
  emit(ctx, step) {
    // The result seen as [r0, d0, r1, d1, ...]: repeat dims read the input with stride 0.
    const [src, dst] = [step.inputs[0]!, step.outputs[0]!];
    const repeats = step.known[1]!;
    const e = elemBytes(dst);
    const own = byteStrides(src.shape, e);
    const out = byteStrides(dst.shape, e);
    const dims: Dim[] = [];
    const dstStrides: Dim[] = [];
    const srcStrides: Dim[] = [];
    src.shape.forEach((d, i) => {
      dims.push(repeats[i]!, d);
      dstStrides.push(dimMul(out[i]!, d), out[i]!);
      srcStrides.push(0, own[i]!);
    });
    return stridedCopy(ctx, e, ctx.ptr(dst), ctx.ptr(src), { dims, strides: [dstStrides, srcStrides] });
  },
});

// ---------------------------------------------------------------------------------------------------------
// Gather, GatherElements

/** Loads an index (i32 or i64, wrapped to i32) and adds n when it is negative. */
function loadIndex(f: Fn, idxBytes: number, ptr: Expr, n: Local): Expr {
  const m = f.m;
  const raw = idxBytes === 8 ? m.i32.wrap(m.i64.load(0, 8, ptr)) : m.i32.load(0, 4, ptr);
  const k = f.local(i32);
  return m.block(null, [
    f.set(k, raw),
    m.select(m.i32.lt_s(f.get(k), f.i32(0)), m.i32.add(f.get(k), f.get(n)), f.get(k)),
  ], i32);
}

registerKernel({
  op: 'Gather',
  emit(ctx, step) {
    // out[o, t, :] = data[o, idx[t], :] with rows of `inner` bytes: one row copy per index (embedding lookups).
    const [data, indices] = [step.inputs[0]!, step.inputs[1]!];
    const out = step.outputs[0]!;
    const axis = axisOf((step.attrs.axis as number | undefined) ?? 0, data.shape.length);
    const e = elemBytes(data);
    const outer = data.shape.slice(0, axis);
    const inner = dimMul(data.shape.slice(axis + 1).reduce<Dim>((a, d) => dimMul(a, d), 1), e);
    const ib = elemBytes(indices);
    const single = dimEq(inner, e); // scalar rows: one element copy
    const name = ctx.fn(`xfc_gather_i${ib}_${single ? `e${e}` : 'run'}`, binaryen.createType(new Array<binaryen.Type>(7).fill(i32)), binaryen.none, (m) => {
      const f = new Fn(m, ctx.features, new Array<binaryen.Type>(7).fill(i32));
      const [dst, src, idx, nOuter, nIdx, n, rowBytes] = f.params as Local[];
      const [o, t, row, ip, s] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
      const copy = single ? copyElem(m, e, f.get(dst!), f.get(s)) : copyBytes(f, dst!, s, rowBytes!);
      const body = f.forRange(o, f.i32(0), () => f.get(nOuter!), 1, [
        f.set(row, m.i32.add(f.get(src!), m.i32.mul(f.get(o), m.i32.mul(f.get(n!), f.get(rowBytes!))))),
        f.set(ip, f.get(idx!)),
        f.forRange(t, f.i32(0), () => f.get(nIdx!), 1, [
          f.set(s, m.i32.add(f.get(row), m.i32.mul(loadIndex(f, ib, f.get(ip), n!), f.get(rowBytes!)))),
          copy,
          f.inc(dst!, f.get(rowBytes!)),
          f.incN(ip, ib),
        ]),
      ]);
      return { vars: f.varTypes, body };
    });
    return ctx.module.call(name, [ctx.ptr(out), ctx.ptr(data), ctx.ptr(indices), ctx.size(outer), ctx.size(indices.shape), ctx.dim(data.shape[axis]!), ctx.dim(inner)], binaryen.none);
  },
});

registerKernel({
  op: 'GatherElements',
  emit(ctx, step) {
    // out[j] = data[j with its axis coordinate replaced by idx[j]]: data walked with stride 0 on the axis, the
    // axis stride and size ride along as stride-0 operands.
    const [data, indices] = [step.inputs[0]!, step.inputs[1]!];
    const out = step.outputs[0]!;
    const axis = axisOf((step.attrs.axis as number | undefined) ?? 0, data.shape.length);
    const e = elemBytes(data);
    const ib = elemBytes(indices);
    const own = byteStrides(data.shape, e);
    const walk = own.map((s, k) => (k === axis ? 0 : s));
    const zeros = out.shape.map(() => 0);
    const space = collapse({ dims: [...out.shape], strides: [byteStrides(out.shape, e), byteStrides(indices.shape, ib), walk, zeros, zeros] }, [e, ib, e, 0, 0]);
    const r = space.dims.length;
    const name = ndFunction(ctx, `xfc_gather_elements_i${ib}_e${e}_r${r}`, 5, r, (f, ptrs, count, strides) =>
      elementLoop(f, ptrs, count, strides, ([o, ip, dp, axisStride, n]) => [
        copyElem(f.m, e, f.get(o!), f.m.i32.add(f.get(dp!), f.m.i32.mul(loadIndex(f, ib, f.get(ip!), n!), f.get(axisStride!)))),
      ]));
    return ndCall(ctx, name, [ctx.ptr(out), ctx.ptr(indices), ctx.ptr(data), ctx.dim(own[axis]!), ctx.dim(data.shape[axis]!)], space);
  },
});
