// Elementwise ops: hand-computed values, numpy broadcasting, integer and 64-bit exactness, symbolic propagation, errors.

import { describe, expect, it } from 'vitest';
import { randomTensor, runOp, t } from '../helpers.js';
import { Graph, type Value, materialize } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { erf } from '../../compiler/ops/elementwise.js';

const f32 = (shape: number[], values: number[]) => t('f32', shape, values);
const out0 = (op: string, inputs: Parameters<typeof runOp>[1], attrs = {}) => runOp(op, inputs, attrs).outputs[0]!;
const round32 = (xs: number[]) => xs.map(Math.fround);

/** Naive numpy broadcasting of two tensors: walks every output multi-index and maps it into each operand. */
function naiveBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number): { shape: number[]; values: number[] } {
  const rank = Math.max(a.rank, b.rank);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [sa, sb] = [pad(a.shape), pad(b.shape)];
  const shape = sa.map((d, i) => Math.max(d, sb[i]!));
  const flat = (s: number[], idx: number[]) => idx.reduce((acc, x, i) => acc * s[i]! + (s[i] === 1 ? 0 : x), 0);
  const [va, vb] = [a.toNumbers(), b.toNumbers()];
  const values: number[] = [];
  const n = shape.reduce((x, y) => x * y, 1);
  for (let j = 0; j < n; j++) {
    const idx: number[] = [];
    let r = j;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = r % shape[d]!;
      r = Math.floor(r / shape[d]!);
    }
    values.push(f(va[flat(sa, idx)]!, vb[flat(sb, idx)]!));
  }
  return { shape, values };
}

