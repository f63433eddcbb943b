// manifest.json of an xfc bundle: its types, and validation that reports every problem at once.
//
// The format is specified in docs/bundle.md. The runtime refuses a manifest it does not fully understand
// rather than guessing: unknown `format`, unknown `formatVersion`, missing or ill-typed fields.

import { BundleError } from './errors.js';
import { type RuntimeDType, isRuntimeDType } from './dtypes.js';

export const BUNDLE_FORMAT = 'xfc-bundle';
export const FORMAT_VERSION = 1;

/** A dim: a number, or a symbolic expression in canonical polynomial text ("batch", "128*batch*seq+64"). */
export type DimExpr = number | string;

export interface TensorSpec {
  readonly name: string;
  readonly dtype: RuntimeDType;
  readonly shape: readonly DimExpr[];
}

export interface SymbolRange {
  readonly min: number;
  readonly max: number;
}

export interface FileEntry {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface WasmBuffer {
  /** Byte size, possibly symbolic. */
  readonly bytes: DimExpr;
  /** First and last step touching it (inputs start at -1, outputs end at the step count). */
  readonly first: number;
  readonly last: number;
}

export interface WasmBinding {
  readonly name: string;
  readonly buffer: number;
  readonly offset: DimExpr;
}

export interface WasmSection {
  readonly module: string;
  readonly relaxedModule?: string;
  readonly weights?: string;
  readonly weightsBase: number;
  readonly tableBase: number;
  readonly arenaBase: number;
  readonly symbols: readonly string[];
  readonly buffers: readonly WasmBuffer[];
  readonly inputs: readonly WasmBinding[];
  readonly outputs: readonly WasmBinding[];
}

/** The WebGPU target: its dispatch plan (webgpu/plan.json); shaders and weights are named in the plan, relative to it. */
export interface WebGpuSection {
  readonly plan: string;
  /** The f16 plan (webgpu/plan-f16.json), for devices with shader-f16; absent when compiled without it. */
  readonly planF16?: string;
}

export interface Manifest {
  readonly format: typeof BUNDLE_FORMAT;
  /** sha256 of manifest.json with this value written as 64 zeros (see manifestChecksum); absent only in memory. */
  readonly checksum?: string;
  readonly formatVersion: number;
  readonly generator: string;
  readonly source: { readonly name: string; readonly sha256: string };
  readonly targets: readonly string[];
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly symbols: Readonly<Record<string, SymbolRange>>;
  readonly features: { readonly required: readonly string[]; readonly optional: readonly string[] };
  readonly files: readonly FileEntry[];
  readonly options: Readonly<Record<string, unknown>>;
  readonly wasm?: WasmSection;
  readonly webgpu?: WebGpuSection;
}

const DIM_EXPR = /^-?(?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*)(?:\*(?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*))*(?:[+-](?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*)(?:\*(?:[0-9]+|[A-Za-z_][A-Za-z0-9_]*))*)*$/;
const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * manifest.json carries its own checksum on one top-level line, `  "checksum": "<64 hex>",` (the compiler writes
 * sorted keys with two-space indentation, so that line is unique): the sha256 of the file's bytes with those 64
 * digits replaced by zeros. It turns any change of the manifest (a flipped digit in a buffer size or a layout
 * address would otherwise run the model wrongly) into a clear error. It is not a signature: serve bundles from
 * an origin you trust.
 */
export const CHECKSUM_LINE = /^ {2}"checksum": "([0-9a-f]{64})",?$/m;
export const CHECKSUM_ZEROS = '0'.repeat(64);

/** The checksum the manifest text claims, and the text to hash to check it; undefined when it has none. */
export function manifestChecksum(text: string): { claimed: string; blanked: string } | undefined {
  const m = CHECKSUM_LINE.exec(text);
  if (!m) return undefined;
  const at = m.index + m[0].indexOf(m[1]!);
  return { claimed: m[1]!, blanked: text.slice(0, at) + CHECKSUM_ZEROS + text.slice(at + 64) };
}

/** The symbol names a dim expression mentions. */
export function exprSymbols(d: DimExpr): string[] {
  return typeof d === 'number' ? [] : [...new Set(d.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])];
}

/** Parses and validates manifest.json; throws one BundleError listing every problem. */
export function parseManifest(text: string | Uint8Array, where = 'manifest.json'): Manifest {
  const str = typeof text === 'string' ? text : new TextDecoder().decode(text);
  let json: unknown;
  try {
    json = JSON.parse(str);
  } catch (e) {
    throw new BundleError(`${where} is not valid JSON (${(e as Error).message}); is this an xfc bundle?`);
  }
  validateManifest(json, where);
  return json;
}

