// Shared WebGPU setup for tests: one Dawn GPU per process (SwiftShader on CI), a device, and a one-graph runner.
// The device has shader-f16 when the adapter does (lavapipe: see lavapipe.ts), so f16 plans can run on it.
//
// Dawn aborts the process if the object from create() is collected while a device lives, so it is kept on
// globalThis. When no adapter is available, `gpuUnavailable` says why and suites skip with that reason.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { interpret } from '../../compiler/interpreter.js';
import { type OpInput, buildOpGraph, relL2 } from '../helpers.js';
import type { Attrs, Graph, TensorType } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { runtimeDtype } from '../../backends/bundle.js';
import { type CompiledWebGpu, compileWebGpu } from '../../backends/webgpu/index.js';
import { lowerGraph } from '../../backends/common/lower.js';
import { weightsImage } from '../../backends/wasm/index.js';
import { PANEL_LAYOUT, packWeightTensor } from '../../backends/wasm/pack.js';
import { type IoManifest, WebGpuExecutor } from '../../runtime/webgpu.js';
import type { RuntimeTypedArray } from '../../runtime/dtypes.js';
import '../../compiler/ops/index.js';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface GpuState { device?: GPUDevice; reason?: string; adapter?: string }
const g = globalThis as { __xfcGpu?: GPU; __xfcGpuState?: Promise<GpuState> };

async function open(): Promise<GpuState> {
  if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'xdg-'));
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    return { reason: `the 'webgpu' npm package is not installed (${(e as Error).message})` };
  }
  Object.assign(globalThis, webgpu.globals);
  g.__xfcGpu ??= webgpu.create([]);
  const adapter = await g.__xfcGpu.requestAdapter();
  if (!adapter) return { reason: `no WebGPU adapter (install Debian's chromium for SwiftShader and set VK_ICD_FILENAMES=${SWIFTSHADER})` };
  const device = await adapter.requestDevice({ requiredFeatures: adapter.features.has('shader-f16') ? ['shader-f16'] : [] });
  return { device, adapter: `${adapter.info.vendor} ${adapter.info.description || adapter.info.architecture}`.trim() };
}

/** The shared device, or a reason why there is none. */
export function gpu(): Promise<GpuState> {
  g.__xfcGpuState ??= open();
  return g.__xfcGpuState;
}

/** Resolved at module load (top-level await) so that `describe.skipIf` can use it. */
export const gpuState = await gpu();
export const gpuUnavailable: string | undefined = gpuState.reason;
if (gpuUnavailable) console.warn(`test/webgpu: skipped: ${gpuUnavailable}`);

export function ioManifest(c: CompiledWebGpu): IoManifest {
  const spec = (io: CompiledWebGpu['schedule']['inputs'][number]) => ({ name: io.name, dtype: runtimeDtype(io.dtype), shape: [...io.shape] });
  const symbols = Object.fromEntries(c.schedule.symbols.map((s) => [s, { min: 1, max: 1 << 20 }]));
  return { inputs: c.schedule.inputs.map(spec), outputs: c.schedule.outputs.map(spec), symbols };
}

/** Which plan of a compiled graph runs: the f32 one, or the f16 one (compiled with `f16: true`). */
export type Precision = 'f32' | 'f16';

/** Creates an executor for a compiled graph's plan on the shared device. */
export async function executor(c: CompiledWebGpu, precision: Precision = 'f32'): Promise<WebGpuExecutor> {
  const plan = precision === 'f16' ? c.planF16 : c.plan;
  if (!plan) throw new Error('the graph was compiled without its f16 plan');
  const files = plan.shaders.map((s) => c.shaders[s.file]!);
  return WebGpuExecutor.create(gpuState.device!, ioManifest(c), plan, files, c.weights);
}

/** Runs a compiled graph once on Tensors; returns Tensors. */
export async function runGpu(c: CompiledWebGpu, feeds: Readonly<Record<string, Tensor>>, ex?: WebGpuExecutor, precision: Precision = 'f32'): Promise<Record<string, Tensor>> {
  const e = ex ?? (await executor(c, precision));
  const out = await e.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: t.data as RuntimeTypedArray, dims: t.shape as number[] }])));
  if (!ex) e.dispose();
  const res: Record<string, Tensor> = {};
  for (const io of c.schedule.outputs) {
    const o = out[io.name]!;
    res[io.name] = new Tensor(io.dtype, o.dims, o.data as never);
  }
  return res;
}

