// The WebGPU executor: runs a bundle's webgpu/ part (plan.json + one .wgsl per shader) on a GPUDevice.
//
// At load: checks device limits, compiles every shader and creates its pipeline asynchronously, uploads the
// weights once (one storage buffer per chunk of weights.bin). Per shape seen: evaluates buffer sizes, places
// them with planArena in one arena buffer, writes every dispatch's params into one uniform buffer and creates
// the bind groups (cached; a later call with that shape allocates nothing). Per run: writes the inputs, records
// one command encoder (one compute pass), copies the outputs into one readback buffer, maps it at the end.
// Validation errors (error scopes) and device loss become XfcErrors. Imports nothing from the compiler.

/// <reference types="@webgpu/types" />
import { DTYPES } from './dtypes.js';
import { UnsupportedError, XfcError } from './errors.js';
import type { DimExpr, Manifest } from './manifest.js';
import { evalDimExpr, planArena } from './plan.js';
import { type Feed, type Output, bindFeeds } from './wasm.js';

/** A uniform param (u32): a dim, or the byte address of an arena tensor (its buffer's placement + offset). */
export type ParamExpr = DimExpr | { readonly buffer: number; readonly byteOffset: DimExpr };

/** A storage binding: the arena (read_write) or one chunk of the weights (read). The params uniform comes after them. */
export type PlanBinding = { readonly kind: 'arena' } | { readonly kind: 'weights'; readonly chunk: number };

/** ceil(count / per) workgroups; a dispatch's grid is the product of its factors (linearized over x, y). */
export interface WorkgroupFactor {
  readonly count: DimExpr;
  readonly per: number;
}

export interface PlanDispatch {
  /** Index into `shaders`. */
  readonly shader: number;
  /** The IR node it computes (for error messages). */
  readonly label: string;
  readonly bindings: readonly PlanBinding[];
  readonly params: readonly ParamExpr[];
  readonly workgroups: readonly WorkgroupFactor[];
}

/** webgpu/plan.json (docs: backends/webgpu/plan.ts). */
export interface WebGpuPlan {
  readonly format: 'xfc-webgpu-plan';
  readonly version: 1;
  readonly symbols: readonly string[];
  /** Arena buffers: byte sizes as dim formulas, lifetimes in dispatch indices (planArena's input). */
  readonly buffers: readonly { readonly bytes: DimExpr; readonly first: number; readonly last: number }[];
  /** The weights file (in webgpu/) and its chunks: byte ranges, each bound as one storage buffer. */
  readonly weights: { readonly file: string; readonly chunks: readonly { readonly offset: number; readonly bytes: number }[] };
  /** Shader files (in webgpu/) and their workgroup sizes. */
  readonly shaders: readonly { readonly file: string; readonly workgroupSize: number; readonly workgroupBytes: number }[];
  readonly dispatches: readonly PlanDispatch[];
  readonly inputs: readonly { readonly name: string; readonly buffer: number; readonly offset: DimExpr }[];
  readonly outputs: readonly { readonly name: string; readonly buffer: number; readonly offset: DimExpr }[];
}

/** The parts of a manifest the executor reads (input/output specs and symbol ranges). */
export type IoManifest = Pick<Manifest, 'inputs' | 'outputs' | 'symbols'>;

const MAX_GRID = 65535;
const PARAM_SLOT = 256; // >= minUniformBufferOffsetAlignment everywhere
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

export class WebGpuExecutor {
  private readonly shapes = new Map<string, ShapeState>();
  private lost: string | undefined;
  private busy = false;

  private constructor(
    private readonly device: GPUDevice,
    private readonly manifest: IoManifest,
    private readonly plan: WebGpuPlan,
    private readonly pipelines: readonly GPUComputePipeline[],
    private readonly weightBuffers: readonly GPUBuffer[],
  ) {
    void device.lost.then((info) => {
      this.lost = `${info.reason}: ${info.message}`;
    });
  }

