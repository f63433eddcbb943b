// `--target all` bundles end to end: the same files run on webgpu (Dawn device injected) and wasm, against the interpreter; WGSL golden.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../cli/compile.js';
import { bundleFiles, writeBundle } from '../../backends/bundle.js';
import { CompileError } from '../../compiler/diagnostics.js';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { interpret } from '../../compiler/interpreter.js';
import { readNpyFile } from '../../compiler/io/npy.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { BundleError, IntegrityError, UnsupportedError, loadModel, type Feed, type Model, type RuntimeTypedArray } from '../../runtime/index.js';
import { relL2 } from '../helpers.js';
import { compileWebGpu, gpuState, gpuUnavailable, oneNode } from './gpu.js';

const EXAMPLES = path.resolve(import.meta.dirname, '..', '..', 'examples');
const MODEL = path.join(EXAMPLES, 'tiny-bert.onnx');

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

describe('--target all bundles', async () => {
  const compiled = await compileModel(MODEL, { target: 'all' });
  const files = bundleFiles(compiled.contents);
  const { graph } = importOnnxFile(MODEL);
  const want = cases().map((c) => interpret(graph, c.feeds, { checkTypes: false }));
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-webgpu-bundle-'));
    writeBundle(path.join(dir, 'b'), compiled.contents);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('write both targets and a webgpu section pointing at the plan', () => {
    const m = compiled.contents.manifest;
    expect(m.targets).toEqual(['wasm', 'webgpu']);
    expect(m.webgpu).toEqual({ plan: 'webgpu/plan.json' });
    expect(m.features.required).toEqual(['simd128']);
    const paths = m.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['model.wasm', 'weights.bin', 'webgpu/plan.json', 'webgpu/weights.bin']));
    const plan = JSON.parse(new TextDecoder().decode(files['webgpu/plan.json']!)) as { shaders: { file: string }[] };
    expect(plan.shaders.length).toBeGreaterThan(0);
    for (const s of plan.shaders) expect(paths).toContain(`webgpu/${s.file}`);
  });

  it('--target webgpu writes no wasm files and requires no wasm features', async () => {
    const gpu = await compileModel(MODEL, { target: 'webgpu' });
    const m = gpu.contents.manifest;
    expect(m.targets).toEqual(['webgpu']);
    expect(m.wasm).toBeUndefined();
    expect(m.features).toEqual({ required: [], optional: [] });
    expect(Object.keys(gpu.contents.files).every((p) => p.startsWith('webgpu/'))).toBe(true);
    // Identical webgpu/ files whichever way it was asked for.
    for (const [p, data] of Object.entries(gpu.contents.files)) expect(data).toEqual(compiled.contents.files[p]);
    await expect(loadModel(bundleFiles(gpu.contents), { backend: 'wasm' })).rejects.toThrow(BundleError);
    await expect(loadModel(bundleFiles(gpu.contents), { backend: 'wasm' })).rejects.toThrow(/no wasm target \(targets: webgpu\)/);
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

  it('a changed shader is refused before anything compiles', async () => {
    const shader = Object.keys(files).find((p) => p.endsWith('.wgsl'))!;
    const bad = { ...files, [shader]: files[shader]!.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    await expect(loadModel(bad, { backend: 'webgpu', device: {} as GPUDevice })).rejects.toThrow(IntegrityError);
    const short = { ...files, 'webgpu/weights.bin': files['webgpu/weights.bin']!.subarray(4) };
    await expect(loadModel(short, { backend: 'webgpu', device: {} as GPUDevice })).rejects.toThrow(/truncated/);
  });

  it('missing WebGPU kernels are one compile-time diagnostic listing every node', () => {
    const { graph: g } = oneNode('CumSum', [Tensor.fromNumbers('f32', [2, 3], [1, 2, 3, 4, 5, 6]), { constant: Tensor.fromNumbers('i64', [], [1]) }]);
    let err: unknown;
    try {
      compileWebGpu(g);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CompileError);
    expect((err as Error).message).toMatch(/CumSum node 'test_CumSum': the webgpu backend has no kernel for op 'CumSum'/);
    expect((err as Error).message).not.toMatch(/''|'\)'/);
  });

  describe.skipIf(gpuUnavailable)('on a WebGPU device', () => {
    it('webgpu from a bundle directory matches the interpreter (rel. L2 <= 1e-4)', async () => {
      const model = await loadModel(path.join(dir, 'b'), { backend: 'webgpu', device: gpuState.device! });
      expect(model.backend).toBe('webgpu');
      const errs = await errorsOf(model, want);
      expect(errs.length).toBe(2);
      for (const e of errs) expect(e).toBeLessThanOrEqual(1e-4);
      model.dispose();
    });

    it("'auto' with a device picks webgpu", async () => {
      const model = await loadModel(files, { backend: 'auto', device: gpuState.device! });
      expect(model.backend).toBe('webgpu');
      for (const e of await errorsOf(model, want)) expect(e).toBeLessThanOrEqual(1e-4);
      model.dispose();
    });
  });

  it('WGSL golden of the tiny model', async () => {
    const shaders = Object.keys(compiled.contents.files).filter((p) => p.endsWith('.wgsl')).sort();
    const text = shaders.map((p) => `// ---- ${p}\n${new TextDecoder().decode(compiled.contents.files[p]!)}`).join('\n');
    await expect(text).toMatchFileSnapshot('./__snapshots__/tiny-bert.wgsl');
  });
});
