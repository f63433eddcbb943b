// `xfc run`: runs a model on .npy inputs with a chosen backend and writes one .npy per output.
//
// Backends: the reference interpreter (on an .onnx model), or wasm / webgpu through xfc/runtime (a bundle
// directory, or an .onnx model compiled in memory). Node has no navigator.gpu: webgpu takes a device from the
// 'webgpu' npm package (Dawn), imported only when that backend is asked for.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CompileError } from '../compiler/diagnostics.js';
import { importOnnxFile } from '../compiler/onnx/import.js';
import { interpret } from '../compiler/interpreter.js';
import { readNpyFile, encodeNpy } from '../compiler/io/npy.js';
import { Tensor } from '../compiler/ir/tensor.js';
import { dtypeInfo } from '../compiler/ir/dtype.js';
import { type Dim, shapeToString } from '../compiler/ir/dim.js';
import type { DType } from '../compiler/ir/dtype.js';
import { bundleFiles, irDtype } from '../backends/bundle.js';
import { loadModel, requestDevice, XfcError, type Feed, type Model, type RuntimeTypedArray } from '../runtime/index.js';
import { compileModel } from './compile.js';
import { type Io, UsageError } from './io.js';

const BACKENDS = ['interpreter', 'wasm', 'webgpu'] as const;

/** A graph input as the feed reader needs it. */
interface InputSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

interface RunOptions {
  input: string[];
  backend: string;
  precision: string;
  outputDir?: string;
}

const PRECISIONS = ['auto', 'f32', 'f16'] as const;

export function runCommand(program: Command, io: Io): void {
  program
    .command('run')
    .description('run a model on NumPy .npy inputs and write one NAME.npy per output')
    .argument('<model>', 'an ONNX model file, or (with --backend wasm|webgpu) a bundle directory')
    .option('-i, --input <name=file.npy>', 'an input tensor (repeat for each graph input)', collect, [])
    .option('-b, --backend <backend>', `where to run: ${BACKENDS.join(', ')}`, 'interpreter')
    .option('-o, --output-dir <dir>', 'write NAME.npy for every output into this folder')
    .option('--precision <p>', `webgpu storage precision: ${PRECISIONS.join(', ')} (auto: f16 when the device has shader-f16)`, 'auto')
    .addHelpText('after', '\nExample:\n  xfc run examples/tiny-bert.onnx -i input_ids=examples/input_ids.npy \\\n      -i attention_mask=examples/attention_mask.npy -o out/\n  xfc run bundle/ --backend wasm -i input_ids=examples/input_ids.npy -i attention_mask=examples/attention_mask.npy\n\n' +
      "--backend webgpu needs the 'webgpu' npm package (Dawn) in Node.\n")
    .action((model: string, options: RunOptions) => runModel(model, options, io));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runModel(modelPath: string, options: RunOptions, io: Io): Promise<void> {
  if (!(BACKENDS as readonly string[]).includes(options.backend)) {
    throw new UsageError(`unknown backend '${options.backend}' (available: ${BACKENDS.join(', ')})`);
  }
  const precision = options.precision as (typeof PRECISIONS)[number];
  if (!PRECISIONS.includes(precision)) throw new UsageError(`unknown precision '${options.precision}' (available: ${PRECISIONS.join(', ')})`);
  const isDir = fs.existsSync(modelPath) && fs.statSync(modelPath).isDirectory();
  let outputs: Record<string, Tensor>;
  let elapsed: number;
  let variant: string | undefined;
  if (options.backend === 'wasm' || options.backend === 'webgpu') {
    ({ outputs, elapsed, variant } = await runBundle(modelPath, isDir, options.input, options.backend, precision));
  } else {
    if (isDir) throw new UsageError(`'${modelPath}' is a directory: the interpreter runs .onnx models; run a bundle with --backend wasm or webgpu`);
    const { graph } = importOnnxFile(modelPath);
    const feeds = readFeeds(options.input, graph.inputs.map((v) => ({ name: v.name, ...v.type })));
    const started = performance.now();
    outputs = interpret(graph, feeds, { checkTypes: false });
    elapsed = performance.now() - started;
  }

  const lines = [`ran ${path.basename(modelPath)} with the ${options.backend} backend${variant ? ` (${variant})` : ''} in ${elapsed.toFixed(1)} ms`];
  for (const [name, t] of Object.entries(outputs)) lines.push(`  ${name}: ${t.dtype}${shapeToString(t.shape)}  ${stats(t)}`);
  if (options.outputDir) {
    writeOutputs(options.outputDir, outputs);
    lines.push(`wrote ${Object.keys(outputs).length} file(s) to ${options.outputDir}`);
  }
  io.out(`${lines.join('\n')}\n`);
}

/** Loads a bundle (or compiles the model in memory for that target) and runs it once through xfc/runtime. */
async function runBundle(modelPath: string, isDir: boolean, specs: string[], backend: 'wasm' | 'webgpu', precision: 'auto' | 'f32' | 'f16'): Promise<{ outputs: Record<string, Tensor>; elapsed: number; variant: string }> {
  if (backend === 'webgpu' && isDir) requireTarget(modelPath, 'webgpu');
  const device = backend === 'webgpu' ? await nodeGpuDevice() : undefined;
  try {
    const source = isDir ? modelPath : bundleFiles((await compileModel(modelPath, { target: backend })).contents);
    const model: Model = await loadModel(source, { backend, device, precision });
    const tensors = readFeeds(specs, model.inputs.map((t) => ({ name: t.name, dtype: irDtype(t.dtype), shape: t.shape })));
    const feeds: Record<string, Feed> = {};
    for (const [name, t] of Object.entries(tensors)) feeds[name] = { data: t.data as RuntimeTypedArray, dims: t.shape };
    const started = performance.now();
    const result = await model.run(feeds);
    const elapsed = performance.now() - started;
    model.dispose();
    const outputs: Record<string, Tensor> = {};
    for (const [name, o] of Object.entries(result)) outputs[name] = new Tensor(irDtype(o.dtype), o.dims, o.data);
    return { outputs, elapsed, variant: model.variant };
  } catch (e) {
    throw e instanceof XfcError ? new UsageError(e.message) : e;
  } finally {
    device?.destroy();
  }
}

/** Fails early (before a GPU is opened) when a bundle directory lacks the target; loadModel checks it fully. */
function requireTarget(dir: string, target: string): void {
  let targets: unknown;
  try {
    targets = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { targets?: unknown }).targets;
  } catch {
    return;
  }
  if (Array.isArray(targets) && !targets.includes(target)) {
    throw new UsageError(`the bundle '${dir}' has no ${target} target (targets: ${targets.join(', ')}); compile it with --target ${target} or --target all`);
  }
}

