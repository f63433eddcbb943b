// Trigonometric and hyperbolic approximations (backends/wasm/math.ts, evaluated in f64x2): max ulp error over
// dense f32 sweeps against Math.* in float64, special values, f32 fmod, and the Sin ... Cosh / Mod kernels
// against the interpreter.

import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../compiler/ir/tensor.js';
import { fmodF32x4, trigMath } from '../../backends/wasm/math.js';
import { Fn } from '../../backends/wasm/simd.js';
import { mapWasm as mapWasmIn, mathModule, maxUlp as maxUlpIn, sweep } from './ulp.js';
import { randomTensor, relL2 } from '../helpers.js';
import { runWasmOp } from './harness.js';

const { i32, none } = binaryen;

// fmod(ptr_a, ptr_b, n): a[i] = fmod(a[i], b[i])
function addFmod(m: binaryen.Module): void {
  const f = new Fn(m, { relaxedSimd: false }, [i32, i32, i32]);
  const i = f.local(i32);
  const at = (p: number) => m.i32.add(f.get(f.params[p]!), m.i32.shl(f.get(i), m.i32.const(2)));
  f.finish('fmod', none, f.forRange(i, f.i32(0), () => f.get(f.params[2]!), 4, [f.store(at(0), 0, fmodF32x4(f, f.load(at(0)), f.load(at(1))))]));
  m.addFunctionExport('fmod', 'fmod');
}

const exports = mathModule(trigMath, addFmod);
const mapWasm = (name: string, xs: Float32Array): Float32Array => mapWasmIn(exports, name, xs);
const maxUlp = (name: string, ref: (x: number) => number, xs: Float32Array) => maxUlpIn(exports, name, ref, xs);

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