  /** Checks limits, compiles the shaders, creates pipelines (async) and uploads the weights once. */
  static async create(device: GPUDevice, manifest: IoManifest, plan: WebGpuPlan, shaders: readonly string[], weights: Uint8Array): Promise<WebGpuExecutor> {
    if (plan.format !== 'xfc-webgpu-plan' || plan.version !== 1) throw new XfcError('bundle', `webgpu/plan.json has an unknown format (${String(plan.format)} v${String(plan.version)})`);
    const limits = device.limits;
    const problems: string[] = [];
    plan.shaders.forEach((s, i) => {
      if (s.workgroupSize > limits.maxComputeInvocationsPerWorkgroup || s.workgroupSize > limits.maxComputeWorkgroupSizeX) {
        problems.push(`shader ${plan.shaders[i]!.file} uses ${s.workgroupSize} invocations per workgroup; the device allows ${Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX)}`);
      }
      if (s.workgroupBytes > limits.maxComputeWorkgroupStorageSize) problems.push(`shader ${s.file} needs ${s.workgroupBytes} bytes of workgroup memory; the device allows ${limits.maxComputeWorkgroupStorageSize}`);
    });
    for (const c of plan.weights.chunks) {
      if (c.bytes > limits.maxStorageBufferBindingSize) problems.push(`a weights chunk of ${c.bytes} bytes exceeds maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}; compile with a smaller weight chunk size`);
    }
    if (problems.length > 0) throw new UnsupportedError(`this device cannot run the bundle: ${problems.join('; ')}`);

    device.pushErrorScope('validation');
    const pipelines = await Promise.all(shaders.map(async (code, i) => {
      const module = device.createShaderModule({ code, label: plan.shaders[i]!.file });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length > 0) {
        throw new XfcError('bundle', `${plan.shaders[i]!.file} does not compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
      }
      try {
        return await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: plan.shaders[i]!.file });
      } catch (e) {
        throw new XfcError('bundle', `cannot create the pipeline of ${plan.shaders[i]!.file}: ${(e as Error).message}`);
      }
    }));
    const weightBuffers = plan.weights.chunks.map((c, i) => {
      const buf = device.createBuffer({ size: Math.max(16, roundUp(c.bytes, 16)), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: `weights chunk ${i}` });
      if (c.offset + c.bytes > weights.byteLength) throw new XfcError('bundle', `weights chunk ${i} (${c.offset}+${c.bytes}) lies past the end of ${plan.weights.file} (${weights.byteLength} bytes)`);
      const n = roundUp(c.bytes, 4);
      const data = c.offset + n <= weights.byteLength ? weights.subarray(c.offset, c.offset + n) : padTo(weights.subarray(c.offset, c.offset + c.bytes), n);
      device.queue.writeBuffer(buf, 0, data as Uint8Array<ArrayBuffer>);
      return buf;
    });
    const err = await device.popErrorScope();
    if (err) throw new XfcError('webgpu', `loading the bundle failed validation: ${err.message}`);
    return new WebGpuExecutor(device, manifest, plan, pipelines, weightBuffers);
  }

  async run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Output>> {
    if (this.lost !== undefined) throw new XfcError('webgpu', `the GPU device was lost (${this.lost}); load the model again`);
    if (this.busy) throw new XfcError('webgpu', 'run() was called while a previous run of this model is still in flight; await it first');
    this.busy = true;
    try {
      const symbols = bindFeeds(this.manifest as Manifest, feeds);
      const st = this.shape(symbols);
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
        throw new XfcError('webgpu', this.lost !== undefined ? `the GPU device was lost during the run (${this.lost})` : `reading the outputs back failed: ${(e as Error).message}`);
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

  /** Releases every GPU buffer this executor created (the device stays the caller's). */
  dispose(): void {
    for (const st of this.shapes.values()) destroyShape(st);
    this.shapes.clear();
    for (const b of this.weightBuffers) b.destroy();
  }

  /** Everything that depends on the symbol values, created once per shape. */
  private shape(symbols: Record<string, number>): ShapeState {
    const key = this.plan.symbols.map((s) => `${s}=${symbols[s]}`).join(',');
    const hit = this.shapes.get(key);
    if (hit) return hit;
    const { device, plan } = this;
    const sizes = plan.buffers.map((b) => evalDimExpr(b.bytes, symbols));
    const placed = planArena(plan.buffers.map((b, i) => ({ bytes: sizes[i]!, first: b.first, last: b.last })));
    const arenaBytes = Math.max(16, roundUp(placed.total, 16));
    if (arenaBytes > device.limits.maxStorageBufferBindingSize || arenaBytes > device.limits.maxBufferSize) {
      throw new UnsupportedError(`this call needs a ${arenaBytes}-byte arena, more than the device's maxStorageBufferBindingSize ${device.limits.maxStorageBufferBindingSize}; use smaller inputs`);
    }
    device.pushErrorScope('out-of-memory');
    const arena = device.createBuffer({ size: arenaBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label: `arena ${key}` });
    const addresses = placed.offsets;
    const paramWords = plan.dispatches.map((d) => d.params.map((p) => (typeof p === 'object' ? addresses[p.buffer]! + evalDimExpr(p.byteOffset, symbols) : evalDimExpr(p, symbols))));
    const hasParams = paramWords.some((w) => w.length > 0);
    const params = hasParams ? device.createBuffer({ size: PARAM_SLOT * plan.dispatches.length, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: `params ${key}` }) : undefined;
    if (params) {
      const data = new Uint32Array((PARAM_SLOT / 4) * plan.dispatches.length);
      paramWords.forEach((w, i) => {
        if (w.length * 4 > PARAM_SLOT) throw new XfcError('bundle', `dispatch ${i} (${plan.dispatches[i]!.label}) has ${w.length} params, more than ${PARAM_SLOT / 4}`);
        w.forEach((v, j) => {
          if (v < 0 || v > 0xffffffff) throw new UnsupportedError(`dispatch ${plan.dispatches[i]!.label}: param ${j} = ${v} does not fit in u32`);
          data[(PARAM_SLOT / 4) * i + j] = v;
        });
      });
      device.queue.writeBuffer(params, 0, data);
    }
    const bindGroups = plan.dispatches.map((d, i) => {
      const entries: GPUBindGroupEntry[] = d.bindings.map((b, j) => ({ binding: j, resource: { buffer: b.kind === 'arena' ? arena : this.weightBuffers[b.chunk]! } }));
      if (d.params.length > 0) entries.push({ binding: d.bindings.length, resource: { buffer: params!, offset: PARAM_SLOT * i, size: roundUp(d.params.length * 4, 16) } });
      return device.createBindGroup({ layout: this.pipelines[d.shader]!.getBindGroupLayout(0), entries, label: d.label });
    });
    const grids = plan.dispatches.map((d) => {
      const n = d.workgroups.reduce((acc, f) => acc * Math.ceil(evalDimExpr(f.count, symbols) / f.per), 1);
      if (n === 0) return [0, 0] as const;
      const y = Math.ceil(n / MAX_GRID);
      if (y > MAX_GRID) throw new UnsupportedError(`dispatch ${d.label} needs ${n} workgroups, more than this runtime can launch`);
      return [Math.ceil(n / y), y] as const;
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
    void device.popErrorScope().then((e) => {
      if (e) this.lost ??= `out of memory while allocating buffers for ${key}: ${e.message}`;
    });
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

function destroyShape(st: ShapeState): void {
  st.arena.destroy();
  st.params?.destroy();
  st.readback.destroy();
}

/** The bytes of an input as stored (an Int32Array for an int64 input is sign-extended), padded to 4 bytes. */
function inputBytes(dtype: keyof typeof DTYPES, data: Feed['data']): Uint8Array {
  const info = DTYPES[dtype];
  let bytes: Uint8Array;
  if (data.BYTES_PER_ELEMENT === info.bytes) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    const words = new Int32Array(data.length * 2);
    const signed = data instanceof Int32Array;
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      words[2 * i] = v;
      words[2 * i + 1] = signed && v < 0 ? -1 : 0;
    }
    bytes = new Uint8Array(words.buffer);
  }
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
