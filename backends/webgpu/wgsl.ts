// Typed WGSL builders: a kernel declares tensors, dims and helpers; bindings, params and helper functions are generated.
//
// Every tensor lives in a 32-bit-word storage buffer: the arena (one binding, read_write) or a chunk of the
// weights image (read-only). A tensor's base is a byte address read from the params uniform: the entry's offset
// in its chunk for weights (so kernels that differ only in their weights share a shader), the placement for
// arena tensors (the runtime's planner places buffers per call). Static dims are baked into the source;
// symbolic dims become u32 params read from one uniform. Helpers (erf, gelu, ...) are emitted only when used,
// and the cache key of a shader is a hash of its generated text (never hand-written).
//
// f16 storage (the f16 plan, for devices with shader-f16): f32 tensors that the plan stores as f16 live in the
// f16 arena or an f16 copy of a weight chunk (`array<f16>` bindings, `enable f16;`), addressed by the same f32
// byte address (element i is f16 number base / 4 + i). load() widens to f32 and store() narrows, saturating at
// ±65504, so kernels compute in f32 either way and never see the difference.

import type { Dim } from '../../compiler/ir/dim.js';
import { canonicalDim, dimMul, isStaticDim } from '../../compiler/ir/dim.js';
import { dtypeInfo, type DType } from '../../compiler/ir/dtype.js';
import type { TensorRef } from '../common/schedule.js';
import type { ParamExpr, PlanBinding, WorkgroupFactor } from '../../runtime/webgpu.js';

/** Where the weights image is split into bindings (WeightChunks in plan.ts). */
export interface WeightPlacement {
  /** The chunk holding weight entry `id`, and the entry's byte offset inside that chunk. */
  locate(weight: number): { chunk: number; byteOffset: number };
}

/** Which f32 tensors a shader stores as f16 (the f16 plan's choice, per arena buffer and weight entry). */
export interface HalfStorage {
  arena(buffer: number): boolean;
  weight(entry: number): boolean;
}

/** The f16 store's saturation bound (the largest finite f16), as a WGSL literal. */
const F16_MAX_LITERAL = '65504.0';

/** The value types kernels compute in. f16 slots in here once shader-f16 kernels exist. */
export type ComputeType = 'f32' | 'i32' | 'u32';

/** A tensor as a shader sees it. */
export interface TensorVar {
  readonly ref: TensorRef;
  /** WGSL name of the storage binding ('arena' or 'w0', 'w1', ...). */
  readonly buffer: string;
  /** WGSL u32 expression: the byte address of element 0 inside that binding. */
  readonly base: string;
  /** The type loads return / stores accept. */
  readonly type: ComputeType;
  /** Stored as f16 (an f32 tensor in an `array<f16>` binding). */
  readonly half?: boolean;
}

export interface Shader {
  readonly source: string;
  /** sha-like hash of the source: equal keys mean equal shaders. */
  readonly key: string;
  readonly workgroupSize: number;
  readonly bindings: readonly PlanBinding[];
  readonly params: readonly ParamExpr[];
}

