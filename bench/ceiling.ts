// The SIMD ceiling of this machine's wasm engine: GFLOP/s of a register-only loop of independent f32x4 multiply-add
// chains (f32x4.mul + f32x4.add for SIMD128, f32x4.relaxed_madd for relaxed SIMD), built with binaryen.
//
//   node --experimental-wasm-relaxed-simd --import tsx bench/ceiling.ts      -> prints both ceilings
//
// Two loop shapes, all in registers (no memory access), 8 flops per step (a mul and an add on 4 lanes, or one
// relaxed_madd on 4 lanes):
//   chainsA: A accumulators, acc = acc * x + y (one relaxed_madd, or mul then add on the same chain);
//   pairsP:  P pairs, t = t * x; acc = acc + t (the mul off the add's dependency chain, as in a GEMM's
//            acc += a * b; x = 1 keeps t constant).
// The ceiling of a variant is the best over both shapes and every A in ACCUMULATORS / P in PAIRS (enough chains
// to hide the latency without spilling V8's 16 xmm registers).

import binaryen from 'binaryen';
import { Fn } from '../backends/wasm/simd.js';

const ACCUMULATORS = [8, 10, 12];
const PAIRS = [4, 6, 7];
const FLOPS_PER_STEP = 8;

/** A module exporting `chainsA(x, y, n): f32` for every A: n iterations of A independent multiply-add chains. */
function ceilingModule(relaxed: boolean): Uint8Array {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | (relaxed ? binaryen.Features.RelaxedSIMD : 0));
  for (const chains of ACCUMULATORS) {
    const f = new Fn(m, { relaxedSimd: relaxed }, [binaryen.f32, binaryen.f32, binaryen.i32]);
    const [x, y, n] = f.params as [typeof f.params[0], typeof f.params[0], typeof f.params[0]];
    const vx = f.local(binaryen.v128);
    const vy = f.local(binaryen.v128);
    const acc = Array.from({ length: chains }, () => f.local(binaryen.v128));
    let sum = f.lane(f.get(acc[0]!), 0);
    for (const a of acc.slice(1)) sum = m.f32.add(sum, f.lane(f.get(a), 0));
    const body = m.block(null, [
      f.set(vx, f.splat(f.get(x))),
      f.set(vy, f.splat(f.get(y))),
      ...acc.map((a, i) => f.set(a, f.splatConst(i / chains))),
      f.countDown(n, acc.map((a) => f.set(a, f.madd(f.get(a), f.get(vx), f.get(vy))))),
      sum,
    ], binaryen.f32);
    m.addFunctionExport(f.finish(`chains${chains}`, binaryen.f32, body), `chains${chains}`);
  }
  for (const pairs of PAIRS) {
    const f = new Fn(m, { relaxedSimd: relaxed }, [binaryen.f32, binaryen.f32, binaryen.i32]);
    const [x, y, n] = f.params as [typeof f.params[0], typeof f.params[0], typeof f.params[0]];
    const vx = f.local(binaryen.v128);
    const t = Array.from({ length: pairs }, () => f.local(binaryen.v128));
    const acc = Array.from({ length: pairs }, () => f.local(binaryen.v128));
    let sum = f.lane(f.get(acc[0]!), 0);
    for (const a of acc.slice(1)) sum = m.f32.add(sum, f.lane(f.get(a), 0));
    const body = m.block(null, [
      f.set(vx, f.splat(f.get(x))),
      ...t.map((v, i) => f.set(v, f.splat(m.f32.add(f.get(y), m.f32.const(i))))),
      ...acc.map((a) => f.set(a, f.zero())),
      f.countDown(n, t.flatMap((v, i) => [f.set(v, f.fmul(f.get(v), f.get(vx))), f.set(acc[i]!, f.fadd(f.get(acc[i]!), f.get(v)))])),
      sum,
    ], binaryen.f32);
    m.addFunctionExport(f.finish(`pairs${pairs}`, binaryen.f32, body), `pairs${pairs}`);
  }
  if (!m.validate()) throw new Error('bench/ceiling.ts: invalid module');
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

/**
 * Best GFLOP/s of the register-only loop, or undefined when the engine cannot compile the variant (relaxed SIMD
 * without --experimental-wasm-relaxed-simd on Node 20). Each timed call runs about `targetMs`.
 */
export function simdCeiling(relaxed: boolean, targetMs = 50, repeats = 5): number | undefined {
  let mod: WebAssembly.Module;
  try {
    mod = new WebAssembly.Module(new Uint8Array(ceilingModule(relaxed)));
  } catch {
    return undefined;
  }
  const exports = new WebAssembly.Instance(mod, {}).exports as Record<string, (x: number, y: number, n: number) => number>;
  const runs = [...ACCUMULATORS.map((chains) => ({ chains, name: `chains${chains}` })), ...PAIRS.map((chains) => ({ chains, name: `pairs${chains}` }))]
    .map(({ chains, name }) => ({ chains, run: exports[name]!, x: name.startsWith('pairs') ? 1 : 0.5 }));
  // Warm-up: short calls until V8 has tiered every function up (TurboFan compiles in the background and wasm has
  // no on-stack replacement), then size n for about targetMs per call.
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) for (const { run, x } of runs) run(x, 1, 20_000);
  const probe = 2_000_000;
  const t0 = performance.now();
  runs[0]!.run(0.5, 1, probe);
  const n = Math.max(1000, Math.round((probe * targetMs) / Math.max(performance.now() - t0, 0.01)));
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    for (const { chains, run, x } of runs) {
      const s = performance.now();
      run(x, 1, n);
      best = Math.max(best, (n * chains * FLOPS_PER_STEP) / ((performance.now() - s) * 1e6));
    }
  }
  return best;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const relaxed of [false, true]) {
    const g = simdCeiling(relaxed);
    console.log(`${relaxed ? 'relaxed madd' : 'SIMD128 mul+add'}: ${g === undefined ? 'not available' : `${g.toFixed(1)} GFLOP/s`}`);
  }
}
