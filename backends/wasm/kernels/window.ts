// Window kernels: Pad (constant: fill and copy the window; edge, reflect, wrap: per-element source positions) and
// Trilu (per row: copy the kept columns, zero the others).

import binaryen from 'binaryen';
import { type Dim, dimAdd, dimIsPositive, dimMul, dimSub, isStaticDim } from '../../../compiler/ir/dim.js';
import { Tensor } from '../../../compiler/ir/tensor.js';
import { padWidths } from '../../../compiler/ops/pad.js';
import type { Step } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import { stridedCopy } from './copy.js';
import { byteStrides, copyBytes, copyElem, elemBytes } from './nd.js';
import { fill } from './generate.js';

const { i32 } = binaryen;

const failer = { fail(message: string): never { throw new Error(message); } };

/** max(d, 0) for a dim of known sign; undefined when the sign of a symbolic amount is unknown. */
function positivePart(d: Dim): Dim | undefined {
  if (isStaticDim(d)) return Math.max(d, 0);
  if (dimIsPositive(d)) return d;
  if (dimIsPositive(dimMul(d, -1))) return 0;
  return undefined;
}

interface PadPlan {
  /** Per axis: output positions before the data, input positions cropped at the front, data length kept. */
  readonly axes: { padBegin: Dim; cropBegin: Dim; len: Dim }[];
}

function padPlan(step: Step): PadPlan | string {
  const x = step.inputs[0]!;
  const out = step.outputs[0]!;
  const pads = (step.attrs.pads as number[] | undefined) ?? step.known[1];
  if (!pads) return 'the pads must be known at compile time';
  const axes = (step.attrs.axes as number[] | undefined) ?? (step.known[3] as number[] | undefined);
  const widths = padWidths(failer, x.shape.length, pads, axes);
  const plan: PadPlan['axes'] = [];
  for (let a = 0; a < widths.length; a++) {
    const [b, e] = widths[a]!;
    const [padBegin, padEnd, cropBegin] = [positivePart(b), positivePart(e), positivePart(dimMul(b, -1))];
    if (padBegin === undefined || padEnd === undefined || cropBegin === undefined) return `the sign of the pads (${b}, ${e}) on axis ${a} is not known`;
    plan.push({ padBegin, cropBegin, len: dimSub(dimSub(out.shape[a]!, padBegin), padEnd) });
  }
  return { axes: plan };
}

/** The fill value of a constant Pad when it is not an operand: the `value` attribute or 0, in the data's dtype. */
const padValue = (step: Step): Tensor => Tensor.fromNumbers(step.outputs[0]!.dtype, [1], [(step.attrs.value as number | undefined) ?? 0]);

/**
 * Edge, reflect and wrap: every output element reads the input at, per axis, the cropped range's position
 * t = o - padBegin mapped into [0, len) (clamped, mirrored with period 2(len - 1), or modulo len).
 */
