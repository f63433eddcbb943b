// Scatter kernels: ScatterND (slice assignment) and ScatterElements: the data copied to the result, then every
// update written over (or reduced into, with add/mul/max/min) its target, in order.

import binaryen from 'binaryen';
import { type Dim, dimsProduct } from '../../../compiler/ir/dim.js';
import { type DType, dtypeInfo } from '../../../compiler/ir/dtype.js';
import type { Step } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import { axisOf } from './copy.js';
import {
  byteStrides, collapse, copyBytes, copyElem, elemBytes, elementLoop, isUnsigned, loadElem, ndCall, ndFunction,
  storeElem, tensorByteSize, valueClass,
} from './nd.js';

const { i32 } = binaryen;

type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';

/** Combines the element at `target` with the update at `update` (both addresses, each used once). */
function combine(f: Fn, dtype: DType, reduction: Reduction, target: Local, update: Expr): Expr {
  const m = f.m;
  const c = valueClass(dtype)!;
  const e = dtypeInfo(dtype).bytes;
  if (reduction === 'none') return copyElem(m, e, f.get(target), update);
  const t = binaryen[c];
  const [a, b] = [f.local(t), f.local(t)];
  let v: Expr;
  if (reduction === 'add' || reduction === 'mul') v = m[c][reduction](f.get(a), f.get(b));
  else if (c === 'f32' || c === 'f64') v = m[c][reduction](f.get(a), f.get(b));
  else {
    const gt = isUnsigned(dtype) ? m[c].gt_u(f.get(a), f.get(b)) : m[c].gt_s(f.get(a), f.get(b));
    v = reduction === 'max' ? m.select(gt, f.get(a), f.get(b)) : m.select(gt, f.get(b), f.get(a));
  }
  return f.block([f.set(a, loadElem(m, dtype, f.get(target))), f.set(b, loadElem(m, dtype, update)), storeElem(m, dtype, f.get(target), v)]);
}

/** Loads an index (i32 or i64) made non-negative against the axis size `n`. */
function index(f: Fn, idxBytes: number, ptr: Expr, n: Local): Expr {
  const m = f.m;
  const k = f.local(i32);
  const raw = idxBytes === 8 ? m.i32.wrap(m.i64.load(0, 8, ptr)) : m.i32.load(0, 4, ptr);
  return m.block(null, [f.set(k, raw), m.select(m.i32.lt_s(f.get(k), f.i32(0)), m.i32.add(f.get(k), f.get(n)), f.get(k))], i32);
}

const reductionOf = (step: Step): Reduction => ((step.attrs.reduction as string | undefined) ?? 'none') as Reduction;

function checkScatter(step: Step): string | undefined {
  const dtype = step.inputs[0]!.dtype;
  return reductionOf(step) !== 'none' && !valueClass(dtype) ? `reduction on dtype ${dtype} is not supported` : undefined;
}

/** The result starts as a copy of the data. */
const copyData = (ctx: KernelContext, step: Step): Expr =>
  ctx.module.memory.copy(ctx.ptr(step.outputs[0]!), ctx.ptr(step.inputs[0]!), ctx.dim(tensorByteSize(step.outputs[0]!)));

