// Finding a WebGPU device (navigator.gpu), kept apart from the executor so that the wasm path does not load it.

/// <reference types="@webgpu/types" />

/** The GPU of this environment (navigator.gpu), or undefined (Node: inject a device instead). */
export function navigatorGpu(): GPU | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  return nav?.gpu;
}

/** A device from navigator.gpu, or undefined when there is no adapter. */
export async function requestDevice(gpu: GPU | undefined = navigatorGpu()): Promise<GPUDevice | undefined> {
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return undefined;
  return adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup,
    },
  });
}
