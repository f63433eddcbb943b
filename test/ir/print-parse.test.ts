// Tests of the IR text form: golden texts, exact numbers, error messages with line:column, and random round trips.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CompileError } from '../../compiler/diagnostics.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { type Dim, shapesEqual } from '../../compiler/ir/dim.js';
import type { DType } from '../../compiler/ir/dtype.js';
import { type AttrValue, Graph, type Value, materialize } from '../../compiler/ir/graph.js';
import { parseGraph } from '../../compiler/ir/parse.js';
import { formatF32, formatFloatAttr, printGraph } from '../../compiler/ir/print.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { interpret } from '../../compiler/interpreter.js';
import { attr, defineOp, getOp } from '../../compiler/ops/registry.js';
import '../../compiler/ops/index.js';
import { rng } from '../helpers.js';

// Test-only ops: one with every attribute kind, one whose result size the rule cannot know (a fresh symbol).
defineOp({
  name: 'AttrProbe', domain: 'xfc.test', summary: 'identity that carries one attribute of each kind',
  inputs: [{ name: 'x' }], outputs: [{ name: 'y' }],
  attrs: { i: attr.int(0), f: attr.float(1), s: attr.string(), is: attr.ints(), fs: attr.floats(), ss: attr.strings(), t: attr.tensor() },
  infer: (ctx) => [ctx.input(0)],
  evaluate: (ctx) => [ctx.input(0)],
});
defineOp({
  name: 'FreshProbe', domain: 'xfc.test', summary: 'the first row of x, as a vector of unknown length',
  inputs: [{ name: 'x' }], outputs: [{ name: 'y' }], attrs: {},
  infer: (ctx) => [{ dtype: ctx.input(0).dtype, shape: [ctx.freshDim('n')] }],
  evaluate: (ctx) => [ctx.input(0)],
});

/** Parses, checks the text prints back identically, and returns the graph. */
function roundTrip(text: string): Graph {
  const g = parseGraph(text);
  expect(printGraph(g)).toBe(text);
  expect(verifyGraph(g)).toEqual([]);
  return g;
}

function parseError(text: string): string {
  try {
    parseGraph(text);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => d.toString()).join('\n');
    throw e;
  }
  throw new Error('the text parsed without error');
}

/** The stored elements of a typed array of any kind. */
const list = (a: Tensor['data']): unknown[] => Array.from(a as ArrayLike<unknown>);

const byName = (g: Graph, name: string): Value => [...g.values()].find((v) => v.name === name)!;

