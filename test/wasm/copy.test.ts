// The data-movement, logic and generator kernels against the reference interpreter (exact results).

import { describe, expect, it } from 'vitest';
import type { DType } from '../../compiler/ir/dtype.js';
import type { Dim } from '../../compiler/ir/dim.js';
import type { Attrs } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor, t } from '../helpers.js';
import { parseGraph } from '../../compiler/ir/parse.js';
import { interpret } from '../../compiler/interpreter.js';
import { type OpInput, runWasmGraph, runWasmOp } from './harness.js';

/** Same dtype, shape and bytes as the reference, for every result. */
function expectExact(r: { wasm: Tensor[]; ref: Tensor[] }): void {
  expect(r.wasm.length).toBe(r.ref.length);
  r.wasm.forEach((w, k) => {
    const ref = r.ref[k]!;
    expect(w.dtype, `result ${k} dtype`).toBe(ref.dtype);
    expect(w.shape, `result ${k} shape`).toEqual(ref.shape);
    expect(Array.from(w.bytes()), `result ${k} bytes`).toEqual(Array.from(ref.bytes()));
  });
}

async function check(op: string, inputs: OpInput[], attrs: Attrs = {}, options: { numOutputs?: number; symbolic?: (Dim[] | undefined)[] } = {}) {
  const symbolicInputs = options.symbolic?.map((shape, i) => {
    const x = inputs[i];
    return shape && x instanceof Tensor ? { dtype: x.dtype, shape } : undefined;
  });
  const r = await runWasmOp(op, inputs, attrs, { numOutputs: options.numOutputs, symbolicInputs });
  expectExact(r);
  return r;
}

const rand = (dtype: DType, shape: number[], seed = 1, lo = -1, hi = 1) => randomTensor(dtype, shape, seed, lo, hi);
const bools = (shape: number[], seed = 3) => randomTensor('bool', shape, seed, 0, 2);

describe('Identity (graph outputs that are inputs or constants)', () => {
  it('copies an input and a constant', async () => {
    await check('Identity', [rand('f32', [3, 5])], {}, { symbolic: [['batch', 5]] });
    await check('Identity', [{ constant: rand('i64', [7], 2, -9, 9) }]);
  });
});

describe('Transpose', () => {
  it.each([
    { shape: [2, 5, 3, 7], perm: [0, 2, 1, 3] }, // attention head split [b,s,h,d] -> [b,h,s,d]
    { shape: [2, 3, 9, 6], perm: [0, 1, 3, 2] }, // K^T: innermost axis moves (4x4 blocks + edges)
    { shape: [8, 12], perm: [1, 0] },
    { shape: [5, 7], perm: [1, 0] },
    { shape: [2, 3, 4], perm: [2, 0, 1] },
    { shape: [1, 3, 1, 5], perm: [3, 2, 1, 0] },
    { shape: [3, 4, 5], perm: undefined }, // default: reversed
  ])('$shape by $perm (f32)', async ({ shape, perm }) => {
    await check('Transpose', [rand('f32', shape)], perm ? { perm } : {});
  });

  it('moves other dtypes (i64, bool, u8, f16 bits)', async () => {
    await check('Transpose', [rand('i64', [3, 5, 2], 1, -100, 100)], { perm: [2, 0, 1] });
    await check('Transpose', [bools([4, 7])], { perm: [1, 0] });
    await check('Transpose', [rand('u8', [5, 3], 1, 0, 255)], { perm: [1, 0] });
    await check('Transpose', [rand('f16', [3, 6, 2])], { perm: [1, 2, 0] });
  });

  it('with symbolic dims at several values', async () => {
    for (const [b, s] of [[1, 1], [2, 5], [3, 17]] as const) {
      await check('Transpose', [rand('f32', [b, s, 4, 8], s)], { perm: [0, 2, 1, 3] }, { symbolic: [['batch', 'seq', 4, 8]] });
      await check('Transpose', [rand('f32', [b, 4, s, 8], s)], { perm: [0, 1, 3, 2] }, { symbolic: [['batch', 4, 'seq', 8]] });
    }
  });
});

