// Vectorized f32x4 approximations of exp, log, tanh, sigmoid, erf and GELU, emitted inline as binaryen expressions.
//
// Each function takes the `Fn` under construction and a v128 expression and returns a v128 expression (a block
// that stores its argument and temporaries in fresh locals of `f`). Scalar tails use `scalarOf`, which runs the
// same vector code on a splat and takes lane 0, so main loops and tails round identically.
//
// Polynomial coefficients are weighted least-squares / Lawson (near-minimax) fits made for this file in float64
// (relative error of the final result), rounded to f32. Measured accuracy against Math.* in float64 rounded to
// f32 is in test/wasm/math.test.ts (each is within 2 ulp; see the table there).

import binaryen from 'binaryen';
import type { Expr } from './kernel.js';
import type { Fn, Local } from './simd.js';

const { v128 } = binaryen;

/** A vector approximation: f32x4 in, f32x4 out. */
export type VecMath = (f: Fn, x: Expr) => Expr;

// ---- small helpers ------------------------------------------------------------------------------------------

function tmp(f: Fn, value: Expr): [Local, Expr] {
  const l = f.local(v128);
  return [l, f.set(l, value)];
}

const c = (f: Fn, v: number): Expr => f.splatConst(Math.fround(v));
const ci = (f: Fn, v: number): Expr => f.m.i32x4.splat(f.m.i32.const(v | 0));

/** Horner evaluation of sum coeffs[k] * t^k (t a local). */
function horner(f: Fn, t: Local, coeffs: readonly number[]): Expr {
  let acc = c(f, coeffs[coeffs.length - 1]!);
  for (let k = coeffs.length - 2; k >= 0; k--) acc = f.madd(acc, f.get(t), c(f, coeffs[k]!));
  return acc;
}

/** Lanes of `a` where `mask` is all-ones, else lanes of `b`. */
function select(f: Fn, mask: Expr, a: Expr, b: Expr): Expr {
  return f.m.v128.bitselect(a, b, mask);
}

function result(f: Fn, stmts: Expr[], value: Expr): Expr {
  return f.m.block(null, [...stmts, value], v128);
}

const SIGN = -0x80000000;
const ABS = 0x7fffffff;

// ---- exp ----------------------------------------------------------------------------------------------------

/** 1.5 * 2^23: adding it rounds |y| < 2^22 to an integer n held in the low mantissa bits (bits = MAGIC_BITS + n). */
export const MAGIC = 12582912;
export const MAGIC_BITS = 0x4b400000;

const LOG2E = Math.LOG2E;
/** ln 2 split so that n * LN2_HI is exact for |n| <= 2^15. */
export const LN2_HI = 0.693359375;
export const LN2_LO = Math.fround(Math.LN2 - LN2_HI);
/** exp(r) = 1 + r + r^2 P(r) on [-ln2/2, ln2/2]; fit error 5e-11 relative. */
export const EXP_P = [0.5, 0.1666666567325592, 0.04166629537940025, 0.008333496749401093, 0.0013944648671895266, 0.00019790351507253945];

/**
 * e^x: x clamped to [-104, 89] (NaN passes), n = round(x log2 e), r = x - n ln2 (two-part constant),
 * e^x = (1 + r + r^2 P(r)) * 2^(n>>1) * 2^(n - n>>1): two scalings keep both factors normal, so results
 * underflow gradually to 0 for large negative x and overflow to +inf above ~88.72.
 */
export const expF32x4: VecMath = (f, x) => {
  const m = f.m;
  const [t, s0] = tmp(f, m.f32x4.min(m.f32x4.max(x, c(f, -104)), c(f, 89)));
  const [n, s1] = tmp(f, m.f32x4.nearest(m.f32x4.mul(f.get(t), c(f, LOG2E))));
  const [r, s2] = tmp(f, f.madd(f.get(n), c(f, -LN2_LO), f.madd(f.get(n), c(f, -LN2_HI), f.get(t))));
  const [p, s3] = tmp(f, m.f32x4.add(f.madd(m.f32x4.mul(f.get(r), f.get(r)), horner(f, r, EXP_P), f.get(r)), c(f, 1)));
  const [k, s4] = tmp(f, m.i32x4.trunc_sat_f32x4_s(f.get(n)));
  const [k1, s5] = tmp(f, m.i32x4.shr_s(f.get(k), m.i32.const(1)));
  const scale = (e: Expr) => m.i32x4.shl(m.i32x4.add(e, ci(f, 127)), m.i32.const(23));
  const value = m.f32x4.mul(
    m.f32x4.mul(f.get(p), scale(f.get(k1))),
    scale(m.i32x4.sub(f.get(k), f.get(k1))),
  );
  return result(f, [s0, s1, s2, s3, s4, s5], value);
};

// ---- log ----------------------------------------------------------------------------------------------------

/** log(1 + g) = g - g^2/2 + g^3 P(g) on [sqrt(1/2) - 1, sqrt(2) - 1]; fit error 8e-10 relative. */
const LOG_P = [
  0.3333331346511841, -0.25000008940696716, 0.2000211775302887, -0.16667993366718292, 0.14219553768634796,
  -0.12405640631914139, 0.11888207495212555, -0.11675378680229187, 0.06746220588684082,
];

