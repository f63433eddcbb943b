// Accuracy of the f32x4 approximations in backends/wasm/math.ts: max ulp error over dense sweeps of f32 inputs
// against Math.* (float64) and the interpreter's erf, plus the special values (inf, NaN, underflow, subnormals).

import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { erf } from '../../compiler/ops/elementwise.js';
import { type VecMath, geluErfF32x4, geluTanhF32x4, vecMath } from '../../backends/wasm/math.js';
import { mapWasm as mapWasmIn, mathModule, maxUlp as maxUlpIn, sweep, ulpError } from './ulp.js';

const { v128 } = binaryen;

const ops: Record<string, VecMath> = {
  ...vecMath,
  gelu_erf: (f, x) => { const l = f.local(v128); return f.m.block(null, [f.set(l, x), geluErfF32x4(f, l)], v128); },
  gelu_tanh: (f, x) => { const l = f.local(v128); return f.m.block(null, [f.set(l, x), geluTanhF32x4(f, l)], v128); },
};

const exp = mathModule(ops);
const mapWasm = (name: string, xs: Float32Array): Float32Array => mapWasmIn(exp, name, xs);
const maxUlp = (name: string, ref: (x: number) => number, xs: Float32Array) => maxUlpIn(exp, name, ref, xs);

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** erfc a for a >= 0 in float64: 1 - erf below 1, the continued fraction (modified Lentz) beyond. */
function erfc(a: number): number {
  if (a < 1) return 1 - erf(a);
  let [fv, cv, dv] = [a, a, 0];
  for (let n = 1; n < 5000; n++) {
    dv = 1 / (a + (n / 2) * dv);
    cv = a + n / 2 / cv;
    fv *= cv * dv;
    if (Math.abs(cv * dv - 1) < 1e-17) break;
  }
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / fv;
}
/** 0.5 x (1 + erf(x / sqrt 2)) without cancellation for x < 0 (1 + erf(-a) = erfc a). */
const geluErf = (x: number): number => (x >= 0 ? 0.5 * x * (1 + erf(x / Math.SQRT2)) : 0.5 * x * erfc(-x / Math.SQRT2));
const geluTanh = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** [name, reference, [lo, hi] ranges (each swept on both signs where listed), allowed max ulp]. */
const cases: [string, (x: number) => number, [number, number][], number][] = [
  ['exp', Math.exp, [[-103.9, -1e-30], [1e-30, 88.7]], 2],
  ['log', Math.log, [[1e-45, 3.4e38]], 2],
  ['tanh', Math.tanh, [[-12, -1e-30], [1e-30, 12]], 2],
  ['sigmoid', sigmoid, [[-100, -1e-30], [1e-30, 40]], 2.5],
  ['erf', erf, [[-5, -1e-30], [1e-30, 5]], 2],
];

describe('f32x4 approximations: max ulp error over dense sweeps', () => {
  const table: string[] = [];
  for (const [name, ref, ranges, bound] of cases) {
    it(`${name} is within ${bound} ulp`, () => {
      let worst = { ulp: 0, at: NaN };
      for (const [lo, hi] of ranges) {
        const w = maxUlp(name, ref, sweep(lo, hi, 97));
        if (w.ulp > worst.ulp) worst = w;
      }
      table.push(`${name}: ${worst.ulp.toFixed(3)} ulp (at ${worst.at})`);
      console.log(`${name}: max ${worst.ulp.toFixed(3)} ulp at x = ${worst.at}`);
      expect(worst.ulp).toBeLessThanOrEqual(bound);
    });
  }

  it('GELU (erf and tanh forms) is accurate for x >= -2.8 (tanh form: x >= -1, where 1 + tanh does not cancel), tiny absolute error below', () => {
    for (const [name, ref] of [['gelu_erf', geluErf], ['gelu_tanh', geluTanh]] as const) {
      const lo = name === 'gelu_erf' ? -2.8 : -1;
      const w = maxUlp(name, ref, Float32Array.from([...sweep(lo, -1e-20, 331), ...sweep(1e-20, 20, 331)]));
      console.log(`${name}: max ${w.ulp.toFixed(3)} ulp at x = ${w.at}`);
      // erfc's polynomial keeps ~1e-6 relative accuracy in the tail: GELU of x << 0 is good to a few ulp x 4.
      expect(w.ulp).toBeLessThanOrEqual(name === 'gelu_erf' ? 16 : 4);
      // Absolute error stays tiny where 1 + erf cancels.
      const xs = sweep(-12, -1, 997);
      const ys = mapWasm(name, xs);
      xs.forEach((x, i) => expect(Math.abs(ys[i]! - ref(x))).toBeLessThan(2e-7));
    }
  });
});

describe('special values', () => {
  const f = (name: string, xs: number[]) => Array.from(mapWasm(name, Float32Array.from(xs)));
  it('exp: -inf, large negative and underflow give 0, overflow and +inf give inf, NaN passes', () => {
    expect(f('exp', [-Infinity, -1000, -104, Infinity, 89, 1000, NaN, 0, -0])).toEqual([0, 0, 0, Infinity, Infinity, Infinity, NaN, 1, 1]);
    // gradual underflow: subnormal results are close to the truth
    const sub = f('exp', [-100, -95, -88])
    ;[-100, -95, -88].forEach((x, i) => expect(ulpError(sub[i]!, Math.exp(x))).toBeLessThanOrEqual(2));
  });
  it('log: 0 -> -inf, negatives and NaN -> NaN, inf -> inf, subnormals accurate', () => {
    expect(f('log', [0, -0, -1, -Infinity, NaN, Infinity, 1])).toEqual([-Infinity, -Infinity, NaN, NaN, NaN, Infinity, 0]);
    expect(f('log', [1e-45])[0]).toBeCloseTo(Math.log(Math.fround(1e-45)), 4);
  });
  it('tanh, sigmoid, erf at the ends', () => {
    expect(f('tanh', [-Infinity, Infinity, NaN, 0, 30, -30])).toEqual([-1, 1, NaN, 0, 1, -1]);
    expect(f('sigmoid', [-Infinity, Infinity, NaN, 0, -200])).toEqual([0, 1, NaN, 0.5, 0]);
    expect(f('erf', [-Infinity, Infinity, NaN, 0, 10, -10])).toEqual([-1, 1, NaN, 0, 1, -1]);
    expect(Object.is(f('erf', [-0])[0], -0)).toBe(true);
    expect(Object.is(f('tanh', [-0])[0], -0)).toBe(true);
  });
  it('the scalar form (splat, lane 0) equals the vector form', () => {
    const xs = Float32Array.from([-3.7, -0.4, 0.001, 0.9, 2.5, 17]);
    for (const name of Object.keys(vecMath)) {
      const ys = mapWasm(name, xs);
      xs.forEach((x, i) => expect(Object.is(exp[`${name}_s`]!(x), ys[i])).toBe(true));
    }
  });
});
