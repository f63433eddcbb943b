// Kernels whose values are computed rather than copied: ConstantOfShape, Shape, Size, Range, EyeLike, Dropout's
// mask, CastLike, CumSum; and the per-dtype arithmetic (exact 64-bit integers included) they share with scatter.ts.

import { type Dim, isStaticDim } from '../../../compiler/ir/dim.js';
import { type DType, dtypeInfo } from '../../../compiler/ir/dtype.js';
import { Tensor } from '../../../compiler/ir/tensor.js';
import type { Step } from '../../common/schedule.js';
import { getKernel, registerKernel } from '../kernel.js';
import { type ShaderBuilder, computeType, f32Literal } from '../wgsl.js';
import { dtypeProblem, elementDispatch, flatIndex, normalizeAxis, rawLiteral, rawLoad, rawNumber } from './copy.js';
import { strides } from './indexing.js';
import './elementwise.js'; // CastLike reuses Cast's kernel

// ---------------------------------------------------------------------------------------------------------
// Arithmetic per dtype

/** 64-bit integers as vec2<u32> (low, high word): two's complement add, multiply (low 64 bits), signed less-than. */
const INT64: Readonly<Record<'add' | 'mul' | 'lt', string>> = {
  add: `fn xfc_add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}`,
  mul: `fn xfc_mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  // a.x * b.x as a full 64-bit product from 16-bit halves; the cross terms only reach the high word.
  let p00 = (a.x & 0xffffu) * (b.x & 0xffffu);
  let p01 = (a.x & 0xffffu) * (b.x >> 16u);
  let p10 = (a.x >> 16u) * (b.x & 0xffffu);
  let p11 = (a.x >> 16u) * (b.x >> 16u);
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), hi + a.x * b.y + a.y * b.x);
}`,
  lt: `fn xfc_lt64(a: vec2<u32>, b: vec2<u32>) -> bool {
  return select(bitcast<i32>(a.y) < bitcast<i32>(b.y), a.x < b.x, a.y == b.y);
}`,
};

/** How a kernel computes on elements of one dtype: values of `type`, converted from and to raw bits. */
export interface Arith {
  readonly type: string;
  readonly zero: string;
  /** The value of raw element bits, and the raw bits of a value (a plain name: it may be used twice). */
  fromRaw(raw: string): string;
  toRaw(v: string): string;
  /** A number or a dim (u32 expression) as a value. */
  constant(v: number): string;
  fromU32(x: string): string;
  add(a: string, b: string): string;
  mul(a: string, b: string): string;
  max(a: string, b: string): string;
  min(a: string, b: string): string;
}

/** Arithmetic on dtype: f32; i32 / u32 (sub-word dtypes compute in them, the writer keeps the low bits); i64 exact. */
export function arith(b: ShaderBuilder, dtype: DType): Arith {
  const bytes = dtypeInfo(dtype).bytes;
  if (bytes === 8) {
    const fn = (k: keyof typeof INT64): string => {
      b.declare(INT64[k]);
      return `xfc_${k}64`;
    };
    return {
      type: 'vec2<u32>', zero: 'vec2<u32>(0u, 0u)', fromRaw: (r) => r, toRaw: (v) => v,
      constant: (v) => rawLiteral(Tensor.fromNumbers('i64', [1], [v])), fromU32: (x) => `vec2<u32>(${x}, 0u)`,
      add: (x, y) => `${fn('add')}(${x}, ${y})`, mul: (x, y) => `${fn('mul')}(${x}, ${y})`,
      max: (x, y) => `select(${x}, ${y}, ${fn('lt')}(${x}, ${y}))`, min: (x, y) => `select(${y}, ${x}, ${fn('lt')}(${x}, ${y}))`,
    };
  }
  const t = computeType(dtype)!;
  const shift = 32 - 8 * bytes;
  const fromRaw = (r: string): string =>
    t === 'u32' ? r : t === 'f32' ? `bitcast<f32>(${r})` : shift === 0 ? `bitcast<i32>(${r})` : `(bitcast<i32>((${r}) << ${shift}u) >> ${shift}u)`;
  return {
    type: t,
    zero: t === 'f32' ? '0.0' : t === 'i32' ? '0i' : '0u',
    fromRaw,
    toRaw: (v) => (t === 'u32' ? v : `bitcast<u32>(${v})`),
    constant: (v) => (t === 'f32' ? f32Literal(v) : t === 'i32' ? ((v | 0) === -2147483648 ? 'bitcast<i32>(0x80000000u)' : `${v | 0}i`) : `${v >>> 0}u`),
    fromU32: (x) => (t === 'u32' ? x : `${t}(${x})`),
    add: (x, y) => `(${x} + ${y})`, mul: (x, y) => `(${x} * ${y})`,
    // f32: NaN propagates (as Math.max / Math.min in the reference).
    max: (x, y) => (t === 'f32' ? `${b.use('fmax')}(${x}, ${y})` : `max(${x}, ${y})`),
    min: (x, y) => (t === 'f32' ? `${b.use('fmin')}(${x}, ${y})` : `min(${x}, ${y})`),
  };
}

/** A known value (number or dim) as a value of `a`. */
const knownValue = (b: ShaderBuilder, a: Arith, v: Dim): string => (isStaticDim(v) ? a.constant(v) : a.fromU32(b.dim(v)));