const HELPERS: Readonly<Record<string, string>> = {
  erf: `fn xfc_erf(x: f32) -> f32 {
  // Abramowitz-Stegun 7.1.26 is too coarse; use erf(x) = sign(x)(1 - t·exp(-x²+P(t))) (Numerical Recipes erfc, |err| < 1.2e-7).
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - r, r - 1.0, x < 0.0);
}`,
  gelu: `fn xfc_gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + xfc_erf(x * 0.70710678118654752)); }`,
  gelu_tanh: `fn xfc_gelu_tanh(x: f32) -> f32 {
  let u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + xfc_tanh(u));
}`,
  // ln x with the edges of C's log: NaN for x < 0, -inf at ±0 (SwiftShader's log(0) is -88, its log(-inf) finite).
  log: `fn xfc_log(x: f32) -> f32 {
  if (x < 0.0) { return xfc_nan(); }
  if (x == 0.0) { return -xfc_inf(); }
  return log(x);
}`,
  // ln(1 + e^x) = max(x, 0) + log1p(e^-|x|), log1p(y) = ln(u) y / (u - 1) with u = 1 + y (Goldberg): no overflow
  // for large x, no cancellation to 0 for x << 0 (e^x there).
  softplus: `fn xfc_softplus(x: f32) -> f32 {
  let y = exp(-abs(x));
  let u = 1.0 + y;
  return max(x, 0.0) + select(log(u) * y / (u - 1.0), y, u == 1.0);
}`,
  // WGSL's tanh overflows to NaN for large |x| on some drivers: clamp first. (NaN: the Tanh op's NaN guard in
  // elementwise.ts; in gelu_tanh, x · (1 + tanh) is NaN anyway.)
  tanh: `fn xfc_tanh(x: f32) -> f32 { return tanh(clamp(x, -20.0, 20.0)); }`,
  sigmoid: `fn xfc_sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }`,
  // Float classification by bits (comparisons with NaN may be folded away by driver compilers).
  isnan: `fn xfc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`,
  isfinite: `fn xfc_isfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`,
  // NaN and +inf through a variable: a constant expression that is not finite is a shader-creation error.
  nan: `fn xfc_nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }`,
  // f32 -> f16 for f16 storage: saturates at ±65504 (a float-min mask stays finite) and keeps NaN a NaN, which
  // clamp does not promise (lavapipe's gives -65504); the NaN is made from bits, as f16(NaN) is not defined either.
  to_f16: `fn xfc_to_f16(x: f32) -> f16 {
  if (xfc_isnan(x)) { var bits = 0x7e007e00u; return bitcast<vec2<f16>>(bits).x; }
  return f16(clamp(x, -${F16_MAX_LITERAL}, ${F16_MAX_LITERAL}));
}`,
  inf: `fn xfc_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }`,
  // max / min that propagate NaN (WGSL leaves max(NaN, x) to the driver).
  fmax: `fn xfc_fmax(a: f32, b: f32) -> f32 { return select(max(a, b), a + b, xfc_isnan(a) || xfc_isnan(b)); }`,
  fmin: `fn xfc_fmin(a: f32, b: f32) -> f32 { return select(min(a, b), a + b, xfc_isnan(a) || xfc_isnan(b)); }`,
  // e^x (Cephes expf: x = n ln2 + r with ln2 in two parts, a degree-6 polynomial for e^r, then 2^n): ~1 ulp,
  // where SwiftShader's exp loses digits for large |x|. Overflows to +inf, underflows to 0.
  exp: `fn xfc_exp(x: f32) -> f32 {
  if (x > 88.72283905206835) { return xfc_inf(); }
  if (x < -103.972077083991796) { return 0.0; }
  let n = floor(1.44269504088896341 * x + 0.5);
  let r = (x - n * 0.693359375) - n * -2.12194440e-4;
  let p = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r + 1.6666665459e-1) * r + 5.0000001201e-1) * r * r + r + 1.0;
  let k = i32(n);
  return ldexp(ldexp(p, k / 2), k - k / 2);
}`,
  // sinh, cosh: a series near 0 (no cancellation), (e^a ∓ e^-a) / 2 beyond, (e^(a/2) / 2) e^(a/2) where e^a overflows.
  sinh: `fn xfc_sinh(x: f32) -> f32 {
  let a = abs(x);
  var r: f32;
  if (a < 1.0) {
    let z = a * a;
    r = ((2.03721912945e-4 * z + 8.33028376239e-3) * z + 1.66667160211e-1) * z * a + a;
  } else if (a < 88.0) {
    let e = xfc_exp(a);
    r = 0.5 * e - 0.5 / e;
  } else {
    let h = xfc_exp(0.5 * a);
    r = (0.5 * h) * h;
  }
  return select(r, -r, x < 0.0);
}`,
  cosh: `fn xfc_cosh(x: f32) -> f32 {
  let a = abs(x);
  if (a < 88.0) {
    let e = xfc_exp(a);
    return 0.5 * e + 0.5 / e;
  }
  let h = xfc_exp(0.5 * a);
  return (0.5 * h) * h;
}`,
  // sin, cos, tan (Cephes sinf/cosf/tanf): |x| reduced by multiples of pi/4 in three parts (exact products for
  // |x| < ~5e4), then minimax polynomials on [-pi/4, pi/4]; ~1-2 ulp, with small relative error near the zeros
  // where SwiftShader's builtins lose digits. Octant j of |x| picks the polynomial and the sign.
  trig_reduce: `fn xfc_trig_reduce(a: f32) -> vec2<f32> {
  var j = u32(a * 1.27323954473516);
  j = j + (j & 1u);
  let y = f32(j);
  let r = ((a - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  return vec2<f32>(r, f32(j & 7u));
}`,
  sin_poly: `fn xfc_sin_poly(r: f32) -> f32 {
  let z = r * r;
  return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
}`,
  cos_poly: `fn xfc_cos_poly(r: f32) -> f32 {
  let z = r * r;
  return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}`,
  sin: `fn xfc_sin(x: f32) -> f32 {
  let q = xfc_trig_reduce(abs(x));
  let j = u32(q.y);
  let v = select(xfc_sin_poly(q.x), xfc_cos_poly(q.x), (j & 2u) != 0u);
  let r = select(v, -v, (j > 3u) != (x < 0.0));
  return select(xfc_nan(), r, xfc_isfinite(x));
}`,
  cos: `fn xfc_cos(x: f32) -> f32 {
  let q = xfc_trig_reduce(abs(x));
  let j = u32(q.y);
  let v = select(xfc_cos_poly(q.x), xfc_sin_poly(q.x), (j & 2u) != 0u);
  let r = select(v, -v, (j > 3u) != (j == 2u || j == 6u));
  return select(xfc_nan(), r, xfc_isfinite(x));
}`,
  tan: `fn xfc_tan(x: f32) -> f32 {
  let q = xfc_trig_reduce(abs(x));
  let r = q.x;
  let z = r * r;
  var t = (((((9.38540185543e-3 * z + 3.11992232697e-3) * z + 2.44301354525e-2) * z + 5.34112807005e-2) * z + 1.33387994085e-1) * z + 3.33331568548e-1) * z * r + r;
  if ((u32(q.y) & 2u) != 0u) { t = -1.0 / t; }
  return select(xfc_nan(), select(t, -t, x < 0.0), xfc_isfinite(x));
}`,
  // asin, acos, atan (Cephes asinf/acosf/atanf): a polynomial on |x| <= 1/2, the half-angle identities beyond;
  // pi/2 and pi are subtracted in two parts. Out of [-1, 1] asin / acos are NaN.
  asin_poly: `fn xfc_asin_poly(a: f32) -> f32 {
  let z = a * a;
  return ((((4.2163199048e-2 * z + 2.4181311049e-2) * z + 4.5470025998e-2) * z + 7.4953002686e-2) * z + 1.6666752422e-1) * z * a + a;
}`,
  asin: `fn xfc_asin(x: f32) -> f32 {
  let a = abs(x);
  var r = xfc_asin_poly(a);
  if (a > 0.5) { r = (1.5707963705062866 - 2.0 * xfc_asin_poly(sqrt(0.5 * (1.0 - a)))) - 4.371139000186243e-8; }
  return select(select(r, -r, x < 0.0), xfc_nan(), a > 1.0);
}`,
  acos: `fn xfc_acos(x: f32) -> f32 {
  var r = (1.5707963705062866 - xfc_asin_poly(x)) - 4.371139000186243e-8;
  if (x > 0.5) { r = 2.0 * xfc_asin_poly(sqrt(0.5 * (1.0 - x))); }
  if (x < -0.5) { r = (3.1415927410125732 - 2.0 * xfc_asin_poly(sqrt(0.5 * (1.0 + x)))) - 8.742278000372485e-8; }
  return select(r, xfc_nan(), abs(x) > 1.0);
}`,
  atan: `fn xfc_atan(x: f32) -> f32 {
  let a = abs(x);
  var t = a;
  var base = 0.0;
  if (a > 2.414213562373095) {
    t = -1.0 / a;
    base = 1.5707963705062866;
  } else if (a > 0.4142135623730950) {
    t = (a - 1.0) / (a + 1.0);
    base = 0.7853981852531433;
  }
  let z = t * t;
  let r = base + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
  return select(r, -r, x < 0.0);
}`,
  // C fmod, exact: |x| minus the largest y·2^k not above it, repeatedly (each subtraction is exact: Sterbenz);
  // the sign of x; NaN for y = 0, x infinite or a NaN operand; x itself for |x| < |y| (y infinite included).
  fmod: `fn xfc_fmod(x: f32, y: f32) -> f32 {
  let ay = abs(y);
  var r = abs(x);
  if (!(ay > 0.0) || !xfc_isfinite(x) || xfc_isnan(y)) { return xfc_nan(); }
  if (r < ay) { return x; }
  for (var i = 0; i < 300 && r >= ay; i++) {
    var t = ldexp(frexp(ay).fract, frexp(r).exp);
    if (t > r) { t = 0.5 * t; }
    r = r - t;
  }
  return bitcast<f32>(bitcast<u32>(r) | (bitcast<u32>(x) & 0x80000000u));
}`,
  // x^y like C pow: WGSL's pow is exp2(y·log2(x)), NaN for x < 0 on some drivers (lavapipe) even for y = 2.
  // Integer exponents up to 64 by square-and-multiply (exact sign, x^2 = x·x), others from |x| with the sign of
  // an odd integer exponent; a negative base with a fractional exponent is NaN; 0^-y is +inf.
  pow: `fn xfc_pow(x: f32, y: f32) -> f32 {
  let integer = round(y) == y;
  if (integer && abs(y) <= 64.0) {
    var e = u32(abs(y));
    var b = x;
    var r = 1.0;
    while (e != 0u) {
      if ((e & 1u) != 0u) { r = r * b; }
      b = b * b;
      e = e >> 1u;
    }
    return select(r, 1.0 / r, y < 0.0);
  }
  if (x < 0.0 && !integer) { return xfc_nan(); }
  if (x == 0.0) { return select(0.0, xfc_inf(), y < 0.0); }
  let r = pow(abs(x), y);
  return select(r, -r, x < 0.0 && fract(0.5 * y) != 0.0);
}`,
  // Integer Pow (the reference's rule): e >= 0 by square-and-multiply, wrapping; e < 0 truncates (1, -1 keep a value).
  ipow: `fn xfc_ipow(a: i32, e: i32) -> i32 {
  if (e < 0i) { return select(select(0i, select(1i, -1i, (e & 1i) != 0i), a == -1i), 1i, a == 1i); }
  var k = u32(e);
  var b = a;
  var r = 1i;
  while (k != 0u) {
    if ((k & 1u) != 0u) { r = r * b; }
    b = b * b;
    k = k >> 1u;
  }
  return r;
}`,
  // Integer Mod: truncated (sign of a, fmod = 1) or floored (sign of b); 0 for a zero divisor (the reference's rule).
  irem: `fn xfc_irem(a: i32, b: i32) -> i32 { return select(a % select(b, 1i, b == 0i), 0i, b == 0i); }`,
  imod: `fn xfc_imod(a: i32, b: i32) -> i32 {
  let r = xfc_irem(a, b);
  return select(r, r + b, r != 0i && ((r < 0i) != (b < 0i)));
}`,
  umod: `fn xfc_umod(a: u32, b: u32) -> u32 { return select(a % select(b, 1u, b == 0u), 0u, b == 0u); }`,
};
const HELPER_DEPS: Readonly<Record<string, readonly string[]>> = {
  gelu: ['erf'], gelu_tanh: ['tanh'],
  fmax: ['isnan'], fmin: ['isnan'], exp: ['inf'], sinh: ['exp'], cosh: ['exp'],
  sin: ['trig_reduce', 'sin_poly', 'cos_poly', 'nan', 'isfinite'], cos: ['trig_reduce', 'sin_poly', 'cos_poly', 'nan', 'isfinite'],
  tan: ['trig_reduce', 'nan', 'isfinite'], asin: ['asin_poly', 'nan'], acos: ['asin_poly', 'nan'],
  fmod: ['isnan', 'isfinite', 'nan'], to_f16: ['isnan'], log: ['nan', 'inf'], imod: ['irem'], pow: ['nan', 'inf'],
};