/**
 * ln x: x = m 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23 first), g = m - 1,
 * ln x = e ln2_hi + (g - g^2/2 + g^3 P(g) + e ln2_lo). x < 0 or NaN gives NaN, 0 gives -inf, +inf gives +inf.
 */
export const logF32x4: VecMath = (f, x) => {
  const m = f.m;
  const [xv, s0] = tmp(f, x);
  const [tiny, s1] = tmp(f, m.f32x4.lt(f.get(xv), c(f, 2 ** -126)));
  const [xs, s2] = tmp(f, select(f, f.get(tiny), m.f32x4.mul(f.get(xv), c(f, 2 ** 23)), f.get(xv)));
  const bits = f.get(xs);
  const [mant, s3] = tmp(f, m.v128.or(m.v128.and(bits, ci(f, 0x007fffff)), ci(f, 0x3f800000)));
  const [e0, s4] = tmp(f, m.i32x4.sub(
    m.i32x4.sub(m.i32x4.shr_s(f.get(xs), m.i32.const(23)), ci(f, 127)),
    m.v128.and(f.get(tiny), ci(f, 23)),
  ));
  const [big, s5] = tmp(f, m.f32x4.gt(f.get(mant), c(f, Math.SQRT2)));
  const [g, s6] = tmp(f, m.f32x4.sub(select(f, f.get(big), m.f32x4.mul(f.get(mant), c(f, 0.5)), f.get(mant)), c(f, 1)));
  // e + 1 where the mantissa was halved: the mask is -1 there.
  const [e, s7] = tmp(f, m.f32x4.convert_i32x4_s(m.i32x4.sub(f.get(e0), f.get(big))));
  const [z, s8] = tmp(f, m.f32x4.mul(f.get(g), f.get(g)));
  const [y, s9] = tmp(f, m.f32x4.mul(m.f32x4.mul(f.get(g), f.get(z)), horner(f, g, LOG_P)));
  const s10 = f.set(y, f.madd(f.get(e), c(f, LN2_LO), f.get(y)));
  const s11 = f.set(y, f.madd(f.get(z), c(f, -0.5), f.get(y)));
  const [r, s12] = tmp(f, f.madd(f.get(e), c(f, LN2_HI), m.f32x4.add(f.get(g), f.get(y))));
  // Special cases: negative -> NaN, zero -> -inf, +inf -> +inf, NaN -> itself.
  let out = select(f, m.f32x4.lt(f.get(xv), c(f, 0)), c(f, NaN), f.get(r));
  out = select(f, m.f32x4.eq(f.get(xv), c(f, 0)), c(f, -Infinity), out);
  out = select(f, m.f32x4.eq(f.get(xv), c(f, Infinity)), f.get(xv), out);
  out = select(f, m.f32x4.ne(f.get(xv), f.get(xv)), f.get(xv), out);
  return result(f, [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12], out);
};

// ---- tanh, sigmoid ------------------------------------------------------------------------------------------

/** tanh x = x + x z P(z), z = x^2, for |x| < 0.625; fit error 3e-8 relative. */
const TANH_P = [-0.3333333134651184, 0.1333320587873459, -0.05394669622182846, 0.021700361743569374, -0.00817661639302969, 0.0021422954741865396];
const TANH_SMALL = 0.625;

/** tanh x: an odd polynomial near 0 (relative accuracy for tiny x), else sign(x) (1 - 2 / (e^(2|x|) + 1)). */
export const tanhF32x4: VecMath = (f, x) => {
  const m = f.m;
  const [xv, s0] = tmp(f, x);
  const [ax, s1] = tmp(f, m.v128.and(f.get(xv), ci(f, ABS)));
  const [z, s2] = tmp(f, m.f32x4.mul(f.get(xv), f.get(xv)));
  const small = f.madd(m.f32x4.mul(f.get(ax), f.get(z)), horner(f, z, TANH_P), f.get(ax));
  const [e, s3] = tmp(f, expF32x4(f, m.f32x4.mul(m.f32x4.min(f.get(ax), c(f, 10)), c(f, 2))));
  const large = m.f32x4.sub(c(f, 1), m.f32x4.div(c(f, 2), m.f32x4.add(f.get(e), c(f, 1))));
  const mag = select(f, m.f32x4.lt(f.get(ax), c(f, TANH_SMALL)), small, large);
  return result(f, [s0, s1, s2, s3], m.v128.or(mag, m.v128.and(f.get(xv), ci(f, SIGN))));
};

/** 1 / (1 + e^-x) as n / (1 + e) with e = e^-|x| and n = 1 (x >= 0) or e (x < 0): no overflow, one division. */
export const sigmoidF32x4: VecMath = (f, x) => {
  const m = f.m;
  const [xv, s0] = tmp(f, x);
  const [e, s1] = tmp(f, expF32x4(f, m.v128.or(f.get(xv), ci(f, SIGN))));
  const num = select(f, m.f32x4.ge(f.get(xv), c(f, 0)), c(f, 1), f.get(e));
  return result(f, [s0, s1], m.f32x4.div(num, m.f32x4.add(f.get(e), c(f, 1))));
};

