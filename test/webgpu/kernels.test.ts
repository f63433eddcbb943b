// WebGPU kernels against the interpreter on small random shapes: row kernels and copies (matmul.test.ts and attention.test.ts have the rest).

import { describe, expect, it } from 'vitest';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor } from '../helpers.js';
import { checkOp, gpuUnavailable, oneNode } from './gpu.js';

async function check(op: string, inputs: Parameters<typeof oneNode>[1], attrs = {}, symbolic?: Parameters<typeof oneNode>[3], numOutputs?: number): Promise<void> {
  await checkOp(op, inputs, attrs, { symbolic, numOutputs });
}

const r = randomTensor;

describe.skipIf(gpuUnavailable)('webgpu kernels', () => {
  it('Softmax, LayerNormalization, SkipLayerNormalization (with sum output, broadcast skip, symbolic rows)', async () => {
    await check('Softmax', [r('f32', [3, 4, 70], 1, -5, 5)], { axis: -1 });
    await check('LayerNormalization', [r('f32', [5, 33], 2), { constant: r('f32', [33], 3) }, { constant: r('f32', [33], 4) }], { axis: -1, epsilon: 1e-5 }, undefined, 1);
    await check('SkipLayerNormalization', [r('f32', [2, 3, 65], 1), r('f32', [2, 3, 65], 2), { constant: r('f32', [65], 3) }, { constant: r('f32', [65], 4) }, { constant: r('f32', [65], 5) }],
      { epsilon: 1e-6 }, [{ dtype: 'f32', shape: ['b', 's', 65] }, { dtype: 'f32', shape: ['b', 's', 65] }], 2);
    await check('SkipLayerNormalization', [r('f32', [2, 3, 8], 1), r('f32', [1, 3, 8], 2), { constant: r('f32', [8], 3) }], { epsilon: 1e-6 });
  });
  it('Transpose, Slice, Gather (negative indices, i64 data), Concat, Expand', async () => {
    await check('Transpose', [r('f32', [2, 3, 5], 1)], { perm: [2, 0, 1] });
    await check('Slice', [r('f32', [4, 9], 1), { constant: Tensor.fromNumbers('i64', [2], [1, -7]) }, { constant: Tensor.fromNumbers('i64', [2], [4, 8]) },
      { constant: Tensor.fromNumbers('i64', [2], [0, 1]) }, { constant: Tensor.fromNumbers('i64', [2], [2, 2]) }]);
    await check('Gather', [{ constant: r('f32', [10, 6], 1) }, Tensor.fromNumbers('i64', [2, 3], [0, 9, -1, 3, -10, 5])], { axis: 0 });
    await check('Gather', [Tensor.fromNumbers('i64', [2, 4], [5, -6, 7, 1e10, 1, 2, 3, 4]), Tensor.fromNumbers('i32', [3], [3, 0, -1])], { axis: 1 });
    await check('Concat', [r('f32', [2, 3], 1), r('f32', [2, 5], 2), r('f32', [2, 1], 3)], { axis: -1 });
    await check('Expand', [r('f32', [3, 1], 1), { constant: Tensor.fromNumbers('i64', [3], [2, 3, 4]) }]);
  });
});