/** The compute type of a stored dtype, or undefined when the WebGPU backend cannot hold it yet. */
export function computeType(d: DType): ComputeType | undefined {
  if (d === 'f32') return 'f32';
  if (d === 'i32' || d === 'i64' || d === 'i8' || d === 'i16' || d === 'bool' || d === 'u8') return d === 'bool' || d === 'u8' ? 'u32' : 'i32';
  if (d === 'u32') return 'u32';
  return undefined;
}

/** 32-bit words per element for word-addressed dtypes; undefined for sub-word dtypes (bool, u8, i8, f16 ...). */
export function wordsPerElement(d: DType): number | undefined {
  const b = dtypeInfo(d).bytes;
  return b === 4 ? 1 : b === 8 ? 2 : undefined;
}

export class ShaderBuilder {
  private readonly bindingList: PlanBinding[] = [];
  private readonly bindingNames: string[] = [];
  private readonly paramList: ParamExpr[] = [];
  private readonly paramKeys: string[] = [];
  private readonly helpers = new Set<string>();
  private readonly decls: string[] = [];

  constructor(private readonly weights: WeightPlacement, readonly workgroupSize = 64, private readonly halfStorage?: HalfStorage) {}

  /**
   * Declares a tensor operand or result; the arena / weight chunk binding is added on first use. 'write' needs
   * a word-sized dtype; 'write-words' is for kernels that store whole words of a byte-sized dtype themselves.
   */
  tensor(ref: TensorRef, access: 'read' | 'write' | 'write-words' = 'read'): TensorVar {
    const type = computeType(ref.dtype);
    if (!type) throw new Error(`the WebGPU backend cannot hold dtype ${ref.dtype} yet`);
    if (access === 'write' && wordsPerElement(ref.dtype) === undefined) throw new Error(`the WebGPU backend cannot store dtype ${ref.dtype} yet (sub-word stores need atomics)`);
    const h = this.halfStorage;
    if (ref.loc.kind === 'arena') {
      const half = ref.dtype === 'f32' && h !== undefined && h.arena(ref.loc.buffer);
      const buffer = half ? this.binding({ kind: 'arena-half' }, 'harena') : this.binding({ kind: 'arena' }, 'arena');
      const base = this.param({ buffer: ref.loc.buffer, byteOffset: canonicalDim(ref.loc.byteOffset) });
      return { ref, buffer, base, type, ...(half ? { half } : {}) };
    }
    const half = ref.dtype === 'f32' && h !== undefined && h.weight(ref.loc.weight);
    const { chunk, byteOffset } = this.weights.locate(ref.loc.weight);
    const buffer = half ? this.binding({ kind: 'weights-half', chunk }, `hw${chunk}`) : this.binding({ kind: 'weights', chunk }, `w${chunk}`);
    // The base is a param, not a literal, so that kernels equal but for the weights they read share one shader.
    return { ref, buffer, base: this.param(byteOffset + ref.loc.byteOffset), type, ...(half ? { half } : {}) };
  }

