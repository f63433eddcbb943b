// Ops the fusion passes produce, with their reference semantics: Gelu (ONNX opset 20: exact erf form or tanh
// approximation), Linear (matmul + bias + activation + residual epilogue) and SkipLayerNormalization.
// LayerNorm fusions produce the ONNX LayerNormalization op of normalization.ts; Attention is in attention.ts.

import { dimEq, shapeToString, shapesEqual } from '../ir/dim.js';
import { dtypeInfo } from '../ir/dtype.js';
import { Tensor, shapeSize } from '../ir/tensor.js';
import { erf } from './elementwise.js';
import { attr, defineOp } from './registry.js';
import { broadcastShapes, broadcastValues } from './util.js';

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** x·Φ(x) = 0.5·x·(1 + erf(x/√2)). */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x * SQRT1_2));
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the approximation GPT-2 uses. */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

const GELU_FORMS: Readonly<Record<string, (x: number) => number>> = { none: geluErf, tanh: geluTanh };

export const Gelu = defineOp({
  name: 'Gelu',
  summary: 'x·Φ(x) with the exact erf (approximate="none") or the tanh approximation (approximate="tanh")',
  inputs: [{ name: 'X' }],
  outputs: [{ name: 'Y' }],
  attrs: { approximate: attr.string('none') },
  infer(ctx) {
    const x = ctx.input(0);
    if (dtypeInfo(x.dtype).kind !== 'float') ctx.fail(`operand 'X' has dtype ${x.dtype}, but Gelu needs a floating-point dtype`);
    if (!(ctx.attrs.approximate in GELU_FORMS)) ctx.fail(`approximate must be "none" or "tanh", got ${JSON.stringify(ctx.attrs.approximate)}`);
    return [x];
  },
  evaluate(ctx) {
    const x = ctx.input(0);
    const f = GELU_FORMS[ctx.attrs.approximate]!;
    const v = x.toFloat64();
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = f(v[i]!);
    return [Tensor.fromNumbers(x.dtype, x.shape, out)];
  },
});

/** Activations a Linear epilogue may apply (before the residual add). */
export const LINEAR_ACTIVATIONS: Readonly<Record<string, (x: number) => number>> = {
  none: (x) => x,
  relu: (x) => (x > 0 ? x : 0),
  gelu: geluErf,
  gelu_tanh: geluTanh,
};

export const Linear = defineOp({
  name: 'Linear',
  summary: 'activation(X·W + bias) + residual over the last axis of X (W is [K, N], or [N, K] with trans_b=1)',
  inputs: [{ name: 'X' }, { name: 'W' }, { name: 'bias', optional: true }, { name: 'residual', optional: true }],
  outputs: [{ name: 'Y' }],
  attrs: { trans_b: attr.int(0), activation: attr.string('none') },
  infer(ctx) {
    const [x, w, bias, residual] = [ctx.input(0), ctx.input(1), ctx.inputs[2], ctx.inputs[3]];
    if (dtypeInfo(x.dtype).kind !== 'float') ctx.fail(`X has dtype ${x.dtype}; Linear needs floats`);
    for (const [name, t] of [['W', w], ['bias', bias], ['residual', residual]] as const) {
      if (t && t.dtype !== x.dtype) ctx.fail(`operand dtypes differ: X is ${x.dtype}, ${name} is ${t.dtype}`);
    }
    if (!(ctx.attrs.activation in LINEAR_ACTIVATIONS)) {
      ctx.fail(`activation must be one of ${Object.keys(LINEAR_ACTIVATIONS).join(', ')}, got '${ctx.attrs.activation}'`);
    }
    if (x.shape.length < 1 || w.shape.length !== 2) ctx.fail(`X ${shapeToString(x.shape)} must have rank >= 1 and W ${shapeToString(w.shape)} rank 2`);
    const [k, n] = ctx.attrs.trans_b ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
    if (!dimEq(x.shape[x.shape.length - 1]!, k)) ctx.fail(`contracted dimensions differ: X ${shapeToString(x.shape)} vs W ${shapeToString(w.shape)}${ctx.attrs.trans_b ? ' (transposed)' : ''}`);
    const out = [...x.shape.slice(0, -1), n];
    if (bias && !(bias.shape.length === 1 && dimEq(bias.shape[0]!, n))) ctx.fail(`bias ${shapeToString(bias.shape)} must be [${n}]`);
    if (residual && !shapesEqual(broadcastShapes(ctx, [out, residual.shape]), out)) {
      ctx.fail(`residual ${shapeToString(residual.shape)} does not broadcast to the result ${shapeToString(out)}`);
    }
    return [{ dtype: x.dtype, shape: out }];
  },
  evaluate(ctx) {
    const [x, w, bias, residual] = [ctx.input(0), ctx.input(1), ctx.inputs[2], ctx.inputs[3]];
    const transB = ctx.attrs.trans_b === 1;
    const [k, n] = transB ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
    const rows = k === 0 ? shapeSize(x.shape.slice(0, -1)) : x.size / k;
    const outShape = [...x.shape.slice(0, -1), n];
    const [xv, wv] = [x.toFloat64(), w.toFloat64()];
    const bv = bias?.toFloat64();
    const rv = residual ? broadcastValues(residual, outShape) : undefined;
    const act = LINEAR_ACTIVATIONS[ctx.attrs.activation]!;
    const out = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += xv[r * k + q]! * wv[transB ? j * k + q : q * n + j]!;
        const y = act(acc + (bv ? bv[j]! : 0));
        out[r * n + j] = rv ? y + rv[r * n + j]! : y;
      }
    }
    return [Tensor.fromNumbers(x.dtype, outShape, out)];
  },
});

