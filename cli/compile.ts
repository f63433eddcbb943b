// `xfc compile`: ONNX model -> (passes) -> wasm code and/or WebGPU shaders + weights -> an atomically written bundle.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { importOnnxBytes, readModelFile } from '../compiler/onnx/import.js';
import { compileWasm } from '../backends/wasm/index.js';
import { PLAN_F16_FILE, PLAN_FILE, WEIGHTS_FILE, compileWebGpu, webGpuFiles } from '../backends/webgpu/index.js';
import { optimize } from '../passes/pipeline.js';
import { fusionCounts } from '../passes/fusion-report.js';
import { type BundleContents, BundleWriteError, buildManifest, stableJson, writeBundle } from '../backends/bundle.js';
import { type CompileReport, buildReport } from '../backends/report.js';
import { type MemoryReport, describeMemory, planSymbolRanges } from '../backends/resources.js';
import { dimSymbols } from '../compiler/ir/dim.js';
import type { Schedule } from '../backends/common/schedule.js';
import { type Io, UsageError } from './io.js';

const TARGETS = ['wasm', 'webgpu', 'all'] as const;
/** The value of a symbol the report uses when no --max-shape declares one. */
const REPORT_SHAPE_DEFAULT = 128;
const GENERATOR = 'xfc 0.1.0';

export interface CompileOptions {
  readonly target?: string;
  /** Upper bounds of symbols, e.g. { seq: 512 }. */
  readonly maxShape?: Readonly<Record<string, number>>;
  readonly report?: boolean;
  /** Pass names to run instead of the default pipeline (`--passes a,b,c`); [] runs none. */
  readonly passes?: readonly string[];
  /** Pass-manager debugging: verify after each pass, print IR after passes, dump IR per pass. */
  readonly verifyEach?: boolean;
  readonly printIrAfter?: readonly string[];
  readonly dumpDir?: string;
  /** WebGPU: also emit the f16 plan (default true). */
  readonly f16?: boolean;
  readonly verbose?: boolean;
  /** Where printed IR and pass logs go (the CLI's stderr). */
  readonly onPrint?: (text: string) => void;
}

export interface CompiledBundle {
  readonly contents: BundleContents;
  /** The wasm target's schedule, or the WebGPU one for a webgpu-only bundle. */
  readonly schedule: Schedule;
  readonly nodes: { readonly before: number; readonly after: number };
  readonly report?: CompileReport;
  /** wasm memory at the symbol maxima, and the ranges written into the manifest. */
  readonly memory: MemoryReport;
  readonly kernelCount: number;
  readonly compileMs: number;
}

