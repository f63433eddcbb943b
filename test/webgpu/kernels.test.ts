// WebGPU kernels against the interpreter on small random shapes: matmul family, row kernels, copies, attention.

import { describe, expect, it } from 'vitest';
import { interpret } from '../../compiler/interpreter.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor, relL2 } from '../helpers.js';
import { compileWebGpu, gpuUnavailable, oneNode, runGpu, shaderMessages } from './gpu.js';

async function check(op: string, inputs: Parameters<typeof oneNode>[1], attrs = {}, symbolic?: Parameters<typeof oneNode>[3], numOutputs?: number): Promise<void> {
  const { graph, feeds } = oneNode(op, inputs, attrs, symbolic, numOutputs);
  const want = interpret(graph, feeds);
  const c = compileWebGpu(graph);
  expect(await shaderMessages(c)).toEqual([]);
  const got = await runGpu(c, feeds);
  for (const v of graph.outputs) {
    const [w, g] = [want[v.name]!, got[v.name]!];
    expect(g.shape).toEqual(w.shape);
    if (w.dtype === 'f32') expect(relL2(g.toFloat64(), w.toFloat64())).toBeLessThanOrEqual(2e-6);
    else expect(Array.from(g.toFloat64())).toEqual(Array.from(w.toFloat64()));
  }
}

const r = randomTensor;

describe.skipIf(gpuUnavailable)('webgpu kernels', () => {
  it('MatMul: 2-D odd sizes across tile edges, batched with broadcasting, vector operands, symbolic M', async () => {
    await check('MatMul', [r('f32', [17, 19], 1), r('f32', [19, 23], 2)]);
    await check('MatMul', [r('f32', [2, 3, 5, 7], 3), r('f32', [3, 7, 4], 4)]);
    await check('MatMul', [r('f32', [7], 5), { constant: r('f32', [7, 3], 6) }]);
    await check('MatMul', [r('f32', [2, 5, 6], 7), { constant: r('f32', [6, 3], 8) }], {}, [{ dtype: 'f32', shape: ['b', 's', 6] }]);
  });
  it('Linear: bias, activations, residual (same shape and broadcast), trans_b', async () => {
    const x = r('f32', [2, 9, 20], 1);
    await check('Linear', [x, { constant: r('f32', [20, 18], 2) }, { constant: r('f32', [18], 3) }], { activation: 'gelu' });
    await check('Linear', [x, { constant: r('f32', [18, 20], 2) }, null, r('f32', [2, 9, 18], 4)], { trans_b: 1, activation: 'relu' });
    await check('Linear', [x, { constant: r('f32', [20, 5], 2) }, { constant: r('f32', [5], 3) }, r('f32', [9, 5], 5)], { activation: 'gelu_tanh' },
      [{ dtype: 'f32', shape: ['b', 's', 20] }, undefined, undefined, { dtype: 'f32', shape: ['s', 5] }]);
  });
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
  it('Attention (bsd, additive and boolean masks, causal; sbd)', async () => {
    const [q, k, v] = [r('f32', [2, 5, 8], 1), r('f32', [2, 7, 8], 2), r('f32', [2, 7, 12], 3)];
    await check('Attention', [q, k, v, r('f32', [2, 1, 1, 7], 4)], { num_heads: 2, scale: 0.5, mask_kind: 'additive' });
    await check('Attention', [q, k, v], { num_heads: 4, scale: 0.3, causal: 1 });
    const keep = Tensor.fromNumbers('bool', [2, 1, 5, 7], Array.from({ length: 70 }, (_, i) => (i % 3 === 0 ? 0 : 1)));
    await check('Attention', [q, k, v, keep], { num_heads: 2, scale: 0.5, mask_kind: 'keep' });
    await check('Attention', [r('f32', [5, 2, 8], 1), r('f32', [7, 2, 8], 2), r('f32', [7, 2, 8], 3)], { num_heads: 2, scale: 0.5, layout: 'sbd' });
  });
});
