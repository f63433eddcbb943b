// Per-kernel profile of a compiled model: run()'s top-level statements (one per schedule step) are instrumented
// with calls to an imported timer, the model runs repeatedly, and the median time of every step is summed per
// op and per kernel function. Timer calls cost well under a microsecond each; steps are tens of µs and up.
//
//   node --experimental-wasm-relaxed-simd --import tsx bench/profile.ts [MODEL.onnx] [--seq 128] [--runs 15] [--simd] [--passes a,b]
//        [--tuning '{"order":"panels"}'] (backends/wasm/kernels/gemm.ts gemmTuning)

import * as path from 'node:path';
import binaryen from 'binaryen';
import { compileWasm } from '../backends/wasm/index.js';
import { gemmTuning } from '../backends/wasm/kernels/gemm.js';
import { importOnnxBytes, readModelFile } from '../compiler/onnx/import.js';
import { Tensor } from '../compiler/ir/tensor.js';
import { optimize } from '../passes/pipeline.js';
import { runCompiled } from '../test/wasm/harness.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const file = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--') && args[i - 1] !== '--simd')) ?? path.join(process.env.TMPDIR ?? '/tmp', 'xfc-bench-minilm-l6.onnx');
const seq = Number(flag('--seq', '128'));
const runs = Number(flag('--runs', '15'));
const relaxed = !args.includes('--simd');
if (args.includes('--tuning')) Object.assign(gemmTuning, JSON.parse(flag('--tuning', '{}')));
const passes = args.includes('--passes') ? flag('--passes', '').split(',').filter(Boolean) : undefined;

const bytes = readModelFile(file);
const { graph } = importOnnxBytes(bytes, { baseDir: path.dirname(path.resolve(file)), fileName: file });
optimize(graph, passes ? { passes } : {});
const compiled = compileWasm(graph);
const steps = compiled.schedule.steps;

/** The first function a statement calls (kernels emit a call, or a block of calls). */
function callee(e: number): string {
  const info = binaryen.getExpressionInfo(e) as { id: number; target?: string; children?: number[] };
  if (info.id === binaryen.CallId) return info.target!;
  if (info.id === binaryen.BlockId) for (const c of info.children!) { const t = callee(c); if (t) return t; }
  return '';
}

/** The module with run() = tick(0); s0; tick(1); s1; ...; tick(n), and the statements' callees. */
function instrument(binary: Uint8Array): { binary: Uint8Array; labels: string[] } {
  const m = binaryen.readBinary(binary);
  m.setFeatures(binaryen.Features.All);
  // Without a names section the function behind the export has a generated name.
  const runName = binaryen.getExportInfo(m.getExport('run')).value;
  const { body, vars } = binaryen.getFunctionInfo(m.getFunction(runName));
  const info = binaryen.getExpressionInfo(body) as { id: number; children?: number[] };
  const stmts = info.id === binaryen.BlockId ? info.children! : [body];
  m.addFunctionImport('tick', 'env', 'tick', binaryen.i32, binaryen.none);
  const tick = (i: number) => m.call('tick', [m.i32.const(i)], binaryen.none);
  const out: number[] = [];
  stmts.forEach((s, i) => out.push(tick(i), s));
  out.push(tick(stmts.length));
  m.removeExport('run');
  m.removeFunction(runName);
  m.addFunction('run', binaryen.none, binaryen.none, vars, m.block(null, out, binaryen.none));
  m.addFunctionExport('run', 'run');
  if (!m.validate()) throw new Error('instrumented module does not validate');
  const result = { binary: m.emitBinary(), labels: stmts.map(callee) };
  m.dispose();
  return result;
}

const code = relaxed ? compiled.relaxed! : compiled.simd;
const { binary, labels } = instrument(code.binary);
const n = labels.length;
const stamps: number[][] = [];
let current: number[] = [];
const imports = { env: { tick: (i: number) => { current[i] = performance.now(); if (i === n) { stamps.push(current); current = []; } } } };

const feeds: Record<string, Tensor> = {};
for (const io of compiled.schedule.inputs) {
  const shape = io.shape.map((d) => (typeof d === 'number' ? d : d === 'batch' ? 1 : seq));
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => (/mask/.test(io.name) ? 1 : 1 + ((i * 7919) % 99)));
  feeds[io.name] = Tensor.fromNumbers(io.dtype, shape, values);
}
await runCompiled(compiled, feeds, { relaxedSimd: relaxed, binary, imports, runs });

const warm = Math.min(5, runs - 1);
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
const perStmt = labels.map((_, i) => median(stamps.slice(warm).map((t) => t[i + 1]! - t[i]!)));
const total = median(stamps.slice(warm).map((t) => t[n]! - t[0]!));

// Statements map one-to-one onto schedule steps when their counts agree.
const opOf = (i: number): string => (n === steps.length ? steps[i]!.op : '?');
const table = (title: string, key: (i: number) => string): void => {
  const groups = new Map<string, { ms: number; count: number }>();
  perStmt.forEach((ms, i) => {
    const g = groups.get(key(i)) ?? { ms: 0, count: 0 };
    groups.set(key(i), { ms: g.ms + ms, count: g.count + 1 });
  });
  console.log(`\n${title}`);
  for (const [k, g] of [...groups].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${g.ms.toFixed(2).padStart(9)} ms  ${((100 * g.ms) / total).toFixed(1).padStart(5)} %  ${String(g.count).padStart(4)}x  ${k}`);
  }
};
console.log(`${path.basename(file)} seq ${seq}, ${relaxed ? 'relaxed' : 'simd128'}: ${steps.length} steps, ${n} statements; median run ${total.toFixed(2)} ms over ${runs - warm} runs`);
table('by op', opOf);
const signature = (i: number): string => {
  if (n !== steps.length) return labels[i]!;
  const st = steps[i]!;
  const shapes = st.inputs.filter((t) => t).map((t) => `[${t!.shape.join(',')}]`).join(' ');
  const attrs = Object.entries(st.attrs).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}=${v}`).join(' ');
  return `${st.op} ${shapes} -> [${st.outputs[0]!.shape.join(',')}] ${attrs}`;
};
table('by step signature', signature);
