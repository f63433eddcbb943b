// Checks a folder of exported models (the fixtures layout: models/*.onnx, data/<model>/<case>/*.npy) through
// the importer and the interpreter against the PyTorch outputs stored beside them, and prints a table.
//
// Usage: node --experimental-wasm-relaxed-simd --import tsx scripts/check-models.ts DIR [--wasm] [--webgpu] [--webgpu-f16] [--lavapipe]
//   (DIR e.g. written by `scripts/export_fixtures.py --variant big --out DIR`); --wasm also compiles each model
//   with the default pipeline and runs it through xfc/runtime's wasm backend; --webgpu through its webgpu backend
//   (Dawn from the 'webgpu' package, on SwiftShader here: see test/webgpu/gpu.ts), rel. L2 <= 1e-4; --webgpu-f16
//   also its f16 plan, rel. L2 <= 1e-2 (needs shader-f16: --lavapipe runs WebGPU on Mesa lavapipe, fetched by
//   scripts/fetch-lavapipe.sh, instead of SwiftShader).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { importOnnxFile } from '../compiler/onnx/import.js';
import { interpret } from '../compiler/interpreter.js';
import { parseNpy } from '../compiler/io/npy.js';
import { dimSymbols } from '../compiler/ir/dim.js';
import type { Tensor } from '../compiler/ir/tensor.js';
import { CompileError } from '../compiler/diagnostics.js';
import { compileModel } from '../cli/compile.js';
import { bundleFiles } from '../backends/bundle.js';
import { type Model, type RuntimeTypedArray, loadModel } from '../runtime/index.js';
import { relL2 } from '../test/helpers.js';

const dir = process.argv[2];
const withWasm = process.argv.includes('--wasm');
const withF16 = process.argv.includes('--webgpu-f16');
const withGpu = withF16 || process.argv.includes('--webgpu');
/** The shared Dawn device (test/webgpu/gpu.ts opens it at import), only when --webgpu asks for it. */
const gpuDevice = withGpu ? await (async () => {
  if (process.argv.includes('--lavapipe')) {
    const { LAVAPIPE_ICD, lavapipeInstalled } = await import('../test/webgpu/lavapipe.js');
    if (!lavapipeInstalled) throw new Error(`--lavapipe: ${LAVAPIPE_ICD} is missing (run scripts/fetch-lavapipe.sh)`);
  }
  const { gpuState } = await import('../test/webgpu/gpu.js');
  if (!gpuState.device) throw new Error(`--webgpu: ${gpuState.reason}`);
  if (withF16 && !gpuState.device.features.has('shader-f16')) throw new Error(`--webgpu-f16: the adapter (${gpuState.adapter}) has no shader-f16 (try --lavapipe)`);
  return gpuState.device;
})() : undefined;
if (!dir) {
  console.error('usage: check-models.ts DIR');
  process.exit(2);
}


let worstOverall = 0;
let failures = 0;
console.log(`| model | cases | nodes | symbols besides batch/seq | worst rel. L2 vs PyTorch |${withWasm ? ' wasm: fusions | wasm: worst rel. L2 |' : ''}${withGpu ? ' webgpu: worst rel. L2 |' : ''}${withF16 ? ' webgpu f16: worst rel. L2 |' : ''}`);
console.log(`|---|---:|---:|---|---:|${withWasm ? '---|---:|' : ''}${withGpu ? '---:|' : ''}${withF16 ? '---:|' : ''}`);
for (const file of fs.readdirSync(path.join(dir, 'models')).filter((f) => f.endsWith('.onnx')).sort()) {
  const model = /^(.*)-opset\d+\.onnx$/.exec(file)![1]!;
  let graph;
  try {
    graph = importOnnxFile(path.join(dir, 'models', file)).graph;
  } catch (e) {
    failures++;
    console.log(`| ${file} | import failed: ${e instanceof CompileError ? e.message.split('\n')[0] : e} |`);
    continue;
  }
  const extra = new Set<string>();
  for (const v of graph.values()) for (const d of v.type.shape) for (const s of dimSymbols(d)) if (s !== 'batch' && s !== 'seq') extra.add(s);
  const caseRoot = path.join(dir, 'data', model);
  let worst = 0;
  const cases = fs.readdirSync(caseRoot).sort();
  let runner: Model | undefined;
  let fusions = '';
  if (withWasm) {
    const compiled = await compileModel(path.join(dir, 'models', file), { report: true });
    fusions = Object.entries(compiled.report!.fusions).map(([k, n]) => `${k} ${n}`).join(', ');
    runner = await loadModel(bundleFiles(compiled.contents), { backend: 'wasm' });
  }
  let gpuRunner: Model | undefined;
  let f16Runner: Model | undefined;
  if (gpuDevice) {
    const files = bundleFiles((await compileModel(path.join(dir, 'models', file), { target: 'webgpu', f16: withF16 })).contents);
    gpuRunner = await loadModel(files, { backend: 'webgpu', device: gpuDevice, precision: 'f32' });
    if (withF16) f16Runner = await loadModel(files, { backend: 'webgpu', device: gpuDevice, precision: 'f16' });
  }
  let worstWasm = 0;
  let worstGpu = 0;
  let worstF16 = 0;
  for (const c of cases) {
    const tensors: Record<string, Tensor> = {};
    for (const f of fs.readdirSync(path.join(caseRoot, c))) tensors[f.slice(0, -4)] = parseNpy(fs.readFileSync(path.join(caseRoot, c, f)));
    const feeds = Object.fromEntries(graph.inputs.map((v) => [v.name, tensors[v.name]!]));
    const out = interpret(graph, feeds);
    for (const v of graph.outputs) worst = Math.max(worst, relL2(out[v.name]!.toFloat64(), tensors[v.name]!.toFloat64()));
    const worstOf = async (model: Model, was: number): Promise<number> => {
      const result = await model.run(Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, { data: t.data as RuntimeTypedArray, dims: [...t.shape] }])));
      return Math.max(was, ...graph.outputs.map((v) => relL2(result[v.name]!.data as Float32Array, tensors[v.name]!.toFloat64())));
    };
    if (runner) worstWasm = await worstOf(runner, worstWasm);
    if (gpuRunner) worstGpu = await worstOf(gpuRunner, worstGpu);
    if (f16Runner) worstF16 = await worstOf(f16Runner, worstF16);
  }
  runner?.dispose();
  gpuRunner?.dispose();
  f16Runner?.dispose();
  worstOverall = Math.max(worstOverall, worst, worstWasm);
  if (worst > 1e-5 || worstWasm > 1e-5 || worstGpu > 1e-4 || worstF16 > 1e-2 || extra.size > 0) failures++;
  const wasmCols = withWasm ? ` ${fusions} | ${worstWasm.toExponential(2)} |` : '';
  const gpuCols = (withGpu ? ` ${worstGpu.toExponential(2)} |` : '') + (withF16 ? ` ${worstF16.toExponential(2)} |` : '');
  console.log(`| ${file} | ${cases.length} | ${graph.nodes.length} | ${[...extra].join(', ') || 'none'} | ${worst.toExponential(2)} |${wasmCols}${gpuCols}`);
}
console.log(`\nworst relative L2 error: ${worstOverall.toExponential(2)}; ${failures} model(s) with problems`);
process.exitCode = failures > 0 ? 1 : 0;
