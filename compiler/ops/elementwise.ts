// Elementwise ops: unary math and activations, numpy-broadcasting arithmetic, comparisons and logic, Where.
//
// Floats are computed in float64 and rounded once on store; 64-bit integers are computed exactly with BigInt;
// smaller integers use exact helpers where float64 would not be exact (Mul, Div, Pow).

import {
  type Dim, dimAdd, dimDiv, dimIsPositive, dimMul, dimSub, dimSymbols, evalDim, isStaticDim, shapeToString, shapesEqual,
} from '../ir/dim.js';
import { type DType, dtypeInfo } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor, shapeSize } from '../ir/tensor.js';
import { type AttrSchema, type EvalContext, type InferContext, type SymbolicContext, attr, defineOp } from './registry.js';
import { broadcastIndex, broadcastShapes, broadcastStatic } from './util.js';

// ---------------------------------------------------------------------------------------------------------
// Dtype classes

type DTypeClass = 'float' | 'signed' | 'numeric' | 'bool' | 'any';

const classText: Record<DTypeClass, string> = {
  float: 'a floating-point dtype',
  signed: 'a floating-point or signed integer dtype',
  numeric: 'a numeric dtype',
  bool: 'dtype bool',
  any: 'any dtype',
};

function inClass(dtype: DType, cls: DTypeClass): boolean {
  const kind = dtypeInfo(dtype).kind;
  switch (cls) {
    case 'float': return kind === 'float';
    case 'signed': return kind === 'float' || kind === 'int';
    case 'numeric': return kind !== 'bool';
    case 'bool': return kind === 'bool';
    case 'any': return true;
  }
}

type Ctx = InferContext<Readonly<Record<string, unknown>>>;

function checkClass(ctx: Ctx, port: string, dtype: DType, cls: DTypeClass): void {
  if (!inClass(dtype, cls)) ctx.fail(`operand '${port}' has dtype ${dtype}, but ${ctx.node.op} needs ${classText[cls]}`);
}

