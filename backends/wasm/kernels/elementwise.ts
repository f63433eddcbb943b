// Elementwise kernels: unary math (incl. trigonometric and hyperbolic) and activations (incl. the fused Gelu),
// broadcasting arithmetic (Add ... Pow, Mod, variadic Max/Min/Sum/Mean), PRelu and Clip. f32 runs four lanes at a
// time over each innermost row of the collapsed broadcast space (an operand that is broadcast along the row is
// splatted once per row), so same-shape, scalar, bias-row and general strided broadcasting are one code path;
// i32/i64 (mask and shape arithmetic) run one element at a time.

import binaryen from 'binaryen';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { type VecMath, erfF32x4, expF32x4, geluErfF32x4, geluTanhF32x4, logF32x4, sigmoidF32x4, tanhF32x4 } from '../math.js';
import { acosF32x4, asinF32x4, atanF32x4, cosF32x4, coshF32x4, fmodF32x4, sinF32x4, sinhF32x4, tanF32x4 } from '../math.js';
import type { Fn, Local } from '../simd.js';
import { broadcastSpace, elementLoop, loadElem, ndCall, ndFunction, storeElem } from './nd.js';

const { i32, i64, v128 } = binaryen;

/** f32x4 lanes of the operands (each a fresh expression) to the result lanes. */
type VecOp = (f: Fn, args: Expr[]) => Expr;
/** i32 or i64 values to a value of the same class (`env` for ops that need locals or attributes). */
type IntOp = (m: binaryen.Module, t: 'i32' | 'i64', args: (() => Expr)[], env: { f: Fn; attrs: Attrs }) => Expr;

type Attrs = Readonly<Record<string, unknown>>;

interface ElemSpec {
  readonly vec?: (attrs: Attrs, step: Step) => VecOp;
  readonly int?: IntOp;
  /** The part of the op's attributes / constant operands the code depends on, for function names. */
  readonly key?: (attrs: Attrs, step: Step) => string;
}

// ---------------------------------------------------------------------------------------------------------
// Building blocks

const splat = (f: Fn, v: number): Expr => f.splatConst(Math.fround(v));

/** A one-argument VecMath applied to the first operand. */
const math = (op: VecMath) => (): VecOp => (f, [x]) => op(f, x!);

/** `fn(f, locals)` with each operand held in a fresh v128 local (for ops that read an operand twice). */
function withLocals(fn: (f: Fn, xs: Local[]) => Expr): VecOp {
  return (f, args) => {
    const locals = args.map(() => f.local(v128));
    return f.m.block(null, [...args.map((a, j) => f.set(locals[j]!, a)), fn(f, locals)], v128);
  };
}

const sel = (f: Fn, mask: Expr, a: Expr, b: Expr): Expr => f.m.v128.bitselect(a, b, mask);

/** Folds a binary f32x4 op over the operands (variadic Max/Min/Sum). */
const fold = (op: (m: binaryen.Module, a: Expr, b: Expr) => Expr) => (): VecOp => (f, args) => args.reduce((a, b) => op(f.m, a, b));

/** Integer division truncating toward zero; a zero divisor gives 0 and MIN / -1 wraps (the interpreter's semantics). */
const intDiv: IntOp = (m, t, [a, b]) => {
  const c = (v: number) => (t === 'i32' ? m.i32.const(v) : m.i64.const(BigInt(v) as unknown as number));
  // wasm's select evaluates both arms: divide by a divisor made safe (0 and -1 become 1), then pick.
  const special = () => m.i32.or(m[t].eqz(b!()), m[t].eq(b!(), c(-1)));
  const quotient = m[t].div_s(a!(), m.select(special(), c(1), b!()));
  return m.select(m[t].eqz(b!()), c(0), m.select(m[t].eq(b!(), c(-1)), m[t].sub(c(0), a!()), quotient));
};

/** A constant of an integer class. */
const intConst = (m: binaryen.Module, t: 'i32' | 'i64', v: number): Expr => (t === 'i32' ? m.i32.const(v) : m.i64.const(BigInt(v) as unknown as number));