describe('golden texts', () => {
  it('round-trips a graph with quoted names, absent operands, multiple results and attributes', () => {
    const text = [
      'opsets {"" = 17, "com.microsoft" = 1}',
      'graph "tiny bert"(%input: f32[batch, seq, 4], %"onnx::Mask_1": f32[4]) {',
      '  %w = const f32[4] [0.5, -1, 2.25, 3]',
      '  %max = const f32[] [6]',
      '  %1: f32[batch, seq, 4] = Add(%input, %"onnx::Mask_1") @"/encoder/Add"',
      '  %2: f32[batch, seq, 4] = Mul(%1, %w) @"/encoder/Mul"',
      '  %3: f32[batch, seq, 4] = Clip(%2, _, %max) @"clip"',
      '  %4: f32[batch, seq, 4] = Softmax(%3) {axis = 1} @"softmax"',
      '  %5: f32[batch, seq, 4] = LeakyRelu(%4) {alpha = 0.1f} @"leaky"',
      '  %6: f32[batch, seq, 1], %7: f32[batch, seq, 3] = Split(%5) {axis = 2, split = [1, 3]} @"split"',
      '  %8: f32[batch, seq, 8] = Concat(%4, %5) {axis = -1} @"concat"',
      '  return %6, %7, %8',
      '}',
      '',
    ].join('\n');
    const g = roundTrip(text);
    expect(g.name).toBe('tiny bert');
    expect(g.opsets).toEqual([{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }]);
    expect(g.inputs.map((v) => v.name)).toEqual(['input', 'onnx::Mask_1']);
    expect(g.nodes.map((n) => n.name)).toEqual(['/encoder/Add', '/encoder/Mul', 'clip', 'softmax', 'leaky', 'split', 'concat']);
    expect(g.nodes[2]!.inputs[1]).toBeUndefined();
    expect(g.nodes[4]!.attrs.alpha).toBe(Math.fround(0.1));
    expect(g.nodes[5]!.attrs).toMatchObject({ axis: 2, split: [1, 3] });
    expect(g.outputs.map((v) => v.name)).toEqual(['6', '7', '8']);
    expect(list(materialize(byName(g, 'w').constant!).data)).toEqual([0.5, -1, 2.25, 3]);
  });

  it('leaves out default attributes and fills them in when parsing', () => {
    const g = roundTrip('graph g(%x: f32[2, 3]) {\n  %y: f32[2, 3] = Softmax(%x) @"s"\n  return %y\n}\n');
    expect(g.nodes[0]!.attrs.axis).toBe(-1);
    // Written explicitly, a default value parses the same and prints without it.
    const explicit = parseGraph('graph g(%x: f32[2, 3]) {\n  %y: f32[2, 3] = Softmax(%x) {axis = -1} @"s"\n  return %y\n}\n');
    expect(printGraph(explicit)).toBe(printGraph(g));
  });

  it('prints constant data exactly for every dtype', () => {
    const text = [
      'graph consts() {',
      '  %f32 = const f32[8] [0.1, -0, nan, inf, -inf, 1e-45, 3.4028235e+38, 1.1754942e-38]',
      '  %f64 = const f64[4] [0.1, 5e-324, -1.7976931348623157e+308, 1e+21]',
      '  %f16 = const f16[6] [0.1, -0, 65500, 6e-8, nan, -inf]',
      '  %bf16 = const bf16[3] [0.1, 3.39e+38, 9e-41]',
      '  %i64 = const i64[3] [-9223372036854775808, 9223372036854775807, 0]',
      '  %u64 = const u64[2] [18446744073709551615, 1]',
      '  %i8 = const i8[2] [-128, 127]',
      '  %u8 = const u8[2] [0, 255]',
      '  %i32 = const i32[2] [-2147483648, 2147483647]',
      '  %u32 = const u32[1] [4294967295]',
      '  %i16 = const i16[1] [-32768]',
      '  %u16 = const u16[1] [65535]',
      '  %b = const bool[2, 1] [true, false]',
      '  %s = const f32[] [2.5]',
      '  return %f32, %s',
      '}',
      '',
    ].join('\n');
    const g = roundTrip(text);
    const data = (name: string) => materialize(byName(g, name).constant!);
    const f32 = data('f32').data as Float32Array;
    expect(f32[0]).toBe(Math.fround(0.1));
    expect(Object.is(f32[1], -0)).toBe(true);
    expect(f32[2]).toBeNaN();
    expect(f32[5]).toBe(2 ** -149);
    expect(f32[6]).toBe(3.4028234663852886e38);
    expect(f32[7]).toBe(2 ** -126 - 2 ** -149);
    expect(list(data('f64').data)).toEqual([0.1, 5e-324, -Number.MAX_VALUE, 1e21]);
    expect(list(data('f16').data)).toEqual([0x2e66, 0x8000, 0x7bff, 0x0001, 0x7e00, 0xfc00]);
    expect(list(data('bf16').data)).toEqual([0x3dcd, 0x7f7f, 0x0001]);
    expect(list(data('i64').data)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 0n]);
    expect(list(data('u64').data)).toEqual([2n ** 64n - 1n, 1n]);
    expect(list(data('b').data)).toEqual([1, 0]);
    expect(data('s').shape).toEqual([]);
  });

  it('writes large constants as little-endian hex, or elides them', () => {
    const g = new Graph('big');
    const b = new GraphBuilder(g, { fold: false });
    const c = b.constant(Tensor.fromNumbers('f32', [3], [1, 2, -0]), 'c');
    const i = b.constant(Tensor.fromNumbers('i64', [2], [1, -1]), 'i');
    g.outputs = [c, i];
    const hexText = printGraph(g, { hexAbove: 2 });
    expect(hexText).toBe([
      'graph big() {',
      '  %c = const f32[3] dense<hex:0000803f0000004000000080>',
      '  %i = const i64[2] [1, -1]',
      '  return %c, %i',
      '}',
      '',
    ].join('\n'));
    expect(list(materialize(parseGraph(hexText).constants[0]!.constant!).data)).toEqual([1, 2, -0]);
    expect(Object.is(materialize(parseGraph(hexText).constants[0]!.constant!).data[2], -0)).toBe(true);

    const elided = printGraph(g, { elideLargeConstants: 2 });
    expect(elided).toContain('  %c = const f32[3] dense<elided>\n  %i = const i64[2] [1, -1]\n');
    expect(parseError(elided)).toBe(
      'error XFC0090: IR text 2:21: constant data is elided; the text cannot be rebuilt (print without elideLargeConstants)');
    expect(list(materialize(parseGraph(elided, { allowElided: true }).constants[0]!.constant!).data)).toEqual([0, 0, 0]);
  });

  it('prints every attribute kind, marking floats', () => {
    const text = [
      'graph attrs(%x: f32[2]) {',
      '  %y: f32[2] = xfc.test::AttrProbe(%x) {i = -3, f = 1e-7, s = "a \\"quoted\\" string", is = [9223372036854775808, -1], fs = [1.0, 0.5, -0.0, inf, nan], ss = ["a", ""], t = tensor<i64[2] [1, -9223372036854775808]>} @"probe"',
      '  %z: f32[2] = xfc.test::AttrProbe(%y) {i = 5, f = 2.0, is = [], t = tensor<f16[] [0.5]>} @"probe2"',
      '  return %z',
      '}',
      '',
    ].join('\n');
    const g = roundTrip(text);
    const a = g.nodes[0]!.attrs;
    expect(a.i).toBe(-3);
    expect(a.f).toBe(1e-7);
    expect(a.s).toBe('a "quoted" string');
    expect(a.is).toEqual([2 ** 63, -1]);
    expect(a.fs).toEqual([1, Math.fround(0.5), -0, Infinity, NaN]);
    expect(a.ss).toEqual(['a', '']);
    expect(list((a.t as Tensor).data)).toEqual([1n, -(2n ** 63n)]);
  });

  it('formats float attributes as exact f64 or shorter f32 text', () => {
    expect(formatFloatAttr(1)).toBe('1.0');
    expect(formatFloatAttr(-0)).toBe('-0.0');
    expect(formatFloatAttr(0.1)).toBe('0.1');
    expect(formatFloatAttr(Math.fround(0.1))).toBe('0.1f');
    expect(formatFloatAttr(Math.fround(1e-5))).toBe('0.00001f');
    expect(formatFloatAttr(1e-5)).toBe('0.00001');
    expect(formatFloatAttr(1e21)).toBe('1e+21');
    expect(formatFloatAttr(NaN)).toBe('nan');
    expect(formatFloatAttr(-Infinity)).toBe('-inf');
    expect(formatF32(Math.fround(1 / 3))).toBe('0.33333334');
    for (const x of [Math.PI, 1 / 3, 2 ** -1074, Number.MAX_VALUE, Math.fround(Math.E), 123456789.123]) {
      const g = parseGraph(`graph g(%x: f32[1]) {\n  %y: f32[1] = LeakyRelu(%x) {alpha = ${formatFloatAttr(x)}}\n  return %y\n}\n`);
      expect(g.nodes[0]!.attrs.alpha).toBe(x);
    }
  });

  it('prints symbolic dims canonically and accepts any spelling', () => {
    const g = parseGraph('graph g(%x: f32[seq*batch, 3 ]) {\n  %y: f32[batch*seq, 3] = Relu(%x) @"r"\n  return %y\n}\n');
    expect(printGraph(g)).toBe('graph g(%x: f32[batch*seq, 3]) {\n  %y: f32[batch*seq, 3] = Relu(%x) @"r"\n  return %y\n}\n');
    roundTrip('graph g(%x: f32[seq+1, 2*batch-1]) {\n  %y: f32[seq+1, 2*batch-1] = Relu(%x) @"r"\n  return %y\n}\n');
  });

  it('binds dims the type rule invents to the ones the text names', () => {
    const text = [
      'graph g(%x: f32[4]) {',
      '  %y: f32[n_7] = xfc.test::FreshProbe(%x) @"fresh"',
      '  %z: f32[n_7] = Relu(%y) @"relu"',
      '  return %z',
      '}',
      '',
    ].join('\n');
    const g = roundTrip(text);
    expect(g.outputs[0]!.type.shape).toEqual(['n_7']);
    // Untyped results keep the invented name.
    const u = parseGraph('graph g(%x: f32[4]) {\n  %y = xfc.test::FreshProbe(%x)\n  return %y\n}\n');
    expect(u.outputs[0]!.type.shape).toEqual(['n_0']);
  });

  it('accepts comments, untyped results and generated node names', () => {
    const g = parseGraph([
      '// a comment',
      'graph g(%x: f32[2]) { // trailing',
      '  %y = Relu(%x)',
      '  return %y',
      '}',
    ].join('\n'));
    expect(g.nodes[0]!.name).toBe('Relu_0');
    expect(printGraph(g)).toBe('graph g(%x: f32[2]) {\n  %y: f32[2] = Relu(%x) @"Relu_0"\n  return %y\n}\n');
  });
});

