// A/B micro-benchmark of GEMM core variants (GemmCoreSpec fields over the kernel's own blocking, gemmBlocking:
// kc, ncPanels, order, epilogue) on the MiniLM-L6 Linear shapes and two small in-L1 ones: every variant of a shape
// timed interleaved in one process, median and best GFLOP/s per round, several rounds (the machine is shared:
// compare within a round, look at the spread across rounds). --evict streams --evict-mb MB (default 16) through
// the caches before every timed call (600: weights from DRAM).
//
//   node --experimental-wasm-relaxed-simd --import tsx bench/gemm-ab.ts [--rounds 3] [--samples 41] [--simd]
//        [--only NAME] [--evict [--evict-mb 600]] [--variants '[{},{"order":"rows","ncPanels":32}]']

import { type GemmCoreSpec, type GemmEpilogue, gemmBlocking } from '../backends/wasm/kernels/gemm.js';
import { gf, random, xfcRunner } from './gemm.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const rounds = Number(opt('--rounds', '3'));
const relaxed = !args.includes('--simd');
const only = opt('--only', '');
const variants = JSON.parse(opt('--variants', '[{}]')) as Partial<GemmCoreSpec>[];
/** [median, min] ms of each runner over `samples` interleaved rounds after `warm` calls each. */
function timeBoth(runners: readonly (() => void)[], warm: number, samples: number): [number, number][] {
  for (const r of runners) for (let i = 0; i < warm; i++) r();
  const times = runners.map(() => [] as number[]);
  for (let s = 0; s < samples; s++) {
    for (let k = 0; k < runners.length; k++) {
      if (evict) evictCaches();
      const t = performance.now();
      runners[k]!();
      times[k]!.push(performance.now() - t);
    }
  }
  return times.map((t) => { t.sort((x, y) => x - y); return [t[t.length >> 1]!, t[0]!]; });
}
const evict = args.includes('--evict');
const junk = new Float32Array(Number(opt('--evict-mb', '16')) << 18);
let sink = 0;
/** Streams --evict-mb MB (16: evicts L2 only; L3 is larger on these machines) through the caches. */
function evictCaches(): void {
  let s = 0;
  for (let i = 0; i < junk.length; i += 16) { junk[i] = i; s += junk[i + 8]!; }
  sink += s;
}
const samples = Number(opt('--samples', '41'));
const biasRow = { form: 'row', beta: 1 } as const;
const shapes: [string, number, number, number, GemmEpilogue][] = [
  ['qkv/out +bias', 128, 384, 384, { alpha: 1, bias: biasRow }],
  ['ffn up +bias gelu', 128, 384, 1536, { alpha: 1, bias: biasRow, activation: 'gelu' }],
  ['ffn down +bias res', 128, 1536, 384, { alpha: 1, bias: biasRow, residual: true }],
  ['ffn down +bias', 128, 1536, 384, { alpha: 1, bias: biasRow }],
  ['in-L1 3x24', 3, 256, 24, { alpha: 1 }],
  ['in-L1 126x24', 126, 384, 24, { alpha: 1 }],
];

for (const [name, M, K, N, epilogue] of shapes.filter(([n]) => n.includes(only))) {
  const A = random(M * K, 1);
  const B = random(K * N, 2);
  const base: GemmCoreSpec = { b: 'packed', K, N, transA: false, epilogue, ...gemmBlocking(K, N, relaxed) };
  const specs = variants.map((v) => ({ ...base, ...v }) as GemmCoreSpec);
  const runners = specs.map((s) => xfcRunner(s, relaxed, M, K, N, A, B));
  // Tiny shapes: many calls per timed sample.
  const reps = Math.max(1, Math.round(2e7 / (2 * M * K * N)));
  const timed = runners.map((r) => () => { for (let q = 0; q < reps; q++) r(); });
  const results: string[][] = specs.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const ms = timeBoth(timed, round === 0 ? 30 : 5, samples);
    ms.forEach(([med, min], v) => results[v]!.push(`${gf(M, K, N, med / reps).toFixed(1)}/${gf(M, K, N, min / reps).toFixed(1)}`));
  }
  console.log(`${name} ${M}x${K}x${N} (${relaxed ? 'relaxed' : 'simd128'}${evict ? ', caches evicted' : ''}), GFLOP/s per round (median/best):`);
  variants.forEach((v, n) => console.log(`  ${JSON.stringify(v).padEnd(40)} ${results[n]!.map((g) => g.padStart(10)).join(' ')}`));
}
if (sink === 0.5) console.log(sink);
