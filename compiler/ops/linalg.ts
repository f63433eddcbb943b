// Linear algebra: MatMul (numpy semantics), Gemm, and N-d Conv; references accumulate in float64.

import { type Dim, dimAdd, dimDiv, dimEq, dimMul, isStaticDim, shapeToString } from '../ir/dim.js';
import { type DType, dtypeInfo } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor, shapeSize, stridesOf } from '../ir/tensor.js';
import { type InferContext, attr, defineOp } from './registry.js';
import { broadcastIndex, broadcastShapes, broadcastValues, requireStatic } from './util.js';

type Ctx = InferContext<Readonly<Record<string, unknown>>>;

/** Fails unless the operands share one dtype of the allowed kind. */
function checkDtypes(ctx: Ctx, types: readonly [string, TensorType][], floatOnly: boolean): DType {
  const dtype = types[0]![1].dtype;
  if (types.some(([, t]) => t.dtype !== dtype)) {
    ctx.fail(`operand dtypes differ: ${types.map(([name, t]) => `${name} is ${t.dtype}`).join(', ')}`);
  }
  const kind = dtypeInfo(dtype).kind;
  if (kind === 'bool' || (floatOnly && kind !== 'float')) {
    ctx.fail(`operands have dtype ${dtype}, but ${ctx.node.op} needs ${floatOnly ? 'a floating-point' : 'a numeric'} dtype`);
  }
  return dtype;
}

// ---------------------------------------------------------------------------------------------------------
// MatMul

/** The operand shapes as matrices: 1-D A becomes [1, K], 1-D B becomes [K, 1] (numpy matmul). */
function asMatrices<D extends Dim>(a: readonly D[], b: readonly D[]): [D[], D[]] {
  return [a.length === 1 ? [1 as D, a[0]!] : [...a], b.length === 1 ? [b[0]!, 1 as D] : [...b]];
}

/** Result shape of numpy matmul; fails naming both shapes when the contracted or batch dims disagree. */
function matmulShape(ctx: Ctx, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const both = `A ${shapeToString(a)} and B ${shapeToString(b)}`;
  if (a.length === 0 || b.length === 0) ctx.fail(`operands must have rank >= 1, got ${both}`);
  const [am, bm] = asMatrices(a, b);
  const ka = am[am.length - 1]!;
  const kb = bm[bm.length - 2]!;
  if (!dimEq(ka, kb)) ctx.fail(`contracted dimensions differ: ${ka} (last of A ${shapeToString(a)}) vs ${kb} (${b.length === 1 ? 'only' : 'second to last'} of B ${shapeToString(b)})`);
  const batch = broadcastShapes(
    { fail: (m) => ctx.fail(`batch dimensions of ${both} do not broadcast: ${m}`), freshDim: ctx.freshDim },
    [am.slice(0, -2), bm.slice(0, -2)],
  );
  return [...batch, ...(a.length > 1 ? [am[am.length - 2]!] : []), ...(b.length > 1 ? [bm[bm.length - 1]!] : [])];
}

export const MatMul = defineOp({
  name: 'MatMul',
  summary: 'numpy matmul: batched matrix product with broadcast batch dims; 1-D operands are vectors',
  inputs: [{ name: 'A' }, { name: 'B' }],
  outputs: [{ name: 'Y' }],
  attrs: {},
  infer(ctx) {
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const dtype = checkDtypes(ctx, [['A', a], ['B', b]], false);
    return [{ dtype, shape: matmulShape(ctx, a.shape, b.shape) }];
  },
  evaluate(ctx) {
    const [a, b] = [ctx.input(0), ctx.input(1)];
    const [am, bm] = asMatrices(a.shape, b.shape);
    const [m, k, n] = [am[am.length - 2]!, am[am.length - 1]!, bm[bm.length - 1]!];
    const batch = broadcastShapes(ctx, [am.slice(0, -2), bm.slice(0, -2)]) as number[];
    const [ia, ib] = [broadcastIndex(am.slice(0, -2), batch), broadcastIndex(bm.slice(0, -2), batch)];
    const [av, bv] = [a.toFloat64(), b.toFloat64()];
    const out = new Float64Array(shapeSize(batch) * m * n);
    for (let p = 0; p < ia.length; p++) {
      const [ao, bo, oo] = [ia[p]! * m * k, ib[p]! * k * n, p * m * n];
      // Row i of the result accumulates a[i, q] * b[q, :] for q = 0, 1, ...: each element sums over q in order.
      for (let i = 0; i < m; i++) {
        const row = out.subarray(oo + i * n, oo + (i + 1) * n);
        for (let q = 0; q < k; q++) {
          const aiq = av[ao + i * k + q]!;
          const brow = bo + q * n;
          for (let j = 0; j < n; j++) row[j] += aiq * bv[brow + j]!;
        }
      }
    }
    return [Tensor.fromNumbers(a.dtype, [...batch, ...(a.rank > 1 ? [m] : []), ...(b.rank > 1 ? [n] : [])], out)];
  },
});