// ---- erf, GELU ----------------------------------------------------------------------------------------------

/** erf x = x + x P(x^2) for |x| < 1; fit error 1.2e-9 relative. */
const ERF_SMALL = [
  0.12837916612625122, -0.3761262595653534, 0.1128358542919159, -0.026853814721107483, 0.0051883310079574585,
  -0.0008010223391465843, 0.00007853956776671112,
];
/**
 * erfc x = e^(-x^2) Q(x - 1) for 1 <= x <= 4 (erf rounds to 1 in f32 beyond); Q fitted in t = x - 1 so that
 * Horner does not cancel where erfc matters; fit error 6.5e-10 relative to erf.
 */
const ERFC_Q = [
  0.42758357524871826, -0.27321144938468933, 0.15435749292373657, -0.07909935712814331, 0.03701644390821457,
  -0.015334193594753742, 0.005098518915474415, -0.0011349464766681194, 0.00011946603626711294,
];

/**
 * The two halves of erf on |x|: `small` = erf|x| by the polynomial (valid for |x| < 1) and `erfc` = erfc|x| =
 * e^(-x^2) Q(|x| - 1) (valid for |x| >= 1; |x| clamped to 4, NaN passes), with `isSmall` the lane mask.
 */
function erfHalves(f: Fn, x: Local): { stmts: Expr[]; small: Expr; erfc: Expr; isSmall: Expr } {
  const m = f.m;
  const [ax, s1] = tmp(f, m.v128.and(f.get(x), ci(f, ABS)));
  const [u, s2] = tmp(f, m.f32x4.mul(f.get(ax), f.get(ax)));
  const small = f.madd(f.get(ax), horner(f, u, ERF_SMALL), f.get(ax));
  const [cl, s3] = tmp(f, m.f32x4.min(f.get(ax), c(f, 4)));
  const [t, s4] = tmp(f, m.f32x4.sub(f.get(cl), c(f, 1)));
  const [e, s5] = tmp(f, expF32x4(f, m.f32x4.neg(m.f32x4.mul(f.get(cl), f.get(cl)))));
  const erfc = m.f32x4.mul(f.get(e), horner(f, t, ERFC_Q));
  return { stmts: [s1, s2, s3, s4, s5], small, erfc, isSmall: m.f32x4.lt(f.get(ax), c(f, 1)) };
}

/** erf x, odd: a polynomial for |x| < 1, 1 - erfc|x| beyond. */
export const erfF32x4: VecMath = (f, x) => {
  const m = f.m;
  const [xv, s0] = tmp(f, x);
  const h = erfHalves(f, xv);
  const mag = select(f, h.isSmall, h.small, m.f32x4.sub(c(f, 1), h.erfc));
  return result(f, [s0, ...h.stmts], m.v128.or(mag, m.v128.and(f.get(xv), ci(f, SIGN))));
};

// GELU runs in the GEMM store of every FFN (hundreds of thousands of elements per layer), a few vectors at a time
// between GEMM tiles, so its dependency chain matters as much as its operation count: its forms use only operations
// V8 lowers to one or two instructions each (pmin/pmax, not min/max, which need NaN fix-ups; rounding by the
// 1.5 * 2^23 trick, not nearest + trunc_sat; 2^n added to the exponent bits, not multiplied), no division in the
// erf form, and short polynomial chains.

/**
 * log(0.5 erfc(a / sqrt 2)) + a^2 / 2 = P(a - 1.5) for a in [0, 5] (a = |x|): Lawson fit in float64 of the error
 * weighted by what GELU needs of it (1e-7 for a <= 2.8, where GELU's value needs relative accuracy on both signs;
 * beyond, 3e-8 / h for x > 0 and 5e-8 / (a h) for x < 0, h = 0.5 erfc(a / sqrt 2)), rounded to f32: evaluated in
 * f32 as two Horner chains (hornerSplit), 2.4e-7 absolute for a <= 2.8. Clamping a at 5 costs nothing: h < 2.9e-7
 * beyond (x > 0: 1 - h rounds alike; x < 0: e^(-x^2/2) still decays, P only shifts its log by log(a / 5)).
 */
const GELU_P = [
  -1.5809444189071655, -0.43867719173431396, 0.07477349042892456, -0.013858477585017681, 0.0023611581418663263,
  -0.0003344104334246367, 3.148631731164642e-05, 1.4982861102907918e-06, -1.7466835515733692e-06, 3.2076266620606475e-07,
];
const GELU_P_CENTER = 1.5;
const GELU_P_MAX = 5;
/** e^r = 1 + r + r^2 (c2 + c3 r + r^2 (c4 + c5 r + c6 r^2)) on [-ln2/2, ln2/2]: fit error 3.1e-9, 0.83 ulp (f32). */
const GELU_EXP_C = [
  0.4999999403953552, 0.1666651964187622, 0.04166839271783829, 0.008368774317204952, 0.0013814426492899656,
];

