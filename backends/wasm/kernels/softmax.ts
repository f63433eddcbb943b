// Softmax and LogSoftmax along any axis, f32 (and Hardmax, at the end).
//
// Last axis (contiguous rows): per row, a max pass, then e = exp(x - max) (math.ts's expF32x4) stored and summed
// (softmax) or only summed (log-softmax), then y = e * (1 / sum) or y = (x - max) - log(sum); four lanes at a
// time and a one-lane tail through the same vector code. Other axes: the same passes with the four lanes across
// the inner dim ([outer, n, inner] view), each lane its own row. Masked entries (-inf) give 0 (log: -inf); a
// row of only -inf gives NaN, like the reference (-inf - -inf).

import binaryen from 'binaryen';
import type { Step } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { expF32x4, logF32x4 } from '../math.js';
import { Fn, type Local } from '../simd.js';
import { axisOf } from './copy.js';
import { axisSplit, hcombine } from './reduce.js';

const { i32, v128, none } = binaryen;

type Kind = 'Softmax' | 'LogSoftmax';

/** Element access for four lanes (a v128 at `ptr`) or one (lane 0, splatted on load). */
interface Access {
  load(ptr: Expr): Expr;
  store(ptr: Expr, value: Expr): Expr;
}

function access(f: Fn, lanes: 4 | 1): Access {
  return lanes === 4
    ? { load: (p) => f.load(p), store: (p, v) => f.store(p, 0, v) }
    : { load: (p) => f.splatLoad(p), store: (p, v) => f.m.f32.store(0, 4, p, f.lane(v, 0)) };
}

const expShift = (f: Fn, x: Expr, mx: Local): Expr => expF32x4(f, f.m.f32x4.sub(x, f.get(mx)));

