// Shape ops and views: Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand; Shape and the
// views carry symbolic contents so that PyTorch's run-time shape chains resolve at compile time.

import { type Dim, dimDiv, dimEq, dimsProduct, isStaticDim, shapeToString } from '../ir/dim.js';
import { isInteger } from '../ir/dtype.js';
import { Tensor, stridesOf } from '../ir/tensor.js';
import { RANK_CEILING } from '../limits.js';
import { type InferContext, defineOp, attr } from './registry.js';
import { broadcastIndex, broadcastShapes, broadcastStatic, normalizeAxes } from './util.js';
import { affineIndex, attrOrOperand, staticShape, takeDims, takeElements } from './layout.js';

interface Failer {
  fail(message: string): never;
}

/**
 * The contents of a 1-D integer operand that describes a shape (Reshape, Expand, ConstantOfShape), elements
 * possibly symbolic. When they are unknown but the length is static, each element is a fresh symbol.
 */
export function shapeOperand(ctx: InferContext<unknown>, i: number, what: string): Dim[] {
  const t = ctx.input(i);
  if (!isInteger(t.dtype)) ctx.fail(`the ${what} (operand ${i}) must be an integer tensor, got ${t.dtype}`);
  if (t.shape.length !== 1) ctx.fail(`the ${what} (operand ${i}) must be 1-D, got shape ${shapeToString(t.shape)}`);
  const known = ctx.symbolic(i);
  if (known) return known;
  const n = t.shape[0]!;
  if (!isStaticDim(n)) ctx.fail(`the ${what} (operand ${i}) could not be determined at compile time, not even its length (${n})`);
  // One dim per element: a longer operand is not a shape (and would build that many symbols).
  if (n > RANK_CEILING) ctx.fail(`the ${what} (operand ${i}) has ${n} elements, more than the ${RANK_CEILING} dims a shape may have`);
  return Array.from({ length: n }, () => ctx.freshDim(what.replace(/\s+/g, '_')));
}

/** The identity on symbolic contents, for ops that keep the elements in order (views). */
const sameContents = (ctx: { symbolic(i: number): Dim[] | undefined }) => [ctx.symbolic(0)];

// ---------------------------------------------------------------------------------------------------------
// Shape, Size

/** Shape's [start, end) range of dims (opset 15): negative counts from the back, both clamped to [0, rank]. */
function shapeRange(rank: number, start: number, end: number | undefined): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const s = clamp(start);
  return [s, Math.max(s, clamp(end ?? rank))];
}

export const Shape = defineOp({
  name: 'Shape',
  summary: 'the dims of a tensor as a 1-D i64 tensor (optionally a [start, end) range of them)',
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'shape' }],
  attrs: { start: attr.int(0), end: attr.int() },
  infer(ctx) {
    const [s, e] = shapeRange(ctx.input(0).shape.length, ctx.attrs.start, ctx.attrs.end);
    return [{ dtype: 'i64', shape: [e - s] }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const [s, e] = shapeRange(t.rank, ctx.attrs.start, ctx.attrs.end);
    return [Tensor.fromNumbers('i64', [e - s], t.shape.slice(s, e))];
  },
  symbolic(ctx) {
    const shape = ctx.input(0).shape;
    const [s, e] = shapeRange(shape.length, ctx.attrs.start, ctx.attrs.end);
    return [shape.slice(s, e)];
  },
});

export const Size = defineOp({
  name: 'Size',
  summary: 'the number of elements of a tensor as an i64 scalar',
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'size' }],
  attrs: {},
  infer: () => [{ dtype: 'i64', shape: [] }],
  evaluate: (ctx) => [Tensor.scalar('i64', ctx.input(0).size)],
  symbolic: (ctx) => [[dimsProduct(ctx.input(0).shape)]],
});

// ---------------------------------------------------------------------------------------------------------
// Reshape, Flatten

/**
 * Reshape's result shape (ONNX semantics): 0 copies the input dim at that position unless allowzero, one -1 is
 * inferred by exact (symbolic) division. Used by the type rule and by evaluation.
 */
