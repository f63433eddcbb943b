// Micro-benchmark: the fused flash-style Attention kernel vs the unfused kernel chain MatMul→Mul→Add→Softmax→MatMul
// at MiniLM sizes (B = 1, H = 12, D = 32, S = 128 / 512 / 2048, additive padding mask): median ms and peak arena bytes.
//
//   node --experimental-wasm-relaxed-simd --import tsx bench/attention.ts [--runs N] [--seqs 128,512] [--sweep]
//
// --sweep ['bq,bk,unroll,unrollD;...'] times the kernel's blockings (attentionTuning) instead; by default the current
// blocking and its neighbours one parameter at a time (bq and bk halved and doubled, unrollD 2 and 4; the P·V unroll
// stays at the default, since unroll 2 spilled).
//
// Variants: 'unfused' heads-form Q [B,H,S,D], Kᵀ [B,H,D,S], V, mask [B,1,1,S] through the generic kernels;
// 'fused heads Kᵀ' the same operands as one Attention; 'fused bsd' Q/K/V [B,S,H·D] as the fusion pass produces
// it for BERT. Peak arena bytes come from the schedule (the fused step's scratch included) and runtime/plan.ts's
// planArena at that shape. Outputs are cross-checked (rel. L2). Runs are interleaved round-robin after a warm-up
// of at least 30 runs (V8 tiers up the kernels), medians reported; compare ratios within one run.

import { type CompiledWasm, compileWasm } from '../backends/wasm/index.js';
import { attentionTuning } from '../backends/wasm/kernels/attention.js';
import { GraphBuilder } from '../compiler/ir/builder.js';
import { Graph } from '../compiler/ir/graph.js';
import { Tensor } from '../compiler/ir/tensor.js';
import { evalDimExpr, planArena } from '../runtime/plan.js';
import '../compiler/ops/index.js';
import { relL2 } from '../test/helpers.js';
import { relaxedSimdAvailable } from '../test/wasm/harness.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const seqs = (opt('--seqs') ?? '128,512,2048').split(',').map(Number);
const [B, H, D] = [1, 12, 32];
const SCALE = 1 / Math.sqrt(D);

function random(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  let s = seed >>> 0;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return new Tensor('f32', shape, data);
}

/** Head-split copies of [B, S, H·D] data: [B, H, S, D] or (transposed) [B, H, D, S]. */
function heads(x: Tensor, S: number, transposed: boolean): Tensor {
  const src = x.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let h = 0; h < H; h++) for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) {
    out[transposed ? (h * D + d) * S + s : (h * S + s) * D + d] = src[s * H * D + h * D + d]!;
  }
  return new Tensor('f32', transposed ? [B, H, D, S] : [B, H, S, D], out);
}

interface Case {
  name: string;
  graph: Graph;
  feeds: Record<string, Tensor>;
  /** Output as [B, S, H·D] numbers, for the cross-check. */
  toBsd(y: Float32Array, S: number): Float32Array;
  tuning?: Partial<Tuning>;
}

type Tuning = typeof attentionTuning;

/** The kernel's default blocking and its neighbours, one parameter at a time (see --sweep above). */
function defaultSweep(): Tuning[] {
  const t = { ...attentionTuning };
  return [
    t,
    { ...t, bq: t.bq / 2 }, { ...t, bq: t.bq * 2 },
    { ...t, bk: t.bk / 2 }, { ...t, bk: t.bk * 2 },
    ...([2, 4] as const).filter((u) => u !== t.unrollD).map((unrollD) => ({ ...t, unrollD })),
  ];
}

const fromHeads = (y: Float32Array, S: number): Float32Array => {
  const out = new Float32Array(y.length);
  for (let h = 0; h < H; h++) for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) out[s * H * D + h * D + d] = y[(h * S + s) * D + d]!;
  return out;
};