/** Folds `pick(a, b) ? a : b` over the operands through a local (variadic Max / Min on integers). */
const intFold = (pick: 'gt_s' | 'lt_s'): IntOp => (m, t, args, { f }) => {
  const acc = f.local(t === 'i32' ? i32 : i64);
  const steps = args.slice(1).map((b) => f.set(acc, m.select(m[t][pick](f.get(acc), b()), f.get(acc), b())));
  return m.block(null, [f.set(acc, args[0]!()), ...steps, f.get(acc)], t === 'i32' ? i32 : i64);
};

/**
 * Integer Mod: fmod=1 truncates (sign of the dividend), fmod=0 floors (sign of the divisor); a zero divisor gives 0
 * (the interpreter's semantics). rem_s never traps on MIN % -1; the divisor is made 1 where it is 0.
 */
const intMod: IntOp = (m, t, [a, b], { f, attrs }) => {
  const r = f.local(t === 'i32' ? i32 : i64);
  const zero = () => intConst(m, t, 0);
  const rem = m[t].rem_s(a!(), m.select(m[t].eqz(b!()), intConst(m, t, 1), b!()));
  const floored = attrs.fmod === 1 ? f.get(r)
    : m.select(m.i32.and(m[t].ne(f.get(r), zero()), m[t].lt_s(m[t].xor(f.get(r), b!()), zero())), m[t].add(f.get(r), b!()), f.get(r));
  return m.block(null, [f.set(r, rem), m.select(m[t].eqz(b!()), zero(), floored)], t === 'i32' ? i32 : i64);
};

/**
 * Integer Pow (same dtype operands): exponents >= 0 by squaring with wrapping products (the low bits of the exact
 * power); negative exponents give 1 for base 1, +-1 for base -1, else 0 (the truncated real power).
 */
const intPow: IntOp = (m, t, [a, b], { f }) => {
  const type = t === 'i32' ? i32 : i64;
  const [r, base, e, i] = [f.local(type), f.local(type), f.local(type), f.local(i32)];
  const one = () => intConst(m, t, 1);
  const odd = () => m[t].ne(m[t].and(f.get(e), one()), intConst(m, t, 0));
  const negative = m.select(m[t].eq(f.get(base), one()), one(),
    m.select(m[t].eq(f.get(base), intConst(m, t, -1)), m.select(odd(), intConst(m, t, -1), one()), intConst(m, t, 0)));
  return m.block(null, [
    f.set(base, a!()), f.set(e, b!()), f.set(r, one()),
    f.if(m[t].lt_s(f.get(e), intConst(m, t, 0)), [f.set(r, negative)], [
      f.forRange(i, f.i32(0), () => f.i32(t === 'i32' ? 32 : 64), 1, [
        f.if(odd(), [f.set(r, m[t].mul(f.get(r), f.get(base)))]),
        f.set(base, m[t].mul(f.get(base), f.get(base))),
        f.set(e, m[t].shr_u(f.get(e), one())),
      ]),
    ]),
    f.get(r),
  ], type);
};

/** Pow with a known scalar exponent: x^2, x^3, sqrt, 1/x, 1 and x; else exp(b log|a|) with the sign of odd integer powers. */
function powOp(_attrs: Attrs, step: Step): VecOp {
  const e = knownExponent(step);
  if (e === 1) return (_f, [a]) => a!;
  if (e === 0) return (f) => splat(f, 1);
  if (e === 2) return withLocals((f, [a]) => f.m.f32x4.mul(f.get(a!), f.get(a!)));
  if (e === 3) return withLocals((f, [a]) => f.m.f32x4.mul(f.m.f32x4.mul(f.get(a!), f.get(a!)), f.get(a!)));
  if (e === 0.5) return (f, [a]) => f.m.f32x4.sqrt(a!);
  if (e === -1) return (f, [a]) => f.m.f32x4.div(splat(f, 1), a!);
  return withLocals((f, [a, b]) => {
    const m = f.m;
    const mag = f.local(v128);
    const isInt = () => m.f32x4.eq(m.f32x4.nearest(f.get(b!)), f.get(b!));
    const half = () => m.f32x4.mul(f.get(b!), splat(f, 0.5));
    const odd = m.v128.and(isInt(), m.f32x4.ne(m.f32x4.nearest(half()), half()));
    // a < 0: odd integer b -> -|a|^b, even integer b -> |a|^b, otherwise NaN; b = 0 -> 1.
    const negBase = sel(f, isInt(), sel(f, odd, m.f32x4.neg(f.get(mag)), f.get(mag)), splat(f, NaN));
    const r = sel(f, m.f32x4.lt(f.get(a!), f.zero()), negBase, f.get(mag));
    return m.block(null, [
      f.set(mag, expF32x4(f, m.f32x4.mul(f.get(b!), logF32x4(f, m.f32x4.abs(f.get(a!)))))),
      sel(f, m.f32x4.eq(f.get(b!), f.zero()), splat(f, 1), r),
    ], v128);
  });
}

