// End to end on the wasm backend: every committed PyTorch fixture (and the zoo of other coding styles) compiled
// with compileWasm and run in-process (test/wasm/harness.ts) against PyTorch's outputs, rel. L2 <= 1e-5, at
// every case's batch and sequence length, with SIMD128 and (where the engine has it) relaxed SIMD.

import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { type CompiledWasm, compileWasm } from '../../backends/wasm/index.js';
import { ZOO, fixtureCases, fixtureModels } from '../fixtures.js';
import { relL2 } from '../helpers.js';
import { relaxedSimdAvailable, runCompiled } from './harness.js';

/**
 * Models that do not compile for wasm yet, and why. Their cases must fail (it.fails): when one starts to pass,
 * remove it from this list.
 */
const KNOWN_FAILURES: Record<string, string> = {};

const models = [
  ...fixtureModels().map((m) => ({ ...m, root: undefined as string | undefined, label: `${m.model}-opset${m.opset}` })),
  ...fixtureModels(ZOO).map((m) => ({ ...m, root: ZOO as string | undefined, label: `zoo/${m.model}` })),
];

describe.each(models)('$label on wasm', ({ model, file, root, label }) => {
  const { graph } = importOnnxFile(file);
  // Compiled on first use, so that a model that does not compile fails its own cases only.
  let compiled: CompiledWasm | undefined;
  const compile = () => (compiled ??= compileWasm(graph, { relaxed: relaxedSimdAvailable() }));
  const variants = relaxedSimdAvailable() ? [false, true] : [false];
  const test = KNOWN_FAILURES[label] ? it.fails : it;

  test.each(fixtureCases(model, root).flatMap((c) => variants.map((relaxedSimd) => ({ ...c, relaxedSimd }))))(
    'case $name (relaxed SIMD: $relaxedSimd) matches PyTorch (rel. L2 <= 1e-5)',
    async ({ tensors, relaxedSimd }) => {
      const feeds = Object.fromEntries(graph.inputs.map((v) => [v.name, tensors[v.name]!]));
      const ours = await runCompiled(compile(), feeds, { relaxedSimd });
      for (const out of graph.outputs) {
        const torch = tensors[out.name];
        expect(torch, `PyTorch output ${out.name}`).toBeDefined();
        const got = ours[out.name]!;
        expect(got.shape).toEqual(torch!.shape);
        expect(relL2(got.toFloat64(), torch!.toFloat64()), `output ${out.name}`).toBeLessThanOrEqual(1e-5);
      }
    },
  );
});
