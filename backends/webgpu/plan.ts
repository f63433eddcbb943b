// The dispatch plan: a Schedule's steps become shaders (deduplicated by source hash) and dispatches.
//
// Weights: the schedule's weights image (the bundle's one weights.bin) is cut into chunks at entry boundaries,
// each at most `maxChunkBytes` (128 MiB by default: phones' maxStorageBufferBindingSize), each bound as its own
// storage buffer. With `--target all` the schedule is the wasm backend's, so some entries hold constants packed
// into the wasm GEMM's panel layout (WeightEntry.layout). A kernel that declares the layout (WebGpuKernel.
// weightLayouts) reads the packed bytes itself; for every other packed entry the plan lists a restore (the
// runtime rewrites it into its logical layout as it uploads the chunk: webgpu-plan.ts) and the kernels see a
// plain TensorRef. The restore is checked here against the constant it came from, and a kernel that addresses
// a packed weight it did not declare is an error, so no kernel reads a layout it does not expect.
// Arena buffers keep the schedule's sizes (dim formulas) and lifetimes; the runtime places them per call.
// A buffer no dispatch reads or writes (the wasm kernels' step scratch in a shared schedule) gets 0 bytes.
//
// With `f16`, a second plan is built from the same steps for devices with shader-f16: every f32 arena buffer and
// weight entry is stored as f16 (half the memory and bandwidth; kernels still compute in f32) except the operands
// of ops whose result jumps with a rounding of their input (casts to integers, rounding, comparisons, ArgMax ...),
// which stay f32. The two plans share shader files where the sources are equal.

import { CompileError, Diagnostic } from '../../compiler/diagnostics.js';
import { materialize, type Value } from '../../compiler/ir/graph.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { VIEW_OPS } from '../common/lower.js';
import type { Schedule, Step, TensorRef } from '../common/schedule.js';
import { PARAM_SLOT, PLAN_VERSION, PLAN_VERSION_F16, type PlanDispatch, type WebGpuPlan, type WeightRestore, packedBytes, panelWidth, unpackPanels } from '../../runtime/webgpu-plan.js';
import { getKernel, kernelContext } from './kernel.js';
import type { HalfStorage, WeightPlacement } from './wgsl.js';

export const DEFAULT_MAX_CHUNK_BYTES = 128 * 1024 * 1024;
export const WEBGPU_DIR = 'webgpu';
/** The bundle's weights file, shared with the wasm target (backends/wasm WASM_FILES.weights). */
export const WEIGHTS_FILE = 'weights.bin';

export interface PlanOptions {
  readonly maxChunkBytes?: number;
  /** Also build the f16 plan (for devices with shader-f16). */
  readonly f16?: boolean;
}

export interface PlanOutput {
  readonly plan: WebGpuPlan;
  /** The f16 plan, when asked for. */
  readonly planF16?: WebGpuPlan;
  /** Shader sources of both plans by file name (relative to webgpu/). */
  readonly shaders: Record<string, string>;
}

/** Ops whose result jumps when an f32 operand is rounded (to integers, booleans, indices): the f16 plan keeps those operands f32. */
const EXACT_OPERAND_OPS = new Set([
  'Cast', 'CastLike', 'Floor', 'Ceil', 'Round', 'Sign', 'Mod', 'Range', 'IsNaN', 'IsInf', 'ArgMax', 'ArgMin',
  'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual',
]);

/** The arena buffers and weight entries the f16 plan stores as f16: those holding f32 tensors only, none an exact operand. */
function halfTensors(schedule: Schedule, steps: readonly Step[]): { arena: Set<number>; weights: Set<number> } {
  const half = { arena: new Set<number>(), weights: new Set<number>() };
  const keep = { arena: new Set<number>(), weights: new Set<number>() };
  const visit = (r: TensorRef | undefined, exact: boolean): void => {
    if (!r) return;
    const [kind, id] = r.loc.kind === 'arena' ? ['arena', r.loc.buffer] as const : ['weights', r.loc.weight] as const;
    (r.dtype === 'f32' && !exact ? half : keep)[kind].add(id);
  };
  for (const step of steps) {
    const exact = EXACT_OPERAND_OPS.has(step.op);
    for (const r of step.inputs) visit(r, exact);
    for (const r of step.outputs) visit(r, false);
    visit(step.scratch, false);
  }
  for (const io of [...schedule.inputs, ...schedule.outputs]) visit(io.ref, false);
  for (const kind of ['arena', 'weights'] as const) for (const id of keep[kind]) half[kind].delete(id);
  return half;
}

