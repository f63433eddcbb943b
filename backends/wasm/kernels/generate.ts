// Kernels that write values not read from tensor operands: Shape, Size, Range, ConstantOfShape, EyeLike, and
// Dropout's mask. Their numbers come from the step's known contents, attributes and dims (no shape logic here).

import binaryen from 'binaryen';
import { type Dim, dimMul, dimsProduct } from '../../../compiler/ir/dim.js';
import { dtypeInfo } from '../../../compiler/ir/dtype.js';
import type { Tensor } from '../../../compiler/ir/tensor.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import { loadElem, storeElem, valueClass } from './nd.js';

const { i32 } = binaryen;

/** Writes dims as i64 elements (a Shape / Size result whose contents are known as dims). */
function writeDims(ctx: KernelContext, out: TensorRef, dims: readonly Dim[]): Expr {
  const m = ctx.module;
  const stmts = dims.map((d, k) => m.i64.store(8 * k, 8, ctx.ptr(out), m.i64.extend_s(ctx.dim(d))));
  return m.block(null, stmts, binaryen.none);
}

/** A result's symbolic contents as the IR recorded them (Shape and Size always record them). */
const contentsOf = (step: Step): Dim[] | undefined => step.node.outputs[0]?.symbolic;

for (const op of ['Shape', 'Size']) {
  registerKernel({
    op,
    check: (step) => (contentsOf(step) ? undefined : 'its contents are not known from the shapes'),
    emit: (ctx, step) => writeDims(ctx, step.outputs[0]!, contentsOf(step)!),
  });
}

/** Fills `n` elements at `ptr` with one value given as raw little-endian bytes: memory.fill when they repeat one byte. */
export function fill(ctx: KernelContext, ptr: Expr, value: Tensor, count: Dim): Expr {
  const m = ctx.module;
  const bytes = value.bytes();
  const e = bytes.length;
  if (bytes.every((b) => b === bytes[0])) return m.memory.fill(ptr, m.i32.const(bytes[0]!), ctx.dim(dimMulE(count, e)));
  const word = e === 8 ? m.i64.const(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true)) : m.i32.const(e === 4 ? readU32(bytes, 0) : e === 2 ? bytes[0]! | (bytes[1]! << 8) : bytes[0]!);
  const name = ctx.fn(`xfc_fill_e${e}`, binaryen.createType([i32, i32, e === 8 ? binaryen.i64 : i32]), binaryen.none, (mm) => {
    const f = new Fn(mm, ctx.features, [i32, i32, e === 8 ? binaryen.i64 : i32]);
    const [p, n, v] = f.params as [Local, Local, Local];
    const store = e === 8 ? mm.i64.store(0, 1, f.get(p), f.get(v)) : e === 4 ? mm.i32.store(0, 1, f.get(p), f.get(v)) : e === 2 ? mm.i32.store16(0, 1, f.get(p), f.get(v)) : mm.i32.store8(0, 1, f.get(p), f.get(v));
    return { vars: f.varTypes, body: f.if(f.get(n), [f.countDown(n, [store, f.incN(p, e)])]) };
  });
  return m.call(name, [ptr, ctx.dim(count), word], binaryen.none);
}

const readU32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) | 0;
const dimMulE = (count: Dim, e: number): Dim => dimMul(count, e);

registerKernel({
  op: 'ConstantOfShape',
  emit(ctx, step) {
    const out = step.outputs[0]!;
    const value = step.attrs.value as Tensor | undefined;
    if (!value) return ctx.module.memory.fill(ctx.ptr(out), ctx.module.i32.const(0), ctx.dim(dimMulE(dimsProduct(out.shape), 4)));
    return fill(ctx, ctx.ptr(out), value, dimsProduct(out.shape));
  },
});

registerKernel({
  op: 'Dropout',
  // Inference: the data result is a view of the operand (no step); the mask, when asked for, is all true.
  emit(ctx, step) {
    const mask = step.outputs[1];
    return mask ? ctx.module.memory.fill(ctx.ptr(mask), ctx.module.i32.const(1), ctx.size(mask.shape)) : ctx.module.nop();
  },
});

