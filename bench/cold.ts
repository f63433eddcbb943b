// Cold start in a fresh process: time from "load this model" to the first result, for xfc or onnxruntime-web.
//
//   node --import tsx bench/cold.ts xfc|xfc-simd|ort BUNDLE_DIR_OR_ONNX FEEDS.json   -> prints {"ms": ...}
// FEEDS.json: { name: { dtype: 'int64' | 'float32', dims, data: number[] } } (bench/models.ts writes it).
// Module imports and reading the feeds happen before the clock starts for both; ORT's wasm instantiation is
// inside create().

import * as fs from 'node:fs';

const [engine, source, feedFile] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(feedFile!, 'utf8')) as Record<string, { dtype: 'int64' | 'float32'; dims: number[]; data: number[] }>;
const typed = (f: (typeof spec)[string]) => (f.dtype === 'int64' ? BigInt64Array.from(f.data, BigInt) : Float32Array.from(f.data));

if (engine === 'ort') {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const feeds = Object.fromEntries(Object.entries(spec).map(([n, f]) => [n, new ort.Tensor(f.dtype, typed(f), f.dims)]));
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(source!)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  await session.run(feeds);
  console.log(JSON.stringify({ ms: performance.now() - t0 }));
} else {
  const { loadModel } = await import('../runtime/index.js');
  const feeds = Object.fromEntries(Object.entries(spec).map(([n, f]) => [n, { data: typed(f), dims: f.dims }]));
  const t0 = performance.now();
  const model = await loadModel(source!, { backend: 'wasm', relaxedSimd: engine === 'xfc-simd' ? false : 'auto' });
  await model.run(feeds);
  console.log(JSON.stringify({ ms: performance.now() - t0, variant: model.variant }));
}
