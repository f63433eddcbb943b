// Data-movement kernels: Slice, Gather, Transpose, Concat (and Expand / output copies via elementwise.ts).
//
// One shader shape: each invocation moves one element (its 32-bit words) from a source index computed from the
// output coordinates. Concat is one dispatch per operand, each writing its region of the result.

import { type Dim, dimAdd, dimEq, dimsProduct, isStaticDim } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type KernelContext, type KernelDispatch, registerKernel } from '../kernel.js';
import { type ShaderBuilder, type TensorVar, factor, wordsPerElement } from '../wgsl.js';
import { coords, strides } from './indexing.js';

const wordSized = (step: Step): string | undefined => {
  const bad = [step.inputs[0], ...step.outputs].find((r) => r && wordsPerElement(r.dtype) === undefined);
  return bad ? `dtype ${bad.dtype} is not supported by WebGPU copies yet` : undefined;
};

/**
 * One dispatch over the elements of `domain`: coords c0.. of the flat index e; `src` gives the source element
 * index and `dst` the destination index (default e).
 */
function moveDispatch(ctx: KernelContext, from: TensorRef, to: TensorRef, domain: readonly Dim[],
  src: (b: ShaderBuilder, x: TensorVar) => { pre?: string; index: string }, dst?: (b: ShaderBuilder) => string): KernelDispatch {
  const b = ctx.builder(64);
  const x = b.tensor(from);
  const y = b.tensor(to, 'write');
  const n = b.size(domain);
  const s = src(b, x);
  const words = wordsPerElement(to.dtype)!;
  const moves = Array.from({ length: words }, (_, w) => `${y.buffer}[(${y.base} >> 2u) + ${words}u * d + ${w}u] = ${b.word(x, 'si', w)};`);
  const body = [`let e = gid * 64u + lid;`, `if (e >= ${n}) { return; }`, coords(b, 'c', 'e', domain), s.pre ?? '', `let si = ${s.index};`, `let d = ${dst ? dst(b) : 'e'};`, ...moves];
  return { shader: b.build(body.filter(Boolean).join('\n')), workgroups: [factor(dimsProduct(domain), 64)] };
}

/** A negative axis counted from the end (the op's type rule has validated it). */
const normalizeAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);
const sumTerms = (terms: string[]): string => (terms.length ? terms.join(' + ') : '0u');

registerKernel({
  op: 'Transpose',
  check: wordSized,
  build(ctx, step) {
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    const perm = (step.attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    const st = strides(x.shape);
    return [moveDispatch(ctx, x, y, y.shape, (b) => ({ index: sumTerms(perm.map((p, a) => `c${a} * ${b.dim(st[p]!)}`)) }))];
  },
});

registerKernel({
  op: 'Slice',
  check(step) {
    const why = wordSized(step);
    if (why) return why;
    const [starts, , axes, steps] = [step.known[1], step.known[2], step.known[3], step.known[4]];
    if (!starts || (step.inputs[3] && !axes) || (step.inputs[4] && !steps)) return 'starts, axes and steps must be known at compile time';
    if (steps && !steps.every((s) => typeof s === 'number' && s !== 0)) return 'steps must be nonzero numbers';
    if (axes && !axes.every((a) => typeof a === 'number')) return 'axes must be numbers';
    return undefined;
  },
  build(ctx, step) {
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    const rank = x.shape.length;
    const startOf: Dim[] = x.shape.map(() => 0);
    const stepOf: number[] = x.shape.map(() => 1);
    const starts = step.known[1]!;
    const axes = (step.known[3] as number[] | undefined) ?? starts.map((_, i) => i);
    axes.forEach((ax, i) => {
      const a = normalizeAxis(ax, rank);
      const d = x.shape[a]!;
      const st = (step.known[4]?.[i] as number | undefined) ?? 1;
      let s = starts[i]!;
      if (typeof s === 'number') {
        if (s < 0) s = isStaticDim(d) ? Math.max(0, d + s) : dimAdd(d, s);
        else if (isStaticDim(d)) s = Math.min(s, st > 0 ? d : d - 1);
      }
      startOf[a] = s;
      stepOf[a] = st;
    });
    const xs = strides(x.shape);
    return [moveDispatch(ctx, x, y, y.shape, (b) => ({
      index: sumTerms(x.shape.map((_, a) => {
        const coord = stepOf[a] === 1 ? `c${a}` : `u32(i32(c${a}) * ${stepOf[a]}i)`;
        const at = dimEq(startOf[a]!, 0) ? coord : `(${b.dim(startOf[a]!)} + ${coord})`;
        return dimEq(xs[a]!, 1) ? at : `${at} * ${b.dim(xs[a]!)}`;
      })),
    }))];
  },
});

registerKernel({
  op: 'Gather',
  check: wordSized,
  build(ctx, step) {
    const [x, idx, y] = [step.inputs[0]!, step.inputs[1]!, step.outputs[0]!];
    const axis = normalizeAxis(step.attrs.axis as number, x.shape.length);
    const xs = strides(x.shape);
    const is = strides(idx.shape);
    const k = idx.shape.length;
    return [moveDispatch(ctx, x, y, y.shape, (b) => {
      const it = b.tensor(idx);
      const flat = sumTerms(idx.shape.map((_, j) => `c${axis + j} * ${b.dim(is[j]!)}`));
      const terms = x.shape.map((_, a) => {
        const c = a < axis ? `c${a}` : a === axis ? 'g' : `c${a + k - 1}`;
        return `${c} * ${b.dim(xs[a]!)}`;
      });
      // Negative indices count from the end of the axis.
      const pre = `let gi = ${b.load(it, flat)};\nlet g = select(u32(gi), u32(gi + i32(${b.dim(x.shape[axis]!)})), gi < 0i);`;
      return { pre, index: sumTerms(terms) };
    })];
  },
});

registerKernel({
  op: 'Concat',
  check: wordSized,
  build(ctx, step) {
    const y = step.outputs[0]!;
    const axis = normalizeAxis(step.attrs.axis as number, y.shape.length);
    const ys = strides(y.shape);
    let offset: Dim = 0;
    const out: KernelDispatch[] = [];
    for (const x of step.inputs) {
      if (!x) continue;
      const at = offset;
      out.push(moveDispatch(ctx, x, y, x.shape, () => ({ index: 'e' }), (b) =>
        sumTerms(y.shape.map((_, a) => `${a === axis && !dimEq(at, 0) ? `(c${a} + ${b.dim(at)})` : `c${a}`} * ${b.dim(ys[a]!)}`))));
      offset = dimAdd(offset, x.shape[axis]!);
    }
    return out;
  },
});


