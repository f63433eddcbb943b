// Normalizations: LayerNormalization (opset 17, with the Mean and InvStdDev outputs) and inference-mode BatchNormalization.

import { type Dim, dimEq, shapeToString, shapesEqual } from '../ir/dim.js';
import { dtypeFromOnnx, dtypeInfo } from '../ir/dtype.js';
import type { TensorType } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { type InferContext, attr, defineOp } from './registry.js';
import { broadcastShapes, broadcastValues, normalizeAxis } from './util.js';

type Ctx = InferContext<Readonly<Record<string, unknown>>>;

function checkFloat(ctx: Ctx, port: string, t: TensorType): void {
  if (dtypeInfo(t.dtype).kind !== 'float') ctx.fail(`operand '${port}' has dtype ${t.dtype}, but ${ctx.node.op} needs a floating-point dtype`);
}

/** Fails unless `t` broadcasts to `target` without changing it (unidirectional broadcasting). */
function checkBroadcastsTo(ctx: Ctx, port: string, t: TensorType, target: readonly Dim[], targetText: string): void {
  const fail = (): never => ctx.fail(`${port} of shape ${shapeToString(t.shape)} does not broadcast to ${targetText} ${shapeToString(target)}`);
  if (t.shape.length > target.length) fail();
  if (!shapesEqual(broadcastShapes({ fail, freshDim: ctx.freshDim }, [target, t.shape]), target)) fail();
}

export const LayerNormalization = defineOp({
  name: 'LayerNormalization',
  summary: '(X - mean) / sqrt(var + epsilon) * Scale + B over the dims from axis on; optionally Mean and InvStdDev',
  inputs: [{ name: 'X' }, { name: 'Scale' }, { name: 'B', optional: true }],
  outputs: [{ name: 'Y' }, { name: 'Mean', optional: true }, { name: 'InvStdDev', optional: true }],
  attrs: { axis: attr.int(-1), epsilon: attr.float(1e-5), stash_type: attr.int(1) },
  infer(ctx) {
    const [x, scale, b] = [ctx.input(0), ctx.input(1), ctx.inputs[2]];
    checkFloat(ctx, 'X', x);
    const axis = normalizeAxis(ctx, ctx.attrs.axis, x.shape.length);
    for (const [port, t] of [['Scale', scale], ['B', b]] as const) {
      if (!t) continue;
      if (t.dtype !== x.dtype) ctx.fail(`operand dtypes differ: X is ${x.dtype}, ${port} is ${t.dtype}`);
      checkBroadcastsTo(ctx, port, t, x.shape.slice(axis), 'the normalized shape');
    }
    const stash = dtypeFromOnnx(ctx.attrs.stash_type);
    if (!stash || dtypeInfo(stash).kind !== 'float') ctx.fail(`stash_type ${ctx.attrs.stash_type} is not a floating-point type`);
    const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
    return [x, { dtype: stash!, shape: statShape }, { dtype: stash!, shape: statShape }];
  },
  evaluate(ctx) {
    const [x, scale, b] = [ctx.input(0), ctx.input(1), ctx.inputs[2]];
    const axis = normalizeAxis(ctx, ctx.attrs.axis, x.rank);
    const normShape = x.shape.slice(axis);
    const size = normShape.reduce((a, d) => a * d, 1);
    const rows = size === 0 ? 0 : x.size / size;
    const [xv, sv, bv] = [x.toFloat64(), broadcastValues(scale, normShape), b ? broadcastValues(b, normShape) : undefined];
    const [y, mean, inv] = [new Float64Array(x.size), new Float64Array(rows), new Float64Array(rows)];
    for (let r = 0; r < rows; r++) {
      const row = xv.subarray(r * size, (r + 1) * size);
      const mu = row.reduce((a, v) => a + v, 0) / size;
      const variance = row.reduce((a, v) => a + (v - mu) * (v - mu), 0) / size;
      const is = 1 / Math.sqrt(variance + ctx.attrs.epsilon);
      for (let j = 0; j < size; j++) y[r * size + j] = (row[j]! - mu) * is * sv[j]! + (bv ? bv[j]! : 0);
      [mean[r], inv[r]] = [mu, is];
    }
    const stash = dtypeFromOnnx(ctx.attrs.stash_type)!;
    const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
    return [Tensor.fromNumbers(x.dtype, x.shape, y), Tensor.fromNumbers(stash, statShape, mean), Tensor.fromNumbers(stash, statShape, inv)];
  },
});

export const BatchNormalization = defineOp({
  name: 'BatchNormalization',
  summary: 'inference mode: (X - input_mean) / sqrt(input_var + epsilon) * scale + B per channel (dim 1)',
  inputs: [{ name: 'X' }, { name: 'scale' }, { name: 'B' }, { name: 'input_mean' }, { name: 'input_var' }],
  outputs: [{ name: 'Y' }, { name: 'running_mean', optional: true }, { name: 'running_var', optional: true }],
  attrs: { epsilon: attr.float(1e-5), momentum: attr.float(0.9), training_mode: attr.int(0) },
  infer(ctx) {
    const x = ctx.input(0);
    checkFloat(ctx, 'X', x);
    if (ctx.attrs.training_mode !== 0) ctx.fail('training mode (running_mean / running_var outputs) is not supported; xfc is inference only');
    if (x.shape.length < 2) ctx.fail(`X must be [N, C, ...], got ${shapeToString(x.shape)}`);
    const c = x.shape[1]!;
    ['scale', 'B', 'input_mean', 'input_var'].forEach((port, k) => {
      const t = ctx.input(k + 1);
      checkFloat(ctx, port, t);
      if (t.shape.length !== 1 || !dimEq(t.shape[0]!, c)) ctx.fail(`${port} must have shape [${c}] (the channels of X ${shapeToString(x.shape)}), got ${shapeToString(t.shape)}`);
    });
    // In inference mode the running statistics are the given ones, unchanged.
    return [x, ctx.input(3), ctx.input(4)];
  },
  evaluate(ctx) {
    const x = ctx.input(0);
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => ctx.input(i).toFloat64());
    const channels = x.shape[1]!;
    const inner = x.shape.slice(2).reduce((a, d) => a * d, 1);
    const xv = x.toFloat64();
    const y = new Float64Array(x.size);
    for (let i = 0; i < y.length; i++) {
      const c = Math.floor(i / inner) % channels;
      y[i] = ((xv[i]! - mean![c]!) / Math.sqrt(variance![c]! + ctx.attrs.epsilon)) * scale![c]! + bias![c]!;
    }
    return [Tensor.fromNumbers(x.dtype, x.shape, y), ctx.input(3), ctx.input(4)];
  },
});