// ---------------------------------------------------------------------------------------------------------
// Gemm

export const Gemm = defineOp({
  name: 'Gemm',
  summary: 'alpha * op(A) * op(B) + beta * C, op = optional transpose; C broadcasts to [M, N]',
  inputs: [{ name: 'A' }, { name: 'B' }, { name: 'C', optional: true }],
  outputs: [{ name: 'Y' }],
  attrs: { alpha: attr.float(1), beta: attr.float(1), transA: attr.int(0), transB: attr.int(0) },
  infer(ctx) {
    const [a, b, c] = [ctx.input(0), ctx.input(1), ctx.inputs[2]];
    const dtype = checkDtypes(ctx, [['A', a], ['B', b], ...(c ? [['C', c] as [string, TensorType]] : [])], false);
    if (a.shape.length !== 2 || b.shape.length !== 2) {
      ctx.fail(`A and B must be matrices, got A ${shapeToString(a.shape)} and B ${shapeToString(b.shape)}`);
    }
    const [m, ka] = ctx.attrs.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = ctx.attrs.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (!dimEq(ka, kb)) {
      ctx.fail(`contracted dimensions differ: ${ka} of A ${shapeToString(a.shape)} (transA=${ctx.attrs.transA}) vs ${kb} of B ${shapeToString(b.shape)} (transB=${ctx.attrs.transB})`);
    }
    if (c) {
      const fail = (): never => ctx.fail(`C of shape ${shapeToString(c.shape)} does not broadcast to [M, N] = ${shapeToString([m, n])}`);
      if (c.shape.length > 2) fail();
      const s = broadcastShapes({ fail, freshDim: ctx.freshDim }, [[m, n], c.shape]);
      if (!dimEq(s[0]!, m) || !dimEq(s[1]!, n)) fail();
    }
    return [{ dtype, shape: [m, n] }];
  },
  evaluate(ctx) {
    const [a, b, c] = [ctx.input(0), ctx.input(1), ctx.inputs[2]];
    const { alpha, beta, transA, transB } = ctx.attrs;
    const [m, k] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const n = transB ? b.shape[0]! : b.shape[1]!;
    const [av, bv] = [a.toFloat64(), b.toFloat64()];
    const at = (i: number, q: number): number => (transA ? av[q * m + i]! : av[i * k + q]!);
    const bt = (q: number, j: number): number => (transB ? bv[j * k + q]! : bv[q * n + j]!);
    const cv = c ? broadcastValues(c, [m, n]) : undefined;
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += at(i, q) * bt(q, j);
        out[i * n + j] = alpha * acc + (cv ? beta * cv[i * n + j]! : 0);
      }
    }
    return [Tensor.fromNumbers(a.dtype, [m, n], out)];
  },
});

// ---------------------------------------------------------------------------------------------------------
// Conv

export type ConvAttrs = {
  readonly auto_pad: string;
  readonly dilations?: number[];
  readonly group: number;
  readonly kernel_shape?: number[];
  readonly pads?: number[];
  readonly strides?: number[];
};

interface ConvGeometry {
  /** Output spatial dims. */
  readonly out: Dim[];
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  /** Padding before each spatial dim (the padding after is implied by the output size). */
  readonly padBegin: number[];
}

