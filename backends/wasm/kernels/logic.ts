// Comparison, logic, selection and conversion kernels: Equal, Less, LessOrEqual, Greater, GreaterOrEqual,
// And, Or, Xor, Not, Where, Cast, CastLike. Any dtype with a value class (nd.ts); numpy broadcasting.
//
// They run over masks and small integer tensors in transformer graphs, so one scalar loop per element serves
// them, except Where on 4-byte elements (attention masking of scores), which selects four lanes at a time.

import binaryen from 'binaryen';
import { type DType, dtypeInfo } from '../../../compiler/ir/dtype.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import type { Fn, Local } from '../simd.js';
import {
  broadcastSpace, copyElem, elementLoop, isUnsigned, loadElem,
  ndCall, ndFunction, staticKey, storeElem, valueClass,
} from './nd.js';

const { i32 } = binaryen;

/**
 * out[i] = value(loads of the operands' elements at i), over a broadcast space: one function per (name, rank);
 * `name` must encode the dtypes and the operation.
 */
function mapKernel(ctx: KernelContext, name: string, out: TensorRef, operands: readonly TensorRef[], value: (m: binaryen.Module, args: Expr[]) => Expr): Expr {
  const space = broadcastSpace(out, operands);
  const fname = ndFunction(ctx, `${name}_r${space.dims.length}`, 1 + operands.length, space.dims.length, (f, ptrs, count, strides) =>
    elementLoop(f, ptrs, count, strides, ([o, ...ins]) => [
      storeElem(f.m, out.dtype, f.get(o!), value(f.m, ins.map((p, j) => loadElem(f.m, operands[j]!.dtype, f.get(p)))))]));
  return ndCall(ctx, fname, [ctx.ptr(out), ...operands.map((t) => ctx.ptr(t))], space);
}

const supported = (dtype: DType): boolean => valueClass(dtype) !== undefined;

