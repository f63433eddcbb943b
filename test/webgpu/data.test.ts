// WebGPU data-movement and generator kernels against the interpreter: copies of every dtype (bool/u8/i8/i16 packed
// into whole words, i64 exact), Pad, Trilu, Tile, Split, Gather(Elements), scatters with duplicate indices, CumSum,
// Range, Shape, ConstantOfShape, EyeLike, Dropout, CastLike; symbolic dims; what the kernels reject.

import { describe, expect, it } from 'vitest';
import { interpret } from '../../compiler/interpreter.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { DType } from '../../compiler/ir/dtype.js';
import { Graph } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor as r, relL2 } from '../helpers.js';
import type { Step, TensorRef } from '../../backends/common/schedule.js';
import { getKernel } from '../../backends/webgpu/kernel.js';
import { compileWebGpu, gpuUnavailable, oneNode, runGpu, shaderMessages } from './gpu.js';

type Inputs = Parameters<typeof oneNode>[1];
type Symbolic = Parameters<typeof oneNode>[3];

/** Runs a graph on the interpreter and the GPU; f32 within 2e-6 relative L2, everything else bit-exact. */
async function compare(graph: Graph, feeds: Record<string, Tensor>): Promise<void> {
  const want = interpret(graph, feeds);
  const c = compileWebGpu(graph);
  expect(await shaderMessages(c)).toEqual([]);
  const got = await runGpu(c, feeds);
  for (const v of graph.outputs) {
    const [w, g] = [want[v.name]!, got[v.name]!];
    expect(g.shape).toEqual(w.shape);
    expect(g.dtype).toBe(w.dtype);
    if (w.dtype === 'f32') expect(relL2(g.toFloat64(), w.toFloat64())).toBeLessThanOrEqual(2e-6);
    else expect(Array.from(g.data as ArrayLike<number | bigint>, String)).toEqual(Array.from(w.data as ArrayLike<number | bigint>, String));
  }
}

const check = (op: string, inputs: Inputs, attrs = {}, symbolic?: Symbolic, numOutputs?: number): Promise<void> => {
  const { graph, feeds } = oneNode(op, inputs, attrs, symbolic, numOutputs);
  return compare(graph, feeds);
};

/** The reason compiling a one-node graph for WebGPU fails with. */
function rejection(op: string, inputs: Inputs, attrs = {}, symbolic?: Symbolic): string {
  try {
    compileWebGpu(oneNode(op, inputs, attrs, symbolic).graph);
  } catch (e) {
    return (e as Error).message;
  }
  return 'compiled';
}

const i64 = (shape: number[], values: number[]): Tensor => Tensor.fromNumbers('i64', shape, values);
const c64 = (values: number[]): { constant: Tensor } => ({ constant: i64([values.length], values) });
const bigI64 = (shape: number[], seed: number): Tensor => {
  const t = r('i64', shape, seed, -1e6, 1e6);
  const d = t.data as BigInt64Array;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! * 0x12345677n + BigInt(i); // beyond 32 bits both ways
  return t;
};
const bools = (shape: number[], seed: number): Tensor => r('bool', shape, seed, 0, 2);