export const SkipLayerNormalization = defineOp({
  name: 'SkipLayerNormalization',
  summary: 'LayerNorm over the last axis of (X + skip + bias); the sum is the optional second result',
  inputs: [{ name: 'X' }, { name: 'skip' }, { name: 'gamma' }, { name: 'beta', optional: true }, { name: 'bias', optional: true }],
  outputs: [{ name: 'Y' }, { name: 'sum', optional: true }],
  attrs: { epsilon: attr.float(1e-5) },
  infer(ctx) {
    const [x, skip] = [ctx.input(0), ctx.input(1)];
    if (dtypeInfo(x.dtype).kind !== 'float') ctx.fail(`X has dtype ${x.dtype}; SkipLayerNormalization needs floats`);
    if (x.shape.length < 1) ctx.fail('X must have rank >= 1');
    if (skip.dtype !== x.dtype) ctx.fail(`operand dtypes differ: X is ${x.dtype}, skip is ${skip.dtype}`);
    if (!shapesEqual(broadcastShapes(ctx, [x.shape, skip.shape]), x.shape)) {
      ctx.fail(`skip ${shapeToString(skip.shape)} does not broadcast to X ${shapeToString(x.shape)}`);
    }
    const hidden = x.shape[x.shape.length - 1]!;
    for (const [i, name] of [[2, 'gamma'], [3, 'beta'], [4, 'bias']] as const) {
      const t = ctx.inputs[i];
      if (!t) continue;
      if (t.dtype !== x.dtype) ctx.fail(`operand dtypes differ: X is ${x.dtype}, ${name} is ${t.dtype}`);
      if (!(t.shape.length === 1 && dimEq(t.shape[0]!, hidden))) ctx.fail(`${name} ${shapeToString(t.shape)} must be [${hidden}]`);
    }
    return [x, x];
  },
  evaluate(ctx) {
    const [x, skip, gamma, beta, bias] = [ctx.input(0), ctx.input(1), ctx.input(2), ctx.inputs[3], ctx.inputs[4]];
    const hidden = x.shape[x.rank - 1]!;
    const rows = hidden === 0 ? 0 : x.size / hidden;
    const [xv, sv, gv] = [x.toFloat64(), broadcastValues(skip, x.shape), gamma.toFloat64()];
    const [bv, biasv] = [beta?.toFloat64(), bias?.toFloat64()];
    const sum = new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) sum[i] = Math.fround(xv[i]! + sv[i]! + (biasv ? biasv[i % hidden]! : 0));
    const y = new Float64Array(x.size);
    for (let r = 0; r < rows; r++) {
      const row = sum.subarray(r * hidden, (r + 1) * hidden);
      const mu = row.reduce((a, v) => a + v, 0) / hidden;
      const variance = row.reduce((a, v) => a + (v - mu) * (v - mu), 0) / hidden;
      const is = 1 / Math.sqrt(variance + ctx.attrs.epsilon);
      for (let j = 0; j < hidden; j++) y[r * hidden + j] = (row[j]! - mu) * is * gv[j]! + (bv ? bv[j]! : 0);
    }
    return [Tensor.fromNumbers(x.dtype, x.shape, y), Tensor.fromNumbers(x.dtype, x.shape, sum)];
  },
});