/** Range's start or delta: known (a number or dim, for floats a number) or loaded from its scalar operand. */
function rangeOperand(ctx: KernelContext, step: Step, i: number, cls: 'i32' | 'i64' | 'f32' | 'f64'): Expr {
  const m = ctx.module;
  const known = step.known[i]?.[0];
  const dtype = step.outputs[0]!.dtype;
  if (known === undefined) return loadElem(m, dtype, ctx.ptr(step.inputs[i]!));
  if (cls === 'f32' || cls === 'f64') return typeof known === 'number' ? m[cls].const(known) : m[cls].convert_s.i32(ctx.dim(known));
  if (cls === 'i64') return typeof known === 'number' ? m.i64.const(BigInt(known)) : m.i64.extend_s(ctx.dim(known));
  return typeof known === 'number' ? m.i32.const(known | 0) : ctx.dim(known);
}

registerKernel({
  op: 'Range',
  check(step) {
    const cls = valueClass(step.outputs[0]!.dtype);
    if (!cls) return `dtype ${step.outputs[0]!.dtype} is not supported`;
    const bad = [0, 2].find((i) => step.known[i] === undefined && step.inputs[i] === undefined);
    return bad === undefined ? undefined : `operand ${bad} is neither known nor available`;
  },
  emit(ctx, step) {
    // out[i] = start + i * delta, floats computed in f64 and rounded once (as the reference does).
    const m = ctx.module;
    const out = step.outputs[0]!;
    const cls = valueClass(out.dtype)!;
    const wide = cls === 'f32' || cls === 'f64' ? 'f64' : cls;
    const start = rangeOperand(ctx, step, 0, wide);
    const delta = rangeOperand(ctx, step, 2, wide);
    const t = wide === 'f64' ? binaryen.f64 : wide === 'i64' ? binaryen.i64 : i32;
    const name = ctx.fn(`xfc_range_${out.dtype}`, binaryen.createType([i32, i32, t, t]), binaryen.none, (mm) => {
      const f = new Fn(mm, ctx.features, [i32, i32, t, t]);
      const [p, n, s, d] = f.params as [Local, Local, Local, Local];
      const i = f.local(i32);
      const iv = wide === 'f64' ? mm.f64.convert_s.i32(f.get(i)) : wide === 'i64' ? mm.i64.extend_s(f.get(i)) : f.get(i);
      let v = mm[wide].add(f.get(s), mm[wide].mul(iv, f.get(d)));
      if (cls === 'f32') v = mm.f32.demote(v);
      const body = f.forRange(i, f.i32(0), () => f.get(n), 1, [storeElem(mm, out.dtype, f.get(p), v), f.incN(p, dtypeInfo(out.dtype).bytes)]);
      return { vars: f.varTypes, body };
    });
    return m.call(name, [ctx.ptr(out), ctx.dim(out.shape[0]!), start, delta], binaryen.none);
  },
});

registerKernel({
  op: 'EyeLike',
  check: (step) => (valueClass(step.outputs[0]!.dtype) ? undefined : `dtype ${step.outputs[0]!.dtype} is not supported`),
  emit(ctx, step) {
    // Zeros, then a one at (i, i + k) for every row whose column is in range.
    const m = ctx.module;
    const out = step.outputs[0]!;
    const [rows, cols] = out.shape as [Dim, Dim];
    const e = dtypeInfo(out.dtype).bytes;
    const k = (step.attrs.k as number | undefined) ?? 0;
    const cls = valueClass(out.dtype)!;
    const one = cls === 'i64' ? m.i64.const(1n) : m[cls].const(1);
    const name = ctx.fn(`xfc_eye_${out.dtype}`, binaryen.createType([i32, i32, i32, i32]), binaryen.none, (mm) => {
      const f = new Fn(mm, ctx.features, [i32, i32, i32, i32]);
      const [p, r, c, kk] = f.params as [Local, Local, Local, Local];
      const i = f.local(i32);
      const j = f.local(i32);
      const body = f.block([
        mm.memory.fill(f.get(p), f.i32(0), mm.i32.mul(mm.i32.mul(f.get(r), f.get(c)), f.i32(e))),
        f.forRange(i, f.i32(0), () => f.get(r), 1, [
          f.set(j, mm.i32.add(f.get(i), f.get(kk))),
          f.if(mm.i32.and(mm.i32.ge_s(f.get(j), f.i32(0)), mm.i32.lt_s(f.get(j), f.get(c))), [
            storeElem(mm, out.dtype, mm.i32.add(f.get(p), mm.i32.mul(mm.i32.add(mm.i32.mul(f.get(i), f.get(c)), f.get(j)), f.i32(e))), one),
          ]),
        ]),
      ]);
      return { vars: f.varTypes, body };
    });
    return m.call(name, [ctx.ptr(out), ctx.dim(rows), ctx.dim(cols), m.i32.const(k)], binaryen.none);
  },
});

