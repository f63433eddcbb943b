// A/B of GEMM tunings on a whole model: the model compiled once per variant of `gemmTuning` (backends/wasm/
// kernels/gemm.ts), every variant (relaxed SIMD, or SIMD128 with --simd) and onnxruntime-web (1 thread) timed
// interleaved in one process; median ms per round, several rounds (the machine is shared: compare within a round).
//
//   node --experimental-wasm-relaxed-simd --import tsx bench/model-ab.ts [MODEL.onnx] [--seq 128] [--rounds 3]
//        [--runs 15] [--simd] [--no-ort] [--variants '[{},{"order":"panels"}]']

import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-web';
import { compileModel } from '../cli/compile.js';
import { bundleFiles } from '../backends/bundle.js';
import { gemmTuning } from '../backends/wasm/kernels/gemm.js';
import { loadModel } from '../runtime/index.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const file = args.find((a, i) => a.endsWith('.onnx') && !(i > 0 && args[i - 1]!.startsWith('--'))) ?? path.join(os.tmpdir(), 'xfc-bench-minilm-l6.onnx');
const seq = Number(opt('--seq', '128'));
const rounds = Number(opt('--rounds', '3'));
const runs = Number(opt('--runs', '15'));
const relaxed = !args.includes('--simd');
const variants = JSON.parse(opt('--variants', '[{}]')) as Partial<typeof gemmTuning>[];

const ids = Int32Array.from({ length: seq }, (_, i) => 1 + ((i * 7919) % 99));
const feeds = { input_ids: { data: BigInt64Array.from(ids, BigInt), dims: [1, seq] }, attention_mask: { data: new BigInt64Array(seq).fill(1n), dims: [1, seq] } };
const defaults = { ...gemmTuning };
const setTuning = (v: Partial<typeof gemmTuning>): void => {
  for (const k of Object.keys(gemmTuning)) delete gemmTuning[k as keyof typeof gemmTuning];
  Object.assign(gemmTuning, defaults, v);
};
const runners: (() => Promise<unknown>)[] = [];
for (const v of variants) {
  setTuning(v);
  const compiled = await compileModel(file, { maxShape: { batch: 1, seq } });
  const model = await loadModel(bundleFiles(compiled.contents), { backend: 'wasm', relaxedSimd: relaxed });
  const inputs = Object.fromEntries(model.inputs.map((i) => [i.name, feeds[i.name as keyof typeof feeds]]));
  runners.push(() => model.run(inputs));
}
setTuning({});
const names = variants.map((v) => JSON.stringify(v));
if (!args.includes('--no-ort')) {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const tensors = Object.fromEntries(session.inputNames.map((n) => [n, new ort.Tensor('int64', feeds[n as keyof typeof feeds].data, [1, seq])]));
  runners.push(() => session.run(tensors));
  names.push('onnxruntime-web');
}
for (const r of runners) for (let i = 0; i < 5; i++) await r();
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const table: string[][] = names.map(() => []);
for (let round = 0; round < rounds; round++) {
  const times: number[][] = runners.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, r] of runners.entries()) {
      const t = performance.now();
      await r();
      times[k]!.push(performance.now() - t);
    }
  }
  times.forEach((t, k) => table[k]!.push(`${med(t).toFixed(1)}/${Math.min(...t).toFixed(1)}`));
}
console.log(`${path.basename(file)} seq ${seq}, ${relaxed ? 'relaxed' : 'simd128'}: ms per round (median/min of ${runs})`);
names.forEach((n, k) => console.log(`  ${n.padEnd(48)} ${table[k]!.map((x) => x.padStart(12)).join(' ')}`));