/** sum coeffs[k] t^k as L(t) + t^s H(t), two Horner chains of half the depth (s = ceil(n / 2), n = 9..12). */
function hornerSplit(f: Fn, t: Local, coeffs: readonly number[]): Expr {
  const m = f.m;
  const s = Math.ceil(coeffs.length / 2);
  const [t2, s0] = tmp(f, m.f32x4.mul(f.get(t), f.get(t)));
  const [t3, s1] = tmp(f, m.f32x4.mul(f.get(t2), f.get(t)));
  const pow = s === 5 ? m.f32x4.mul(f.get(t2), f.get(t3)) : m.f32x4.mul(f.get(t3), f.get(t3));
  return result(f, [s0, s1], f.madd(horner(f, t, coeffs.slice(s)), pow, horner(f, t, coeffs.slice(0, s))));
}

/**
 * e^t for t in [-86, 0] (t clamped below, so 2^n stays normal: results >= 4.4e-38; NaN passes): n = round(t log2 e),
 * r = t - n ln2 (two-part constant), e^r by a degree-6 polynomial of depth 4, and n added to the result's exponent
 * bits: n sits in the low mantissa bits of z = t log2 e + 1.5 * 2^23, so bits(z) << 23 is n << 23 (the bits of
 * 1.5 * 2^23 shift out).
 */
function expNegGelu(f: Fn, x: Expr): Expr {
  const m = f.m;
  const [t, s0] = tmp(f, m.f32x4.pmax(x, c(f, -86)));
  const [z, s1] = tmp(f, f.madd(f.get(t), c(f, LOG2E), c(f, MAGIC)));
  const [n, s2] = tmp(f, m.f32x4.sub(f.get(z), c(f, MAGIC)));
  const [r, s3] = tmp(f, f.madd(f.get(n), c(f, -LN2_LO), f.madd(f.get(n), c(f, -LN2_HI), f.get(t))));
  const [r2, s4] = tmp(f, m.f32x4.mul(f.get(r), f.get(r)));
  const [c2, c3, c4, c5, c6] = GELU_EXP_C.map((v) => c(f, v)) as [Expr, Expr, Expr, Expr, Expr];
  const hi = f.madd(c6, f.get(r2), f.madd(c5, f.get(r), c4));
  const q = f.madd(hi, f.get(r2), f.madd(c3, f.get(r), c2));
  const p = m.f32x4.add(f.madd(q, f.get(r2), f.get(r)), c(f, 1));
  return result(f, [s0, s1, s2, s3, s4], m.i32x4.add(p, m.i32x4.shl(f.get(z), m.i32.const(23))));
}

/**
 * GELU, erf form: x Phi(x), Phi(x) = 1 - h (x >= 0) or h (x < 0), h = 0.5 erfc(|x| / sqrt 2) = e^(P(|x|) - x^2/2)
 * with no cancellation on either side (h <= 1/2), returned as max(x, 0) - |x| h. One exp, no division, no select;
 * 8.8 ulp at most for x >= -2.8 (7.3 with relaxed FMA; the rounding of x^2 / 2 and of P dominate), absolute error
 * below 4e-8 further down, where |GELU| < 1e-5 (test/wasm/math.test.ts). Fits the GEMM epilogue's
 * `(f, local) => Expr` activation shape.
 */
export function geluErfF32x4(f: Fn, x: Local): Expr {
  const m = f.m;
  const [a, s0] = tmp(f, m.v128.and(f.get(x), ci(f, ABS)));
  const u = m.f32x4.sub(m.f32x4.pmin(f.get(a), c(f, GELU_P_MAX)), c(f, GELU_P_CENTER));
  const [uu, s1] = tmp(f, u);
  const arg = f.madd(m.f32x4.mul(f.get(x), c(f, -0.5)), f.get(x), hornerSplit(f, uu, GELU_P));
  // x Phi(x) = max(x, 0) - |x| h on both signs (x - x h for x >= 0, x h for x < 0): no select, one rounding.
  const y = f.features.relaxedSimd
    ? f.madd(m.v128.xor(f.get(a), ci(f, SIGN)), expNegGelu(f, arg), m.f32x4.pmax(c(f, 0), f.get(x)))
    : m.f32x4.sub(m.f32x4.pmax(c(f, 0), f.get(x)), m.f32x4.mul(f.get(a), expNegGelu(f, arg)));
  return result(f, [s0, s1], y);
}

/** e^x for x in [-87, 88] (clamped: results flush to ~1e-38 below, 2^127 * e^r above; NaN passes). */
function expGelu(f: Fn, x: Expr): Expr {
  const m = f.m;
  const [t, s0] = tmp(f, m.f32x4.pmin(m.f32x4.pmax(x, c(f, -87)), c(f, 88)));
  const [nm, s1] = tmp(f, f.madd(f.get(t), c(f, LOG2E), c(f, MAGIC)));
  const [n, s2] = tmp(f, m.f32x4.sub(f.get(nm), c(f, MAGIC)));
  const [r, s3] = tmp(f, f.madd(f.get(n), c(f, -LN2_LO), f.madd(f.get(n), c(f, -LN2_HI), f.get(t))));
  const p = m.f32x4.add(f.madd(m.f32x4.mul(f.get(r), f.get(r)), horner(f, r, EXP_P), f.get(r)), c(f, 1));
  // 2^n: n sits in the low bits of nm's mantissa, the bits above shift out.
  const scale = m.i32x4.add(m.i32x4.shl(f.get(nm), m.i32.const(23)), ci(f, 127 << 23));
  return result(f, [s0, s1, s2, s3], m.f32x4.mul(p, scale));
}

