// The wasm backend's entry point: IR graph -> schedule -> two modules (SIMD128, relaxed SIMD), weights image, manifest part.

import { CompileError, Diagnostic } from '../../compiler/diagnostics.js';
import type { Dim } from '../../compiler/ir/dim.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { NO_STEP_OPS, lowerGraph } from '../common/lower.js';
import type { Schedule, TensorRef } from '../common/schedule.js';
import { generateWasm, wasmLayout } from './codegen.js';
import { getKernel } from './kernel.js';
import './kernels/index.js';

export interface CompileWasmOptions {
  /** Also emit the relaxed-SIMD variant (default true). */
  readonly relaxed?: boolean;
}

/** The "wasm" object of manifest.json (docs/bundle.md). */
export interface ManifestWasm {
  readonly module: string;
  readonly relaxedModule?: string;
  readonly weights: string;
  readonly weightsBase: number;
  readonly tableBase: number;
  readonly arenaBase: number;
  readonly symbols: string[];
  readonly buffers: { bytes: Dim; first: number; last: number }[];
  readonly inputs: { name: string; buffer: number; offset: Dim }[];
  readonly outputs: { name: string; buffer: number; offset: Dim }[];
}

export interface CompiledWasm {
  readonly schedule: Schedule;
  readonly simd: { binary: Uint8Array; text: string };
  /** Undefined when `relaxed: false`. */
  readonly relaxed: { binary: Uint8Array; text: string } | undefined;
  /** The weights image (weights.bin), every entry at its byteOffset. */
  readonly weights: Uint8Array;
  readonly manifestWasm: ManifestWasm;
}

export const WASM_FILES = { module: 'model.wasm', relaxedModule: 'model.relaxed.wasm', weights: 'weights.bin' } as const;

/** Every node whose op has no wasm kernel (views and Constant need none), found before lowering. */
export function missingKernels(graph: Graph): Diagnostic[] {
  return graph.nodes
    .filter((n) => !NO_STEP_OPS.has(n.op) && !getKernel(n.op))
    .map((n) => new Diagnostic('missingKernel', { op: n.op, node: n.name, backend: 'wasm' }));
}

/** The weights image of a schedule. */
export function weightsImage(schedule: Schedule): Uint8Array {
  const image = new Uint8Array(schedule.weightBytes);
  for (const w of schedule.weights) image.set(w.data.bytes(), w.byteOffset);
  return image;
}

function arenaSlot(what: string, ref: TensorRef): { buffer: number; offset: Dim } {
  if (ref.loc.kind !== 'arena') throw new Error(`${what} is not in the arena`);
  return { buffer: ref.loc.buffer, offset: ref.loc.byteOffset };
}

/** Compiles a graph for the wasm backend; throws a CompileError with every problem found. */
export function compileWasm(graph: Graph, options: CompileWasmOptions = {}): CompiledWasm {
  const missing = missingKernels(graph);
  if (missing.length > 0) throw new CompileError(missing);

  const schedule = lowerGraph(graph, {
    packWeight(node, index, tensor) {
      const packing = getKernel(node.op)?.packWeight?.({ op: node.op, attrs: node.attrs, node }, index, tensor);
      return packing ? { layout: packing.layout, data: packing.pack(tensor) } : undefined;
    },
    scratchBytes: (step) => getKernel(step.op)?.scratchBytes?.(step),
  });
  const simd = generateWasm(schedule, { relaxedSimd: false });
  const relaxed = options.relaxed === false ? undefined : generateWasm(schedule, { relaxedSimd: true });
  const layout = wasmLayout(schedule);
  const manifestWasm: ManifestWasm = {
    module: WASM_FILES.module,
    ...(relaxed ? { relaxedModule: WASM_FILES.relaxedModule } : {}),
    weights: WASM_FILES.weights,
    ...layout,
    symbols: [...schedule.symbols],
    buffers: schedule.buffers.map((b) => ({ bytes: b.bytes, first: b.firstStep, last: b.lastStep })),
    inputs: schedule.inputs.map((io) => ({ name: io.name, ...arenaSlot(`input '${io.name}'`, io.ref) })),
    outputs: schedule.outputs.map((io) => ({ name: io.name, ...arenaSlot(`output '${io.name}'`, io.ref) })),
  };
  return {
    schedule,
    simd: { binary: simd.binary, text: simd.text },
    relaxed: relaxed && { binary: relaxed.binary, text: relaxed.text },
    weights: weightsImage(schedule),
    manifestWasm,
  };
}
