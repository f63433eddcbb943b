// `--target all` bundles end to end: one weights.bin, the same files run on webgpu (Dawn device injected) and wasm,
// against the interpreter; packed weights in a shared schedule (restored at load, or read packed by a kernel that
// declares it); device limits checked at load; device loss, uncaptured errors and per-run allocation; WGSL golden.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../cli/compile.js';
import { buildManifest, bundleFiles, stableJson, writeBundle } from '../../backends/bundle.js';
import { compileWasm } from '../../backends/wasm/index.js';
import { PANEL_LAYOUT } from '../../backends/wasm/pack.js';
import { buildPlan } from '../../backends/webgpu/plan.js';
import { webGpuFiles } from '../../backends/webgpu/index.js';
import { type WebGpuKernel, getKernel, registerKernel } from '../../backends/webgpu/kernel.js';
import type { Location, Schedule, Step, TensorRef } from '../../backends/common/schedule.js';
import { CompileError } from '../../compiler/diagnostics.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Graph } from '../../compiler/ir/graph.js';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { interpret } from '../../compiler/interpreter.js';
import { readNpyFile } from '../../compiler/io/npy.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { BundleError, IntegrityError, UnsupportedError, XfcError, loadModel, type Feed, type Model, type RuntimeTypedArray } from '../../runtime/index.js';
import { WebGpuExecutor } from '../../runtime/webgpu.js';
import { type PlanLimits, type WebGpuPlan, checkDeviceLimits, chunkBytes, limitProblems, parsePlan } from '../../runtime/webgpu-plan.js';
import { randomTensor, relL2 } from '../helpers.js';
import { compileWebGpu, gpuState, gpuUnavailable, ioManifest, runGpu } from './gpu.js';

const EXAMPLES = path.resolve(import.meta.dirname, '..', '..', 'examples');
const MODEL = path.join(EXAMPLES, 'tiny-bert.onnx');

/** WebGPU's default limits (what every adapter offers at least). */
const DEFAULT_LIMITS: PlanLimits = {
  maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupStorageSize: 16384,
  maxStorageBufferBindingSize: 134217728, maxBufferSize: 268435456, maxStorageBuffersPerShaderStage: 8, maxUniformBufferBindingSize: 65536,
};
/** A stand-in device: only its limits are read before the weights are. */
const fakeDevice = (limits: Partial<PlanLimits> = {}): GPUDevice => ({ limits: { ...DEFAULT_LIMITS, ...limits } }) as unknown as GPUDevice;

/** The example's inputs (batch 1, seq 8) and a padded batch of 2 at seq 5. */
function cases(): { feeds: Record<string, Tensor> }[] {
  const ids = readNpyFile(path.join(EXAMPLES, 'input_ids.npy'));
  const mask = readNpyFile(path.join(EXAMPLES, 'attention_mask.npy'));
  const ids2 = Tensor.fromNumbers('i64', [2, 5], [5, 17, 3, 99, 1, 2, 40, 7, 0, 0]);
  const mask2 = Tensor.fromNumbers('i64', [2, 5], [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  return [{ input_ids: ids, attention_mask: mask }, { input_ids: ids2, attention_mask: mask2 }].map((f) => ({ feeds: f }));
}

function toFeeds(t: Record<string, Tensor>): Record<string, Feed> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { data: v.data as RuntimeTypedArray, dims: v.shape as number[] }]));
}

/** Runs every case through a loaded model and returns rel. L2 errors against the interpreter. */
async function errorsOf(model: Model, want: Record<string, Tensor>[]): Promise<number[]> {
  const errs: number[] = [];
  for (const [i, c] of cases().entries()) {
    const got = await model.run(toFeeds(c.feeds));
    for (const [name, w] of Object.entries(want[i]!)) {
      expect(got[name]!.dims).toEqual(w.shape);
      errs.push(relL2(Array.from(got[name]!.data as Float32Array), w.toFloat64()));
    }
  }
  return errs;
}

const planOf = (files: Readonly<Record<string, Uint8Array>>): WebGpuPlan => parsePlan(files['webgpu/plan.json']!, 'plan.json');

