// xfc/runtime: load a compiled bundle and run it, in browsers and Node, without the compiler and without eval.
//
//   import { loadModel } from 'xfc/runtime';
//   const model = await loadModel('out/', { backend: 'wasm' });
//   const outputs = await model.run({ input_ids: { data: new BigInt64Array(128), dims: [1, 128] } });
//
// backend 'webgpu' runs the bundle's webgpu/ part on `options.device` (Node has no navigator.gpu: inject one) or a
// device from navigator.gpu; 'auto' picks webgpu when the bundle has it and an adapter exists, else wasm (also
// when the device's limits are too small, found before the weights are read). Either backend reads the one
// weights.bin of a `--target all` bundle.

import { BundleError, IntegrityError, UnsupportedError, XfcError } from './errors.js';
import { type FileEntry, type Manifest, type TensorSpec, manifestChecksum, parseManifest } from './manifest.js';
import { checkDigest, checkSize, createHasher, verifyFile } from './sha256.js';
import { type BundleLocation, type BundleSource, openSource } from './source.js';
import { type Feed, type Output, WasmExecutor, hasRelaxedSimd, hasSimd128 } from './wasm.js';
import { requestDevice } from './device.js';
import type { WebGpuExecutor } from './webgpu.js';

export { BundleError, InputError, IntegrityError, UnsupportedError, XfcError } from './errors.js';
export type { DimExpr, Manifest, SymbolRange, TensorSpec } from './manifest.js';
export { BUNDLE_FORMAT, FORMAT_VERSION, parseManifest } from './manifest.js';
export type { RuntimeDType, RuntimeTypedArray } from './dtypes.js';
export type { BundleFiles, BundleLocation } from './source.js';
export type { Feed, Output } from './wasm.js';
export { hasRelaxedSimd, hasSimd128 } from './wasm.js';
export type { PlanLimits, WebGpuPlan } from './webgpu-plan.js';
export { navigatorGpu, requestDevice } from './device.js';

export interface LoadOptions {
  /** 'auto' (the default): webgpu when the bundle has it and a device or adapter exists, else wasm. */
  backend?: 'wasm' | 'webgpu' | 'auto';
  /** The GPUDevice for the webgpu backend (required in Node, which has no navigator.gpu); the caller keeps it. */
  device?: GPUDevice;
  /** Use model.relaxed.wasm: 'auto' (the default) when the engine validates relaxed SIMD; true requires it. */
  relaxedSimd?: 'auto' | boolean;
  /**
   * WebGPU storage precision: 'auto' (the default) runs the bundle's f16 plan when the device has 'shader-f16'
   * (tensors stored as f16, arithmetic in f32: half the memory traffic, ~1e-3 relative error), else f32;
   * 'f16' requires it; 'f32' never uses it.
   */
  precision?: 'auto' | 'f32' | 'f16';
}

export interface Model {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly manifest: Manifest;
  /** The backend running the model and its variant: the wasm module ('simd', 'relaxed-simd') or the WebGPU plan's storage precision. */
  readonly backend: 'wasm' | 'webgpu';
  readonly variant: 'simd' | 'relaxed-simd' | 'f32' | 'f16';
  run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Output>>;
  dispose(): void;
}

