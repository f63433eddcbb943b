// WebGPU elementwise kernels against the interpreter: unary, binary with broadcasting, symbolic dims, Cast, Where, compares.

import { describe, expect, it } from 'vitest';
import { randomTensor } from '../helpers.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { checkOp, gpuUnavailable, oneNode } from './gpu.js';

async function check(op: string, inputs: Parameters<typeof oneNode>[1], attrs = {}, symbolic?: Parameters<typeof oneNode>[3], tol = 1e-6): Promise<void> {
  await checkOp(op, inputs, attrs, { symbolic, tol });
}

describe.skipIf(gpuUnavailable)('webgpu elementwise', () => {
  it('unary float ops', async () => {
    for (const op of ['Exp', 'Tanh', 'Erf', 'Sigmoid', 'Neg', 'Abs', 'Relu', 'Sqrt', 'Gelu']) {
      const x = randomTensor('f32', [3, 5], 7, op === 'Sqrt' ? 0 : -3, 3);
      await check(op, [x], {}, undefined, 2e-6);
    }
    await check('Gelu', [randomTensor('f32', [2, 7], 3, -4, 4)], { approximate: 'tanh' }, undefined, 2e-6);
  });
  it('binary ops broadcast both ways, with weights and odd shapes', async () => {
    for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min']) {
      await check(op, [randomTensor('f32', [2, 3, 5], 1), randomTensor('f32', [3, 1], 2, 0.5, 2)]);
      await check(op, [randomTensor('f32', [1, 5], 3), { constant: randomTensor('f32', [4, 1], 4, 0.5, 2) }]);
    }
    await check('Pow', [randomTensor('f32', [2, 3], 1, 0.5, 2), randomTensor('f32', [3], 2)]);
    // Negative bases with integer exponents (x² of RMSNorm), a fractional exponent of a negative base (NaN), 0^-1.
    const base = Tensor.fromNumbers('f32', [10], [-1.5, -0.75, 2.5, -3, 0, 0, -2, 1.25, -0.5, 3]);
    const exponent = Tensor.fromNumbers('f32', [10], [2, 3, -2, 0, -1, 2, 0.5, 0.5, 70, 1.5]);
    await check('Pow', [base, exponent]);
    await check('Pow', [randomTensor('f32', [4, 5], 3, -3, 3), { constant: Tensor.fromNumbers('f32', [], [2]) }]);
    await check('Pow', [Tensor.fromNumbers('i32', [6], [2, -3, 5, -1, 1, 7]), Tensor.fromNumbers('i32', [6], [3, 3, 0, -3, -5, 2])]);
  });
  it('NaN goes through as in the reference (Relu gives 0; Softmax rows), whatever the driver does with NaN in builtins', async () => {
    const x = Tensor.fromNumbers('f32', [4], [Number.NaN, -1.5, 0.25, 3]);
    const y = Tensor.fromNumbers('f32', [4], [1, Number.NaN, -2, 0.5]);
    for (const op of ['Relu', 'Tanh', 'Sigmoid', 'Erf', 'Exp', 'Abs', 'Floor', 'LeakyRelu', 'HardSigmoid', 'Gelu']) await check(op, [x], {}, undefined, 2e-6);
    for (const op of ['Max', 'Min', 'Add']) await check(op, [x, y]);
    await check('Clip', [x, { constant: Tensor.fromNumbers('f32', [], [-1]) }, { constant: Tensor.fromNumbers('f32', [], [1]) }]);
    // A NaN member makes its whole softmax row NaN; the other row is untouched.
    const rows = Tensor.fromNumbers('f32', [2, 3], [0.5, Number.NaN, 2, 0, 1, 2]);
    for (const op of ['Softmax', 'LogSoftmax']) await check(op, [rows], { axis: -1 }, undefined, 2e-6);
  });
  it('infinities and overflow as in the reference: Softplus of ±large and ±inf, Log of negatives, Softmax rows with ±inf', async () => {
    await check('Softplus', [Tensor.fromNumbers('f32', [9], [-Infinity, -30, -20, -1, 0.5, 20, 88.8, 3.4e38, Infinity])], {}, undefined, 2e-6);
    await check('Log', [Tensor.fromNumbers('f32', [7], [-Infinity, -1, -0, 0, 0.5, 3.4e38, Infinity])], {}, undefined, 2e-6);
    // [+inf, ..] and all -inf rows are NaN (x - max is NaN for some member); -inf members of a finite row give 0.
    const rows = Tensor.fromNumbers('f32', [3, 3], [Infinity, 1, 2, -Infinity, -Infinity, 0, -Infinity, -Infinity, -Infinity]);
    await check('Softmax', [rows], { axis: -1 }, undefined, 2e-6);
  });
  it('symbolic dims come from params', async () => {
    const a = randomTensor('f32', [2, 3, 4], 5);
    const b = randomTensor('f32', [3, 1], 6);
    await check('Add', [a, b], {}, [{ dtype: 'f32', shape: ['batch', 'seq', 4] }, { dtype: 'f32', shape: ['seq', 1] }]);
  });
  it('integer and i64 arithmetic, Cast, compares (bool results) and Where', async () => {
    const i = Tensor.fromNumbers('i64', [2, 3], [1, -2, 3, 40, 5, -6]);
    const j = Tensor.fromNumbers('i64', [3], [7, 8, -9]);
    await check('Add', [i, j]);
    await check('Mul', [i, j]);
    await check('Cast', [i], { to: 1 });
    await check('Cast', [randomTensor('f32', [5], 2, -9, 9)], { to: 7 });
    await check('Less', [randomTensor('f32', [3, 5], 1), randomTensor('f32', [5], 2)]);
    await check('Equal', [i, j]);
    const cond = Tensor.fromNumbers('bool', [2, 3], [1, 0, 0, 1, 1, 0]);
    await check('Where', [cond, randomTensor('f32', [2, 3], 3), randomTensor('f32', [3], 4)]);
  });
});
