// `xfc bench`: latency (median, p10, p90) and throughput of a bundle through the runtime, on random or given inputs.

import * as fs from 'node:fs';
import type { Command } from 'commander';
import { parseNpy } from '../compiler/io/npy.js';
import { loadModel, XfcError, type Feed, type Model, type TensorSpec } from '../runtime/index.js';
import { DTYPES, type RuntimeTypedArray } from '../runtime/dtypes.js';
import { evalDimExpr } from '../runtime/plan.js';
import { collect, parseShapeFlags } from './compile.js';
import { type Io, UsageError } from './io.js';

export interface Timing {
  readonly runs: number;
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly meanMs: number;
}

/** Times `fn` after `warmup` untimed calls; percentiles by nearest rank. */
export async function timeRuns(fn: () => unknown, warmup: number, runs: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return summarizeTimes(times);
}

export function summarizeTimes(times: readonly number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return { runs: sorted.length, medianMs: median, p10Ms: rank(0.1), p90Ms: rank(0.9), meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** A deterministic PRNG (mulberry32) so benchmark inputs are the same from run to run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random feeds for a model: floats uniform in [-1, 1), integers 0..9 (token ids and positions are usually
 * valid there), bool all true. Symbols take `shape[sym]`, else 1 for names containing "batch", else min(128, max).
 */
export function randomFeeds(model: Pick<Model, 'inputs' | 'manifest'>, shape: Readonly<Record<string, number>>, seed = 1): { feeds: Record<string, Feed>; symbols: Record<string, number> } {
  const symbols: Record<string, number> = {};
  for (const [s, r] of Object.entries(model.manifest.symbols)) {
    symbols[s] = shape[s] ?? (/batch/i.test(s) ? 1 : Math.max(r.min, Math.min(128, r.max)));
  }
  const rand = random(seed);
  const feeds: Record<string, Feed> = {};
  for (const spec of model.inputs) {
    const dims = spec.shape.map((d) => evalDimExpr(d, symbols));
    feeds[spec.name] = { data: randomData(spec, dims.reduce((a, b) => a * b, 1), rand), dims };
  }
  return { feeds, symbols };
}

function randomData(spec: TensorSpec, n: number, rand: () => number): RuntimeTypedArray {
  const info = DTYPES[spec.dtype];
  const out = new info.array(n);
  for (let i = 0; i < n; i++) {
    if (spec.dtype === 'float32' || spec.dtype === 'float64') out[i] = rand() * 2 - 1;
    else if (spec.dtype === 'bool') out[i] = 1;
    else if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(Math.floor(rand() * 10));
    else out[i] = Math.floor(rand() * 10);
  }
  return out;
}

/** Feeds from `name=file.npy` flags (the rest stays random). */
function npyFeeds(specs: readonly string[], model: Model): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    const name = s.slice(0, eq);
    if (eq <= 0 || !model.inputs.some((t) => t.name === name)) {
      throw new UsageError(`--input '${s}' must be NAME=FILE.npy with NAME one of: ${model.inputs.map((t) => t.name).join(', ')}`);
    }
    const t = parseNpy(fs.readFileSync(s.slice(eq + 1)));
    feeds[name] = { data: t.data as RuntimeTypedArray, dims: [...t.shape] };
  }
  return feeds;
}

interface BenchFlags {
  warmup: string;
  runs: string;
  shape: string[];
  input: string[];
  relaxedSimd: string;
}

export function benchCommand(program: Command, io: Io): void {
  program
    .command('bench')
    .description('measure latency (median, p10, p90) and throughput of a compiled bundle')
    .argument('<bundle>', 'a bundle directory written by xfc compile')
    .option('--warmup <n>', 'untimed runs first', '10')
    .option('--runs <n>', 'timed runs', '50')
    .option('--shape <sym=N>', 'a symbol value for the random inputs (repeat per symbol)', collect, [])
    .option('-i, --input <name=file.npy>', 'use this tensor instead of a random one', collect, [])
    .option('--relaxed-simd <mode>', 'auto, on or off', 'auto')
    .addHelpText('after', '\nRandom inputs: floats in [-1, 1), integers 0..9, bool true. Unset symbols: batch* = 1, others 128.\n\nExample:\n  xfc bench out/ --shape seq=128 --runs 100\n')
    .action(async (bundle: string, flags: BenchFlags) => {
      const warmup = count(flags.warmup, '--warmup', 0);
      const runs = count(flags.runs, '--runs', 1);
      const relaxed = ({ auto: 'auto', on: true, off: false } as const)[flags.relaxedSimd as 'auto' | 'on' | 'off'];
      if (relaxed === undefined) throw new UsageError(`--relaxed-simd must be auto, on or off, got '${flags.relaxedSimd}'`);
      const shape = parseShapeFlags(flags.shape, '--shape');
      const t0 = performance.now();
      const model = await loadModel(bundle, { backend: 'wasm', relaxedSimd: relaxed }).catch((e: unknown) => {
        throw e instanceof XfcError ? new UsageError(e.message) : e;
      });
      const { feeds: random, symbols } = randomFeeds(model, shape);
      const feeds = { ...random, ...npyFeeds(flags.input, model) };
      await model.run(feeds).catch((e: unknown) => {
        throw e instanceof XfcError ? new UsageError(e.message) : e;
      });
      const coldMs = performance.now() - t0;
      const t = await timeRuns(() => model.run(feeds), warmup, runs);
      const batch = Object.entries(symbols).find(([s]) => /batch/i.test(s))?.[1] ?? 1;
      const rows: [string, string][] = [
        ['bundle', bundle],
        ['variant', `wasm ${model.variant}`],
        ['shape', Object.entries(symbols).map(([s, v]) => `${s}=${v}`).join(', ') || 'static'],
        ['inputs', model.inputs.map((s) => `${s.name}[${feeds[s.name]!.dims.join(', ')}]${flags.input.some((f) => f.startsWith(`${s.name}=`)) ? '' : ' (random)'}`).join(', ')],
        ['load + first run', `${coldMs.toFixed(1)} ms`],
        ['runs', `${t.runs} after ${warmup} warm-up`],
        ['latency median', `${t.medianMs.toFixed(2)} ms`],
        ['latency p10', `${t.p10Ms.toFixed(2)} ms`],
        ['latency p90', `${t.p90Ms.toFixed(2)} ms`],
        ['throughput', `${(1000 / t.medianMs).toFixed(1)} runs/s (${((1000 * batch) / t.medianMs).toFixed(1)} samples/s)`],
      ];
      io.out(`${rows.map(([k, v]) => `${k.padEnd(17)} ${v}`).join('\n')}\n`);
      model.dispose();
    });
}

function count(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${text}'`);
  return n;
}
