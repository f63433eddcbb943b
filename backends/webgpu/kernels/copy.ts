// Data movement: Transpose, Slice, Gather, GatherElements, Concat, Split, Tile, Pad, Trilu, and the element writer they share.
//
// One shader shape for every kernel that writes result elements one by one (here, generate.ts and scatter.ts):
// each invocation computes the raw bits of one result element, an expression over its flat index `e` and
// coordinates `c0..` (a source element's bits, a constant, a sum ...), and stores its 32-bit word(s). For
// sub-word dtypes (bool, u8, i8, i16) an invocation computes the 4 (or 2) elements of one word and stores the
// whole word: invocations never share a word, so there are no races and no atomics. Any dtype the backend can
// hold moves exactly, i64 included (raw bits, never converted).

import { type Dim, dimAdd, dimEq, dimIsPositive, dimMul, dimSub, dimsProduct, isStaticDim } from '../../../compiler/ir/dim.js';
import { type DType, dtypeInfo } from '../../../compiler/ir/dtype.js';
import { Tensor } from '../../../compiler/ir/tensor.js';
import { slicePosition } from '../../../compiler/ops/layout.js';
import { padWidths } from '../../../compiler/ops/pad.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type KernelContext, type KernelDispatch, registerKernel } from '../kernel.js';
import { type ShaderBuilder, type TensorVar, computeType, factor, halfElement } from '../wgsl.js';
import { broadcastOffset, coords, strides } from './indexing.js';

const WG = 64;

// ---------------------------------------------------------------------------------------------------------
// Raw element bits

/** The WGSL type holding one element's raw bits: vec2<u32> (low, high word) for 8-byte dtypes, else u32 (sub-word ones in the low bits). */
export function rawType(dtype: DType): 'u32' | 'vec2<u32>' {
  return dtypeInfo(dtype).bytes === 8 ? 'vec2<u32>' : 'u32';
}

/** Raw bits of element `i` (a u32 expression) of t (an f16-stored f32 tensor gives its value's f32 bits). */
export function rawLoad(t: TensorVar, i: string): string {
  if (t.half) return `bitcast<u32>(f32(${halfElement(t, i)}))`;
  const bytes = dtypeInfo(t.ref.dtype).bytes;
  const word = `(${t.base} >> 2u)`;
  if (bytes === 4) return `${t.buffer}[${word} + (${i})]`;
  if (bytes === 8) return `vec2<u32>(${t.buffer}[${word} + 2u * (${i})], ${t.buffer}[${word} + 2u * (${i}) + 1u])`;
  const addr = `(${t.base} + ${bytes === 1 ? '' : `${bytes}u * `}(${i}))`;
  return `((${t.buffer}[${addr} >> 2u] >> ((${addr} & 3u) * 8u)) & ${byteMask(bytes)})`;
}

const byteMask = (bytes: number): string => (bytes === 1 ? '0xffu' : '0xffffu');

/** The raw-bits literal of a one-element tensor (its own dtype's bytes, exactly). */
export function rawLiteral(value: Tensor): string {
  const bytes = value.bytes();
  const word = (at: number): string => {
    let v = 0;
    for (let k = Math.min(3, bytes.length - at - 1); k >= 0; k--) v = v * 256 + bytes[at + k]!;
    return `0x${v.toString(16)}u`;
  };
  return bytes.length === 8 ? `vec2<u32>(${word(0)}, ${word(4)})` : word(0);
}

/** The raw bits of the number v stored as dtype (ONNX conversion rules of Tensor.fromNumbers). */
export const rawNumber = (dtype: DType, v: number): string => rawLiteral(Tensor.fromNumbers(dtype, [1], [v]));