describe('Slice', () => {
  const i64 = (v: number[]) => ({ constant: t('i64', [v.length], v) });
  it('static windows, negative bounds, steps, sentinels', async () => {
    const x = rand('f32', [6, 7, 5]);
    await check('Slice', [x, i64([1, 2]), i64([5, -1])]);
    await check('Slice', [x, i64([-3]), i64([1000]), i64([-1])]);
    await check('Slice', [x, i64([0, 6]), i64([7, 0]), i64([0, 1]), i64([2, -1])]);
    await check('Slice', [x, i64([5, -1]), i64([-1000, 0]), i64([0, 2]), i64([-2, -2])]);
    await check('Slice', [x, i64([2]), i64([2]), i64([0])]); // empty
    await check('Slice', [rand('i64', [9], 1, -50, 50), i64([1]), i64([2 ** 62])]);
  });

  it('symbolic dims: x[:, 1:], x[:, :-1], to-the-end sentinels, at several values', async () => {
    for (const s of [2, 5, 9]) {
      const x = rand('f32', [2, s, 3], s);
      const sym = { symbolic: [[2, 'seq', 3]] as Dim[][] };
      await check('Slice', [x, i64([1]), i64([2 ** 63 - 1]), i64([1])], {}, sym);
      await check('Slice', [x, i64([0]), i64([-1]), i64([1])], {}, sym);
      await check('Slice', [x, i64([-1]), i64([-(2 ** 63)]), i64([1]), i64([-1])], {}, sym);
    }
  });
});

describe('Concat and Split', () => {
  it('concatenates along every axis (negative too), mixed sizes and dtypes', async () => {
    const a = rand('f32', [2, 3, 5], 1);
    const b = rand('f32', [2, 4, 5], 2);
    await check('Concat', [a, b], { axis: 1 });
    await check('Concat', [a, rand('f32', [2, 3, 1], 3), a], { axis: -1 });
    await check('Concat', [a, rand('f32', [1, 3, 5], 4)], { axis: 0 });
    await check('Concat', [rand('i64', [3], 1, -5, 5), { constant: t('i64', [2], [7, -8]) }], { axis: 0 });
  });

  it('concatenates with a symbolic axis', async () => {
    for (const s of [1, 4, 7]) {
      await check('Concat', [rand('f32', [1, 5], 9), rand('f32', [s, 5], s)], { axis: 0 }, { symbolic: [undefined, ['seq', 5]] });
    }
  });

  it('splits into equal, explicit and symbolic parts', async () => {
    const x = rand('f32', [4, 9, 3]);
    await check('Split', [x], { axis: 1 }, { numOutputs: 3 });
    await check('Split', [x], { axis: -1, split: [1, 2] }, { numOutputs: 2 });
    await check('Split', [x], { axis: 0, split: [3, 0, 1] }, { numOutputs: 3 });
    for (const s of [1, 3]) {
      await check('Split', [rand('f32', [s, 2, 12], s)], { axis: 2 }, { numOutputs: 3, symbolic: [['seq', 2, 12]] }); // GPT-2's fused QKV
    }
  });
});

describe('Expand and Tile', () => {
  it('expands with broadcasting (new leading dims, 1s stretched, inner splats)', async () => {
    const shape = (v: number[]) => ({ constant: t('i64', [v.length], v) });
    await check('Expand', [rand('f32', [3, 1]), shape([2, 3, 6])]);
    await check('Expand', [rand('f32', [1, 5]), shape([4, 1])]);
    await check('Expand', [rand('i64', [1], 1, -9, 9), shape([7])]);
    await check('Expand', [bools([1, 1, 3]), shape([2, 5, 3])]);
    await check('Expand', [rand('f32', [2, 1, 1]), shape([2, 3, 37])]);
  });

  it('tiles', async () => {
    const reps = (v: number[]) => ({ constant: t('i64', [v.length], v) });
    await check('Tile', [rand('f32', [2, 3]), reps([2, 3])]);
    await check('Tile', [rand('i64', [3, 1, 2], 1, -9, 9), reps([1, 4, 2])]);
    for (const s of [1, 3]) await check('Tile', [rand('f32', [s, 5], s), reps([3, 1])], {}, { symbolic: [['seq', 5]] });
  });
});

describe('Gather and GatherElements', () => {
  it('looks up embedding rows with i64 and i32 indices (negative too)', async () => {
    const table = { constant: rand('f32', [11, 6]) };
    await check('Gather', [table, t('i64', [2, 3], [0, 10, -1, 4, -11, 5])]);
    await check('Gather', [table, t('i32', [4], [3, 3, -2, 0])]);
    for (const [b, s] of [[1, 1], [2, 7]]) {
      const ids = randomTensor('i64', [b!, s!], s, 0, 11);
      await check('Gather', [table, ids], {}, { symbolic: [undefined, ['batch', 'seq']] });
    }
  });

  it('gathers along inner axes and scalars', async () => {
    const x = rand('f32', [3, 5, 4]);
    await check('Gather', [x, t('i64', [2], [4, -5])], { axis: 1 });
    await check('Gather', [x, t('i64', [], [-1])], { axis: -1 });
    await check('Gather', [rand('i64', [4], 1, -9, 9), { constant: t('i64', [], [2]) }]);
  });

  it('GatherElements', async () => {
    const x = rand('f32', [3, 4, 2]);
    await check('GatherElements', [x, randomTensor('i64', [3, 2, 2], 5, -4, 4)], { axis: 1 });
    await check('GatherElements', [x, randomTensor('i32', [2, 4, 2], 6, -3, 3)], { axis: 0 });
  });
});

