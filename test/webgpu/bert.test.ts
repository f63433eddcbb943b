// The BERT fixture end to end on WebGPU: default passes, compileWebGpu, runtime/webgpu.ts, against PyTorch's outputs.

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnxBytes, readModelFile } from '../../compiler/onnx/import.js';
import { optimize } from '../../passes/pipeline.js';
import { FIXTURES, fixtureCases } from '../fixtures.js';
import { relL2 } from '../helpers.js';
import { compileWebGpu, executor, gpuUnavailable, runGpu, shaderMessages } from './gpu.js';

const MODEL = path.join(FIXTURES, 'models', 'bert-opset17.onnx');
/** SwiftShader is slow: the small cases only (b1_s128 would take most of the suite's budget). */
const CASES = ['b1_s7', 'b3_s17', 'b3_s17_padded'];

describe.skipIf(gpuUnavailable)('webgpu: BERT fixture end to end', () => {
  it('matches PyTorch (rel. L2 <= 1e-4) on every small case, one executor for all shapes', async () => {
    const { graph } = importOnnxBytes(readModelFile(MODEL), { baseDir: path.dirname(MODEL), fileName: MODEL });
    optimize(graph, {});
    const c = compileWebGpu(graph);
    expect(await shaderMessages(c)).toEqual([]);
    const ex = await executor(c);
    const errors: Record<string, number> = {};
    for (const cs of fixtureCases('bert').filter((x) => CASES.includes(x.name))) {
      const feeds = Object.fromEntries(c.schedule.inputs.map((io) => [io.name, cs.tensors[io.name]!]));
      const got = await runGpu(c, feeds, ex);
      for (const out of c.schedule.outputs) {
        const want = cs.tensors[out.name]!;
        expect(got[out.name]!.shape).toEqual(want.shape);
        errors[`${cs.name}/${out.name}`] = relL2(got[out.name]!.toFloat64(), want.toFloat64());
      }
    }
    console.log('webgpu BERT rel. L2 vs PyTorch:', errors);
    expect(Object.keys(errors).length).toBe(CASES.length);
    for (const e of Object.values(errors)) expect(e).toBeLessThanOrEqual(1e-4);
    ex.dispose();
  });
});
