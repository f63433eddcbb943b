// The WebGPU executor: runs a bundle's webgpu/ part (plan.json + one .wgsl per shader) on a GPUDevice.
//
// At load: checks the plan against the device's limits (webgpu-plan.ts), compiles every shader and creates its
// pipeline asynchronously, uploads the weights once (one storage buffer per chunk of the weights file, packed
// entries restored). Per shape seen: evaluates buffer sizes, places them with planArena in one arena buffer,
// writes every dispatch's params into one uniform buffer and creates the bind groups (cached per symbol binding:
// a later call with that shape allocates nothing). Per run: writes the inputs, records one command encoder (one
// compute pass), copies the outputs into one readback buffer, maps it at the end. Errors inside a run (error
// scopes), device loss and uncaptured errors on the device become XfcErrors (the latter two on the next run).
// Imports nothing from the compiler.

/// <reference types="@webgpu/types" />
import { DTYPES, storedBytes } from './dtypes.js';
import { UnsupportedError, XfcError } from './errors.js';
import type { Manifest } from './manifest.js';
import { evalDimExpr, planArena } from './plan.js';
import { type Feed, type Output, bindFeeds } from './wasm.js';
import { PARAM_SLOT, type WebGpuPlan, checkDeviceLimits, chunkBytes } from './webgpu-plan.js';

export type { ParamExpr, PlanBinding, PlanDispatch, PlanLimits, PlanWeights, WebGpuPlan, WeightRestore, WorkgroupFactor } from './webgpu-plan.js';
export { checkDeviceLimits, limitProblems, parsePlan, weightsPath } from './webgpu-plan.js';

/** The parts of a manifest the executor reads (input/output specs and symbol ranges). */
export type IoManifest = Pick<Manifest, 'inputs' | 'outputs' | 'symbols'>;

const SHAPE_CACHE = 16;

interface ShapeState {
  readonly symbols: Record<string, number>;
  readonly arena: GPUBuffer;
  readonly addresses: readonly number[];
  readonly params: GPUBuffer | undefined;
  readonly bindGroups: readonly GPUBindGroup[];
  readonly grids: readonly (readonly [number, number])[];
  readonly readback: GPUBuffer;
  readonly outputs: readonly { name: string; src: number; at: number; bytes: number; dims: number[] }[];
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
    private readonly weightBuffers: readonly GPUBuffer[],
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
    const weightBuffers: GPUBuffer[] = [];
    try {
      pipelines = await Promise.all(shaders.map((code, i) => createPipeline(device, plan.shaders[i]!.file, code)));
      plan.weights.chunks.forEach((c, i) => {
        const data = chunkBytes(plan, weights, i);
        const buf = device.createBuffer({ size: Math.max(16, roundUp(c.bytes, 16)), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: `weights chunk ${i}` });
        weightBuffers.push(buf);
        device.queue.writeBuffer(buf, 0, data as Uint8Array<ArrayBuffer>);
      });
    } catch (e) {
      await device.popErrorScope();
      for (const b of weightBuffers) b.destroy();
      throw e;
    }
    const err = await device.popErrorScope();
    if (err) {
      for (const b of weightBuffers) b.destroy();
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
        const bytes = inputBytes(spec.dtype, feeds[io.name]!.data);
        if (bytes.byteLength > 0) device.queue.writeBuffer(st.arena, st.addresses[io.buffer]! + evalDimExpr(io.offset, symbols), bytes as Uint8Array<ArrayBuffer>);
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
      for (const o of st.outputs) if (o.bytes > 0) enc.copyBufferToBuffer(st.arena, o.src, st.readback, o.at, o.bytes);
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
    for (const b of this.weightBuffers) b.destroy();
    this.device.removeEventListener?.('uncapturederror', this.onUncaptured);
  }

  /** Everything that depends on the symbol values, created once per shape. */
  private async shape(symbols: Record<string, number>): Promise<ShapeState> {
    const key = this.plan.symbols.map((s) => `${s}=${symbols[s]}`).join(',');
    const hit = this.shapes.get(key);
    if (hit) return hit;
    const { device, plan } = this;
    const sizes = plan.buffers.map((b) => evalDimExpr(b.bytes, symbols));
    const placed = planArena(plan.buffers.map((b, i) => ({ bytes: sizes[i]!, first: b.first, last: b.last })));
    const arenaBytes = Math.max(16, roundUp(placed.total, 16));
    const limits = device.limits;
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (arenaBytes > limits[limit]) throw new UnsupportedError(`this call (${key || 'static shape'}) needs a ${arenaBytes}-byte arena, more than the device's ${limit} (${limits[limit]}); use smaller inputs`);
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
    const arena = device.createBuffer({ size: arenaBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label: `arena ${key}` });
    const addresses = placed.offsets;
    const paramWords = plan.dispatches.map((d) => d.params.map((p) => (typeof p === 'object' ? addresses[p.buffer]! + evalDimExpr(p.byteOffset, symbols) : evalDimExpr(p, symbols))));
    const hasParams = paramWords.some((w) => w.length > 0);
    const params = hasParams ? device.createBuffer({ size: PARAM_SLOT * plan.dispatches.length, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: `params ${key}` }) : undefined;
    const release = (): void => {
      arena.destroy();
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
      const entries: GPUBindGroupEntry[] = d.bindings.map((b, j) => ({ binding: j, resource: { buffer: b.kind === 'arena' ? arena : this.weightBuffers[b.chunk]! } }));
      if (d.params.length > 0) entries.push({ binding: d.bindings.length, resource: { buffer: params!, offset: PARAM_SLOT * i, size: roundUp(d.params.length * 4, 16) } });
      return device.createBindGroup({ layout: this.pipelines[d.shader]!.getBindGroupLayout(0), entries, label: d.label });
    });
    let at = 0;
    const outputs = plan.outputs.map((o) => {
      const spec = this.manifest.outputs.find((t) => t.name === o.name)!;
      const dims = spec.shape.map((d) => evalDimExpr(d, symbols));
      const bytes = roundUp(dims.reduce((a, b) => a * b, 1) * DTYPES[spec.dtype].bytes, 4);
      const r = { name: o.name, src: addresses[o.buffer]! + evalDimExpr(o.offset, symbols), at, bytes, dims };
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
    const st: ShapeState = { symbols, arena, addresses, params, bindGroups, grids, readback, outputs };
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
