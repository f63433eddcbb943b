// Trigonometric and hyperbolic approximations (backends/wasm/math.ts, evaluated in f64x2): max ulp error over
// dense f32 sweeps against Math.* in float64, special values, f32 fmod, and the Sin ... Cosh / Mod kernels
// against the interpreter.

import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../compiler/ir/tensor.js';
import { type VecMath, fmodF32x4, scalarOf, trigMath } from '../../backends/wasm/math.js';
import { Fn } from '../../backends/wasm/simd.js';
import { randomTensor, relL2 } from '../helpers.js';
import { runWasmOp } from './harness.js';

const { i32, f32, none } = binaryen;

/** Exports per approximation `name(ptr, n)` (in place, four lanes at a time) and `name_s(x)` (scalar form). */
function build(ops: Record<string, VecMath>): WebAssembly.Instance {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
  m.setMemory(256, 65536, 'memory');
  const addr = (f: Fn, p: number, i: number) => m.i32.add(f.get(f.params[p]!), m.i32.shl(f.get({ index: i, type: i32 }), m.i32.const(2)));
  for (const [name, op] of Object.entries(ops)) {
    const f = new Fn(m, { relaxedSimd: false }, [i32, i32]);
    const i = f.local(i32);
    f.finish(name, none, f.forRange(i, f.i32(0), () => f.get(f.params[1]!), 4, [f.store(addr(f, 0, i.index), 0, op(f, f.load(addr(f, 0, i.index))))]));
    m.addFunctionExport(name, name);
    const g = new Fn(m, { relaxedSimd: false }, [f32]);
    g.finish(`${name}_s`, f32, scalarOf(g, op, g.get(g.params[0]!)));
    m.addFunctionExport(`${name}_s`, `${name}_s`);
  }
  // fmod(ptr_a, ptr_b, n): a[i] = fmod(a[i], b[i])
  const f = new Fn(m, { relaxedSimd: false }, [i32, i32, i32]);
  const i = f.local(i32);
  const at = (p: number) => m.i32.add(f.get(f.params[p]!), m.i32.shl(f.get(i), m.i32.const(2)));
  f.finish('fmod', none, f.forRange(i, f.i32(0), () => f.get(f.params[2]!), 4, [f.store(at(0), 0, fmodF32x4(f, f.load(at(0)), f.load(at(1))))]));
  m.addFunctionExport('fmod', 'fmod');
  if (!m.validate()) throw new Error('invalid module');
  m.optimize();
  const bytes = m.emitBinary();
  m.dispose();
  return new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
}

const exports = build(trigMath).exports as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
const CHUNK = 1 << 20;

function mapWasm(name: string, xs: Float32Array): Float32Array {
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
function sweep(lo: number, hi: number, step: number): Float32Array {
  const b = new Float32Array(1);
  const u = new Int32Array(b.buffer);
  const key = (x: number) => { b[0] = x; return u[0]! < 0 ? -(u[0]! & 0x7fffffff) : u[0]!; };
  const out: number[] = [];
  for (let k = key(lo); k <= key(hi); k += step) { u[0] = k < 0 ? (-k | 0x80000000) : k; out.push(b[0]!); }
  out.push(hi);
  return Float32Array.from(out);
}

/** |a - r| in f32 ulps at r (subnormal ulp 2^-149 at least). */
function ulpError(a: number, r: number): number {
  if (Number.isNaN(r)) return Number.isNaN(a) ? 0 : Infinity;
  if (!Number.isFinite(r) || !Number.isFinite(a)) return a === Math.fround(r) ? 0 : Infinity;
  const ar = Math.abs(r);
  const ulp = ar < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(ar)) - 23);
  return Math.abs(a - r) / ulp;
}

function maxUlp(name: string, ref: (x: number) => number, xs: Float32Array): { ulp: number; at: number } {
  const ys = mapWasm(name, xs);
  let worst = { ulp: 0, at: NaN };
  xs.forEach((x, i) => {
    const e = ulpError(ys[i]!, ref(x));
    if (e > worst.ulp) worst = { ulp: e, at: x };
  });
  return worst;
}

/** Both signs of [lo, hi]. */
const symmetric = (lo: number, hi: number): [number, number][] => [[-hi, -lo], [lo, hi]];

