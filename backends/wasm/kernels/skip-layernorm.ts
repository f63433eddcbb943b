// SkipLayerNormalization: Y = LayerNorm(X + skip + bias) over the last axis, with the add fused into the
// LayerNorm row pass of layernorm.ts (the mean pass computes the sum, stores it to the optional `sum` result, or
// to Y as scratch, and the variance and normalize passes read it back while it is in cache).

import binaryen from 'binaryen';
import { type Dim, dimEq, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, registerKernel } from '../kernel.js';
import { formOf, layerNormFunction } from './layernorm.js';

/**
 * Rows of X, the normalized size, and how many rows `skip` holds: skip broadcasts to X by repeating its rows
 * (its shape, leading 1s dropped, is a suffix of X's), so skip row r is row r mod skipRows. Undefined when the
 * broadcast is of another kind (e.g. along a middle axis).
 */
function skipShape(step: Pick<Step, 'inputs'>): { rows: Dim; size: Dim; skipRows: Dim } | undefined {
  const [x, skip] = step.inputs as [TensorRef, TensorRef];
  const size = x.shape[x.shape.length - 1]!;
  const rows = dimsProduct(x.shape.slice(0, -1));
  const lead = skip.shape.findIndex((d) => d !== 1);
  const own = lead < 0 ? [] : skip.shape.slice(lead);
  if (own.length === 0) return dimEq(size, 1) ? { rows, size, skipRows: 1 } : undefined;
  const suffix = x.shape.slice(x.shape.length - own.length);
  if (!own.every((d, k) => dimEq(d, suffix[k]!))) return undefined;
  return { rows, size, skipRows: dimsProduct(own.slice(0, -1)) };
}

registerKernel({
  op: 'SkipLayerNormalization',
  check(step) {
    if (step.outputs[0]!.dtype !== 'f32') return `SkipLayerNormalization on ${step.outputs[0]!.dtype} is not supported by the wasm backend (f32 only)`;
    if (!skipShape(step)) {
      return `skip of shape [${step.inputs[1]!.shape.join(', ')}] broadcasts to X [${step.inputs[0]!.shape.join(', ')}] along a middle axis; only whole trailing rows are supported`;
    }
    return undefined;
  },
  emit(ctx, step) {
    const [x, skip, gamma, beta, bias] = step.inputs as [TensorRef, TensorRef, TensorRef, TensorRef | undefined, TensorRef | undefined];
    const [y, sum] = step.outputs as [TensorRef, TensorRef | undefined];
    const { rows, size, skipRows } = skipShape(step)!;
    // gamma, beta and bias are [hidden] (the op's type rule): full rows.
    const fn = layerNormFunction(ctx, formOf(gamma, size)!, formOf(beta, size)!, 0, step.attrs.epsilon as number, { bias: bias !== undefined });
    const m = ctx.module;
    const ptrOr0 = (t: TensorRef | undefined): Expr => (t ? ctx.ptr(t) : m.i32.const(0));
    return m.call(fn, [
      ctx.ptr(x), ctx.ptr(gamma), ptrOr0(beta), ctx.ptr(y), m.i32.const(0), m.i32.const(0), ctx.dim(rows), ctx.dim(size),
      ctx.ptr(skip), ctx.dim(skipRows), ptrOr0(bias), ctx.ptr(sum ?? y),
    ], binaryen.none);
  },
});