/** Shader files shared by the plans of one bundle: equal sources get one file. */
interface ShaderFiles {
  readonly sources: Record<string, string>;
  readonly byKey: Map<string, string>;
}

/** Splits the weights image into chunks at entry boundaries; `locate` gives an entry's chunk and offset in it. */
export function chunkWeights(schedule: Schedule, maxChunkBytes: number): { chunks: { offset: number; bytes: number }[]; locate: WeightPlacement['locate'] } {
  const chunks: { offset: number; bytes: number }[] = [];
  const chunkOf = new Map<number, number>();
  for (const w of schedule.weights) {
    const size = w.data.bytes().byteLength;
    if (size > maxChunkBytes) throw new Error(`weight '${w.label}' (${size} bytes) is larger than the weight chunk size ${maxChunkBytes}`);
    const last = chunks[chunks.length - 1];
    if (last && w.byteOffset + size - last.offset <= maxChunkBytes) {
      last.bytes = w.byteOffset + size - last.offset;
    } else {
      chunks.push({ offset: w.byteOffset, bytes: size });
    }
    chunkOf.set(w.id, chunks.length - 1);
  }
  for (const c of chunks) c.bytes = Math.ceil(c.bytes / 4) * 4;
  const locate = (weight: number): { chunk: number; byteOffset: number } => {
    const chunk = chunkOf.get(weight)!;
    return { chunk, byteOffset: schedule.weights[weight]!.byteOffset - chunks[chunk]!.offset };
  };
  return { chunks, locate };
}

/** How the WebGPU kernels see the weights: steps with restored operands made plain, and the restores. */
interface WeightView {
  readonly steps: readonly Step[];
  readonly restore: WeightRestore[];
  /** The packed entries the runtime restores. */
  readonly restored: ReadonlySet<number>;
  /** Per step: the packed weight entries its kernel declared it reads as packed. */
  readonly declared: readonly ReadonlySet<number>[];
  readonly problems: Diagnostic[];
}

function weightView(schedule: Schedule): WeightView {
  const packedRef = (r: TensorRef | undefined): r is TensorRef & { loc: { kind: 'weight'; layout: string } } =>
    r?.loc.kind === 'weight' && r.loc.layout !== undefined;
  // An entry is restored when any of its readers does not declare its layout (then every reader sees it plain).
  const restored = new Map<number, { step: Step; index: number }>();
  for (const step of schedule.steps) {
    step.inputs.forEach((r, i) => {
      if (!packedRef(r) || restored.has(r.loc.weight)) return;
      if (!(getKernel(step.op)!.weightLayouts?.(step, i) ?? []).includes(r.loc.layout)) restored.set(r.loc.weight, { step, index: i });
    });
  }
  const problems: Diagnostic[] = [];
  const restore: WeightRestore[] = [];
  for (const [id, { step, index }] of restored) {
    const r = restoreOf(schedule, id, step, index);
    if (typeof r === 'string') problems.push(new Diagnostic('kernelUnsupported', { op: step.op, node: step.node.name, backend: 'webgpu', detail: r }));
    else restore.push(r);
  }
  restore.sort((a, b) => a.offset - b.offset);
  const declared: Set<number>[] = [];
  const steps = schedule.steps.map((step) => {
    const mine = new Set<number>();
    declared.push(mine);
    if (!step.inputs.some(packedRef)) return step;
    const inputs = step.inputs.map((r) => {
      if (!packedRef(r)) return r;
      if (!restored.has(r.loc.weight)) {
        mine.add(r.loc.weight);
        return r;
      }
      return { dtype: r.dtype, shape: r.shape, loc: { kind: 'weight', weight: r.loc.weight, byteOffset: r.loc.byteOffset } } satisfies TensorRef;
    });
    return { ...step, inputs };
  });
  return { steps, restore, restored: new Set(restored.keys()), declared, problems };
}

