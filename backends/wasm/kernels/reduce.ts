// Reduction kernels: ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp over any axes, ArgMax/ArgMin.
//
// The input's dims are collapsed into alternating kept / reduced runs. Reducing a trailing run (contiguous rows)
// runs 8 lanes at a time (two f32x4 accumulators, combined pairwise at the end); reducing a run with a kept run
// inside it (an outer axis) runs across the inner kept dim, 16 or 4 outputs at a time; anything else goes through
// a general strided loop nest. A reduction is one or more passes (LogSumExp: max, then sum of e^(x - max)), each a
// fold with an identity, an element map and a combine, then a final map (mean, sqrt, log) on the folded values.

import binaryen from 'binaryen';
import { type Dim, dimMul, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { reducedAxes } from '../../common/axes.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { expF32x4, logF32x4 } from '../math.js';
import { Fn, type Local } from '../simd.js';
import { axisOf, stridedCopy } from './copy.js';
import { byteStrides, classType, loadElem, valueClass } from './nd.js';

const { i32, f32, v128, none } = binaryen;

// ---------------------------------------------------------------------------------------------------------
// Shared building blocks (softmax.ts and layernorm.ts use them too)

export type Comb = 'add' | 'mul' | 'max' | 'min';

/** Lane-wise combine of two f32x4 (max/min propagate NaN like the reference). */
export const vcomb = (f: Fn, c: Comb, a: Expr, b: Expr): Expr => f.m.f32x4[c](a, b);

const lanes32 = (l: readonly number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

/** The f32 combination of the four lanes of `v` (a local): pairwise, (v0 . v2) . (v1 . v3). */
export function hcombine(f: Fn, c: Comb, v: Local): Expr {
  const m = f.m;
  const t = f.local(v128);
  return m.block(null, [
    f.set(t, vcomb(f, c, f.get(v), m.i8x16.shuffle(f.get(v), f.get(v), lanes32([2, 3, 0, 1])))),
    m.f32[c](f.lane(f.get(t), 0), f.lane(f.get(t), 1)),
  ], f32);
}

/** A tensor viewed as [outer, n, inner] around one axis. */
export function axisSplit(shape: readonly Dim[], axis: number): { outer: Dim; n: Dim; inner: Dim } {
  return { outer: dimsProduct(shape.slice(0, axis)), n: shape[axis]!, inner: dimsProduct(shape.slice(axis + 1)) };
}

/**
 * Nested counted loops over `dims` (locals), a pointer starting at `base` and advancing by `strides` (locals,
 * bytes) per level; `body` gets the pointer of the current element. No dims: `body` runs once at `base`.
 */
export function nest(f: Fn, dims: readonly Local[], strides: readonly Local[], base: Expr, body: (p: Local) => Expr[]): Expr {
  const ptrs = [...dims.map(() => f.local(i32)), f.local(i32)];
  const gen = (k: number): Expr => {
    if (k === dims.length) return f.block(body(ptrs[k]!));
    const i = f.local(i32);
    return f.forRange(i, f.i32(0), () => f.get(dims[k]!), 1, [f.set(ptrs[k + 1]!, f.get(ptrs[k]!)), gen(k + 1), f.inc(ptrs[k]!, f.get(strides[k]!))]);
  };
  return f.block([f.set(ptrs[0]!, base), gen(0)]);
}

/** Lanes of `a` where `mask` is set, else lanes of `b`. */
export const select = (f: Fn, mask: Expr, a: Expr, b: Expr): Expr => f.m.v128.bitselect(a, b, mask);

/** `x` (a fresh expression) held in a local, then `use(local)` as one v128 expression. */
export function withLocal(f: Fn, x: Expr, use: (l: Local) => Expr): Expr {
  const l = f.local(v128);
  return f.m.block(null, [f.set(l, x), use(l)], v128);
}

// ---------------------------------------------------------------------------------------------------------
// Reductions as passes

interface Pass {
  readonly init: number;
  readonly comb: Comb;
  /** The element map; `res` holds the (per-lane) results of the previous passes. */
  readonly map?: (f: Fn, x: Expr, res: readonly Local[]) => Expr;
}

interface ReduceSpec {
  readonly passes: readonly Pass[];
  /** The result from the passes' results and the reduced element count (an f32x4 expression). */
  readonly final?: (f: Fn, res: readonly Local[], count: () => Expr) => Expr;
}

const square = (f: Fn, x: Expr): Expr => withLocal(f, x, (l) => f.fmul(f.get(l), f.get(l)));
const sumOf = (map?: Pass['map']): Pass => ({ init: 0, comb: 'add', ...(map ? { map } : {}) });

const SPECS: Readonly<Record<string, ReduceSpec>> = {
  ReduceSum: { passes: [sumOf()] },
  ReduceMean: { passes: [sumOf()], final: (f, [s], n) => f.m.f32x4.div(f.get(s!), n()) },
  ReduceMax: { passes: [{ init: -Infinity, comb: 'max' }] },
  ReduceMin: { passes: [{ init: Infinity, comb: 'min' }] },
  ReduceProd: { passes: [{ init: 1, comb: 'mul' }] },
  ReduceL1: { passes: [sumOf((f, x) => f.m.f32x4.abs(x))] },
  ReduceL2: { passes: [sumOf(square)], final: (f, [s]) => f.m.f32x4.sqrt(f.get(s!)) },
  ReduceSumSquare: { passes: [sumOf(square)] },
  ReduceLogSum: { passes: [sumOf()], final: (f, [s]) => logF32x4(f, f.get(s!)) },
  // max + log(sum e^(x - max)); a non-finite max is the result itself (as in the reference).
  ReduceLogSumExp: {
    passes: [{ init: -Infinity, comb: 'max' }, sumOf((f, x, [mx]) => expF32x4(f, f.m.f32x4.sub(x, f.get(mx!))))],
    final: (f, [mx, s]) => {
      const m = f.m;
      const finite = m.f32x4.eq(m.f32x4.sub(f.get(mx!), f.get(mx!)), f.zero());
      return select(f, finite, m.f32x4.add(f.get(mx!), logF32x4(f, f.get(s!))), f.get(mx!));
    },
  },
};

const mapped = (f: Fn, p: Pass, x: Expr, res: readonly Local[]): Expr => (p.map ? p.map(f, x, res) : x);

/** Stores lane 0 of the spec's result at `ptr` (res: the passes' results, one local each). */
function storeResult(f: Fn, spec: ReduceSpec, res: readonly Local[], count: () => Expr, ptr: Expr): Expr {
  const value = spec.final ? spec.final(f, res, count) : f.get(res[res.length - 1]!);
  return f.m.f32.store(0, 4, ptr, f.lane(value, 0));
}

const f32Count = (f: Fn, n: Local): Expr => f.splat(f.m.f32.convert_u.i32(f.get(n)));

/** Rows of `n` contiguous elements, one result each: params (x, y, rows, n). */
function rowsFunction(ctx: KernelContext, op: string, spec: ReduceSpec): string {
  const name = `xfc_reduce_rows_${op}_${ctx.features.relaxedSimd ? 'x' : 's'}`;
  return ctx.fn(name, binaryen.createType([i32, i32, i32, i32]), none, (m) => {
    const f = new Fn(m, ctx.features, [i32, i32, i32, i32]);
    const [px, py, rows, n] = f.params as [Local, Local, Local, Local];
    const [r, i, n8, n4, xp] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
    const [a0, a1, t] = [f.local(v128), f.local(v128), f.local(v128)];
    const res = spec.passes.map(() => f.local(v128));
    const at = (k: Expr): Expr => f.add(f.get(xp), m.i32.shl(k, f.i32(2)));
    const pass = (p: Pass, k: number): Expr[] => {
      const prev = res.slice(0, k);
      const acc = (a: Local, x: Expr): Expr => f.set(a, vcomb(f, p.comb, f.get(a), mapped(f, p, x, prev)));
      return [
        f.set(a0, f.splatConst(p.init)), f.set(a1, f.splatConst(p.init)), f.set(t, f.splatConst(p.init)),
        f.forRange(i, f.i32(0), () => f.get(n8), 8, [acc(a0, f.load(at(f.get(i)))), acc(a1, f.load(at(f.get(i)), 16))]),
        f.if(m.i32.lt_s(f.get(n8), f.get(n4)), [acc(a0, f.load(at(f.get(n8))))]),
        f.forRange(i, f.get(n4), () => f.get(n), 1, [acc(t, f.splatLoad(at(f.get(i))))]),
        f.set(a0, vcomb(f, p.comb, f.get(a0), f.get(a1))),
        f.set(res[k]!, f.splat(m.f32[p.comb](hcombine(f, p.comb, a0), f.lane(f.get(t), 0)))),
      ];
    };
    const body = f.block([
      f.set(n8, m.i32.and(f.get(n), f.i32(~7))),
      f.set(n4, m.i32.and(f.get(n), f.i32(~3))),
      f.set(xp, f.get(px)),
      f.forRange(r, f.i32(0), () => f.get(rows), 1, [
        ...spec.passes.flatMap(pass),
        storeResult(f, spec, res, () => f32Count(f, n), f.add(f.get(py), f.mulN(f.get(r), 4))),
        f.inc(xp, f.mulN(f.get(n), 4)),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

/**
 * [outer, n, inner] reduced over n: results across the inner dim, 16 lanes (four accumulators), then 4, then
 * one at a time. Params (x, y, outer, n, inner).
 */
function columnsFunction(ctx: KernelContext, op: string, spec: ReduceSpec): string {
  const name = `xfc_reduce_cols_${op}_${ctx.features.relaxedSimd ? 'x' : 's'}`;
  return ctx.fn(name, binaryen.createType([i32, i32, i32, i32, i32]), none, (m) => {
    const f = new Fn(m, ctx.features, [i32, i32, i32, i32, i32]);
    const [px, py, outer, n, inner] = f.params as [Local, Local, Local, Local, Local];
    const [o, j, r, p, rowB, xo, yo, j16, j4] = Array.from({ length: 9 }, () => f.local(i32)) as Local[];
    const res = [0, 1, 2, 3].map(() => spec.passes.map(() => f.local(v128)));
    /** One block of `nv` vectors (or one scalar lane) at column j. */
    const block = (nv: number, scalar: boolean): Expr[] => {
      const out: Expr[] = [];
      spec.passes.forEach((ps, k) => {
        const load = (v: number): Expr => (scalar ? f.splatLoad(f.get(p)) : f.load(f.get(p), v * 16));
        out.push(...res.slice(0, nv).map((rv) => f.set(rv[k]!, f.splatConst(ps.init))));
        out.push(f.set(p, f.add(f.get(xo), m.i32.shl(f.get(j), f.i32(2)))));
        out.push(f.forRange(r!, f.i32(0), () => f.get(n), 1, [
          ...res.slice(0, nv).map((rv, v) => f.set(rv[k]!, vcomb(f, ps.comb, f.get(rv[k]!), mapped(f, ps, load(v), rv.slice(0, k))))),
          f.inc(p!, f.get(rowB!)),
        ]));
      });
      const yAt = (): Expr => f.add(f.get(yo), m.i32.shl(f.get(j), f.i32(2)));
      for (let v = 0; v < nv; v++) {
        const value = spec.final ? spec.final(f, res[v]!, () => f32Count(f, n)) : f.get(res[v]![spec.passes.length - 1]!);
        out.push(scalar ? m.f32.store(0, 4, yAt(), f.lane(value, 0)) : f.store(yAt(), v * 16, value));
      }
      return out;
    };
    const body = f.block([
      f.set(rowB!, f.mulN(f.get(inner), 4)),
      f.set(j16!, m.i32.and(f.get(inner), f.i32(~15))),
      f.set(j4!, m.i32.and(f.get(inner), f.i32(~3))),
      f.set(xo!, f.get(px)),
      f.set(yo!, f.get(py)),
      f.forRange(o!, f.i32(0), () => f.get(outer), 1, [
        f.forRange(j!, f.i32(0), () => f.get(j16!), 16, block(4, false)),
        f.forRange(j!, f.get(j16!), () => f.get(j4!), 4, block(1, false)),
        f.forRange(j!, f.get(j4!), () => f.get(inner), 1, block(1, true)),
        f.inc(xo!, f.mul(f.get(rowB!), f.get(n))),
        f.inc(yo!, f.get(rowB!)),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

/** Any kept/reduced pattern: a loop nest over the kept dims around one over the reduced dims, one lane at a time. */
function generalFunction(ctx: KernelContext, op: string, spec: ReduceSpec, kr: number, rr: number): string {
  const name = `xfc_reduce_nd_${op}_k${kr}_r${rr}_${ctx.features.relaxedSimd ? 'x' : 's'}`;
  const types = new Array<binaryen.Type>(3 + 2 * kr + 2 * rr).fill(i32);
  return ctx.fn(name, binaryen.createType(types), none, (m) => {
    const f = new Fn(m, ctx.features, types);
    const [px, py, count] = f.params as [Local, Local, Local];
    const rest = f.params.slice(3);
    const [kd, ks, rd, rs] = [rest.slice(0, kr), rest.slice(kr, 2 * kr), rest.slice(2 * kr, 2 * kr + rr), rest.slice(2 * kr + rr)];
    const yp = f.local(i32);
    const res = spec.passes.map(() => f.local(v128));
    const body = f.block([
      f.set(yp, f.get(py)),
      nest(f, kd, ks, f.get(px), (p) => [
        ...spec.passes.flatMap((ps, k) => [
          f.set(res[k]!, f.splatConst(ps.init)),
          nest(f, rd, rs, f.get(p), (q) => [f.set(res[k]!, vcomb(f, ps.comb, f.get(res[k]!), mapped(f, ps, f.splatLoad(f.get(q)), res.slice(0, k))))]),
        ]),
        storeResult(f, spec, res, () => f32Count(f, count), f.get(yp)),
        f.incN(yp, 4),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

/** Static-size-1 dims dropped, neighbours of the same kind (kept / reduced) merged. */
function runs(shape: readonly Dim[], axes: readonly number[]): { d: Dim; red: boolean }[] {
  const out: { d: Dim; red: boolean }[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const red = axes.includes(i);
    const last = out[out.length - 1];
    if (last && last.red === red) last.d = dimMul(last.d, d);
    else out.push({ d, red });
  });
  return out;
}

function emitReduce(ctx: KernelContext, step: Step): Expr {
  const [x, y] = [step.inputs[0]!, step.outputs[0]!];
  const axes = reducedAxes(step)!;
  if (axes === 'identity') return stridedCopy(ctx, 4, ctx.ptr(y), ctx.ptr(x), { dims: [...x.shape], strides: [byteStrides(x.shape, 4), byteStrides(x.shape, 4)] });
  const spec = SPECS[step.op]!;
  const rs = runs(x.shape, axes);
  if (!rs.some((s) => s.red)) rs.push({ d: 1, red: true }); // only size-1 axes reduced: rows of one element
  const pattern = rs.map((s) => (s.red ? 'r' : 'k')).join('');
  const m = ctx.module;
  const d = (k: number): Expr => ctx.dim(rs[k]!.d);
  const ptrs = [ctx.ptr(x), ctx.ptr(y)];
  if (pattern === 'r' || pattern === 'kr') {
    const rows = pattern === 'r' ? m.i32.const(1) : d(0);
    return m.call(rowsFunction(ctx, step.op, spec), [...ptrs, rows, d(rs.length - 1)], none);
  }
  if (pattern === 'rk' || pattern === 'krk') {
    const outer = pattern === 'rk' ? m.i32.const(1) : d(0);
    return m.call(columnsFunction(ctx, step.op, spec), [...ptrs, outer, d(rs.length - 2), d(rs.length - 1)], none);
  }
  const strides = byteStrides(rs.map((s) => s.d), 4);
  const kept = rs.map((s, k) => k).filter((k) => !rs[k]!.red);
  const red = rs.map((s, k) => k).filter((k) => rs[k]!.red);
  const count = dimsProduct(red.map((k) => rs[k]!.d));
  const fn = generalFunction(ctx, step.op, spec, kept.length, red.length);
  return m.call(fn, [...ptrs, ctx.dim(count), ...kept.map(d), ...kept.map((k) => ctx.dim(strides[k]!)), ...red.map(d), ...red.map((k) => ctx.dim(strides[k]!))], none);
}

function checkReduce(step: Step): string | undefined {
  const dtype = step.inputs[0]!.dtype;
  if (dtype !== 'f32') return `${step.op} on ${dtype} is not supported by the wasm backend (f32 only)`;
  if (reducedAxes(step) === undefined) return 'the axes operand must be known at compile time';
  return undefined;
}

for (const op of Object.keys(SPECS)) registerKernel({ op, check: checkReduce, emit: emitReduce });

// ---------------------------------------------------------------------------------------------------------
// ArgMax, ArgMin: the first (or last, select_last_index) best index along one axis, as i64

function argFunction(ctx: KernelContext, op: string, dtype: TensorRef['dtype'], last: boolean): string {
  const cls = valueClass(dtype)!;
  const name = `xfc_${op}_${dtype}${last ? '_last' : ''}`;
  return ctx.fn(name, binaryen.createType([i32, i32, i32, i32, i32]), none, (m) => {
    const f = new Fn(m, ctx.features, [i32, i32, i32, i32, i32]);
    const [px, py, outer, n, inner] = f.params as [Local, Local, Local, Local, Local];
    const e = cls === 'i64' || cls === 'f64' ? 8 : dtype === 'f32' || dtype === 'i32' || dtype === 'u32' ? 4 : dtype.endsWith('16') ? 2 : 1;
    const [o, j, r, p, best, rowB, xo, yp] = Array.from({ length: 8 }, () => f.local(i32)) as Local[];
    const [bv, v] = [f.local(classType(cls)), f.local(classType(cls))];
    // The comparison by value class: float compares, or signed / unsigned integer compares.
    const cmp = (a: Expr, b: Expr): Expr => {
      const max = op === 'ArgMax';
      if (cls === 'f32' || cls === 'f64') return max ? m[cls].gt(a, b) : m[cls].lt(a, b);
      const t = m[cls];
      if (dtype.startsWith('u') || dtype === 'bool') return max ? t.gt_u(a, b) : t.lt_u(a, b);
      return max ? t.gt_s(a, b) : t.lt_s(a, b);
    };
    let better = cmp(f.get(v), f.get(bv));
    if (last) better = m.i32.or(better, m[cls].eq(f.get(v), f.get(bv)));
    const body = f.block([
      f.set(rowB!, f.mulN(f.get(inner), e)),
      f.set(xo!, f.get(px)),
      f.set(yp!, f.get(py)),
      f.forRange(o!, f.i32(0), () => f.get(outer), 1, [
        f.forRange(j!, f.i32(0), () => f.get(inner), 1, [
          f.set(p!, f.add(f.get(xo!), f.mulN(f.get(j!), e))),
          f.set(best!, f.i32(0)),
          f.set(bv, loadElem(m, dtype, f.get(p!))),
          f.forRange(r!, f.i32(1), () => f.get(n), 1, [
            f.inc(p!, f.get(rowB!)),
            f.set(v, loadElem(m, dtype, f.get(p!))),
            f.if(better, [f.set(best!, f.get(r!)), f.set(bv, f.get(v))]),
          ]),
          m.i64.store(0, 8, f.get(yp!), m.i64.extend_u(f.get(best!))),
          f.incN(yp!, 8),
        ]),
        f.inc(xo!, f.mul(f.get(rowB!), f.get(n))),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

for (const op of ['ArgMax', 'ArgMin']) {
  registerKernel({
    op,
    check: (step) => (valueClass(step.inputs[0]!.dtype) ? undefined : `${op} on ${step.inputs[0]!.dtype} is not supported by the wasm backend`),
    emit(ctx, step) {
      const x = step.inputs[0]!;
      const { outer, n, inner } = axisSplit(x.shape, axisOf(step.attrs.axis as number, x.shape.length));
      const fn = argFunction(ctx, op, x.dtype, step.attrs.select_last_index === 1);
      return ctx.module.call(fn, [ctx.ptr(x), ctx.ptr(step.outputs[0]!), ctx.dim(outer), ctx.dim(n), ctx.dim(inner)], none);
    },
  });
}