/**
 * GELU, tanh form: 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3), computed as x / (1 + e^(-2u)) (the same
 * function: 1 + tanh u = 2 sigmoid(2u)), which does not cancel for x << 0 as 1 + tanh u does; e^(-2u) clamped at
 * e^88 gives |GELU| < 1e-36 where it would overflow.
 */
export function geluTanhF32x4(f: Fn, x: Local): Expr {
  const m = f.m;
  const k = 2 * Math.sqrt(2 / Math.PI);
  const negTwoU = m.f32x4.mul(f.get(x), f.madd(m.f32x4.mul(f.get(x), f.get(x)), c(f, -k * 0.044715), c(f, -k)));
  return m.f32x4.div(f.get(x), m.f32x4.add(expGelu(f, negTwoU), c(f, 1)));
}

// ---- scalar use -----------------------------------------------------------------------------------------------

/** A scalar f32 result of a vector approximation (lane 0 of it applied to a splat): tails round like main loops. */
export function scalarOf(f: Fn, op: VecMath, x: Expr): Expr {
  return f.m.f32x4.extract_lane(op(f, f.m.f32x4.splat(x)), 0);
}

/** The approximations by name, for tests and for kernels that pick one from an op. */
export const vecMath: Readonly<Record<string, VecMath>> = {
  exp: expF32x4,
  log: logF32x4,
  tanh: tanhF32x4,
  sigmoid: sigmoidF32x4,
  erf: erfF32x4,
};

// ---- trigonometric, inverse trigonometric and hyperbolic functions (evaluated in f64x2) -------------------------
//
// These run rarely in transformer graphs (RoPE tables, positional encodings), so they favour accuracy over speed:
// each f32x4 is widened to two f64x2 halves, the function is evaluated in float64 (argument reduction and
// polynomials with errors below 2^-33 relative), and the result is rounded to f32 once. The measured error is
// within 0.5 ulp plus the rare double-rounding case (table in test/wasm/trig.test.ts).
//
// sin / cos / tan reduce by pi/2 with FreeBSD's e_rem_pio2f.c split (a 25-bit head, so n * PIO2_1 is exact for
// |n| < 2^28, and a 53-bit tail): exact to f32 accuracy for |x| < 2^28 pi/2 (~4.2e8). Beyond that the reduction
// loses accuracy (like a libm without Payne-Hanek reduction) but stays finite, in [-1, 1] for sin and cos.

/** f64x2 in a local -> f64x2. */
type F64Math = (f: Fn, x: Local) => Expr;

const d64 = (f: Fn, v: number): Expr => f.m.f64x2.splat(f.m.f64.const(v));
/** An i64 constant (binaryen.js takes a bigint; its typings still say number). */
const i64c = (f: Fn, v: bigint): Expr => f.m.i64.const(v as unknown as number);
const SIGN64 = (f: Fn): Expr => f.m.i64x2.splat(i64c(f, -(2n ** 63n)));

function tmp64(f: Fn, value: Expr): [Local, Expr] {
  const l = f.local(v128);
  return [l, f.set(l, value)];
}

/** Horner evaluation of sum coeffs[k] * t^k in f64x2. */
function horner64(f: Fn, t: Local, coeffs: readonly number[]): Expr {
  const m = f.m;
  let acc = d64(f, coeffs[coeffs.length - 1]!);
  for (let k = coeffs.length - 2; k >= 0; k--) acc = m.f64x2.add(m.f64x2.mul(acc, f.get(t)), d64(f, coeffs[k]!));
  return acc;
}

/** An f32x4 function through an f64x2 body: both halves widened, evaluated, rounded to f32 and put back together. */
function viaF64(body: F64Math): VecMath {
  return (f, x) => {
    const m = f.m;
    const [xv, s0] = tmp(f, x);
    const [lo, s1] = tmp64(f, m.f64x2.promote_low_f32x4(f.get(xv)));
    const [hi, s2] = tmp64(f, m.f64x2.promote_low_f32x4(m.i8x16.shuffle(f.get(xv), f.get(xv), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7])));
    const rlo = m.f32x4.demote_f64x2_zero(body(f, lo));
    const rhi = m.f32x4.demote_f64x2_zero(body(f, hi));
    return result(f, [s0, s1, s2], m.i8x16.shuffle(rlo, rhi, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]));
  };
}