describe('--target all bundles', async () => {
  const compiled = await compileModel(MODEL, { target: 'all' });
  const gpuOnly = await compileModel(MODEL, { target: 'webgpu' });
  const files = bundleFiles(compiled.contents);
  const plan = planOf(files);
  const { graph } = importOnnxFile(MODEL);
  const want = cases().map((c) => interpret(graph, c.feeds, { checkTypes: false }));
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-webgpu-bundle-'));
    writeBundle(path.join(dir, 'b'), compiled.contents);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('write both targets, exactly one weights file (weights.bin) and a webgpu section pointing at the plan', () => {
    const m = compiled.contents.manifest;
    expect(m.targets).toEqual(['wasm', 'webgpu']);
    expect(m.webgpu).toEqual({ plan: 'webgpu/plan.json', planF16: 'webgpu/plan-f16.json' });
    expect(m.features.required).toEqual(['simd128']);
    const paths = m.files.map((f) => f.path);
    expect(paths.filter((p) => p.endsWith('.bin'))).toEqual(['weights.bin']);
    expect(fs.readdirSync(path.join(dir, 'b'), { recursive: true }).filter((p) => String(p).endsWith('.bin'))).toEqual(['weights.bin']);
    expect(m.wasm!.weights).toBe('weights.bin');
    expect(plan.version).toBe(2);
    expect(plan.weights.file).toBe('weights.bin');
    expect(plan.shaders.length).toBeGreaterThan(0);
    for (const s of plan.shaders) expect(paths).toContain(`webgpu/${s.file}`);
    // The chunks cut the wasm weights image itself (the same bytes the wasm runtime streams into its memory).
    const last = plan.weights.chunks[plan.weights.chunks.length - 1]!;
    expect(last.offset + last.bytes).toBeLessThanOrEqual(files['weights.bin']!.byteLength);
  });

  it('every entry packed for wasm is read packed by a kernel that declares it, or restored to the constant\'s bytes', () => {
    const packed = compiled.schedule.weights.filter((w) => w.layout === PANEL_LAYOUT);
    expect(packed.length).toBeGreaterThan(0); // tiny-bert's Linear weights
    const restores = plan.weights.restore ?? [];
    const plain = new Map(gpuOnly.schedule.weights.map((w) => [w.label, w.data.bytes()]));
    const image = files['weights.bin']!;
    const before = image.slice();
    for (const w of packed) {
      const readers = compiled.schedule.steps.flatMap((st) => st.inputs.flatMap((r, i) =>
        (r?.loc.kind === 'weight' && r.loc.weight === w.id ? [getKernel(st.op)!.weightLayouts?.(st, i) ?? []] : [])));
      const restored = restores.some((r) => r.offset === w.byteOffset);
      expect(restored).toBe(!readers.every((layouts) => layouts.includes(PANEL_LAYOUT)));
      if (!restored) continue;
      const chunk = plan.weights.chunks.findIndex((c) => c.offset <= w.byteOffset && w.byteOffset < c.offset + c.bytes);
      const at = w.byteOffset - plan.weights.chunks[chunk]!.offset;
      const logical = plain.get(w.label)!;
      expect(chunkBytes(plan, image, chunk).subarray(at, at + logical.byteLength)).toEqual(logical);
    }
    expect(image).toEqual(before); // the caller's bytes are never rewritten
  });

  it('--target webgpu writes weights.bin and webgpu/ only, unpacked, and requires no wasm features', async () => {
    const m = gpuOnly.contents.manifest;
    expect(m.targets).toEqual(['webgpu']);
    expect(m.wasm).toBeUndefined();
    expect(m.features).toEqual({ required: [], optional: [] });
    expect(Object.keys(gpuOnly.contents.files).filter((p) => !p.startsWith('webgpu/'))).toEqual(['weights.bin']);
    const p = planOf(gpuOnly.contents.files);
    expect(p.weights.file).toBe('weights.bin');
    expect(p.weights.restore).toBeUndefined();
    expect(gpuOnly.schedule.weights.some((w) => w.layout !== undefined)).toBe(false);
    await expect(loadModel(bundleFiles(gpuOnly.contents), { backend: 'wasm' })).rejects.toThrow(BundleError);
    await expect(loadModel(bundleFiles(gpuOnly.contents), { backend: 'wasm' })).rejects.toThrow(/no wasm target \(targets: webgpu\)/);
  });

  it('an unknown --target is a usage error naming the choices', async () => {
    await expect(compileModel(MODEL, { target: 'gpu' })).rejects.toThrow(/unknown --target 'gpu' \(available: wasm, webgpu, all\)/);
  });

  it('wasm from the same files matches the interpreter (rel. L2 <= 1e-5)', async () => {
    const model = await loadModel(path.join(dir, 'b'), { backend: 'wasm' });
    expect(model.backend).toBe('wasm');
    for (const e of await errorsOf(model, want)) expect(e).toBeLessThanOrEqual(1e-5);
    model.dispose();
  });

  it("'auto' without a device or navigator.gpu picks wasm; 'webgpu' without one is a clear error", async () => {
    const model = await loadModel(files, { backend: 'auto' });
    expect(model.backend).toBe('wasm');
    model.dispose();
    await expect(loadModel(files, { backend: 'webgpu' })).rejects.toThrow(UnsupportedError);
    await expect(loadModel(files, { backend: 'webgpu' })).rejects.toThrow(/no WebGPU adapter is available.*options\.device/);
  });

  it('a changed shader or a truncated weights.bin is refused before anything compiles', async () => {
    const shader = Object.keys(files).find((p) => p.endsWith('.wgsl'))!;
    const bad = { ...files, [shader]: files[shader]!.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    await expect(loadModel(bad, { backend: 'webgpu', device: {} as GPUDevice })).rejects.toThrow(IntegrityError);
    const short = { ...files, 'weights.bin': files['weights.bin']!.subarray(4) };
    await expect(loadModel(short, { backend: 'webgpu', device: fakeDevice() })).rejects.toThrow(/'weights.bin' \(in memory\) is truncated/);
  });

  describe('device limits, checked at load before the weights are read', () => {
    // The shader with the largest workgroup, and a device allowing a bit less.
    const big = [...plan.shaders].sort((a, b) => b.workgroupSize - a.workgroupSize || b.workgroupBytes - a.workgroupBytes)[0]!;
    const allowed = big.workgroupSize - 1;

    it('every limit the plan exceeds is named with its shader (or chunk) and the device value', () => {
      expect(limitProblems(plan, DEFAULT_LIMITS)).toEqual([]);
      expect(big.workgroupBytes).toBeGreaterThan(0);
      const problems = limitProblems(plan, { ...DEFAULT_LIMITS, maxComputeInvocationsPerWorkgroup: allowed, maxComputeWorkgroupStorageSize: big.workgroupBytes - 4, maxStorageBufferBindingSize: 4096 });
      expect(problems).toContain(`shader ${big.file} uses a workgroup size of ${big.workgroupSize}, more than the device's maxComputeInvocationsPerWorkgroup (${allowed})`);
      expect(problems).toContain(`shader ${big.file} declares bytes of workgroup memory: ${big.workgroupBytes}, more than the device's maxComputeWorkgroupStorageSize (${big.workgroupBytes - 4})`);
      expect(problems).toContain(`weights chunk 0 is ${plan.weights.chunks[0]!.bytes} bytes, more than the device's maxStorageBufferBindingSize (4096); compile with a smaller weight chunk size`);
      // Only shaders over the limit are named.
      const fitting = plan.shaders.filter((s) => s.workgroupSize <= allowed).map((s) => s.file);
      expect(fitting.length).toBeGreaterThan(0);
      for (const f of fitting) expect(problems.join('\n')).not.toContain(`shader ${f} uses a workgroup size`);
      expect(limitProblems(plan, { ...DEFAULT_LIMITS, maxStorageBuffersPerShaderStage: 1 }).some((p) => /binds storage buffers: 2, more than the device's maxStorageBuffersPerShaderStage \(1\)/.test(p))).toBe(true);
    });

    it("'webgpu' on a too-small device is an UnsupportedError naming the shader and the limit; 'auto' falls back to wasm", async () => {
      const small = fakeDevice({ maxComputeInvocationsPerWorkgroup: allowed });
      await expect(loadModel(files, { backend: 'webgpu', device: small })).rejects.toThrow(UnsupportedError);
      await expect(loadModel(files, { backend: 'webgpu', device: small }))
        .rejects.toThrow(new RegExp(`^this WebGPU device cannot run the bundle(: | \\(\\d+ problems\\):\\n  - )shader ${big.file} uses a workgroup size of ${big.workgroupSize}, more than the device's maxComputeInvocationsPerWorkgroup \\(${allowed}\\)`));
      const model = await loadModel(files, { backend: 'auto', device: small });
      expect(model.backend).toBe('wasm');
      model.dispose();
      expect(() => checkDeviceLimits(plan, {} as GPUDevice)).toThrow(XfcError);
      expect(() => checkDeviceLimits(plan, {} as GPUDevice)).toThrow(/^options\.device is not a GPUDevice: its limits lack maxComputeInvocationsPerWorkgroup, /);
    });
  });

  describe.skipIf(gpuUnavailable)('on a WebGPU device', () => {
    it('webgpu from a bundle directory matches the interpreter (rel. L2 <= 1e-4)', async () => {
      const model = await loadModel(path.join(dir, 'b'), { backend: 'webgpu', device: gpuState.device! });
      expect(model.backend).toBe('webgpu');
      const errs = await errorsOf(model, want);
      expect(errs.length).toBe(2);
      for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
      model.dispose();
    }, 120_000); // SwiftShader compiles the tiled matmul shaders slowly (seconds each on a loaded machine)
  });

  it('WGSL golden of the tiny model', async () => {
    const shaders = Object.keys(compiled.contents.files).filter((p) => p.endsWith('.wgsl')).sort();
    const text = shaders.map((p) => `// ---- ${p}\n${new TextDecoder().decode(compiled.contents.files[p]!)}`).join('\n');
    await expect(text).toMatchFileSnapshot('./__snapshots__/tiny-bert.wgsl');
  });
});

/** x[n, 12] -> Linear(W1 [10, 12], trans_b) -> MatMul(W2 [10, 9]): both weights packed for wasm, at odd widths. */
function packedGraph(): { graph: Graph; feeds: Record<string, Tensor> } {
  const graph = new Graph('packed');
  const b = new GraphBuilder(graph, { fold: false });
  const x = graph.addInput('x', { dtype: 'f32', shape: ['n', 12] });
  const [h] = b.add('Linear', [x, b.constant(randomTensor('f32', [10, 12], 2), 'w1'), b.constant(randomTensor('f32', [10], 3), 'b1')], { trans_b: 1, activation: 'none' }, { name: 'fc1' });
  graph.outputs = b.add('MatMul', [h!, b.constant(randomTensor('f32', [10, 9], 4), 'w2')], {}, { name: 'fc2' });
  return { graph, feeds: { x: randomTensor('f32', [3, 12], 5) } };
}

/** The shared (wasm) schedule of a graph with every step renamed to `op`. */
function renamed(schedule: Schedule, op: string): Schedule {
  return { ...schedule, steps: schedule.steps.map((s) => ({ ...s, op })) };
}

/** A `--target all` bundle of packedGraph, in memory (what compileModel writes for a model file). */
function smallBundle(graph: Graph): Record<string, Uint8Array> {
  const wasm = compileWasm(graph, { relaxed: false });
  const gpu = compileWebGpu(graph, { shared: { schedule: wasm.schedule, weights: wasm.weights } });
  const files = { 'model.wasm': wasm.simd.binary, 'weights.bin': wasm.weights, ...webGpuFiles(gpu, stableJson) };
  const manifest = buildManifest({
    schedule: wasm.schedule, wasm: wasm.manifestWasm, webgpu: { plan: 'webgpu/plan.json', symbols: gpu.plan.symbols },
    source: { name: 'packed.onnx', bytes: new Uint8Array(0) }, files, options: {}, generator: 'test',
  });
  return bundleFiles({ manifest, files });
}

const isPacked = (r: TensorRef | undefined): boolean => r?.loc.kind === 'weight' && r.loc.layout === PANEL_LAYOUT;
const weightOf = (s: Schedule, r: TensorRef | undefined) => s.weights[(r!.loc as { weight: number }).weight]!;

// Test-only kernels that record the refs they are given: one reads operand 1 as it comes, one declares the
// panel layout for it (and, when `stray` is set, also addresses that ref, which it did not declare).
const seen: Location[] = [];
let stray: TensorRef | undefined;
const recorder = (name: string, declares: boolean) => registerKernel({
  op: name,
  ...(declares ? { weightLayouts: (_step: Step, index: number) => (index === 1 ? [PANEL_LAYOUT] : []) } : {}),
  build(ctx, step) {
    const b = ctx.builder();
    seen.push(b.tensor(step.inputs[1]!).ref.loc);
    if (stray && stray !== step.inputs[1]) b.tensor(stray);
    return [{ shader: b.build(`// ${step.node.name}`), workgroups: [] }];
  },
});
recorder('XfcTestPlainReader', false);
recorder('XfcTestPanelReader', true);

describe('packed weights in a shared schedule', () => {
  const { graph, feeds } = packedGraph();
  const wasm = compileWasm(graph, { relaxed: false });
  const shared = { schedule: wasm.schedule, weights: wasm.weights };
  const [w1, w2] = wasm.schedule.steps.map((s) => weightOf(wasm.schedule, s.inputs[1]));

  it('a kernel that does not declare the layout gets plain refs; the plan restores the entries, transposed or not, past odd widths', () => {
    expect(wasm.schedule.steps.map((s) => isPacked(s.inputs[1]))).toEqual([true, true]);
    seen.length = 0;
    const { plan } = buildPlan(renamed(wasm.schedule, 'XfcTestPlainReader'));
    expect(seen).toEqual([{ kind: 'weight', weight: w1!.id, byteOffset: 0 }, { kind: 'weight', weight: w2!.id, byteOffset: 0 }]);
    expect(plan.weights.restore).toEqual([
      { offset: w1!.byteOffset, bytes: 2 * 8 * 12 * 4, layout: PANEL_LAYOUT, k: 12, n: 10, transposed: true },
      { offset: w2!.byteOffset, bytes: 2 * 8 * 10 * 4, layout: PANEL_LAYOUT, k: 10, n: 9, transposed: false },
    ]);
    // What the GPU buffer gets holds the constants as the graph has them ([10, 12] and [10, 9] row-major).
    const bytes = chunkBytes(plan, wasm.weights, 0);
    for (const [w, name] of [[w1!, 'w1'], [w2!, 'w2']] as const) {
      const logical = graph.nodes.flatMap((n) => n.inputs).find((v) => v?.name === name)!.constant!;
      const n = (logical as Tensor).bytes().byteLength;
      expect(bytes.subarray(w.byteOffset, w.byteOffset + n)).toEqual((logical as Tensor).bytes());
    }
  });

  it('a kernel that declares the layout gets the packed TensorRef and no restore is planned', () => {
    seen.length = 0;
    const { plan } = buildPlan(renamed(wasm.schedule, 'XfcTestPanelReader'));
    expect(plan.weights.restore).toBeUndefined();
    expect(seen.map((l) => (l.kind === 'weight' ? l.layout : undefined))).toEqual([PANEL_LAYOUT, PANEL_LAYOUT]);
  });

  it('a kernel addressing a packed weight it did not declare is an error naming it', () => {
    stray = wasm.schedule.steps[1]!.inputs[1];
    try {
      expect(() => buildPlan(renamed(wasm.schedule, 'XfcTestPanelReader'))).toThrow(
        "webgpu kernel XfcTestPanelReader (node 'fc1') addresses weight 'w2', stored in layout 'gemm-panel-nr8', without declaring that layout " +
        'for the operand (WebGpuKernel.weightLayouts): it would read packed bytes as logical ones');
    } finally {
      stray = undefined;
    }
  });

  it('a layout no kernel reads and the runtime cannot restore is a compile-time diagnostic', () => {
    const s = wasm.schedule;
    const relabel = (r: TensorRef | undefined): TensorRef | undefined => (isPacked(r) ? { ...r!, loc: { ...(r!.loc as Location & { kind: 'weight' }), layout: 'int8-blocks' } } : r);
    const odd: Schedule = {
      ...s,
      weights: s.weights.map((w) => (w.layout ? { ...w, layout: 'int8-blocks' } : w)),
      steps: s.steps.map((st) => ({ ...st, inputs: st.inputs.map(relabel) })),
    };
    const plain = renamed(odd, 'XfcTestPlainReader');
    expect(() => buildPlan(plain)).toThrow(CompileError);
    expect(() => buildPlan(plain)).toThrow(/XfcTestPlainReader node 'fc1': the webgpu backend cannot compile this node: operand 1 \(weight 'w1'\) is stored in layout 'int8-blocks', which this kernel does not read and the runtime cannot restore/);
    expect(() => buildPlan(plain)).toThrow(/XfcTestPlainReader node 'fc2': .*weight 'w2'/);
  });

  it('steps without a WebGPU kernel are one compile-time diagnostic listing every node', () => {
    let err: unknown;
    try {
      buildPlan(renamed(wasm.schedule, 'XfcTestNoKernel'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as Error).message).toMatch(/XfcTestNoKernel node 'fc1': the webgpu backend has no kernel for op 'XfcTestNoKernel'/);
    expect((err as Error).message).toMatch(/XfcTestNoKernel node 'fc2': the webgpu backend has no kernel for op 'XfcTestNoKernel'/);
  });

  it('the runtime refuses a plan restoring a layout it does not know, or of an unknown version', () => {
    const { plan } = buildPlan(renamed(wasm.schedule, 'XfcTestPlainReader'));
    const text = (p: unknown) => new TextEncoder().encode(JSON.stringify(p));
    const restore = plan.weights.restore!.map((r) => ({ ...r, layout: 'int8-blocks' }));
    expect(() => parsePlan(text({ ...plan, weights: { ...plan.weights, restore } }), 'p.json'))
      .toThrow("p.json restores a weight from layout 'int8-blocks', which this runtime does not know (update the runtime)");
    expect(() => parsePlan(text({ ...plan, version: 4 }), 'p.json')).toThrow(BundleError);
    expect(() => parsePlan(text({ ...plan, version: 4 }), 'p.json')).toThrow(/plan version 4; this runtime reads versions 1 to 3/);
    // Version 3 is the f16 format, and only it says precision 'f16'.
    expect(() => parsePlan(text({ ...plan, version: 3 }), 'p.json')).toThrow(/plan version 3 with precision "f32"/);
    expect(() => parsePlan(text({ ...plan, precision: 'f16' }), 'p.json')).toThrow(/plan version 2 with precision "f16"/);
  });

  it.skipIf(gpuUnavailable)('restored entries run on WebGPU matching the interpreter (the matmul kernels made not to declare the layout)', async () => {
    const kernels = ['Linear', 'MatMul'].map((op) => getKernel(op)! as { weightLayouts?: WebGpuKernel['weightLayouts'] });
    const saved = kernels.map((k) => k.weightLayouts);
    let c: ReturnType<typeof compileWebGpu>;
    try {
      for (const k of kernels) k.weightLayouts = undefined;
      c = compileWebGpu(graph, { shared });
    } finally {
      kernels.forEach((k, i) => (k.weightLayouts = saved[i]));
    }
    expect(c.plan.weights.restore?.length).toBe(2);
    const got = (await runGpu(c, feeds))[graph.outputs[0]!.name]!;
    expect(relL2(got.toFloat64(), interpret(graph, feeds)[graph.outputs[0]!.name]!.toFloat64())).toBeLessThanOrEqual(1e-5);
  });

  describe.skipIf(gpuUnavailable)('on a WebGPU device', () => {
    const files = smallBundle(graph);
    const want = interpret(graph, feeds)[graph.outputs[0]!.name]!;
    const check = async (model: Model): Promise<void> => {
      expect(model.backend).toBe('webgpu');
      const got = (await model.run(toFeeds(feeds)))[graph.outputs[0]!.name]!;
      expect(got.dims).toEqual([3, 9]);
      expect(relL2(Array.from(got.data as Float32Array), want.toFloat64())).toBeLessThanOrEqual(1e-5);
      model.dispose();
    };

    it("'auto' with an injected device picks webgpu, which matches the interpreter from the shared weights.bin", async () => {
      await check(await loadModel(files, { backend: 'auto', device: gpuState.device! }));
    });

    it("'auto' with navigator.gpu (and no device given) picks webgpu", async () => {
      const gpu = (globalThis as { __xfcGpu?: GPU }).__xfcGpu!;
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
      try {
        await check(await loadModel(files, { backend: 'auto' }));
      } finally {
        delete (globalThis as { navigator?: unknown }).navigator;
      }
    });
  });
});

describe.skipIf(gpuUnavailable)('the executor on a device of its own', async () => {
  const { graph, feeds } = packedGraph();
  const wasm = compileWasm(graph, { relaxed: false });
  const c = compileWebGpu(graph, { shared: { schedule: wasm.schedule, weights: wasm.weights } });
  const feedOf = (rows: number): Record<string, Feed> => ({ x: { data: randomTensor('f32', [rows, 12], rows).data as Float32Array, dims: [rows, 12] } });
  // One device for the three tests below (in order: the last one destroys it), every call on it counted.
  const device = await (await (globalThis as { __xfcGpu?: GPU }).__xfcGpu!.requestAdapter())!.requestDevice();
  const counts: Record<string, number> = {};
  const counted = new Proxy(device, {
    get(target, key) {
      const v = Reflect.get(target, key, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        counts[String(key)] = (counts[String(key)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const ex = await WebGpuExecutor.create(counted, ioManifest(c), c.plan, c.plan.shaders.map((s) => c.shaders[s.file]!), c.weights);
  afterAll(() => {
    ex.dispose();
    device.destroy();
  });

  it('records one command encoder per run and allocates nothing when a shape repeats', async () => {
    const run = async (rows: number): Promise<Record<string, number>> => {
      for (const k of Object.keys(counts)) delete counts[k];
      await ex.run(feedOf(rows));
      return { ...counts };
    };
    const first = await run(3);
    expect(first.createBuffer).toBe(3); // arena, params, readback
    expect(first.createBindGroup).toBe(c.plan.dispatches.length);
    expect(first.createCommandEncoder).toBe(1);
    const [again, other, back] = [await run(3), await run(5), await run(3)];
    expect(other.createBuffer).toBe(3);
    for (const r of [again, back]) {
      expect(r.createBuffer ?? 0).toBe(0);
      expect(r.createBindGroup ?? 0).toBe(0);
      expect(r.createCommandEncoder).toBe(1);
    }
    expect(ex.cachedShapes).toBe(2);
    const y = (await ex.run(toFeeds(feeds)))[graph.outputs[0]!.name]!;
    expect(relL2(Array.from(y.data as Float32Array), interpret(graph, feeds)[graph.outputs[0]!.name]!.toFloat64())).toBeLessThanOrEqual(1e-5);
  });

  it('an uncaptured validation error on the device becomes an error on the next run (once)', async () => {
    device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE }); // invalid usage, outside any error scope
    await device.queue.onSubmittedWorkDone();
    await new Promise((r) => setTimeout(r, 20));
    const err = await ex.run(feedOf(2)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XfcError);
    expect((err as XfcError).code).toBe('webgpu');
    expect((err as Error).message).toMatch(/^an uncaptured WebGPU validation error was reported on this model's device: .+; this run was not started/s);
    expect(Object.keys(await ex.run(feedOf(2)))).toEqual([graph.outputs[0]!.name]);
  });

  it('device loss becomes a clear error on the next run, and every run after', async () => {
    device.destroy();
    await device.lost;
    for (let i = 0; i < 2; i++) {
      const err = await ex.run(feedOf(2)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(XfcError);
      expect((err as XfcError).code).toBe('device-lost');
      expect((err as Error).message).toMatch(/^the WebGPU device was lost \(it was destroyed(: .*)?\); load the model again on a new device$/);
    }
  });
});