function knownExponent(step: Step): number | undefined {
  const k = step.known[1];
  if (!k || k.length !== 1 || typeof k[0] !== 'number') return undefined;
  return k[0];
}

const num = (attrs: Attrs, name: string): number => attrs[name] as number;

// ---------------------------------------------------------------------------------------------------------
// The op table

const specs: Record<string, ElemSpec> = {
  // unary
  Sqrt: { vec: () => (f, [x]) => f.m.f32x4.sqrt(x!) },
  Exp: { vec: math(expF32x4) },
  Log: { vec: math(logF32x4) },
  Erf: { vec: math(erfF32x4) },
  Tanh: { vec: math(tanhF32x4) },
  Sigmoid: { vec: math(sigmoidF32x4) },
  Sin: { vec: math(sinF32x4) },
  Cos: { vec: math(cosF32x4) },
  Tan: { vec: math(tanF32x4) },
  Asin: { vec: math(asinF32x4) },
  Acos: { vec: math(acosF32x4) },
  Atan: { vec: math(atanF32x4) },
  Sinh: { vec: math(sinhF32x4) },
  Cosh: { vec: math(coshF32x4) },
  Neg: { vec: () => (f, [x]) => f.m.f32x4.neg(x!), int: (m, t, [x]) => m[t].sub(t === 'i32' ? m.i32.const(0) : m.i64.const(0n as unknown as number), x!()) },
  Abs: { vec: () => (f, [x]) => f.m.f32x4.abs(x!), int: (m, t, [x]) => m.select(m[t].lt_s(x!(), intConst(m, t, 0)), m[t].sub(intConst(m, t, 0), x!()), x!()) },
  // pmax(0, x) = 0 < x ? x : 0, so NaN gives 0 like the reference's x > 0 ? x : 0.
  Relu: { vec: () => (f, [x]) => f.m.f32x4.pmax(f.zero(), x!), int: (m, t, [x]) => m.select(m[t].gt_s(x!(), intConst(m, t, 0)), x!(), intConst(m, t, 0)) },
  Reciprocal: { vec: () => (f, [x]) => f.m.f32x4.div(splat(f, 1), x!) },
  Floor: { vec: () => (f, [x]) => f.m.f32x4.floor(x!) },
  Ceil: { vec: () => (f, [x]) => f.m.f32x4.ceil(x!) },
  Round: { vec: () => (f, [x]) => f.m.f32x4.nearest(x!) },
  Sign: {
    vec: () => withLocals((f, [x]) => {
      const m = f.m;
      const s = sel(f, m.f32x4.gt(f.get(x!), f.zero()), splat(f, 1), sel(f, m.f32x4.lt(f.get(x!), f.zero()), splat(f, -1), splat(f, 0)));
      return sel(f, m.f32x4.ne(f.get(x!), f.get(x!)), f.get(x!), s);
    }),
    int: (m, t, [x]) => {
      const s = m.i32.sub(m[t].gt_s(x!(), intConst(m, t, 0)), m[t].lt_s(x!(), intConst(m, t, 0)));
      return t === 'i32' ? s : m.i64.extend_s(s);
    },
  },
  LeakyRelu: {
    vec: (a) => withLocals((f, [x]) => sel(f, f.m.f32x4.ge(f.get(x!), f.zero()), f.get(x!), f.m.f32x4.mul(f.get(x!), splat(f, num(a, 'alpha'))))),
    key: (a) => `a${num(a, 'alpha')}`,
  },
  Elu: {
    vec: (a) => withLocals((f, [x]) => sel(f, f.m.f32x4.ge(f.get(x!), f.zero()), f.get(x!),
      f.m.f32x4.mul(f.m.f32x4.sub(expF32x4(f, f.get(x!)), splat(f, 1)), splat(f, num(a, 'alpha'))))),
    key: (a) => `a${num(a, 'alpha')}`,
  },
  HardSigmoid: {
    vec: (a) => (f, [x]) => f.m.f32x4.max(f.zero(), f.m.f32x4.min(splat(f, 1), f.madd(x!, splat(f, num(a, 'alpha')), splat(f, num(a, 'beta'))))),
    key: (a) => `a${num(a, 'alpha')}b${num(a, 'beta')}`,
  },
  // log(1 + e^x) = max(x, 0) + log(1 + e^-|x|)
  Softplus: {
    vec: () => withLocals((f, [x]) => f.m.f32x4.add(f.m.f32x4.pmax(f.zero(), f.get(x!)),
      logF32x4(f, f.m.f32x4.add(splat(f, 1), expF32x4(f, f.m.f32x4.neg(f.m.f32x4.abs(f.get(x!)))))))),
  },
  // Gelu (fused op): the erf form or the tanh approximation, as the GEMM epilogue computes it.
  Gelu: {
    vec: (a) => withLocals((f, [x]) => (a.approximate === 'tanh' ? geluTanhF32x4 : geluErfF32x4)(f, x!)),
    key: (a) => (a.approximate === 'tanh' ? 'tanh' : 'erf'),
  },
  // binary
  Add: { vec: () => (f, [a, b]) => f.m.f32x4.add(a!, b!), int: (m, t, [a, b]) => m[t].add(a!(), b!()) },
  Sub: { vec: () => (f, [a, b]) => f.m.f32x4.sub(a!, b!), int: (m, t, [a, b]) => m[t].sub(a!(), b!()) },
  Mul: { vec: () => (f, [a, b]) => f.m.f32x4.mul(a!, b!), int: (m, t, [a, b]) => m[t].mul(a!(), b!()) },
  Div: { vec: () => (f, [a, b]) => f.m.f32x4.div(a!, b!), int: intDiv },
  Pow: { vec: powOp, int: intPow, key: (_a, step) => `e${knownExponent(step) ?? 'x'}` },
  // Mod: f32 only with fmod=1 (the type rule); integers both ways.
  Mod: { vec: () => (f, [a, b]) => fmodF32x4(f, a!, b!), int: intMod, key: (a) => `f${a.fmod === 1 ? 1 : 0}` },
  PRelu: { vec: () => withLocals((f, [x, s]) => sel(f, f.m.f32x4.lt(f.get(x!), f.zero()), f.m.f32x4.mul(f.get(x!), f.get(s!)), f.get(x!))) },
  Max: { vec: fold((m, a, b) => m.f32x4.max(a, b)), int: intFold('gt_s') },
  Min: { vec: fold((m, a, b) => m.f32x4.min(a, b)), int: intFold('lt_s') },
  Sum: { vec: fold((m, a, b) => m.f32x4.add(a, b)), int: (m, t, args) => args.map((g) => g()).reduce((a, b) => m[t].add(a, b)) },
  Mean: { vec: () => (f, args) => f.m.f32x4.div(args.reduce((a, b) => f.m.f32x4.add(a, b)), splat(f, args.length)) },
  Clip: {
    vec: (_a, step) => (f, [x, ...bounds]) => {
      const [lo, hi] = [step.inputs[1] ? bounds.shift() : undefined, step.inputs[2] ? bounds.shift() : undefined];
      const clipped = lo ? f.m.f32x4.max(x!, lo) : x!;
      return hi ? f.m.f32x4.min(clipped, hi) : clipped;
    },
    key: (_a, step) => `${step.inputs[1] ? 'l' : ''}${step.inputs[2] ? 'h' : ''}`,
  },
};

