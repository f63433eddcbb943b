// Reductions (ReduceSum ... ReduceLogSumExp, ArgMax, ArgMin) and the single-axis normalizers Softmax, LogSoftmax, Hardmax.
//
// Every one of them views its input as groups of elements (one group per result element, or per softmax row);
// `groupBy` computes that view once, and each op supplies what it does to one group, in float64.

import { type Dim, dimAdd, dimMul, isStaticDim } from '../ir/dim.js';
import { type DType, dtypeInfo } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor, shapeSize, stridesOf } from '../ir/tensor.js';
import { type InferContext, type SymbolicContext, attr, defineOp } from './registry.js';
import { normalizeAxes, normalizeAxis } from './util.js';
import { dimMax, dimMin } from './elementwise.js';

// ---------------------------------------------------------------------------------------------------------
// Grouping

/** A tensor's elements grouped by the coordinates outside `axes`: element i is member pos[i] of group group[i]. */
export interface Grouping {
  readonly groups: number;
  readonly groupSize: number;
  readonly group: Int32Array;
  readonly pos: Int32Array;
}

/** Groups are numbered row-major over the kept axes; members row-major over `axes`. */
export function groupBy(shape: readonly number[], axes: readonly number[]): Grouping {
  const reduced = shape.map((_, i) => axes.includes(i));
  const keptStrides = stridesOf(shape.map((d, i) => (reduced[i] ? 1 : d)));
  const posStrides = stridesOf(shape.map((d, i) => (reduced[i] ? d : 1)));
  const n = shapeSize(shape);
  const group = new Int32Array(n);
  const pos = new Int32Array(n);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let g = 0;
    let p = 0;
    for (let a = 0; a < shape.length; a++) {
      if (reduced[a]) p += coord[a]! * posStrides[a]!;
      else g += coord[a]! * keptStrides[a]!;
    }
    group[i] = g;
    pos[i] = p;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++coord[a]! < shape[a]!) break;
      coord[a] = 0;
    }
  }
  const groupSize = shapeSize(shape.map((d, i) => (reduced[i] ? d : 1)));
  return { groups: shapeSize(shape.map((d, i) => (reduced[i] ? 1 : d))), groupSize, group, pos };
}

/** The elements laid out group by group: member j of group g at g * groupSize + j. */
function gather<T, A extends { [i: number]: T }>(values: ArrayLike<T>, g: Grouping, out: A): A {
  for (let i = 0; i < values.length; i++) out[g.group[i]! * g.groupSize + g.pos[i]!] = values[i]!;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Reduce* ops

type ReduceKernel = (xs: Float64Array) => number;

const sum = (xs: Float64Array): number => xs.reduce((a, x) => a + x, 0);
// NaN propagates: once the fold holds NaN it keeps it (numpy, ONNX Runtime).
const max = (xs: Float64Array): number => xs.reduce((a, x) => (Number.isNaN(a) ? a : x > a || Number.isNaN(x) ? x : a), -Infinity);
const min = (xs: Float64Array): number => xs.reduce((a, x) => (Number.isNaN(a) ? a : x < a || Number.isNaN(x) ? x : a), Infinity);

function logSumExp(xs: Float64Array): number {
  const m = max(xs);
  if (!Number.isFinite(m)) return m;
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
}

type Attrs = Readonly<Record<string, unknown>>;

/** The axes a reduction reduces (normalized), from the `axes` operand when present, else the attribute. */
function reductionAxes(ctx: InferContext<Attrs>, rank: number): { axes: number[]; identity: boolean } {
  let axes = ctx.attrs.axes as number[] | undefined;
  if (ctx.inputs[1]) {
    if (axes !== undefined) ctx.fail('axes are given both as an attribute and as an operand');
    const c = ctx.constant(1);
    if (!c) ctx.fail('the axes operand must be a constant');
    axes = c!.toNumbers();
  }
  if (!axes || axes.length === 0) {
    return ctx.attrs.noop_with_empty_axes ? { axes: [], identity: true } : { axes: [...Array(rank).keys()], identity: false };
  }
  return { axes: normalizeAxes(ctx, axes, rank), identity: false };
}

function reducedShape<D extends Dim>(shape: readonly D[], axes: readonly number[], keepdims: boolean): D[] {
  const out: D[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1 as D);
  });
  return out;
}

interface ReduceSpec {
  readonly name: string;
  readonly summary: string;
  readonly kernel: ReduceKernel;
  /** Propagation of symbolic contents: the fold of one group's elements. */
  readonly symbolic?: (a: Dim, b: Dim) => Dim | undefined;
}