describe.skipIf(gpuUnavailable)('webgpu data movement', () => {
  it('copies of byte-sized dtypes pack whole words: Slice, Transpose, Gather, Concat, Split, Expand (bool, u8, i8, i16)', async () => {
    // The real-model case: a bool mask sliced; odd sizes so that words straddle rows.
    await check('Slice', [bools([3, 11], 1), c64([1, 2]), c64([3, 9]), c64([0, 1])]);
    await check('Slice', [r('u8', [5, 7], 2, 0, 256), c64([-1, 6]), c64([-6, 0]), c64([0, 1]), c64([-2, -3])]);
    await check('Transpose', [r('i8', [3, 5, 7], 3, -128, 128)], { perm: [2, 0, 1] });
    await check('Transpose', [r('i16', [3, 5], 4, -30000, 30000)]);
    await check('Gather', [bools([7, 3], 5), i64([2, 3], [0, 6, -1, 3, -7, 5])], { axis: 0 });
    await check('Concat', [bools([2, 3], 6), bools([2, 5], 7), bools([2, 1], 8)], { axis: -1 });
    await check('Split', [r('i8', [3, 10], 9, -128, 128), c64([3, 1, 6])], { axis: 1 }, undefined, 3);
    await check('Expand', [bools([3, 1], 10), c64([2, 3, 5])]);
  });

  it('exact i64 and f32 copies, negative steps and axes, symbolic dims', async () => {
    await check('Transpose', [bigI64([2, 3, 4], 1)], { perm: [1, 2, 0] });
    await check('Slice', [r('f32', [4, 9], 1), c64([3, -2]), c64([-5, 0]), c64([0, -1]), c64([-1, -3])]);
    await check('Slice', [r('f32', [2, 6, 3], 2), c64([1]), c64([2 ** 40]), c64([1])], {}, [{ dtype: 'f32', shape: ['b', 'seq', 3] }]);
    await check('Slice', [bools([2, 6], 3), c64([-1]), c64([2 ** 40]), c64([-1])], {}, [{ dtype: 'bool', shape: ['b', 'seq'] }]);
    await check('Gather', [bigI64([4, 3, 2], 2), Tensor.fromNumbers('i32', [2], [-1, 1])], { axis: -2 });
    await check('Gather', [r('f32', [5, 3], 3), i64([], [-2])], { axis: 0 });
    await check('Concat', [r('f32', [2, 3, 2], 1), { constant: r('f32', [2, 1, 2], 2) }, r('f32', [2, 4, 2], 3)], { axis: 1 },
      [{ dtype: 'f32', shape: ['b', 3, 2] }, undefined, { dtype: 'f32', shape: ['b', 4, 2] }]);
  });

  it('Split: sizes from the operand, the attribute, num_outputs and equal parts; every output', async () => {
    const x = r('f32', [4, 9], 1);
    await check('Split', [x, c64([2, 4, 3])], { axis: -1 }, undefined, 3);
    await check('Split', [x], { axis: 1, split: [5, 4] }, undefined, 2);
    await check('Split', [x], { axis: 1, num_outputs: 4 }, undefined, 4); // 3, 3, 3, 0: the last part is empty
    await check('Split', [bigI64([6, 2], 2)], {}, undefined, 3);
    await check('Split', [r('f32', [2, 8, 3], 3)], { axis: 1 }, [{ dtype: 'f32', shape: ['b', 8, 3] }], 2);
  });

  it('GatherElements and Tile (negative indices, i32/i64 indices, bool and i64 data, symbolic dims)', async () => {
    await check('GatherElements', [r('f32', [3, 4], 1), i64([3, 2], [0, -1, 3, 1, -4, 2])], { axis: 1 });
    await check('GatherElements', [bigI64([3, 2, 2], 2), Tensor.fromNumbers('i32', [2, 2, 2], [0, 2, -1, 1, 2, -3, 1, 0])], { axis: 0 });
    await check('GatherElements', [bools([2, 5], 3), i64([2, 3], [4, 0, -1, 1, 2, 3])], { axis: -1 });
    await check('GatherElements', [r('f32', [4, 5], 4), i64([2, 3], [4, 0, -1, 1, 2, 3])], { axis: 1 }); // indices smaller off the axis
    await check('Tile', [r('f32', [2, 3], 1), c64([3, 2])]);
    await check('Tile', [bools([3, 5], 2), c64([2, 3])]);
    await check('Tile', [bigI64([1, 3], 3), c64([4, 1])]);
    await check('Tile', [r('f32', [2, 3, 2], 4), c64([1, 2, 3])], {}, [{ dtype: 'f32', shape: ['b', 3, 2] }]);
  });

  it('Pad: constant (operand, attribute), negative pads, reflect, edge, wrap, axes, bool/i64, symbolic dims', async () => {
    const x = r('f32', [3, 4], 1);
    await check('Pad', [x, c64([1, 2, 2, 0])]);
    await check('Pad', [x, c64([1, -1, -2, 3]), { constant: Tensor.fromNumbers('f32', [], [2.5]) }]);
    await check('Pad', [x], { pads: [0, 1, 1, 2], value: -1.5 });
    for (const mode of ['reflect', 'edge', 'wrap']) {
      await check('Pad', [x, c64([2, 3, 1, 2])], { mode });
      await check('Pad', [x, c64([-1, 2, 1, -2])], { mode });
    }
    await check('Pad', [r('f32', [1, 3], 2), c64([0, 2, 0, 3])], { mode: 'reflect' }); // period 2: the pads exceed the axis
    await check('Pad', [r('f32', [2, 1, 3], 3), c64([2, 1]), null, c64([-2])], { mode: 'reflect' }); // one element reflects to itself
    await check('Pad', [r('f32', [2, 3, 4], 4), c64([1, 2, 0, 1]), null, c64([0, -1])]);
    await check('Pad', [bools([3, 5], 5), c64([1, 3, 2, 0]), { constant: Tensor.fromNumbers('bool', [], [1]) }]);
    await check('Pad', [bigI64([2, 3], 6), c64([0, 1, 1, 1])], { mode: 'edge' });
    await check('Pad', [r('f32', [2, 3], 7), c64([0, 1, 0, 2])], { mode: 'reflect' }, [{ dtype: 'f32', shape: ['b', 3] }]);
  });

  it('Trilu: upper/lower, k as attribute, operand and beyond i32, batches, byte dtypes', async () => {
    const x = r('f32', [2, 4, 5], 1);
    await check('Trilu', [x]);
    await check('Trilu', [x], { upper: 0 });
    await check('Trilu', [x, { constant: i64([], [-2]) }], { upper: 1 });
    await check('Trilu', [x, i64([], [2])], { upper: 0 });
    await check('Trilu', [x, i64([], [-(2 ** 40)])], { upper: 0 });
    await check('Trilu', [x, i64([], [2 ** 40])], { upper: 0 });
    await check('Trilu', [bools([3, 7], 2), i64([1], [1])]);
    await check('Trilu', [r('f32', [2, 5, 3], 3)], { upper: 0 }, [{ dtype: 'f32', shape: ['b', 5, 3] }]);
  });
});