/** Checks the structure of a parsed manifest; throws one BundleError listing every problem. */
export function validateManifest(json: unknown, where = 'manifest.json'): asserts json is Manifest {
  if (!isObject(json)) throw new BundleError(`${where} must hold a JSON object`);
  if (json.format !== BUNDLE_FORMAT) {
    throw new BundleError(`${where}: "format" is ${JSON.stringify(json.format)}, expected "${BUNDLE_FORMAT}": this is not an xfc bundle`);
  }
  if (json.formatVersion !== FORMAT_VERSION) {
    throw new BundleError(`${where}: formatVersion ${JSON.stringify(json.formatVersion)} is not supported by this runtime ` +
      `(it reads version ${FORMAT_VERSION}); use a runtime from the same xfc release as the compiler that wrote the bundle`);
  }
  const p: string[] = [];
  const check = new Checker(p);
  if (json.checksum !== undefined) check.sha(json, 'checksum');
  check.string(json, 'generator');
  if (check.object(json, 'source')) {
    check.string(json.source as Obj, 'name', 'source.name');
    check.sha(json.source as Obj, 'sha256', 'source.sha256');
  }
  check.stringArray(json, 'targets');
  const symbols = isObject(json.symbols) ? json.symbols : undefined;
  if (!symbols) p.push('"symbols" must be an object');
  else {
    for (const [name, r] of Object.entries(symbols)) {
      if (!SYMBOL.test(name)) p.push(`symbols: ${JSON.stringify(name)} is not a valid symbol name`);
      if (!isObject(r) || !isPosInt(r.min) || !isPosInt(r.max) || (r.min as number) > (r.max as number)) {
        p.push(`symbols.${name} must be { "min": integer >= 1, "max": integer >= min }`);
      }
    }
  }
  const known = (d: DimExpr) => !symbols || exprSymbols(d).every((s) => s in symbols);
  for (const kind of ['inputs', 'outputs'] as const) {
    const list = json[kind];
    if (!Array.isArray(list)) {
      p.push(`"${kind}" must be an array`);
      continue;
    }
    const names = list.map((t) => (isObject(t) ? t.name : undefined));
    if (new Set(names).size !== names.length) p.push(`"${kind}" names must be unique`);
    list.forEach((t, i) => {
      const at = `${kind}[${i}]`;
      if (!isObject(t) || typeof t.name !== 'string') return void p.push(`${at} must be { name, dtype, shape }`);
      if (!isRuntimeDType(t.dtype)) p.push(`${at} (${t.name}): unknown dtype ${JSON.stringify(t.dtype)}`);
      if (!Array.isArray(t.shape)) p.push(`${at} (${t.name}): "shape" must be an array`);
      else {
        for (const d of t.shape) {
          if (!isDim(d)) p.push(`${at} (${t.name}): invalid dim ${JSON.stringify(d)}`);
          else if (!known(d)) p.push(`${at} (${t.name}): dim ${JSON.stringify(d)} uses a symbol missing from "symbols"`);
        }
      }
    });
  }
  if (check.object(json, 'features')) {
    check.stringArray(json.features as Obj, 'required', 'features.required');
    check.stringArray(json.features as Obj, 'optional', 'features.optional');
  }
  if (!Array.isArray(json.files)) p.push('"files" must be an array');
  else {
    json.files.forEach((f, i) => {
      if (!isObject(f) || typeof f.path !== 'string' || !isNonNegInt(f.bytes) || typeof f.sha256 !== 'string' || !HEX64.test(f.sha256)) {
        p.push(`files[${i}] must be { path, bytes, sha256 (64 lowercase hex digits) }`);
      } else if (!isSafePath(f.path)) p.push(`files[${i}]: path ${JSON.stringify(f.path)} must be relative and stay inside the bundle`);
    });
  }
  if (!isObject(json.options)) p.push('"options" must be an object');
  if (json.wasm !== undefined) validateWasm(json.wasm, p, known, json);
  if (json.webgpu !== undefined) validateWebGpu(json.webgpu, p, json);
  if (Array.isArray(json.targets)) {
    for (const t of json.targets) if ((t === 'wasm' || t === 'webgpu') && json[t] === undefined) p.push(`"targets" lists ${t} but there is no "${t}" section`);
  }
  if (p.length > 0) {
    throw new BundleError(`${where} is invalid (${p.length} problem${p.length > 1 ? 's' : ''}):\n  - ${p.join('\n  - ')}`);
  }
}