function reduceOp(spec: ReduceSpec) {
  return defineOp({
    name: spec.name,
    summary: spec.summary,
    inputs: [{ name: 'data' }, { name: 'axes', optional: true, constantToAttr: 'axes' }],
    outputs: [{ name: 'reduced' }],
    attrs: { axes: attr.ints(), keepdims: attr.int(1), noop_with_empty_axes: attr.int(0) },
    infer(ctx) {
      const x = ctx.input(0);
      if (dtypeInfo(x.dtype).kind === 'bool') ctx.fail(`operand 'data' has dtype bool, but ${spec.name} needs a numeric dtype`);
      const { axes } = reductionAxes(ctx as InferContext<Attrs>, x.shape.length);
      return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, ctx.attrs.keepdims !== 0) }];
    },
    evaluate(ctx) {
      const x = ctx.input(0);
      let axes = ctx.inputs[1] ? ctx.inputs[1].toNumbers() : (ctx.attrs.axes ?? []);
      if (axes.length === 0) {
        if (ctx.attrs.noop_with_empty_axes) return [x];
        axes = [...x.shape.keys()];
      }
      axes = normalizeAxes(ctx, axes, x.rank);
      const g = groupBy(x.shape, axes);
      const grouped = gather(x.toFloat64(), g, new Float64Array(g.groups * g.groupSize));
      const out = new Float64Array(g.groups);
      for (let k = 0; k < g.groups; k++) out[k] = spec.kernel(grouped.subarray(k * g.groupSize, (k + 1) * g.groupSize));
      return [Tensor.fromNumbers(x.dtype, reducedShape(x.shape, axes, ctx.attrs.keepdims !== 0), out)];
    },
    symbolic: spec.symbolic && ((ctx) => [reduceSymbolic(ctx as SymbolicContext<Attrs>, spec.symbolic!)]),
  });
}

function reduceSymbolic(ctx: SymbolicContext<Attrs>, f: (a: Dim, b: Dim) => Dim | undefined): Dim[] | undefined {
  const shape = ctx.input(0).shape;
  const elems = ctx.symbolic(0);
  if (!elems || !shape.every(isStaticDim)) return undefined;
  const { axes, identity } = reductionAxes(ctx, shape.length);
  if (identity) return elems;
  const g = groupBy(shape, axes);
  if (g.groupSize === 0) return undefined;
  const grouped = gather(elems, g, new Array<Dim>(g.groups * g.groupSize));
  const out: Dim[] = [];
  for (let k = 0; k < g.groups; k++) {
    let acc: Dim | undefined = grouped[k * g.groupSize]!;
    for (let j = 1; j < g.groupSize && acc !== undefined; j++) acc = f(acc, grouped[k * g.groupSize + j]!);
    if (acc === undefined) return undefined;
    out.push(acc);
  }
  return out;
}

export const ReduceSum = reduceOp({ name: 'ReduceSum', summary: 'sum over axes', kernel: sum, symbolic: dimAdd });
export const ReduceMean = reduceOp({ name: 'ReduceMean', summary: 'mean over axes', kernel: (xs) => sum(xs) / xs.length });
export const ReduceMax = reduceOp({ name: 'ReduceMax', summary: 'maximum over axes', kernel: max, symbolic: dimMax });
export const ReduceMin = reduceOp({ name: 'ReduceMin', summary: 'minimum over axes', kernel: min, symbolic: dimMin });
export const ReduceProd = reduceOp({
  name: 'ReduceProd', summary: 'product over axes', kernel: (xs) => xs.reduce((a, x) => a * x, 1), symbolic: dimMul,
});
export const ReduceL1 = reduceOp({ name: 'ReduceL1', summary: 'sum of |x| over axes', kernel: (xs) => xs.reduce((a, x) => a + Math.abs(x), 0) });
export const ReduceL2 = reduceOp({ name: 'ReduceL2', summary: 'sqrt of the sum of x^2 over axes', kernel: (xs) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0)) });
export const ReduceSumSquare = reduceOp({ name: 'ReduceSumSquare', summary: 'sum of x^2 over axes', kernel: (xs) => xs.reduce((a, x) => a + x * x, 0) });
export const ReduceLogSum = reduceOp({ name: 'ReduceLogSum', summary: 'log of the sum over axes', kernel: (xs) => Math.log(sum(xs)) });
export const ReduceLogSumExp = reduceOp({ name: 'ReduceLogSumExp', summary: 'log of the sum of e^x over axes', kernel: logSumExp });