/** A GPUDevice from the 'webgpu' npm package (Dawn); its GPU object is kept alive on globalThis while the device lives. */
async function nodeGpuDevice(): Promise<GPUDevice> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    throw new UsageError(`WebGPU in Node needs the 'webgpu' package (npm install webgpu): ${(e as Error).message.split('\n')[0]}`);
  }
  Object.assign(globalThis, webgpu.globals);
  const g = globalThis as { __xfcDawn?: GPU };
  g.__xfcDawn ??= webgpu.create([]);
  const adapter = await g.__xfcDawn.requestAdapter();
  if (!adapter) throw new UsageError('--backend webgpu: no WebGPU adapter found (Dawn needs a Vulkan, Metal or D3D12 driver; on a machine without a GPU, point VK_ICD_FILENAMES at SwiftShader)');
  const device = await requestDevice(g.__xfcDawn);
  if (!device) throw new UsageError('--backend webgpu: the adapter gave no device');
  return device;
}

/** Reads `name=file.npy` pairs, checking names and converting compatible dtypes; all problems reported at once. */
function readFeeds(specs: string[], inputs: readonly InputSpec[]): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  const problems: string[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) {
      problems.push(`--input '${spec}' must be NAME=FILE.npy`);
      continue;
    }
    const name = spec.slice(0, eq);
    const file = spec.slice(eq + 1);
    const target = inputs.find((v) => v.name === name);
    if (!target) {
      problems.push(`the model has no input '${name}' (inputs: ${inputs.map((v) => v.name).join(', ')})`);
      continue;
    }
    let t: Tensor;
    try {
      t = readNpyFile(file);
    } catch (e) {
      problems.push(`'${file}': ${(e as Error).message.replace(/^ENOENT: /, '')}`);
      continue;
    }
    const converted = convertDtype(t, target.dtype);
    if (!converted) {
      problems.push(`input '${name}': the model takes ${target.dtype}, '${file}' holds ${t.dtype}, which does not convert losslessly`);
      continue;
    }
    feeds[name] = converted;
  }
  for (const v of inputs) {
    if (!(v.name in feeds) && !specs.some((s) => s.startsWith(`${v.name}=`))) {
      problems.push(`no --input given for '${v.name}' (${v.dtype}${shapeToString(v.shape)})`);
    }
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n       '));
  return feeds;
}

/** Converts between dtypes of the same kind (ints of any width to ints, floats to floats, bool to bool). */
function convertDtype(t: Tensor, dtype: Tensor['dtype']): Tensor | undefined {
  if (t.dtype === dtype) return t;
  const from = dtypeInfo(t.dtype).kind;
  const to = dtypeInfo(dtype).kind;
  const intLike = (k: string) => k === 'int' || k === 'uint';
  if ((intLike(from) && intLike(to)) || (from === 'float' && to === 'float') || (from === 'bool' && intLike(to))) {
    return Tensor.fromNumbers(dtype, t.shape, t.toFloat64());
  }
  return undefined;
}

function stats(t: Tensor): string {
  if (t.size === 0) return '(empty)';
  const v = t.toFloat64();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(5));
  return `min ${f(min)}  max ${f(max)}  mean ${f(sum / v.length)}`;
}

/** Writes every output next to each other atomically: all files land, or none (temporary names, then renames). */
function writeOutputs(dir: string, outputs: Record<string, Tensor>): void {
  fs.mkdirSync(dir, { recursive: true });
  const staged: [string, string][] = [];
  try {
    for (const [name, t] of Object.entries(outputs)) {
      const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
      const final = path.join(dir, `${safe}.npy`);
      const tmp = `${final}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, encodeNpy(t.dtype === 'bf16' ? Tensor.fromNumbers('f32', t.shape, t.toFloat64()) : t));
      staged.push([tmp, final]);
    }
    for (const [tmp, final] of staged) fs.renameSync(tmp, final);
  } catch (e) {
    for (const [tmp] of staged) fs.rmSync(tmp, { force: true });
    throw e instanceof CompileError ? e : new UsageError(`cannot write outputs to '${dir}': ${(e as Error).message}`);
  }
}