describe('Where', () => {
  it('selects f32 with broadcasting (vector rows and tails) and other dtypes', async () => {
    await check('Where', [bools([3, 7]), rand('f32', [3, 7], 1), rand('f32', [3, 7], 2)]);
    await check('Where', [bools([1, 1, 5, 5]), rand('f32', [2, 3, 5, 5], 1), { constant: t('f32', [], [-3.4e38]) }]); // GPT-2's causal mask
    await check('Where', [bools([2, 1, 1, 9]), rand('f32', [2, 4, 3, 9], 1), rand('f32', [9], 2)]);
    await check('Where', [bools([4, 1]), { constant: t('f32', [], [1.5]) }, rand('f32', [1, 6])]);
    await check('Where', [bools([6]), rand('i64', [6], 1, -9, 9), { constant: t('i64', [1], [-1]) }]);
    await check('Where', [bools([5]), bools([5], 7), bools([1], 8)]);
    await check('Where', [bools([2, 3]), rand('f16', [2, 3]), rand('f16', [1, 3], 4)]);
  });

  it('with symbolic dims', async () => {
    for (const s of [1, 6]) {
      await check('Where', [bools([1, 1, s, s], s), rand('f32', [2, 2, s, s], s), { constant: t('f32', [], [-1e9]) }], {},
        { symbolic: [[1, 1, 'seq', 'seq'], ['batch', 2, 'seq', 'seq']] });
    }
  });
});

describe('comparisons and logic', () => {
  it.each(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual'])('%s on f32, i64, i32, u8 with broadcasting', async (op) => {
    const a = t('f32', [2, 3], [1, -2, 3.5, NaN, 0, -0]);
    await check(op, [a, t('f32', [3], [1, 3.5, 0])]);
    await check(op, [rand('i64', [4, 5], 1, -3, 3), rand('i64', [5], 2, -3, 3)]);
    await check(op, [rand('i32', [7], 1, -3, 3), { constant: t('i32', [], [0]) }]);
    await check(op, [rand('u8', [2, 4], 1, 0, 255), rand('u8', [2, 1], 2, 0, 255)]);
    await check(op, [t('u32', [3], [0, 2 ** 31 + 5, 7]), t('u32', [3], [2 ** 31, 1, 7])]);
  });

  it('Equal on bools and the logic ops', async () => {
    await check('Equal', [bools([3, 4]), bools([4], 9)]);
    for (const op of ['And', 'Or', 'Xor']) await check(op, [bools([2, 5], 1), bools([2, 1], 2)]);
    await check('Not', [bools([9])]);
    for (const s of [1, 4]) await check('And', [bools([2, s], s), bools([1, s], s + 1)], {}, { symbolic: [[2, 'seq'], [1, 'seq']] });
  });
});

describe('Cast', () => {
  const TO = { f32: 1, u8: 2, i8: 3, u16: 4, i16: 5, i32: 6, i64: 7, bool: 9, f64: 11, u32: 12, u64: 13 } as const;
  const values = [0, 1, -1, 2.5, -2.5, 3.7, -3.7, 127.9, 128, 255, 256, -129, 40000, -40000, 1e10, -1e10, NaN, Infinity, -Infinity, 0.3];
  it.each(Object.keys(TO) as (keyof typeof TO)[])('f32 -> %s (truncation, wrapping, saturation, NaN, infinities)', async (to) => {
    await check('Cast', [t('f32', [values.length], values)], { to: TO[to] });
  });

  it.each(['i64', 'i32', 'u8', 'i8', 'bool', 'f64', 'u32', 'u64', 'i16'] as const)('%s -> every dtype', async (from) => {
    const src = from === 'bool' ? bools([11]) : t(from, [8], from.startsWith('u') ? [0, 1, 2, 200, 255, 7, 3, 100] : [0, 1, -1, 2, -128, 127, 100, -100]);
    for (const to of Object.keys(TO) as (keyof typeof TO)[]) await check('Cast', [src], { to: TO[to] });
  });

  it('i64 beyond 32 bits, and CastLike', async () => {
    await check('Cast', [t('i64', [4], [2 ** 40 + 3, -(2 ** 40) - 1, 2 ** 31, -(2 ** 31) - 1])], { to: TO.i32 });
    await check('Cast', [t('i64', [2], [2 ** 40 + 3, -(2 ** 40)])], { to: TO.f32 });
    await check('CastLike', [rand('f32', [2, 3], 1, -100, 100), { constant: t('i64', [1], [0]) }]);
  });

  it('with symbolic dims', async () => {
    for (const s of [1, 5]) await check('Cast', [bools([2, s], s)], { to: TO.f32 }, { symbolic: [['batch', 'seq']] });
  });
});