const INVPIO2 = 2 / Math.PI;
/** pi/2 = PIO2_1 + PIO2_1T: the head has 25 significant bits (FreeBSD e_rem_pio2f.c). */
const PIO2_1 = 1.57079631090164184570e+00;
const PIO2_1T = 1.58932547735281966916e-08;
/** sin r = r + r^3 S(r^2) on |r| <= pi/4, |error| < 2^-37.5 relative (FreeBSD k_sinf.c, a float64 kernel). */
const SIN_S = [-0.166666666416265235595, 0.0083333293858894631756, -0.000198393348360966317347, 0.0000027183114939898219064];
/** cos r = 1 + r^2 C(r^2) on |r| <= pi/4, |error| < 2^-34.1 (FreeBSD k_cosf.c). */
const COS_C = [-0.499999997251031003120, 0.0416666233237390631894, -0.00138867637746099294692, 0.0000243904487962774090654];

/**
 * x = n pi/2 + r with |r| <= pi/4 (about): r and the quadrant q = (n + shift) mod 4 (as f64 0..3), and the kernels
 * sin r, cos r. n = 0 keeps r = x (so sin(-0) = -0).
 */
function quadrant(f: Fn, x: Local, shift: number): { stmts: Expr[]; q: Local; s: Local; c: Local } {
  const m = f.m;
  const [n, s0] = tmp64(f, m.f64x2.nearest(m.f64x2.mul(f.get(x), d64(f, INVPIO2))));
  const reduced = m.f64x2.sub(m.f64x2.sub(f.get(x), m.f64x2.mul(f.get(n), d64(f, PIO2_1))), m.f64x2.mul(f.get(n), d64(f, PIO2_1T)));
  const [r, s1] = tmp64(f, select(f, m.f64x2.eq(f.get(n), d64(f, 0)), f.get(x), reduced));
  const [ns, s2] = tmp64(f, m.f64x2.add(f.get(n), d64(f, shift)));
  const [q, s3] = tmp64(f, m.f64x2.sub(f.get(ns), m.f64x2.mul(m.f64x2.floor(m.f64x2.mul(f.get(ns), d64(f, 0.25))), d64(f, 4))));
  const [z, s4] = tmp64(f, m.f64x2.mul(f.get(r), f.get(r)));
  // r (1 + z S(z)) rather than r + r z S(z): exact enough in f64, and sin(-0) stays -0.
  const [s, s5] = tmp64(f, m.f64x2.mul(f.get(r), m.f64x2.add(d64(f, 1), m.f64x2.mul(f.get(z), horner64(f, z, SIN_S)))));
  const [c, s6] = tmp64(f, m.f64x2.add(d64(f, 1), m.f64x2.mul(f.get(z), horner64(f, z, COS_C))));
  return { stmts: [s0, s1, s2, s3, s4, s5, s6], q, s, c };
}

/** Lanes where q (0..3) is odd: sin and cos swap roles there. */
const oddQuadrant = (f: Fn, q: Local): Expr =>
  f.m.f64x2.eq(f.m.f64x2.sub(f.get(q), f.m.f64x2.mul(f.m.f64x2.floor(f.m.f64x2.mul(f.get(q), d64(f, 0.5))), d64(f, 2))), d64(f, 1));

/**
 * sin(x + shift pi/2): by quadrant q, sin r, cos r, -sin r, -cos r; clamped to [-1, 1] (only arguments beyond the
 * reduction's range, where |r| may exceed pi/4, would leave it).
 */
function sinShifted(shift: number): F64Math {
  return (f, x) => {
    const m = f.m;
    const k = quadrant(f, x, shift);
    const v = select(f, oddQuadrant(f, k.q), f.get(k.c), f.get(k.s));
    const neg = m.v128.and(m.f64x2.ge(f.get(k.q), d64(f, 2)), SIGN64(f));
    return m.block(null, [...k.stmts, m.f64x2.max(m.f64x2.min(m.v128.xor(v, neg), d64(f, 1)), d64(f, -1))], v128);
  };
}

/** tan x = sin r / cos r (even q) or -cos r / sin r (odd q). */
const tan64: F64Math = (f, x) => {
  const m = f.m;
  const k = quadrant(f, x, 0);
  const v = select(f, oddQuadrant(f, k.q), m.f64x2.div(m.f64x2.neg(f.get(k.c)), f.get(k.s)), m.f64x2.div(f.get(k.s), f.get(k.c)));
  return m.block(null, [...k.stmts, v], v128);
};

/** atan u = u - u z P(z), z = u^2, for |u| <= 7/16; error below 2^-52 relative (fdlibm s_atan.c's aT). */
const ATAN_T = [
  3.33333333333329318027e-01, -1.99999999998764832476e-01, 1.42857142725034663711e-01, -1.11111104054623557880e-01,
  9.09088713343650656196e-02, -7.69187620504482999495e-02, 6.66107313738753120669e-02, -5.83357013379057348645e-02,
  4.97687799461593236017e-02, -3.65315727442169155270e-02, 1.62858201153657823623e-02,
];
const TAN_PI_8 = Math.SQRT2 - 1;