/** [name, reference, ranges, bit-pattern step, allowed max ulp]. Measured maxima are in the report table. */
const cases: [string, (x: number) => number, [number, number][], number, number][] = [
  ['sin', Math.sin, symmetric(1e-30, 1e5), 401, 0.6],
  ['cos', Math.cos, symmetric(1e-30, 1e5), 401, 0.6],
  ['tan', Math.tan, symmetric(1e-30, 1e5), 401, 0.6],
  ['sin', Math.sin, symmetric(1e5, 4e8), 29, 0.6],
  ['cos', Math.cos, symmetric(1e5, 4e8), 29, 0.6],
  ['asin', Math.asin, symmetric(1e-30, 1), 197, 0.6],
  ['acos', Math.acos, symmetric(1e-30, 1), 197, 0.6],
  ['atan', Math.atan, symmetric(1e-30, 3.4e38), 397, 0.6],
  ['sinh', Math.sinh, symmetric(1e-30, 89.4), 197, 0.6],
  ['cosh', Math.cosh, symmetric(1e-30, 89.4), 197, 0.6],
];

describe('trigonometric and hyperbolic approximations: max ulp error over dense sweeps', () => {
  for (const [name, ref, ranges, step, bound] of cases) {
    it(`${name} on ${ranges.map(([a, b]) => `[${a}, ${b}]`).join(' ∪ ')} is within ${bound} ulp`, () => {
      let worst = { ulp: 0, at: NaN };
      for (const [lo, hi] of ranges) {
        const w = maxUlp(name, ref, sweep(lo, hi, step));
        if (w.ulp > worst.ulp) worst = w;
      }
      console.log(`${name} [${ranges[1]![0]}, ${ranges[1]![1]}]: max ${worst.ulp.toFixed(3)} ulp at x = ${worst.at}`);
      expect(worst.ulp).toBeLessThanOrEqual(bound);
    });
  }

  it('beyond 2^28 pi/2 the reduction loses accuracy but sin and cos stay finite in [-1, 1]', () => {
    for (const name of ['sin', 'cos']) {
      for (const y of mapWasm(name, sweep(5e8, 3.4e38, 1 << 16))) expect(Math.abs(y)).toBeLessThanOrEqual(1);
    }
  });
});

describe('special values', () => {
  const f = (name: string, xs: number[]) => Array.from(mapWasm(name, Float32Array.from(xs)));
  it('NaN and infinities', () => {
    for (const name of ['sin', 'cos', 'tan']) expect(f(name, [NaN, Infinity, -Infinity]).every(Number.isNaN)).toBe(true);
    expect(f('atan', [Infinity, -Infinity, NaN])).toEqual([Math.fround(Math.PI / 2), -Math.fround(Math.PI / 2), NaN]);
    expect(f('asin', [1, -1, 1.0000001, -2, NaN])).toEqual([Math.fround(Math.PI / 2), -Math.fround(Math.PI / 2), NaN, NaN, NaN]);
    expect(f('acos', [1, -1, 0, 1.5, -1.5, NaN])).toEqual([0, Math.fround(Math.PI), Math.fround(Math.PI / 2), NaN, NaN, NaN]);
    expect(f('sinh', [Infinity, -Infinity, 90, -90, NaN])).toEqual([Infinity, -Infinity, Infinity, -Infinity, NaN]);
    expect(f('cosh', [Infinity, -Infinity, 90, NaN])).toEqual([Infinity, Infinity, Infinity, NaN]);
    expect(f('cos', [0])).toEqual([1]);
  });
  it('odd functions keep the sign of zero, subnormals pass through', () => {
    for (const name of ['sin', 'tan', 'asin', 'atan', 'sinh']) {
      expect(Object.is(f(name, [-0])[0], -0)).toBe(true);
      expect(f(name, [1e-40, -1e-40])).toEqual([Math.fround(1e-40), Math.fround(-1e-40)]);
    }
  });
  it('the scalar form (splat, lane 0) equals the vector form', () => {
    const xs = Float32Array.from([-3.7, -0.4, 0.001, 0.9, 2.5, 17]);
    for (const name of Object.keys(trigMath)) {
      const ys = mapWasm(name, xs);
      xs.forEach((x, i) => expect(Object.is(exports[`${name}_s`]!(x), ys[i])).toBe(true));
    }
  });
});