export async function loadModel(source: BundleLocation, options: LoadOptions = {}): Promise<Model> {
  const backend = options.backend ?? 'auto';
  if (backend !== 'wasm' && backend !== 'webgpu' && backend !== 'auto') {
    throw new XfcError('options', `unknown backend ${JSON.stringify(backend)} (expected 'wasm', 'webgpu' or 'auto')`);
  }
  const relaxedOption = options.relaxedSimd ?? 'auto';
  if (relaxedOption !== 'auto' && typeof relaxedOption !== 'boolean') {
    throw new XfcError('options', `relaxedSimd must be 'auto', true or false, got ${JSON.stringify(relaxedOption)}`);
  }

  const precision = options.precision ?? 'auto';
  if (precision !== 'auto' && precision !== 'f32' && precision !== 'f16') {
    throw new XfcError('options', `precision must be 'auto', 'f32' or 'f16', got ${JSON.stringify(precision)}`);
  }

  const src = openSource(source);
  const manifest = await readManifest(src.describe('manifest.json'), await src.read('manifest.json'));
  const hasWebGpu = manifest.webgpu !== undefined && manifest.targets.includes('webgpu');
  const hasWasm = manifest.wasm !== undefined && manifest.targets.includes('wasm');
  if (backend === 'webgpu') {
    if (!hasWebGpu) throw new BundleError(`this bundle has no webgpu target (targets: ${manifest.targets.join(', ') || 'none'}); compile it with --target webgpu or --target all`);
    const device = options.device ?? (await requestDevice());
    if (!device) {
      throw new UnsupportedError("backend 'webgpu': no WebGPU adapter is available (navigator.gpu is missing or found no adapter); " +
        "pass options.device (in Node: a device from the 'webgpu' package) or use backend: 'wasm'");
    }
    return loadWebGpu(src, manifest, device, !options.device, precision);
  }
  if (backend === 'auto' && hasWebGpu) {
    const device = options.device ?? (hasWasm ? await requestDevice().catch(() => undefined) : await requestDevice());
    if (device) {
      try {
        return await loadWebGpu(src, manifest, device, !options.device, precision);
      } catch (e) {
        // A device too small for the bundle (limits) falls back to wasm; a broken bundle is an error either way.
        if (!(e instanceof UnsupportedError) || !hasWasm) throw e;
      }
    } else if (!hasWasm) {
      throw new UnsupportedError('this bundle has only a webgpu target and no WebGPU adapter is available; pass options.device or compile with --target all');
    }
  }
  return loadWasm(src, manifest, relaxedOption);
}

/** Looks up a file's manifest entry. */
function entryOf(manifest: Manifest, path: string): FileEntry {
  const e = manifest.files.find((f) => f.path === path);
  if (!e) throw new BundleError(`manifest.json does not list '${path}' in "files"`);
  return e;
}

/** Reads a small file whole and verifies it against the manifest before anything uses it. */
async function readVerified(src: BundleSource, manifest: Manifest, path: string): Promise<Uint8Array> {
  const entry = entryOf(manifest, path);
  const data = await src.read(path);
  await verifyFile(entry, data, src.describe(path));
  return data;
}

/** Streams a large file into a buffer of the manifest's size, hashing it on the way; throws unless it verifies. */
async function streamVerified(src: BundleSource, manifest: Manifest, path: string, target: (bytes: number) => Uint8Array): Promise<void> {
  const entry = entryOf(manifest, path);
  const where = src.describe(path);
  const into = target(entry.bytes);
  const hasher = await createHasher();
  await src.readInto(path, into, (n) => checkSize(entry, n, where), (chunk) => hasher.update(chunk));
  checkDigest(entry, hasher.hex(), where);
}

/** A large file read whole through streamVerified. */
async function readStreamed(src: BundleSource, manifest: Manifest, path: string): Promise<Uint8Array> {
  let data = new Uint8Array(0);
  await streamVerified(src, manifest, path, (n) => (data = new Uint8Array(n)));
  return data;
}

async function loadWasm(src: BundleSource, manifest: Manifest, relaxedOption: 'auto' | boolean): Promise<Model> {
  const wasm = manifest.wasm;
  if (!wasm || !manifest.targets.includes('wasm')) {
    throw new BundleError(`this bundle has no wasm target (targets: ${manifest.targets.join(', ') || 'none'}); compile it with --target wasm or --target all`);
  }
  if (manifest.features.required.includes('simd128') && !hasSimd128()) {
    throw new UnsupportedError('this JavaScript engine does not support WebAssembly SIMD128, which the bundle requires');
  }
  const relaxed = pickRelaxed(relaxedOption, wasm.relaxedModule !== undefined);
  // The code: read whole (it is small and compiled from bytes), verified before it is compiled.
  const code = await readVerified(src, manifest, relaxed ? wasm.relaxedModule! : wasm.module);
  let executor: WasmExecutor | undefined = await WasmExecutor.create(manifest, code, relaxed);
  // The weights: streamed straight into wasm memory and hashed on the way; nothing runs unless they verify.
  if (wasm.weights !== undefined) await streamVerified(src, manifest, wasm.weights, (n) => executor!.weightsTarget(n));

  return {
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    manifest,
    backend: 'wasm',
    variant: relaxed ? 'relaxed-simd' : 'simd',
    async run(feeds) {
      if (!executor) throw new XfcError('disposed', 'this model was disposed; load it again to run it');
      return executor.run(feeds);
    },
    dispose() {
      executor = undefined;
    },
  };
}

