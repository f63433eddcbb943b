// The WebAssembly executor: picks the SIMD or relaxed-SIMD module, loads the weights once, runs per call.
//
// Per call (docs/bundle.md, "The wasm ABI"): validate the feeds and bind the symbols, size the buffers, place
// them with planArena (cached per symbol binding), check that every input and output lies inside its buffer and
// the whole fits in 4 GiB, grow memory, write the run table and the inputs, call run(), copy the outputs out into
// fresh typed arrays. Nothing is written to memory before every check has passed.

import { DTYPES, type RuntimeDType, type RuntimeTypedArray, storedBytes } from './dtypes.js';
import { BundleError, InputError, UnsupportedError, XfcError } from './errors.js';
import { type DimExpr, type Manifest, type TensorSpec, type WasmSection, exprSymbols } from './manifest.js';
import { evalDimExpr, planArena } from './plan.js';

/** A tensor given to `run`: int64 as BigInt64Array or Int32Array, float32 as Float32Array, bool as Uint8Array. */
export interface Feed {
  readonly data: RuntimeTypedArray;
  readonly dims: readonly number[];
}

/** A tensor returned by `run`: always a fresh array the caller owns. */
export interface Output {
  readonly data: RuntimeTypedArray;
  readonly dims: number[];
  readonly dtype: RuntimeDType;
}

const PAGE = 65536;
const MAX_MEMORY = 4 * 1024 * 1024 * 1024;
const PLAN_CACHE = 32;

/** Module bytes of `() -> v128` whose body uses one instruction; valid only where the engine supports it. */
function probe(instr: number[], operands: number): Uint8Array<ArrayBuffer> {
  const constant = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...Array.from({ length: operands }, () => constant).flat(), ...instr, 0x0b];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0,
    10, body.length + 2, 1, body.length, ...body]);
}

/** True when the engine validates SIMD128 (v128.const). */
export function hasSimd128(): boolean {
  return WebAssembly.validate(probe([], 1));
}

/** True when the engine validates relaxed SIMD (f32x4.relaxed_madd = 0xfd 0x105). */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(probe([0xfd, 0x85, 0x02], 3));
}

interface Plan {
  readonly sizes: readonly number[];
  readonly addresses: readonly number[];
  readonly end: number;
}

export class WasmExecutor {
  readonly relaxed: boolean;
  private readonly memory: WebAssembly.Memory;
  private readonly runFn: () => void;
  private readonly wasm: WasmSection;
  private readonly plans = new Map<string, Plan>();

  private constructor(private readonly manifest: Manifest, instance: WebAssembly.Instance, relaxed: boolean) {
    this.wasm = manifest.wasm!;
    this.relaxed = relaxed;
    const { memory, run } = instance.exports as { memory?: unknown; run?: unknown };
    if (!(memory instanceof WebAssembly.Memory) || typeof run !== 'function') {
      throw new XfcError('bundle', `${this.wasm.module} does not export 'memory' and 'run()' as the xfc wasm ABI requires`);
    }
    this.memory = memory;
    this.runFn = run as () => void;
  }

  /** Instantiates `code`; the weights are then streamed into `weightsTarget` by the loader (once). */
  static async create(manifest: Manifest, code: Uint8Array, relaxed: boolean): Promise<WasmExecutor> {
    let instance: WebAssembly.Instance;
    try {
      const module = await WebAssembly.compile(code as Uint8Array<ArrayBuffer>);
      instance = await WebAssembly.instantiate(module, {});
    } catch (e) {
      throw new UnsupportedError(`cannot instantiate ${relaxed ? manifest.wasm!.relaxedModule : manifest.wasm!.module}: ${(e as Error).message}`);
    }
    const ex = new WasmExecutor(manifest, instance, relaxed);
    checkSymbolsBindable(manifest);
    return ex;
  }

  /** The bytes of wasm memory the weights file of `bytes` bytes goes into (memory grown to hold it). */
  weightsTarget(bytes: number): Uint8Array {
    const { weightsBase, tableBase } = this.wasm;
    if (weightsBase + bytes > tableBase) {
      throw new BundleError(`${this.wasm.weights} (${bytes} bytes) does not fit between weightsBase ${weightsBase} and tableBase ${tableBase}`);
    }
    this.ensureMemory(weightsBase + bytes);
    return new Uint8Array(this.memory.buffer, weightsBase, bytes);
  }

