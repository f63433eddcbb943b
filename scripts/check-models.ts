// Checks a folder of exported models (the fixtures layout: models/*.onnx, data/<model>/<case>/*.npy) through
// the importer and the interpreter against the PyTorch outputs stored beside them, and prints a table.
//
// Usage: npx tsx scripts/check-models.ts DIR   (e.g. a folder written by `scripts/export_fixtures.py --variant big --out DIR`)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { importOnnxFile } from '../compiler/onnx/import.js';
import { interpret } from '../compiler/interpreter.js';
import { parseNpy } from '../compiler/io/npy.js';
import { dimSymbols } from '../compiler/ir/dim.js';
import type { Tensor } from '../compiler/ir/tensor.js';
import { CompileError } from '../compiler/diagnostics.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: check-models.ts DIR');
  process.exit(2);
}

function relL2(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

let worstOverall = 0;
let failures = 0;
console.log('| model | cases | nodes | symbols besides batch/seq | worst rel. L2 vs PyTorch |');
console.log('|---|---:|---:|---|---:|');
for (const file of fs.readdirSync(path.join(dir, 'models')).filter((f) => f.endsWith('.onnx')).sort()) {
  const model = /^(.*)-opset\d+\.onnx$/.exec(file)![1]!;
  let graph;
  try {
    graph = importOnnxFile(path.join(dir, 'models', file)).graph;
  } catch (e) {
    failures++;
    console.log(`| ${file} | import failed: ${e instanceof CompileError ? e.message.split('\n')[0] : e} |`);
    continue;
  }
  const extra = new Set<string>();
  for (const v of graph.values()) for (const d of v.type.shape) for (const s of dimSymbols(d)) if (s !== 'batch' && s !== 'seq') extra.add(s);
  const caseRoot = path.join(dir, 'data', model);
  let worst = 0;
  const cases = fs.readdirSync(caseRoot).sort();
  for (const c of cases) {
    const tensors: Record<string, Tensor> = {};
    for (const f of fs.readdirSync(path.join(caseRoot, c))) tensors[f.slice(0, -4)] = parseNpy(fs.readFileSync(path.join(caseRoot, c, f)));
    const feeds = Object.fromEntries(graph.inputs.map((v) => [v.name, tensors[v.name]!]));
    const out = interpret(graph, feeds);
    for (const v of graph.outputs) worst = Math.max(worst, relL2(out[v.name]!.toFloat64(), tensors[v.name]!.toFloat64()));
  }
  worstOverall = Math.max(worstOverall, worst);
  if (worst > 1e-5 || extra.size > 0) failures++;
  console.log(`| ${file} | ${cases.length} | ${graph.nodes.length} | ${[...extra].join(', ') || 'none'} | ${worst.toExponential(2)} |`);
}
console.log(`\nworst relative L2 error: ${worstOverall.toExponential(2)}; ${failures} model(s) with problems`);
process.exitCode = failures > 0 ? 1 : 0;
