// Scan kernels: CumSum along one axis (exclusive / reverse), as position ids are computed from attention masks.
//
// Floats accumulate in f64 and each result is rounded once (as the reference does); integers accumulate in
// i64 and the store keeps the low bits.

import binaryen from 'binaryen';
import { type Dim, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step } from '../../common/schedule.js';
import { registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import { axisOf } from './copy.js';
import { elemBytes, loadElem, storeElem, valueClass } from './nd.js';

const { i32 } = binaryen;

/** The scan axis: the attribute, or operand 1's known contents. */
const axisOfStep = (step: Step): Dim | undefined => (step.attrs.axis as number | undefined) ?? step.known[1]?.[0];

registerKernel({
  op: 'CumSum',
  check(step) {
    const axis = axisOfStep(step);
    if (axis === undefined || typeof axis !== 'number') return 'the axis must be known at compile time';
    return valueClass(step.inputs[0]!.dtype) ? undefined : `dtype ${step.inputs[0]!.dtype} is not supported`;
  },
  emit(ctx, step) {
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    const dtype = x.dtype;
    const e = elemBytes(x);
    const axis = axisOf(axisOfStep(step) as number, x.shape.length);
    const exclusive = ((step.attrs.exclusive as number | undefined) ?? 0) !== 0;
    const reverse = ((step.attrs.reverse as number | undefined) ?? 0) !== 0;
    const cls = valueClass(dtype)!;
    const wide = cls === 'f32' || cls === 'f64' ? 'f64' : 'i64';
    const name = ctx.fn(`xfc_cumsum_${dtype}_${exclusive ? 'excl' : 'incl'}_${reverse ? 'rev' : 'fwd'}`, binaryen.createType([i32, i32, i32, i32, i32]), binaryen.none, (m) => {
      const f = new Fn(m, ctx.features, [i32, i32, i32, i32, i32]);
      const [dst, src, outer, len, inner] = f.params as Local[];
      const [o, i, s, p, q, step4] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
      const acc = f.local(binaryen[wide]);
      // To the accumulator's type and back to the element's.
      const widen = (v: binaryen.ExpressionRef) => (cls === 'f32' ? m.f64.promote(v) : cls === 'i32' ? m.i64.extend_s(v) : v);
      const narrow = (v: binaryen.ExpressionRef) => (cls === 'f32' ? m.f32.demote(v) : cls === 'i32' ? m.i32.wrap(v) : v);
      const add = () => f.set(acc, m[wide].add(f.get(acc), widen(loadElem(m, dtype, f.get(p)))));
      const store = () => storeElem(m, dtype, f.get(q), narrow(f.get(acc)));
      const zero = wide === 'f64' ? m.f64.const(0) : m.i64.const(0n);
      const body = f.block([
        // Elements along the axis are inner * e bytes apart; reverse starts at the last one and walks back.
        f.set(step4, m.i32.mul(f.get(inner!), f.i32(reverse ? -e : e))),
        f.forRange(o, f.i32(0), () => f.get(outer!), 1, [
          f.forRange(i, f.i32(0), () => f.get(inner!), 1, [
            f.set(p, m.i32.add(f.get(src!), m.i32.mul(m.i32.add(m.i32.mul(f.get(o), m.i32.mul(f.get(len!), f.get(inner!))), f.get(i)), f.i32(e)))),
            ...(reverse ? [f.set(p, m.i32.add(f.get(p), m.i32.mul(m.i32.sub(f.get(len!), f.i32(1)), m.i32.mul(f.get(inner!), f.i32(e)))))] : []),
            f.set(q, m.i32.add(f.get(dst!), m.i32.sub(f.get(p), f.get(src!)))),
            f.set(acc, zero),
            f.forRange(s, f.i32(0), () => f.get(len!), 1, [
              ...(exclusive ? [store(), add()] : [add(), store()]),
              f.inc(p, f.get(step4)),
              f.inc(q, f.get(step4)),
            ]),
          ]),
        ]),
      ]);
      return { vars: f.varTypes, body };
    });
    const dims = (from: number, to: number) => ctx.dim(dimsProduct(x.shape.slice(from, to)));
    return ctx.module.call(name, [ctx.ptr(y), ctx.ptr(x), dims(0, axis), ctx.dim(x.shape[axis]!), dims(axis + 1, x.shape.length)], binaryen.none);
  },
});