describe('generators', () => {
  it('Range on integers and floats, known and loaded operands', async () => {
    const sc = (dtype: DType, v: number) => ({ constant: t(dtype, [], [v]) });
    const r1 = await check('Range', [sc('i64', 2), sc('i64', 11), sc('i64', 3)]);
    expect(r1.ref[0]!.toNumbers()).toEqual([2, 5, 8]);
    await check('Range', [sc('i32', 10), sc('i32', -3), sc('i32', -4)]);
    await check('Range', [sc('f32', 0.5), sc('f32', 3.1), sc('f32', 0.3)]);
    await check('Range', [sc('f64', -1), sc('f64', 1), sc('f64', 0.25)]);
  });

  it('ConstantOfShape with zero, byte-repeating and general values', async () => {
    const shape = (v: number[]) => ({ constant: t('i64', [v.length], v) });
    await check('ConstantOfShape', [shape([3, 5])]);
    await check('ConstantOfShape', [shape([7])], { value: t('f32', [1], [1.5]) });
    await check('ConstantOfShape', [shape([2, 3])], { value: t('i64', [1], [-7]) });
    await check('ConstantOfShape', [shape([2, 9])], { value: t('i64', [1], [2 ** 40 + 1]) });
    await check('ConstantOfShape', [shape([5])], { value: t('bool', [1], [1]) });
    await check('ConstantOfShape', [shape([3])], { value: t('i32', [1], [-1]) });
  });

  it('Shape and Size of symbolic inputs, EyeLike, Dropout with a mask', async () => {
    for (const [b, s] of [[1, 1], [3, 8]]) {
      const x = rand('f32', [b!, s!, 4], s);
      await check('Shape', [x], {}, { symbolic: [['batch', 'seq', 4]] });
      await check('Shape', [x], { start: 1, end: -1 }, { symbolic: [['batch', 'seq', 4]] });
      await check('Size', [x], {}, { symbolic: [['batch', 'seq', 4]] });
    }
    await check('EyeLike', [rand('f32', [3, 5])], { k: 1 });
    await check('EyeLike', [rand('f32', [4, 3])], { k: -2, dtype: 7 });
    await check('Dropout', [rand('f32', [3, 5])], {}, { numOutputs: 2 });
  });
});

describe('Pad and Trilu', () => {
  const i64 = (v: number[]) => ({ constant: t('i64', [v.length], v) });
  it.each(['constant', 'edge', 'reflect', 'wrap'])('Pad mode %s (positive and negative pads, listed axes)', async (mode) => {
    const x = rand('f32', [3, 4, 5]);
    await check('Pad', [x, i64([1, 0, 2, 2, 3, 1])], { mode });
    await check('Pad', [x, i64([0, -1, 1, 1, 2, -2])], { mode });
    await check('Pad', [x, i64([2, 3]), null, i64([-1])], { mode });
    await check('Pad', [rand('i64', [2, 3], 1, -9, 9), i64([1, 5, 2, 4])], { mode }); // reflect beyond len - 1
    await check('Pad', [rand('f32', [1, 3, 1]), i64([0, 0, 1, 0, 1, 0])], { mode }); // axes of size 1 (timm's reflect pad at batch 1)
  });

  it('Pad with a constant value operand, the value attribute, and symbolic dims', async () => {
    await check('Pad', [rand('f32', [2, 3]), i64([1, 1, 1, 1]), { constant: t('f32', [], [7.5]) }]);
    await check('Pad', [rand('f32', [2, 3]), i64([0, 2, 0, 1]), rand('f32', [1], 4)]);
    await check('Pad', [rand('i32', [2, 3], 1, -9, 9)], { pads: [1, 0, 0, 2], value: -3 });
    for (const s of [1, 5]) {
      await check('Pad', [rand('f32', [2, s], s), i64([0, 1, 0, 3])], {}, { symbolic: [[2, 'seq']] });
      await check('Pad', [rand('f32', [2, s], s), i64([0, 1, 0, 3])], { mode: 'edge' }, { symbolic: [[2, 'seq']] });
    }
  });

  it('Trilu upper and lower with k, batched, with a k operand', async () => {
    for (const upper of [0, 1]) {
      for (const k of [-2, 0, 1, 7]) await check('Trilu', [rand('f32', [2, 4, 5])], { upper, k });
      await check('Trilu', [rand('i64', [3, 3], 1, -9, 9), { constant: t('i64', [], [1]) }], { upper });
      await check('Trilu', [rand('f32', [4, 3]), t('i64', [], [-1])], { upper });
    }
    for (const s of [1, 6]) await check('Trilu', [rand('f32', [1, s, s], s)], { upper: 0 }, { symbolic: [[1, 'seq', 'seq']] });
  });
});