/** The constant behind a step operand (through views), in its logical layout. */
function logicalConstant(v: Value | undefined): Tensor | undefined {
  while (v && !v.constant && v.producer && VIEW_OPS.has(v.producer.op) && v.producer.outputs[0] === v) v = v.producer.inputs[0];
  return v?.constant ? materialize(v.constant) : undefined;
}

/**
 * The restore of packed entry `id` (read by operand `index` of `step`), found by trying each way to see the
 * operand as a K x N matrix and keeping the one whose unpacking gives back the constant's exact bytes; or why none.
 */
function restoreOf(schedule: Schedule, id: number, step: Step, index: number): WeightRestore | string {
  const entry = schedule.weights[id]!;
  const ref = step.inputs[index]!;
  const layout = entry.layout!;
  const what = `operand ${index} (weight '${entry.label}') is stored in layout '${layout}'`;
  if (panelWidth(layout) === undefined) return `${what}, which this kernel does not read and the runtime cannot restore`;
  const logical = logicalConstant(step.node.inputs[index]);
  const shape = ref.shape;
  if (!logical || entry.data.dtype !== 'f32' || !shape.every((d): d is number => typeof d === 'number')) {
    return `${what}, which this kernel does not read, and its logical f32 contents are unknown`;
  }
  const want = new Uint32Array(logical.bytes().slice().buffer);
  const packed = new Float32Array(entry.data.bytes().slice().buffer);
  const bytes = packed.byteLength;
  for (let s = 1; s < Math.max(shape.length, 2); s++) {
    const rows = shape.slice(0, s).reduce((a, b) => a * b, 1);
    const cols = shape.slice(s).reduce((a, b) => a * b, 1);
    for (const [k, n, transposed] of [[rows, cols, false], [cols, rows, true]] as const) {
      const r = { offset: entry.byteOffset, bytes, layout, k, n, transposed };
      if (packedBytes(r) !== bytes || k * n !== want.length) continue;
      const got = new Uint32Array(unpackPanels(packed, r).buffer);
      if (got.every((x, i) => x === want[i])) return r;
    }
  }
  return `${what}, which this kernel does not read, and no K x N view of its shape [${shape.join(', ')}] unpacks to its contents`;
}

/** Builds the plan; throws a CompileError listing every step no kernel can run. */
export function buildPlan(schedule: Schedule, options: PlanOptions = {}): PlanOutput {
  const problems: Diagnostic[] = [];
  for (const step of schedule.steps) {
    if (!getKernel(step.op)) problems.push(new Diagnostic('missingKernel', { op: step.op, node: step.node.name, backend: 'webgpu' }));
  }
  if (problems.length > 0) throw new CompileError(problems);
  const view = weightView(schedule);
  problems.push(...view.problems);
  for (const step of view.steps) {
    const why = getKernel(step.op)!.check?.(step);
    if (why) problems.push(new Diagnostic('kernelUnsupported', { op: step.op, node: step.node.name, backend: 'webgpu', detail: why }));
  }
  if (problems.length > 0) throw new CompileError(problems);

  const weights = chunkWeights(schedule, options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES);
  const files: ShaderFiles = { sources: {}, byKey: new Map() };
  const plan = emitPlan(schedule, view, weights, files);
  const planF16 = options.f16 ? emitPlan(schedule, view, weights, files, halfTensors(schedule, view.steps)) : undefined;
  return { plan, ...(planF16 ? { planF16 } : {}), shaders: files.sources };
}