function checkDtypes(step: Step): string | undefined {
  const bad = [...step.inputs, ...step.outputs].find((t) => t && !supported(t.dtype));
  return bad ? `dtype ${bad.dtype} is not supported` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Comparisons and logic

type Compare = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

/** a <op> b as an i32 0/1, on two values of `dtype`'s class (unsigned integers compare unsigned). */
function compare(m: binaryen.Module, dtype: DType, op: Compare, a: Expr, b: Expr): Expr {
  const c = valueClass(dtype)!;
  if (c === 'f32' || c === 'f64') return m[c][op](a, b);
  if (op === 'eq') return m[c].eq(a, b);
  const u = isUnsigned(dtype) ? 'u' : 's';
  return m[c][`${op}_${u}`](a, b);
}

const comparisons: [string, Compare][] = [['Equal', 'eq'], ['Less', 'lt'], ['LessOrEqual', 'le'], ['Greater', 'gt'], ['GreaterOrEqual', 'ge']];
for (const [op, cmp] of comparisons) {
  registerKernel({
    op,
    check: checkDtypes,
    emit(ctx, step) {
      const [a, b] = [step.inputs[0]!, step.inputs[1]!];
      return mapKernel(ctx, `xfc_${op}_${a.dtype}`, step.outputs[0]!, [a, b], (m, [x, y]) => compare(m, a.dtype, cmp, x!, y!));
    },
  });
}

const logic: [string, 'and' | 'or' | 'xor'][] = [['And', 'and'], ['Or', 'or'], ['Xor', 'xor']];
for (const [op, fn] of logic) {
  registerKernel({
    op,
    emit: (ctx, step) => mapKernel(ctx, `xfc_${op}`, step.outputs[0]!, [step.inputs[0]!, step.inputs[1]!], (m, [x, y]) =>
      // Bool bytes are 0/1, but any nonzero byte reads as true.
      m.i32[fn](m.i32.ne(x!, m.i32.const(0)), m.i32.ne(y!, m.i32.const(0)))),
  });
}

registerKernel({
  op: 'Not',
  emit: (ctx, step) => mapKernel(ctx, 'xfc_Not', step.outputs[0]!, [step.inputs[0]!], (m, [x]) => m.i32.eqz(x!)),
});

// ---------------------------------------------------------------------------------------------------------
// Where

/**
 * Four 4-byte lanes at a time: the condition's bytes widened to i32 lanes and compared with 0 give the mask of
 * v128.bitselect; an operand with innermost stride 0 is one splatted element.
 */
function whereVectorRow(f: Fn, ptrs: readonly Local[], count: Local, strides: readonly Local[], splat: readonly boolean[]): Expr {
  const m = f.m;
  const cur = ptrs.map(() => f.local(i32));
  const n = f.local(i32);
  const zero = m.v128.const(new Array<number>(16).fill(0));
  const [o, c, x, y] = cur as [Local, Local, Local, Local];
  const cond = splat[0]
    ? m.i32x4.splat(m.i32.load8_u(0, 1, f.get(c)))
    : m.i32x4.extend_low_i16x8_u(m.i16x8.extend_low_i8x16_u(m.v128.load32_zero(0, 1, f.get(c))));
  const operand = (p: Local, isSplat: boolean) => (isSplat ? m.v128.load32_splat(0, 4, f.get(p)) : m.v128.load(0, 4, f.get(p)));
  const advance = (k: number) => cur.map((p, j) => f.inc(p, m.i32.mul(f.get(strides[j]!), f.i32(k))));
  return f.block([
    ...cur.map((p, j) => f.set(p, f.get(ptrs[j]!))),
    f.if(f.tee(n, m.i32.shr_u(f.get(count), f.i32(2))), [
      f.countDown(n, [
        m.v128.store(0, 4, f.get(o), m.v128.bitselect(operand(x, splat[1]!), operand(y, splat[2]!), m.i32x4.ne(cond, zero))),
        ...advance(4),
      ]),
    ]),
    f.if(f.tee(n, m.i32.and(f.get(count), f.i32(3))), [
      f.countDown(n, [
        m.i32.store(0, 4, f.get(o), m.select(m.i32.load8_u(0, 1, f.get(c)), m.i32.load(0, 4, f.get(x)), m.i32.load(0, 4, f.get(y)))),
        ...advance(1),
      ]),
    ]),
  ]);
}

registerKernel({
  op: 'Where',
  emit(ctx, step) {
    const [cond, x, y] = [step.inputs[0]!, step.inputs[1]!, step.inputs[2]!];
    const out = step.outputs[0]!;
    const e = dtypeInfo(out.dtype).bytes;
    const space = broadcastSpace(out, [cond, x, y]);
    const r = space.dims.length;
    const inner = space.strides.map((s) => s[r - 1]!);
    const vector = e === 4 && inner[0] === 4 && (inner[1] === 0 || inner[1] === 1) && [inner[2], inner[3]].every((s) => s === 0 || s === 4);
    const splat = [inner[1] === 0, inner[2] === 0, inner[3] === 0];
    const name = vector ? `xfc_Where_v4_${splat.map((s) => (s ? 's' : 'v')).join('')}_r${r}` : `xfc_Where_e${e}_${inner.map(staticKey).join('_')}_r${r}`;
    const fname = ndFunction(ctx, name, 4, r, (f, ptrs, count, strides) => {
      if (vector) return whereVectorRow(f, ptrs, count, strides, splat);
      // The condition picks which address the element is copied from.
      return elementLoop(f, ptrs, count, strides, ([o, c, a, b]) => [
        copyElem(f.m, e, f.get(o!), f.m.select(f.m.i32.load8_u(0, 1, f.get(c!)), f.get(a!), f.get(b!))),
      ]);
    });
    return ndCall(ctx, fname, [ctx.ptr(out), ctx.ptr(cond), ctx.ptr(x), ctx.ptr(y)], space);
  },
});

// ---------------------------------------------------------------------------------------------------------
// Cast

/** ±infinity (and NaN) become 0 when converted to an integer, as the reference does. */
function finiteOr0(m: binaryen.Module, c: 'f32' | 'f64', v: () => Expr, convert: (v: Expr) => Expr, zero: Expr): Expr {
  // v - v is 0 for finite v and NaN otherwise; NaN == NaN is false.
  return m.select(m[c].eq(m[c].sub(v(), v()), m[c].const(0)), convert(v()), zero);
}

/** Converts a value of `from`'s class to `to`'s class with ONNX Cast semantics (castTensor in compiler/ops/misc.ts). */
export function convert(m: binaryen.Module, from: DType, to: DType, v: Expr, local: (t: binaryen.Type) => { get(): Expr; set(e: Expr): Expr }): Expr {
  const fc = valueClass(from)!;
  const tc = valueClass(to)!;
  const fu = isUnsigned(from);
  if (to === 'bool') {
    if (fc === 'f32' || fc === 'f64') return m[fc].ne(v, m[fc].const(0));
    return fc === 'i64' ? m.i32.eqz(m.i64.eqz(v)) : m.i32.ne(v, m.i32.const(0));
  }
  if (fc === tc) {
    // Same class: integers keep their bits (the store narrows); floats are the same type.
    return v;
  }
  switch (tc) {
    case 'f32':
      return fc === 'f64' ? m.f32.demote(v) : fc === 'i64' ? (fu ? m.f32.convert_u.i64(v) : m.f32.convert_s.i64(v)) : fu ? m.f32.convert_u.i32(v) : m.f32.convert_s.i32(v);
    case 'f64':
      return fc === 'f32' ? m.f64.promote(v) : fc === 'i64' ? (fu ? m.f64.convert_u.i64(v) : m.f64.convert_s.i64(v)) : fu ? m.f64.convert_u.i32(v) : m.f64.convert_s.i32(v);
    case 'i64': {
      if (fc === 'i32') {
        if (fu) return m.i64.extend_u(v);
        if (to !== 'u64') return m.i64.extend_s(v);
        // The reference converts narrow integers to u64 through numbers, saturating negatives to 0.
        const t = local(i32);
        return m.block(null, [t.set(v), m.select(m.i32.lt_s(t.get(), m.i32.const(0)), m.i64.const(0n), m.i64.extend_s(t.get()))], binaryen.i64);
      }
      const fcls = fc as 'f32' | 'f64';
      // Saturating, as the reference's BigInt conversion: [-2^63, 2^63) for i64, [0, 2^64) for u64.
      const t = local(valueClassType(fcls));
      const trunc = to === 'u64' ? m.i64.trunc_u_sat[fcls] : m.i64.trunc_s_sat[fcls];
      return m.block(null, [t.set(v), finiteOr0(m, fcls, t.get, trunc, m.i64.const(0n))], binaryen.i64);
    }
    case 'i32': {
      if (fc === 'i64') return m.i32.wrap(v);
      // Floats to narrow integers: truncate to 64 bits, keep the low bits (JS typed arrays wrap the same way).
      const fcls = fc as 'f32' | 'f64';
      const t = local(valueClassType(fcls));
      return m.block(null, [t.set(v), finiteOr0(m, fcls, t.get, (x) => m.i32.wrap(m.i64.trunc_s_sat[fcls](x)), m.i32.const(0))], binaryen.i32);
    }
  }
}

const valueClassType = (c: 'f32' | 'f64'): binaryen.Type => (c === 'f32' ? binaryen.f32 : binaryen.f64);

function castKernel(op: string) {
  registerKernel({
    op,
    check: checkDtypes,
    emit(ctx, step) {
      const [src, dst] = [step.inputs[0]!, step.outputs[0]!];
      if (src.dtype === dst.dtype) return ctx.module.memory.copy(ctx.ptr(dst), ctx.ptr(src), bytesOf(ctx, dst));
      const space = broadcastSpace(dst, [src]);
      const name = `xfc_cast_${src.dtype}_${dst.dtype}_r${space.dims.length}`;
      const fname = ndFunction(ctx, name, 2, space.dims.length, (f, ptrs, count, strides) =>
        elementLoop(f, ptrs, count, strides, ([o, i]) => {
          const local = (t: binaryen.Type) => {
            const l = f.local(t);
            return { get: () => f.get(l), set: (e: Expr) => f.set(l, e) };
          };
          return [storeElem(f.m, dst.dtype, f.get(o!), convert(f.m, src.dtype, dst.dtype, loadElem(f.m, src.dtype, f.get(i!)), local))];
        }));
      return ndCall(ctx, fname, [ctx.ptr(dst), ctx.ptr(src)], space);
    },
  });
}

function bytesOf(ctx: KernelContext, t: TensorRef): Expr {
  return ctx.module.i32.mul(ctx.size(t.shape), ctx.module.i32.const(dtypeInfo(t.dtype).bytes));
}

castKernel('Cast');
castKernel('CastLike');