function padMapped(ctx: KernelContext, step: Step, plan: PadPlan, mode: string): Expr {
  const m = ctx.module;
  const [x, out] = [step.inputs[0]!, step.outputs[0]!];
  const e = elemBytes(x);
  const rank = x.shape.length;
  const inStrides = byteStrides(x.shape, e);
  const nParams = 2 + 5 * rank;
  const name = ctx.fn(`xfc_pad_${mode}_r${rank}_e${e}`, binaryen.createType(new Array<binaryen.Type>(nParams).fill(i32)), binaryen.none, (mm) => {
    const f = new Fn(mm, ctx.features, new Array<binaryen.Type>(nParams).fill(i32));
    const [dst, src] = [f.params[0]!, f.params[1]!];
    const p = (a: number, k: number) => f.params[2 + 5 * a + k]!; // outDim, padBegin, len, cropBegin, stride
    const at = (a: number) => ({ outDim: p(a, 0), padBegin: p(a, 1), len: p(a, 2), cropBegin: p(a, 3), stride: p(a, 4) });
    const position = (a: number, o: Local): Expr => {
      const { padBegin, len } = at(a);
      const t = f.local(i32);
      const r = f.local(i32);
      const period = f.local(i32);
      const mod = (v: Expr, n: () => Expr) => mm.i32.rem_s(mm.i32.add(mm.i32.rem_s(v, n()), n()), n());
      const setT = f.set(t, mm.i32.sub(f.get(o), f.get(padBegin)));
      switch (mode) {
        case 'edge':
          return mm.block(null, [setT, mm.select(mm.i32.lt_s(f.get(t), f.i32(0)), f.i32(0),
            mm.select(mm.i32.ge_s(f.get(t), f.get(len)), mm.i32.sub(f.get(len), f.i32(1)), f.get(t)))], i32);
        case 'wrap':
          return mm.block(null, [setT, mod(f.get(t), () => f.get(len))], i32);
        default: // reflect
          return mm.block(null, [
            setT,
            f.set(period, mm.i32.shl(mm.i32.sub(f.get(len), f.i32(1)), f.i32(1))),
            // (select evaluates both arms: the divisor must not be 0 even when the result is not used)
            f.set(r, mm.select(f.get(period), mod(f.get(t), () => mm.select(f.get(period), f.get(period), f.i32(1))), f.i32(0))),
            mm.select(mm.i32.lt_s(f.get(r), f.get(len)), f.get(r), mm.i32.sub(f.get(period), f.get(r))),
          ], i32);
      }
    };
    const gen = (a: number, base: Local): Expr => {
      const o = f.local(i32);
      const here = f.local(i32);
      const { outDim, cropBegin, stride } = at(a);
      const inner = a === rank - 1
        ? [copyElem(mm, e, f.get(dst), f.get(here)), f.incN(dst, e)]
        : [gen(a + 1, here)];
      return f.forRange(o, f.i32(0), () => f.get(outDim), 1, [
        f.set(here, mm.i32.add(f.get(base), mm.i32.mul(mm.i32.add(f.get(cropBegin), position(a, o)), f.get(stride)))),
        ...inner,
      ]);
    };
    const body = gen(0, src);
    return { vars: f.varTypes, body };
  });
  const args = plan.axes.flatMap((ax, a) => [out.shape[a]!, ax.padBegin, ax.len, ax.cropBegin, inStrides[a]!].map((d) => ctx.dim(d)));
  return m.call(name, [ctx.ptr(out), ctx.ptr(x), ...args], binaryen.none);
}

registerKernel({
  op: 'Pad',
  check(step) {
    if (step.inputs[0]!.shape.length === 0) return 'a scalar cannot be padded';
    const plan = padPlan(step);
    return typeof plan === 'string' ? plan : undefined;
  },
  emit(ctx, step) {
    const plan = padPlan(step) as PadPlan;
    const mode = (step.attrs.mode as string | undefined) ?? 'constant';
    if (mode !== 'constant') return padMapped(ctx, step, plan, mode);
    // Fill everything, then copy the kept window of the input into place.
    const m = ctx.module;
    const [x, out] = [step.inputs[0]!, step.outputs[0]!];
    const e = elemBytes(x);
    const size = out.shape.reduce<Dim>((a, d) => dimMul(a, d), 1);
    const cv = step.inputs[2];
    const filled = cv
      ? stridedCopy(ctx, e, ctx.ptr(out), ctx.ptr(cv), { dims: [size], strides: [[e], [0]] })
      : fill(ctx, ctx.ptr(out), padValue(step), size);
    const outStrides = byteStrides(out.shape, e);
    const inStrides = byteStrides(x.shape, e);
    let dstBase: Dim = 0;
    let srcBase: Dim = 0;
    plan.axes.forEach((ax, a) => {
      dstBase = dimAdd(dstBase, dimMul(ax.padBegin, outStrides[a]!));
      srcBase = dimAdd(srcBase, dimMul(ax.cropBegin, inStrides[a]!));
    });
    const window = stridedCopy(ctx, e, m.i32.add(ctx.ptr(out), ctx.dim(dstBase)), m.i32.add(ctx.ptr(x), ctx.dim(srcBase)),
      { dims: plan.axes.map((ax) => ax.len), strides: [outStrides, inStrides] });
    return m.block(null, [filled, window], binaryen.none);
  },
});