/**
 * atan x, odd: on a = |x|, t = min(a, 1/a) (atan a = pi/2 - atan t when a > 1), then t > tan(pi/8) reduces to
 * pi/4 + atan((t - 1) / (t + 1)), so the polynomial sees |u| <= tan(pi/8). atan(+-inf) = +-pi/2, NaN passes.
 */
const atan64: F64Math = (f, x) => {
  const m = f.m;
  const [a, s0] = tmp64(f, m.f64x2.abs(f.get(x)));
  const [inv, s1] = tmp64(f, m.f64x2.gt(f.get(a), d64(f, 1)));
  const [t, s2] = tmp64(f, select(f, f.get(inv), m.f64x2.div(d64(f, 1), f.get(a)), f.get(a)));
  const [big, s3] = tmp64(f, m.f64x2.gt(f.get(t), d64(f, TAN_PI_8)));
  const [u, s4] = tmp64(f, select(f, f.get(big), m.f64x2.div(m.f64x2.sub(f.get(t), d64(f, 1)), m.f64x2.add(f.get(t), d64(f, 1))), f.get(t)));
  const [z, s5] = tmp64(f, m.f64x2.mul(f.get(u), f.get(u)));
  const poly = m.f64x2.sub(f.get(u), m.f64x2.mul(m.f64x2.mul(f.get(u), f.get(z)), horner64(f, z, ATAN_T)));
  const [at, s6] = tmp64(f, m.f64x2.add(poly, m.v128.and(f.get(big), d64(f, Math.PI / 4))));
  const mag = select(f, f.get(inv), m.f64x2.sub(d64(f, Math.PI / 2), f.get(at)), f.get(at));
  return m.block(null, [s0, s1, s2, s3, s4, s5, s6, m.v128.or(mag, m.v128.and(f.get(x), SIGN64(f)))], v128);
};

/** asin x = atan(x / sqrt(1 - x^2)) (x^2 and 1 - x^2 are exact in f64 for f32 x); |x| > 1 gives NaN. */
const asin64: F64Math = (f, x) => {
  const m = f.m;
  const [t, s0] = tmp64(f, m.f64x2.div(f.get(x), m.f64x2.sqrt(m.f64x2.sub(d64(f, 1), m.f64x2.mul(f.get(x), f.get(x))))));
  return m.block(null, [s0, atan64(f, t)], v128);
};

/** acos x = 2 atan(sqrt((1 - x) / (1 + x))): relative accuracy near x = 1, acos(-1) = pi; |x| > 1 gives NaN. */
const acos64: F64Math = (f, x) => {
  const m = f.m;
  const [t, s0] = tmp64(f, m.f64x2.sqrt(m.f64x2.div(m.f64x2.sub(d64(f, 1), f.get(x)), m.f64x2.add(d64(f, 1), f.get(x)))));
  return m.block(null, [s0, m.f64x2.mul(atan64(f, t), d64(f, 2))], v128);
};

/** ln 2 = LN2D_HI + LN2D_LO, the head with 32 bits (fdlibm e_exp.c): n LN2D_HI is exact for |n| < 2^20. */
const LN2D_HI = 6.93147180369123816490e-01;
const LN2D_LO = 1.90821492927058770002e-10;
/** 1/k! for k = 0..11: exp r on |r| <= ln2/2 to 7e-15 relative. */
const invFactorial = (k: number): number => { let p = 1; for (let i = 2; i <= k; i++) p *= i; return 1 / p; };
const EXP_TAYLOR = Array.from({ length: 12 }, (_, k) => invFactorial(k));

/** e^y in f64 for 0 <= y <= 90 (all the hyperbolic functions need): 2^n e^r, n = round(y log2 e). */
function exp64(f: Fn, y: Local): [Expr[], Local] {
  const m = f.m;
  const [n, s0] = tmp64(f, m.f64x2.nearest(m.f64x2.mul(f.get(y), d64(f, Math.LOG2E))));
  const [r, s1] = tmp64(f, m.f64x2.sub(m.f64x2.sub(f.get(y), m.f64x2.mul(f.get(n), d64(f, LN2D_HI))), m.f64x2.mul(f.get(n), d64(f, LN2D_LO))));
  const bits = m.i64x2.shl(m.i64x2.add(m.i64x2.extend_low_i32x4_s(m.i32x4.trunc_sat_f64x2_s_zero(f.get(n))), m.i64x2.splat(i64c(f, 1023n))), m.i32.const(52));
  const [e, s2] = tmp64(f, m.f64x2.mul(horner64(f, r, EXP_TAYLOR), bits));
  return [[s0, s1, s2], e];
}

/** |x| clamped to 90 (cosh and sinh overflow f32 from 89.42 on), NaN passes. */
const absClamped = (f: Fn, x: Local): Expr => f.m.f64x2.min(f.m.f64x2.abs(f.get(x)), d64(f, 90));

/** cosh x = (E + 1/E) / 2, E = e^|x|. */
const cosh64: F64Math = (f, x) => {
  const m = f.m;
  const [a, s0] = tmp64(f, absClamped(f, x));
  const [s1, e] = exp64(f, a);
  return m.block(null, [s0, ...s1, m.f64x2.mul(m.f64x2.add(f.get(e), m.f64x2.div(d64(f, 1), f.get(e))), d64(f, 0.5))], v128);
};

