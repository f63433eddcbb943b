// End to end: every committed PyTorch fixture through importer + interpreter, against PyTorch and onnxruntime-node.

import { afterAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { interpret } from '../../compiler/interpreter.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { ZOO, fixtureCases, fixtureModels } from '../fixtures.js';
import { relL2 } from '../helpers.js';
import { dimSymbols, shapeToString } from '../../compiler/ir/dim.js';

const ORT_TYPES: Record<string, ort.Tensor.Type> = { f32: 'float32', i64: 'int64', bool: 'bool', i32: 'int32' };

async function runOrt(session: ort.InferenceSession, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.dtype === 'bool' ? Uint8Array.from(t.data as Uint8Array) : t.data;
    ortFeeds[name] = new ort.Tensor(ORT_TYPES[t.dtype]!, data as never, [...t.shape]);
  }
  const out = await session.run(ortFeeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

/** Models onnxruntime-node cannot run: compared against PyTorch only, with the reason. */
const ORT_CANNOT_RUN: Record<string, string> = {
  'zoo/nanogpt': 'onnxruntime-node 1.30.0 crashes (SIGSEGV) while creating a session for this model',
};

const ALL = [
  ...fixtureModels().map((m) => ({ ...m, root: undefined as string | undefined, label: m.model })),
  ...fixtureModels(ZOO).map((m) => ({ ...m, root: ZOO as string | undefined, label: `zoo/${m.model}` })),
];

describe.each(ALL)('$label at opset $opset', ({ model, file, root, label }) => {
  const { graph } = importOnnxFile(file);
  const inputNames = graph.inputs.map((v) => v.name);
  if (label in ORT_CANNOT_RUN) it.skip(`onnxruntime comparison skipped: ${ORT_CANNOT_RUN[label]}`, () => {});
  let session: ort.InferenceSession | undefined;
  afterAll(async () => {
    await session?.release();
  });

  it('gets a static or symbolic type for every value, with only batch/seq symbolic', () => {
    for (const v of graph.values()) {
      const symbols = v.type.shape.flatMap(dimSymbols);
      expect(symbols.filter((s) => s !== 'batch' && s !== 'seq'), `value ${v.name}: ${shapeToString(v.type.shape)}`).toEqual([]);
    }
  });

  it.each(fixtureCases(model, root))('case $name matches PyTorch and onnxruntime (rel. L2 <= 1e-5)', async ({ tensors }) => {
    const feeds = Object.fromEntries(inputNames.map((n) => [n, tensors[n]!]));
    const ours = interpret(graph, feeds);
    const ortUsable = !(label in ORT_CANNOT_RUN);
    if (ortUsable) session ??= await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const theirs = ortUsable ? await runOrt(session!, feeds) : undefined;
    for (const out of graph.outputs) {
      const torch = tensors[out.name];
      expect(torch, `PyTorch output ${out.name}`).toBeDefined();
      const got = ours[out.name]!;
      expect(got.shape).toEqual(torch!.shape);
      expect(relL2(got.toFloat64(), torch!.toFloat64())).toBeLessThanOrEqual(1e-5);
      if (theirs) expect(relL2(got.toFloat64(), theirs[out.name]!)).toBeLessThanOrEqual(1e-5);
    }
  });
});