  /** A WGSL u32 expression for a dim: a literal when static, else a param evaluated per call. */
  dim(d: Dim): string {
    return isStaticDim(d) ? `${d}u` : this.param(canonicalDim(d));
  }

  /** A WGSL u32 expression for the product of dims. */
  size(shape: readonly Dim[]): string {
    return this.dim(shape.reduce<Dim>((a, d) => dimMul(a, d), 1));
  }

  /** Marks a helper function as used; returns its WGSL name. */
  use(helper: keyof typeof HELPERS | string): string {
    if (!(helper in HELPERS)) throw new Error(`unknown WGSL helper '${helper}'`);
    for (const dep of HELPER_DEPS[helper] ?? []) this.use(dep);
    this.helpers.add(helper);
    return `xfc_${helper}`;
  }

  /** Module-scope declarations (workgroup arrays ...), emitted once each in order. */
  declare(text: string): void {
    if (!this.decls.includes(text)) this.decls.push(text);
  }

  /** Element i of tensor t as t.type (i64 reads the low word as i32; bool/u8 read a byte). */
  load(t: TensorVar, i: string): string {
    if (t.half) return `f32(${halfElement(t, i)})`;
    const words = wordsPerElement(t.ref.dtype);
    if (words === undefined) {
      const bytes = dtypeInfo(t.ref.dtype).bytes;
      if (bytes !== 1) throw new Error(`cannot load dtype ${t.ref.dtype}`);
      const addr = `(${t.base} + (${i}))`;
      const byte = `((${t.buffer}[${addr} >> 2u] >> ((${addr} & 3u) * 8u)) & 0xffu)`;
      return t.ref.dtype === 'i8' ? `((bitcast<i32>(${byte} << 24u)) >> 24u)` : byte;
    }
    const word = `${t.buffer}[(${t.base} >> 2u) + ${words === 2 ? `2u * (${i})` : `(${i})`}]`;
    return t.type === 'u32' ? word : `bitcast<${t.type}>(${word})`;
  }

