import { type GemmCoreSpec, gemmStandaloneModule } from '../backends/wasm/kernels/gemm.js';
import { packPanels } from '../backends/wasm/pack.js';
const shape = process.argv[2]!.split('x').map(Number) as [number, number, number];
const [M, K, N] = shape;
const configs: string[] = process.argv.slice(3);
function runner(spec: GemmCoreSpec) {
  const A = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
  const B = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i) * 0.1);
  const packed = packPanels(B, K, N, false);
  const floats = 16 + A.length + packed.length + 2 * M * N + 2048;
  const bytes = gemmStandaloneModule([spec], { relaxedSimd: true }, Math.ceil((floats * 4) / 65536) + 1);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const mem = new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer);
  const a = 1024, b = a + A.length, c = b + packed.length, r = c + M * N;
  mem.set(A, a); mem.set(packed, b);
  const g = inst.exports.gemm0 as (...x: number[]) => void;
  return () => g(a * 4, b * 4, c * 4, M, K, N, 16, r * 4);
}
// config "kc,nc,mc" ('-' = none)
const specs = configs.map((c) => {
  const [kc, nc, mc, mr] = c.split(',').map((x) => (x === '-' ? undefined : Number(x)));
  return { b: 'packed', K, N, transA: false, epilogue: { alpha: 1 }, kc: kc ?? K, ...(nc ? { ncPanels: nc } : {}), ...(mc ? { mc } : {}), ...(mr ? { mr } : {}) } as GemmCoreSpec;
});
const rs = specs.map(runner);
for (const r of rs) for (let i = 0; i < 10; i++) r();
const times = rs.map(() => [] as number[]);
const t0 = performance.now();
while (performance.now() - t0 < Number(process.env.SECS ?? 20) * 1000) rs.forEach((r, k) => { const t = performance.now(); r(); times[k]!.push(performance.now() - t); });
const gf = (ms: number) => (2 * M * K * N / ms / 1e6).toFixed(1);
configs.forEach((c, k) => { const t = times[k]!.sort((a, b) => a - b); console.log(`${M}x${K}x${N} ${c.padEnd(12)} min ${gf(t[0]!)}  p25 ${gf(t[t.length >> 2]!)}  med ${gf(t[t.length >> 1]!)} GFLOP/s (${t.length} runs)`); });
