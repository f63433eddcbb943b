// The WebGPU executor: runs a bundle's webgpu/ part (plan.json + one .wgsl per shader) on a GPUDevice.
//
// At load: checks the plan against the device's limits (webgpu-plan.ts), compiles every shader and creates its
// pipeline asynchronously, uploads the weights once (one storage buffer per chunk of the weights file, packed
// entries restored). Per shape seen: evaluates buffer sizes, places them with planArena in one arena buffer,
// writes every dispatch's params into one uniform buffer and creates the bind groups (cached per symbol binding:
// a later call with that shape allocates nothing). Per run: writes the inputs, records one command encoder (one
// compute pass), copies the outputs into one readback buffer, maps it at the end. Errors inside a run (error
// scopes), device loss and uncaptured errors on the device become XfcErrors (the latter two on the next run).
// An f16 plan (webgpu-plan.ts) adds an f16 arena (its buffers placed by f32 bytes, allocated at half that) and
// f16 copies of the weight chunks it reads so; f32 inputs and outputs held there are converted on the CPU as
// they are written and read back. Imports nothing from the compiler.

/// <reference types="@webgpu/types" />
import { DTYPES, storedBytes } from './dtypes.js';
import { BundleError, UnsupportedError, XfcError } from './errors.js';
import { fromF16, toF16Saturated } from './half.js';
import type { Manifest } from './manifest.js';
import { evalDimExpr, planArena } from './plan.js';
import { type Feed, type Output, bindFeeds } from './wasm.js';
import { PARAM_SLOT, type PlanBinding, type WebGpuPlan, checkDeviceLimits, chunkBound, chunkBytes, halfChunk } from './webgpu-plan.js';

export type { ParamExpr, PlanBinding, PlanDispatch, PlanLimits, PlanWeights, WebGpuPlan, WeightRestore, WorkgroupFactor } from './webgpu-plan.js';
export { checkDeviceLimits, limitProblems, parsePlan, weightsPath } from './webgpu-plan.js';

/** The parts of a manifest the executor reads (input/output specs and symbol ranges). */
export type IoManifest = Pick<Manifest, 'inputs' | 'outputs' | 'symbols'>;

const SHAPE_CACHE = 16;

interface ShapeState {
  readonly symbols: Record<string, number>;
  readonly arena: GPUBuffer;
  /** The f16 arena (f16 plans with half buffers). */
  readonly halfArena: GPUBuffer | undefined;
  /** Per plan buffer: its byte address in its arena (for half buffers, in f32 bytes: the f16 arena's bytes × 2). */
  readonly addresses: readonly number[];
  readonly params: GPUBuffer | undefined;
  readonly bindGroups: readonly GPUBindGroup[];
  readonly grids: readonly (readonly [number, number])[];
  readonly readback: GPUBuffer;
  /** Copied from `src` in the arena (or, `half`, the f16 arena) to `at` in the readback buffer; f16 values start `skew` bytes in. */
  readonly outputs: readonly { name: string; half: boolean; src: number; skew: number; at: number; bytes: number; dims: number[] }[];
}

/** The GPU weight buffers: per chunk, its words and its f16 copy, each made only when some dispatch binds it. */
interface WeightBuffers {
  readonly words: readonly (GPUBuffer | undefined)[];
  readonly half: readonly (GPUBuffer | undefined)[];
}

/** The message of a lost device (GPUDeviceLostInfo). */
export function deviceLostMessage(info: Pick<GPUDeviceLostInfo, 'reason' | 'message'>): string {
  const why = info.reason === 'destroyed' ? 'it was destroyed' : `reason: ${info.reason || 'unknown'}`;
  return `the WebGPU device was lost (${why}${info.message ? `: ${info.message}` : ''}); load the model again on a new device`;
}

export class WebGpuExecutor {
  private readonly shapes = new Map<string, ShapeState>();
  /** Set once the device is lost: every later run throws it. */
  private lost: string | undefined;
  /** An error reported outside a run (uncaptured, or while allocating for a shape): the next run throws it once. */
  private pending: string | undefined;
  private busy = false;
  private readonly onUncaptured = (e: Event): void => {
    const err = (e as GPUUncapturedErrorEvent).error;
    this.pending ??= `an uncaptured WebGPU ${errorKind(err)} was reported on this model's device: ${err?.message ?? String(err)}`;
  };

  private constructor(
    private readonly device: GPUDevice,
    private readonly manifest: IoManifest,
    private readonly plan: WebGpuPlan,
    private readonly pipelines: readonly GPUComputePipeline[],
    private readonly weightBuffers: WeightBuffers,
  ) {
    void device.lost.then((info) => {
      this.lost = deviceLostMessage(info);
    });
    device.addEventListener?.('uncapturederror', this.onUncaptured);
  }