describe('unary ops', () => {
  const x = f32([2, 3], [-2.5, -1, -0.25, 0, 0.5, 3]);
  it.each([
    ['Neg', [2.5, 1, 0.25, -0, -0.5, -3]],
    ['Abs', [2.5, 1, 0.25, 0, 0.5, 3]],
    ['Relu', [0, 0, 0, 0, 0.5, 3]],
    ['Floor', [-3, -1, -1, 0, 0, 3]],
    ['Ceil', [-2, -1, -0, 0, 1, 3]],
    ['Round', [-2, -1, -0, 0, 0, 3]],
    ['Sign', [-1, -1, -1, 0, 1, 1]],
    ['Exp', [-2.5, -1, -0.25, 0, 0.5, 3].map(Math.exp)],
    ['Tanh', [-2.5, -1, -0.25, 0, 0.5, 3].map(Math.tanh)],
    ['Sigmoid', [-2.5, -1, -0.25, 0, 0.5, 3].map((v) => 1 / (1 + Math.exp(-v)))],
    ['Softplus', [-2.5, -1, -0.25, 0, 0.5, 3].map((v) => Math.log(1 + Math.exp(v)))],
    ['Sin', [-2.5, -1, -0.25, 0, 0.5, 3].map(Math.sin)],
    ['Cos', [-2.5, -1, -0.25, 0, 0.5, 3].map(Math.cos)],
    ['Reciprocal', [-0.4, -1, -4, Infinity, 2, 1 / 3]],
  ])('%s', (op, expected) => {
    const y = out0(op, [x]);
    expect(y.dtype).toBe('f32');
    expect(y.shape).toEqual([2, 3]);
    expect(y.toNumbers()).toEqual(round32(expected as number[]));
  });

  it('Sqrt and Log of positive, zero and negative values', () => {
    expect(out0('Sqrt', [f32([4], [4, 2, 0, -1])]).toNumbers()).toEqual([2, Math.fround(Math.SQRT2), 0, NaN]);
    expect(out0('Log', [f32([4], [1, Math.E, 0, -1])]).toNumbers()).toEqual([0, Math.fround(Math.log(Math.fround(Math.E))), -Infinity, NaN]);
  });

  it('Round rounds halves to even', () => {
    expect(out0('Round', [f32([6], [0.5, 1.5, 2.5, -0.5, -1.5, 2.4999])]).toNumbers()).toEqual([0, 2, 2, -0, -2, 2]);
  });

  it('LeakyRelu, Elu and HardSigmoid use their attributes', () => {
    const v = f32([3], [-2, 0, 4]);
    expect(out0('LeakyRelu', [v]).toNumbers()).toEqual(round32([-0.02, 0, 4]));
    expect(out0('LeakyRelu', [v], { alpha: 0.5 }).toNumbers()).toEqual([-1, 0, 4]);
    expect(out0('Elu', [v], { alpha: 2 }).toNumbers()).toEqual(round32([2 * Math.expm1(-2), 0, 4]));
    expect(out0('HardSigmoid', [v]).toNumbers()).toEqual(round32([0.1, 0.5, 1]));
  });

  it('integer Neg, Abs, Sign and Relu are exact on 64-bit values', () => {
    const big = new Tensor('i64', [3], BigInt64Array.from([-(2n ** 62n) - 1n, 0n, 2n ** 53n + 1n]));
    expect(Array.from(out0('Neg', [big]).data as BigInt64Array)).toEqual([2n ** 62n + 1n, 0n, -(2n ** 53n) - 1n]);
    expect(Array.from(out0('Abs', [big]).data as BigInt64Array)).toEqual([2n ** 62n + 1n, 0n, 2n ** 53n + 1n]);
    expect(Array.from(out0('Sign', [big]).data as BigInt64Array)).toEqual([-1n, 0n, 1n]);
    expect(Array.from(out0('Relu', [big]).data as BigInt64Array)).toEqual([0n, 0n, 2n ** 53n + 1n]);
  });

  it('Not negates booleans', () => {
    const y = out0('Not', [t('bool', [2, 2], [1, 0, 0, 1])]);
    expect(y.dtype).toBe('bool');
    expect(y.toNumbers()).toEqual([0, 1, 1, 0]);
  });

  it('keeps symbolic shapes', () => {
    const x = randomTensor('f32', [2, 5], 3);
    const { types } = runOp('Tanh', [x], {}, { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq'] }] });
    expect(types[0]).toEqual({ dtype: 'f32', shape: ['batch', 'seq'] });
  });

  it.each([
    ['Sqrt', 'i32', "Sqrt node 'test_Sqrt': operand 'X' has dtype i32, but Sqrt needs a floating-point dtype"],
    ['Neg', 'u8', "Neg node 'test_Neg': operand 'X' has dtype u8, but Neg needs a floating-point or signed integer dtype"],
    ['Not', 'f32', "Not node 'test_Not': operand 'X' has dtype f32, but Not needs dtype bool"],
    ['Abs', 'bool', "Abs node 'test_Abs': operand 'X' has dtype bool, but Abs needs a numeric dtype"],
  ] as const)('%s rejects dtype %s', (op, dtype, message) => {
    expect(() => runOp(op, [Tensor.zeros(dtype, [2])])).toThrow(message);
  });
});

describe('Erf', () => {
  // Values of Python's math.erf (correctly rounded double precision).
  const reference: [number, number][] = [
    [-3.5, -0.9999992569016276], [-1, -0.8427007929497149], [-0.3, -0.3286267594591274], [0, 0],
    [1e-8, 1.1283791670955126e-8], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
    [3, 0.9999779095030014], [4.5, 0.9999999998033839], [5.9, 0.9999999999999999], [7, 1],
    [0.1, 0.1124629160182849], [1.5, 0.9661051464753108], [1.9999, 0.9953201979070294], [2.5, 0.999593047982555],
    [3.3, 0.9999969422902035], [4, 0.9999999845827421], [5.5, 0.9999999999999927], [5.99, 1],
  ];

  it('is accurate to a few ulps in double precision', () => {
    for (const [x, y] of reference) expect(Math.abs(erf(x) - y)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(Math.abs(y), 1e-300));
  });

  it('rounds to the nearest f32 of the exact value', () => {
    const y = out0('Erf', [f32([reference.length], reference.map(([x]) => x))]);
    // Inputs are rounded to f32 first; -0.3 and 1e-8 are not exact in f32, so compare against erf(fround(x)).
    expect(y.toNumbers()).toEqual(reference.map(([x]) => Math.fround(erf(Math.fround(x)))));
    expect(y.toNumbers()[1]).toBe(Math.fround(-0.8427007929497149));
    expect(y.toNumbers()[5]).toBe(Math.fround(0.5204998778130465));
  });

  it('is odd, monotonic and saturates', () => {
    for (let x = 0; x < 6.5; x += 0.01) {
      expect(erf(-x)).toBe(-erf(x));
      expect(erf(x + 0.01)).toBeGreaterThanOrEqual(erf(x));
    }
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });
});

describe('binary arithmetic with broadcasting', () => {
  const ops: [string, (x: number, y: number) => number][] = [
    ['Add', (x, y) => x + y], ['Sub', (x, y) => x - y], ['Mul', (x, y) => x * y], ['Div', (x, y) => x / y],
  ];
  const cases: [number[], number[]][] = [
    [[2, 3], [2, 3]], [[2, 1], [3]], [[2, 3, 4], [4]], [[1, 3, 1], [2, 1, 5]], [[], [3, 2]], [[4, 1, 3], [1]], [[5, 1], [1, 7]],
  ];
  for (const [op, f] of ops) {
    it.each(cases)(`${op} %j with %j matches a naive broadcast`, (sa, sb) => {
      const [a, b] = [randomTensor('f32', sa, 1), randomTensor('f32', sb, 2, 0.5, 2)];
      const y = out0(op, [a, b]);
      const expected = naiveBinary(a, b, f);
      expect(y.shape).toEqual(expected.shape);
      expect(y.toNumbers()).toEqual(round32(expected.values));
    });
  }

  it('rounds f32 once from the float64 result', () => {
    // 1 + 2^-24 + 2^-24 would round twice to 1 in f32 arithmetic; Add takes two operands, so check Sum of three.
    const e = 2 ** -24;
    expect(out0('Sum', [f32([1], [1]), f32([1], [e]), f32([1], [e])]).toNumbers()).toEqual([1 + 2 * e]);
  });

  it('infers broadcast symbolic shapes', () => {
    const { types } = runOp('Add', [randomTensor('f32', [2, 3, 4], 1), randomTensor('f32', [3, 1], 2)], {}, {
      symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq', 4] }, { dtype: 'f32', shape: ['seq', 1] }],
    });
    expect(types[0]).toEqual({ dtype: 'f32', shape: ['batch', 'seq', 4] });
    const { types: t2 } = runOp('Mul', [randomTensor('f32', [2, 1], 1), randomTensor('f32', [3], 2)], {}, {
      symbolicInputs: [{ dtype: 'f32', shape: ['batch', 1] }, { dtype: 'f32', shape: [3] }],
    });
    expect(t2[0]).toEqual({ dtype: 'f32', shape: ['batch', 3] });
  });

  it('fails on shapes that do not broadcast, naming both', () => {
    expect(() => runOp('Add', [Tensor.zeros('f32', [2, 3]), Tensor.zeros('f32', [4, 3])])).toThrow(
      "Add node 'test_Add': shapes [2, 3] and [4, 3] cannot be broadcast (dimension 0: 2 vs 4)");
    expect(() => runOp('Mul', [Tensor.zeros('f32', [5, 3]), Tensor.zeros('f32', [2])])).toThrow(
      "Mul node 'test_Mul': shapes [5, 3] and [2] cannot be broadcast (dimension 1: 3 vs 2)");
  });

  it('fails on different dtypes, naming both', () => {
    expect(() => runOp('Add', [Tensor.zeros('f32', [2]), Tensor.zeros('i64', [2])])).toThrow(
      "Add node 'test_Add': operand dtypes differ: A is f32, B is i64");
    expect(() => runOp('Max', [Tensor.zeros('i32', [2]), Tensor.zeros('i32', [2]), Tensor.zeros('f16', [2])])).toThrow(
      "Max node 'test_Max': operand dtypes differ: data_0 is i32, data_1 is i32, data_2 is f16");
    expect(() => runOp('Add', [Tensor.zeros('bool', [2]), Tensor.zeros('bool', [2])])).toThrow(
      "Add node 'test_Add': operand 'A' has dtype bool, but Add needs a numeric dtype");
  });
});

describe('integer arithmetic', () => {
  it('Div truncates toward zero, like C', () => {
    const a = t('i32', [4], [7, -7, 7, -7]);
    const b = t('i32', [4], [2, 2, -2, -2]);
    expect(out0('Div', [a, b]).toNumbers()).toEqual([3, -3, -3, 3]);
    const a64 = t('i64', [4], [7, -7, 7, -7]);
    const b64 = t('i64', [4], [2, 2, -2, -2]);
    expect(out0('Div', [a64, b64]).toNumbers()).toEqual([3, -3, -3, 3]);
    expect(out0('Div', [t('u8', [2], [255, 7]), t('u8', [1], [2])]).toNumbers()).toEqual([127, 3]);
  });

  it('Mul wraps like C for 32-bit and is exact for 64-bit', () => {
    expect(out0('Mul', [t('i32', [1], [123456789]), t('i32', [1], [987654321])]).toNumbers()).toEqual([Math.imul(123456789, 987654321)]);
    const big = new Tensor('i64', [1], BigInt64Array.from([3037000499n]));
    expect((out0('Mul', [big, big]).data as BigInt64Array)[0]).toBe(3037000499n * 3037000499n);
  });

  it('Add and Sub are exact beyond 2^53 for i64', () => {
    const a = new Tensor('i64', [2], BigInt64Array.from([2n ** 53n, -(2n ** 60n)]));
    const one = new Tensor('i64', [], BigInt64Array.from([1n]));
    expect(Array.from(out0('Add', [a, one]).data as BigInt64Array)).toEqual([2n ** 53n + 1n, -(2n ** 60n) + 1n]);
    expect(Array.from(out0('Sub', [a, one]).data as BigInt64Array)).toEqual([2n ** 53n - 1n, -(2n ** 60n) - 1n]);
  });

  it('Mod follows the divisor sign (fmod=0) or the dividend sign (fmod=1)', () => {
    const a = t('i32', [4], [-7, 7, -7, 7]);
    const b = t('i32', [4], [3, -3, -3, 3]);
    expect(out0('Mod', [a, b]).toNumbers()).toEqual([2, -2, -1, 1]);
    expect(out0('Mod', [a, b], { fmod: 1 }).toNumbers()).toEqual([-1, 1, -1, 1]);
    const a64 = t('i64', [4], [-7, 7, -7, 7]);
    const b64 = t('i64', [4], [3, -3, -3, 3]);
    expect(out0('Mod', [a64, b64]).toNumbers()).toEqual([2, -2, -1, 1]);
    expect(out0('Mod', [f32([3], [5.5, -5.5, 5.5]), f32([3], [2, 2, -2])], { fmod: 1 }).toNumbers()).toEqual([1.5, -1.5, 1.5]);
    expect(() => runOp('Mod', [f32([1], [1]), f32([1], [1])])).toThrow("Mod node 'test_Mod': fmod must be 1 for dtype f32");
  });
});

describe('Pow', () => {
  it('takes an exponent of another dtype and keeps the base dtype', () => {
    const { outputs, types } = runOp('Pow', [f32([2, 2], [1, 2, 3, 4]), t('i64', [2], [2, 3])]);
    expect(types[0]!.dtype).toBe('f32');
    expect(outputs[0]!.toNumbers()).toEqual([1, 8, 9, 64]);
    expect(out0('Pow', [f32([3], [4, 9, 2]), f32([1], [0.5])]).toNumbers()).toEqual([2, 3, Math.fround(Math.SQRT2)]);
  });

  it('is exact for integers', () => {
    const y = out0('Pow', [t('i64', [3], [3, -2, 7]), t('i64', [3], [39, 63, 0])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([3n ** 39n, -(2n ** 63n), 1n]);
    expect(out0('Pow', [t('i32', [4], [3, 2, -3, 2]), t('i32', [4], [19, 10, 3, -1])]).toNumbers()).toEqual([3 ** 19, 1024, -27, 0]);
    expect(out0('Pow', [t('i32', [1], [3]), t('i32', [1], [21])]).toNumbers()).toEqual([Number(BigInt.asIntN(32, 3n ** 21n))]);
    expect(out0('Pow', [t('i32', [2], [4, 10]), f32([1], [0.5])]).toNumbers()).toEqual([2, 3]);
  });

  it('rejects a boolean exponent', () => {
    expect(() => runOp('Pow', [f32([1], [2]), t('bool', [1], [1])])).toThrow(
      "Pow node 'test_Pow': operand 'B' has dtype bool, but Pow needs a numeric dtype");
  });
});

describe('variadic Max, Min, Sum, Mean', () => {
  const a = f32([2, 1], [1, 6]);
  const b = f32([3], [5, 2, 9]);
  const c = f32([], [4]);
  it('broadcast all operands', () => {
    expect(out0('Max', [a, b, c]).toNumbers()).toEqual([5, 4, 9, 6, 6, 9]);
    expect(out0('Min', [a, b, c]).toNumbers()).toEqual([1, 1, 1, 4, 2, 4]);
    expect(out0('Sum', [a, b, c]).toNumbers()).toEqual([10, 7, 14, 15, 12, 19]);
    expect(out0('Mean', [a, b, c]).toNumbers()).toEqual(round32([10 / 3, 7 / 3, 14 / 3, 5, 4, 19 / 3]));
    expect(runOp('Max', [a, b, c]).types[0]).toEqual({ dtype: 'f32', shape: [2, 3] });
  });

  it('with one operand return it', () => {
    expect(out0('Max', [b]).toNumbers()).toEqual([5, 2, 9]);
    expect(out0('Mean', [b]).toNumbers()).toEqual([5, 2, 9]);
  });

  it('propagate NaN', () => {
    expect(out0('Max', [f32([2], [NaN, 1]), f32([2], [0, NaN])]).toNumbers()).toEqual([NaN, NaN]);
  });

  it('compare 64-bit integers exactly', () => {
    const x = new Tensor('i64', [1], BigInt64Array.from([2n ** 60n + 1n]));
    const y = new Tensor('i64', [1], BigInt64Array.from([2n ** 60n]));
    expect((out0('Max', [y, x]).data as BigInt64Array)[0]).toBe(2n ** 60n + 1n);
    expect((out0('Min', [x, y]).data as BigInt64Array)[0]).toBe(2n ** 60n);
  });

  it('Mean needs floats and at least one operand', () => {
    expect(() => runOp('Mean', [t('i32', [1], [1])])).toThrow("operand 'data_0' has dtype i32, but Mean needs a floating-point dtype");
    expect(() => runOp('Sum', [])).toThrow('expects at least 1 operands, got 0');
  });
});

describe('comparisons and logic', () => {
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const b = f32([3], [3, 2, 1]);
  it.each([
    ['Equal', [0, 1, 0, 0, 0, 0]],
    ['Less', [1, 0, 0, 0, 0, 0]],
    ['LessOrEqual', [1, 1, 0, 0, 0, 0]],
    ['Greater', [0, 0, 1, 1, 1, 1]],
    ['GreaterOrEqual', [0, 1, 1, 1, 1, 1]],
  ])('%s broadcasts and returns bool', (op, expected) => {
    const { outputs, types } = runOp(op, [a, b]);
    expect(types[0]).toEqual({ dtype: 'bool', shape: [2, 3] });
    expect(outputs[0]!.toNumbers()).toEqual(expected);
  });

  it('compare 64-bit integers exactly and booleans for equality', () => {
    const x = new Tensor('i64', [2], BigInt64Array.from([2n ** 53n, 2n ** 53n + 1n]));
    const y = new Tensor('i64', [2], BigInt64Array.from([2n ** 53n + 1n, 2n ** 53n + 1n]));
    expect(out0('Less', [x, y]).toNumbers()).toEqual([1, 0]);
    expect(out0('Equal', [x, y]).toNumbers()).toEqual([0, 1]);
    expect(out0('Equal', [t('bool', [2], [1, 0]), t('bool', [1], [0])]).toNumbers()).toEqual([0, 1]);
  });

  it('And, Or, Xor truth tables with broadcasting', () => {
    const p = t('bool', [2, 1], [0, 1]);
    const q = t('bool', [2], [0, 1]);
    expect(out0('And', [p, q]).toNumbers()).toEqual([0, 0, 0, 1]);
    expect(out0('Or', [p, q]).toNumbers()).toEqual([0, 1, 1, 1]);
    expect(out0('Xor', [p, q]).toNumbers()).toEqual([0, 1, 1, 0]);
    expect(() => runOp('And', [f32([1], [1]), f32([1], [1])])).toThrow("operand 'A' has dtype f32, but And needs dtype bool");
    expect(() => runOp('Less', [t('bool', [1], [1]), t('bool', [1], [1])])).toThrow("operand 'A' has dtype bool, but Less needs a numeric dtype");
  });
});

describe('Where', () => {
  it('selects with three-way broadcasting', () => {
    const cond = t('bool', [2, 1], [1, 0]);
    const x = f32([3], [1, 2, 3]);
    const y = f32([2, 1, 1], [-1, -2]);
    const { outputs, types } = runOp('Where', [cond, x, y]);
    expect(types[0]).toEqual({ dtype: 'f32', shape: [2, 2, 3] });
    expect(outputs[0]!.toNumbers()).toEqual([1, 2, 3, -1, -1, -1, 1, 2, 3, -2, -2, -2]);
  });

  it('copies 64-bit integers and f16 exactly', () => {
    const x = new Tensor('i64', [2], BigInt64Array.from([2n ** 62n + 1n, 5n]));
    const y = new Tensor('i64', [1], BigInt64Array.from([-(2n ** 62n) - 3n]));
    expect(Array.from(out0('Where', [t('bool', [2], [1, 0]), x, y]).data as BigInt64Array)).toEqual([2n ** 62n + 1n, -(2n ** 62n) - 3n]);
    const h = t('f16', [2], [0.1, 65504]);
    const w = out0('Where', [t('bool', [2], [1, 1]), h, t('f16', [2], [0, 0])]);
    expect(Array.from(w.data as Uint16Array)).toEqual(Array.from(h.data as Uint16Array));
  });

  it('keeps symbolic shapes', () => {
    const { types } = runOp('Where', [t('bool', [1, 3], [1, 0, 1]), randomTensor('f32', [2, 3], 1), f32([], [0])], {}, {
      symbolicInputs: [{ dtype: 'bool', shape: [1, 'seq'] }, { dtype: 'f32', shape: ['batch', 'seq'] }],
    });
    expect(types[0]).toEqual({ dtype: 'f32', shape: ['batch', 'seq'] });
  });

  it('fails on a non-bool condition and different X and Y dtypes', () => {
    expect(() => runOp('Where', [f32([1], [1]), f32([1], [1]), f32([1], [1])])).toThrow(
      "Where node 'test_Where': operand 'condition' has dtype f32, but Where needs dtype bool");
    expect(() => runOp('Where', [t('bool', [1], [1]), f32([1], [1]), t('i64', [1], [1])])).toThrow(
      "Where node 'test_Where': operand dtypes differ: X is f32, Y is i64");
    expect(() => runOp('Where', [t('bool', [2], [1, 1]), f32([3], [1, 2, 3]), f32([1], [1])])).toThrow(
      "Where node 'test_Where': shapes [2] and [3] and [1] cannot be broadcast (dimension 0: 2 vs 3)");
  });
});

describe('Clip and PRelu', () => {
  const x = f32([5], [-3, -1, 0, 2, 7]);
  it('Clip with both, one or no bound', () => {
    expect(out0('Clip', [x, { constant: f32([], [-1.5]) }, { constant: f32([], [2.5]) }]).toNumbers()).toEqual([-1.5, -1, 0, 2, 2.5]);
    expect(out0('Clip', [x, { constant: f32([], [0]) }]).toNumbers()).toEqual([0, 0, 0, 2, 7]);
    expect(out0('Clip', [x, null, { constant: f32([], [1]) }]).toNumbers()).toEqual([-3, -1, 0, 1, 1]);
    expect(out0('Clip', [x]).toNumbers()).toEqual([-3, -1, 0, 2, 7]);
    expect(out0('Clip', [t('i8', [3], [-128, 0, 127]), { constant: t('i8', [], [-5]) }, { constant: t('i8', [], [5]) }]).toNumbers()).toEqual([-5, 0, 5]);
  });

  it('Clip fails on a bound of another dtype or shape', () => {
    expect(() => runOp('Clip', [x, { constant: t('f16', [], [0]) }])).toThrow("operand dtypes differ: input is f32, min is f16");
    expect(() => runOp('Clip', [x, { constant: f32([2], [0, 1]) }])).toThrow('min must be a scalar, got shape [2]');
  });

  it('PRelu broadcasts the slope to X', () => {
    const { outputs, types } = runOp('PRelu', [f32([2, 3], [-1, 2, -3, 4, -5, 6]), f32([3], [0.5, 0.25, 2])]);
    expect(types[0]).toEqual({ dtype: 'f32', shape: [2, 3] });
    expect(outputs[0]!.toNumbers()).toEqual([-0.5, 2, -6, 4, -1.25, 6]);
    expect(() => runOp('PRelu', [f32([3], [1, 2, 3]), f32([2, 3], [1, 2, 3, 4, 5, 6])])).toThrow(
      "PRelu node 'test_PRelu': B of shape [2, 3] does not broadcast to A of shape [3]");
  });
});

describe('symbolic propagation (shape computations)', () => {
  /** The contents of a value that became a constant, else undefined. */
  const known = (v: Value) => (v.constant ? materialize(v.constant).toNumbers() : undefined);

  /** A graph with x: [batch, seq, 32] and s = Shape(x), whose contents are ['batch', 'seq', 32]. */
  function setup() {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const x = g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq', 32] });
    const [s] = b.add('Shape', [x]);
    const i64 = (values: number[], shape = [values.length]) => b.constant(t('i64', shape, values));
    const add = (op: string, inputs: Value[]) => b.add(op, inputs)[0]!;
    return { g, b, s: s!, i64, add };
  }

  it('Add, Sub, Mul, Div and Neg compute dims', () => {
    const { s, i64, add } = setup();
    expect(add('Add', [s, i64([1])]).symbolic).toEqual(['batch+1', 'seq+1', 33]);
    expect(add('Sub', [s, i64([1, 0, 2])]).symbolic).toEqual(['batch-1', 'seq', 30]);
    expect(add('Mul', [s, i64([2])]).symbolic).toEqual(['2*batch', '2*seq', 64]);
    expect(add('Div', [add('Mul', [s, i64([2])]), i64([2])]).symbolic).toEqual(['batch', 'seq', 32]);
    expect(add('Neg', [s]).symbolic).toEqual(['-batch', '-seq', -32]);
  });

  it('multiplies symbols with each other (Gather-free flatten: batch*seq)', () => {
    const { b, s, add } = setup();
    const [first] = b.add('Slice', [s, b.constant(t('i64', [1], [0])), b.constant(t('i64', [1], [1]))]);
    const [second] = b.add('Slice', [s, b.constant(t('i64', [1], [1])), b.constant(t('i64', [1], [2]))]);
    expect(add('Mul', [first!, second!]).symbolic).toEqual(['batch*seq']);
  });

  it('Div of a symbol is unknown unless exact; numbers truncate', () => {
    const { s, i64, add } = setup();
    const half = add('Div', [s, i64([2])]);
    expect(half.symbolic).toBeUndefined();
    expect(half.constant).toBeUndefined();
    expect(known(add('Div', [i64([7, -7]), i64([2])]))).toEqual([3, -3]);
  });

  it('Equal decides symbols against 0 and -1 (symbols are >= 1) and identical dims', () => {
    const { s, i64, add } = setup();
    const eq = add('Equal', [s, i64([-1])]);
    expect(known(eq)).toEqual([0, 0, 0]);
    expect(eq.constant?.dtype).toBe('bool');
    expect(known(add('Equal', [s, i64([0, 0, 32])]))).toEqual([0, 0, 1]);
    expect(known(add('Equal', [s, s]))).toEqual([1, 1, 1]);
    const undecided = add('Equal', [s, i64([5])]);
    expect(undecided.constant).toBeUndefined();
    expect(undecided.symbolic).toBeUndefined();
  });

  it('folds the PyTorch expand chain Where(Equal(shape, -1), ones, shape)', () => {
    const { s, i64, add } = setup();
    const cond = add('Equal', [s, i64([-1])]);
    const w = add('Where', [cond, i64([1, 1, 1]), s]);
    expect(w.symbolic).toEqual(['batch', 'seq', 32]);
    expect(w.type).toEqual({ dtype: 'i64', shape: [3] });
    // A condition known to be true everywhere selects X; a scalar X broadcasts.
    const w2 = add('Where', [add('Not', [cond]), i64([7], []), s]);
    expect(known(w2)).toEqual([7, 7, 7]);
  });

  it('Less, Greater, Max, Min decide when the sign of the difference is known', () => {
    const { s, i64, add } = setup();
    expect(known(add('Less', [s, i64([1])]))).toEqual([0, 0, 0]);
    expect(known(add('GreaterOrEqual', [s, i64([1])]))).toEqual([1, 1, 1]);
    expect(known(add('Greater', [add('Add', [s, i64([1])]), s]))).toEqual([1, 1, 1]);
    expect(known(add('LessOrEqual', [s, i64([0, 0, 40])]))).toEqual([0, 0, 1]);
    expect(add('Max', [s, i64([1])]).symbolic).toEqual(['batch', 'seq', 32]);
    expect(known(add('Min', [s, i64([0])]))).toEqual([0, 0, 0]);
    // INT64_MAX (a Slice "to the end" sentinel) exceeds every dim.
    expect(add('Min', [s, i64([Number.MAX_SAFE_INTEGER * 1024])]).symbolic).toEqual(['batch', 'seq', 32]);
    expect(add('Less', [s, i64([5])]).symbolic).toBeUndefined();
    expect(add('Max', [s, i64([2])]).symbolic).toBeUndefined();
  });

  it('Sum folds symbolic operands', () => {
    const { s, i64, add } = setup();
    expect(add('Sum', [s, s, i64([1])]).symbolic).toEqual(['2*batch+1', '2*seq+1', 65]);
  });
});