/** Rows of n contiguous elements along the last axis: params (x, y, rows, n). */
function rowsFunction(ctx: KernelContext, kind: Kind): string {
  const name = `xfc_${kind}_rows_${ctx.features.relaxedSimd ? 'x' : 's'}`;
  return ctx.fn(name, binaryen.createType([i32, i32, i32, i32]), none, (m) => {
    const f = new Fn(m, ctx.features, [i32, i32, i32, i32]);
    const [px, py, rows, n] = f.params as [Local, Local, Local, Local];
    const [r, i, n4, xp, yp] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
    const [mx, acc, tail, e, scale] = [f.local(v128), f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
    const at = (base: Local): Expr => f.add(f.get(base), m.i32.shl(f.get(i), f.i32(2)));
    /** `body` four lanes at a time over [0, n4), then one lane at a time over [n4, n). */
    const sweep = (body: (a: Access, lanes: 4 | 1) => Expr[]): Expr[] => [
      f.forRange(i, f.i32(0), () => f.get(n4), 4, body(access(f, 4), 4)),
      f.forRange(i, f.get(n4), () => f.get(n), 1, body(access(f, 1), 1)),
    ];
    /** Folds the vector accumulator and the tail accumulator (lane 0) into a splat. */
    const total = (op: 'max' | 'add', into: Local): Expr => f.set(into, f.splat(m.f32[op](hcombine(f, op, acc), f.lane(f.get(tail), 0))));
    const accumulate = (op: 'max' | 'add', lanes: 4 | 1, v: Expr): Expr => {
      const target = lanes === 4 ? acc : tail;
      return f.set(target, m.f32x4[op](f.get(target), v));
    };
    const body: Expr[] = [
      // max
      f.set(acc, f.splatConst(-Infinity)), f.set(tail, f.splatConst(-Infinity)),
      ...sweep((a, lanes) => [accumulate('max', lanes, a.load(at(xp)))]),
      total('max', mx),
      // sum of exp(x - max); softmax keeps the exponentials in y
      f.set(acc, f.zero()), f.set(tail, f.zero()),
      ...sweep((a, lanes) => [
        f.set(e, expShift(f, a.load(at(xp)), mx)),
        ...(kind === 'Softmax' ? [a.store(at(yp), f.get(e))] : []),
        accumulate('add', lanes, f.get(e)),
      ]),
      total('add', scale),
    ];
    if (kind === 'Softmax') {
      body.push(f.set(scale, m.f32x4.div(f.splatConst(1), f.get(scale))));
      body.push(...sweep((a) => [a.store(at(yp), f.fmul(a.load(at(yp)), f.get(scale)))]));
    } else {
      body.push(f.set(scale, logF32x4(f, f.get(scale))));
      body.push(...sweep((a) => [a.store(at(yp), m.f32x4.sub(m.f32x4.sub(a.load(at(xp)), f.get(mx)), f.get(scale)))]));
    }
    const fnBody = f.block([
      f.set(n4, m.i32.and(f.get(n), f.i32(~3))),
      f.set(xp, f.get(px)),
      f.set(yp, f.get(py)),
      f.forRange(r, f.i32(0), () => f.get(rows), 1, [...body, f.inc(xp, f.mulN(f.get(n), 4)), f.inc(yp, f.mulN(f.get(n), 4))]),
    ]);
    return { vars: f.varTypes, body: fnBody };
  });
}

/** [outer, n, inner] along n, four (then one) inner positions at a time: params (x, y, outer, n, inner). */
function columnsFunction(ctx: KernelContext, kind: Kind): string {
  const name = `xfc_${kind}_cols_${ctx.features.relaxedSimd ? 'x' : 's'}`;
  return ctx.fn(name, binaryen.createType([i32, i32, i32, i32, i32]), none, (m) => {
    const f = new Fn(m, ctx.features, [i32, i32, i32, i32, i32]);
    const [px, py, outer, n, inner] = f.params as [Local, Local, Local, Local, Local];
    const [o, j, r, j4, rowB, xo, yo, xp, yp] = Array.from({ length: 9 }, () => f.local(i32)) as Local[];
    const [mx, s, e] = [f.local(v128), f.local(v128), f.local(v128)];
    /** `body` for every r along the axis, with xp / yp at (o, r, j). */
    const alongAxis = (body: Expr[]): Expr => f.block([
      f.set(xp!, f.add(f.get(xo!), m.i32.shl(f.get(j!), f.i32(2)))),
      f.set(yp!, f.add(f.get(yo!), m.i32.shl(f.get(j!), f.i32(2)))),
      f.forRange(r!, f.i32(0), () => f.get(n), 1, [...body, f.inc(xp!, f.get(rowB!)), f.inc(yp!, f.get(rowB!))]),
    ]);
    const block = (a: Access): Expr[] => {
      const out: Expr[] = [
        f.set(mx, f.splatConst(-Infinity)),
        alongAxis([f.set(mx, m.f32x4.max(f.get(mx), a.load(f.get(xp!))))]),
        f.set(s, f.zero()),
        alongAxis([
          f.set(e, expShift(f, a.load(f.get(xp!)), mx)),
          ...(kind === 'Softmax' ? [a.store(f.get(yp!), f.get(e))] : []),
          f.set(s, f.fadd(f.get(s), f.get(e))),
        ]),
      ];
      if (kind === 'Softmax') {
        out.push(f.set(s, m.f32x4.div(f.splatConst(1), f.get(s))));
        out.push(alongAxis([a.store(f.get(yp!), f.fmul(a.load(f.get(yp!)), f.get(s)))]));
      } else {
        out.push(f.set(s, logF32x4(f, f.get(s))));
        out.push(alongAxis([a.store(f.get(yp!), m.f32x4.sub(m.f32x4.sub(a.load(f.get(xp!)), f.get(mx)), f.get(s)))]));
      }
      return out;
    };
    const body = f.block([
      f.set(rowB!, f.mulN(f.get(inner), 4)),
      f.set(j4!, m.i32.and(f.get(inner), f.i32(~3))),
      f.set(xo!, f.get(px)),
      f.set(yo!, f.get(py)),
      f.forRange(o!, f.i32(0), () => f.get(outer), 1, [
        f.forRange(j!, f.i32(0), () => f.get(j4!), 4, block(access(f, 4))),
        f.forRange(j!, f.get(j4!), () => f.get(inner), 1, block(access(f, 1))),
        f.inc(xo!, f.mul(f.get(rowB!), f.get(n))),
        f.inc(yo!, f.mul(f.get(rowB!), f.get(n))),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

function emitSoftmax(ctx: KernelContext, step: Step, kind: Kind): Expr {
  const [x, y] = [step.inputs[0]!, step.outputs[0]!];
  const { outer, n, inner } = axisSplit(x.shape, axisOf(step.attrs.axis as number, x.shape.length));
  const m = ctx.module;
  if (inner === 1) return m.call(rowsFunction(ctx, kind), [ctx.ptr(x), ctx.ptr(y), ctx.dim(outer), ctx.dim(n)], none);
  return m.call(columnsFunction(ctx, kind), [ctx.ptr(x), ctx.ptr(y), ctx.dim(outer), ctx.dim(n), ctx.dim(inner)], none);
}

for (const kind of ['Softmax', 'LogSoftmax'] as const) {
  registerKernel({
    op: kind,
    check: (step) => (step.inputs[0]!.dtype === 'f32' ? undefined : `${kind} on ${step.inputs[0]!.dtype} is not supported by the wasm backend (f32 only)`),
    emit: (ctx, step) => emitSoftmax(ctx, step, kind),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Hardmax: 1 at the first largest element along the axis, 0 elsewhere (a NaN never wins, as in the reference's
// x > best). Rare in transformer graphs: one element at a time over the [outer, n, inner] view.

function hardmaxFunction(ctx: KernelContext): string {
  return ctx.fn('xfc_Hardmax', binaryen.createType([i32, i32, i32, i32, i32]), none, (m) => {
    const f = new Fn(m, ctx.features, [i32, i32, i32, i32, i32]);
    const [px, py, outer, n, inner] = f.params as [Local, Local, Local, Local, Local];
    const [o, j, r, best, rowB, xo, yo, p] = Array.from({ length: 8 }, () => f.local(i32)) as Local[];
    const bestV = f.local(binaryen.f32);
    const v = f.local(binaryen.f32);
    const column = (base: Local) => f.add(f.get(base), m.i32.shl(f.get(j), f.i32(2)));
    const body = f.block([
      f.set(rowB, f.mulN(f.get(inner), 4)),
      f.set(xo, f.get(px)),
      f.set(yo, f.get(py)),
      f.if(m.i32.gt_s(f.get(n), f.i32(0)), [
        f.forRange(o, f.i32(0), () => f.get(outer), 1, [
          f.forRange(j, f.i32(0), () => f.get(inner), 1, [
            f.set(p, column(xo)),
            f.set(best, f.i32(0)),
            f.set(bestV, f.loadF32(f.get(p))),
            f.forRange(r, f.i32(1), () => f.get(n), 1, [
              f.inc(p, f.get(rowB)),
              f.set(v, f.loadF32(f.get(p))),
              f.if(m.f32.gt(f.get(v), f.get(bestV)), [f.set(best, f.get(r)), f.set(bestV, f.get(v))]),
            ]),
            f.set(p, column(yo)),
            f.forRange(r, f.i32(0), () => f.get(n), 1, [
              f.storeF32(f.get(p), 0, m.select(m.i32.eq(f.get(r), f.get(best)), m.f32.const(1), m.f32.const(0))),
              f.inc(p, f.get(rowB)),
            ]),
          ]),
          f.inc(xo, f.mul(f.get(rowB), f.get(n))),
          f.inc(yo, f.mul(f.get(rowB), f.get(n))),
        ]),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

registerKernel({
  op: 'Hardmax',
  check: (step) => (step.inputs[0]!.dtype === 'f32' ? undefined : `Hardmax on ${step.inputs[0]!.dtype} is not supported by the wasm backend (f32 only)`),
  emit(ctx, step) {
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    const { outer, n, inner } = axisSplit(x.shape, axisOf(step.attrs.axis as number, x.shape.length));
    return ctx.module.call(hardmaxFunction(ctx), [ctx.ptr(x), ctx.ptr(y), ctx.dim(outer), ctx.dim(n), ctx.dim(inner)], none);
  },
});