/** A one-node graph (buildOpGraph: inputs given as Tensors become graph inputs, optionally with symbolic types; `{constant}` operands are weights). */
export function oneNode(op: string, inputs: OpInput[], attrs: Attrs = {}, symbolicInputs?: (TensorType | undefined)[], numOutputs?: number): { graph: Graph; feeds: Record<string, Tensor> } {
  const { graph, feeds } = buildOpGraph(op, inputs, attrs, { symbolicInputs, numOutputs });
  return { graph, feeds };
}

/** Compilation messages of every shader of a compiled graph (errors and warnings). */
export async function shaderMessages(c: CompiledWebGpu): Promise<string[]> {
  const out: string[] = [];
  for (const [file, code] of Object.entries(c.shaders)) {
    const info = await gpuState.device!.createShaderModule({ code }).getCompilationInfo();
    for (const m of info.messages) out.push(`${file}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`);
  }
  return out;
}

export { compileWebGpu };

/** Compiles over a schedule whose constant 2-D f32 B operands are packed in the wasm panel layout (the `--target all` sharing); with `f16`, both plans. */
export function compilePacked(graph: Graph, f16 = false): CompiledWebGpu {
  const schedule = lowerGraph(graph, {
    packWeight(node, index, t) {
      if (index !== 1 || t.dtype !== 'f32' || t.rank !== 2) return undefined;
      const transB = node.attrs.trans_b === 1 || node.attrs.transB === 1;
      return { layout: PANEL_LAYOUT, data: packWeightTensor(t, transB) };
    },
  });
  return compileWebGpu(graph, { f16, shared: { schedule, weights: weightsImage(schedule) } });
}

/**
 * Runs a graph on the interpreter and the GPU and compares every output: shapes and dtypes equal; f32 with
 * non-finite values (NaN, ±inf) exactly where the reference has them and rel. L2 <= tol over the rest; other
 * dtypes exactly (i64 compared as BigInt). Every shader must compile without messages. Returns the compiled
 * graph and the GPU's results.
 */
export async function compareWithInterpreter(graph: Graph, feeds: Record<string, Tensor>, options: { tol?: number; compile?: (g: Graph) => CompiledWebGpu; precision?: Precision } = {}): Promise<{ c: CompiledWebGpu; got: Tensor[] }> {
  const tol = options.tol ?? 2e-6;
  const precision = options.precision ?? 'f32';
  const want = interpret(graph, feeds);
  const c = (options.compile ?? ((g: Graph) => compileWebGpu(g, { f16: precision === 'f16' })))(graph);
  expect(await shaderMessages(c)).toEqual([]);
  const results = await runGpu(c, feeds, undefined, precision);
  const got = graph.outputs.map((v) => {
    const [w, g] = [want[v.name]!, results[v.name]!];
    expect(g.shape, v.name).toEqual(w.shape);
    expect(g.dtype, v.name).toBe(w.dtype);
    if (w.dtype === 'f32') {
      const [wv, gv] = [Array.from(w.toFloat64()), Array.from(g.toFloat64())];
      const finite = wv.map((x) => Number.isFinite(x));
      expect(gv.map((x, i) => (finite[i] ? 0 : x)), `${v.name}: non-finite elements`).toEqual(wv.map((x, i) => (finite[i] ? 0 : x)));
      expect(relL2(gv.filter((_, i) => finite[i]), wv.filter((_, i) => finite[i])), v.name).toBeLessThanOrEqual(tol);
    } else {
      expect(Array.from(g.data as ArrayLike<number | bigint>, String), v.name).toEqual(Array.from(w.data as ArrayLike<number | bigint>, String));
    }
    return g;
  });
  return { c, got };
}

/** compareWithInterpreter on a one-node graph (see oneNode). */
export async function checkOp(op: string, inputs: Parameters<typeof oneNode>[1], attrs: Attrs = {}, options: { symbolic?: Parameters<typeof oneNode>[3]; numOutputs?: number; tol?: number } = {}): Promise<{ c: CompiledWebGpu; got: Tensor[] }> {
  const { graph, feeds } = oneNode(op, inputs, attrs, options.symbolic, options.numOutputs);
  return compareWithInterpreter(graph, feeds, { ...(options.tol !== undefined ? { tol: options.tol } : {}) });
}