describe('errors name the line and column', () => {
  const cases: [string, string, string][] = [
    ['a syntax error', 'graph g(%x: f32[2]) {\n  %y = Relu(%x\n  return %y\n}', "IR text 3:3: expected ',' or ')', found 'return'"],
    ['an unknown op', 'graph g(%x: f32[2]) {\n  %y = Frob(%x)\n  return %y\n}', "IR text 2:8: unknown op 'Frob'"],
    ['an undefined value', 'graph g(%x: f32[2]) {\n  %y = Relu(%q)\n  return %y\n}', 'IR text 2:13: undefined value %q'],
    ['a use before definition', 'graph g(%x: f32[2]) {\n  %y = Relu(%z)\n  %z = Relu(%x)\n  return %y\n}', 'IR text 2:13: undefined value %z'],
    ['a value defined twice', 'graph g(%x: f32[2]) {\n  %x = Relu(%x)\n  return %x\n}', 'IR text 2:3: value %x is defined twice'],
    ['a wrong written type', 'graph g(%x: f32[2, 3]) {\n  %y: f32[3, 2] = Relu(%x)\n  return %y\n}',
      'IR text 2:3: %y is written as f32[3, 2], but Relu infers f32[2, 3]'],
    ['a failing type rule', 'graph g(%x: f32[2, 3], %w: f32[4]) {\n  %y = Add(%x, %w) @"add"\n  return %y\n}', "IR text 2:8: Add node 'add': "],
    ['an unknown attribute', 'graph g(%x: f32[2]) {\n  %y = Relu(%x) {colour = 1} @"r"\n  return %y\n}', "IR text 2:8: Relu node 'r': unknown attribute 'colour'"],
    ['an int attribute written as a float', 'graph g(%x: f32[2]) {\n  %y = Softmax(%x) {axis = 0.0}\n  return %y\n}',
      "IR text 2:21: attribute 'axis' of Softmax is int, but is written as a float"],
    ['too many elements', 'graph g() {\n  %c = const f32[2] [1, 2, 3]\n  return %c\n}', 'IR text 2:28: f32[2] holds 2 elements, the list has more'],
    ['too few elements', 'graph g() {\n  %c = const f32[2] [1]\n  return %c\n}', 'IR text 2:21: f32[2] holds 2 elements, the list has 1'],
    ['an out-of-range integer', 'graph g() {\n  %c = const i8[1] [128]\n  return %c\n}', 'IR text 2:21: 128 is out of the range of i8'],
    ['a fraction in integer data', 'graph g() {\n  %c = const i32[1] [1.5]\n  return %c\n}', "IR text 2:22: i32 data must be integers, got '1.5'"],
    ['an unknown dtype', 'graph g(%x: f33[2]) {\n  return %x\n}', "IR text 1:13: expected an element type (f32, i64, ...), found 'f33'"],
    ['an invalid dim', 'graph g(%x: f32[a+/b]) {\n  return %x\n}', "IR text 1:17: invalid dimension 'a+/b'"],
    ['a symbolic constant shape', 'graph g() {\n  %c = const f32[n] [1]\n  return %c\n}', 'IR text 2:14: constant data needs a static shape, got f32[n]'],
    ['a missing return', 'graph g(%x: f32[2]) {\n}', "IR text 2:1: expected a statement or 'return', found '}'"],
    ['text after the graph', 'graph g(%x: f32[2]) {\n  return %x\n}\nextra', "IR text 4:1: unexpected text after the graph: 'extra'"],
    ['wrong hex length', 'graph g() {\n  %c = const f32[1] dense<hex:0000>\n  return %c\n}', 'IR text 2:21: hex data of f32[1] needs 4 bytes, got 2'],
  ];
  it.each(cases)('%s', (_, text, expected) => {
    const got = parseError(text);
    expect(got.startsWith(`error XFC0090: ${expected}`), got).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Random graphs: print -> parse -> print is identical, the graphs are equivalent, and they compute the same.

type Gen = { b: GraphBuilder; r: () => number; pool: Value[] };

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const SPECIAL_F32 = [0, -0, 1, -1, 0.1, 1e-45, -1e-40, 3.4e38, NaN, Infinity, -Infinity, 2.5, 1e-8];
const ALPHAS = [0.1, Math.fround(0.1), 2.5, 1e-7, -0, 1 / 3, Math.fround(1 / 3), 1e300];

function randomF32(r: () => number, shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return Tensor.fromNumbers('f32', shape, Array.from({ length: n }, () => (r() < 0.2 ? pick(r, SPECIAL_F32) : r() * 4 - 2)));
}

/** One random step; returns false when the op does not exist or rejects the combination. */
const steps: ((g: Gen) => Value[])[] = [
  ({ b, r, pool }) => b.add(pick(r, ['Relu', 'Neg', 'Abs', 'Sigmoid', 'Tanh', 'Identity']), [pick(r, pool)]),
  ({ b, r, pool }) => b.add(pick(r, ['LeakyRelu', 'Elu']), [pick(r, pool)], { alpha: pick(r, ALPHAS) }),
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    const last = x.type.shape[x.type.shape.length - 1]!;
    const other = r() < 0.5 ? x : b.constant(randomF32(r, [typeof last === 'number' ? last : 1]));
    return b.add(pick(r, ['Add', 'Sub', 'Mul', 'Div', 'Max']), r() < 0.5 ? [x, other] : [other, x]);
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    const rank = x.type.shape.length;
    return b.add(pick(r, ['Softmax', 'LogSoftmax']), [x], { axis: int(r, -rank, rank - 1) });
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    const perm = [...x.type.shape.keys()].sort(() => r() - 0.5);
    return b.add('Transpose', [x], { perm });
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    return b.add('Concat', [x, x], { axis: int(r, -x.type.shape.length, x.type.shape.length - 1) });
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    const axes = [...x.type.shape.keys()].filter((i) => typeof x.type.shape[i] === 'number' && (x.type.shape[i] as number) >= 2);
    if (axes.length === 0) return [];
    const axis = pick(r, axes);
    const n = x.type.shape[axis] as number;
    const first = int(r, 1, n - 1);
    return b.add('Split', [x], { axis, split: [first, n - first] }, { numOutputs: 2 });
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    const axes = [...x.type.shape.keys()].filter(() => r() < 0.5);
    return b.add(pick(r, ['ReduceSum', 'ReduceMean', 'ReduceMax']), [x], { axes: axes.length ? axes : [0], keepdims: int(r, 0, 1) });
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    const hi = b.constant(Tensor.scalar('f32', pick(r, [0.5, 1, 6])));
    return b.add('Clip', [x, undefined, hi]);
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    if (x.type.shape.length < 2) return [];
    return b.add('Reshape', [x, b.constant(Tensor.fromNumbers('i64', [2], [0, -1]))]);
  },
  ({ b, r, pool }) => {
    const x = pick(r, pool);
    const k = x.type.shape[x.type.shape.length - 1]!;
    if (typeof k !== 'number') return [];
    return b.add('MatMul', [x, b.constant(randomF32(r, [k, int(r, 1, 3)]))]);
  },
  ({ b, r, pool }) => b.add('Dropout', [pick(r, pool)], {}, { numOutputs: 2 }).slice(0, 1),
];

/** A random graph over f32 inputs with symbolic dims, and feeds for it. */
function randomGraph(seed: number): { graph: Graph; feeds: Record<string, Tensor>; built: number } {
  const r = rng(seed);
  const graph = new Graph(`random_${seed >>> 0}`);
  const b = new GraphBuilder(graph, { fold: false });
  const sizes: Record<string, number> = { batch: int(r, 1, 3), seq: int(r, 1, 4) };
  const shape: Dim[] = Array.from({ length: int(r, 1, 3) }, () => pick(r, ['batch', 'seq', 2, 3, 4] as Dim[]));
  const pool = [graph.addInput('x', { dtype: 'f32', shape })];
  const concrete = shape.map((d) => (typeof d === 'number' ? d : sizes[d]!));
  const feeds = { x: randomF32(r, concrete) };
  let built = 0;
  for (let i = int(r, 2, 7); i > 0; i--) {
    const step = pick(r, steps);
    try {
      const out = step({ b, r, pool });
      pool.push(...out);
      built += out.length > 0 ? 1 : 0;
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
    }
  }
  graph.outputs = [pool[pool.length - 1]!, ...(r() < 0.5 ? [pick(r, pool)] : [])];
  return { graph, feeds, built };
}

/** Extra constants with awkward values for every dtype. */
const extraConstants = fc.record({
  f32: fc.array(fc.float(), { maxLength: 80 }),
  f64: fc.array(fc.double(), { maxLength: 6 }),
  f16: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }),
  bf16: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }),
  i64: fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 6 }),
  u64: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { maxLength: 3 }),
  i8: fc.array(fc.integer({ min: -128, max: 127 }), { maxLength: 4 }),
  u32: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 4 }),
  bool: fc.array(fc.boolean(), { maxLength: 4 }),
});

