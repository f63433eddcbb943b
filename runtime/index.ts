// xfc/runtime: load a compiled bundle and run it, in browsers and Node, without the compiler and without eval.
//
//   import { loadModel } from 'xfc/runtime';
//   const model = await loadModel('out/', { backend: 'wasm' });
//   const outputs = await model.run({ input_ids: { data: new BigInt64Array(128), dims: [1, 128] } });

import { BundleError, IntegrityError, UnsupportedError, XfcError } from './errors.js';
import { type Manifest, type TensorSpec, manifestChecksum, parseManifest } from './manifest.js';
import { checkDigest, checkSize, createHasher, verifyFile } from './sha256.js';
import { type BundleLocation, openSource } from './source.js';
import { type Feed, type Output, WasmExecutor, hasRelaxedSimd, hasSimd128 } from './wasm.js';

export { BundleError, InputError, IntegrityError, UnsupportedError, XfcError } from './errors.js';
export type { DimExpr, Manifest, SymbolRange, TensorSpec } from './manifest.js';
export { BUNDLE_FORMAT, FORMAT_VERSION, parseManifest } from './manifest.js';
export type { RuntimeDType, RuntimeTypedArray } from './dtypes.js';
export type { BundleFiles, BundleLocation } from './source.js';
export type { Feed, Output } from './wasm.js';
export { hasRelaxedSimd, hasSimd128 } from './wasm.js';

export interface LoadOptions {
  /** 'auto' (the default) picks the best backend the bundle and the engine support; today that is wasm. */
  backend?: 'wasm' | 'webgpu' | 'auto';
  /** Use model.relaxed.wasm: 'auto' (the default) when the engine validates relaxed SIMD; true requires it. */
  relaxedSimd?: 'auto' | boolean;
}

export interface Model {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly manifest: Manifest;
  /** The backend running the model and, for wasm, which module variant. */
  readonly backend: 'wasm';
  readonly variant: 'simd' | 'relaxed-simd';
  run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Output>>;
  dispose(): void;
}

export async function loadModel(source: BundleLocation, options: LoadOptions = {}): Promise<Model> {
  const backend = options.backend ?? 'auto';
  if (backend === 'webgpu') {
    throw new UnsupportedError("the 'webgpu' backend is not available in this build of xfc yet; use backend: 'wasm' (or 'auto')");
  }
  if (backend !== 'wasm' && backend !== 'auto') {
    throw new XfcError('options', `unknown backend ${JSON.stringify(backend)} (expected 'wasm', 'webgpu' or 'auto')`);
  }
  const relaxedOption = options.relaxedSimd ?? 'auto';
  if (relaxedOption !== 'auto' && typeof relaxedOption !== 'boolean') {
    throw new XfcError('options', `relaxedSimd must be 'auto', true or false, got ${JSON.stringify(relaxedOption)}`);
  }

  const src = openSource(source);
  const manifest = await readManifest(src.describe('manifest.json'), await src.read('manifest.json'));
  const wasm = manifest.wasm;
  if (!wasm || !manifest.targets.includes('wasm')) {
    throw new BundleError(`this bundle has no wasm target (targets: ${manifest.targets.join(', ') || 'none'}); compile it with --target wasm`);
  }
  if (manifest.features.required.includes('simd128') && !hasSimd128()) {
    throw new UnsupportedError('this JavaScript engine does not support WebAssembly SIMD128, which the bundle requires');
  }
  const relaxed = pickRelaxed(relaxedOption, wasm.relaxedModule !== undefined);
  const entry = (path: string) => {
    const e = manifest.files.find((f) => f.path === path);
    if (!e) throw new BundleError(`manifest.json does not list '${path}' in "files"`);
    return e;
  };
  // The code: read whole (it is small and compiled from bytes), verified before it is compiled.
  const codePath = relaxed ? wasm.relaxedModule! : wasm.module;
  const code = await src.read(codePath);
  await verifyFile(entry(codePath), code, src.describe(codePath));
  let executor: WasmExecutor | undefined = await WasmExecutor.create(manifest, code, relaxed);
  // The weights: streamed straight into wasm memory and hashed on the way; nothing runs unless they verify.
  if (wasm.weights !== undefined) {
    const weights = entry(wasm.weights);
    const where = src.describe(wasm.weights);
    const target = executor.weightsTarget(weights.bytes);
    const hasher = await createHasher();
    await src.readInto(wasm.weights, target, (n) => checkSize(weights, n, where), (chunk) => hasher.update(chunk));
    checkDigest(weights, hasher.hex(), where);
  }

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