// ---------------------------------------------------------------------------------------------------------
// Trilu

registerKernel({
  op: 'Trilu',
  emit(ctx, step) {
    // Per row i of each matrix: upper keeps columns j >= i + k, lower keeps j <= i + k; the rest is zero.
    const m = ctx.module;
    const [x, out] = [step.inputs[0]!, step.outputs[0]!];
    const e = elemBytes(x);
    const rank = x.shape.length;
    const upper = ((step.attrs.upper as number | undefined) ?? 1) !== 0;
    const knownK = (step.attrs.k as number | undefined) ?? step.known[1]?.[0];
    const k = knownK !== undefined ? ctx.dim(knownK) : step.inputs[1] ? m.i32.wrap(m.i64.load(0, 8, ctx.ptr(step.inputs[1]))) : m.i32.const(0);
    const name = ctx.fn(`xfc_trilu_${upper ? 'upper' : 'lower'}_e${e}`, binaryen.createType(new Array<binaryen.Type>(6).fill(i32)), binaryen.none, (mm) => {
      const f = new Fn(mm, ctx.features, new Array<binaryen.Type>(6).fill(i32));
      const [dst, src, count, rows, cols, kk] = f.params as Local[];
      const [b, i, c, rowBytes, n, d, s] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
      // c: the first column of the second part of the row (upper: zeros then data; lower: data then zeros).
      const boundary = mm.i32.add(mm.i32.add(f.get(i), f.get(kk!)), f.i32(upper ? 0 : 1));
      const clamp = mm.select(mm.i32.lt_s(f.get(c), f.i32(0)), f.i32(0), mm.select(mm.i32.gt_s(f.get(c), f.get(cols!)), f.get(cols!), f.get(c)));
      const [zeroFrom, zeroLen, copyFrom, copyLen] = upper
        ? [() => f.i32(0), () => f.get(c), () => f.get(c), () => mm.i32.sub(f.get(cols!), f.get(c))]
        : [() => f.get(c), () => mm.i32.sub(f.get(cols!), f.get(c)), () => f.i32(0), () => f.get(c)];
      const body = f.block([
        f.set(rowBytes, mm.i32.mul(f.get(cols!), f.i32(e))),
        f.forRange(b, f.i32(0), () => f.get(count!), 1, [
          f.forRange(i, f.i32(0), () => f.get(rows!), 1, [
            f.set(c, boundary),
            f.set(c, clamp),
            mm.memory.fill(mm.i32.add(f.get(dst!), mm.i32.mul(zeroFrom(), f.i32(e))), f.i32(0), mm.i32.mul(zeroLen(), f.i32(e))),
            f.set(d, mm.i32.add(f.get(dst!), mm.i32.mul(copyFrom(), f.i32(e)))),
            f.set(s, mm.i32.add(f.get(src!), mm.i32.mul(copyFrom(), f.i32(e)))),
            f.set(n, mm.i32.mul(copyLen(), f.i32(e))),
            copyBytes(f, d, s, n),
            f.inc(dst!, f.get(rowBytes)),
            f.inc(src!, f.get(rowBytes)),
          ]),
        ]),
      ]);
      return { vars: f.varTypes, body };
    });
    const batch = x.shape.slice(0, rank - 2).reduce<Dim>((a, d) => dimMul(a, d), 1);
    return m.call(name, [ctx.ptr(out), ctx.ptr(x), ctx.dim(batch), ctx.dim(x.shape[rank - 2]!), ctx.dim(x.shape[rank - 1]!), k], binaryen.none);
  },
});
