// End to end on WebGPU (Dawn + SwiftShader): every committed PyTorch fixture and every zoo model, optimized with
// the default passes, compiled with compileWebGpu and run by runtime/webgpu.ts's executor against PyTorch's
// outputs, rel. L2 <= 1e-4 (f32). SwiftShader is slow, so each model runs its two smallest cases (one executor
// for both shapes); the wasm suite covers every case.

import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { optimize } from '../../passes/pipeline.js';
import { relL2 } from '../helpers.js';
import { labelledModels, smallestCases } from './cases.js';
import { compileWebGpu, executor, gpuUnavailable, runGpu, shaderMessages } from './gpu.js';

describe.skipIf(gpuUnavailable)('every fixture on WebGPU', () => {
  it.each(labelledModels())('$label matches PyTorch (rel. L2 <= 1e-4) on its two smallest cases', async ({ model, file, root }) => {
    const { graph } = importOnnxFile(file);
    optimize(graph, {});
    const c = compileWebGpu(graph);
    expect(await shaderMessages(c)).toEqual([]);
    const inputs = graph.inputs.map((v) => v.name);
    const cases = smallestCases(model, root, inputs, 2);
    const ex = await executor(c);
    try {
      for (const cs of cases) {
        const got = await runGpu(c, Object.fromEntries(inputs.map((n) => [n, cs.tensors[n]!])), ex);
        for (const out of graph.outputs) {
          const want = cs.tensors[out.name]!;
          expect(got[out.name]!.shape, `${cs.name}/${out.name}`).toEqual(want.shape);
          expect(relL2(got[out.name]!.toFloat64(), want.toFloat64()), `${cs.name}/${out.name}`).toBeLessThanOrEqual(1e-4);
        }
      }
    } finally {
      ex.dispose();
    }
  });
});