/** sinh a = a + a^3 / 3! + ... + a^15 / 15! for a < 1 (error below 3e-15 relative). */
const SINH_T = Array.from({ length: 7 }, (_, k) => invFactorial(2 * k + 3));

/** sinh x, odd: a Taylor polynomial for |x| < 1 (no cancellation), (E - 1/E) / 2 beyond. */
const sinh64: F64Math = (f, x) => {
  const m = f.m;
  const [a, s0] = tmp64(f, absClamped(f, x));
  const [s1, e] = exp64(f, a);
  const [z, s2] = tmp64(f, m.f64x2.mul(f.get(a), f.get(a)));
  const small = m.f64x2.add(f.get(a), m.f64x2.mul(m.f64x2.mul(f.get(a), f.get(z)), horner64(f, z, SINH_T)));
  const large = m.f64x2.mul(m.f64x2.sub(f.get(e), m.f64x2.div(d64(f, 1), f.get(e))), d64(f, 0.5));
  const mag = select(f, m.f64x2.lt(f.get(a), d64(f, 1)), small, large);
  return m.block(null, [s0, ...s1, s2, m.v128.or(mag, m.v128.and(f.get(x), SIGN64(f)))], v128);
};

export const sinF32x4: VecMath = viaF64(sinShifted(0));
export const cosF32x4: VecMath = viaF64(sinShifted(1));
export const tanF32x4: VecMath = viaF64(tan64);
export const atanF32x4: VecMath = viaF64(atan64);
export const asinF32x4: VecMath = viaF64(asin64);
export const acosF32x4: VecMath = viaF64(acos64);
export const sinhF32x4: VecMath = viaF64(sinh64);
export const coshF32x4: VecMath = viaF64(cosh64);

/** The trigonometric and hyperbolic approximations by name (ONNX op names in lower case), for tests and kernels. */
export const trigMath: Readonly<Record<string, VecMath>> = {
  sin: sinF32x4, cos: cosF32x4, tan: tanF32x4, asin: asinF32x4, acos: acosF32x4, atan: atanF32x4, sinh: sinhF32x4, cosh: coshF32x4,
};

/**
 * C fmod (ONNX Mod with fmod=1) of f32 operands, exact: in f64, r = a - trunc(a / b) b is exact for |a / b| <
 * 2^29 (q b fits 53 bits); a quotient rounded up to an integer leaves r with the wrong sign, fixed by one |b|; the
 * result takes the sign of a (also for zero). b = 0 or a = +-inf give NaN, b = +-inf gives a. Larger quotients
 * lose accuracy.
 */
export function fmodF32x4(f: Fn, a: Expr, b: Expr): Expr {
  const m = f.m;
  const [bv, s0] = tmp(f, b);
  const half = (x: Local): Expr => m.i8x16.shuffle(f.get(x), f.get(x), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
  const pair = (x: Local, y: Local): Expr => {
    const signOfX = (): Expr => m.v128.and(f.get(x), SIGN64(f));
    const q = m.f64x2.trunc(m.f64x2.div(f.get(x), f.get(y)));
    const [r, s1] = tmp64(f, m.f64x2.sub(f.get(x), m.f64x2.mul(q, f.get(y))));
    const wrongSign = m.i64x2.ne(m.v128.and(m.v128.xor(f.get(r), f.get(x)), SIGN64(f)), m.i64x2.splat(i64c(f, 0n)));
    const fixed = m.f64x2.add(f.get(r), m.v128.or(m.f64x2.abs(f.get(y)), signOfX()));
    const [r2, s2] = tmp64(f, select(f, m.v128.and(wrongSign, m.f64x2.ne(f.get(r), d64(f, 0))), fixed, f.get(r)));
    // y = +-inf: x itself (x + (x - x) is NaN for x = +-inf, as fmod(inf, inf) is).
    const infY = m.f64x2.eq(m.f64x2.abs(f.get(y)), d64(f, Infinity));
    const [r3, s3] = tmp64(f, select(f, infY, m.f64x2.add(f.get(x), m.f64x2.sub(f.get(x), f.get(x))), f.get(r2)));
    return m.block(null, [s1, s2, s3, m.v128.or(m.f64x2.abs(f.get(r3)), signOfX())], v128);
  };
  const [av, s1] = tmp(f, a);
  const [alo, s2] = tmp64(f, m.f64x2.promote_low_f32x4(f.get(av)));
  const [ahi, s3] = tmp64(f, m.f64x2.promote_low_f32x4(half(av)));
  const [blo, s4] = tmp64(f, m.f64x2.promote_low_f32x4(f.get(bv)));
  const [bhi, s5] = tmp64(f, m.f64x2.promote_low_f32x4(half(bv)));
  const out = m.i8x16.shuffle(m.f32x4.demote_f64x2_zero(pair(alo, blo)), m.f32x4.demote_f64x2_zero(pair(ahi, bhi)),
    [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
  return result(f, [s0, s1, s2, s3, s4, s5], out);
}