function validateWasm(w: unknown, p: string[], known: (d: DimExpr) => boolean, json: Obj): void {
  if (!isObject(w)) return void p.push('"wasm" must be an object');
  const files = json.files;
  // When "files" itself is broken that is already reported; do not repeat it for every file named here.
  const listed = Array.isArray(files) ? new Set(files.map((f) => (isObject(f) ? f.path : undefined))) : undefined;
  for (const key of ['module', 'relaxedModule', 'weights'] as const) {
    if (key !== 'module' && w[key] === undefined) continue;
    if (typeof w[key] !== 'string') p.push(`wasm.${key} must be a file name`);
    else if (listed && !listed.has(w[key])) p.push(`wasm.${key} "${w[key]}" is not listed in "files"`);
  }
  for (const key of ['weightsBase', 'tableBase', 'arenaBase'] as const) {
    if (!isNonNegInt(w[key])) p.push(`wasm.${key} must be a non-negative integer`);
  }
  // The layout: weights, then the run table (4-byte slots: symbols, then buffer addresses), then the arena.
  if (isNonNegInt(w.weightsBase) && isNonNegInt(w.tableBase) && isNonNegInt(w.arenaBase) && Array.isArray(w.symbols) && Array.isArray(w.buffers)) {
    const tableEnd = (w.tableBase as number) + 4 * (w.symbols.length + w.buffers.length);
    if ((w.tableBase as number) % 4 !== 0 || (w.tableBase as number) < (w.weightsBase as number) || tableEnd > (w.arenaBase as number) || (w.arenaBase as number) > 2 ** 32) {
      p.push(`wasm layout must be weightsBase <= tableBase (a multiple of 4), tableBase + 4 * (symbols + buffers) <= arenaBase <= 4 GiB; got ${w.weightsBase}, ${w.tableBase}, ${w.arenaBase}`);
    }
  }
  if (!Array.isArray(w.symbols) || !w.symbols.every((s) => typeof s === 'string' && known(s)) || new Set(w.symbols).size !== w.symbols.length) {
    p.push('wasm.symbols must list symbols declared in "symbols", each once');
  }
  const nBuffers = Array.isArray(w.buffers) ? w.buffers.length : 0;
  if (!Array.isArray(w.buffers)) p.push('wasm.buffers must be an array');
  else {
    w.buffers.forEach((b, i) => {
      if (!isObject(b) || !isDim(b.bytes) || !known(b.bytes) || !Number.isInteger(b.first) || !Number.isInteger(b.last) || (b.first as number) > (b.last as number)) {
        p.push(`wasm.buffers[${i}] must be { bytes: dim, first: int, last: int >= first }`);
      }
    });
  }
  for (const kind of ['inputs', 'outputs'] as const) {
    const list = w[kind];
    if (!Array.isArray(list)) {
      p.push(`wasm.${kind} must be an array`);
      continue;
    }
    list.forEach((b, i) => {
      if (!isObject(b) || typeof b.name !== 'string' || !Number.isInteger(b.buffer) || (b.buffer as number) < 0 || (b.buffer as number) >= nBuffers || !isDim(b.offset) || !known(b.offset)) {
        p.push(`wasm.${kind}[${i}] must be { name, buffer: index into wasm.buffers, offset }`);
      }
    });
    // Every input and output of the model is bound to exactly one place, and nothing else is.
    const declared = Array.isArray(json[kind]) ? (json[kind] as unknown[]).map((t) => (isObject(t) ? t.name : undefined)) : undefined;
    const bound = list.map((b) => (isObject(b) ? b.name : undefined));
    if (declared && (bound.length !== declared.length || new Set(bound).size !== bound.length || !declared.every((n) => bound.includes(n)))) {
      p.push(`wasm.${kind} must bind each of "${kind}" exactly once (${kind}: ${JSON.stringify(declared)}, bound: ${JSON.stringify(bound)})`);
    }
  }
}

function validateWebGpu(w: unknown, p: string[], json: Obj): void {
  if (!isObject(w)) return void p.push('"webgpu" must be an object');
  const listed = Array.isArray(json.files) ? new Set(json.files.map((f) => (isObject(f) ? f.path : undefined))) : undefined;
  for (const key of ['plan', 'planF16'] as const) {
    const v = w[key];
    if (v === undefined && key === 'planF16') continue;
    if (typeof v !== 'string') p.push(`webgpu.${key} must be a file name`);
    else if (listed && !listed.has(v)) p.push(`webgpu.${key} "${v}" is not listed in "files"`);
  }
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(private readonly p: string[]) {}
  string(o: Obj, key: string, label = key): void {
    if (typeof o[key] !== 'string') this.p.push(`"${label}" must be a string`);
  }
  sha(o: Obj, key: string, label = key): void {
    if (typeof o[key] !== 'string' || !HEX64.test(o[key] as string)) this.p.push(`"${label}" must be a sha256 (64 lowercase hex digits)`);
  }
  object(o: Obj, key: string): boolean {
    if (isObject(o[key])) return true;
    this.p.push(`"${key}" must be an object`);
    return false;
  }
  stringArray(o: Obj, key: string, label = key): void {
    const v = o[key];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) this.p.push(`"${label}" must be an array of strings`);
  }
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPosInt(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 1;
}

function isNonNegInt(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isDim(v: unknown): v is DimExpr {
  return (Number.isSafeInteger(v) && (v as number) >= 0) || (typeof v === 'string' && DIM_EXPR.test(v));
}

/**
 * A relative path of plain segments, each of letters, digits, '_', '-' and '.' and not starting with '.': no
 * absolute paths, no '..', no backslashes, no empty segments, nothing a URL would read as a scheme, query,
 * fragment or escape ('C:x', 'a?b', '%2e%2e'), so that it names the same file on disk and under a URL.
 */
export function isSafePath(path: string): boolean {
  return path.length > 0 && path.length <= 255 && path.split('/').every((seg) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(seg));
}
