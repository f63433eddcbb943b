// Writing bundles: the manifest (deterministic JSON, sha256 of every file) and an atomic directory write.
//
// The same model and options give byte-identical bundles: no timestamps, stable key order, hashes of the bytes.
// writeBundle stages everything in a hidden sibling directory, fsyncs it, then renames it into place, so a
// reader sees either the old bundle or the new one, never a mix, and a failure leaves nothing behind. A writer
// killed outright (SIGKILL, power loss) can leave its hidden `.DIR.tmp-PID-*` or `.DIR.old-PID-*` sibling: the
// next writeBundle to DIR removes those of dead processes, and puts a set-aside old bundle back if DIR is missing.

import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dim } from '../compiler/ir/dim.js';
import { dimSymbols } from '../compiler/ir/dim.js';
import type { DType } from '../compiler/ir/dtype.js';
import type { Schedule } from './common/schedule.js';
import { DEFAULT_SYMBOL_MAX } from './resources.js';
import {
  BUNDLE_FORMAT, CHECKSUM_LINE, CHECKSUM_ZEROS, FORMAT_VERSION, type FileEntry, type Manifest, type SymbolRange, type TensorSpec,
  type WasmSection, type WebGpuSection, isSafePath, validateManifest,
} from '../runtime/manifest.js';
import type { RuntimeDType } from '../runtime/dtypes.js';

export const MANIFEST = 'manifest.json';
export { DEFAULT_SYMBOL_MAX } from './resources.js';

export class BundleWriteError extends Error {
  override name = 'BundleWriteError';
}

const RUNTIME_DTYPES: Record<DType, RuntimeDType | undefined> = {
  f32: 'float32', f16: 'float16', f64: 'float64', bf16: undefined,
  i8: 'int8', u8: 'uint8', i16: 'int16', u16: 'uint16', i32: 'int32', u32: 'uint32', i64: 'int64', u64: 'uint64',
  bool: 'bool',
};

/** The runtime's name of an IR dtype ('f32' -> 'float32'); throws for dtypes the runtime cannot carry. */
export function runtimeDtype(d: DType): RuntimeDType {
  const r = RUNTIME_DTYPES[d];
  if (!r) throw new BundleWriteError(`dtype ${d} cannot cross the runtime boundary (graph inputs and outputs must not be ${d})`);
  return r;
}

/** The IR dtype of a runtime dtype name ('float32' -> 'f32'). */
export function irDtype(d: RuntimeDType): DType {
  return (Object.keys(RUNTIME_DTYPES) as DType[]).find((k) => RUNTIME_DTYPES[k] === d)!;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface ManifestInput {
  readonly schedule: Pick<Schedule, 'inputs' | 'outputs'>;
  /** The `wasm` section as codegen produced it (absent for a webgpu-only bundle). */
  readonly wasm?: WasmSection;
  /** The `webgpu` section and the symbols its plan uses (absent for a wasm-only bundle). */
  readonly webgpu?: WebGpuSection & { readonly symbols: readonly string[] };
  /** The model file's name and bytes (hashed). */
  readonly source: { readonly name: string; readonly bytes: Uint8Array };
  /** Every file of the bundle but manifest.json. */
  readonly files: Readonly<Record<string, Uint8Array>>;
  /** Compile options to record (plain JSON values). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Upper bounds of symbols (`--max-shape`); others get DEFAULT_SYMBOL_MAX. */
  readonly maxShape?: Readonly<Record<string, number>>;
  readonly generator: string;
}

export function buildManifest(input: ManifestInput): Manifest {
  const spec = (io: { name: string; dtype: DType; shape: readonly Dim[] }): TensorSpec =>
    ({ name: io.name, dtype: runtimeDtype(io.dtype), shape: [...io.shape] });
  const inputs = input.schedule.inputs.map(spec);
  const outputs = input.schedule.outputs.map(spec);
  if (!input.wasm && !input.webgpu) throw new BundleWriteError('a bundle needs at least one target (wasm or webgpu)');
  const names = new Set<string>([...(input.wasm?.symbols ?? []), ...(input.webgpu?.symbols ?? [])]);
  for (const t of [...inputs, ...outputs]) for (const d of t.shape) for (const s of dimSymbols(d)) names.add(s);
  for (const s of Object.keys(input.maxShape ?? {})) {
    if (!names.has(s)) throw new BundleWriteError(`--max-shape ${s}: the model has no symbol '${s}' (symbols: ${[...names].sort().join(', ') || 'none'})`);
  }
  const symbols: Record<string, SymbolRange> = {};
  for (const s of [...names].sort()) symbols[s] = { min: 1, max: input.maxShape?.[s] ?? DEFAULT_SYMBOL_MAX };
  const files: FileEntry[] = Object.keys(input.files).sort().map((p) => ({ path: p, bytes: input.files[p]!.byteLength, sha256: sha256(input.files[p]!) }));
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    formatVersion: FORMAT_VERSION,
    generator: input.generator,
    source: { name: input.source.name, sha256: sha256(input.source.bytes) },
    targets: [...(input.wasm ? ['wasm'] : []), ...(input.webgpu ? ['webgpu'] : [])],
    inputs,
    outputs,
    symbols,
    // Engine features: the wasm target's (the WebGPU plan uses core WebGPU only; no shader-f16 yet).
    features: { required: input.wasm ? ['simd128'] : [], optional: input.wasm?.relaxedModule ? ['relaxed-simd'] : [] },
    files,
    options: input.options,
    wasm: input.wasm,
    webgpu: input.webgpu ? { plan: input.webgpu.plan, ...(input.webgpu.planF16 ? { planF16: input.webgpu.planF16 } : {}) } : undefined,
  };
  validateManifest(JSON.parse(stableJson(manifest)), 'the manifest being written');
  return manifest;
}

