// The WebGPU backend's entry point: IR graph (or the wasm target's schedule) -> WGSL shaders + dispatch plan + weights image.

import type { Graph } from '../../compiler/ir/graph.js';
import { lowerGraph } from '../common/lower.js';
import type { Schedule } from '../common/schedule.js';
import { weightsImage } from '../wasm/index.js';
import type { WebGpuPlan } from '../../runtime/webgpu-plan.js';
import { type PlanOptions, WEBGPU_DIR, WEIGHTS_FILE, buildPlan } from './plan.js';
import './kernels/index.js';

export { WEBGPU_DIR, WEIGHTS_FILE } from './plan.js';

export interface CompiledWebGpu {
  readonly schedule: Schedule;
  readonly plan: WebGpuPlan;
  /** The f16 plan (CompileWebGpuOptions.f16), over the same shader files where sources are equal. */
  readonly planF16?: WebGpuPlan;
  /** Shader sources of both plans by file name (relative to webgpu/). */
  readonly shaders: Record<string, string>;
  /** The weights image the plan's chunks cut (the bundle's weights.bin). */
  readonly weights: Uint8Array;
}

export interface CompileWebGpuOptions extends PlanOptions {
  /**
   * The wasm target's schedule and weights image (`--target all`): the plan runs the same steps over the same
   * weights.bin, restoring at load the entries packed for wasm kernels that no WebGPU kernel reads packed.
   * Without it the graph is lowered for WebGPU alone (no packing).
   */
  readonly shared?: { readonly schedule: Schedule; readonly weights: Uint8Array };
}

export function compileWebGpu(graph: Graph, options: CompileWebGpuOptions = {}): CompiledWebGpu {
  // Missing kernels are reported per step by buildPlan (shape arithmetic that lowering drops needs none).
  const schedule = options.shared?.schedule ?? lowerGraph(graph);
  const { plan, planF16, shaders } = buildPlan(schedule, options);
  return { schedule, plan, ...(planF16 ? { planF16 } : {}), shaders, weights: options.shared?.weights ?? weightsImage(schedule) };
}

/** The bundle paths of the plans. */
export const PLAN_FILE = `${WEBGPU_DIR}/plan.json`;
export const PLAN_F16_FILE = `${WEBGPU_DIR}/plan-f16.json`;

/** The bundle files of a compiled WebGPU target: webgpu/plan.json (and plan-f16.json), webgpu/*.wgsl, weights.bin. */
export function webGpuFiles(c: CompiledWebGpu, json: (v: unknown) => string): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  const files: Record<string, Uint8Array> = { [PLAN_FILE]: enc.encode(json(c.plan)), [WEIGHTS_FILE]: c.weights };
  if (c.planF16) files[PLAN_F16_FILE] = enc.encode(json(c.planF16));
  for (const [name, src] of Object.entries(c.shaders)) files[`${WEBGPU_DIR}/${name}`] = enc.encode(src);
  return files;
}