function reshapeTarget(ctx: Failer, inShape: readonly Dim[], target: readonly Dim[], allowzero: boolean): Dim[] {
  const describe = () => `cannot reshape ${shapeToString(inShape)} to ${shapeToString(target)}`;
  let inferAt = -1;
  const out: Dim[] = target.map((d, i) => {
    if (!isStaticDim(d)) return d;
    if (d === -1) {
      if (inferAt >= 0) ctx.fail(`${describe()}: more than one -1`);
      inferAt = i;
      return 1;
    }
    if (d === 0 && !allowzero) {
      if (i >= inShape.length) ctx.fail(`${describe()}: the 0 at position ${i} copies an input dim, but the input has rank ${inShape.length}`);
      return inShape[i]!;
    }
    if (!Number.isInteger(d) || d < 0) ctx.fail(`${describe()}: invalid dim ${d}`);
    return d;
  });
  if (allowzero && inferAt >= 0 && target.some((d) => d === 0)) ctx.fail(`${describe()}: -1 together with 0 is ambiguous when allowzero=1`);
  const total = dimsProduct(inShape);
  const known = dimsProduct(out);
  if (inferAt >= 0) {
    const q = known === 0 ? undefined : dimDiv(total, known);
    if (q === undefined) ctx.fail(`${describe()}: ${total} elements are not a multiple of ${known}, so -1 cannot be inferred`);
    out[inferAt] = q;
    return out;
  }
  if (!dimEq(total, known)) {
    // Different polynomials may still be equal at run time (two names for one size); a constant ratio other
    // than 1 cannot (0 can: a symbol may be 0 at run time when the other side has no elements).
    const ratio = [dimDiv(total, known), dimDiv(known, total)];
    if ((isStaticDim(total) && isStaticDim(known)) || ratio.some((r) => r !== undefined && isStaticDim(r) && r !== 0)) {
      ctx.fail(`${describe()}: ${total} elements vs ${known}`);
    }
  }
  return out;
}

