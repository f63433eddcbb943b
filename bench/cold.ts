// Cold start in a fresh process: time from "load this model" to the first result, for xfc or onnxruntime-web.
//
//   node --import tsx bench/cold.ts xfc|xfc-simd|ort BUNDLE_DIR_OR_ONNX SEQ   -> prints {"ms": ...}
// Module imports happen before the clock starts for both; ORT's wasm instantiation is inside create().

import * as fs from 'node:fs';

const [engine, source, seqText] = process.argv.slice(2);
const seq = Number(seqText);
const feed = (name: string) => {
  const data = new BigInt64Array(seq);
  for (let i = 0; i < seq; i++) data[i] = /mask/.test(name) ? 1n : BigInt(1 + ((i * 37) % 99));
  return data;
};

if (engine === 'ort') {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(source!)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  await session.run(Object.fromEntries(session.inputNames.map((n) => [n, new ort.Tensor('int64', feed(n), [1, seq])])));
  console.log(JSON.stringify({ ms: performance.now() - t0 }));
} else {
  const { loadModel } = await import('../runtime/index.js');
  const t0 = performance.now();
  const model = await loadModel(source!, { backend: 'wasm', relaxedSimd: engine === 'xfc-simd' ? false : 'auto' });
  await model.run(Object.fromEntries(model.inputs.map((t) => [t.name, { data: feed(t.name), dims: [1, seq] }])));
  console.log(JSON.stringify({ ms: performance.now() - t0, variant: model.variant }));
}
