// The wasm code generator: a Schedule becomes one binaryen module whose exported run() calls every step's kernel.
//
// Memory layout and ABI: docs/bundle.md. Kernels (kernels/*.ts, registered in kernel.ts) emit the statements of
// their steps through the KernelContext implemented here: tensor addresses come from the run table (arena
// buffers, placed per call by the runtime) or are constants (weights); symbolic dims are read from the
// table's symbol slots. Every missing kernel and every kernel refusal is reported before anything is emitted.

import binaryen from 'binaryen';
import { CompileError, Diagnostic } from '../../compiler/diagnostics.js';
import { type Dim, canonicalDim, dimsProduct } from '../../compiler/ir/dim.js';
import { parseDimExpr, ARENA_ALIGN } from '../../runtime/plan.js';
import type { Schedule, TensorRef } from '../common/schedule.js';
import { type Expr, type KernelContext, type WasmFeatures, getKernel } from './kernel.js';

export interface WasmLayout {
  /** Where weights.bin is copied in linear memory. */
  readonly weightsBase: number;
  /** The run table: one i32 per symbol, then one i32 (absolute address) per arena buffer. */
  readonly tableBase: number;
  /** Where the arena starts (64-byte aligned). */
  readonly arenaBase: number;
}

export interface GeneratedWasm {
  readonly binary: Uint8Array;
  readonly text: string;
  readonly layout: WasmLayout;
}

const PAGE = 65536;
const MAX_PAGES = 65536;
/** Bytes 0..63 stay unused (a null pointer never aliases data). */
const WEIGHTS_BASE = 64;

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

/** The memory layout of a schedule's module (the same for the SIMD and relaxed variants). */
export function wasmLayout(schedule: Schedule): WasmLayout {
  const weightsBase = WEIGHTS_BASE;
  const tableBase = align(weightsBase + schedule.weightBytes, ARENA_ALIGN);
  const arenaBase = align(tableBase + 4 * (schedule.symbols.length + schedule.buffers.length), ARENA_ALIGN);
  return { weightsBase, tableBase, arenaBase };
}

/**
 * The passes run on every module, in this order (binaryen's own -O3 function pipeline, trimmed to what kernel
 * code benefits from, with the optimize level 3 / shrink level 0 heuristics: speed over size):
 *  - ssa-nomerge: one local per assignment, so the following passes see straight dataflow;
 *  - optimize-instructions, precompute-propagate: fold the constant dims and strides baked into kernels;
 *  - code-pushing, simplify-locals-nostructure, vacuum: sink and forward single-use values, drop dead code;
 *  - reorder-locals, remove-unused-brs, coalesce-locals: undo ssa's extra locals (V8 compiles fewer faster);
 *  - simplify-locals, vacuum, reorder-locals, merge-blocks, remove-unused-brs: clean structure once more;
 *  - optimize-instructions, local-cse, rse: second round on what became visible (repeated address math, stores);
 *  - licm: hoist loop-invariant address arithmetic out of kernel loops (V8's Liftoff tier does not);
 *  - duplicate-function-elimination, remove-unused-module-elements: kernels specialized twice the same way.
 * No inlining: kernel functions stay separate so V8 tiers them up on their own and run() stays small.
 */
export const PASSES: readonly string[] = [
  'ssa-nomerge',
  'optimize-instructions',
  'precompute-propagate',
  'code-pushing',
  'simplify-locals-nostructure',
  'vacuum',
  'reorder-locals',
  'remove-unused-brs',
  'coalesce-locals',
  'simplify-locals',
  'vacuum',
  'reorder-locals',
  'merge-blocks',
  'remove-unused-brs',
  'optimize-instructions',
  'local-cse',
  'rse',
  'licm',
  'simplify-locals',
  'vacuum',
  'coalesce-locals',
  'reorder-locals',
  'duplicate-function-elimination',
  'remove-unused-module-elements',
];

/** Every missing kernel and kernel refusal of a schedule, as diagnostics (empty when it can be compiled). */
export function checkKernels(schedule: Schedule): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const step of schedule.steps) {
    const kernel = getKernel(step.op);
    if (!kernel) {
      out.push(new Diagnostic('missingKernel', { op: step.op, node: step.node.name, backend: 'wasm' }));
      continue;
    }
    const problem = kernel.check?.(step);
    if (problem !== undefined) out.push(new Diagnostic('kernelUnsupported', { op: step.op, node: step.node.name, backend: 'wasm', detail: problem }));
  }
  return out;
}

/** The KernelContext of one module: addresses and dims as expressions in run()'s scope, memoized functions. */
class Context implements KernelContext {
  readonly module: binaryen.Module;
  readonly features: WasmFeatures;
  private readonly schedule: Schedule;
  private readonly layout: WasmLayout;
  private readonly functions = new Set<string>();

