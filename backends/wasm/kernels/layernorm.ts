// LayerNormalization (over the trailing dims from `axis`, optional Mean / InvStdDev outputs) and inference-mode
// BatchNormalization, f32.
//
// LayerNorm is two-pass per row: the mean accumulated in f64x2 lanes and kept as an f32 pair hi + lo (so that a
// large common offset does not leak into the deviations x - hi - lo), then the sum of squared deviations in two f32x4 accumulators (positive
// terms, no cancellation), then y = (x - mean) * invStd * scale + bias, four lanes at a time with a one-lane tail.
// Scale and bias are either full rows of the normalized size or single values (splatted).

import binaryen from 'binaryen';
import { type Dim, dimEq, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import { axisOf, stridedCopy } from './copy.js';
import { hcombine } from './reduce.js';

const { i32, f64, v128, none } = binaryen;

export type Form = 'full' | 'scalar' | 'none';

/** How a scale / bias operand covers the normalized row of `size` elements, or undefined when unsupported. */
export function formOf(t: TensorRef | undefined, size: Dim): Form | undefined {
  if (!t) return 'none';
  const n = dimsProduct(t.shape);
  if (n === 1) return 'scalar';
  return dimEq(n, size) ? 'full' : undefined;
}

const lanes32 = (l: readonly number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

/**
 * A fused input of the row pass (SkipLayerNormalization): the row is x + skip (+ a per-column bias), computed in
 * the mean pass and stored to a sum row that the later passes read. The function then takes four more params
 * (skip, skipRows, preBias, sum): skip row r is row r mod skipRows of `skip`; `sum` may be y itself (scratch).
 */
export interface LayerNormPrologue {
  readonly bias: boolean;
}

/**
 * Params (x, scale, bias, y, mean, invStd, rows, n[, skip, skipRows, preBias, sum]); `stats` = how many of
 * Mean, InvStdDev are written (0..2); `pre` fuses an add of skip (+ bias) into the row pass.
 */
export function layerNormFunction(ctx: KernelContext, scaleForm: Form, biasForm: Form, stats: number, epsilon: number, pre?: LayerNormPrologue): string {
  const preKey = pre ? `_skip${pre.bias ? 'b' : ''}` : '';
  const name = `xfc_layernorm_s${scaleForm}_b${biasForm}_st${stats}${preKey}_e${epsilon}_${ctx.features.relaxedSimd ? 'x' : 's'}`.replace(/[.-]/g, 'p');
  const types = new Array<binaryen.Type>(pre ? 12 : 8).fill(i32);
  return ctx.fn(name, binaryen.createType(types), none, (m) => {
    const f = new Fn(m, ctx.features, types);
    const [px, ps, pb, py, pm, pv, rows, n, pk, kRows, pkb, psum] = f.params as Local[];
    const [r, i, n4, n8, xp, yp] = Array.from({ length: 6 }, () => f.local(i32)) as Local[];
    // The row the variance and normalize passes read: x itself, or the sum row written by the mean pass.
    const [sp, kp] = pre ? [f.local(i32), f.local(i32)] : [xp!, xp!];
    const [d0, d1, st] = [f.local(f64), f.local(f64), f.local(f64)];
    const sumF32 = f.local(binaryen.f32);
    const [s0, s1, a0, a1, mean, meanLo, inv, sc, bi, t] = Array.from({ length: 10 }, () => f.local(v128)) as Local[];
    /** x - mean with the mean as an f32 pair (hi + lo): x - hi is exact near the mean, so offsets cost no accuracy. */
    const centered = (x: Expr): Expr => m.f32x4.sub(m.f32x4.sub(x, f.get(mean!)), f.get(meanLo!));
    const at = (base: Local, k: Local = i!): Expr => f.add(f.get(base), m.i32.shl(f.get(k), f.i32(2)));
    const nF64 = (): Expr => m.f64.convert_u.i32(f.get(n!));
    const addWide = (v: Expr): Expr[] => [
      f.set(t!, v),
      f.set(s0!, m.f64x2.add(f.get(s0!), m.f64x2.promote_low_f32x4(f.get(t!)))),
      f.set(s1!, m.f64x2.add(f.get(s1!), m.f64x2.promote_low_f32x4(m.i8x16.shuffle(f.get(t!), f.get(t!), lanes32([2, 3, 0, 1]))))),
    ];
    const sq = (v: Expr): Expr => {
      return m.block(null, [f.set(t!, centered(v)), f.fmul(f.get(t!), f.get(t!))], v128);
    };
    const operand = (form: Form, p: Local, lanes: 4 | 1, splat: Local): Expr =>
      form === 'full' ? (lanes === 4 ? f.load(at(p)) : f.splatLoad(at(p))) : f.get(splat);
    const norm = (lanes: 4 | 1): Expr => {
      const x = lanes === 4 ? f.load(at(sp!)) : f.splatLoad(at(sp!));
      let v = f.fmul(f.fmul(centered(x), f.get(inv!)), operand(scaleForm, ps!, lanes, sc!));
      if (biasForm !== 'none') v = f.fadd(v, operand(biasForm, pb!, lanes, bi!));
      return lanes === 4 ? f.store(at(yp!), 0, v) : m.f32.store(0, 4, at(yp!), f.lane(v, 0));
    };
    // The mean pass's elements: x, or x + skip (+ bias) also stored to the sum row.
    const wide: Expr[] = !pre ? addWide(f.load(at(xp!))) : [
      f.set(t!, f.fadd(f.load(at(xp!)), f.load(at(kp!)))),
      ...(pre.bias ? [f.set(t!, f.fadd(f.get(t!), f.load(at(pkb!))))] : []),
      f.store(at(sp!), 0, f.get(t!)),
      ...addWide(f.get(t!)),
    ];
    const narrow: Expr[] = !pre ? [f.set(sumF32, f.loadF32(at(xp!)))] : [
      f.set(sumF32, m.f32.add(f.loadF32(at(xp!)), f.loadF32(at(kp!)))),
      ...(pre.bias ? [f.set(sumF32, m.f32.add(f.get(sumF32), f.loadF32(at(pkb!))))] : []),
      f.storeF32(at(sp!), 0, f.get(sumF32)),
    ];
    const rowBytes = (): Expr => f.mulN(f.get(n!), 4);
    const row: Expr[] = [
      ...(pre ? [f.set(kp!, f.add(f.get(pk!), f.mul(m.i32.rem_u(f.get(r!), f.get(kRows!)), rowBytes())))] : []),
      // mean, in f64
      f.set(s0!, m.f64x2.splat(m.f64.const(0))), f.set(s1!, m.f64x2.splat(m.f64.const(0))), f.set(st, m.f64.const(0)),
      f.forRange(i!, f.i32(0), () => f.get(n4!), 4, wide),
      f.forRange(i!, f.get(n4!), () => f.get(n!), 1, [...narrow, f.set(st, m.f64.add(f.get(st), m.f64.promote(f.get(sumF32))))]),
      f.set(s0!, m.f64x2.add(f.get(s0!), f.get(s1!))),
      f.set(d0, m.f64.add(m.f64.add(m.f64x2.extract_lane(f.get(s0!), 0), m.f64x2.extract_lane(f.get(s0!), 1)), f.get(st))),
      f.set(d0, m.f64.div(f.get(d0), nF64())),
      f.set(mean!, f.splat(m.f32.demote(f.get(d0)))),
      f.set(meanLo!, f.splat(m.f32.demote(m.f64.sub(f.get(d0), m.f64.promote(f.lane(f.get(mean!), 0)))))),
      // sum of squared deviations, in f32x4 (8 lanes)
      f.set(a0!, f.zero()), f.set(a1!, f.zero()), f.set(s0!, f.zero()),
      f.forRange(i!, f.i32(0), () => f.get(n8!), 8, [
        f.set(a0!, f.fadd(f.get(a0!), sq(f.load(at(sp!))))),
        f.set(a1!, f.fadd(f.get(a1!), sq(f.load(at(sp!), 16)))),
      ]),
      f.if(m.i32.lt_s(f.get(n8!), f.get(n4!)), [f.set(a0!, f.fadd(f.get(a0!), sq(f.load(at(sp!, n8!)))))]),
      f.forRange(i!, f.get(n4!), () => f.get(n!), 1, [f.set(s0!, f.fadd(f.get(s0!), sq(f.splatLoad(at(sp!)))))]),
      f.set(a0!, f.fadd(f.get(a0!), f.get(a1!))),
      f.set(d1, m.f64.div(m.f64.promote(m.f32.add(hcombine(f, 'add', a0!), f.lane(f.get(s0!), 0))), nF64())),
      f.set(inv!, f.splat(m.f32.demote(m.f64.div(m.f64.const(1), m.f64.sqrt(m.f64.add(f.get(d1), m.f64.const(epsilon))))))),
      ...(stats >= 1 ? [m.f32.store(0, 4, at(pm!, r!), m.f32.demote(f.get(d0)))] : []),
      ...(stats >= 2 ? [m.f32.store(0, 4, at(pv!, r!), f.lane(f.get(inv!), 0))] : []),
      f.forRange(i!, f.i32(0), () => f.get(n4!), 4, [norm(4)]),
      f.forRange(i!, f.get(n4!), () => f.get(n!), 1, [norm(1)]),
      f.inc(xp!, rowBytes()),
      f.inc(yp!, rowBytes()),
      ...(pre ? [f.inc(sp!, rowBytes())] : []),
    ];
    const body = f.block([
      f.set(n4!, m.i32.and(f.get(n!), f.i32(~3))),
      f.set(n8!, m.i32.and(f.get(n!), f.i32(~7))),
      ...(scaleForm === 'scalar' ? [f.set(sc!, f.splatLoad(f.get(ps!)))] : []),
      ...(biasForm === 'scalar' ? [f.set(bi!, f.splatLoad(f.get(pb!)))] : []),
      f.set(xp!, f.get(px!)),
      f.set(yp!, f.get(py!)),
      ...(pre ? [f.set(sp!, f.get(psum!))] : []),
      f.forRange(r!, f.i32(0), () => f.get(rows!), 1, row),
    ]);
    return { vars: f.varTypes, body };
  });
}

function layerNormShape(step: Step): { rows: Dim; size: Dim } {
  const x = step.inputs[0]!;
  const axis = axisOf(step.attrs.axis as number, x.shape.length);
  return { rows: dimsProduct(x.shape.slice(0, axis)), size: dimsProduct(x.shape.slice(axis)) };
}

registerKernel({
  op: 'LayerNormalization',
  check(step) {
    if (step.inputs[0]!.dtype !== 'f32') return `LayerNormalization on ${step.inputs[0]!.dtype} is not supported by the wasm backend (f32 only)`;
    const { size } = layerNormShape(step);
    for (const [k, port] of [[1, 'Scale'], [2, 'B']] as const) {
      const t = step.inputs[k];
      if (!formOf(t, size)) return `${port} of shape [${t!.shape.join(', ')}] broadcasts partially over the normalized dims; only full or single-value ${port} is supported`;
    }
    if (step.outputs.slice(1).some((o) => o.dtype !== 'f32')) return 'Mean / InvStdDev outputs are supported in f32 only (stash_type 1)';
    return undefined;
  },
  emit(ctx, step) {
    const [x, scale, bias] = step.inputs as [TensorRef, TensorRef, TensorRef | undefined];
    const { rows, size } = layerNormShape(step);
    const [y, mean, inv] = step.outputs as [TensorRef, TensorRef | undefined, TensorRef | undefined];
    // Optional results are a prefix of (Y, Mean, InvStdDev).
    const stats = step.outputs.length - 1;
    const fn = layerNormFunction(ctx, formOf(scale, size)!, formOf(bias, size)!, stats, step.attrs.epsilon as number);
    const m = ctx.module;
    const ptrOr0 = (t: TensorRef | undefined): Expr => (t ? ctx.ptr(t) : m.i32.const(0));
    return m.call(fn, [ctx.ptr(x), ctx.ptr(scale), ptrOr0(bias), ctx.ptr(y), ptrOr0(mean), ptrOr0(inv), ctx.dim(rows), ctx.dim(size)], none);
  },
});

// ---------------------------------------------------------------------------------------------------------
// BatchNormalization (inference): y = (x - mean[c]) * (scale[c] / sqrt(var[c] + eps)) + B[c] over [N, C, inner]

function batchNormFunction(ctx: KernelContext, epsilon: number): string {
  const name = `xfc_batchnorm_e${epsilon}_${ctx.features.relaxedSimd ? 'x' : 's'}`.replace(/[.-]/g, 'p');
  const types = new Array<binaryen.Type>(9).fill(i32);
  return ctx.fn(name, binaryen.createType(types), none, (m) => {
    const f = new Fn(m, ctx.features, types);
    const [px, ps, pb, pm, pv, py, N, C, inner] = f.params as Local[];
    const [b, c, i, n4, xp, yp, cB] = Array.from({ length: 7 }, () => f.local(i32)) as Local[];
    const [a, mu, bias] = [f.local(v128), f.local(v128), f.local(v128)];
    const at = (base: Local): Expr => f.add(f.get(base), m.i32.shl(f.get(i!), f.i32(2)));
    const ch = (p: Local): Expr => f.loadF32(f.add(f.get(p), f.get(cB!)));
    const value = (x: Expr): Expr => f.madd(m.f32x4.sub(x, f.get(mu)), f.get(a), f.get(bias));
    const body = f.block([
      f.set(n4!, m.i32.and(f.get(inner!), f.i32(~3))),
      f.set(xp!, f.get(px!)),
      f.set(yp!, f.get(py!)),
      f.forRange(b!, f.i32(0), () => f.get(N!), 1, [
        f.forRange(c!, f.i32(0), () => f.get(C!), 1, [
          f.set(cB!, f.mulN(f.get(c!), 4)),
          f.set(a, f.splat(m.f32.div(ch(ps!), m.f32.sqrt(m.f32.add(ch(pv!), m.f32.const(epsilon)))))),
          f.set(mu, f.splat(ch(pm!))),
          f.set(bias, f.splat(ch(pb!))),
          f.forRange(i!, f.i32(0), () => f.get(n4!), 4, [f.store(at(yp!), 0, value(f.load(at(xp!))))]),
          f.forRange(i!, f.get(n4!), () => f.get(inner!), 1, [m.f32.store(0, 4, at(yp!), f.lane(value(f.splatLoad(at(xp!))), 0))]),
          f.inc(xp!, f.mulN(f.get(inner!), 4)),
          f.inc(yp!, f.mulN(f.get(inner!), 4)),
        ]),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

registerKernel({
  op: 'BatchNormalization',
  check: (step) => (step.inputs[0]!.dtype === 'f32' ? undefined : `BatchNormalization on ${step.inputs[0]!.dtype} is not supported by the wasm backend (f32 only)`),
  emit(ctx, step) {
    const [x, scale, bias, mean, variance] = step.inputs as TensorRef[];
    const y = step.outputs[0]!;
    const m = ctx.module;
    const stmts: Expr[] = [m.call(batchNormFunction(ctx, step.attrs.epsilon as number), [
      ctx.ptr(x!), ctx.ptr(scale!), ctx.ptr(bias!), ctx.ptr(mean!), ctx.ptr(variance!), ctx.ptr(y),
      ctx.dim(x!.shape[0]!), ctx.dim(x!.shape[1]!), ctx.dim(dimsProduct(x!.shape.slice(2))),
    ], none)];
    // Inference mode: the running statistics outputs are the given ones.
    step.outputs.slice(1).forEach((o, k) => {
      const src = k === 0 ? mean! : variance!;
      stmts.push(stridedCopy(ctx, 4, ctx.ptr(o), ctx.ptr(src), { dims: [o.shape[0]!], strides: [[4], [4]] }));
    });
    return m.block(null, stmts, none);
  },
});