function addExtraConstants(graph: Graph, extra: Record<string, unknown[]>): void {
  for (const [dtype, values] of Object.entries(extra)) {
    const t = Tensor.zeros(dtype as DType, [values.length]);
    values.forEach((v, i) => {
      t.data[i] = typeof v === 'boolean' ? (v ? 1 : 0) : (v as never);
    });
    graph.addConstant(`extra_${dtype}`, t);
  }
}

/** Same element at every index: bit-equal, except that any NaN equals any NaN. */
function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  const fa = a.toFloat64();
  const fb = b.toFloat64();
  for (let i = 0; i < a.size; i++) {
    const same = a.data[i] === b.data[i] || Object.is(fa[i], fb[i]);
    if (!same && !(Number.isNaN(fa[i]) && Number.isNaN(fb[i]))) return false;
  }
  return true;
}

function sameAttr(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (a instanceof Tensor || b instanceof Tensor) return a instanceof Tensor && b instanceof Tensor && sameTensor(a, b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

function expectEquivalent(a: Graph, b: Graph): void {
  const sig = (v: Value | undefined) => v && `${v.name}:${v.type.dtype}`;
  expect(b.name).toBe(a.name);
  expect(b.inputs.map(sig)).toEqual(a.inputs.map(sig));
  expect(b.outputs.map(sig)).toEqual(a.outputs.map(sig));
  expect(b.constants.map(sig)).toEqual(a.constants.map(sig));
  a.constants.forEach((c, i) => expect(sameTensor(materialize(c.constant!), materialize(b.constants[i]!.constant!))).toBe(true));
  expect(b.nodes.length).toBe(a.nodes.length);
  a.nodes.forEach((n, i) => {
    const m = b.nodes[i]!;
    expect([m.op, m.name]).toEqual([n.op, n.name]);
    expect(m.inputs.map(sig)).toEqual(n.inputs.map(sig));
    expect(m.outputs.map(sig)).toEqual(n.outputs.map(sig));
    n.outputs.forEach((v, k) => expect(shapesEqual(m.outputs[k]!.type.shape, v.type.shape)).toBe(true));
    const keys = new Set([...Object.keys(n.attrs), ...Object.keys(m.attrs)]);
    for (const k of keys) expect(sameAttr(m.attrs[k], n.attrs[k]), `${n.name}.${k}`).toBe(true);
  });
}

function run(graph: Graph, feeds: Record<string, Tensor>): Record<string, Tensor> | string {
  try {
    return interpret(graph, feeds);
  } catch (e) {
    if (e instanceof CompileError) return e.message;
    throw e;
  }
}

describe('random graphs', () => {
  it('print -> parse -> print is identical, and both graphs compute the same (property)', () => {
    let built = 0;
    fc.assert(fc.property(fc.integer(), extraConstants, (seed, extra) => {
      const { graph, feeds, built: n } = randomGraph(seed);
      built += n;
      addExtraConstants(graph, extra);
      expect(verifyGraph(graph)).toEqual([]);
      const text = printGraph(graph);
      const parsed = parseGraph(text);
      expect(printGraph(parsed)).toBe(text);
      expect(verifyGraph(parsed)).toEqual([]);
      expectEquivalent(graph, parsed);
      const want = run(graph, feeds);
      const got = run(parsed, feeds);
      if (typeof want === 'string') expect(got).toBe(want);
      else for (const [k, t] of Object.entries(want)) expect(sameTensor((got as Record<string, Tensor>)[k]!, t), k).toBe(true);
    }), { numRuns: 80 });
    // The generator must actually build nodes with the ops present.
    expect(built).toBeGreaterThan(50);
  });

  it('uses ops that exist', () => {
    expect(getOp('Relu')).toBeDefined();
  });
});

describe('an imported model', () => {
  it('tiny-bert prints, parses back to the same text, verifies and computes the same', async () => {
    const { importOnnxFile } = await import('../../compiler/onnx/import.js');
    const { graph } = importOnnxFile('examples/tiny-bert.onnx');
    const text = printGraph(graph);
    const parsed = parseGraph(text);
    expect(printGraph(parsed)).toBe(text);
    expect(verifyGraph(graph)).toEqual([]);
    expect(verifyGraph(parsed)).toEqual([]);
    expectEquivalent(graph, parsed);
    const r = rng(7);
    const feeds: Record<string, Tensor> = {};
    for (const v of graph.inputs) {
      const shape = v.type.shape.map((d) => (typeof d === 'number' ? d : d === 'batch' ? 2 : 5));
      const n = shape.reduce((a, d) => a * d, 1);
      feeds[v.name] = Tensor.fromNumbers(v.type.dtype, shape, Array.from({ length: n }, () => (v.name.includes('mask') ? 1 : int(r, 0, 99))));
    }
    const want = run(graph, feeds);
    expect(typeof want).not.toBe('string');
    const got = run(parsed, feeds) as Record<string, Tensor>;
    for (const [k, t] of Object.entries(want)) expect(sameTensor(got[k]!, t), k).toBe(true);
  });
});