/** Loads the webgpu/ part; a device it requested itself (`owned`) is destroyed on failure and on dispose. */
async function loadWebGpu(src: BundleSource, manifest: Manifest, device: GPUDevice, owned: boolean, precision: 'auto' | 'f32' | 'f16'): Promise<Model> {
  try {
    return await createWebGpuModel(src, manifest, device, owned, precision);
  } catch (e) {
    if (owned) device.destroy();
    throw e;
  }
}

async function createWebGpuModel(src: BundleSource, manifest: Manifest, device: GPUDevice, owned: boolean, precision: 'auto' | 'f32' | 'f16'): Promise<Model> {
  // The executor is loaded only here, so that a bundler can put it in a chunk that wasm users never fetch.
  const { WebGpuExecutor, checkDeviceLimits, parsePlan, weightsPath } = await import('./webgpu.js');
  const planPath = webGpuPlanPath(manifest, device, precision);
  const dir = planPath.includes('/') ? planPath.slice(0, planPath.lastIndexOf('/') + 1) : '';
  const plan = parsePlan(await readVerified(src, manifest, planPath), src.describe(planPath));
  const decoder = new TextDecoder();
  const shaders = await Promise.all(plan.shaders.map(async (s) => decoder.decode(await readVerified(src, manifest, dir + s.file))));
  // Limits before the weights: a device too small costs no download, and 'auto' falls back to wasm from here.
  checkDeviceLimits(plan, device);
  // The weights file: in a --target all bundle, the same weights.bin the wasm target streams into its memory. Held
  // only until uploaded (no closure below keeps it).
  const weights = await readStreamed(src, manifest, weightsPath(plan, planPath));
  let executor: WebGpuExecutor | undefined = await WebGpuExecutor.create(device, manifest, plan, shaders, weights);
  return {
    inputs: manifest.inputs,
    outputs: manifest.outputs,
    manifest,
    backend: 'webgpu',
    variant: plan.precision ?? 'f32',
    async run(feeds) {
      if (!executor) throw new XfcError('disposed', 'this model was disposed; load it again to run it');
      return executor.run(feeds);
    },
    dispose() {
      executor?.dispose();
      executor = undefined;
      if (owned) device.destroy();
    },
  };
}

/** The plan to run: the f16 one when asked for, or by 'auto' when the bundle has it and the device has shader-f16. */
function webGpuPlanPath(manifest: Manifest, device: GPUDevice, precision: 'auto' | 'f32' | 'f16'): string {
  const { plan, planF16 } = manifest.webgpu!;
  const f16 = (device as Partial<GPUDevice>).features?.has('shader-f16') === true;
  if (precision === 'f16') {
    if (!planF16) throw new BundleError("precision 'f16': this bundle has no f16 plan (it was compiled with --no-f16)");
    if (!f16) throw new UnsupportedError("precision 'f16': the WebGPU device lacks the 'shader-f16' feature (request it when creating the device, if the adapter has it)");
    return planF16;
  }
  return precision === 'auto' && planF16 && f16 ? planF16 : plan;
}

/** Checks manifest.json's own checksum (manifest.ts), then parses and validates it. */
async function readManifest(where: string, bytes: Uint8Array): Promise<Manifest> {
  const text = new TextDecoder().decode(bytes);
  const sum = manifestChecksum(text);
  if (sum) {
    const hasher = await createHasher();
    hasher.update(new TextEncoder().encode(sum.blanked));
    const actual = hasher.hex();
    if (actual !== sum.claimed) throw new IntegrityError(`${where} is corrupt or was modified: its checksum is ${sum.claimed}, its content hashes to ${actual}`);
  }
  const manifest = parseManifest(text, where);
  if (!sum) throw new BundleError(`${where} has no "checksum" line (a bundle written by xfc always has one); it was edited or damaged`);
  return manifest;
}

function pickRelaxed(option: 'auto' | boolean, available: boolean): boolean {
  if (option === false) return false;
  if (option === true) {
    if (!available) throw new UnsupportedError('relaxedSimd: true, but this bundle has no relaxed-SIMD module');
    if (!hasRelaxedSimd()) {
      throw new UnsupportedError('relaxedSimd: true, but this engine does not support relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)');
    }
    return true;
  }
  return available && hasRelaxedSimd();
}
