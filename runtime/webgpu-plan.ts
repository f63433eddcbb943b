// webgpu/plan.json: its types, its parsing, the check of a plan against a device's limits, and the weights restore.
//
// The plan is what the compiler (backends/webgpu/plan.ts) writes and the executor (webgpu.ts) runs. Format 2
// names the weights file from the bundle's root, so a `--target all` bundle's one weights.bin (the wasm image,
// some entries pre-packed for the wasm GEMM) serves both backends: entries no WebGPU kernel reads packed are
// listed in `weights.restore` and rewritten into their logical row-major layout as the chunks are uploaded.
// Format 1 (weights file relative to the plan, never packed) is still read. Format 3 is an f16 plan
// (`precision: 'f16'`, for devices with shader-f16): f32 tensors that it marks `half` (arena buffers; weight
// ranges in `weights.half`) are stored as f16, in a second arena and in f16 copies of the weight chunks made at
// load, and its shaders convert on every load and store (arithmetic stays f32). Imports nothing from the compiler.

/// <reference types="@webgpu/types" />
import { BundleError, UnsupportedError, XfcError } from './errors.js';
import { toF16Saturated } from './half.js';
import type { DimExpr } from './manifest.js';

/** A uniform param (u32): a dim, or the byte address of an arena tensor (its buffer's placement + offset). */
export type ParamExpr = DimExpr | { readonly buffer: number; readonly byteOffset: DimExpr };

/**
 * A storage binding: the arena (read_write) or one chunk of the weights (read), as 32-bit words; in an f16 plan
 * also the f16 arena and f16 copies of weight chunks (`-half`). The params uniform comes after them.
 */
export type PlanBinding =
  | { readonly kind: 'arena' } | { readonly kind: 'weights'; readonly chunk: number }
  | { readonly kind: 'arena-half' } | { readonly kind: 'weights-half'; readonly chunk: number };

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

/**
 * A weights entry stored in a kernel layout that the WebGPU kernels read in its logical layout: at load, the
 * `bytes` at `offset` of the weights file are rewritten in place (within the chunk's copy) as the row-major
 * K x N matrix, or N x K when `transposed` (which is how the operand was given). Layouts: `gemm-panel-nrR`:
 * element (q, j) of the K x N matrix is float (floor(j / R) * K + q) * R + j % R (columns past N are padding).
 */
export interface WeightRestore {
  readonly offset: number;
  readonly bytes: number;
  readonly layout: string;
  readonly k: number;
  readonly n: number;
  readonly transposed: boolean;
}

export interface PlanWeights {
  /** The weights file: from the bundle's root (format 2; the wasm target's file in a `--target all` bundle). */
  readonly file: string;
  /** Byte ranges of the file, each bound as one storage buffer. */
  readonly chunks: readonly { readonly offset: number; readonly bytes: number }[];
  /** Entries to restore to their logical layout at load (absent: none). */
  readonly restore?: readonly WeightRestore[];
  /**
   * f16 plans: byte ranges of the file holding f32 entries that shaders read as f16. A chunk's f16 copy has one
   * f16 per 32-bit word of the chunk (element i of an entry at chunk byte offset o is f16 number o / 4 + i),
   * converted (restored first, saturating at ±65504) inside these ranges and 0 elsewhere.
   */
  readonly half?: readonly { readonly offset: number; readonly bytes: number }[];
}

/** webgpu/plan.json (docs/bundle.md). */
export interface WebGpuPlan {
  readonly format: 'xfc-webgpu-plan';
  readonly version: 1 | 2 | 3;
  /** Format 3: 'f16' (the plan needs shader-f16). Absent: f32 everywhere. */
  readonly precision?: 'f16';
  readonly symbols: readonly string[];
  /**
   * Arena buffers: byte sizes as dim formulas, lifetimes in dispatch indices (planArena's input). `half`
   * buffers hold f32 tensors as f16 in the f16 arena: they are placed by their f32 byte sizes (so a tensor's
   * param address is the same f32 byte address, and its element i is f16 number address / 4 + i) in an arena
   * of half those bytes.
   */
  readonly buffers: readonly { readonly bytes: DimExpr; readonly first: number; readonly last: number; readonly half?: boolean }[];
  readonly weights: PlanWeights;
  /** Shader files (in the plan's directory), their workgroup sizes and workgroup memory. */
  readonly shaders: readonly { readonly file: string; readonly workgroupSize: number; readonly workgroupBytes: number }[];
  readonly dispatches: readonly PlanDispatch[];
  readonly inputs: readonly { readonly name: string; readonly buffer: number; readonly offset: DimExpr }[];
  readonly outputs: readonly { readonly name: string; readonly buffer: number; readonly offset: DimExpr }[];
}

export const PLAN_FORMAT = 'xfc-webgpu-plan';
export const PLAN_VERSION = 2;
/** The format of f16 plans. */
export const PLAN_VERSION_F16 = 3;
/** Bytes of uniform params per dispatch (>= minUniformBufferOffsetAlignment everywhere): 64 u32 params. */
export const PARAM_SLOT = 256;