  /** Checks limits, compiles the shaders, creates pipelines (async) and uploads the weights once. */
  static async create(device: GPUDevice, manifest: IoManifest, plan: WebGpuPlan, shaders: readonly string[], weights: Uint8Array): Promise<WebGpuExecutor> {
    checkDeviceLimits(plan, device);
    device.pushErrorScope('validation');
    let pipelines: GPUComputePipeline[];
    const weightBuffers = { words: [] as (GPUBuffer | undefined)[], half: [] as (GPUBuffer | undefined)[] };
    const upload = (data: Uint8Array | Uint16Array, bytes: number, label: string): GPUBuffer => {
      const buf = device.createBuffer({ size: Math.max(16, roundUp(bytes, 16)), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label });
      device.queue.writeBuffer(buf, 0, data as Uint8Array<ArrayBuffer>);
      return buf;
    };
    const destroyAll = (): void => {
      for (const b of [...weightBuffers.words, ...weightBuffers.half]) b?.destroy();
    };
    try {
      pipelines = await Promise.all(shaders.map((code, i) => createPipeline(device, plan.shaders[i]!.file, code)));
      plan.weights.chunks.forEach((c, i) => {
        const [asWords, asHalf] = [chunkBound(plan, i, 'weights'), chunkBound(plan, i, 'weights-half')];
        const bytes = asWords || asHalf ? chunkBytes(plan, weights, i) : undefined;
        weightBuffers.words.push(asWords ? upload(bytes!, c.bytes, `weights chunk ${i}`) : undefined);
        weightBuffers.half.push(asHalf ? upload(halfChunk(plan, bytes!, i), c.bytes / 2, `weights chunk ${i} (f16)`) : undefined);
      });
    } catch (e) {
      await device.popErrorScope();
      destroyAll();
      throw e;
    }
    const err = await device.popErrorScope();
    if (err) {
      destroyAll();
      throw new XfcError('webgpu', `loading the bundle failed validation: ${err.message}`);
    }
    return new WebGpuExecutor(device, manifest, plan, pipelines, weightBuffers);
  }

  async run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Output>> {
    if (this.lost !== undefined) throw new XfcError('device-lost', this.lost);
    if (this.pending !== undefined) {
      const message = this.pending;
      this.pending = undefined;
      throw new XfcError('webgpu', `${message}; this run was not started (results computed since then may be wrong)`);
    }
    if (this.busy) throw new XfcError('webgpu', 'run() was called while a previous run of this model is still in flight; await it first');
    this.busy = true;
    try {
      const symbols = bindFeeds(this.manifest as Manifest, feeds);
      const st = await this.shape(symbols);
      const device = this.device;
      for (const io of this.plan.inputs) {
        const spec = this.manifest.inputs.find((t) => t.name === io.name)!;
        const data = feeds[io.name]!.data;
        const at = st.addresses[io.buffer]! + evalDimExpr(io.offset, symbols);
        if (this.plan.buffers[io.buffer]!.half) {
          // f32 bytes / 2 = the f16 arena's bytes; queue writes need 4-byte offsets (an input starts its own buffer).
          if (at % 8 !== 0) throw new BundleError(`input '${io.name}' is stored as f16 at f32 address ${at}, not a multiple of 8`);
          const half = padTo(new Uint8Array(toF16Saturated(data as Float32Array).buffer), roundUp(data.length * 2, 4));
          if (half.byteLength > 0) device.queue.writeBuffer(st.halfArena!, at / 2, half as Uint8Array<ArrayBuffer>);
          continue;
        }
        const bytes = inputBytes(spec.dtype, data);
        if (bytes.byteLength > 0) device.queue.writeBuffer(st.arena, at, bytes as Uint8Array<ArrayBuffer>);
      }
      device.pushErrorScope('validation');
      device.pushErrorScope('out-of-memory');
      const enc = device.createCommandEncoder({ label: 'xfc run' });
      const pass = enc.beginComputePass();
      this.plan.dispatches.forEach((d, i) => {
        const [x, y] = st.grids[i]!;
        if (x === 0) return;
        pass.setPipeline(this.pipelines[d.shader]!);
        pass.setBindGroup(0, st.bindGroups[i]!);
        pass.dispatchWorkgroups(x, y);
      });
      pass.end();
      for (const o of st.outputs) if (o.bytes > 0) enc.copyBufferToBuffer(o.half ? st.halfArena! : st.arena, o.src, st.readback, o.at, o.bytes);
      device.queue.submit([enc.finish()]);
      const [oom, invalid] = [await device.popErrorScope(), await device.popErrorScope()];
      if (invalid) throw new XfcError('webgpu', `a dispatch failed validation: ${invalid.message}`);
      if (oom) throw new XfcError('webgpu', `the GPU ran out of memory: ${oom.message}`);
      try {
        await st.readback.mapAsync(GPUMapMode.READ);
      } catch (e) {
        if (this.lost !== undefined) throw new XfcError('device-lost', `${this.lost} (during the run)`);
        throw new XfcError('webgpu', `reading the outputs back failed: ${(e as Error).message}`);
      }
      const out: Record<string, Output> = {};
      try {
        const mapped = st.readback.getMappedRange();
        for (const o of st.outputs) {
          const spec = this.manifest.outputs.find((t) => t.name === o.name)!;
          const info = DTYPES[spec.dtype];
          const n = o.dims.reduce((a, b) => a * b, 1);
          if (o.half) {
            out[o.name] = { data: fromF16(new Uint16Array(mapped.slice(o.at + o.skew, o.at + o.skew + n * 2))), dims: o.dims, dtype: spec.dtype };
            continue;
          }
          const data = new info.array(n);
          new Uint8Array(data.buffer).set(new Uint8Array(mapped, o.at, n * info.bytes));
          out[o.name] = { data, dims: o.dims, dtype: spec.dtype };
        }
      } finally {
        st.readback.unmap();
      }
      return out;
    } finally {
      this.busy = false;
    }
  }