/** Compiles a model file into bundle contents in memory (nothing is written). */
export async function compileModel(modelPath: string, options: CompileOptions = {}): Promise<CompiledBundle> {
  const target = options.target ?? 'wasm';
  if (!(TARGETS as readonly string[]).includes(target)) throw new UsageError(`unknown --target '${target}' (available: ${TARGETS.join(', ')})`);
  const started = performance.now();
  const bytes = readModelFile(modelPath);
  const { graph } = importOnnxBytes(bytes, { baseDir: path.dirname(path.resolve(modelPath)), fileName: modelPath });
  const nodesBefore = graph.nodes.length;
  // ---- optimization passes (passes/pipeline.ts): the default pipeline, or --passes.
  optimize(graph, {
    ...(options.passes ? { passes: options.passes } : {}),
    verifyEach: options.verifyEach,
    printIrAfter: options.printIrAfter,
    dumpDir: options.dumpDir,
    verbose: options.verbose,
    onPrint: options.onPrint,
    onLog: options.verbose ? options.onPrint : undefined,
  });
  const nodesAfter = graph.nodes.length;
  // Blocks that run fused (an opset-17 LayerNormalization counts although the exporter already fused it).
  const fusions = { ...fusionCounts(graph) };
  const wantWasm = target !== 'webgpu';
  const wantWebGpu = target !== 'wasm';
  const files: Record<string, Uint8Array> = {};
  const wasm = wantWasm ? compileWasm(graph) : undefined;
  if (wasm) {
    files['model.wasm'] = wasm.simd.binary;
    files['weights.bin'] = wasm.weights;
    if (wasm.relaxed) files['model.relaxed.wasm'] = wasm.relaxed.binary;
  }
  // `--target all`: the WebGPU plan runs the wasm target's schedule, so both read the one weights.bin (entries
  // packed for wasm kernels are read packed or restored at load: backends/webgpu/plan.ts).
  const f16 = options.f16 ?? true;
  const gpu = wantWebGpu ? compileWebGpu(graph, { f16, ...(wasm ? { shared: { schedule: wasm.schedule, weights: wasm.weights } } : {}) }) : undefined;
  if (gpu) {
    for (const [p, data] of Object.entries(webGpuFiles(gpu, stableJson))) {
      if (files[p] && files[p] !== data) throw new Error(`internal error: the wasm and webgpu targets both write ${p}, with different contents`);
      files[p] = data;
    }
  }
  const schedule = (wasm?.schedule ?? gpu?.schedule)!;
  // Symbol ranges that fit at their maxima (declared ones checked, others derived): a diagnostic if none. The
  // wasm target's limit is wasm32's 4 GiB; the WebGPU plan addresses its arena with u32 params, the same bound.
  const ioSymbols = [...schedule.inputs, ...schedule.outputs].flatMap((t) => t.shape.flatMap(dimSymbols));
  const gpuBytes = gpu?.weights.byteLength ?? 0;
  const memoryModel = wasm?.manifestWasm
    ?? { weightsBase: 0, tableBase: gpuBytes, arenaBase: gpuBytes, symbols: gpu!.plan.symbols, buffers: gpu!.plan.buffers };
  const memory = planSymbolRanges(memoryModel, ioSymbols, options.maxShape);
  // The report's sizes are at the declared maxima; an undeclared symbol is taken at REPORT_SHAPE_DEFAULT.
  const symbolsMax = (names: readonly string[]) =>
    Object.fromEntries(names.map((s) => [s, options.maxShape?.[s] ?? REPORT_SHAPE_DEFAULT]));
  const report = options.report
    ? buildReport({ schedule, nodesBefore, nodesAfter, fusions, shape: symbolsMax(schedule.symbols), memory })
    : undefined;
  if (report) files['report.json'] = new TextEncoder().encode(stableJson(report));
  const manifest = buildManifest({
    schedule,
    wasm: wasm?.manifestWasm,
    webgpu: gpu ? { plan: PLAN_FILE, ...(gpu.planF16 ? { planF16: PLAN_F16_FILE } : {}), symbols: gpu.plan.symbols } : undefined,
    source: { name: path.basename(modelPath), bytes },
    files,
    options: { target, maxShape: options.maxShape ?? {}, report: options.report ?? false, passes: options.passes ?? 'default', ...(wantWebGpu ? { f16 } : {}) },
    maxShape: { ...Object.fromEntries(Object.entries(memory.ranges).map(([s, r]) => [s, r.max])), ...options.maxShape },
    generator: GENERATOR,
  });
  const kernelCount = schedule.steps.length;
  return { contents: { manifest, files }, schedule, nodes: { before: nodesBefore, after: nodesAfter }, report, memory, kernelCount, compileMs: performance.now() - started };
}

interface CompileFlags {
  output: string;
  target: string;
  maxShape: string[];
  report?: boolean;
  passes?: string;
  verifyEach?: boolean;
  printIrAfter: string[];
  dumpDir?: string;
  f16: boolean;
}