/** Parses webgpu/plan.json; `where` names it in errors. */
export function parsePlan(bytes: Uint8Array, where: string): WebGpuPlan {
  let plan: WebGpuPlan;
  try {
    plan = JSON.parse(new TextDecoder().decode(bytes)) as WebGpuPlan;
  } catch (e) {
    throw new BundleError(`${where} is not valid JSON (${(e as Error).message})`);
  }
  const o = plan as unknown as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || o.format !== PLAN_FORMAT) throw new BundleError(`${where} is not an xfc WebGPU plan`);
  if (o.version !== 1 && o.version !== PLAN_VERSION && o.version !== PLAN_VERSION_F16) {
    throw new BundleError(`${where} has plan version ${String(o.version)}; this runtime reads versions 1 to ${PLAN_VERSION_F16} (update the runtime or recompile)`);
  }
  if ((o.version === PLAN_VERSION_F16) !== (o.precision === 'f16')) {
    throw new BundleError(`${where}: plan version ${String(o.version)} with precision ${JSON.stringify(o.precision ?? 'f32')} (f16 plans are version ${PLAN_VERSION_F16}, and only they)`);
  }
  const w = plan.weights as unknown as Record<string, unknown> | undefined;
  if (!Array.isArray(plan.shaders) || !Array.isArray(plan.dispatches) || !Array.isArray(plan.buffers) ||
      typeof w !== 'object' || w === null || typeof w.file !== 'string' || !Array.isArray(w.chunks) || (w.restore !== undefined && !Array.isArray(w.restore)) ||
      (w.half !== undefined && !Array.isArray(w.half))) {
    throw new BundleError(`${where} is not an xfc WebGPU plan (shaders, dispatches, buffers or weights missing)`);
  }
  for (const r of plan.weights.restore ?? []) {
    if (panelWidth(r.layout) === undefined) throw new BundleError(`${where} restores a weight from layout '${String(r.layout)}', which this runtime does not know (update the runtime)`);
  }
  return plan;
}

/** The path of the plan's weights file from the bundle's root (format 1 named it relative to the plan). */
export function weightsPath(plan: WebGpuPlan, planPath: string): string {
  if (plan.version !== 1) return plan.weights.file;
  return (planPath.includes('/') ? planPath.slice(0, planPath.lastIndexOf('/') + 1) : '') + plan.weights.file;
}

/** The device limits a plan is checked against (a GPUSupportedLimits, or any object with these fields). */
export type PlanLimits = Pick<GPUSupportedLimits,
  'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX' | 'maxComputeWorkgroupStorageSize' |
  'maxStorageBufferBindingSize' | 'maxBufferSize' | 'maxStorageBuffersPerShaderStage' | 'maxUniformBufferBindingSize'>;

const LIMIT_NAMES: readonly (keyof PlanLimits)[] = [
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxUniformBufferBindingSize',
];

/** Every way the plan exceeds the limits, each naming the shader (or weights chunk) and the limit; [] when it fits. */
export function limitProblems(plan: WebGpuPlan, limits: PlanLimits): string[] {
  const problems: string[] = [];
  const storage = new Array<number>(plan.shaders.length).fill(0);
  for (const d of plan.dispatches) storage[d.shader] = Math.max(storage[d.shader] ?? 0, d.bindings.length);
  plan.shaders.forEach((s, i) => {
    const over = (what: string, value: number, limit: keyof PlanLimits): void => {
      if (value > limits[limit]) problems.push(`shader ${s.file} ${what} ${value}, more than the device's ${limit} (${limits[limit]})`);
    };
    over('uses a workgroup size of', s.workgroupSize, 'maxComputeInvocationsPerWorkgroup');
    over('uses a workgroup size (x) of', s.workgroupSize, 'maxComputeWorkgroupSizeX');
    over('declares bytes of workgroup memory:', s.workgroupBytes, 'maxComputeWorkgroupStorageSize');
    over('binds storage buffers:', storage[i]!, 'maxStorageBuffersPerShaderStage');
  });
  plan.weights.chunks.forEach((c, i) => {
    for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (c.bytes > limits[limit]) problems.push(`weights chunk ${i} is ${c.bytes} bytes, more than the device's ${limit} (${limits[limit]}); compile with a smaller weight chunk size`);
    }
  });
  if (PARAM_SLOT > limits.maxUniformBufferBindingSize) problems.push(`the params uniform (${PARAM_SLOT} bytes) is larger than the device's maxUniformBufferBindingSize (${limits.maxUniformBufferBindingSize})`);
  return problems;
}

/** Throws an UnsupportedError listing every limit the plan exceeds on this device, and a missing shader-f16 (checked at load, before the weights are read). */
export function checkDeviceLimits(plan: WebGpuPlan, device: Pick<GPUDevice, 'limits'> & Partial<Pick<GPUDevice, 'features'>>): void {
  const limits = (device as { limits?: PlanLimits } | undefined)?.limits;
  const missing = LIMIT_NAMES.filter((k) => typeof limits?.[k] !== 'number');
  if (!limits || missing.length > 0) throw new XfcError('options', `options.device is not a GPUDevice: its limits lack ${missing.join(', ')}`);
  const problems = limitProblems(plan, limits);
  if (plan.precision === 'f16' && !(device as { features?: ReadonlySet<string> }).features?.has('shader-f16')) {
    problems.unshift("the plan stores tensors as f16, and the device was created without the 'shader-f16' feature (request it, or load with precision: 'f32')");
  }
  if (problems.length === 1) throw new UnsupportedError(`this WebGPU device cannot run the bundle: ${problems[0]}`);
  if (problems.length > 1) throw new UnsupportedError(`this WebGPU device cannot run the bundle (${problems.length} problems):\n  - ${problems.join('\n  - ')}`);
}

