// Accuracy harness for the f32x4 approximations of backends/wasm/math.ts: a module mapping f32 arrays through each
// approximation (vector loop and scalar form), dense f32 sweeps, and max-ulp error against a float64 reference.

import binaryen from 'binaryen';
import { type VecMath, scalarOf } from '../../backends/wasm/math.js';
import { Fn } from '../../backends/wasm/simd.js';

const { i32, f32, none } = binaryen;

export type MathExports = Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };

/**
 * A module exporting, per approximation, `name(ptr, n)` (n f32 mapped in place, four lanes at a time) and
 * `name_s(x)` (the scalar form); `extra` may add further functions to the module before it is validated.
 */
export function mathModule(ops: Record<string, VecMath>, extra?: (m: binaryen.Module) => void): MathExports {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
  m.setMemory(256, 65536, 'memory');
  for (const [name, op] of Object.entries(ops)) {
    const f = new Fn(m, { relaxedSimd: false }, [i32, i32]);
    const [p, n] = f.params;
    const i = f.local(i32);
    const at = () => m.i32.add(f.get(p!), m.i32.shl(f.get(i), m.i32.const(2)));
    f.finish(name, none, f.forRange(i, f.i32(0), () => f.get(n!), 4, [f.store(at(), 0, op(f, f.load(at())))]));
    m.addFunctionExport(name, name);
    const g = new Fn(m, { relaxedSimd: false }, [f32]);
    g.finish(`${name}_s`, f32, scalarOf(g, op, g.get(g.params[0]!)));
    m.addFunctionExport(`${name}_s`, `${name}_s`);
  }
  extra?.(m);
  if (!m.validate()) throw new Error('invalid module');
  m.optimize();
  const bytes = m.emitBinary();
  m.dispose();
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)).exports as MathExports;
}

const CHUNK = 1 << 20;

/** xs mapped through the vector loop of `name`, in chunks (tails padded with zeros to four lanes). */
export function mapWasm(exports: MathExports, name: string, xs: Float32Array): Float32Array {
  const out = new Float32Array(xs.length);
  for (let s = 0; s < xs.length; s += CHUNK) {
    const part = xs.subarray(s, Math.min(xs.length, s + CHUNK));
    const mem = new Float32Array(exports.memory.buffer, 0, Math.ceil(part.length / 4) * 4);
    mem.fill(0);
    mem.set(part);
    exports[name]!(0, mem.length);
    out.set(mem.subarray(0, part.length), s);
  }
  return out;
}

/** f32 values from lo to hi (same sign), every `step`-th bit pattern, plus hi. */
export function sweep(lo: number, hi: number, step: number): Float32Array {
  const b = new Float32Array(1);
  const u = new Int32Array(b.buffer);
  const key = (x: number) => { b[0] = x; return u[0]! < 0 ? -(u[0]! & 0x7fffffff) : u[0]!; };
  const [k0, k1] = [key(lo), key(hi)];
  const out: number[] = [];
  for (let k = k0; k <= k1; k += step) { u[0] = k < 0 ? (-k | 0x80000000) : k; out.push(b[0]!); }
  out.push(hi);
  return Float32Array.from(out);
}

/** |a - r| in units of the f32 ulp at r (subnormal ulp 2^-149 at least). */
export function ulpError(a: number, r: number): number {
  if (Number.isNaN(r)) return Number.isNaN(a) ? 0 : Infinity;
  if (!Number.isFinite(r) || !Number.isFinite(a)) return a === Math.fround(r) ? 0 : Infinity;
  const ar = Math.abs(r);
  const ulp = ar < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(ar)) - 23);
  return Math.abs(a - r) / ulp;
}

/** The largest ulp error of `name` over xs against `ref`, and where. */
export function maxUlp(exports: MathExports, name: string, ref: (x: number) => number, xs: Float32Array): { ulp: number; at: number } {
  const ys = mapWasm(exports, name, xs);
  let worst = { ulp: 0, at: NaN };
  for (let i = 0; i < xs.length; i++) {
    const e = ulpError(ys[i]!, ref(xs[i]!));
    if (e > worst.ulp) worst = { ulp: e, at: xs[i]! };
  }
  return worst;
}