  /** A statement storing v (of t.type) as element i of t (i64 gets its sign-extended high word). */
  store(t: TensorVar, i: string, v: string): string {
    if (t.half) return `${halfElement(t, i)} = ${this.use('to_f16')}(${v});`;
    const words = wordsPerElement(t.ref.dtype)!;
    const at = `(${t.base} >> 2u) + ${words === 2 ? `2u * (${i})` : `(${i})`}`;
    const bits = t.type === 'u32' ? `(${v})` : `bitcast<u32>(${v})`;
    if (words === 1) return `${t.buffer}[${at}] = ${bits};`;
    return `{ let xw = ${at}; let xv = ${bits}; ${t.buffer}[xw] = xv; ${t.buffer}[xw + 1u] = select(0u, 0xffffffffu, ${t.type === 'i32' ? '(xv >> 31u) == 1u' : 'false'}); }`;
  }

  /** Raw 32-bit word w of element i (copies move words, whatever the dtype). */
  word(t: TensorVar, i: string, w: number): string {
    if (t.half) throw new Error('an f16-stored tensor has no 32-bit words: load() and store() convert it');
    const words = wordsPerElement(t.ref.dtype)!;
    return `${t.buffer}[(${t.base} >> 2u) + ${words}u * (${i}) + ${w}u]`;
  }