registerKernel({
  op: 'ScatterND',
  check: checkScatter,
  emit(ctx, step) {
    const m = ctx.module;
    const [data, indices, updates] = [step.inputs[0]!, step.inputs[1]!, step.inputs[2]!];
    const out = step.outputs[0]!;
    const q = indices.shape[indices.shape.length - 1] as number; // static (type rule)
    const e = elemBytes(data);
    const ib = elemBytes(indices);
    const reduction = reductionOf(step);
    const strides = byteStrides(data.shape, e);
    const sliceElems = dimsProduct(data.shape.slice(q));
    const params = 5 + 2 * q;
    const name = ctx.fn(`xfc_scatter_nd_q${q}_i${ib}_${data.dtype}_${reduction}`, binaryen.createType(new Array<binaryen.Type>(params).fill(i32)), binaryen.none, (mm) => {
      const f = new Fn(mm, ctx.features, new Array<binaryen.Type>(params).fill(i32));
      const [dst, idx, upd, count, slice] = f.params as Local[];
      const dim = (j: number) => f.params[5 + j]!;
      const stride = (j: number) => f.params[5 + q + j]!;
      const [i, target, n, u, j] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
      const offset = Array.from({ length: q }, (_, a) =>
        mm.i32.mul(index(f, ib, mm.i32.add(f.get(idx!), f.i32(a * ib)), dim(a)), f.get(stride(a)))).reduce((x, y) => mm.i32.add(x, y), f.get(dst!));
      const write = reduction === 'none'
        ? [f.set(n, mm.i32.mul(f.get(slice!), f.i32(e))), copyBytes(f, target, upd!, n), f.inc(upd!, f.get(n))]
        : [f.set(u, f.get(upd!)), f.forRange(j, f.i32(0), () => f.get(slice!), 1, [combine(f, data.dtype, reduction, target, f.get(u)), f.incN(target, e), f.incN(u, e)]),
          f.inc(upd!, mm.i32.mul(f.get(slice!), f.i32(e)))];
      const body = f.forRange(i, f.i32(0), () => f.get(count!), 1, [f.set(target, offset), ...write, f.incN(idx!, q * ib)]);
      return { vars: f.varTypes, body };
    });
    const count = dimsProduct(indices.shape.slice(0, -1));
    const args = [...data.shape.slice(0, q), ...strides.slice(0, q)].map((d) => ctx.dim(d));
    return m.block(null, [
      copyData(ctx, step),
      m.call(name, [ctx.ptr(out), ctx.ptr(indices), ctx.ptr(updates), ctx.dim(count), ctx.dim(sliceElems), ...args], binaryen.none),
    ], binaryen.none);
  },
});

registerKernel({
  op: 'ScatterElements',
  check: checkScatter,
  emit(ctx, step) {
    // For every index position j: result[j with its axis coordinate replaced by idx[j]] (op)= updates[j]. The
    // result is walked with stride 0 on the axis; the axis stride and size ride along as stride-0 operands.
    const m = ctx.module;
    const [data, indices, updates] = [step.inputs[0]!, step.inputs[1]!, step.inputs[2]!];
    const out = step.outputs[0]!;
    const axis = axisOf((step.attrs.axis as number | undefined) ?? 0, data.shape.length);
    const e = elemBytes(data);
    const ib = elemBytes(indices);
    const reduction = reductionOf(step);
    const own = byteStrides(data.shape, e);
    const zeros: Dim[] = indices.shape.map(() => 0);
    const space = collapse({
      dims: [...indices.shape],
      strides: [own.map((s, k) => (k === axis ? 0 : s)), byteStrides(indices.shape, ib), byteStrides(updates.shape, e), zeros, zeros],
    }, [e, ib, e, 0, 0]);
    const r = space.dims.length;
    const name = ndFunction(ctx, `xfc_scatter_elements_i${ib}_${data.dtype}_${reduction}_r${r}`, 5, r, (f, ptrs, count, strides) =>
      elementLoop(f, ptrs, count, strides, ([o, ip, up, axisStride, n]) => {
        const target = f.local(i32);
        return [
          f.set(target, f.m.i32.add(f.get(o!), f.m.i32.mul(index(f, ib, f.get(ip!), n!), f.get(axisStride!)))),
          combine(f, data.dtype, reduction, target, f.get(up!)),
        ];
      }));
    return m.block(null, [
      copyData(ctx, step),
      ndCall(ctx, name, [ctx.ptr(out), ctx.ptr(indices), ctx.ptr(updates), ctx.dim(own[axis]!), ctx.dim(data.shape[axis]!)], space),
    ], binaryen.none);
  },
});

