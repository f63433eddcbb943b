// The fused Linear op: Y = activation(X·W + bias) + residual as one GEMM whose store applies bias, activation
// (relu, GELU erf / tanh forms) and the residual add; X's leading dims (symbolic or not) flatten into M, and a
// constant W is packed at compile time into the GEMM's panel layout (trans_b folded into the packing).

import { type Dim, dimEq, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { registerKernel } from '../kernel.js';
import { PANEL_LAYOUT, packWeightTensor } from '../pack.js';
import { type GemmEpilogue, emitGemm, gemmActivations } from './gemm.js';

/** Linear's operands and GEMM dims: X [..., K] · W [K, N] (or [N, K] with trans_b) -> Y [..., N]. */
function linearDims(step: Pick<Step, 'inputs' | 'outputs' | 'attrs'>): { M: Dim; K: Dim; N: Dim } {
  const x = step.inputs[0]!;
  const y = step.outputs[0]!;
  return { M: dimsProduct(x.shape.slice(0, -1)), K: x.shape[x.shape.length - 1]!, N: y.shape[y.shape.length - 1]! };
}

registerKernel({
  op: 'Linear',
  check(step) {
    const y = step.outputs[0]!;
    if (y.dtype !== 'f32') return `Linear on ${y.dtype} is not supported by the wasm backend (f32 only)`;
    const activation = step.attrs.activation as string;
    if (activation !== 'none' && !gemmActivations.has(activation)) return `Linear activation '${activation}' has no wasm epilogue`;
    const residual = step.inputs[3];
    // The store reads the residual as an [M, N] matrix: it must have the result's elements (leading 1s aside).
    if (residual && !dimEq(dimsProduct(residual.shape), dimsProduct(y.shape))) {
      return `a residual of shape [${residual.shape.join(', ')}] broadcast to the result [${y.shape.join(', ')}] is not supported (only one of the result's size)`;
    }
    return undefined;
  },
  packWeight(step, index, t) {
    if (index !== 1 || t.dtype !== 'f32' || t.rank !== 2) return undefined;
    const transB = step.attrs.trans_b === 1;
    return { layout: PANEL_LAYOUT, pack: (w) => packWeightTensor(w, transB) };
  },
  emit(ctx, step) {
    const [x, w, bias, residual] = step.inputs as [TensorRef, TensorRef, TensorRef | undefined, TensorRef | undefined];
    const activation = step.attrs.activation as string;
    const epilogue: GemmEpilogue = {
      alpha: 1,
      ...(bias ? { bias: { form: 'row', beta: 1 } } : {}),
      ...(activation !== 'none' ? { activation } : {}),
      ...(residual ? { residual: true } : {}),
    };
    const { M, K, N } = linearDims(step);
    return emitGemm(ctx, {
      a: x, b: w, c: step.outputs[0]!, M, K, N, transA: false, transB: step.attrs.trans_b === 1, epilogue,
      ...(bias ? { bias } : {}), ...(residual ? { residual } : {}),
    });
  },
});