  /** Generates the shader around `body`, a compute entry point body where `gid` (u32) is the linear workgroup id and `lid` the local index. */
  build(body: string): Shader {
    const lines: string[] = [];
    if (this.bindingList.some((b) => b.kind === 'arena-half' || b.kind === 'weights-half')) lines.push('enable f16;');
    this.bindingList.forEach((b, i) => {
      const access = b.kind === 'arena' || b.kind === 'arena-half' ? 'read_write' : 'read';
      const element = b.kind === 'arena-half' || b.kind === 'weights-half' ? 'f16' : 'u32';
      lines.push(`@group(0) @binding(${i}) var<storage, ${access}> ${this.bindingNames[i]}: array<${element}>;`);
    });
    if (this.paramList.length > 0) {
      lines.push(`struct Params { v: array<vec4<u32>, ${Math.ceil(this.paramList.length / 4)}> }`);
      lines.push(`@group(0) @binding(${this.bindingList.length}) var<uniform> params: Params;`);
    }
    lines.push(...this.decls);
    for (const h of Object.keys(HELPERS)) if (this.helpers.has(h)) lines.push(HELPERS[h]!);
    lines.push(`@compute @workgroup_size(${this.workgroupSize})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
${body.replace(/^(?=.)/gm, '  ')}
}
`);
    const source = lines.join('\n');
    return { source, key: hashText(source), workgroupSize: this.workgroupSize, bindings: [...this.bindingList], params: [...this.paramList] };
  }

  private binding(b: PlanBinding, name: string): string {
    const i = this.bindingNames.indexOf(name);
    if (i < 0) {
      this.bindingList.push(b);
      this.bindingNames.push(name);
    }
    return name;
  }

  private param(p: ParamExpr): string {
    const key = JSON.stringify(p);
    let i = this.paramKeys.indexOf(key);
    if (i < 0) {
      i = this.paramList.length;
      this.paramList.push(p);
      this.paramKeys.push(key);
    }
    return `params.v[${i >> 2}].${'xyzw'[i & 3]}`;
  }
}

/** The f16 storage element i of an f16-stored tensor (a WGSL reference: load or assign). */
export function halfElement(t: TensorVar, i: string): string {
  return `${t.buffer}[(${t.base} >> 2u) + (${i})]`;
}

/** One grid factor: ceil(count / per) workgroups along the (linearized) grid. */
export function factor(count: Dim, per = 1): WorkgroupFactor {
  return { count: canonicalDim(count), per };
}

/** A 64-bit FNV-1a hash of text, as 16 hex digits (cache keys and file names). */
export function hashText(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** A float literal WGSL accepts for f32 (finite only). */
export function f32Literal(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`non-finite constant ${x}`);
  const s = Math.fround(x).toString();
  return /[.e]/.test(s) ? s : `${s}.0`;
}
