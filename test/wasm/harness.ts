// Test harness for the wasm backend: compiles a graph, runs it in-process through the ABI of docs/bundle.md,
// and compares one-node graphs with the reference interpreter. Independent of runtime/ (only its planner).

import { dtypeInfo } from '../../compiler/ir/dtype.js';
import type { Attrs, Graph, TensorType } from '../../compiler/ir/graph.js';
import { Tensor, shapeSize } from '../../compiler/ir/tensor.js';
import { interpret } from '../../compiler/interpreter.js';
import { evalDimExpr, planArena } from '../../runtime/plan.js';
import { hasRelaxedSimd } from '../../runtime/wasm.js';
import { type CompiledWasm, compileWasm } from '../../backends/wasm/index.js';
import '../../compiler/ops/index.js';
import { type OpInput, buildOpGraph } from '../helpers.js';

export interface WasmRunOptions {
  /** Run the relaxed-SIMD module (needs an engine with relaxed SIMD; see `relaxedSimdAvailable`). */
  relaxedSimd?: boolean;
  /** Profiling (bench/profile.ts): run this binary instead of the compiled one, with these imports, `runs` times. */
  binary?: Uint8Array;
  imports?: WebAssembly.Imports;
  runs?: number;
}

const PAGE = 65536;

/** True when this engine validates relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd): the runtime's probe. */
export const relaxedSimdAvailable = hasRelaxedSimd;

/** Runs a compiled module once on the feeds (the runtime's per-call ABI, without its validation). */
export async function runCompiled(compiled: CompiledWasm, feeds: Readonly<Record<string, Tensor>>, options: WasmRunOptions = {}): Promise<Record<string, Tensor>> {
  const { schedule, manifestWasm: mw } = compiled;
  const code = options.relaxedSimd ? compiled.relaxed : compiled.simd;
  if (!code) throw new Error('the relaxed-SIMD module was not compiled');
  const binary = options.binary ?? code.binary;
  const instance = (await WebAssembly.instantiate(binary as Uint8Array<ArrayBuffer>, options.imports ?? {})).instance;
  const memory = instance.exports.memory as WebAssembly.Memory;
  const run = instance.exports.run as () => void;
  new Uint8Array(memory.buffer).set(compiled.weights, mw.weightsBase);

  // Bind the symbols from the input shapes (plain-symbol dims), checking consistency.
  const symbols: Record<string, number> = {};
  for (const io of schedule.inputs) {
    const t = feeds[io.name];
    if (!t) throw new Error(`no feed for input '${io.name}'`);
    if (t.dtype !== io.dtype) throw new Error(`input '${io.name}': expected ${io.dtype}, got ${t.dtype}`);
    if (t.shape.length !== io.shape.length) throw new Error(`input '${io.name}': expected rank ${io.shape.length}, got shape [${t.shape}]`);
    io.shape.forEach((d, i) => {
      if (typeof d === 'string' && schedule.symbols.includes(d)) {
        if (symbols[d] !== undefined && symbols[d] !== t.shape[i]) throw new Error(`input '${io.name}': '${d}' is ${t.shape[i]} here but ${symbols[d]} elsewhere`);
        symbols[d] = t.shape[i]!;
      }
    });
  }
  for (const io of schedule.inputs) {
    const t = feeds[io.name]!;
    io.shape.forEach((d, i) => {
      if (evalDimExpr(d, symbols) !== t.shape[i]) throw new Error(`input '${io.name}': shape [${t.shape}] does not match [${io.shape}]`);
    });
  }

  const sizes = mw.buffers.map((b) => evalDimExpr(b.bytes, symbols));
  const plan = planArena(mw.buffers.map((b, i) => ({ bytes: sizes[i]!, first: b.first, last: b.last })));
  const end = mw.arenaBase + plan.total;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));

  const table = new Int32Array(memory.buffer, mw.tableBase, mw.symbols.length + mw.buffers.length);
  mw.symbols.forEach((s, i) => (table[i] = symbols[s]!));
  plan.offsets.forEach((off, i) => (table[mw.symbols.length + i] = mw.arenaBase + off));
  const address = (slot: { buffer: number; offset: string | number }): number => mw.arenaBase + plan.offsets[slot.buffer]! + evalDimExpr(slot.offset, symbols);

  // Poison the arena so that a kernel reading what nobody wrote shows up as NaNs / garbage, not as zeros.
  new Uint8Array(memory.buffer, mw.arenaBase, plan.total).fill(0xa5);
  for (let i = 0; i < (options.runs ?? 1); i++) {
    mw.inputs.forEach((slot) => {
      const t = feeds[slot.name]!;
      new Uint8Array(memory.buffer).set(t.bytes(), address(slot));
    });
    run();
  }

  const out: Record<string, Tensor> = {};
  schedule.outputs.forEach((io, k) => {
    const shape = io.shape.map((d) => evalDimExpr(d, symbols));
    const info = dtypeInfo(io.dtype);
    const bytes = shapeSize(shape) * info.bytes;
    const copy = new Uint8Array(memory.buffer.slice(address(mw.outputs[k]!), address(mw.outputs[k]!) + bytes));
    out[io.name] = new Tensor(io.dtype, shape, new info.storage(copy.buffer, 0, shapeSize(shape)));
  });
  return out;
}

/** Compiles a graph (compileWasm) and runs it once. */
export async function runWasmGraph(graph: Graph, feeds: Readonly<Record<string, Tensor>>, options: WasmRunOptions = {}): Promise<Record<string, Tensor>> {
  return runCompiled(compileWasm(graph, { relaxed: options.relaxedSimd === true }), feeds, options);
}

export type { OpInput };

/**
 * One op as a one-node graph (like test/helpers.ts's runOp: Tensors are graph inputs, `{ constant }` constant
 * operands, null absent operands; `symbolicInputs` declares input types with symbols), run by the wasm backend
 * and by the interpreter. Returns both results and the inferred output types.
 */
export async function runWasmOp(
  op: string,
  inputs: OpInput[],
  attrs: Attrs = {},
  options: WasmRunOptions & { numOutputs?: number; symbolicInputs?: (TensorType | undefined)[] } = {},
): Promise<{ wasm: Tensor[]; ref: Tensor[]; types: TensorType[]; graph: Graph }> {
  const { graph, feeds, outputs: outs } = buildOpGraph(op, inputs, attrs, options);
  const ref = interpret(graph, feeds);
  const got = await runWasmGraph(graph, feeds, options);
  return { wasm: outs.map((v) => got[v.name]!), ref: outs.map((v) => ref[v.name]!), types: outs.map((v) => v.type), graph };
}
