// Finding a WebGPU device (navigator.gpu), kept apart from the executor so that the wasm path does not load it.

/// <reference types="@webgpu/types" />

/** The GPU of this environment (navigator.gpu), or undefined (Node: inject a device instead). */
export function navigatorGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

/** The limits a plan is checked against (webgpu-plan.ts), requested at the adapter's maxima rather than the defaults. */
const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
] as const;

/** A device from navigator.gpu (or the given GPU), with shader-f16 when the adapter has it; undefined when there is no adapter. */
export async function requestDevice(gpu: GPU | undefined = navigatorGpu()): Promise<GPUDevice | undefined> {
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return undefined;
  const requiredLimits: Record<string, number> = {};
  for (const k of REQUESTED_LIMITS) {
    const v = adapter.limits[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('shader-f16') ? ['shader-f16'] : [];
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}