const scalarIntOps = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'Sum', 'Abs', 'Relu', 'Sign', 'Max', 'Min', 'Pow', 'Mod']);

// ---------------------------------------------------------------------------------------------------------
// Code generation

/**
 * The f32 row body: four lanes at a time while four remain, then one lane at a time through the same vector
 * code on a splat. `rowStride[j]` is 0 (operand j broadcast along the row: splatted once) or 4 (contiguous).
 */
function f32Row(op: VecOp, contiguous: readonly boolean[]) {
  return (f: Fn, ptrs: readonly Local[], count: Local): Expr => {
    const m = f.m;
    const [out, ...ins] = ptrs;
    const i = f.local(i32);
    const off = f.local(i32);
    const splats = ins.map((p, j) => (contiguous[j] ? undefined : f.local(v128)));
    const arg = (j: number, lanes: 4 | 1): Expr => {
      const p = ins[j]!;
      if (!contiguous[j]) return f.get(splats[j]!);
      const addr = m.i32.add(f.get(p), f.get(off));
      return lanes === 4 ? f.load(addr) : m.f32x4.splat(m.f32.load(0, 4, addr));
    };
    const outAddr = () => m.i32.add(f.get(out!), f.get(off));
    const vecLoopEnd = f.local(i32);
    return f.block([
      ...splats.flatMap((s, j) => (s ? [f.set(s, f.splatLoad(f.get(ins[j]!)))] : [])),
      f.set(vecLoopEnd, m.i32.and(f.get(count), m.i32.const(-4))),
      f.set(off, m.i32.const(0)),
      f.forRange(i, f.i32(0), () => f.get(vecLoopEnd), 4, [
        f.store(outAddr(), 0, op(f, ins.map((_, j) => arg(j, 4)))),
        f.set(off, m.i32.add(f.get(off), m.i32.const(16))),
      ]),
      f.forRange(i, f.get(vecLoopEnd), () => f.get(count), 1, [
        m.f32.store(0, 4, outAddr(), m.f32x4.extract_lane(op(f, ins.map((_, j) => arg(j, 1))), 0)),
        f.set(off, m.i32.add(f.get(off), m.i32.const(4))),
      ]),
    ]);
  };
}