export const Reshape = defineOp({
  name: 'Reshape',
  summary: 'the same elements in another shape (0 copies an input dim unless allowzero, -1 is inferred)',
  inputs: [{ name: 'data' }, { name: 'shape' }],
  outputs: [{ name: 'reshaped' }],
  attrs: { allowzero: attr.int(0) },
  infer(ctx) {
    const t = ctx.input(0);
    const target = shapeOperand(ctx as InferContext<unknown>, 1, 'target shape');
    return [{ dtype: t.dtype, shape: reshapeTarget(ctx, t.shape, target, ctx.attrs.allowzero !== 0) }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    return [t.reshape(reshapeTarget(ctx, t.shape, ctx.input(1).toNumbers(), ctx.attrs.allowzero !== 0) as number[])];
  },
  symbolic: sameContents,
});

/** Flatten's axis in [-rank, rank]. */
function flattenShape(ctx: Failer, shape: readonly Dim[], axis: number): Dim[] {
  const r = shape.length;
  const a = axis < 0 ? axis + r : axis;
  if (a < 0 || a > r) ctx.fail(`axis ${axis} is out of range for rank ${r} (Flatten accepts [-${r}, ${r}])`);
  return [dimsProduct(shape.slice(0, a)), dimsProduct(shape.slice(a))];
}

export const Flatten = defineOp({
  name: 'Flatten',
  summary: 'reshapes to 2-D: the dims before axis, times the dims from axis on',
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: { axis: attr.int(1) },
  infer(ctx) {
    const t = ctx.input(0);
    return [{ dtype: t.dtype, shape: flattenShape(ctx, t.shape, ctx.attrs.axis) }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    return [t.reshape(flattenShape(ctx, t.shape, ctx.attrs.axis) as number[])];
  },
  symbolic: sameContents,
});

// ---------------------------------------------------------------------------------------------------------
// Squeeze, Unsqueeze

/** Squeeze's result: the listed axes removed (each must be 1), or without axes every static 1. */
function squeezeShape(ctx: Failer, shape: readonly Dim[], axes: number[] | undefined): Dim[] {
  if (!axes) return shape.filter((d) => d !== 1); // symbolic dims are kept: they are not known to be 1
  const drop = normalizeAxes(ctx, axes, shape.length);
  for (const a of drop) {
    if (shape[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of ${shapeToString(shape)}: its size is ${shape[a]}, not 1`);
  }
  return shape.filter((_, i) => !drop.includes(i));
}

/** Unsqueeze's result: a 1 inserted at each axis (axes index the result, negative counts from its back). */
function unsqueezeShape(ctx: Failer, shape: readonly Dim[], axes: number[] | undefined): Dim[] {
  if (!axes) ctx.fail('axes are required (as the attribute, or operand 1 from opset 13)');
  const rank = shape.length + axes.length;
  const at = new Set(normalizeAxes(ctx, axes, rank));
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : shape[k++]!);
  return out;
}

/** Squeeze and Unsqueeze differ only in how they change the shape. */
function axesView(name: string, summary: string, rule: (ctx: Failer, shape: readonly Dim[], axes: number[] | undefined) => Dim[]) {
  return defineOp({
    name,
    summary,
    inputs: [{ name: 'data' }, { name: 'axes', optional: true, constantToAttr: 'axes' }],
    outputs: [{ name: name === 'Squeeze' ? 'squeezed' : 'expanded' }],
    attrs: { axes: attr.ints() },
    infer(ctx) {
      const t = ctx.input(0);
      const axes = attrOrOperand(ctx, 'axes', ctx.attrs.axes, 1, () => ctx.symbolic(1));
      return [{ dtype: t.dtype, shape: rule(ctx, t.shape, axes) }];
    },
    evaluate(ctx) {
      const t = ctx.input(0);
      const axes = attrOrOperand(ctx, 'axes', ctx.attrs.axes, 1, () => ctx.input(1).toNumbers());
      return [t.reshape(rule(ctx, t.shape, axes) as number[])];
    },
    symbolic: sameContents,
  });
}

export const Squeeze = axesView('Squeeze', 'removes dims of size 1 (the listed axes, or every static 1)', squeezeShape);
export const Unsqueeze = axesView('Unsqueeze', 'inserts dims of size 1 at the listed axes of the result', unsqueezeShape);

// ---------------------------------------------------------------------------------------------------------
// Transpose, Expand

function transposePerm(ctx: Failer, perm: readonly number[] | undefined, rank: number): number[] {
  if (!perm) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank) ctx.fail(`perm [${perm.join(', ')}] has ${perm.length} entries, but the input has rank ${rank}`);
  return normalizeAxes(ctx, perm, rank);
}

/** Transpose's plan: output dim d walks input dim perm[d]. */
function transposePlan(inShape: readonly number[], perm: readonly number[]): { shape: number[]; idx: Int32Array } {
  const strides = stridesOf(inShape);
  const shape = perm.map((p) => inShape[p]!);
  return { shape, idx: affineIndex(shape, 0, perm.map((p) => strides[p]!)) };
}

export const Transpose = defineOp({
  name: 'Transpose',
  summary: 'permutes the dims (default: reversed)',
  inputs: [{ name: 'data' }],
  outputs: [{ name: 'transposed' }],
  attrs: { perm: attr.ints() },
  infer(ctx) {
    const t = ctx.input(0);
    const perm = transposePerm(ctx, ctx.attrs.perm, t.shape.length);
    return [{ dtype: t.dtype, shape: perm.map((p) => t.shape[p]!) }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const plan = transposePlan(t.shape, transposePerm(ctx, ctx.attrs.perm, t.rank));
    return [takeElements(t.dtype, plan.shape, [t], plan.idx)];
  },
  symbolic(ctx) {
    const s = ctx.symbolic(0);
    const inShape = staticShape(ctx.inputs[0]);
    if (!s || !inShape) return [undefined];
    return [takeDims([s], transposePlan(inShape, transposePerm(ctx, ctx.attrs.perm, inShape.length)).idx)];
  },
});

/** Expand's target shape, checked (type rule and evaluation alike): no negative dims. */
function checkExpandTarget(ctx: Failer, target: Dim[]): Dim[] {
  if (target.some((d) => isStaticDim(d) && d < 0)) ctx.fail(`target shape ${shapeToString(target)} has a negative dim`);
  return target;
}

export const Expand = defineOp({
  name: 'Expand',
  summary: 'broadcasts a tensor to a shape (numpy rules, so the result may have more dims than the target)',
  inputs: [{ name: 'input' }, { name: 'shape' }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer(ctx) {
    const t = ctx.input(0);
    const target = checkExpandTarget(ctx, shapeOperand(ctx as InferContext<unknown>, 1, 'target shape'));
    return [{ dtype: t.dtype, shape: broadcastShapes(ctx, [t.shape, target]) }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const shape = broadcastStatic(ctx, [t.shape, checkExpandTarget(ctx, ctx.input(1).toNumbers()) as number[]]);
    return [takeElements(t.dtype, shape, [t], broadcastIndex(t.shape, shape))];
  },
  symbolic(ctx) {
    const s = ctx.symbolic(0);
    const inShape = staticShape(ctx.inputs[0]);
    const outShape = staticShape(ctx.outputs[0]);
    return [s && inShape && outShape ? takeDims([s], broadcastIndex(inShape, outShape)) : undefined];
  },
});