function cases(S: number): Case[] {
  const [q, k, v] = [random([B, S, H * D], 1), random([B, S, H * D], 2), random([B, S, H * D], 3)];
  const mask = new Tensor('f32', [B, 1, 1, S], Float32Array.from({ length: S }, (_, j) => (j >= S - S / 8 ? -10000 : 0)));
  const headsFeeds = { q: heads(q, S, false), kt: heads(k, S, true), v: heads(v, S, false), mask };

  const unfused = new Graph('unfused');
  {
    const b = new GraphBuilder(unfused, { fold: false });
    const [iq, ik, iv, im] = [['q', [B, H, S, D]], ['kt', [B, H, D, S]], ['v', [B, H, S, D]], ['mask', [B, 1, 1, S]]].map(([n, s]) => unfused.addInput(n as string, { dtype: 'f32', shape: s as number[] }));
    const scale = b.constant(new Tensor('f32', [], Float32Array.of(SCALE)), 'scale');
    const [scores] = b.add('MatMul', [iq!, ik!], {}, { name: 'qk' });
    const [scaled] = b.add('Mul', [scores!, scale], {}, { name: 'scale' });
    const [masked] = b.add('Add', [scaled!, im!], {}, { name: 'mask' });
    const [probs] = b.add('Softmax', [masked!], { axis: -1 }, { name: 'softmax' });
    unfused.outputs = b.add('MatMul', [probs!, iv!], {}, { name: 'pv' });
  }
  const fusedHeads = new Graph('fused-heads');
  {
    const b = new GraphBuilder(fusedHeads, { fold: false });
    const ins = [['q', [B, H, S, D]], ['kt', [B, H, D, S]], ['v', [B, H, S, D]], ['mask', [B, 1, 1, S]]].map(([n, s]) => fusedHeads.addInput(n as string, { dtype: 'f32', shape: s as number[] }));
    fusedHeads.outputs = b.add('Attention', ins, { scale: SCALE, layout: 'heads', k_transposed: 1, mask_kind: 'additive' }, { name: 'attn' });
  }
  const fusedBsd = new Graph('fused-bsd');
  {
    const b = new GraphBuilder(fusedBsd, { fold: false });
    const ins = [['q', [B, S, H * D]], ['k', [B, S, H * D]], ['v', [B, S, H * D]], ['mask', [B, 1, 1, S]]].map(([n, s]) => fusedBsd.addInput(n as string, { dtype: 'f32', shape: s as number[] }));
    fusedBsd.outputs = b.add('Attention', ins, { num_heads: H, scale: SCALE, mask_kind: 'additive' }, { name: 'attn' });
  }
  const bsdFeeds = { q, k, v, mask };
  const bsd = { graph: fusedBsd, feeds: bsdFeeds, toBsd: (y: Float32Array) => y };
  const unfusedCase: Case = { name: 'unfused chain', graph: unfused, feeds: headsFeeds, toBsd: fromHeads };
  if (args.includes('--sweep')) {
    const sweep = (opt('--sweep') ?? '').split(';').filter((x) => /^\d/.test(x));
    const blockings = sweep.length
      ? sweep.map((x) => x.split(',').map(Number)).map(([bq, bk, unroll, unrollD]) => ({ bq: bq!, bk: bk!, unroll: unroll as 1 | 2 | 4, unrollD: unrollD as 1 | 2 | 4 }))
      : defaultSweep();
    return [unfusedCase, ...blockings.map((t) => ({ name: `fused bsd ${t.bq}x${t.bk} u${t.unroll} ud${t.unrollD}`, ...bsd, tuning: t }))];
  }
  return [
    unfusedCase,
    { name: 'fused heads Kᵀ', graph: fusedHeads, feeds: headsFeeds, toBsd: fromHeads },
    { name: 'fused bsd', ...bsd },
  ];
}