/** One plan of the steps (f32, or f16 storage for the `half` tensors), its shaders added to `files`. */
function emitPlan(schedule: Schedule, view: WeightView, weights: ReturnType<typeof chunkWeights>, files: ShaderFiles,
  half?: { arena: ReadonlySet<number>; weights: ReadonlySet<number> }): WebGpuPlan {
  const { chunks, locate } = weights;
  const halfStorage: HalfStorage | undefined = half && { arena: (b) => half.arena.has(b), weight: (w) => half.weights.has(w) };
  const shaderIndex = new Map<string, number>();
  const shaderList: WebGpuPlan['shaders'][number][] = [];
  const dispatches: PlanDispatch[] = [];
  // Lifetimes are in steps; a step may become several dispatches, so they are renumbered to dispatch indices.
  const firstDispatch: number[] = [];
  const lastDispatch: number[] = [];
  for (const step of view.steps) {
    firstDispatch.push(dispatches.length);
    // The weights as this step's kernel may address them: a packed entry only when it declared that layout.
    const placement: WeightPlacement = {
      locate(weight) {
        const entry = schedule.weights[weight]!;
        if (entry.layout !== undefined && !view.restored.has(weight) && !view.declared[step.index]!.has(weight)) {
          throw new Error(`webgpu kernel ${step.op} (node '${step.node.name}') addresses weight '${entry.label}', stored in layout '${entry.layout}', ` +
            'without declaring that layout for the operand (WebGpuKernel.weightLayouts): it would read packed bytes as logical ones');
        }
        return locate(weight);
      },
    };
    for (const d of getKernel(step.op)!.build(kernelContext(placement, halfStorage), step)) {
      if (d.shader.params.length * 4 > PARAM_SLOT) {
        throw new Error(`webgpu kernel ${step.op} (node '${step.node.name}') uses ${d.shader.params.length} params; a dispatch has room for ${PARAM_SLOT / 4}`);
      }
      let index = shaderIndex.get(d.shader.key);
      if (index === undefined) {
        index = shaderList.length;
        let file = files.byKey.get(d.shader.key);
        if (file === undefined) {
          file = `${String(files.byKey.size).padStart(3, '0')}-${step.op.toLowerCase()}-${d.shader.key.slice(0, 8)}.wgsl`;
          files.byKey.set(d.shader.key, file);
          files.sources[file] = d.shader.source;
        }
        shaderList.push({ file, workgroupSize: d.shader.workgroupSize, workgroupBytes: d.workgroupBytes ?? 0 });
        shaderIndex.set(d.shader.key, index);
      }
      dispatches.push({ shader: index, label: step.node.name, bindings: d.shader.bindings, params: d.shader.params, workgroups: d.workgroups });
    }
    lastDispatch.push(Math.max(dispatches.length - 1, firstDispatch[firstDispatch.length - 1]!));
  }
  const end = dispatches.length;
  const mapFirst = (s: number): number => (s < 0 ? -1 : s >= schedule.steps.length ? end : firstDispatch[s]!);
  const mapLast = (s: number): number => (s < 0 ? -1 : s >= schedule.steps.length ? end : lastDispatch[s]!);
  const inputs = schedule.inputs.map((io) => ({ name: io.name, ...arenaSlot(`input '${io.name}'`, io.ref) }));
  const outputs = schedule.outputs.map((io) => ({ name: io.name, ...arenaSlot(`output '${io.name}'`, io.ref) }));
  const used = new Set<number>([...inputs, ...outputs].map((io) => io.buffer));
  for (const d of dispatches) for (const p of d.params) if (typeof p === 'object') used.add(p.buffer);
  const halfRanges = [...(half?.weights ?? [])].sort((a, b) => a - b).map((id) => {
    const w = schedule.weights[id]!;
    return { offset: w.byteOffset, bytes: w.data.bytes().byteLength };
  });
  return {
    format: 'xfc-webgpu-plan',
    version: half ? PLAN_VERSION_F16 : PLAN_VERSION,
    ...(half ? { precision: 'f16' as const } : {}),
    symbols: [...schedule.symbols],
    buffers: schedule.buffers.map((b) => ({
      bytes: used.has(b.id) ? b.bytes : 0,
      first: mapFirst(b.firstStep),
      last: Math.max(mapLast(b.lastStep), mapFirst(b.firstStep)),
      ...(half?.arena.has(b.id) ? { half: true } : {}),
    })),
    weights: { file: WEIGHTS_FILE, chunks, ...(view.restore.length > 0 ? { restore: view.restore } : {}), ...(half ? { half: halfRanges } : {}) },
    shaders: shaderList,
    dispatches,
    inputs,
    outputs,
  };
}

function arenaSlot(what: string, ref: TensorRef): { buffer: number; offset: number | string } {
  if (ref.loc.kind !== 'arena') throw new Error(`${what} is not in the arena`);
  return { buffer: ref.loc.buffer, offset: ref.loc.byteOffset };
}