/** Why a dtype cannot be moved by these kernels, or undefined. */
export function dtypeProblem(step: Step): string | undefined {
  const bad = [...step.inputs, ...step.outputs].find((r) => r && !computeType(r.dtype));
  return bad ? `dtype ${bad.dtype} is not supported by the WebGPU backend yet` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The element writer

/** WGSL code producing one result element: statements (may use `e` and `c0..`), then the raw bits' expression. */
export interface ElementCode {
  /**
   * Statements run first. Names `e`, `r`, `w`, `j`, `packed`, `c_r`, `c<digit>` are the writer's: do not
   * redeclare them. The code runs inside a loop for sub-word results, so it must not `return`.
   */
  readonly pre?: string;
  /** The element's raw bits (rawType of the result's dtype). */
  readonly raw: string;
}

/**
 * The dispatch writing every element of `out` (none when it is statically empty). `gen` declares its operands on
 * the builder and returns the code of the element with flat index `e` (coordinates c0.. in out's shape are
 * declared unless `useCoords` is false).
 */
export function elementDispatch(ctx: KernelContext, out: TensorRef, gen: (b: ShaderBuilder) => ElementCode, useCoords = true): KernelDispatch[] {
  const count = dimsProduct(out.shape);
  if (dimEq(count, 0)) return [];
  const b = ctx.builder(WG);
  const bytes = dtypeInfo(out.dtype).bytes;
  const y = b.tensor(out, bytes >= 4 ? 'write' : 'write-words');
  const n = b.size(out.shape);
  const code = gen(b);
  const elem = [useCoords ? coords(b, 'c', 'e', out.shape) : '', code.pre ?? '', `let r = ${code.raw};`].filter(Boolean).join('\n');
  const at = `(${y.base} >> 2u)`;
  if (bytes >= 4) {
    const store = y.half ? b.store(y, 'e', 'bitcast<f32>(r)') : bytes === 4 ? `${y.buffer}[${at} + e] = r;` : `${y.buffer}[${at} + 2u * e] = r.x;\n${y.buffer}[${at} + 2u * e + 1u] = r.y;`;
    return [{ shader: b.build([`let e = gid * ${WG}u + lid;`, `if (e >= ${n}) { return; }`, elem, store].join('\n')), workgroups: [factor(count, WG)] }];
  }
  const per = 4 / bytes;
  const body = [
    `let w = gid * ${WG}u + lid;`,
    `if (w * ${per}u >= ${n}) { return; }`,
    'var packed = 0u;',
    `for (var j = 0u; j < ${per}u; j++) {`,
    `  let e = w * ${per}u + j;`,
    `  if (e >= ${n}) { break; }`,
    elem.replace(/^/gm, '  '),
    `  packed = packed | ((r & ${byteMask(bytes)}) << (${8 * bytes}u * j));`,
    '}',
    `${y.buffer}[${at} + w] = packed;`,
  ];
  return [{ shader: b.build(body.join('\n')), workgroups: [factor(count, WG * per)] }];
}

/** A dispatch where element e of `out` is element `index` of `from` (index: a u32 expression over e, c0..). */
function moveDispatch(ctx: KernelContext, from: TensorRef, out: TensorRef, index: (b: ShaderBuilder) => { pre?: string; index: string }): KernelDispatch[] {
  return elementDispatch(ctx, out, (b) => {
    const x = b.tensor(from);
    const s = index(b);
    return { pre: [s.pre, `let si = ${s.index};`].filter(Boolean).join('\n'), raw: rawLoad(x, 'si') };
  });
}

/** The flat index in a row-major `shape` of per-axis u32 coordinate expressions (axes of size 1 contribute 0). */
export function flatIndex(b: ShaderBuilder, shape: readonly Dim[], at: readonly string[]): string {
  const st = strides(shape);
  const terms = shape.flatMap((d, a) => (dimEq(d, 1) ? [] : [dimEq(st[a]!, 1) ? `(${at[a]})` : `(${at[a]}) * ${b.dim(st[a]!)}`]));
  return terms.length ? terms.join(' + ') : '0u';
}

/** Statements declaring `name` (u32): the index element i of `idx` (i32, or i64's low word) on an axis of size n, negative counting from the end. */
export function axisIndex(b: ShaderBuilder, name: string, idx: TensorVar, i: string, n: Dim): string {
  return `let ${name}_v = ${b.load(idx, i)};\nlet ${name} = select(u32(${name}_v), u32(${name}_v + i32(${b.dim(n)})), ${name}_v < 0i);`;
}

/** The output coordinate names c0..c{rank-1}. */
const coordNames = (rank: number): string[] => Array.from({ length: rank }, (_, a) => `c${a}`);

/** A negative axis counted from the end (the op's type rule has validated it). */
export const normalizeAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

// ---------------------------------------------------------------------------------------------------------
// Kernels

registerKernel({
  op: 'Transpose',
  check: dtypeProblem,
  build(ctx, step) {
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    const rank = x.shape.length;
    const perm = (step.attrs.perm as number[] | undefined)?.map((p) => normalizeAxis(p, rank)) ?? x.shape.map((_, i) => rank - 1 - i);
    // Input axis perm[k] is output axis k.
    const at: string[] = new Array<string>(rank);
    perm.forEach((p, k) => (at[p] = `c${k}`));
    return moveDispatch(ctx, x, y, (b) => ({ index: flatIndex(b, x.shape, at) }));
  },
});

// Identity (also lowering's copy of a graph input or constant to an output) and Expand: exact word copies, so
// i64 keeps its high word; Expand reads its operand at the broadcast index of each result element.
registerKernel({
  op: 'Identity',
  check: dtypeProblem,
  build: (ctx, step) => moveDispatch(ctx, step.inputs[0]!, step.outputs[0]!, () => ({ index: 'e' })),
});

registerKernel({
  op: 'Expand',
  check: dtypeProblem,
  build(ctx, step) {
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    return moveDispatch(ctx, x, y, (b) => ({ index: broadcastOffset(b, 'c', x.shape, y.shape) }));
  },
});

/** Slice's first read position and step per axis, or why they are not known at compile time. */
function sliceWindow(step: Step): { start: Dim[]; step: number[] } | string {
  const x = step.inputs[0]!;
  const [starts, axes, steps] = [step.known[1], step.known[3], step.known[4]];
  if (!starts || (step.inputs[3] && !axes) || (step.inputs[4] && !steps)) return 'starts, axes and steps must be known at compile time';
  if (steps && !steps.every((s) => isStaticDim(s) && s !== 0)) return 'steps must be nonzero numbers';
  if (axes && !axes.every(isStaticDim)) return 'axes must be numbers';
  const rank = x.shape.length;
  const start: Dim[] = x.shape.map(() => 0);
  const stepOf: number[] = x.shape.map(() => 1);
  const axisList = axes ? (axes as number[]).map((a) => normalizeAxis(a, rank)) : starts.map((_, i) => i);
  for (let i = 0; i < axisList.length; i++) {
    const a = axisList[i]!;
    const st = (steps?.[i] as number | undefined) ?? 1;
    const p = slicePosition(x.shape[a]!, starts[i]!, st, true);
    if (!p.exact) return `the start ${starts[i]} on axis ${a} of size ${x.shape[a]} may be clamped at run time`;
    start[a] = p.pos;
    stepOf[a] = st;
  }
  return { start, step: stepOf };
}

registerKernel({
  op: 'Slice',
  check: (step) => {
    const w = dtypeProblem(step) ?? sliceWindow(step);
    return typeof w === 'string' ? w : undefined;
  },
  build(ctx, step) {
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    const w = sliceWindow(step) as Exclude<ReturnType<typeof sliceWindow>, string>;
    return moveDispatch(ctx, x, y, (b) => ({
      index: flatIndex(b, x.shape, x.shape.map((_, a) => {
        const st = w.step[a]!;
        const coord = st === 1 ? `c${a}` : `u32(i32(c${a}) * ${st}i)`; // u32 arithmetic wraps: start + (negative)
        return dimEq(w.start[a]!, 0) ? coord : `${b.dim(w.start[a]!)} + ${coord}`;
      })),
    }));
  },
});

registerKernel({
  op: 'Gather',
  check: dtypeProblem,
  build(ctx, step) {
    // out[o.., t.., i..] = x[o.., idx[t..], i..]
    const [x, idx, y] = [step.inputs[0]!, step.inputs[1]!, step.outputs[0]!];
    const axis = normalizeAxis((step.attrs.axis as number | undefined) ?? 0, x.shape.length);
    const k = idx.shape.length;
    return moveDispatch(ctx, x, y, (b) => {
      const pre = axisIndex(b, 'g', b.tensor(idx), flatIndex(b, idx.shape, idx.shape.map((_, t) => `c${axis + t}`)), x.shape[axis]!);
      const at = x.shape.map((_, a) => (a < axis ? `c${a}` : a === axis ? 'g' : `c${a + k - 1}`));
      return { pre, index: flatIndex(b, x.shape, at) };
    });
  },
});

registerKernel({
  op: 'GatherElements',
  check: dtypeProblem,
  build(ctx, step) {
    // out[c] = x[c with its axis coordinate replaced by idx[c]] (idx has out's shape).
    const [x, idx, y] = [step.inputs[0]!, step.inputs[1]!, step.outputs[0]!];
    const axis = normalizeAxis((step.attrs.axis as number | undefined) ?? 0, x.shape.length);
    return moveDispatch(ctx, x, y, (b) => ({
      pre: axisIndex(b, 'g', b.tensor(idx), 'e', x.shape[axis]!),
      index: flatIndex(b, x.shape, coordNames(x.shape.length).map((c, a) => (a === axis ? 'g' : c))),
    }));
  },
});

registerKernel({
  op: 'Concat',
  check: dtypeProblem,
  build(ctx, step) {
    // Each result element reads the operand whose range along the axis holds its coordinate.
    const y = step.outputs[0]!;
    const axis = normalizeAxis(step.attrs.axis as number, y.shape.length);
    const parts = step.inputs.filter((r): r is TensorRef => r !== undefined && !dimEq(r.shape[axis]!, 0));
    return elementDispatch(ctx, y, (b) => {
      const lines = [`var cat: ${rawType(y.dtype)};`];
      let offset: Dim = 0;
      parts.forEach((part, k) => {
        const x = b.tensor(part);
        const at = coordNames(y.shape.length).map((c, a) => (a === axis && !dimEq(offset, 0) ? `${c} - ${b.dim(offset)}` : c));
        const end = dimAdd(offset, part.shape[axis]!);
        const cond = k === parts.length - 1 ? '' : `if (c${axis} < ${b.dim(end)}) `;
        lines.push(`${k === 0 ? '' : '} else '}${cond}{`, `  cat = ${rawLoad(x, flatIndex(b, part.shape, at))};`);
        offset = end;
      });
      lines.push('}');
      return { pre: lines.join('\n'), raw: 'cat' };
    });
  },
});

registerKernel({
  op: 'Split',
  check: dtypeProblem,
  build(ctx, step) {
    // One dispatch per part: part k is the window [offset_k, offset_k + len_k) of the input along the axis.
    const x = step.inputs[0]!;
    const axis = normalizeAxis((step.attrs.axis as number | undefined) ?? 0, x.shape.length);
    let offset: Dim = 0;
    return step.outputs.flatMap((part) => {
      const at = offset;
      offset = dimAdd(offset, part.shape[axis]!);
      return moveDispatch(ctx, x, part, (b) => ({
        index: flatIndex(b, x.shape, coordNames(x.shape.length).map((c, a) => (a === axis && !dimEq(at, 0) ? `${c} + ${b.dim(at)}` : c))),
      }));
    });
  },
});

registerKernel({
  op: 'Tile',
  check: dtypeProblem,
  build(ctx, step) {
    // out[c] = x[c mod x.shape] (the repeats are in the result's type).
    const [x, y] = [step.inputs[0]!, step.outputs[0]!];
    return moveDispatch(ctx, x, y, (b) => ({
      index: flatIndex(b, x.shape, x.shape.map((d, a) => (dimEq(d, y.shape[a]!) ? `c${a}` : `c${a} % ${b.dim(d)}`))),
    }));
  },
});

// ---------------------------------------------------------------------------------------------------------
// Pad

/** max(d, 0) for a dim of known sign; undefined when the sign of a symbolic amount is unknown. */
function positivePart(d: Dim): Dim | undefined {
  if (isStaticDim(d)) return Math.max(d, 0);
  if (dimIsPositive(d)) return d;
  if (dimIsPositive(dimMul(d, -1))) return 0;
  return undefined;
}

interface PadAxis {
  /** Output positions before the data, input positions cropped at the front, input positions kept. */
  readonly padBegin: Dim;
  readonly cropBegin: Dim;
  readonly len: Dim;
  /** No padding and no cropping: the coordinate is used as is. */
  readonly same: boolean;
}

const failer = { fail(message: string): never { throw new Error(message); } };

function padAxes(step: Step): PadAxis[] | string {
  const [x, out] = [step.inputs[0]!, step.outputs[0]!];
  const pads = (step.attrs.pads as number[] | undefined) ?? step.known[1];
  if (!pads) return 'the pads must be known at compile time';
  const axes = (step.attrs.axes as number[] | undefined) ?? step.known[3];
  if (step.inputs[3] && !axes) return 'the axes must be known at compile time';
  if (axes && !axes.every(isStaticDim)) return 'the axes must be numbers';
  const widths = padWidths(failer, x.shape.length, pads, axes as number[] | undefined);
  const plan: PadAxis[] = [];
  for (let a = 0; a < widths.length; a++) {
    const [begin, end] = widths[a]!;
    const [padBegin, padEnd, cropBegin] = [positivePart(begin), positivePart(end), positivePart(dimMul(begin, -1))];
    if (padBegin === undefined || padEnd === undefined || cropBegin === undefined) return `the sign of the pads (${begin}, ${end}) on axis ${a} is not known`;
    plan.push({ padBegin, cropBegin, len: dimSub(dimSub(out.shape[a]!, padBegin), padEnd), same: dimEq(begin, 0) && dimEq(end, 0) });
  }
  return plan;
}

/**
 * Statements declaring `p{a}`: the input position (u32) read on axis a, and, for constant mode, `inside`.
 * With t = c - padBegin: constant reads t when 0 <= t < len; edge clamps t; reflect mirrors it with period
 * 2(len - 1); wrap takes it modulo len (then cropBegin is added).
 */
function padPosition(b: ShaderBuilder, a: number, ax: PadAxis, mode: string): string {
  if (ax.same) return `let p${a} = c${a};`;
  const t = `t${a}`;
  const len = `i32(${b.dim(ax.len)})`;
  const lines = [`let ${t} = i32(c${a})${dimEq(ax.padBegin, 0) ? '' : ` - i32(${b.dim(ax.padBegin)})`};`];
  let pos: string;
  switch (mode) {
    case 'constant':
      lines.push(`inside = inside && ${t} >= 0i && ${t} < ${len};`);
      pos = t;
      break;
    case 'edge':
      pos = `clamp(${t}, 0i, ${len} - 1i)`;
      break;
    case 'wrap':
      pos = `((${t} % ${len}) + ${len}) % ${len}`;
      break;
    default: // reflect: a single element reflects to itself (period 0).
      lines.push(`let q${a} = max(2i * (${len} - 1i), 1i);`, `let m${a} = ((${t} % q${a}) + q${a}) % q${a};`);
      pos = `select(q${a} - m${a}, m${a}, m${a} < ${len})`;
  }
  lines.push(`let p${a} = ${dimEq(ax.cropBegin, 0) ? '' : `${b.dim(ax.cropBegin)} + `}u32(${pos});`);
  return lines.join('\n');
}

registerKernel({
  op: 'Pad',
  check: (step) => {
    const plan = dtypeProblem(step) ?? padAxes(step);
    return typeof plan === 'string' ? plan : undefined;
  },
  build(ctx, step) {
    const [x, out] = [step.inputs[0]!, step.outputs[0]!];
    const plan = padAxes(step) as PadAxis[];
    const mode = (step.attrs.mode as string | undefined) ?? 'constant';
    return elementDispatch(ctx, out, (b) => {
      const xv = b.tensor(x);
      const at = plan.map((ax, a) => padPosition(b, a, ax, mode));
      const si = flatIndex(b, x.shape, plan.map((_, a) => `p${a}`));
      if (mode !== 'constant') return { pre: [...at, `let si = ${si};`].join('\n'), raw: rawLoad(xv, 'si') };
      const cv = step.inputs[2];
      const fill = cv ? rawLoad(b.tensor(cv), '0u') : rawNumber(out.dtype, (step.attrs.value as number | undefined) ?? 0);
      const pre = ['var inside = true;', ...at, `var pv = ${fill};`, `if (inside) { pv = ${rawLoad(xv, si)}; }`];
      return { pre: pre.join('\n'), raw: 'pv' };
    });
  },
});

// ---------------------------------------------------------------------------------------------------------
// Trilu

/** Statements declaring `k` (i32): Trilu's diagonal from the attribute, known contents, or its i64 operand (saturated to i32). */
function triluK(b: ShaderBuilder, step: Step): string {
  const known = (step.attrs.k as number | undefined) ?? step.known[1]?.[0];
  if (known !== undefined) return `let k = ${isStaticDim(known) ? `${known}i` : `i32(${b.dim(known)})`};`;
  if (!step.inputs[1]) return 'let k = 0i;';
  const kt = b.tensor(step.inputs[1]);
  return [`let kw = ${rawLoad(kt, '0u')};`, // beyond i32 the whole matrix is kept (or zeroed): saturate
    'let k = select(bitcast<i32>(kw.x), select(2147483647i, -2147483647i, kw.y >= 0x80000000u), kw.y != select(0u, 0xffffffffu, kw.x >= 0x80000000u));'].join('\n');
}

registerKernel({
  op: 'Trilu',
  check: dtypeProblem,
  build(ctx, step) {
    // Upper keeps columns j >= i + k, lower keeps j <= i + k of the last two dims; the rest is zero.
    const [x, out] = [step.inputs[0]!, step.outputs[0]!];
    const rank = x.shape.length;
    const upper = ((step.attrs.upper as number | undefined) ?? 1) !== 0;
    return elementDispatch(ctx, out, (b) => {
      const xv = b.tensor(x);
      const pre = [triluK(b, step), `let diag = i32(c${rank - 1}) - i32(c${rank - 2});`];
      return { pre: pre.join('\n'), raw: `select(${rawNumber(out.dtype, 0)}, ${rawLoad(xv, 'e')}, diag ${upper ? '>=' : '<='} k)` };
    });
  },
});
