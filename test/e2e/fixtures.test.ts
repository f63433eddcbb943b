// End to end: every committed PyTorch fixture through importer + interpreter, against PyTorch and onnxruntime-node.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { interpret } from '../../compiler/interpreter.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { fixtureCases, fixtureModels } from '../fixtures.js';
import { relL2 } from '../helpers.js';
import { dimSymbols, shapeToString } from '../../compiler/ir/dim.js';

const ORT_TYPES: Record<string, ort.Tensor.Type> = { f32: 'float32', i64: 'int64', bool: 'bool', i32: 'int32' };

async function runOrt(file: string, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.dtype === 'bool' ? Uint8Array.from(t.data as Uint8Array) : t.data;
    ortFeeds[name] = new ort.Tensor(ORT_TYPES[t.dtype]!, data as never, [...t.shape]);
  }
  const out = await session.run(ortFeeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

describe.each(fixtureModels())('$model at opset $opset', ({ model, file }) => {
  const { graph } = importOnnxFile(file);
  const inputNames = graph.inputs.map((v) => v.name);

  it('gets a static or symbolic type for every value, with only batch/seq symbolic', () => {
    for (const v of graph.values()) {
      const symbols = v.type.shape.flatMap(dimSymbols);
      expect(symbols.filter((s) => s !== 'batch' && s !== 'seq'), `value ${v.name}: ${shapeToString(v.type.shape)}`).toEqual([]);
    }
  });

  it.each(fixtureCases(model))('case $name matches PyTorch and onnxruntime (rel. L2 <= 1e-5)', async ({ tensors }) => {
    const feeds = Object.fromEntries(inputNames.map((n) => [n, tensors[n]!]));
    const ours = interpret(graph, feeds);
    const theirs = await runOrt(file, feeds);
    for (const out of graph.outputs) {
      const torch = tensors[out.name];
      expect(torch, `PyTorch output ${out.name}`).toBeDefined();
      const got = ours[out.name]!;
      expect(got.shape).toEqual(torch!.shape);
      expect(relL2(got.toFloat64(), torch!.toFloat64())).toBeLessThanOrEqual(1e-5);
      expect(relL2(got.toFloat64(), theirs[out.name]!)).toBeLessThanOrEqual(1e-5);
    }
  });
});
