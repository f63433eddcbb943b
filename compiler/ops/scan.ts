// Scans along one axis: CumSum (inclusive or exclusive, forward or reverse), with its symbolic propagation.

import { type Dim, dimAdd, isStaticDim, shapeToString } from '../ir/dim.js';
import { dtypeInfo } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';
import { defineOp, attr } from './registry.js';
import { staticShape } from './layout.js';
import { normalizeAxis } from './util.js';

interface Failer {
  fail(message: string): never;
}

/**
 * A running sum over one axis of a row-major tensor of `shape`, for any element kind (float64, bigint, Dim):
 * `exclusive` leaves out the element itself, `reverse` runs from the end. One routine for evaluation and for
 * symbolic contents, so the two cannot disagree.
 */
export function scanAxis<T>(
  values: readonly T[], shape: readonly number[], axis: number, zero: T, add: (a: T, b: T) => T,
  exclusive: boolean, reverse: boolean,
): T[] {
  const len = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const out = new Array<T>(values.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = zero;
      for (let s = 0; s < len; s++) {
        const j = (o * len + (reverse ? len - 1 - s : s)) * inner + i;
        if (exclusive) {
          out[j] = acc;
          acc = add(acc, values[j]!);
        } else {
          acc = add(acc, values[j]!);
          out[j] = acc;
        }
      }
    }
  }
  return out;
}

/** CumSum's axis: the attribute (from a constant operand) or, at run time, operand 1. */
function cumsumAxis(ctx: Failer, attrAxis: number | undefined, operand: Tensor | undefined, rank: number): number {
  if (attrAxis !== undefined) return normalizeAxis(ctx, attrAxis, rank);
  if (!operand) ctx.fail("the 'axis' operand is required");
  if (operand.size !== 1) ctx.fail(`'axis' must hold one element, got shape ${shapeToString(operand.shape)}`);
  return normalizeAxis(ctx, operand.get(0), rank);
}

export const CumSum = defineOp({
  name: 'CumSum',
  summary: 'running sums along an axis (exclusive: without the element itself; reverse: from the end)',
  inputs: [{ name: 'x' }, { name: 'axis', optional: true, constantToAttr: 'axis' }],
  outputs: [{ name: 'y' }],
  attrs: { exclusive: attr.int(0), reverse: attr.int(0), axis: attr.int() },
  infer(ctx) {
    const x = ctx.input(0);
    if (x.shape.length === 0) ctx.fail('the input must have rank >= 1, got a scalar');
    if (dtypeInfo(x.dtype).kind === 'bool') ctx.fail('CumSum needs numeric operands, got bool');
    const axis = ctx.inputs[1];
    if (ctx.attrs.axis !== undefined && axis) ctx.fail("'axis' is given both as an attribute and as operand 1");
    if (ctx.attrs.axis === undefined && !axis) ctx.fail("the 'axis' operand is required");
    if (ctx.attrs.axis !== undefined) normalizeAxis(ctx, ctx.attrs.axis, x.shape.length);
    if (axis && (!(axis.dtype === 'i32' || axis.dtype === 'i64') || axis.shape.length > 1 || (axis.shape.length === 1 && axis.shape[0] !== 1))) {
      ctx.fail(`operand 'axis' must be an i32 or i64 scalar, got ${axis.dtype}${shapeToString(axis.shape)}`);
    }
    return [x];
  },
  evaluate(ctx) {
    const x = ctx.input(0);
    const axis = cumsumAxis(ctx, ctx.attrs.axis, ctx.inputs[1], x.rank);
    const exclusive = ctx.attrs.exclusive !== 0;
    const reverse = ctx.attrs.reverse !== 0;
    if (dtypeInfo(x.dtype).big) {
      // 64-bit integers: exact, wrapping as the stored type does.
      const out = Tensor.zeros(x.dtype, x.shape);
      const sums = scanAxis(Array.from(x.data as BigInt64Array), x.shape, axis, 0n, (a, b) => a + b, exclusive, reverse);
      (out.data as BigInt64Array).set(sums.map((v) => (x.dtype === 'i64' ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v))));
      return [out];
    }
    const sums = scanAxis(Array.from(x.toFloat64()), x.shape, axis, 0, (a, b) => a + b, exclusive, reverse);
    return [Tensor.fromNumbers(x.dtype, x.shape, sums)];
  },
  symbolic(ctx) {
    const s = ctx.symbolic(0);
    const shape = staticShape(ctx.inputs[0]);
    const given = ctx.attrs.axis ?? ctx.symbolic(1)?.[0];
    if (!s || !shape || given === undefined || !isStaticDim(given)) return [undefined];
    const axis = normalizeAxis(ctx, given, shape.length);
    return [scanAxis<Dim>(s, shape, axis, 0, dimAdd, ctx.attrs.exclusive !== 0, ctx.attrs.reverse !== 0)];
  },
});
