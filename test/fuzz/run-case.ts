// One fuzz case, in-process: import the mutated bytes (and interpret them on the seed's inputs when the graph
// still takes them), or in 'compile' mode run the compile pipeline (import -> default passes -> compileWasm ->
// memory ranges, report and manifest, as `xfc compile` does); a diagnostic or success passes, anything else is a
// crash.

import { CompileError } from '../../compiler/diagnostics.js';
import { interpret } from '../../compiler/interpreter.js';
import type { Limits } from '../../compiler/limits.js';
import { importOnnxBytes } from '../../compiler/onnx/import.js';
import { formatSummary, summarizeOnnxBytes } from '../../compiler/onnx/summary.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { dimSymbols } from '../../compiler/ir/dim.js';
import { optimize } from '../../passes/pipeline.js';
import { compileWasm } from '../../backends/wasm/index.js';
import { planSymbolRanges } from '../../backends/resources.js';
import { buildReport } from '../../backends/report.js';
import { buildManifest, manifestText } from '../../backends/bundle.js';
import { fusionCounts } from '../../passes/fusion-report.js';
import { hasRelaxedSimd } from '../../runtime/wasm.js';

/** What a case runs after the import: the interpreter on the seed's inputs, or the wasm compile pipeline. */
export type FuzzMode = 'interpret' | 'compile';

/** Small limits: every case must stay far below the memory and time a CI runner has. */
export const FUZZ_LIMITS: Partial<Limits> = {
  maxTensorBytes: 64 * 2 ** 20,
  maxTotalInitializerBytes: 256 * 2 ** 20,
  maxDecodeBytes: 256 * 2 ** 20,
  maxFoldElements: 1 << 16,
  maxNodes: 100_000,
};
export const FUZZ_RUN_ELEMENTS = 1 << 21;

export type Outcome = 'ok' | 'diagnostic' | 'crash';

export interface CaseResult {
  outcome: Outcome;
  /** Diagnostic codes, or the crash (error name, message and top frames). */
  detail: string;
  interpreted: boolean;
}

/** Imports (and, when the inputs still fit, interprets; or compiles) a model; never throws. */
export function runFuzzCase(bytes: Uint8Array, feeds: Readonly<Record<string, Tensor>>, baseDir: string, mode: FuzzMode = 'interpret'): CaseResult {
  let interpreted = false;
  try {
    if (mode === 'compile') {
      compileCase(bytes, baseDir);
      return { outcome: 'ok', detail: '', interpreted };
    }
    // What `xfc inspect` prints: the summary is made even for models that do not import (it runs the import).
    const summary = summarizeOnnxBytes(bytes, { fileName: 'fuzz.onnx', baseDir, limits: FUZZ_LIMITS });
    formatSummary(summary);
    JSON.stringify(summary);
    if (summary.diagnostics.length > 0) throw new CompileError(summary.diagnostics);
    const { graph } = importOnnxBytes(bytes, { fileName: 'fuzz.onnx', baseDir, limits: FUZZ_LIMITS });
    const names = graph.inputs.map((v) => v.name).sort();
    const fed = Object.keys(feeds).filter((n) => names.includes(n));
    if (fed.length === names.length) {
      interpreted = true;
      const given: Record<string, Tensor> = {};
      for (const n of names) given[n] = feeds[n]!;
      interpret(graph, given, { checkTypes: false, maxElements: FUZZ_RUN_ELEMENTS });
    }
    return { outcome: 'ok', detail: '', interpreted };
  } catch (e) {
    if (e instanceof CompileError) {
      // Each problem is one line, and no line looks like a stack frame.
      const bad = e.diagnostics.find((d) => /\n|\r/.test(d.message) || /\bat .*\(.*:\d+:\d+\)/.test(d.message));
      if (bad) return { outcome: 'crash', detail: `diagnostic ${bad.code} is not one clean line: ${JSON.stringify(bad.message.slice(0, 300))}`, interpreted };
      return { outcome: 'diagnostic', detail: [...new Set(e.diagnostics.map((d) => d.code))].join(','), interpreted };
    }
    return { outcome: 'crash', detail: describeCrash(e), interpreted };
  }
}

/** The `xfc compile` pipeline in memory (cli/compile.ts's compileModel, with the fuzzer's small limits). */
function compileCase(bytes: Uint8Array, baseDir: string): void {
  const { graph } = importOnnxBytes(bytes, { fileName: 'fuzz.onnx', baseDir, limits: FUZZ_LIMITS });
  const nodesBefore = graph.nodes.length;
  optimize(graph);
  const compiled = compileWasm(graph);
  const io = [...compiled.schedule.inputs, ...compiled.schedule.outputs];
  const memory = planSymbolRanges(compiled.manifestWasm, io.flatMap((t) => t.shape.flatMap(dimSymbols)));
  const shape = Object.fromEntries(compiled.schedule.symbols.map((s) => [s, Math.min(128, memory.ranges[s]!.max)]));
  const report = buildReport({ schedule: compiled.schedule, nodesBefore, nodesAfter: graph.nodes.length, fusions: { ...fusionCounts(graph) }, shape, memory });
  const files: Record<string, Uint8Array> = { 'model.wasm': compiled.simd.binary, 'weights.bin': compiled.weights, 'report.json': new TextEncoder().encode(JSON.stringify(report)) };
  if (compiled.relaxed) files['model.relaxed.wasm'] = compiled.relaxed.binary;
  const manifest = buildManifest({
    schedule: compiled.schedule, wasm: compiled.manifestWasm, source: { name: 'fuzz.onnx', bytes }, files, options: {},
    maxShape: Object.fromEntries(Object.entries(memory.ranges).map(([s, r]) => [s, r.max])), generator: 'xfc fuzz',
  });
  manifestText(manifest);
  // The relaxed-SIMD module validates only where the engine has relaxed SIMD (Node 20: behind a flag).
  for (const f of [compiled.simd.binary, hasRelaxedSimd() ? compiled.relaxed?.binary : undefined]) {
    if (f && !WebAssembly.validate(f as Uint8Array<ArrayBuffer>)) throw new Error('compileWasm emitted a module that does not validate');
  }
}

/** The error's name, message and first frames inside the project. */
export function describeCrash(e: unknown): string {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 4).map((l) => l.trim());
  return `${e.name}: ${e.message.slice(0, 300)}\n    ${frames.join('\n    ')}`;
}
