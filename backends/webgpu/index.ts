// The WebGPU backend's entry point: IR graph -> schedule -> WGSL shaders + dispatch plan + weights image.

import type { Graph } from '../../compiler/ir/graph.js';
import { lowerGraph } from '../common/lower.js';
import type { Schedule } from '../common/schedule.js';
import { weightsImage } from '../wasm/index.js';
import type { WebGpuPlan } from '../../runtime/webgpu.js';
import { WEBGPU_DIR, buildPlan } from './plan.js';
import './kernels/index.js';

export { WEBGPU_DIR } from './plan.js';

export interface CompiledWebGpu {
  readonly schedule: Schedule;
  readonly plan: WebGpuPlan;
  /** Shader sources by file name (relative to webgpu/). */
  readonly shaders: Record<string, string>;
  /** The weights image the plan's chunks cut (webgpu/weights.bin: unpacked, unlike the wasm one). */
  readonly weights: Uint8Array;
}

export function compileWebGpu(graph: Graph, options: { maxChunkBytes?: number } = {}): CompiledWebGpu {
  // Missing kernels are reported per step by buildPlan (shape arithmetic that lowering drops needs none).
  const schedule = lowerGraph(graph);
  const { plan, shaders } = buildPlan(schedule, options);
  return { schedule, plan, shaders, weights: weightsImage(schedule) };
}

/** The bundle files of a compiled WebGPU target: webgpu/plan.json, webgpu/*.wgsl, webgpu/weights.bin. */
export function webGpuFiles(c: CompiledWebGpu, json: (v: unknown) => string): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array> = { [`${WEBGPU_DIR}/plan.json`]: enc.encode(json(c.plan)), [`${WEBGPU_DIR}/weights.bin`]: c.weights };
  for (const [name, src] of Object.entries(c.shaders)) files[`${WEBGPU_DIR}/${name}`] = enc.encode(src);
  return files;
}