/** Output spatial dims and padding of a convolution; symbolic input dims only where the result is exact. */
export function convGeometry(ctx: { fail(m: string): never }, x: readonly Dim[], w: readonly Dim[], attrs: ConvAttrs): ConvGeometry {
  const rank = x.length - 2;
  const wk = w.slice(2);
  if (!wk.every(isStaticDim)) ctx.fail(`the kernel's spatial dims must be static, got W ${shapeToString(w)}`);
  const kernel = wk as number[];
  if (attrs.kernel_shape && (attrs.kernel_shape.length !== rank || attrs.kernel_shape.some((k, i) => k !== kernel[i]))) {
    ctx.fail(`kernel_shape [${attrs.kernel_shape.join(', ')}] disagrees with W ${shapeToString(w)}`);
  }
  const ones = new Array<number>(rank).fill(1);
  const strides = attrs.strides ?? ones;
  const dilations = attrs.dilations ?? ones;
  const pads = attrs.pads ?? new Array<number>(2 * rank).fill(0);
  if (strides.length !== rank || dilations.length !== rank || pads.length !== 2 * rank) {
    ctx.fail(`strides [${strides.join(', ')}], dilations [${dilations.join(', ')}] and pads [${pads.join(', ')}] must have ${rank}, ${rank} and ${2 * rank} entries for ${rank}-d input ${shapeToString(x)}`);
  }
  if (![...strides, ...dilations].every((v) => v >= 1) || pads.some((p) => p < 0)) {
    ctx.fail(`strides and dilations must be >= 1 and pads >= 0, got strides [${strides.join(', ')}], dilations [${dilations.join(', ')}], pads [${pads.join(', ')}]`);
  }
  const out: Dim[] = [];
  const padBegin: number[] = [];
  for (let i = 0; i < rank; i++) {
    const [d, s, ek] = [x[i + 2]!, strides[i]!, dilations[i]! * (kernel[i]! - 1) + 1];
    const inexact = (): never => ctx.fail(`spatial dim ${i} of input ${shapeToString(x)} is symbolic and the output size with stride ${s} is not an exact expression`);
    switch (attrs.auto_pad) {
      case 'NOTSET':
      case 'VALID': {
        const [pb, pe] = attrs.auto_pad === 'VALID' ? [0, 0] : [pads[i]!, pads[i + rank]!];
        const span = dimAdd(d, pb + pe - ek);
        if (isStaticDim(span)) {
          if (span < 0) ctx.fail(`spatial dim ${i}: the padded input (${d} + ${pb + pe}) is smaller than the dilated kernel (${ek})`);
          out.push(Math.floor(span / s) + 1);
        } else {
          out.push(dimAdd(dimDiv(span, s) ?? inexact(), 1));
        }
        padBegin.push(pb);
        break;
      }
      case 'SAME_UPPER':
      case 'SAME_LOWER': {
        // out = ceil(d / s); total padding = (out - 1) * s + ek - d, split with the odd one at the end (UPPER) or start.
        const o = isStaticDim(d) ? Math.ceil(d / s) : (dimDiv(d, s) ?? inexact());
        const total = Math.max(0, isStaticDim(o) && isStaticDim(d) ? (o - 1) * s + ek - d : ek - s);
        out.push(o);
        padBegin.push(attrs.auto_pad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2));
        break;
      }
      default:
        ctx.fail(`auto_pad '${attrs.auto_pad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
    }
  }
  return { out, kernel, strides, dilations, padBegin };
}

export const Conv = defineOp({
  name: 'Conv',
  summary: 'N-d grouped convolution (cross-correlation) with strides, dilations, padding and optional bias',
  inputs: [{ name: 'X' }, { name: 'W' }, { name: 'B', optional: true }],
  outputs: [{ name: 'Y' }],
  attrs: {
    auto_pad: attr.string('NOTSET'), dilations: attr.ints(), group: attr.int(1), kernel_shape: attr.ints(),
    pads: attr.ints(), strides: attr.ints(),
  },
  infer(ctx) {
    const [x, w, b] = [ctx.input(0), ctx.input(1), ctx.inputs[2]];
    const dtype = checkDtypes(ctx, [['X', x], ['W', w], ...(b ? [['B', b] as [string, TensorType]] : [])], true);
    const both = `X ${shapeToString(x.shape)} and W ${shapeToString(w.shape)}`;
    if (x.shape.length < 3 || w.shape.length !== x.shape.length) ctx.fail(`X must be [N, C, spatial...] and W [M, C/group, kernel...] of the same rank, got ${both}`);
    const g = ctx.attrs.group;
    const [c, m] = [x.shape[1]!, w.shape[0]!];
    if (g < 1 || !dimEq(c, dimMul(w.shape[1]!, g))) ctx.fail(`input channels ${c} must equal W's dim 1 (${w.shape[1]}) times group ${g}, got ${both}`);
    if (isStaticDim(m) && m % g !== 0) ctx.fail(`output channels ${m} (W ${shapeToString(w.shape)}) are not divisible by group ${g}`);
    if (b && (b.shape.length !== 1 || !dimEq(b.shape[0]!, m))) ctx.fail(`B must have shape [${m}], got ${shapeToString(b.shape)}`);
    const geo = convGeometry(ctx, x.shape, w.shape, ctx.attrs);
    return [{ dtype, shape: [x.shape[0]!, m, ...geo.out] }];
  },
  evaluate(ctx) {
    const [x, w, b] = [ctx.input(0), ctx.input(1), ctx.inputs[2]];
    const geo = convGeometry(ctx, x.shape, w.shape, ctx.attrs);
    const outSpatial = requireStatic(ctx, geo.out, 'the output');
    const [batch, channels] = [x.shape[0]!, x.shape[1]!];
    const [m, cg] = [w.shape[0]!, w.shape[1]!];
    const mg = m / ctx.attrs.group;
    const inSpatial = x.shape.slice(2);
    const [inSize, kSize, oSize] = [shapeSize(inSpatial), shapeSize(geo.kernel), shapeSize(outSpatial)];
    // offsets[o * kSize + kk]: flat input position read by output position o and kernel position kk, or -1 (padding).
    const offsets = new Int32Array(oSize * kSize);
    const [inStrides, oCoords, kCoords] = [stridesOf(inSpatial), coordsOf(outSpatial), coordsOf(geo.kernel)];
    for (let o = 0; o < oSize; o++) {
      for (let kk = 0; kk < kSize; kk++) {
        let off = 0;
        for (let i = 0; i < inSpatial.length && off >= 0; i++) {
          const p = oCoords[o]![i]! * geo.strides[i]! - geo.padBegin[i]! + kCoords[kk]![i]! * geo.dilations[i]!;
          off = p < 0 || p >= inSpatial[i]! ? -1 : off + p * inStrides[i]!;
        }
        offsets[o * kSize + kk] = off;
      }
    }
    const [xv, wv, bv] = [x.toFloat64(), w.toFloat64(), b?.toFloat64()];
    const out = new Float64Array(batch * m * oSize);
    for (let n = 0; n < batch; n++) {
      for (let oc = 0; oc < m; oc++) {
        const firstChannel = Math.floor(oc / mg) * cg;
        for (let o = 0; o < oSize; o++) {
          let acc = bv ? bv[oc]! : 0;
          for (let ci = 0; ci < cg; ci++) {
            const xBase = (n * channels + firstChannel + ci) * inSize;
            const wBase = (oc * cg + ci) * kSize;
            for (let kk = 0; kk < kSize; kk++) {
              const off = offsets[o * kSize + kk]!;
              if (off >= 0) acc += xv[xBase + off]! * wv[wBase + kk]!;
            }
          }
          out[(n * m + oc) * oSize + o] = acc;
        }
      }
    }
    return [Tensor.fromNumbers(x.dtype, [batch, m, ...outSpatial], out)];
  },
});

/** The multi-index of every element of a static shape, row-major. */
function coordsOf(shape: readonly number[]): number[][] {
  const strides = stridesOf(shape);
  return Array.from({ length: shapeSize(shape) }, (_, f) => shape.map((d, i) => Math.floor(f / strides[i]!) % d));
}
