// The dispatch plan: a Schedule's steps become shaders (deduplicated by source hash) and dispatches.
//
// Weights: the schedule's weights image is cut into chunks at entry boundaries, each at most `maxChunkBytes`
// (128 MiB by default: phones' maxStorageBufferBindingSize), each bound as its own storage buffer. Arena
// buffers keep the schedule's sizes (dim formulas) and lifetimes; the runtime places them per call.

import { CompileError, Diagnostic } from '../../compiler/diagnostics.js';
import type { Schedule, TensorRef } from '../common/schedule.js';
import type { PlanDispatch, WebGpuPlan } from '../../runtime/webgpu.js';
import { getKernel, kernelContext } from './kernel.js';
import type { WeightPlacement } from './wgsl.js';

export const DEFAULT_MAX_CHUNK_BYTES = 128 * 1024 * 1024;
export const WEBGPU_DIR = 'webgpu';

export interface PlanOutput {
  readonly plan: WebGpuPlan;
  /** Shader sources by file name (relative to webgpu/). */
  readonly shaders: Record<string, string>;
}

/** Splits the weights image into chunks at entry boundaries. */
export function chunkWeights(schedule: Schedule, maxChunkBytes: number): { chunks: { offset: number; bytes: number }[]; placement: WeightPlacement } {
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
  const placement: WeightPlacement = {
    locate(weight) {
      const chunk = chunkOf.get(weight)!;
      return { chunk, byteOffset: schedule.weights[weight]!.byteOffset - chunks[chunk]!.offset };
    },
  };
  return { chunks, placement };
}

function arenaSlot(what: string, ref: TensorRef): { buffer: number; offset: number | string } {
  if (ref.loc.kind !== 'arena') throw new Error(`${what} is not in the arena`);
  return { buffer: ref.loc.buffer, offset: ref.loc.byteOffset };
}

/** Builds the plan; throws a CompileError listing every step no kernel can run. */
export function buildPlan(schedule: Schedule, options: { maxChunkBytes?: number } = {}): PlanOutput {
  const problems: Diagnostic[] = [];
  for (const step of schedule.steps) {
    const k = getKernel(step.op);
    const why = k ? k.check?.(step) : undefined;
    if (!k) problems.push(new Diagnostic('missingKernel', { op: step.op, node: step.node.name, backend: 'webgpu' }));
    else if (why) problems.push(new Diagnostic('kernelUnsupported', { op: step.op, node: step.node.name, backend: 'webgpu', detail: why }));
  }
  if (problems.length > 0) throw new CompileError(problems);

  const { chunks, placement } = chunkWeights(schedule, options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES);
  const ctx = kernelContext(placement);
  const shaders: Record<string, string> = {};
  const shaderIndex = new Map<string, number>();
  const shaderList: WebGpuPlan['shaders'][number][] = [];
  const dispatches: PlanDispatch[] = [];
  // Lifetimes are in steps; a step may become several dispatches, so they are renumbered to dispatch indices.
  const firstDispatch: number[] = [];
  const lastDispatch: number[] = [];
  for (const step of schedule.steps) {
    firstDispatch.push(dispatches.length);
    for (const d of getKernel(step.op)!.build(ctx, step)) {
      let index = shaderIndex.get(d.shader.key);
      if (index === undefined) {
        index = shaderList.length;
        const file = `${String(index).padStart(3, '0')}-${step.op.toLowerCase()}-${d.shader.key.slice(0, 8)}.wgsl`;
        shaderList.push({ file, workgroupSize: d.shader.workgroupSize, workgroupBytes: d.workgroupBytes ?? 0 });
        shaders[file] = d.shader.source;
        shaderIndex.set(d.shader.key, index);
      }
      dispatches.push({ shader: index, label: step.node.name, bindings: d.shader.bindings, params: d.shader.params, workgroups: d.workgroups });
    }
    lastDispatch.push(Math.max(dispatches.length - 1, firstDispatch[firstDispatch.length - 1]!));
  }
  const end = dispatches.length;
  const mapFirst = (s: number): number => (s < 0 ? -1 : s >= schedule.steps.length ? end : firstDispatch[s]!);
  const mapLast = (s: number): number => (s < 0 ? -1 : s >= schedule.steps.length ? end : lastDispatch[s]!);
  const plan: WebGpuPlan = {
    format: 'xfc-webgpu-plan',
    version: 1,
    symbols: [...schedule.symbols],
    buffers: schedule.buffers.map((b) => ({ bytes: b.bytes, first: mapFirst(b.firstStep), last: Math.max(mapLast(b.lastStep), mapFirst(b.firstStep)) })),
    weights: { file: 'weights.bin', chunks },
    shaders: shaderList,
    dispatches,
    inputs: schedule.inputs.map((io) => ({ name: io.name, ...arenaSlot(`input '${io.name}'`, io.ref) })),
    outputs: schedule.outputs.map((io) => ({ name: io.name, ...arenaSlot(`output '${io.name}'`, io.ref) })),
  };
  return { plan, shaders };
}
