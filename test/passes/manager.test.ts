// The pass manager: pass names and their errors, verify-each, print-ir-after, dumps, statistics, and reproducers.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { parseGraph } from '../../compiler/ir/parse.js';
import { printGraph } from '../../compiler/ir/print.js';
import { ALL_PASSES, DEFAULT_PIPELINE } from '../../passes/index.js';
import { type Pass, runPipeline } from '../../passes/manager.js';
import { optimize } from '../../passes/pipeline.js';
import { ir } from './helpers.js';

const before = ir`
  graph g(%x: f32[2, 3]) {
    %zero = const f32[] [0]
    %a: f32[2, 3] = Add(%x, %zero) @"add"
    %b: f32[2, 3] = Relu(%a) @"relu1"
    %c: f32[2, 3] = Relu(%a) @"relu2"
    %d: f32[2, 3] = Mul(%b, %c) @"mul"
    return %d
  }`;

function failure(f: () => unknown): CompileError {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error('expected a CompileError');
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-passes-test-'));

describe('pass names', () => {
  it('every pass has a kebab-case name, a description and a file passes/<name>.ts', () => {
    for (const p of ALL_PASSES) {
      expect(p.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(p.description.length).toBeGreaterThan(10);
      expect(fs.existsSync(path.join(import.meta.dirname, '..', '..', 'passes', `${p.name}.ts`)), p.name).toBe(true);
    }
    for (const name of DEFAULT_PIPELINE) expect(ALL_PASSES.map((p) => p.name)).toContain(name);
  });

  it('reports every unknown pass name at once, listing the known passes', () => {
    const e = failure(() => runPipeline(parseGraph(before), { passes: ['cse', 'fold', 'dce', 'magic'] }));
    const known = ALL_PASSES.map((p) => p.name).join(', ');
    expect(e.diagnostics.map((d) => d.toString())).toEqual([
      `error XFC0200: unknown pass 'fold' (known passes: ${known})`,
      `error XFC0200: unknown pass 'magic' (known passes: ${known})`,
    ]);
  });

  it('checks the names given to print-ir-after', () => {
    const e = failure(() => runPipeline(parseGraph(before), { passes: ['cse'], printIrAfter: ['csee'] }));
    expect(e.diagnostics[0]!.message).toMatch(/^unknown pass 'csee'/);
  });
});

describe('running passes', () => {
  it('runs the given passes in order and collects statistics per pass', () => {
    const graph = parseGraph(before);
    const result = runPipeline(graph, { passes: ['canonicalize', 'cse', 'dce'], verifyEach: true });
    expect(result.changed).toBe(true);
    expect(result.passes.map(({ ms, ...rest }) => rest)).toEqual([
      { name: 'canonicalize', changed: true, nodesBefore: 4, nodesAfter: 3, stats: { 'add-zero': 1 } },
      { name: 'cse', changed: true, nodesBefore: 3, nodesAfter: 2, stats: { 'nodes-merged': 1 } },
      { name: 'dce', changed: false, nodesBefore: 2, nodesAfter: 2, stats: {} },
    ]);
    for (const p of result.passes) expect(p.ms).toBeGreaterThanOrEqual(0);
    expect(printGraph(graph)).toBe(ir`
      graph g(%x: f32[2, 3]) {
        %b: f32[2, 3] = Relu(%x) @"relu1"
        %d: f32[2, 3] = Mul(%b, %b) @"mul"
        return %d
      }`);
  });

  it('optimize runs the default pipeline', () => {
    const graph = parseGraph(before);
    const result = optimize(graph, { verifyEach: true });
    expect(result.passes.map((p) => p.name)).toEqual([...DEFAULT_PIPELINE]);
    expect(graph.nodes.map((n) => n.op)).toEqual(['Relu', 'Mul']);
  });

  it('prints the IR after the named passes only', () => {
    const printed: string[] = [];
    runPipeline(parseGraph(before), { passes: ['canonicalize', 'cse', 'dce'], printIrAfter: ['cse'], onPrint: (t) => printed.push(t) });
    expect(printed).toEqual([`// ----- IR after cse -----\n${ir`
      graph g(%x: f32[2, 3]) {
        %b: f32[2, 3] = Relu(%x) @"relu1"
        %d: f32[2, 3] = Mul(%b, %b) @"mul"
        return %d
      }`}`]);
  });

  it('dumps the IR after each pass as NN-<pass>.ir', () => {
    const dir = tmp();
    runPipeline(parseGraph(before), { passes: ['canonicalize', 'cse', 'dce'], dumpDir: dir });
    expect(fs.readdirSync(dir).sort()).toEqual(['01-canonicalize.ir', '02-cse.ir', '03-dce.ir']);
    const afterCanon = parseGraph(fs.readFileSync(path.join(dir, '01-canonicalize.ir'), 'utf8'));
    expect(afterCanon.nodes.map((n) => n.name)).toEqual(['relu1', 'relu2', 'mul']);
  });

  it('logs per-pass summaries and rejection reasons when verbose', () => {
    const lines: string[] = [];
    runPipeline(parseGraph(ir`
      graph g(%x: f32[2]) {
        %zero = const f32[] [0]
        %a: f32[2] = Add(%x, %zero) @"add"
        return %a
      }`), { passes: ['canonicalize'], verbose: true, onLog: (l) => lines.push(l) });
    expect(lines[0]).toBe('[canonicalize] add-zero rejected 1x: %a is a graph output and its replacement is graph input %x');
    expect(lines[1]).toMatch(/^canonicalize: unchanged, 1 -> 1 nodes, [\d.]+ ms$/);
  });
});

describe('failures', () => {
  const throwing: Pass = {
    name: 'explode',
    description: 'a pass that throws (for testing)',
    run(graph: Graph) {
      graph.nodes.pop(); // half-done work must not leak into the reproducer
      throw new Error('boom');
    },
  };

  it('a throwing pass becomes a CompileError naming it, with a reproducer of the IR before it', () => {
    const dir = tmp();
    const graph = parseGraph(before);
    const e = failure(() => runPipeline(graph, { passes: ['canonicalize', throwing, 'dce'], dumpDir: dir }));
    const file = path.join(dir, '02-explode.reproducer.ir');
    expect(e.diagnostics.map((d) => d.toString())).toEqual([`error XFC0201: pass 'explode' failed: boom (reproducer: ${file})`]);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.split('\n').slice(0, 3)).toEqual([
      "// xfc reproducer: pass 'explode' (number 2) failed on this IR.",
      '// pipeline: canonicalize,explode,dce',
      '// error: boom',
    ]);
    // The reproducer parses back to the graph as canonicalize left it.
    const expected = parseGraph(before);
    runPipeline(expected, { passes: ['canonicalize'] });
    expect(printGraph(parseGraph(text))).toBe(printGraph(expected));
  });

  it('without a dump folder the reproducer goes to a temporary file named in the error', () => {
    const e = failure(() => runPipeline(parseGraph(before), { passes: [throwing] }));
    const file = /\(reproducer: (.*)\)$/.exec(e.diagnostics[0]!.message)![1]!;
    expect(file.startsWith(os.tmpdir())).toBe(true);
    expect(printGraph(parseGraph(fs.readFileSync(file, 'utf8')))).toBe(printGraph(parseGraph(before)));
  });

  it('with verifyEach, a pass that leaves an invalid graph is caught right after it, with the verifier\'s findings', () => {
    const breaking: Pass = {
      name: 'break-types',
      description: 'a pass that corrupts a type (for testing)',
      run(graph: Graph) {
        graph.nodes[1]!.outputs[0]!.type = { dtype: 'f32', shape: [3, 2] };
        return { changed: true };
      },
    };
    const e = failure(() => runPipeline(parseGraph(before), { passes: ['dce', breaking, 'cse'], verifyEach: true }));
    expect(e.diagnostics[0]!.toString()).toMatch(/^error XFC0202: pass 'break-types' left an invalid graph \(\d+ problems, listed below\) \(reproducer: .*reproducer-break-types\.ir\)$/);
    expect(e.diagnostics[1]!.toString()).toBe(
      "error XFC0092: Relu node 'relu1': result 'b' is stored as f32[3, 2], but the type rule infers f32[2, 3]");
  });
});