  run(feeds: Readonly<Record<string, Feed>>): Record<string, Output> {
    const symbols = bindFeeds(this.manifest, feeds);
    const plan = this.plan(symbols);
    this.ensureMemory(plan.end);

    const buffer = this.memory.buffer;
    const w = this.wasm;
    const table = new Uint32Array(buffer, w.tableBase, w.symbols.length + w.buffers.length);
    w.symbols.forEach((s, i) => (table[i] = symbols[s]!));
    plan.addresses.forEach((a, i) => (table[w.symbols.length + i] = a));

    for (const b of w.inputs) {
      const spec = this.manifest.inputs.find((t) => t.name === b.name)!;
      writeInput(buffer, plan.addresses[b.buffer]! + evalDimExpr(b.offset, symbols), spec.dtype, feeds[b.name]!.data);
    }
    this.runFn();

    const out: Record<string, Output> = {};
    const mem = this.memory.buffer;
    for (const b of w.outputs) {
      const spec = this.manifest.outputs.find((t) => t.name === b.name)!;
      const dims = spec.shape.map((d) => evalDimExpr(d, symbols));
      out[b.name] = { data: readOutput(mem, plan.addresses[b.buffer]! + evalDimExpr(b.offset, symbols), spec.dtype, count(dims)), dims, dtype: spec.dtype };
    }
    return out;
  }

  /** Buffer sizes and absolute addresses for one symbol binding (cached: most callers use few shapes). */
  private plan(symbols: Readonly<Record<string, number>>): Plan {
    const key = Object.keys(symbols).sort().map((s) => `${s}=${symbols[s]}`).join(',');
    const hit = this.plans.get(key);
    if (hit) return hit;
    const plan = placeBuffers(this.manifest, symbols);
    if (this.plans.size >= PLAN_CACHE) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(key, plan);
    return plan;
  }

  private ensureMemory(bytes: number): void {
    if (bytes > MAX_MEMORY) {
      throw new UnsupportedError(`this call needs ${formatBytes(bytes)} of wasm memory, more than the 4 GiB a wasm32 module can address; use smaller inputs`);
    }
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    try {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    } catch (e) {
      throw new UnsupportedError(`cannot grow wasm memory to ${formatBytes(bytes)} for this call: ${(e as Error).message}`);
    }
  }
}

/**
 * Sizes and addresses of the buffers for one symbol binding, checking what a corrupted manifest could get wrong:
 * sizes that do not evaluate to byte counts, and inputs or outputs that would not lie inside their buffer.
 */
function placeBuffers(m: Manifest, symbols: Readonly<Record<string, number>>): Plan {
  const w = m.wasm!;
  const bad = (what: string) => new BundleError(`manifest.json: ${what} at ${Object.entries(symbols).map(([k, v]) => `${k}=${v}`).join(', ') || 'the static shape'}; the bundle is corrupt`);
  const value = (d: DimExpr, what: string): number => {
    let v: number;
    try {
      v = evalDimExpr(d, symbols);
    } catch (e) {
      throw bad(`${what} ${JSON.stringify(d)} cannot be evaluated (${(e as Error).message})`);
    }
    if (!Number.isSafeInteger(v) || v < 0 || v > 2 ** 52) throw bad(`${what} ${JSON.stringify(d)} is ${v}, not a byte count`);
    return v;
  };
  const sizes = w.buffers.map((b, i) => value(b.bytes, `wasm.buffers[${i}].bytes`));
  for (const kind of ['inputs', 'outputs'] as const) {
    for (const b of w[kind]) {
      const spec = m[kind].find((t) => t.name === b.name)!;
      const bytes = count(spec.shape.map((d) => value(d, `the shape of '${b.name}'`))) * DTYPES[spec.dtype].bytes;
      const offset = value(b.offset, `the offset of '${b.name}'`);
      if (offset + bytes > sizes[b.buffer]!) throw bad(`${kind.slice(0, -1)} '${b.name}' (${bytes} bytes at offset ${offset}) does not fit in its buffer of ${sizes[b.buffer]} bytes`);
    }
  }
  if (sizes.reduce((a, b) => a + b, 0) > 2 ** 52) throw bad('the buffers are larger than 2^52 bytes');
  const placed = planArena(w.buffers.map((b, i) => ({ bytes: sizes[i]!, first: b.first, last: b.last })));
  return { sizes, addresses: placed.offsets.map((o) => w.arenaBase + o), end: w.arenaBase + placed.total };
}

/** Every symbol in the wasm symbol table must be readable from an input dim that is exactly that symbol. */
function checkSymbolsBindable(m: Manifest): void {
  const bindable = new Set(m.inputs.flatMap((t) => t.shape.filter(isPlainSymbol)));
  const missing = m.wasm!.symbols.filter((s) => !bindable.has(s));
  if (missing.length > 0) {
    throw new XfcError('bundle', `the bundle needs symbol(s) ${missing.join(', ')} that no input dimension determines`);
  }
}