function emitElementwise(ctx: KernelContext, step: Step, spec: ElemSpec): Expr {
  const out = step.outputs[0]!;
  const operands = step.inputs.filter((t): t is TensorRef => t !== undefined);
  const space = broadcastSpace(out, operands);
  const rank = space.dims.length;
  const key = spec.key?.(step.attrs, step) ?? '';
  const ptrs = [ctx.ptr(out), ...operands.map((t) => ctx.ptr(t))];
  if (out.dtype === 'f32') {
    // Innermost strides are the element size (contiguous) or 0 (broadcast along the row).
    const contiguous = operands.map((_, j) => space.strides[j + 1]![rank - 1] !== 0);
    const name = `xfc_ew_${step.op}${key}_f32_r${rank}_${contiguous.map((c) => (c ? 'c' : 'b')).join('')}_${ctx.features.relaxedSimd ? 'x' : 's'}`;
    const fname = ndFunction(ctx, name, ptrs.length, rank, f32Row(spec.vec!(step.attrs, step), contiguous));
    return ndCall(ctx, fname, ptrs, space);
  }
  const t = out.dtype === 'i64' ? 'i64' : 'i32';
  const name = `xfc_ew_${step.op}${key}_${out.dtype}_r${rank}`;
  const fname = ndFunction(ctx, name, ptrs.length, rank, (f, p, count, strides) =>
    elementLoop(f, p, count, strides, ([o, ...ins]) => {
      // Operands in locals: some ops read one more than once.
      const vals = ins.map(() => f.local(t === 'i32' ? i32 : i64));
      return [
        ...ins.map((q, j) => f.set(vals[j]!, loadElem(f.m, operands[j]!.dtype, f.get(q)))),
        storeElem(f.m, out.dtype, f.get(o!), spec.int!(f.m, t, vals.map((v) => () => f.get(v)), { f, attrs: step.attrs })),
      ];
    }));
  return ndCall(ctx, fname, ptrs, space);
}

function checkStep(op: string, spec: ElemSpec, step: Step): string | undefined {
  const out = step.outputs[0]!;
  if (out.dtype === 'f32') return spec.vec ? undefined : `${op} has no f32 kernel`;
  if ((out.dtype === 'i32' || out.dtype === 'i64') && spec.int && scalarIntOps.has(op)) {
    return step.inputs.every((t) => !t || t.dtype === out.dtype) ? undefined : `${op} on mixed dtypes is not supported`;
  }
  return `${op} on ${out.dtype} is not supported by the wasm backend`;
}

for (const [op, spec] of Object.entries(specs)) {
  registerKernel({
    op,
    check: (step) => checkStep(op, spec, step),
    emit: (ctx, step) => emitElementwise(ctx, step, spec),
  });
}