  constructor(module: binaryen.Module, features: WasmFeatures, schedule: Schedule, layout: WasmLayout) {
    this.module = module;
    this.features = features;
    this.schedule = schedule;
    this.layout = layout;
  }

  ptr(ref: TensorRef): Expr {
    const m = this.module;
    const loc = ref.loc;
    if (loc.kind === 'weight') {
      const entry = this.schedule.weights[loc.weight];
      if (!entry) throw new Error(`weight ${loc.weight} is not in the schedule`);
      return m.i32.const(this.layout.weightsBase + entry.byteOffset + loc.byteOffset);
    }
    if (loc.buffer < 0 || loc.buffer >= this.schedule.buffers.length) throw new Error(`buffer ${loc.buffer} is not in the schedule`);
    const slot = this.layout.tableBase + 4 * (this.schedule.symbols.length + loc.buffer);
    const base = m.i32.load(0, 4, m.i32.const(slot));
    const off = canonicalDim(loc.byteOffset);
    return off === 0 ? base : m.i32.add(base, this.dim(off));
  }

  dim(d: Dim): Expr {
    const m = this.module;
    if (typeof d === 'number') {
      if (!Number.isInteger(d) || d < -(2 ** 31) || d >= 2 ** 32) throw new Error(`dim ${d} does not fit an i32`);
      return m.i32.const(d | 0);
    }
    let sum: Expr | undefined;
    let constant = 0;
    for (const { coef, symbols } of parseDimExpr(String(canonicalDim(d)))) {
      if (symbols.length === 0) {
        constant += coef;
        continue;
      }
      let term = symbols.map((s) => this.symbol(s)).reduce((a, b) => m.i32.mul(a, b));
      if (coef !== 1) term = m.i32.mul(m.i32.const(coef), term);
      sum = sum === undefined ? term : m.i32.add(sum, term);
    }
    if (sum === undefined) return m.i32.const(constant);
    return constant === 0 ? sum : m.i32.add(sum, m.i32.const(constant));
  }

  size(shape: readonly Dim[]): Expr {
    return this.dim(dimsProduct(shape));
  }

  fn(name: string, params: binaryen.Type, results: binaryen.Type, build: (m: binaryen.Module) => { vars: binaryen.Type[]; body: Expr }): string {
    if (!this.functions.has(name)) {
      this.functions.add(name);
      const { vars, body } = build(this.module);
      this.module.addFunction(name, params, results, vars, body);
    }
    return name;
  }

  private symbol(s: string): Expr {
    const i = this.schedule.symbols.indexOf(s);
    if (i < 0) throw new Error(`symbol '${s}' is not in the schedule's symbol table (${this.schedule.symbols.join(', ')})`);
    return this.module.i32.load(0, 4, this.module.i32.const(this.layout.tableBase + 4 * i));
  }
}

function internalError(detail: string): CompileError {
  return CompileError.of('backendInternal', { backend: 'wasm', detail });
}

/** The generated module does not validate: a bug in a kernel; `moduleText` is the whole module for the bug report. */
export class InvalidModuleError extends CompileError {
  readonly moduleText: string;

  constructor(moduleText: string) {
    // The diagnostic quotes the start of the text (messages are cut); the whole text stays on the error.
    super(internalError(`the generated module does not validate:\n${moduleText}`).diagnostics);
    this.moduleText = moduleText;
  }
}

/** Generates, validates and optimizes the module of a schedule; throws a CompileError listing every problem. */
export function generateWasm(schedule: Schedule, features: WasmFeatures): GeneratedWasm {
  const problems = checkKernels(schedule);
  if (problems.length > 0) throw new CompileError(problems);

  const layout = wasmLayout(schedule);
  const module = new binaryen.Module();
  try {
    let feats = binaryen.Features.MutableGlobals | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt
      | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.SIMD128;
    if (features.relaxedSimd) feats |= binaryen.Features.RelaxedSIMD;
    module.setFeatures(feats);
    module.setMemory(Math.max(1, Math.ceil(layout.arenaBase / PAGE)), MAX_PAGES, 'memory');

    const ctx = new Context(module, features, schedule, layout);
    const body = schedule.steps.map((step) => {
      try {
        return getKernel(step.op)!.emit(ctx, step);
      } catch (e) {
        if (e instanceof CompileError) throw e;
        throw internalError(`the ${step.op} kernel failed on node '${step.node.name}': ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    module.addFunction('run', binaryen.none, binaryen.none, [], module.block(null, body, binaryen.none));
    module.addFunctionExport('run', 'run');

    if (!module.validate()) throw new InvalidModuleError(module.emitText());
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    module.runPasses([...PASSES]);
    if (!module.validate()) throw internalError('the module does not validate after optimization');
    return { binary: module.emitBinary(), text: module.emitText(), layout };
  } finally {
    module.dispose();
  }
}