export function compileCommand(program: Command, io: Io): void {
  program
    .command('compile')
    .description('compile a model into a bundle directory (manifest.json, model.wasm, model.relaxed.wasm, weights.bin; webgpu/ with --target webgpu|all)')
    .argument('<model>', 'an ONNX model file')
    .requiredOption('-o, --output <dir>', 'the bundle directory to write (replaced atomically if it holds a bundle)')
    .option('-t, --target <target>', `what to emit: ${TARGETS.join(', ')} (wasm and webgpu)`, 'wasm')
    .option('--max-shape <sym=N>', 'the largest value a symbolic dim may take (repeat per symbol)', collect, [])
    .option('--passes <list>', 'comma-separated passes to run instead of the default pipeline (empty: none)')
    .option('--report', 'also write report.json (nodes, fusions, peak arena, weights, FLOPs per kernel)')
    .option('--verify-each', 'run the IR verifier after every pass')
    .option('--print-ir-after <pass>', "print the IR (to stderr) after this pass; 'all' for every pass (repeatable)", collect, [])
    .option('--no-f16', 'WebGPU targets: do not emit the f16 plan (webgpu/plan-f16.json, run on devices with shader-f16)')
    .option('--dump-dir <dir>', 'write the IR after each pass as NN-<pass>.ir into this folder (and a reproducer if a pass fails)')
    .addHelpText('after', '\nWith --verbose (a global option) and --report, the FLOPs of every step are printed too.\n\nExample:\n  xfc compile examples/tiny-bert.onnx -o out/ --max-shape seq=512 --report\n')
    .action(async (model: string, flags: CompileFlags, cmd: Command) => {
      const verbose = Boolean(cmd.optsWithGlobals().verbose);
      const maxShape = parseShapeFlags(flags.maxShape, '--max-shape');
      let compiled: CompiledBundle;
      try {
        const passes = flags.passes === undefined ? undefined : flags.passes.split(',').map((p) => p.trim()).filter(Boolean);
        compiled = await compileModel(model, {
          target: flags.target, maxShape, report: flags.report, passes,
          verifyEach: flags.verifyEach, printIrAfter: flags.printIrAfter, dumpDir: flags.dumpDir, f16: flags.f16, verbose,
          onPrint: (text) => io.err(text.endsWith('\n') ? text : `${text}\n`),
        });
        writeBundle(flags.output, compiled.contents);
      } catch (e) {
        throw e instanceof BundleWriteError ? new UsageError(e.message) : e;
      }
      io.out(summarize(model, flags.output, compiled, verbose));
    });
}

function summarize(model: string, dir: string, c: CompiledBundle, verbose: boolean): string {
  const m = c.contents.manifest;
  const lines = [`compiled ${path.basename(model)} -> ${dir} in ${(c.compileMs / 1000).toFixed(2)} s`];
  const width = Math.max(22, ...m.files.map((f) => f.path.length));
  for (const f of m.files) lines.push(`  ${f.path.padEnd(width)} ${formatSize(f.bytes).padStart(10)}`);
  lines.push(`  ${'manifest.json'.padEnd(width)} ${formatSize(fs.statSync(path.join(dir, 'manifest.json')).size).padStart(10)}`);
  const weights = c.contents.files[WEIGHTS_FILE];
  lines.push(`targets: ${m.targets.join(', ')}; weights: ${formatSize(weights?.byteLength ?? 0)}, kernels (steps): ${c.kernelCount}`);
  lines.push(`inputs:  ${m.inputs.map((t) => `${t.name} ${t.dtype}[${t.shape.join(', ')}]`).join(', ')}`);
  lines.push(`outputs: ${m.outputs.map((t) => `${t.name} ${t.dtype}[${t.shape.join(', ')}]`).join(', ')}`);
  lines.push(`symbols: ${Object.entries(m.symbols).map(([s, r]) => `${s} in ${r.min}..${r.max}`).join(', ') || 'none'}`);
  lines.push(describeMemory(c.memory));
  if (c.report) {
    const r = c.report;
    const fused = Object.entries(r.fusions).map(([k, n]) => `${k} x${n}`).join(', ');
    lines.push(`report.json: nodes ${r.nodes.before} -> ${r.nodes.after}${fused ? ` (fusions: ${fused})` : ''}, peak arena ${formatSize(r.peakArenaBytes)} and ${(r.totalFlops / 1e9).toFixed(3)} GFLOP at ${Object.entries(r.shape).map(([s, v]) => `${s}=${v}`).join(', ') || 'the static shape'}`);
    if (verbose) for (const s of r.steps) lines.push(`  step ${String(s.index).padStart(4)} ${s.op.padEnd(20)} ${s.node.padEnd(32)} ${(s.flops / 1e6).toFixed(2)} MFLOP`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parses repeated `sym=N` flags (N a positive integer); every bad one reported at once. */
export function parseShapeFlags(specs: readonly string[], flag: string): Record<string, number> {
  const out: Record<string, number> = {};
  const bad: string[] = [];
  for (const s of specs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$/.exec(s);
    if (!m || Number(m[2]) < 1) bad.push(`${flag} '${s}' must be SYMBOL=N with N >= 1`);
    else out[m[1]!] = Number(m[2]);
  }
  if (bad.length > 0) throw new UsageError(bad.join('\n       '));
  return out;
}