/** Checks names, dtypes, ranks and dims; binds the symbols. Throws one InputError listing every problem. */
export function bindFeeds(m: Manifest, feeds: Readonly<Record<string, Feed>>): Record<string, number> {
  const problems: string[] = [];
  const symbols = new Map<string, number>();
  const where = new Map<string, string>();
  if (typeof feeds !== 'object' || feeds === null) throw new InputError([`run() takes an object { inputName: { data, dims } }, got ${feeds === null ? 'null' : typeof feeds}`]);
  const expected = m.inputs.map((t) => t.name);
  for (const name of Object.keys(feeds)) {
    if (!expected.includes(name)) problems.push(`unknown input '${name}' (the model takes: ${expected.join(', ')})`);
  }
  const checked: [TensorSpec, Feed][] = [];
  for (const spec of m.inputs) {
    const feed = Object.prototype.hasOwnProperty.call(feeds, spec.name) ? feeds[spec.name] : undefined;
    if (feed === undefined) {
      problems.push(`missing input '${spec.name}' (${describeSpec(spec)})`);
      continue;
    }
    if (typeof feed !== 'object' || feed === null || !('data' in feed) || !('dims' in feed)) {
      problems.push(`input '${spec.name}' must be { data, dims }, got ${feed === null ? 'null' : typeof feed === 'object' ? `an object with keys ${JSON.stringify(Object.keys(feed))}` : typeof feed}`);
      continue;
    }
    const before = problems.length;
    checkDtype(spec, feed, problems);
    const dims = feed.dims;
    if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      problems.push(`input '${spec.name}': dims must be an array of non-negative integers, got ${JSON.stringify(dims)}`);
      continue;
    }
    if (dims.length !== spec.shape.length) {
      problems.push(`input '${spec.name}': expected rank ${spec.shape.length} ${describeShape(spec.shape)}, got dims [${dims.join(', ')}] (rank ${dims.length})`);
      continue;
    }
    if (problems.length === before && feed.data.length !== count(dims)) {
      problems.push(`input '${spec.name}': dims [${dims.join(', ')}] need ${count(dims)} elements, data holds ${feed.data.length}`);
    }
    spec.shape.forEach((d, axis) => {
      const got = dims[axis]!;
      if (typeof d === 'number') {
        if (got !== d) problems.push(`input '${spec.name}': dim ${axis} must be ${d}, got ${got}`);
      } else if (isPlainSymbol(d)) {
        const prev = symbols.get(d);
        if (prev === undefined) {
          symbols.set(d, got);
          where.set(d, `'${spec.name}' dim ${axis}`);
        } else if (prev !== got) {
          problems.push(`input '${spec.name}': dim ${axis} is '${d}' = ${got}, but ${where.get(d)} gave '${d}' = ${prev}`);
        }
      }
    });
    checked.push([spec, feed]);
  }
  for (const [s, v] of symbols) {
    const r = m.symbols[s];
    if (r && (v < r.min || v > r.max)) problems.push(`'${s}' = ${v} (from ${where.get(s)}) is outside the range the bundle was compiled for: ${r.min}..${r.max}`);
  }
  // Dims that are expressions of symbols ("seq+1") are checked once every plain symbol is bound.
  const bound = Object.fromEntries(symbols);
  for (const [spec, feed] of checked) {
    spec.shape.forEach((d, axis) => {
      if (typeof d !== 'string' || isPlainSymbol(d) || !exprSymbols(d).every((s) => symbols.has(s))) return;
      const want = evalDimExpr(d, bound);
      if (feed.dims[axis] !== want) problems.push(`input '${spec.name}': dim ${axis} must be ${d} = ${want}, got ${feed.dims[axis]}`);
    });
  }
  if (problems.length > 0) throw new InputError(problems);
  return Object.fromEntries(symbols);
}

function checkDtype(spec: TensorSpec, feed: Feed, problems: string[]): void {
  const info = DTYPES[spec.dtype];
  const data = feed?.data;
  if (data instanceof info.array || (info.widenFrom && data instanceof info.widenFrom)) return;
  const accepted = [info.array.name, info.widenFrom?.name].filter(Boolean).join(' or ');
  const got = data && typeof data === 'object' ? data.constructor.name : typeof data;
  problems.push(`input '${spec.name}': dtype ${spec.dtype} must be given as ${accepted}, got ${got}`);
}

function writeInput(buffer: ArrayBuffer, address: number, dtype: RuntimeDType, data: RuntimeTypedArray): void {
  const bytes = storedBytes(dtype, data);
  new Uint8Array(buffer, address, bytes.byteLength).set(bytes);
}

function readOutput(buffer: ArrayBuffer, address: number, dtype: RuntimeDType, n: number): RuntimeTypedArray {
  const info = DTYPES[dtype];
  const out = new info.array(n);
  new Uint8Array(out.buffer).set(new Uint8Array(buffer, address, n * info.bytes));
  return out;
}

function isPlainSymbol(d: DimExpr): d is string {
  return typeof d === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(d);
}

function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function describeShape(shape: readonly DimExpr[]): string {
  return `[${shape.join(', ')}]`;
}

function describeSpec(spec: TensorSpec): string {
  return `${spec.dtype}${describeShape(spec.shape)}`;
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}