/** Instantiates a compiled module with its feeds placed (the ABI of docs/bundle.md); returns run() and the output view. */
async function prepare(compiled: CompiledWasm, feeds: Record<string, Tensor>, relaxed: boolean): Promise<{ place: () => void; run: () => void; output: () => Float32Array; peak: number }> {
  const mw = compiled.manifestWasm;
  const code = relaxed ? compiled.relaxed! : compiled.simd;
  const instance = (await WebAssembly.instantiate(code.binary as Uint8Array<ArrayBuffer>, {})).instance;
  const memory = instance.exports.memory as WebAssembly.Memory;
  new Uint8Array(memory.buffer).set(compiled.weights, mw.weightsBase);
  const plan = planArena(mw.buffers.map((b) => ({ bytes: evalDimExpr(b.bytes, {}), first: b.first, last: b.last })));
  const end = mw.arenaBase + plan.total;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const table = new Int32Array(memory.buffer, mw.tableBase, mw.symbols.length + mw.buffers.length);
  plan.offsets.forEach((off, i) => (table[mw.symbols.length + i] = mw.arenaBase + off));
  const addr = (slot: { buffer: number }): number => mw.arenaBase + plan.offsets[slot.buffer]!;
  // The planner may reuse an input's bytes once it is dead (the unfused chain does): inputs are placed before every run.
  const place = (): void => {
    for (const slot of mw.inputs) new Uint8Array(memory.buffer).set(feeds[slot.name]!.bytes(), addr(slot));
  };
  const out = mw.outputs[0]!;
  const n = compiled.schedule.outputs[0]!.shape.reduce<number>((a, d) => a * (d as number), 1);
  const run = instance.exports.run as () => void;
  return { place, run, output: () => new Float32Array(memory.buffer, addr(out), n).slice(), peak: plan.total };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}


const variants = relaxedSimdAvailable() ? [false, true] : [false];
const mb = (bytes: number): string => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);
console.log(`Attention B=${B} H=${H} D=${D}, additive padding mask; median ms (runs), peak arena${variants.length < 2 ? ' (relaxed SIMD unavailable: run with --experimental-wasm-relaxed-simd)' : ''}\n`);
console.log(['S', 'variant', 'simd128 ms', ...(variants.length > 1 ? ['relaxed ms'] : []), 'time / unfused', 'peak arena', 'rel. L2 vs unfused'].join(' | '));
for (const S of seqs) {
  const runs = Number(opt('--runs') ?? 0) || (S >= 2048 ? 5 : S >= 512 ? 15 : 41);
  // Every (case, variant) is prepared first, then timed round-robin, so that load from other processes hits all alike.
  const rows: { c: Case; peak: number; runners: Awaited<ReturnType<typeof prepare>>[]; times: number[][] }[] = [];
  for (const c of cases(S)) {
    const defaults = { ...attentionTuning };
    Object.assign(attentionTuning, c.tuning ?? {});
    const compiled = compileWasm(c.graph, { relaxed: variants.length > 1 });
    Object.assign(attentionTuning, defaults);
    const runners = [];
    for (const relaxed of variants) runners.push(await prepare(compiled, c.feeds, relaxed));
    rows.push({ c, peak: runners[0]!.peak, runners, times: runners.map(() => []) });
  }
  const once = (p: Awaited<ReturnType<typeof prepare>>): number => {
    p.place();
    const t0 = performance.now();
    p.run();
    return performance.now() - t0;
  };
  const warmup = Number(opt('--warmup') ?? 0) || (S >= 2048 ? 3 : 30);
  for (let i = 0; i < warmup; i++) for (const r of rows) r.runners.forEach(once); // warm-up (V8 tiers up)
  for (let i = 0; i < runs; i++) for (const r of rows) r.runners.forEach((p, k) => r.times[k]!.push(once(p)));
  const reference = rows[0]!.c.toBsd(rows[0]!.runners[0]!.output(), S);
  for (const r of rows) {
    const errs = r.runners.map((p) => relL2(r.c.toBsd(p.output(), S), reference));
    const ratio = r.times.map((t, k) => (median(t) / median(rows[0]!.times[k]!)).toFixed(2)).join(' / ');
    console.log([S, r.c.name, ...r.times.map((t) => `${median(t).toFixed(2)} (${runs})`), ratio, mb(r.peak), Math.max(...errs).toExponential(1)].join(' | '));
  }
}