// ---------------------------------------------------------------------------------------------------------
// Kernels

/** A result's symbolic contents as the IR recorded them (Shape and Size always record them). */
const contentsOf = (step: Step): Dim[] | undefined => step.node.outputs[0]?.symbolic;

for (const op of ['Shape', 'Size']) {
  registerKernel({
    op,
    check: (step) => (contentsOf(step) ? undefined : 'its contents are not known from the shapes'),
    build(ctx, step) {
      // Element e is the e-th dim (an i64: the dim in the low word).
      const dims = contentsOf(step)!;
      if (dims.length === 0) return [];
      return elementDispatch(ctx, step.outputs[0]!, (b) => ({
        raw: `vec2<u32>(${dims.reduceRight<string>((acc, d, k) => (acc === '' ? b.dim(d) : `select(${acc}, ${b.dim(d)}, e == ${k}u)`), '')}, 0u)`,
      }), false);
    },
  });
}

registerKernel({
  op: 'ConstantOfShape',
  check: dtypeProblem,
  build: (ctx, step) => elementDispatch(ctx, step.outputs[0]!, () => ({
    raw: rawLiteral((step.attrs.value as Tensor | undefined) ?? Tensor.scalar('f32', 0)),
  }), false),
});

registerKernel({
  op: 'Dropout',
  // Inference: the data result is a view of the operand (no step); the mask, when asked for, is all true.
  build: (ctx, step) => (step.outputs[1] ? elementDispatch(ctx, step.outputs[1], () => ({ raw: '1u' }), false) : []),
});

registerKernel({
  op: 'EyeLike',
  check: dtypeProblem,
  build(ctx, step) {
    const out = step.outputs[0]!;
    const k = (step.attrs.k as number | undefined) ?? 0;
    return elementDispatch(ctx, out, () => ({
      raw: `select(${rawNumber(out.dtype, 0)}, ${rawNumber(out.dtype, 1)}, i32(c1) == i32(c0) + ${k}i)`,
    }));
  },
});

registerKernel({
  op: 'Range',
  check(step) {
    const why = dtypeProblem(step);
    if (why) return why;
    const bad = [0, 2].find((i) => step.known[i] === undefined && step.inputs[i] === undefined);
    return bad === undefined ? undefined : `operand ${bad} is neither known nor available`;
  },
  build(ctx, step) {
    // out[e] = start + e * delta (f32: one fused multiply-add; i64: exact 64-bit arithmetic).
    const out = step.outputs[0]!;
    return elementDispatch(ctx, out, (b) => {
      const a = arith(b, out.dtype);
      const operand = (i: number): string => {
        const known = step.known[i]?.[0];
        return known !== undefined ? knownValue(b, a, known) : a.fromRaw(rawLoad(b.tensor(step.inputs[i]!), '0u'));
      };
      const pre = [`let start = ${operand(0)};`, `let delta = ${operand(2)};`];
      const v = a.type === 'f32' ? 'fma(f32(e), delta, start)' : a.add('start', a.mul(a.fromU32('e'), 'delta'));
      return { pre: [...pre, `let v = ${v};`].join('\n'), raw: a.toRaw('v') };
    }, false);
  },
});

// CastLike converts like Cast: its second operand only gives the dtype (lowering does not pass it).
const cast = getKernel('Cast');
if (cast) registerKernel({ ...cast, op: 'CastLike' });

/** CumSum's axis: the attribute, or operand 1's known contents. */
const cumsumAxis = (step: Step): Dim | undefined => (step.attrs.axis as number | undefined) ?? step.known[1]?.[0];

registerKernel({
  op: 'CumSum',
  check(step) {
    const axis = cumsumAxis(step);
    if (axis === undefined || !isStaticDim(axis)) return 'the axis must be known at compile time';
    return dtypeProblem(step);
  },
  build(ctx, step) {
    // Element c sums the elements of its line along the axis up to itself (exclusive: without it; reverse: from the end).
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    const rank = x.shape.length;
    const axis = normalizeAxis(cumsumAxis(step) as number, rank);
    const exclusive = ((step.attrs.exclusive as number | undefined) ?? 0) !== 0;
    const reverse = ((step.attrs.reverse as number | undefined) ?? 0) !== 0;
    return elementDispatch(ctx, y, (b) => {
      const a = arith(b, x.dtype);
      const xv = b.tensor(x);
      const c = `c${axis}`;
      const [from, to] = reverse ? [exclusive ? `${c} + 1u` : c, b.dim(x.shape[axis]!)] : ['0u', exclusive ? c : `${c} + 1u`];
      const stride = strides(x.shape)[axis]!;
      const line = flatIndex(b, x.shape, x.shape.map((_, k) => (k === axis ? '0u' : `c${k}`)));
      const pre = [
        `let line = ${line};`,
        `var acc = ${a.zero};`,
        `for (var s = ${from}; s < ${to}; s++) { acc = ${a.add('acc', a.fromRaw(rawLoad(xv, `line + s * ${b.dim(stride)}`)))}; }`,
      ];
      return { pre: pre.join('\n'), raw: a.toRaw('acc') };
    });
  },
});
