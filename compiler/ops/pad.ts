// Pad: constant, reflect, edge and wrap padding (numpy.pad's rules); negative pads crop first, as the ONNX reference does.

import { type Dim, dimAdd, isStaticDim, shapeToString } from '../ir/dim.js';
import { Tensor, shapeSize, stridesOf } from '../ir/tensor.js';
import { defineOp, attr } from './registry.js';
import { attrOrOperand } from './layout.js';
import { normalizeAxes } from './util.js';

interface Failer {
  fail(message: string): never;
}

const MODES = ['constant', 'reflect', 'edge', 'wrap'] as const;
type Mode = (typeof MODES)[number];

/**
 * Per axis of the input, the (begin, end) amounts: `pads` holds all begins then all ends, for every axis or
 * for the listed `axes` (opset 18); axes not listed get 0.
 */
export function padWidths(ctx: Failer, rank: number, pads: readonly Dim[], axes: readonly number[] | undefined): [Dim, Dim][] {
  const axisList = axes ? normalizeAxes(ctx, axes, rank) : Array.from({ length: rank }, (_, i) => i);
  if (pads.length !== 2 * axisList.length) {
    ctx.fail(`pads has ${pads.length} elements [${pads.join(', ')}], expected ${2 * axisList.length} (2 per ${axes ? 'listed axis' : `axis of the rank-${rank} input`})`);
  }
  const widths: [Dim, Dim][] = Array.from({ length: rank }, () => [0, 0]);
  axisList.forEach((a, i) => {
    widths[a] = [pads[i]!, pads[axisList.length + i]!];
  });
  return widths;
}

function checkMode(ctx: Failer, mode: string): Mode {
  if (!(MODES as readonly string[]).includes(mode)) ctx.fail(`mode '${mode}' is not one of ${MODES.join(', ')}`);
  return mode as Mode;
}

/**
 * The padded size of one axis of length `dim` (begin, end amounts), checked as evaluation needs it: not negative,
 * and for reflect/edge/wrap at least one element left after cropping. The type rule uses it without the map.
 */
function axisSize(ctx: Failer, axis: number, dim: number, begin: number, end: number, mode: Mode): number {
  const out = dim + begin + end;
  if (!Number.isSafeInteger(out)) ctx.fail(`pads (${begin}, ${end}) on axis ${axis} of size ${dim} give the size ${out}, which is not a valid dimension`);
  if (out < 0) ctx.fail(`pads (${begin}, ${end}) on axis ${axis} of size ${dim} give a negative size ${out}`);
  const len = dim - Math.max(-begin, 0) - Math.max(-end, 0);
  const padded = begin > 0 || end > 0;
  if (mode !== 'constant' && padded && len < 1) {
    ctx.fail(`${mode} padding of axis ${axis} needs at least one element after cropping, the axis has ${Math.max(len, 0)}`);
  }
  return out;
}

/**
 * For one axis of length `dim` padded by (begin, end): the input position each output position reads, or -1 for
 * the constant. Negative amounts crop first; the mode then pads the cropped range [cropBegin, dim - cropEnd).
 */
function axisMap(ctx: Failer, axis: number, dim: number, begin: number, end: number, mode: Mode): Int32Array {
  const out = axisSize(ctx, axis, dim, begin, end, mode);
  const cropBegin = Math.max(-begin, 0);
  const len = dim - cropBegin - Math.max(-end, 0);
  const padBegin = Math.max(begin, 0);
  const period = 2 * (len - 1);
  const map = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    let t = o - padBegin;
    if (t < 0 || t >= len) {
      switch (mode) {
        case 'constant': t = -1; break;
        case 'edge': t = Math.min(Math.max(t, 0), len - 1); break;
        // numpy's reflect: mirror images repeat with period 2(len - 1), so pads may exceed len - 1 (the ONNX
        // operator example pads 2 on an axis of 2); a single element reflects to itself.
        case 'reflect': {
          const r = period === 0 ? 0 : ((t % period) + period) % period;
          t = r < len ? r : period - r;
          break;
        }
        case 'wrap': t = ((t % len) + len) % len; break;
      }
    }
    map[o] = t < 0 ? -1 : cropBegin + t;
  }
  return map;
}