describe('ScatterND and ScatterElements', () => {
  it.each(['none', 'add', 'mul', 'max', 'min'])('ScatterND reduction %s', async (reduction) => {
    const data = rand('f32', [4, 3, 2]);
    await check('ScatterND', [data, t('i64', [2, 1], [3, -4]), rand('f32', [2, 3, 2], 2)], { reduction });
    await check('ScatterND', [data, t('i32', [3, 2], [0, 1, 3, 2, 1, -1]), rand('f32', [3, 2], 3)], { reduction });
    await check('ScatterND', [rand('i64', [5], 1, -9, 9), t('i64', [2, 1], [4, 0]), rand('i64', [2], 2, -9, 9)], { reduction });
  });

  it('ScatterND writes later duplicates last; bool data (mask[:, a:] = x)', async () => {
    await check('ScatterND', [rand('f32', [3, 2]), t('i64', [3, 1], [1, 1, 2]), rand('f32', [3, 2], 5)]);
    await check('ScatterND', [bools([3, 4]), t('i64', [2, 2], [0, 3, 2, 1]), bools([2], 6)]);
  });

  it.each(['none', 'add', 'mul', 'max', 'min'])('ScatterElements reduction %s', async (reduction) => {
    const data = rand('f32', [3, 4]);
    await check('ScatterElements', [data, t('i64', [2, 3], [1, 0, 3, -1, 2, 0]), rand('f32', [2, 3], 2)], { axis: 1, reduction });
    await check('ScatterElements', [data, t('i32', [2, 4], [0, 1, 2, 0, 2, 2, 1, 1]), rand('f32', [2, 4], 3)], { axis: 0, reduction });
    await check('ScatterElements', [rand('i32', [3, 2], 1, -9, 9), t('i64', [1, 2], [2, 0]), rand('i32', [1, 2], 2, -9, 9)], { axis: 0, reduction });
  });
});

describe('shape arithmetic at run time', () => {
  it('arange(seq) in i64 and f32, from symbolic contents, at several lengths', async () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[batch, seq]) {
  %s: i64[2] = Shape(%x)
  %i = const i64[] [1]
  %n: i64[] = Gather(%s, %i)
  %zero = const i64[] [0]
  %one = const i64[] [1]
  %r: i64[seq] = Range(%zero, %n, %one)
  %nf: f32[] = Cast(%n) {to = 1}
  %zf = const f32[] [0.0]
  %half = const f32[] [0.5]
  %rf: f32[2*seq] = Range(%zf, %nf, %half)
  %sz: i64[] = Size(%x)
  return %r, %rf, %s, %sz
}`);
    for (const [b, s] of [[1, 1], [2, 9]] as const) {
      const feeds = { x: rand('f32', [b, s]) };
      const ours = await runWasmGraph(g, feeds);
      const ref = interpret(g, feeds);
      for (const name of ['r', 'rf', 's', 'sz']) expectExact({ wasm: [ours[name]!], ref: [ref[name]!] });
    }
  });
});

describe('CumSum', () => {
  it.each([[0, 0], [1, 0], [0, 1], [1, 1]])('exclusive=%i reverse=%i on f32, i64, i32 along every axis', async (exclusive, reverse) => {
    const x = rand('f32', [3, 4, 5]);
    for (const axis of [0, 1, -1]) await check('CumSum', [x], { axis, exclusive, reverse });
    await check('CumSum', [rand('i64', [2, 7], 1, -50, 50), { constant: t('i64', [], [1]) }], { exclusive, reverse });
    await check('CumSum', [rand('i32', [6, 2], 1, -50, 50)], { axis: 0, exclusive, reverse });
  });

  it('position ids from a mask (RoBERTa, OPT): symbolic lengths', async () => {
    for (const s of [1, 9]) await check('CumSum', [rand('i64', [2, s], s, 0, 2)], { axis: 1 }, { symbolic: [['batch', 'seq']] });
  });
});