/** JSON with object keys sorted at every level, two-space indent and a final newline: equal data, equal bytes. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sort(o[k])]));
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

/** The text of manifest.json: stable JSON with its own checksum filled in (runtime/manifest.ts explains it). */
export function manifestText(manifest: Manifest): string {
  const blank = stableJson({ ...manifest, checksum: CHECKSUM_ZEROS });
  const m = CHECKSUM_LINE.exec(blank);
  if (!m || m[1] !== CHECKSUM_ZEROS) throw new BundleWriteError('internal error: the manifest checksum line is missing');
  const at = m.index + m[0].indexOf(CHECKSUM_ZEROS);
  return blank.slice(0, at) + sha256(new TextEncoder().encode(blank)) + blank.slice(at + 64);
}

export interface BundleContents {
  readonly manifest: Manifest;
  readonly files: Readonly<Record<string, Uint8Array>>;
}

/** The bundle's files in memory, manifest.json included (for loadModel on a model compiled in memory). */
export function bundleFiles(contents: BundleContents): Record<string, Uint8Array> {
  return { ...contents.files, [MANIFEST]: new TextEncoder().encode(manifestText(contents.manifest)) };
}

/** Writes the bundle into `dir` atomically, replacing an existing bundle there; refuses to clobber anything else. */
export function writeBundle(dir: string, contents: BundleContents): void {
  const all = bundleFiles(contents);
  for (const p of Object.keys(contents.files)) {
    if (p === MANIFEST || !isSafePath(p)) throw new BundleWriteError(`cannot write bundle file '${p}': paths must be relative, stay inside the bundle and not be ${MANIFEST}`);
  }
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  recoverStale(parent, path.basename(target));
  const existing = inspectTarget(target);
  fs.mkdirSync(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staging = path.join(parent, `.${path.basename(target)}.tmp-${tag}`);
  try {
    fs.mkdirSync(staging);
    // manifest.json last: a staged directory with a manifest is complete.
    for (const p of [...Object.keys(contents.files).sort(), MANIFEST]) writeFileSynced(path.join(staging, p), all[p]!);
    fsyncDir(staging);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new BundleWriteError(`cannot write the bundle to '${dir}': ${(e as Error).message}`);
  }
  if (existing === 'absent') {
    renameOrClean(staging, target, dir);
  } else {
    const aside = path.join(parent, `.${path.basename(target)}.old-${tag}`);
    try {
      fs.renameSync(target, aside);
    } catch (e) {
      fs.rmSync(staging, { recursive: true, force: true });
      throw new BundleWriteError(`cannot replace the bundle in '${dir}': ${(e as Error).message}`);
    }
    try {
      fs.renameSync(staging, target);
    } catch (e) {
      fs.renameSync(aside, target);
      fs.rmSync(staging, { recursive: true, force: true });
      throw new BundleWriteError(`cannot replace the bundle in '${dir}': ${(e as Error).message}`);
    }
    fs.rmSync(aside, { recursive: true, force: true });
  }
  fsyncDir(parent);
}

/** Cleans up after writers to `parent/base` that died mid-way (see the header). */
function recoverStale(parent: string, base: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(parent);
  } catch {
    return;
  }
  const prefix = `.${base}.`;
  for (const name of entries.sort()) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(tmp|old)-([0-9]+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length));
    if (!m || isAlive(Number(m[2]))) continue;
    const stale = path.join(parent, name);
    if (m[1] === 'old' && !fs.existsSync(path.join(parent, base))) fs.renameSync(stale, path.join(parent, base));
    else fs.rmSync(stale, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** 'absent', or 'replaceable' (an empty directory or an xfc bundle); throws for anything else. */
function inspectTarget(target: string): 'absent' | 'replaceable' {
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    return 'absent';
  }
  if (!st.isDirectory()) throw new BundleWriteError(`'${target}' exists and is not a directory; refusing to overwrite it`);
  const entries = fs.readdirSync(target);
  if (entries.length === 0) return 'replaceable';
  try {
    const m = JSON.parse(fs.readFileSync(path.join(target, MANIFEST), 'utf8')) as { format?: unknown };
    if (m.format === BUNDLE_FORMAT) return 'replaceable';
  } catch {
    // not a bundle: fall through
  }
  throw new BundleWriteError(`'${target}' is a non-empty directory that is not an xfc bundle; refusing to overwrite it (choose another -o or empty it)`);
}

function renameOrClean(from: string, to: string, dir: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    fs.rmSync(from, { recursive: true, force: true });
    throw new BundleWriteError(`cannot move the bundle into '${dir}': ${(e as Error).message}`);
  }
}

function writeFileSynced(file: string, data: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'wx');
  try {
    let off = 0;
    while (off < data.byteLength) off += fs.writeSync(fd, data, off, data.byteLength - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
