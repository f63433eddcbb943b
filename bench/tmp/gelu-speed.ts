// temp: GELU throughput in a plain loop
import binaryen from 'binaryen';
import { Fn } from '../../backends/wasm/simd.js';
import { geluErfF32x4 } from '../../backends/wasm/math.js';
const { i32, v128, none } = binaryen;
const m = new binaryen.Module();
m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
m.setMemory(64, 64, 'memory');
for (const unroll of [1, 2]) {
  const f = new Fn(m, { relaxedSimd: true }, [i32, i32]);
  const [p, n] = f.params as any;
  const q = f.local(i32);
  const t = Array.from({ length: unroll }, () => f.local(v128));
  const body = [];
  for (let u = 0; u < unroll; u++) body.push(f.set(t[u]!, f.load(f.add(f.get(p), f.get(q)), u * 16)));
  for (let u = 0; u < unroll; u++) body.push(f.set(t[u]!, geluErfF32x4(f, t[u]!)));
  for (let u = 0; u < unroll; u++) body.push(f.store(f.add(f.get(p), f.get(q)), u * 16, f.get(t[u]!)));
  m.addFunction(`g${unroll}`, binaryen.createType([i32, i32]), none, f.varTypes, f.block([f.forRange(q, f.i32(0), () => f.get(n), 16 * unroll, body)]));
  m.addFunctionExport(`g${unroll}`, `g${unroll}`);
}
m.validate(); m.optimize();
const inst = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary()), {});
const mem = new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer);
const N = 196608;
const fill = () => { for (let i = 0; i < N; i++) mem[i] = Math.sin(i) * 4; };
for (const name of ['g1', 'g2']) {
  const g = inst.exports[name] as (p: number, n: number) => void;
  const ts = [];
  for (let r = 0; r < 60; r++) { fill(); const t0 = performance.now(); g(0, N * 4); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  console.log(name, 'median ms', ts[30]!.toFixed(3), 'min', ts[0]!.toFixed(3), 'ns/vector', (ts[0]! * 1e6 / (N / 4)).toFixed(2));
}