/** Fails unless every operand has the dtype of the first, naming each operand's dtype. */
function checkSameDtype(ctx: Ctx, types: readonly TensorType[], ports: readonly string[]): void {
  if (types.every((t) => t.dtype === types[0]!.dtype)) return;
  ctx.fail(`operand dtypes differ: ${types.map((t, i) => `${ports[i]} is ${t.dtype}`).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------
// Element access: float64 numbers, or exact bigints for 64-bit integer storage

type Big = BigInt64Array | BigUint64Array;

function isBig(t: Tensor): boolean {
  return dtypeInfo(t.dtype).big;
}

/** A tensor of `dtype` from computed elements: bigints stored exactly (wrapping to 64 bits), numbers converted. */
function tensorOf(dtype: DType, shape: readonly number[], values: ArrayLike<number | bigint>): Tensor {
  const info = dtypeInfo(dtype);
  if (info.big && values.length > 0 && typeof values[0] === 'bigint') {
    const data = new info.storage(values.length) as Big;
    const wrap = dtype === 'i64' ? BigInt.asIntN : BigInt.asUintN;
    for (let i = 0; i < values.length; i++) data[i] = wrap(64, values[i] as bigint);
    return new Tensor(dtype, shape, data);
  }
  return Tensor.fromNumbers(dtype, shape, values as ArrayLike<number>);
}

/** Maps output element i to the operand's element under broadcasting (identity when the shapes agree). */
function indexer(inShape: readonly number[], outShape: readonly number[]): Int32Array | undefined {
  return shapesEqual(inShape, outShape) ? undefined : broadcastIndex(inShape, outShape);
}

// ---------------------------------------------------------------------------------------------------------
// Unary ops

interface UnaryKernel {
  /** Semantics on float64 values. */
  readonly num: (x: number) => number;
  /** Exact semantics on 64-bit integers (else `num` on their float64 values). */
  readonly big?: (x: bigint) => bigint;
}

function mapElements(t: Tensor, k: UnaryKernel, outDtype: DType): Tensor {
  if (isBig(t) && k.big) {
    const src = t.data as Big;
    const out = new Array<bigint>(src.length);
    for (let i = 0; i < src.length; i++) out[i] = k.big(src[i]!);
    return tensorOf(outDtype, t.shape, out);
  }
  const src = t.toFloat64();
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = k.num(src[i]!);
  return tensorOf(outDtype, t.shape, out);
}

interface UnarySpec {
  readonly name: string;
  readonly summary: string;
  readonly dtypes: DTypeClass;
  readonly attrs?: AttrSchema;
  /** The kernel, from the node's attributes. */
  readonly kernel: UnaryKernel | ((attrs: Readonly<Record<string, unknown>>) => UnaryKernel);
  readonly symbolic?: (x: Dim) => Dim | undefined;
}

function unaryOp(spec: UnarySpec) {
  const kernelOf = (attrs: Readonly<Record<string, unknown>>): UnaryKernel =>
    typeof spec.kernel === 'function' ? spec.kernel(attrs) : spec.kernel;
  return defineOp({
    name: spec.name,
    summary: spec.summary,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    attrs: spec.attrs ?? {},
    infer(ctx) {
      const x = ctx.input(0);
      checkClass(ctx, 'X', x.dtype, spec.dtypes);
      return [x];
    },
    evaluate: (ctx) => [mapElements(ctx.input(0), kernelOf(ctx.attrs), ctx.input(0).dtype)],
    symbolic: spec.symbolic && ((ctx) => {
      const out = ctx.symbolic(0)?.map(spec.symbolic!);
      return [out?.every((d) => d !== undefined) ? (out as Dim[]) : undefined];
    }),
  });
}

/**
 * exp(-x^2) without the error of rounding x^2: x = hi + lo with hi of 24 bits, so hi^2 is exact and
 * exp(-x^2) = exp(-hi^2) * exp(-(2 hi + lo) lo).
 */
function expMinusSquare(x: number): number {
  const hi = Math.fround(x);
  const lo = x - hi;
  return Math.exp(-hi * hi) * Math.exp(-(2 * hi + lo) * lo);
}

/**
 * erf in double precision (within a few ulps). For |x| < 2 the series of A&S 7.1.6,
 * erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)), whose terms are all positive; beyond,
 * 1 - erfc(x) with erfc from its continued fraction (A&S 7.1.14), erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  if (ax < 2) {
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * expMinusSquare(ax) * sum;
  }
  // Modified Lentz evaluation of the continued fraction f = x + a1/(x + a2/(x + ...)), a_n = n/2.
  const tiny = 1e-300;
  let f = ax;
  let c = f;
  let d = 0;
  for (let n = 1; n < 1000; n++) {
    const a = n / 2;
    d = ax + a * d;
    d = 1 / (d === 0 ? tiny : d);
    c = ax + a / (c === 0 ? tiny : c);
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.sign(x) * (1 - expMinusSquare(ax) / Math.sqrt(Math.PI) / f);
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Round half to even (ONNX Round). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const bigAbs = (x: bigint): bigint => (x < 0n ? -x : x);
const bigSign = (x: bigint): bigint => (x > 0n ? 1n : x < 0n ? -1n : 0n);

export const Sqrt = unaryOp({ name: 'Sqrt', summary: 'square root', dtypes: 'float', kernel: { num: Math.sqrt } });
export const Exp = unaryOp({ name: 'Exp', summary: 'e^x', dtypes: 'float', kernel: { num: Math.exp } });
export const Log = unaryOp({ name: 'Log', summary: 'natural logarithm', dtypes: 'float', kernel: { num: Math.log } });
export const Erf = unaryOp({ name: 'Erf', summary: 'the error function', dtypes: 'float', kernel: { num: erf } });
export const Tanh = unaryOp({ name: 'Tanh', summary: 'hyperbolic tangent', dtypes: 'float', kernel: { num: Math.tanh } });
export const Sigmoid = unaryOp({ name: 'Sigmoid', summary: '1 / (1 + e^-x)', dtypes: 'float', kernel: { num: sigmoid } });
export const Sin = unaryOp({ name: 'Sin', summary: 'sine', dtypes: 'float', kernel: { num: Math.sin } });
export const Cos = unaryOp({ name: 'Cos', summary: 'cosine', dtypes: 'float', kernel: { num: Math.cos } });
export const Tan = unaryOp({ name: 'Tan', summary: 'tangent', dtypes: 'float', kernel: { num: Math.tan } });
export const Sinh = unaryOp({ name: 'Sinh', summary: 'hyperbolic sine', dtypes: 'float', kernel: { num: Math.sinh } });
export const Cosh = unaryOp({ name: 'Cosh', summary: 'hyperbolic cosine', dtypes: 'float', kernel: { num: Math.cosh } });
export const Asin = unaryOp({ name: 'Asin', summary: 'arcsine', dtypes: 'float', kernel: { num: Math.asin } });
export const Acos = unaryOp({ name: 'Acos', summary: 'arccosine', dtypes: 'float', kernel: { num: Math.acos } });
export const Atan = unaryOp({ name: 'Atan', summary: 'arctangent', dtypes: 'float', kernel: { num: Math.atan } });
export const Floor = unaryOp({ name: 'Floor', summary: 'round toward -inf', dtypes: 'float', kernel: { num: Math.floor } });
export const Ceil = unaryOp({ name: 'Ceil', summary: 'round toward +inf', dtypes: 'float', kernel: { num: Math.ceil } });
export const Round = unaryOp({ name: 'Round', summary: 'round half to even', dtypes: 'float', kernel: { num: roundHalfEven } });
export const Reciprocal = unaryOp({ name: 'Reciprocal', summary: '1 / x', dtypes: 'float', kernel: { num: (x) => 1 / x } });
export const Softplus = unaryOp({
  name: 'Softplus', summary: 'log(1 + e^x)', dtypes: 'float',
  kernel: { num: (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) },
});
export const Relu = unaryOp({
  name: 'Relu', summary: 'max(x, 0)', dtypes: 'signed',
  kernel: { num: (x) => (x > 0 ? x : 0), big: (x) => (x > 0n ? x : 0n) },
});
export const Neg = unaryOp({
  name: 'Neg', summary: '-x', dtypes: 'signed', kernel: { num: (x) => -x, big: (x) => -x },
  symbolic: (x) => dimMul(x, -1),
});
export const Abs = unaryOp({ name: 'Abs', summary: '|x|', dtypes: 'numeric', kernel: { num: Math.abs, big: bigAbs } });
export const Sign = unaryOp({ name: 'Sign', summary: '-1, 0 or 1', dtypes: 'numeric', kernel: { num: Math.sign, big: bigSign } });
export const Not = unaryOp({
  name: 'Not', summary: 'logical not', dtypes: 'bool', kernel: { num: (x) => (x ? 0 : 1) },
  symbolic: (x) => (isStaticDim(x) ? (x ? 0 : 1) : undefined),
});
export const LeakyRelu = unaryOp({
  name: 'LeakyRelu', summary: 'x if x >= 0 else alpha * x', dtypes: 'float', attrs: { alpha: attr.float(0.01) },
  kernel: (a) => ({ num: (x) => (x >= 0 ? x : (a.alpha as number) * x) }),
});
export const Elu = unaryOp({
  name: 'Elu', summary: 'x if x >= 0 else alpha * (e^x - 1)', dtypes: 'float', attrs: { alpha: attr.float(1) },
  kernel: (a) => ({ num: (x) => (x >= 0 ? x : (a.alpha as number) * Math.expm1(x)) }),
});
export const HardSigmoid = unaryOp({
  name: 'HardSigmoid', summary: 'max(0, min(1, alpha * x + beta))', dtypes: 'float',
  attrs: { alpha: attr.float(0.2), beta: attr.float(0.5) },
  kernel: (a) => ({ num: (x) => Math.max(0, Math.min(1, (a.alpha as number) * x + (a.beta as number))) }),
});

// ---------------------------------------------------------------------------------------------------------
// Binary and variadic ops with numpy broadcasting

interface BinaryKernel {
  /** Semantics on float64 values (floats; integers when `int` is absent). */
  readonly num: (a: number, b: number) => number;
  /** Exact semantics for integers of up to 32 bits (wrapping happens on store). */
  readonly int?: (a: number, b: number) => number;
  /** Exact semantics on 64-bit integers (wrapping happens on store). */
  readonly big?: (a: bigint, b: bigint) => bigint | number;
}

/** Left fold of `k` over the operands broadcast to one shape: the binary case, and Max/Min/Sum/Mean. */
function foldElements(
  ctx: { fail(m: string): never },
  operands: readonly Tensor[],
  k: BinaryKernel,
  outDtype: DType,
  finish?: (x: number, count: number) => number,
): Tensor {
  const shape = broadcastStatic(ctx, operands.map((t) => t.shape));
  const n = shapeSize(shape);
  const idx = operands.map((t) => indexer(t.shape, shape));
  const kind = dtypeInfo(operands[0]!.dtype).kind;
  if (k.big && isBig(operands[0]!) && operands.every((t) => dtypeInfo(t.dtype).kind !== 'float')) {
    const out = new Array<bigint | number>(n);
    operands.forEach((t, j) => {
      const src = isBig(t) ? (t.data as Big) : Array.from(t.toFloat64(), BigInt);
      const ix = idx[j];
      for (let i = 0; i < n; i++) {
        const v = src[ix ? ix[i]! : i]!;
        out[i] = j === 0 ? v : k.big!(out[i] as bigint, v);
      }
    });
    return tensorOf(outDtype, shape, out);
  }
  const f = (kind === 'int' || kind === 'uint') && !isBig(operands[0]!) && k.int ? k.int : k.num;
  const out = new Float64Array(n);
  operands.forEach((t, j) => {
    const src = t.toFloat64();
    const ix = idx[j];
    for (let i = 0; i < n; i++) {
      const v = src[ix ? ix[i]! : i]!;
      out[i] = j === 0 ? v : f(out[i]!, v);
    }
  });
  if (finish) for (let i = 0; i < n; i++) out[i] = finish(out[i]!, operands.length);
  return tensorOf(outDtype, shape, out);
}

/**
 * Symbolic contents through a broadcasting fold: each result element is `f` over the operands' elements;
 * unknown when an operand's contents or any element's result is unknown.
 */
function foldSymbolic(
  ctx: SymbolicContext<unknown>,
  f: (a: Dim, b: Dim) => Dim | undefined,
): Dim[] | undefined {
  const outShape = ctx.outputs[0]!.shape;
  if (!outShape.every(isStaticDim)) return undefined;
  const shapes = ctx.inputs.map((t) => t!.shape);
  if (!shapes.every((s) => s.every(isStaticDim))) return undefined;
  const elems = ctx.inputs.map((_, i) => ctx.symbolic(i));
  if (elems.some((e) => e === undefined)) return undefined;
  const n = shapeSize(outShape as number[]);
  const out: Dim[] = [];
  const idx = shapes.map((s) => indexer(s as number[], outShape as number[]));
  for (let i = 0; i < n; i++) {
    let acc: Dim | undefined = elems[0]![idx[0] ? idx[0][i]! : i]!;
    for (let j = 1; j < elems.length && acc !== undefined; j++) acc = f(acc, elems[j]![idx[j] ? idx[j]![i]! : i]!);
    if (acc === undefined) return undefined;
    out.push(acc);
  }
  return out;
}

/**
 * Bounds [lo, hi] of a - b given that every symbol is >= 1: a polynomial whose non-constant coefficients are all
 * positive is at least its value with every symbol 1 (all negative: at most). Integers beyond 2^53 (INT64_MAX-style
 * sentinels of Slice and Clip chains) are taken to exceed every symbolic dim.
 */
export function differenceBounds(a: Dim, b: Dim): [number, number] {
  if (isStaticDim(a) && isStaticDim(b)) return [a - b, a - b];
  const huge = (v: Dim) => isStaticDim(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER;
  if (huge(a)) return (a as number) > 0 ? [1, Infinity] : [-Infinity, -1];
  if (huge(b)) return (b as number) > 0 ? [-Infinity, -1] : [1, Infinity];
  const d = dimSub(a, b);
  if (isStaticDim(d)) return [d, d];
  const symbols = dimSymbols(d);
  const constant = evalDim(d, new Map(symbols.map((s) => [s, 0])));
  const atOnes = evalDim(d, new Map(symbols.map((s) => [s, 1])));
  if (dimIsPositive(dimSub(d, constant))) return [atOnes, Infinity];
  if (dimIsPositive(dimSub(constant, d))) return [-Infinity, atOnes];
  return [-Infinity, Infinity];
}

/** A comparison of dims as 1 (true), 0 (false) or undefined (undecidable), from the bounds of a - b. */
const decide = (whenTrue: (lo: number, hi: number) => boolean, whenFalse: (lo: number, hi: number) => boolean) =>
  (a: Dim, b: Dim): Dim | undefined => {
    const [lo, hi] = differenceBounds(a, b);
    return whenTrue(lo, hi) ? 1 : whenFalse(lo, hi) ? 0 : undefined;
  };

/** max(a, b) of dims when decidable. */
export function dimMax(a: Dim, b: Dim): Dim | undefined {
  const [lo, hi] = differenceBounds(a, b);
  return lo >= 0 ? a : hi <= 0 ? b : undefined;
}

/** min(a, b) of dims when decidable. */
export function dimMin(a: Dim, b: Dim): Dim | undefined {
  const [lo, hi] = differenceBounds(a, b);
  return hi <= 0 ? a : lo >= 0 ? b : undefined;
}

interface BinarySpec {
  readonly name: string;
  readonly summary: string;
  /** Dtypes the operands may have (for Pow: the base). */
  readonly dtypes: DTypeClass;
  /** Result dtype: the first operand's, or bool for comparisons. */
  readonly result?: 'bool';
  /** Operands 0 and 1 may be swapped. */
  readonly commutative?: boolean;
  /** One or more operands (Max, Min, Sum, Mean). */
  readonly variadic?: boolean;
  /** Operand dtypes may differ (Pow's exponent); the second operand must then be numeric. */
  readonly mixedDtypes?: boolean;
  /** The second operand broadcasts to the first, never the other way (PRelu's slope). */
  readonly unidirectional?: boolean;
  readonly attrs?: AttrSchema;
  readonly check?: (ctx: Ctx, dtype: DType) => void;
  readonly kernel: BinaryKernel | ((attrs: Readonly<Record<string, unknown>>) => BinaryKernel);
  /** Applied to each folded float64 result with the operand count (Mean). */
  readonly finish?: (x: number, count: number) => number;
  /** Propagation of symbolic contents, element by element. */
  readonly symbolic?: (a: Dim, b: Dim) => Dim | undefined;
}

function binaryOp(spec: BinarySpec) {
  const ports = spec.variadic ? [{ name: 'data_0', variadic: true }] : [{ name: 'A' }, { name: 'B' }];
  const kernelOf = (attrs: Readonly<Record<string, unknown>>): BinaryKernel =>
    typeof spec.kernel === 'function' ? spec.kernel(attrs) : spec.kernel;
  const portName = (i: number): string => (spec.variadic ? `data_${i}` : ports[i]!.name);
  return defineOp({
    name: spec.name,
    summary: spec.summary,
    inputs: ports,
    outputs: [{ name: 'C' }],
    attrs: spec.attrs ?? {},
    commutative: spec.commutative,
    infer(ctx) {
      const types = ctx.inputs.map((_, i) => ctx.input(i));
      const names = types.map((_, i) => portName(i));
      checkClass(ctx, names[0]!, types[0]!.dtype, spec.dtypes);
      if (spec.mixedDtypes) checkClass(ctx, names[1]!, types[1]!.dtype, 'numeric');
      else checkSameDtype(ctx, types, names);
      spec.check?.(ctx, types[0]!.dtype);
      const shape = broadcastShapes(ctx, types.map((t) => t.shape));
      if (spec.unidirectional && !shapesEqual(shape, types[0]!.shape)) {
        ctx.fail(`${names[1]} of shape ${shapeToString(types[1]!.shape)} does not broadcast to ${names[0]} of shape ${shapeToString(types[0]!.shape)}`);
      }
      return [{ dtype: spec.result ?? types[0]!.dtype, shape }];
    },
    evaluate(ctx) {
      const operands = ctx.inputs.map((_, i) => ctx.input(i));
      const outDtype = spec.result ?? operands[0]!.dtype;
      return [foldElements(ctx, operands, kernelOf(ctx.attrs), outDtype, spec.finish)];
    },
    // Symbolic contents are integer dims; a float result (e.g. a Cast shape divided as floats) is not folded
    // through them, since integer rules such as truncating division do not hold for floats.
    symbolic: spec.symbolic && ((ctx) => [
      dtypeInfo(ctx.outputs[0]!.dtype).kind === 'float' && spec.name === 'Div'
        ? undefined
        : foldSymbolic(ctx as SymbolicContext<unknown>, spec.symbolic!),
    ]),
  });
}

/** x^e wrapped to 64 bits, by squaring (exact low bits for any integer width up to 64). */
function powWrap(base: bigint, e: bigint): bigint {
  let result = 1n;
  let b = BigInt.asIntN(64, base);
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) result = BigInt.asIntN(64, result * b);
    b = BigInt.asIntN(64, b * b);
  }
  return result;
}

/** Pow for integers of up to 32 bits: exact low 32 bits for non-negative integral exponents, else pow truncated. */
function intPow(a: number, e: number): number {
  if (Number.isInteger(e) && e >= 0) return Number(BigInt.asIntN(32, powWrap(BigInt(a), BigInt(e))));
  return Math.trunc(Math.pow(a, e));
}

function bigPow(a: bigint, e: bigint): bigint {
  if (e >= 0n) return powWrap(a, e);
  // Negative exponents: only 1 and -1 have integral powers; everything else truncates to 0.
  return a === 1n ? 1n : a === -1n ? (e % 2n === 0n ? 1n : -1n) : 0n;
}

/** Python-style integer modulo (result has the divisor's sign); 0 for a zero divisor. */
function floorMod(a: number, b: number): number {
  if (b === 0) return 0;
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

function bigFloorMod(a: bigint, b: bigint): bigint {
  if (b === 0n) return 0n;
  const r = a % b;
  return r !== 0n && r < 0n !== b < 0n ? r + b : r;
}

/** Symbolic Div: numbers truncate toward zero; symbolic dividends only when the quotient is exact. */
function dimDivTrunc(a: Dim, b: Dim): Dim | undefined {
  if (isStaticDim(a) && isStaticDim(b)) return b === 0 ? undefined : Math.trunc(a / b);
  return dimDiv(a, b);
}

export const Add = binaryOp({
  name: 'Add', summary: 'A + B', dtypes: 'numeric', commutative: true,
  kernel: { num: (a, b) => a + b, big: (a, b) => a + b }, symbolic: dimAdd,
});
export const Sub = binaryOp({
  name: 'Sub', summary: 'A - B', dtypes: 'numeric',
  kernel: { num: (a, b) => a - b, big: (a, b) => a - b }, symbolic: dimSub,
});
export const Mul = binaryOp({
  name: 'Mul', summary: 'A * B', dtypes: 'numeric', commutative: true,
  kernel: { num: (a, b) => a * b, int: (a, b) => Math.imul(a, b), big: (a, b) => a * b }, symbolic: dimMul,
});
export const Div = binaryOp({
  name: 'Div', summary: 'A / B (integers truncate toward zero)', dtypes: 'numeric',
  kernel: {
    num: (a, b) => a / b,
    int: (a, b) => (b === 0 ? 0 : Math.trunc(a / b)),
    big: (a, b) => (b === 0n ? 0n : a / b),
  },
  symbolic: dimDivTrunc,
});
export const Pow = binaryOp({
  name: 'Pow', summary: 'A ^ B; the result has the dtype of A', dtypes: 'numeric', mixedDtypes: true,
  kernel: { num: Math.pow, int: intPow, big: bigPow },
});
export const Mod = binaryOp({
  name: 'Mod', summary: 'A mod B: sign of B (fmod=0, integers) or of A (fmod=1, C fmod)', dtypes: 'numeric',
  attrs: { fmod: attr.int(0) },
  check(ctx, dtype) {
    if (dtypeInfo(dtype).kind === 'float' && ctx.attrs.fmod !== 1) ctx.fail(`fmod must be 1 for dtype ${dtype}`);
  },
  kernel: (a) => (a.fmod === 1
    ? { num: (x, y) => (y === 0 ? NaN : x % y), big: (x, y) => (y === 0n ? 0n : x % y) }
    : { num: floorMod, big: bigFloorMod }),
});
export const Max = binaryOp({
  name: 'Max', summary: 'elementwise maximum of one or more operands', dtypes: 'numeric', commutative: true, variadic: true,
  kernel: { num: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)), big: (a, b) => (a > b ? a : b) },
  symbolic: dimMax,
});
export const Min = binaryOp({
  name: 'Min', summary: 'elementwise minimum of one or more operands', dtypes: 'numeric', commutative: true, variadic: true,
  kernel: { num: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)), big: (a, b) => (a < b ? a : b) },
  symbolic: dimMin,
});
export const Sum = binaryOp({
  name: 'Sum', summary: 'elementwise sum of one or more operands', dtypes: 'numeric', commutative: true, variadic: true,
  kernel: { num: (a, b) => a + b, big: (a, b) => a + b }, symbolic: dimAdd,
});
export const Mean = binaryOp({
  name: 'Mean', summary: 'elementwise mean of one or more operands', dtypes: 'float', commutative: true, variadic: true,
  kernel: { num: (a, b) => a + b }, finish: (x, count) => x / count,
});

const cmp = (test: (a: number | bigint, b: number | bigint) => boolean): BinaryKernel => ({
  num: (a, b) => (test(a, b) ? 1 : 0),
  big: (a, b) => (test(a, b) ? 1 : 0),
});

export const Equal = binaryOp({
  name: 'Equal', summary: 'A == B', dtypes: 'any', result: 'bool', commutative: true,
  kernel: cmp((a, b) => a === b), symbolic: decide((lo, hi) => lo === 0 && hi === 0, (lo, hi) => lo > 0 || hi < 0),
});
export const Less = binaryOp({
  name: 'Less', summary: 'A < B', dtypes: 'numeric', result: 'bool',
  kernel: cmp((a, b) => a < b), symbolic: decide((lo, hi) => hi < 0, (lo) => lo >= 0),
});
export const LessOrEqual = binaryOp({
  name: 'LessOrEqual', summary: 'A <= B', dtypes: 'numeric', result: 'bool',
  kernel: cmp((a, b) => a <= b), symbolic: decide((lo, hi) => hi <= 0, (lo) => lo > 0),
});
export const Greater = binaryOp({
  name: 'Greater', summary: 'A > B', dtypes: 'numeric', result: 'bool',
  kernel: cmp((a, b) => a > b), symbolic: decide((lo) => lo > 0, (lo, hi) => hi <= 0),
});
export const GreaterOrEqual = binaryOp({
  name: 'GreaterOrEqual', summary: 'A >= B', dtypes: 'numeric', result: 'bool',
  kernel: cmp((a, b) => a >= b), symbolic: decide((lo) => lo >= 0, (lo, hi) => hi < 0),
});
export const And = binaryOp({
  name: 'And', summary: 'logical and', dtypes: 'bool', commutative: true, kernel: { num: (a, b) => (a && b ? 1 : 0) },
});
export const Or = binaryOp({
  name: 'Or', summary: 'logical or', dtypes: 'bool', commutative: true, kernel: { num: (a, b) => (a || b ? 1 : 0) },
});
export const Xor = binaryOp({
  name: 'Xor', summary: 'logical xor', dtypes: 'bool', commutative: true, kernel: { num: (a, b) => (!a !== !b ? 1 : 0) },
});
export const PRelu = binaryOp({
  name: 'PRelu', summary: 'X if X >= 0 else slope * X (slope broadcasts to X)', dtypes: 'signed', unidirectional: true,
  kernel: { num: (x, s) => (x < 0 ? x * s : x), big: (x, s) => (x < 0n ? x * s : x) },
});

// ---------------------------------------------------------------------------------------------------------
// Where and Clip

export const Where = defineOp({
  name: 'Where',
  summary: 'X where condition is true, else Y (three-way broadcasting)',
  inputs: [{ name: 'condition' }, { name: 'X' }, { name: 'Y' }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer(ctx) {
    const [c, x, y] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    checkClass(ctx, 'condition', c.dtype, 'bool');
    checkSameDtype(ctx, [x, y], ['X', 'Y']);
    return [{ dtype: x.dtype, shape: broadcastShapes(ctx, [c.shape, x.shape, y.shape]) }];
  },
  evaluate(ctx) {
    const [c, x, y] = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const shape = broadcastStatic(ctx, [c.shape, x.shape, y.shape]);
    const out = Tensor.zeros(x.dtype, shape);
    const [ic, ix, iy] = [c, x, y].map((t) => indexer(t.shape, shape));
    // Elements are copied as stored, so every dtype (f16 bits, 64-bit integers) passes through exactly.
    const dst = out.data as unknown as (number | bigint)[];
    const [xs, ys] = [x.data as unknown as (number | bigint)[], y.data as unknown as (number | bigint)[]];
    for (let i = 0; i < out.size; i++) {
      dst[i] = c.data[ic ? ic[i]! : i] ? xs[ix ? ix[i]! : i]! : ys[iy ? iy[i]! : i]!;
    }
    return [out];
  },
  symbolic(ctx) {
    const outShape = ctx.outputs[0]!.shape;
    const shapes = [0, 1, 2].map((i) => ctx.input(i).shape);
    if (![outShape, ...shapes].every((s) => s.every(isStaticDim))) return [undefined];
    const [c, x, y] = [ctx.symbolic(0), ctx.symbolic(1), ctx.symbolic(2)];
    if (!c || !x || !y || !c.every(isStaticDim)) return [undefined];
    const idx = shapes.map((s) => indexer(s as number[], outShape as number[]));
    const at = (j: number, i: number): number => (idx[j] ? idx[j]![i]! : i);
    return [Array.from({ length: shapeSize(outShape as number[]) }, (_, i) => (c[at(0, i)] ? x[at(1, i)]! : y[at(2, i)]!))];
  },
});

/** The single value of an optional bound operand of Clip, as a number or bigint. */
function clipBound(ctx: EvalContext<unknown>, i: number, big: boolean): number | bigint | undefined {
  const t = ctx.inputs[i];
  if (!t) return undefined;
  return big ? (t.data as Big)[0]! : t.get(0);
}

export const Clip = defineOp({
  name: 'Clip',
  summary: 'min(max(input, min), max); absent bounds do not clip',
  inputs: [{ name: 'input' }, { name: 'min', optional: true }, { name: 'max', optional: true }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer(ctx) {
    const x = ctx.input(0);
    checkClass(ctx, 'input', x.dtype, 'numeric');
    for (const [i, port] of [[1, 'min'], [2, 'max']] as const) {
      const b = ctx.inputs[i];
      if (!b) continue;
      if (b.dtype !== x.dtype) ctx.fail(`operand dtypes differ: input is ${x.dtype}, ${port} is ${b.dtype}`);
      if (!b.shape.every((d) => d === 1)) ctx.fail(`${port} must be a scalar, got shape ${shapeToString(b.shape)}`);
    }
    return [x];
  },
  evaluate(ctx) {
    const x = ctx.input(0);
    const big = isBig(x);
    const [lo, hi] = [clipBound(ctx, 1, big), clipBound(ctx, 2, big)];
    const kernel: UnaryKernel = {
      num: (v) => Math.min(Math.max(v, (lo as number | undefined) ?? -Infinity), (hi as number | undefined) ?? Infinity),
      big: (v) => {
        const clipped = lo !== undefined && v < (lo as bigint) ? (lo as bigint) : v;
        return hi !== undefined && clipped > (hi as bigint) ? (hi as bigint) : clipped;
      },
    };
    return [mapElements(x, kernel, x.dtype)];
  },
});