describe('fmod (f32, exact)', () => {
  // Exact while |a / b| < 2^29 (see math.ts); larger quotients are not tested.
  it('equals JavaScript % on f32 values, incl. signs of zero, zero and infinite divisors', () => {
    const a = Float32Array.from([5.5, -5.5, 5.5, -5.5, -4, 4, 1e8, -7.25e-3, 3, Infinity, 0, 2, 1, 7, 1e-40, 0.3]);
    const b = Float32Array.from([2, 2, -2, -2, 2, -2, 3.3, 1e-3, 0, 3, 5, Infinity, -Infinity, 0.1, 3e-41, 0.1]);
    const rnd = randomTensor('f32', [4096], 3, -1000, 1000).data as Float32Array;
    const div = randomTensor('f32', [4096], 4, -7, 7).data as Float32Array;
    const xs = Float32Array.from([...a, ...rnd]);
    const ys = Float32Array.from([...b, ...div]);
    const mem = new Float32Array(exports.memory.buffer, 0, 2 * 8192);
    mem.set(xs);
    mem.set(ys, 8192);
    exports.fmod!(0, 8192 * 4, Math.ceil(xs.length / 4) * 4);
    xs.forEach((x, i) => expect(Object.is(mem[i], Math.fround(x % ys[i]!)), `fmod(${x}, ${ys[i]})`).toBe(true));
  });
});

describe('Sin ... Cosh and Mod kernels against the interpreter', () => {
  const ops: [string, number, number][] = [
    ['Sin', -50, 50], ['Cos', -50, 50], ['Tan', -1.5, 1.5], ['Asin', -1, 1], ['Acos', -1, 1], ['Atan', -20, 20],
    ['Sinh', -10, 10], ['Cosh', -10, 10],
  ];
  for (const [op, lo, hi] of ops) {
    it(`${op} on odd shapes and a symbolic dim`, async () => {
      for (const shape of [[1], [3], [7, 5], [2, 3, 9]]) {
        const { wasm, ref } = await runWasmOp(op, [randomTensor('f32', shape, shape.length, lo, hi)]);
        expect(relL2(wasm[0]!.toFloat64(), ref[0]!.toFloat64())).toBeLessThanOrEqual(1e-7);
      }
      for (const seq of [1, 6, 11]) {
        const { wasm, ref, types } = await runWasmOp(op, [randomTensor('f32', [2, seq], seq, lo, hi)], {}, { symbolicInputs: [{ dtype: 'f32', shape: [2, 'seq'] }] });
        expect(types[0]!.shape).toEqual([2, 'seq']);
        expect(relL2(wasm[0]!.toFloat64(), ref[0]!.toFloat64())).toBeLessThanOrEqual(1e-7);
      }
    });
  }

  it('Mod fmod=1 on f32 with broadcasting equals the reference exactly', async () => {
    const { wasm, ref } = await runWasmOp('Mod', [randomTensor('f32', [3, 7, 5], 1, -50, 50), randomTensor('f32', [7, 1], 2, 0.5, 9)], { fmod: 1 });
    expect(Array.from(wasm[0]!.toFloat64())).toEqual(Array.from(ref[0]!.toFloat64()));
  });

  for (const dtype of ['i32', 'i64'] as const) {
    for (const fmod of [0, 1]) {
      it(`Mod fmod=${fmod} on ${dtype}: signs of dividend and divisor, zero divisors give 0, broadcasting`, async () => {
        const a = Tensor.fromNumbers(dtype, [2, 6], [7, -7, 7, -7, 0, 5, 13, -13, 6, -6, 2147483647, -2147483648]);
        const b = Tensor.fromNumbers(dtype, [6], [3, 3, -3, -3, 4, 0]);
        const { wasm, ref } = await runWasmOp('Mod', [a, b], { fmod });
        expect(Array.from(wasm[0]!.toFloat64())).toEqual(Array.from(ref[0]!.toFloat64()));
        const big = await runWasmOp('Mod', [randomTensor(dtype, [5, 9], 3, -1000, 1000), randomTensor(dtype, [9], 4, -9, 9)], { fmod });
        expect(Array.from(big.wasm[0]!.toFloat64())).toEqual(Array.from(big.ref[0]!.toFloat64()));
      });
    }
  }
});