describe.skipIf(gpuUnavailable)('webgpu generators, scans and scatters', () => {
  it('ConstantOfShape, EyeLike, Dropout mask, CastLike, Shape and Size with symbolic dims', async () => {
    await check('ConstantOfShape', [c64([3, 5])]);
    await check('ConstantOfShape', [c64([2, 3])], { value: i64([1], [-(2 ** 40) - 3]) });
    await check('ConstantOfShape', [c64([7])], { value: Tensor.fromNumbers('bool', [1], [1]) });
    await check('ConstantOfShape', [c64([5])], { value: Tensor.fromNumbers('i8', [1], [-3]) });
    await check('EyeLike', [r('f32', [3, 5], 1)]);
    await check('EyeLike', [r('f32', [5, 3], 1)], { k: -1, dtype: 7 });
    await check('EyeLike', [r('i32', [4, 7], 1)], { k: 2, dtype: 9 });
    await check('Dropout', [r('f32', [3, 5], 1)], {}, undefined, 2);
    await check('CastLike', [r('f32', [2, 5], 1, -9, 9), r('i32', [1], 2)]);
    await check('Shape', [r('f32', [2, 3, 4], 1)], {}, [{ dtype: 'f32', shape: ['b', 's', 4] }]);
    await check('Shape', [r('f32', [2, 3, 4], 1)], { start: 1, end: -1 }, [{ dtype: 'f32', shape: ['b', 's', 4] }]);
    await check('Size', [r('f32', [2, 3, 4], 1)], {}, [{ dtype: 'f32', shape: ['b', 's', 4] }]);
  });

  it('Range: f32, i32, i64 (beyond 32 bits), negative deltas, a symbolic limit', async () => {
    const s = (dtype: DType, v: number) => ({ constant: Tensor.fromNumbers(dtype, [], [v]) });
    await check('Range', [s('f32', 1.5), s('f32', -3.2), s('f32', -0.35)]);
    await check('Range', [s('i32', 10), s('i32', -7), s('i32', -3)]);
    await check('Range', [s('i64', -(2 ** 33) + 3e9), s('i64', 2 ** 35), s('i64', 2 ** 31 + 7)]); // low-word carries
    await check('Range', [s('i16', 3), s('i16', 20), s('i16', 2)]);
    // arange(seq): the limit is a dim of the input.
    const graph = new Graph('test');
    const b = new GraphBuilder(graph, { fold: false });
    const x = graph.addInput('x', { dtype: 'f32', shape: [2, 'seq'] });
    const [shape] = b.add('Shape', [x]);
    const [seq] = b.add('Gather', [shape!, b.constant(i64([], [1]))], { axis: 0 });
    graph.outputs = b.add('Range', [b.constant(i64([], [3])), seq!, b.constant(i64([], [1]))]);
    expect(graph.outputs[0]!.type.shape).toEqual(['seq-3']);
    await compare(graph, { x: r('f32', [2, 9], 1) });
  });

  it('CumSum: exclusive and reverse on every axis, negative axis, f32/i32/i64/i8, symbolic dims', async () => {
    const x = r('f32', [3, 5, 4], 1);
    for (const [exclusive, reverse] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      for (const axis of [0, 1, -1]) await check('CumSum', [x, c64([axis])], { exclusive, reverse });
    }
    await check('CumSum', [r('i32', [4, 6], 2, -50, 50), { constant: Tensor.fromNumbers('i32', [], [1]) }], { reverse: 1 });
    await check('CumSum', [bigI64([3, 4], 3), c64([0])], { exclusive: 1 });
    await check('CumSum', [r('i8', [2, 9], 4, -100, 100), c64([1])]);
    await check('CumSum', [r('i64', [2, 7], 5, 0, 2), c64([-1])], {}, [{ dtype: 'i64', shape: ['b', 'seq'] }]);
  });

  it('ScatterElements: every reduction with duplicate indices, negative indices, i64 exact, bool, indices smaller than the data', async () => {
    const data = r('f32', [4, 5], 1);
    const idx = i64([3, 4], [1, -1, 1, 0, 3, 3, 0, 3, 1, 2, -4, 4].slice(0, 12));
    const fix = i64([3, 4], [1, 3, 1, 0, 3, 3, 0, 3, 1, 2, 0, 3]);
    for (const reduction of ['none', 'add', 'mul', 'max', 'min']) {
      await check('ScatterElements', [data, fix, r('f32', [3, 4], 2)], { axis: 0, reduction });
      await check('ScatterElements', [data, idx, r('f32', [3, 4], 3)], { axis: -1, reduction });
    }
    await check('ScatterElements', [bigI64([3, 4], 4), i64([2, 3], [2, 0, 2, 1, 2, 0]), bigI64([2, 3], 5)], { axis: 0, reduction: 'add' });
    await check('ScatterElements', [bigI64([3, 4], 4), i64([2, 3], [2, 0, 2, 1, 2, 0]), r('i64', [2, 3], 5, -9, 9)], { axis: 0, reduction: 'mul' });
    for (const reduction of ['max', 'min']) {
      await check('ScatterElements', [bigI64([3, 4], 6), i64([2, 3], [2, 0, 2, 1, 2, 0]), bigI64([2, 3], 7)], { axis: 0, reduction });
    }
    await check('ScatterElements', [bools([3, 6], 8), Tensor.fromNumbers('i32', [3, 2], [5, 0, 1, 1, -1, 2]), bools([3, 2], 9)], { axis: 1 });
    await check('ScatterElements', [r('i8', [2, 7], 10, -100, 100), i64([2, 3], [6, 6, 0, 1, 1, 1]), r('i8', [2, 3], 11, -100, 100)], { axis: 1, reduction: 'add' });
  });

  it('ScatterND: element and slice updates, every reduction with duplicates, i64 exact, symbolic dims', async () => {
    const data = r('f32', [4, 3, 5], 1);
    const idx = i64([3, 2], [1, 2, -1, 0, 1, 2]);
    for (const reduction of ['none', 'add', 'mul', 'max', 'min']) {
      await check('ScatterND', [data, idx, r('f32', [3, 5], 2)], { reduction });
    }
    await check('ScatterND', [data, i64([2, 1, 1], [3, -4]), r('f32', [2, 1, 3, 5], 3)]);
    await check('ScatterND', [data, i64([4, 3], [0, 0, 0, 3, 2, 4, 0, 0, 0, 1, 1, 1]), r('f32', [4], 4)], { reduction: 'add' });
    await check('ScatterND', [bigI64([4, 3], 5), i64([3, 1], [2, 0, 2]), bigI64([3, 3], 6)], { reduction: 'add' });
    await check('ScatterND', [bools([5, 3], 7), i64([2, 1], [4, 1]), bools([2, 3], 8)]);
    await check('ScatterND', [r('f32', [2, 6, 3], 9), i64([2, 1], [1, 0]), r('f32', [2, 6, 3], 10)], {},
      [{ dtype: 'f32', shape: [2, 'seq', 3] }, undefined, { dtype: 'f32', shape: [2, 'seq', 3] }]);
  });

  it('rejects what it cannot run, with the reason', () => {
    expect(rejection('Transpose', [Tensor.fromNumbers('f16', [2, 3], [1, 2, 3, 4, 5, 6])])).toMatch(/dtype f16 is not supported by the WebGPU backend yet/);
    // A start that may be clamped at run time (the type rule gives such a Slice a fresh dim, so lowering stops
    // first; the kernel still refuses the step on its own).
    const x: TensorRef = { dtype: 'f32', shape: [2, 'seq'], loc: { kind: 'arena', buffer: 0, byteOffset: 0 } };
    const step: Step = { index: 0, node: undefined as never, op: 'Slice', attrs: {}, inputs: [x], outputs: [{ ...x, shape: [2, 3] }], known: [undefined, [-3], [6], [1]] };
    expect(getKernel('Slice')!.check!(step)).toBe('the start -3 on axis 1 of size seq may be clamped at run time');
    const pad: Step = { ...step, op: 'Pad', known: [undefined, [0, 'seq-5', 0, 0]] };
    expect(getKernel('Pad')!.check!(pad)).toBe('the sign of the pads (seq-5, 0) on axis 1 is not known');
    expect(rejection('CumSum', [r('f32', [2, 6], 1), i64([], [1])])).toMatch(/the axis must be known at compile time/);
  });
});

describe.skipIf(gpuUnavailable)('webgpu exact copies', () => {
  it('Identity and Expand keep the high word of i64 (values beyond 2^32)', async () => {
    const big = Tensor.fromNumbers('i64', [2, 1], [2 ** 40 + 3, -(2 ** 35) - 7]);
    await check('Identity', [big]);
    await check('Expand', [big, c64([2, 3])]);
    await check('Expand', [r('f32', [3, 1], 5), c64([2, 3, 4])]);
  });
});