// ---------------------------------------------------------------------------------------------------------
// ArgMax, ArgMin

function argOp(name: string, better: (x: number, best: number) => boolean) {
  return defineOp({
    name,
    summary: `index of the ${name === 'ArgMax' ? 'largest' : 'smallest'} element along an axis (first, or last with select_last_index)`,
    inputs: [{ name: 'data' }],
    outputs: [{ name: 'reduced' }],
    attrs: { axis: attr.int(0), keepdims: attr.int(1), select_last_index: attr.int(0) },
    infer(ctx) {
      const x = ctx.input(0);
      if (dtypeInfo(x.dtype).kind === 'bool') ctx.fail(`operand 'data' has dtype bool, but ${name} needs a numeric dtype`);
      const axis = normalizeAxis(ctx, ctx.attrs.axis, x.shape.length);
      return [{ dtype: 'i64', shape: reducedShape(x.shape, [axis], ctx.attrs.keepdims !== 0) }];
    },
    evaluate(ctx) {
      const x = ctx.input(0);
      const axis = normalizeAxis(ctx, ctx.attrs.axis, x.rank);
      if (x.shape[axis] === 0) ctx.fail(`cannot take ${name} over an empty axis (shape [${x.shape.join(', ')}])`);
      const g = groupBy(x.shape, [axis]);
      const grouped = gather(x.toFloat64(), g, new Float64Array(g.groups * g.groupSize));
      const last = ctx.attrs.select_last_index !== 0;
      const out = new Array<number>(g.groups);
      for (let k = 0; k < g.groups; k++) {
        let best = 0;
        for (let j = 1; j < g.groupSize; j++) {
          const x = grouped[k * g.groupSize + j]!;
          const b = grouped[k * g.groupSize + best]!;
          if (better(x, b) || (last && x === b)) best = j;
        }
        out[k] = best;
      }
      return [Tensor.fromNumbers('i64', reducedShape(x.shape, [axis], ctx.attrs.keepdims !== 0), out)];
    },
  });
}

export const ArgMax = argOp('ArgMax', (x, best) => x > best);
export const ArgMin = argOp('ArgMin', (x, best) => x < best);

// ---------------------------------------------------------------------------------------------------------
// Softmax, LogSoftmax, Hardmax (opset 13: one axis)

function rowwiseOp(name: string, summary: string, row: (xs: Float64Array) => Float64Array) {
  return defineOp({
    name,
    summary,
    inputs: [{ name: 'input' }],
    outputs: [{ name: 'output' }],
    attrs: { axis: attr.int(-1) },
    infer(ctx) {
      const x: TensorType = ctx.input(0);
      if (dtypeInfo(x.dtype).kind !== 'float') ctx.fail(`operand 'input' has dtype ${x.dtype}, but ${name} needs a floating-point dtype`);
      normalizeAxis(ctx, ctx.attrs.axis, x.shape.length);
      return [x];
    },
    evaluate(ctx) {
      const x = ctx.input(0);
      const g = groupBy(x.shape, [normalizeAxis(ctx, ctx.attrs.axis, x.rank)]);
      const grouped = gather(x.toFloat64(), g, new Float64Array(g.groups * g.groupSize));
      const results = new Float64Array(grouped.length);
      for (let k = 0; k < g.groups; k++) {
        results.set(row(grouped.subarray(k * g.groupSize, (k + 1) * g.groupSize)), k * g.groupSize);
      }
      const out = new Float64Array(x.size);
      for (let i = 0; i < out.length; i++) out[i] = results[g.group[i]! * g.groupSize + g.pos[i]!]!;
      return [Tensor.fromNumbers(x.dtype as DType, x.shape, out)];
    },
  });
}

export const Softmax = rowwiseOp('Softmax', 'e^x / sum(e^x) along one axis', (xs) => {
  const m = max(xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = sum(e);
  return e.map((v) => v / s);
});

export const LogSoftmax = rowwiseOp('LogSoftmax', 'x - log(sum(e^x)) along one axis', (xs) => {
  const lse = logSumExp(xs);
  return xs.map((x) => x - lse);
});

export const Hardmax = rowwiseOp('Hardmax', '1 at the first largest element along one axis, 0 elsewhere', (xs) => {
  const out = new Float64Array(xs.length);
  let best = 0;
  for (let j = 1; j < xs.length; j++) if (xs[j]! > xs[best]!) best = j;
  if (xs.length > 0) out[best] = 1;
  return out;
});