/** The padded tensor: every output element copies its source element or takes `fill` (raw storage, any dtype). */
function padTensor(ctx: Failer, x: Tensor, widths: readonly [number, number][], mode: Mode, fill: number | bigint): Tensor {
  const maps = x.shape.map((d, a) => axisMap(ctx, a, d, widths[a]![0], widths[a]![1], mode));
  const shape = maps.map((m) => m.length);
  const out = Tensor.zeros(x.dtype, shape);
  const src = x.data as unknown as readonly (number | bigint)[];
  const dst = out.data as unknown as (number | bigint)[];
  const strides = stridesOf(x.shape);
  const rank = shape.length;
  const counter = new Array<number>(rank).fill(0);
  for (let j = 0, n = shapeSize(shape); j < n; j++) {
    let k = 0;
    for (let d = 0; d < rank && k >= 0; d++) {
      const m = maps[d]![counter[d]!]!;
      k = m < 0 ? -1 : k + m * strides[d]!;
    }
    dst[j] = k < 0 ? fill : src[k]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d]! < shape[d]!) break;
      counter[d] = 0;
    }
  }
  return out;
}

export const Pad = defineOp({
  name: 'Pad',
  summary: 'pads (or, with negative amounts, crops) each axis: constant, reflect, edge or wrap',
  inputs: [
    { name: 'data' },
    { name: 'pads', optional: true, constantToAttr: 'pads' },
    { name: 'constant_value', optional: true },
    { name: 'axes', optional: true, constantToAttr: 'axes' },
  ],
  outputs: [{ name: 'output' }],
  // `pads` and `value` are also the attributes of opsets 2-10.
  attrs: { mode: attr.string('constant'), pads: attr.ints(), axes: attr.ints(), value: attr.float() },
  infer(ctx) {
    const x = ctx.input(0);
    const rank = x.shape.length;
    checkMode(ctx, ctx.attrs.mode);
    if (ctx.attrs.pads && ctx.inputs[1]) ctx.fail("'pads' is given both as an attribute and as operand 1");
    const axes = attrOrOperand(ctx, 'axes', ctx.attrs.axes, 3, () => ctx.symbolic(3));
    const cv = ctx.inputs[2];
    if (cv) {
      if (cv.dtype !== x.dtype) ctx.fail(`constant_value has dtype ${cv.dtype}, the data has ${x.dtype}`);
      if (cv.shape.length > 1 || (cv.shape.length === 1 && cv.shape[0] !== 1)) ctx.fail(`constant_value must be a scalar, got shape ${shapeToString(cv.shape)}`);
    }
    let pads: readonly Dim[] | undefined = ctx.attrs.pads;
    if (!pads) {
      const p = ctx.inputs[1] ?? ctx.fail("'pads' is required");
      if (p.dtype !== 'i64' || p.shape.length !== 1) ctx.fail(`operand 'pads' must be a 1-D i64 tensor, got ${p.dtype}${shapeToString(p.shape)}`);
      pads = ctx.symbolic(1);
      // Unknown amounts: check the count, and the padded dims are new symbols.
      if (!pads) {
        const count = p.shape[0]!;
        const expected = 2 * (axes?.length ?? rank);
        if (isStaticDim(count) && count !== expected) ctx.fail(`pads has ${count} elements, expected ${expected}`);
        const padded = new Set(axes ? normalizeAxes(ctx, axes, rank) : x.shape.map((_, i) => i));
        return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (padded.has(i) ? ctx.freshDim('pad') : d)) }];
      }
    }
    const widths = padWidths(ctx, rank, pads, axes);
    const shape = x.shape.map((d, i) => {
      const [b, e] = widths[i]!;
      if (isStaticDim(d) && isStaticDim(b) && isStaticDim(e)) {
        // The same checks as evaluation: a negative size, reflect/edge/wrap on too short an axis.
        return axisSize(ctx, i, d, b, e, ctx.attrs.mode as Mode);
      }
      const size = dimAdd(dimAdd(d, b), e);
      if (isStaticDim(size) && size < 0) ctx.fail(`pads (${b}, ${e}) on axis ${i} of size ${d} give a negative size ${size}`);
      // Pad does not clamp: the size is exactly this (or the run fails), so a symbolic sum is exact.
      return size;
    });
    return [{ dtype: x.dtype, shape }];
  },
  evaluate(ctx) {
    const x = ctx.input(0);
    const mode = checkMode(ctx, ctx.attrs.mode);
    const pads = ctx.attrs.pads ?? ctx.input(1).toNumbers();
    const axes = attrOrOperand(ctx, 'axes', ctx.attrs.axes, 3, () => ctx.input(3).toNumbers());
    const widths = padWidths(ctx, x.rank, pads, axes) as [number, number][];
    const cv = ctx.inputs[2];
    const fill = cv ? (cv.data as unknown as readonly (number | bigint)[])[0]! : Tensor.fromNumbers(x.dtype, [1], [ctx.attrs.value ?? 0]).data[0]!;
    return [padTensor(ctx, x, widths, mode, fill)];
  },
});
