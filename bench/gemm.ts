// Micro-benchmark: GFLOP/s of the generated packed-B GEMM (SIMD128 and relaxed SIMD) vs onnxruntime-web's WASM
// MatMul (1 thread) on 1024³ and the MiniLM-L6 shapes; medians after warm-up, all in one process. The
// '+ epilogue' rows time the Linear stores as MiniLM runs them (bias + GELU erf, bias + residual; ORT: MatMul only).
//
//   node --experimental-wasm-relaxed-simd --import tsx bench/gemm.ts [--sweep] [--runs N]
// Without the flag the relaxed column is skipped. --sweep also times K/N blockings to choose the defaults.

import * as ort from 'onnxruntime-web';
import { type GemmCoreSpec, type GemmEpilogue, gemmBlocking, gemmStandaloneModule } from '../backends/wasm/kernels/gemm.js';
import { erf } from '../compiler/ops/elementwise.js';
import { packPanels } from '../backends/wasm/pack.js';
import { Tensor } from '../compiler/ir/tensor.js';
import { hasRelaxedSimd } from '../runtime/wasm.js';
import { model, node, vi } from '../test/onnx/build.js';

const args = process.argv.slice(2);
const sweep = args.includes('--sweep');
const minRuns = Number(args[args.indexOf('--runs') + 1] || 0) || 21;
const biasRow = { form: 'row', beta: 1 } as const;
const allShapes: [string, number, number, number, GemmEpilogue?][] = [
  ['1024³', 1024, 1024, 1024],
  ['MiniLM QKV/out', 128, 384, 384],
  ['MiniLM FFN up', 128, 384, 1536],
  ['MiniLM FFN down', 128, 1536, 384],
  ['MiniLM FFN up + bias, GELU', 128, 384, 1536, { alpha: 1, bias: biasRow, activation: 'gelu' }],
  ['MiniLM FFN down + bias, residual', 128, 1536, 384, { alpha: 1, bias: biasRow, residual: true }],
];
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]! : '';
const shapes = allShapes.filter(([name]) => name.includes(only));

/** A timed variant: one call (sync or async). */
type Runner = () => void | Promise<unknown>;

/**
 * Median milliseconds of each runner after `warm` warm-up calls each (V8 tiers wasm up from Liftoff to
 * TurboFan), timed interleaved round by round so that load from other processes hits every variant alike.
 */
async function timeInterleaved(runners: readonly Runner[], warm = 30): Promise<number[]> {
  for (const r of runners) for (let i = 0; i < warm; i++) await r();
  const times = runners.map(() => [] as number[]);
  const t0 = performance.now();
  while (times[0]!.length < minRuns || (performance.now() - t0 < 1000 && times[0]!.length < 500)) {
    for (let k = 0; k < runners.length; k++) {
      const s = performance.now();
      await runners[k]!();
      times[k]!.push(performance.now() - s);
    }
  }
  return times.map((t) => t.sort((x, y) => x - y)[t.length >> 1]!);
}

export function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
}

/**
 * A runner for one xfc GEMM core on A [M, K] and packed B [K, N] (with a row bias and an [M, N] residual when
 * the epilogue reads them), checked first against a sampled reference.
 */
export function xfcRunner(spec: GemmCoreSpec, relaxed: boolean, M: number, K: number, N: number, A: Float32Array, B: Float32Array): Runner {
  const packed = packPanels(B, K, N, false);
  const [bias, res] = [random(N, 3), random(M * N, 4)];
  const floats = 16 + A.length + packed.length + 2 * M * N + N + 128;
  const bytes = gemmStandaloneModule([spec], { relaxedSimd: relaxed }, Math.ceil((floats * 4) / 65536) + 1);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)), {});
  const mem = new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer);
  const after = (start: number, n: number): number => start + n + 16 - (n % 16);
  const a = 16;
  const b = after(a, A.length);
  const c = after(b, packed.length);
  const r = after(c, M * N);
  const bi = after(r, M * N);
  mem.set(A, a);
  mem.set(packed, b);
  mem.set(res, r);
  mem.set(bias, bi);
  const gemm = inst.exports.gemm0 as (...x: number[]) => void;
  const run = (): void => gemm(a * 4, b * 4, c * 4, M, K, N, bi * 4, r * 4);
  run();
  const ep = spec.epilogue;
  for (const [i, j] of [[0, 0], [M - 1, N - 1], [M >> 1, N >> 2]] as const) {
    let s = ep.bias ? bias[j]! : 0;
    for (let q = 0; q < K; q++) s += A[i * K + q]! * B[q * N + j]!;
    if (ep.activation === 'gelu') s = 0.5 * s * (1 + erf(s / Math.SQRT2));
    else if (ep.activation) throw new Error(`bench: no reference for activation ${ep.activation}`);
    if (ep.residual) s += res[i * N + j]!;
    if (Math.abs(mem[c + i * N + j]! - s) > 1e-3 * (1 + Math.abs(s))) throw new Error(`xfc GEMM wrong at ${i},${j}: ${mem[c + i * N + j]} vs ${s}`);
  }
  return run;
}