/** R of a `gemm-panel-nrR` layout, or undefined for a layout this runtime cannot restore. */
export function panelWidth(layout: string): number | undefined {
  const m = /^gemm-panel-nr([1-9][0-9]{0,2})$/.exec(layout);
  return m ? Number(m[1]) : undefined;
}

/** The packed bytes of a restore entry (the padded panels). */
export function packedBytes(r: Pick<WeightRestore, 'layout' | 'k' | 'n'>): number {
  const nr = panelWidth(r.layout)!;
  return Math.ceil(r.n / nr) * nr * r.k * 4;
}

/** The logical f32 matrix of a panel-packed one: K x N row-major, or N x K when `transposed`. */
export function unpackPanels(packed: Float32Array, r: Pick<WeightRestore, 'layout' | 'k' | 'n' | 'transposed'>): Float32Array {
  const nr = panelWidth(r.layout)!;
  const { k, n } = r;
  const out = new Float32Array(k * n);
  for (let j = 0; j < n; j++) {
    const base = Math.floor(j / nr) * k * nr + (j % nr);
    if (r.transposed) for (let q = 0; q < k; q++) out[j * k + q] = packed[base + q * nr]!;
    else for (let q = 0; q < k; q++) out[q * n + j] = packed[base + q * nr]!;
  }
  return out;
}

/**
 * The bytes of weights chunk `index` as the GPU buffer gets them (padded to 4 bytes): a view of `weights`, or a
 * copy with the chunk's restore entries rewritten (the caller's bytes are never changed).
 */
export function chunkBytes(plan: WebGpuPlan, weights: Uint8Array, index: number): Uint8Array {
  const c = plan.weights.chunks[index]!;
  if (!(c.offset >= 0 && c.bytes >= 0 && c.offset + c.bytes <= weights.byteLength)) {
    throw new BundleError(`weights chunk ${index} (${c.offset}+${c.bytes}) lies past the end of ${plan.weights.file} (${weights.byteLength} bytes)`);
  }
  const n = Math.ceil(c.bytes / 4) * 4;
  const restores = (plan.weights.restore ?? []).filter((r) => r.offset >= c.offset && r.offset < c.offset + c.bytes);
  if (restores.length === 0 && c.offset + n <= weights.byteLength) return weights.subarray(c.offset, c.offset + n);
  const out = new Uint8Array(n);
  out.set(weights.subarray(c.offset, c.offset + c.bytes));
  for (const r of restores) {
    const at = r.offset - c.offset;
    if (r.bytes !== packedBytes(r) || at % 4 !== 0 || at + r.bytes > c.bytes) {
      throw new BundleError(`${plan.weights.file}: the restore entry at ${r.offset} (${r.bytes} bytes, ${r.layout} ${r.k} x ${r.n}) does not fit weights chunk ${index}`);
    }
    const packed = new Float32Array(out.slice(at, at + r.bytes).buffer);
    out.set(new Uint8Array(unpackPanels(packed, r).buffer), at);
  }
  return out;
}

/** Whether plan `plan` binds weights chunk `index` as words (`kind` 'weights') or as its f16 copy ('weights-half'). */
export function chunkBound(plan: WebGpuPlan, index: number, kind: 'weights' | 'weights-half'): boolean {
  return plan.dispatches.some((d) => d.bindings.some((b) => b.kind === kind && b.chunk === index));
}

/**
 * The f16 copy of weights chunk `index` (f16 plans) from `bytes`, the chunk as `chunkBytes` gives it: one f16 per
 * word, converted inside the plan's half ranges.
 */
export function halfChunk(plan: WebGpuPlan, bytes: Uint8Array, index: number): Uint16Array {
  const c = plan.weights.chunks[index]!;
  const words = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const f32 = new Float32Array(words.buffer, words.byteOffset, words.byteLength / 4);
  const out = new Uint16Array(Math.ceil(words.byteLength / 8) * 2);
  for (const r of plan.weights.half ?? []) {
    const from = Math.max(r.offset, c.offset);
    const to = Math.min(r.offset + r.bytes, c.offset + c.bytes);
    if (from >= to) continue;
    if ((from - c.offset) % 4 !== 0 || (to - from) % 4 !== 0) throw new BundleError(`${plan.weights.file}: the f16 range at ${r.offset} (${r.bytes} bytes) is not made of whole f32 words`);
    toF16Saturated(f32.subarray((from - c.offset) / 4, (to - c.offset) / 4), out.subarray((from - c.offset) / 4, (to - c.offset) / 4));
  }
  return out;
}