  /** Shapes whose buffers and bind groups are cached (at most SHAPE_CACHE, oldest evicted first). */
  get cachedShapes(): number {
    return this.shapes.size;
  }

  /** Releases every GPU buffer this executor created (the device stays the caller's). */
  dispose(): void {
    for (const st of this.shapes.values()) destroyShape(st);
    this.shapes.clear();
    for (const b of [...this.weightBuffers.words, ...this.weightBuffers.half]) b?.destroy();
    this.device.removeEventListener?.('uncapturederror', this.onUncaptured);
  }

  /** Everything that depends on the symbol values, created once per shape. */
  private async shape(symbols: Record<string, number>): Promise<ShapeState> {
    const key = this.plan.symbols.map((s) => `${s}=${symbols[s]}`).join(',');
    const hit = this.shapes.get(key);
    if (hit) return hit;
    const { device, plan } = this;
    const sizes = plan.buffers.map((b) => evalDimExpr(b.bytes, symbols));
    // Word buffers in the arena, half ones in the f16 arena: each placed without the others (given 0 bytes).
    const place = (half: boolean) => planArena(plan.buffers.map((b, i) => ({ bytes: !!b.half === half ? sizes[i]! : 0, first: b.first, last: b.last })));
    const placed = place(false);
    const placedHalf = plan.buffers.some((b) => b.half) ? place(true) : undefined;
    const arenaBytes = Math.max(16, roundUp(placed.total, 16));
    const halfBytes = placedHalf ? Math.max(16, roundUp(placedHalf.total / 2, 16)) : 0;
    const limits = device.limits;
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      for (const [what, bytes] of [['arena', arenaBytes], ['f16 arena', halfBytes]] as const) {
        if (bytes > limits[limit]) throw new UnsupportedError(`this call (${key || 'static shape'}) needs a ${bytes}-byte ${what}, more than the device's ${limit} (${limits[limit]}); use smaller inputs`);
      }
    }
    const maxGrid = limits.maxComputeWorkgroupsPerDimension;
    const grids = plan.dispatches.map((d) => {
      const n = d.workgroups.reduce((acc, f) => acc * Math.ceil(evalDimExpr(f.count, symbols) / f.per), 1);
      if (n === 0) return [0, 0] as const;
      const y = Math.ceil(n / maxGrid);
      if (y > maxGrid) throw new UnsupportedError(`dispatch ${d.label} (shader ${plan.shaders[d.shader]?.file}) needs ${n} workgroups, more than maxComputeWorkgroupsPerDimension (${maxGrid}) squared`);
      return [Math.ceil(n / y), y] as const;
    });
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    const arenaUsage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const arena = device.createBuffer({ size: arenaBytes, usage: arenaUsage, label: `arena ${key}` });
    const halfArena = placedHalf ? device.createBuffer({ size: halfBytes, usage: arenaUsage, label: `f16 arena ${key}` }) : undefined;
    const addresses = plan.buffers.map((b, i) => (b.half ? placedHalf! : placed).offsets[i]!);
    const paramWords = plan.dispatches.map((d) => d.params.map((p) => (typeof p === 'object' ? addresses[p.buffer]! + evalDimExpr(p.byteOffset, symbols) : evalDimExpr(p, symbols))));
    const hasParams = paramWords.some((w) => w.length > 0);
    const params = hasParams ? device.createBuffer({ size: PARAM_SLOT * plan.dispatches.length, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: `params ${key}` }) : undefined;
    const release = (): void => {
      arena.destroy();
      halfArena?.destroy();
      params?.destroy();
    };
    if (params) {
      const data = new Uint32Array((PARAM_SLOT / 4) * plan.dispatches.length);
      try {
        paramWords.forEach((w, i) => {
          if (w.length * 4 > PARAM_SLOT) throw new XfcError('bundle', `dispatch ${i} (${plan.dispatches[i]!.label}) has ${w.length} params, more than ${PARAM_SLOT / 4}`);
          w.forEach((v, j) => {
            if (v < 0 || v > 0xffffffff) throw new UnsupportedError(`dispatch ${plan.dispatches[i]!.label}: param ${j} = ${v} does not fit in u32`);
            data[(PARAM_SLOT / 4) * i + j] = v;
          });
        });
      } catch (e) {
        await device.popErrorScope();
        await device.popErrorScope();
        release();
        throw e;
      }
      device.queue.writeBuffer(params, 0, data);
    }
    const bindGroups = plan.dispatches.map((d, i) => {
      const buffer = (b: PlanBinding): GPUBuffer | undefined =>
        b.kind === 'arena' ? arena : b.kind === 'arena-half' ? halfArena : b.kind === 'weights' ? this.weightBuffers.words[b.chunk] : this.weightBuffers.half[b.chunk];
      const entries: GPUBindGroupEntry[] = d.bindings.map((b, j) => ({ binding: j, resource: { buffer: buffer(b)! } }));
      if (d.params.length > 0) entries.push({ binding: d.bindings.length, resource: { buffer: params!, offset: PARAM_SLOT * i, size: roundUp(d.params.length * 4, 16) } });
      return device.createBindGroup({ layout: this.pipelines[d.shader]!.getBindGroupLayout(0), entries, label: d.label });
    });
    let at = 0;
    const outputs = plan.outputs.map((o) => {
      const spec = this.manifest.outputs.find((t) => t.name === o.name)!;
      const dims = spec.shape.map((d) => evalDimExpr(d, symbols));
      const n = dims.reduce((a, b) => a * b, 1);
      const address = addresses[o.buffer]! + evalDimExpr(o.offset, symbols);
      const half = plan.buffers[o.buffer]!.half === true;
      // f16 values start at f32 address / 2; copies need 4-byte offsets and sizes, so an odd element starts 2 bytes in.
      const skew = half ? (address / 2) % 4 : 0;
      const src = half ? address / 2 - skew : address;
      const bytes = roundUp(half ? n * 2 + skew : n * DTYPES[spec.dtype].bytes, 4);
      const r = { name: o.name, half, src, skew, at, bytes, dims };
      at += roundUp(bytes, 16);
      return r;
    });
    const readback = device.createBuffer({ size: Math.max(16, at), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: `readback ${key}` });
    const [oom, invalid] = [await device.popErrorScope(), await device.popErrorScope()];
    if (oom || invalid) {
      release();
      readback.destroy();
      if (oom) throw new XfcError('webgpu', `the GPU ran out of memory allocating the ${arenaBytes}-byte arena for ${key || 'the static shape'}: ${oom.message}`);
      throw new XfcError('webgpu', `allocating buffers for ${key || 'the static shape'} failed validation: ${invalid!.message}`);
    }
    const st: ShapeState = { symbols, arena, halfArena, addresses, params, bindGroups, grids, readback, outputs };
    if (this.shapes.size >= SHAPE_CACHE) {
      const [oldKey, old] = this.shapes.entries().next().value!;
      this.shapes.delete(oldKey);
      destroyShape(old);
    }
    this.shapes.set(key, st);
    return st;
  }
}

/** Compiles one shader (its errors with line:column) and creates its pipeline asynchronously. */
async function createPipeline(device: GPUDevice, file: string, code: string): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code, label: file });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) throw new XfcError('bundle', `${file} does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
  try {
    return await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: file });
  } catch (e) {
    throw new XfcError('bundle', `cannot create the pipeline of ${file}: ${(e as Error).message}`);
  }
}

function errorKind(e: GPUError | undefined): string {
  const name = e?.constructor?.name;
  return name === 'GPUOutOfMemoryError' ? 'out-of-memory error' : name === 'GPUInternalError' ? 'internal error' : 'validation error';
}

function destroyShape(st: ShapeState): void {
  st.arena.destroy();
  st.halfArena?.destroy();
  st.params?.destroy();
  st.readback.destroy();
}

/** The bytes of an input as stored (an Int32Array for an int64 input is sign-extended), padded to 4 bytes. */
function inputBytes(dtype: keyof typeof DTYPES, data: Feed['data']): Uint8Array {
  const bytes = storedBytes(dtype, data);
  return bytes.byteLength % 4 === 0 ? bytes : padTo(bytes, roundUp(bytes.byteLength, 4));
}

function padTo(data: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(data);
  return out;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