/** A runner for onnxruntime-web's MatMul with B as an initializer (so ORT may pre-pack it too). */
async function ortRunner(M: number, K: number, N: number, A: Float32Array, B: Float32Array): Promise<Runner> {
  const bytes = model({
    nodes: [node('MatMul', ['A', 'B'], ['Y'])],
    inputs: [vi('A', 'f32', [M, K])],
    outputs: [vi('Y', 'f32', [M, N])],
    initializers: [{ tensor: new Tensor('f32', [K, N], B), name: 'B' }],
  });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { A: new ort.Tensor('float32', A, [M, K]) };
  return () => session.run(feeds);
}

/** GFLOP/s of xfc's GEMM (SIMD128, and relaxed SIMD when `relaxed`) and onnxruntime-web's MatMul on one shape. */
export async function gemmGflops(M: number, K: number, N: number, epilogue: GemmEpilogue = { alpha: 1 }, relaxed = hasRelaxedSimd()):
  Promise<{ simd: number; relaxed: number | undefined; ort: number }> {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const A = random(M * K, 1);
  const B = random(K * N, 2);
  // The blocking the MatMul kernel picks for these shapes (kernels/gemm.ts `gemmBlocking`; relaxed SIMD below).
  const base: GemmCoreSpec = { b: 'packed', K, N, transA: false, epilogue, ...gemmBlocking(K, N, false) };
  if (sweep) {
    const configs: GemmCoreSpec[] = [];
    for (const kc of [128, 256, 384, 512, K]) for (const nc of [undefined, 4, 8, 16, 32]) configs.push({ ...base, kc, ncPanels: nc });
    const variants = configs.flatMap((spec) => (relaxed ? [false, true] : [false]).map((r) => ({ spec, r })));
    const ms = await timeInterleaved(variants.map(({ spec, r }) => xfcRunner(spec, r, M, K, N, A, B)), 10);
    variants.forEach(({ spec, r }, i) => console.log(`  sweep ${M}×${K}×${N} kc=${spec.kc} nc=${spec.ncPanels ?? 'all'} ${r ? 'relaxed' : 'simd128'}: ${gf(M, K, N, ms[i]!).toFixed(1)} GFLOP/s`));
  }
  const runners = [xfcRunner(base, false, M, K, N, A, B), await ortRunner(M, K, N, A, B)];
  if (relaxed) runners.push(xfcRunner({ ...base, ...gemmBlocking(K, N, true) }, true, M, K, N, A, B));
  const [simd, ortG, rel] = (await timeInterleaved(runners)).map((ms) => gf(M, K, N, ms));
  return { simd: simd!, ort: ortG!, relaxed: rel };
}

export const gf = (M: number, K: number, N: number, ms: number): number => (2 * M * K * N) / (ms * 1e6);

async function main(): Promise<void> {
  const relaxed = hasRelaxedSimd();
  console.log(`node ${process.version}; relaxed SIMD ${relaxed ? 'available' : 'NOT available (run with --experimental-wasm-relaxed-simd)'}; medians of >= ${minRuns} interleaved runs (1 s per shape) after 30 warm-up runs`);
  const rows: string[][] = [['shape', 'M×K×N', 'xfc simd128', 'xfc relaxed', 'ort-web wasm', 'simd/ort', 'relaxed/ort']];
  for (const [name, M, K, N, epilogue] of shapes) {
    const { simd, relaxed: rel, ort: ortG } = await gemmGflops(M, K, N, epilogue, relaxed);
    rows.push([name, `${M}×${K}×${N}`, simd.toFixed(1), rel !== undefined ? rel.toFixed(1) : 'n/a', ortG.toFixed(1),
      (simd / ortG).toFixed(2), rel !== undefined ? (rel / ortG).toFixed(2) : 'n/a']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log('GFLOP/s (higher is better)');
  for (const r of rows) console.log(r.map((x, c) => x.padStart(widths[c]!)).join('  '));
}

// Run as a script; imported (by bench/models.ts) it only exports gemmGflops.
if (import.meta.url === `file://${process.argv[1]}`) await main();
