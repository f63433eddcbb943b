// The pass manager: runs a list of passes by name, verifies between them, prints and dumps the IR, collects
// per-pass statistics, and turns a failing pass into a CompileError with a reproducer (IR before it + pipeline).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CompileError, Diagnostic } from '../compiler/diagnostics.js';
import { Graph, Node, Value } from '../compiler/ir/graph.js';
import { printGraph } from '../compiler/ir/print.js';
import { verifyGraph } from '../compiler/ir/verify.js';
import { ALL_PASSES, DEFAULT_PIPELINE } from './index.js';
import type { Pass, PassResult } from './pass.js';

export type { Pass, PassContext, PassResult } from './pass.js';

export interface PipelineOptions {
  /** Pass names (or pass objects) to run instead of the default pipeline (`--passes a,b,c`). */
  passes?: readonly (string | Pass)[];
  /** Run the verifier after every pass (tests and --verify-each). */
  verifyEach?: boolean;
  /** Print the IR after these passes (`--print-ir-after`; 'all' for every pass). */
  printIrAfter?: readonly string[];
  /** Write the IR after each pass to DIR/NN-<pass>.ir (and a reproducer there when a pass fails). */
  dumpDir?: string;
  /** Receives printed IR (default: standard error). */
  onPrint?(text: string): void;
  /** Receives log lines of the passes and of the manager (default: standard error when verbose, else nothing). */
  onLog?(line: string): void;
  verbose?: boolean;
  /** Constants with more elements than this print as dense<elided> in printed and dumped IR (default 64). */
  elideConstantsAbove?: number;
}

export interface PassStat {
  name: string;
  ms: number;
  changed: boolean;
  nodesBefore: number;
  nodesAfter: number;
  stats: Record<string, number>;
}

export interface PipelineResult {
  changed: boolean;
  passes: PassStat[];
}

/** The known pass with this name, or undefined. */
export function getPass(name: string): Pass | undefined {
  return ALL_PASSES.find((p) => p.name === name);
}

/** Resolves pass names; every unknown name is reported at once, with the list of known passes. */
export function resolvePasses(list: readonly (string | Pass)[]): Pass[] {
  const known = ALL_PASSES.map((p) => p.name).join(', ');
  const problems: Diagnostic[] = [];
  const out: Pass[] = [];
  for (const item of list) {
    const p = typeof item === 'string' ? getPass(item) : item;
    if (!p) problems.push(new Diagnostic('unknownPass', { pass: String(item), known }));
    else out.push(p);
  }
  if (problems.length > 0) throw new CompileError(problems);
  return out;
}

/** Runs passes over the graph in order (see PipelineOptions). */
export function runPipeline(graph: Graph, options: PipelineOptions = {}): PipelineResult {
  const passes = resolvePasses(options.passes ?? DEFAULT_PIPELINE);
  const printAfter = new Set(options.printIrAfter ?? []);
  const unknownPrint = [...printAfter].filter((n) => n !== 'all' && !getPass(n) && !passes.some((p) => p.name === n));
  if (unknownPrint.length > 0) resolvePasses(unknownPrint);
  const print = options.onPrint ?? ((text: string) => void process.stderr.write(text));
  const verbose = options.verbose ?? false;
  const log = options.onLog ?? (verbose ? (line: string) => void process.stderr.write(`${line}\n`) : () => {});
  const printOptions = { elideLargeConstants: options.elideConstantsAbove ?? 64 };
  if (options.dumpDir) fs.mkdirSync(options.dumpDir, { recursive: true });
  const pipelineText = passes.map((p) => p.name).join(',');

  const stats: PassStat[] = [];
  passes.forEach((pass, index) => {
    const before = snapshot(graph);
    const nodesBefore = graph.nodes.length;
    const started = performance.now();
    let result: PassResult;
    try {
      result = pass.run(graph, { verbose, log: (line) => log(`[${pass.name}] ${line}`) });
    } catch (e) {
      const reproducer = writeReproducer(before, pass.name, pipelineText, index, options.dumpDir, e);
      const detail = e instanceof CompileError ? e.diagnostics.map((d) => d.toString()).join('; ') : String(e instanceof Error ? e.message : e);
      const err = CompileError.of('passFailed', { pass: pass.name, detail, reproducer });
      if (e instanceof Error) err.cause = e;
      throw err;
    }
    const ms = performance.now() - started;
    if (options.verifyEach) {
      const problems = verifyGraph(graph);
      if (problems.length > 0) {
        const reproducer = writeReproducer(before, pass.name, pipelineText, index, options.dumpDir, problems.join('\n'));
        throw new CompileError([new Diagnostic('passBrokeGraph', { pass: pass.name, count: problems.length, reproducer }), ...problems]);
      }
    }
    stats.push({ name: pass.name, ms, changed: result.changed, nodesBefore, nodesAfter: graph.nodes.length, stats: result.stats ?? {} });
    log(`${pass.name}: ${result.changed ? 'changed' : 'unchanged'}, ${nodesBefore} -> ${graph.nodes.length} nodes, ${ms.toFixed(1)} ms`);
    if (printAfter.has(pass.name) || printAfter.has('all')) {
      print(`// ----- IR after ${pass.name} -----\n${printGraph(graph, printOptions)}`);
    }
    if (options.dumpDir) {
      const file = path.join(options.dumpDir, `${String(index + 1).padStart(2, '0')}-${pass.name}.ir`);
      fs.writeFileSync(file, printGraph(graph, printOptions));
    }
  });
  return { changed: stats.some((s) => s.changed), passes: stats };
}

/** A reproducer file: the failing pipeline and error as comments, then the full IR before the failing pass. */
function writeReproducer(before: Graph, passName: string, pipeline: string, index: number, dumpDir: string | undefined, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const header = [
    `// xfc reproducer: pass '${passName}' (number ${index + 1}) failed on this IR.`,
    `// pipeline: ${pipeline}`,
    ...message.split('\n').map((l) => `// error: ${l}`),
    '',
  ].join('\n');
  const file = dumpDir
    ? path.join(dumpDir, `${String(index + 1).padStart(2, '0')}-${passName}.reproducer.ir`)
    : path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-')), `reproducer-${passName}.ir`);
  fs.writeFileSync(file, header + printGraph(before));
  return file;
}

/**
 * A structural copy of the graph sharing constant data (tensors are never mutated in place): cheap enough to take
 * before every pass, so a reproducer shows the IR as it was before the pass that failed.
 */
export function snapshot(graph: Graph): Graph {
  const g = new Graph(graph.name);
  g.opsets = [...graph.opsets];
  const map = new Map<Value, Value>();
  const copy = (v: Value): Value => {
    const c = new Value(g.uniqueName(v.name), v.type);
    c.constant = v.constant;
    c.symbolic = v.symbolic;
    map.set(v, c);
    return c;
  };
  g.inputs = graph.inputs.map(copy);
  g.constants = graph.constants.map(copy);
  for (const n of graph.nodes) {
    const inputs = n.inputs.map((v) => (v ? map.get(v) ?? v : undefined));
    const node = new Node(n.op, inputs, n.outputs.map(copy), n.attrs, n.name);
    for (const v of node.outputs) v.producer = node;
    g.nodes.push(node);
  }
  g.outputs = graph.outputs.map((v) => map.get(v) ?? v);
  return g;
}
