// Reduction wasm kernels against the interpreter: every Reduce* op over trailing (rows), outer (columns) and mixed
// (general) axes, keepdims both ways, negative axes, the axes operand, noop_with_empty_axes, symbolic dims, and
// ArgMax/ArgMin (ties, select_last_index, integer inputs) — in the SIMD128 and relaxed-SIMD module variants.

import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { randomTensor, relL2 } from '../helpers.js';
import { type OpInput, runWasmOp } from './harness.js';

const VARIANTS = [false, true] as const;

async function check(op: string, inputs: OpInput[], attrs: object, relaxedSimd: boolean, symbolicInputs?: TensorType[], tol = 2e-6) {
  const { wasm, ref, types } = await runWasmOp(op, inputs, attrs as never, { relaxedSimd, ...(symbolicInputs ? { symbolicInputs } : {}) });
  expect(wasm[0]!.shape).toEqual(ref[0]!.shape);
  expect(wasm[0]!.dtype).toEqual(ref[0]!.dtype);
  const [a, b] = [wasm[0]!.toFloat64(), ref[0]!.toFloat64()];
  if (wasm[0]!.dtype === 'f32') expect(relL2(a, b)).toBeLessThanOrEqual(tol);
  else expect(Array.from(a)).toEqual(Array.from(b));
  return types;
}

/** Input ranges that keep each reduction meaningful (positive sums for LogSum, products near 1). */
const RANGE: Record<string, [number, number]> = {
  ReduceLogSum: [0.1, 2], ReduceProd: [0.7, 1.4], ReduceLogSumExp: [-4, 4],
};
const OPS = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp'];
const input = (op: string, shape: number[], seed: number) => randomTensor('f32', shape, seed, ...(RANGE[op] ?? [-2, 2]));

/** [shape, axes] cases: trailing rows, outer columns, mixed (general nest), all axes, size-1 axes. */
const CASES: [number[], number[] | undefined][] = [
  [[3, 17], [-1]], [[5, 33], [1]], [[2, 385], [-1]], [[1], [0]], [[4, 3], [1]], // rows (tails of 1..7)
  [[5, 17], [0]], [[2, 7, 33], [1]], [[3, 5, 4], [-2]], [[3, 19], [0]], // columns: 16-, 4- and 1-wide blocks
  [[3, 4, 5], [0, 2]], [[2, 3, 4, 5], [1, 3]], [[3, 4, 5], [-1, 0]], // general
  [[3, 4, 5], undefined], [[3, 1, 5], [1]], [[6, 1], [1]], [[2, 3, 4, 5], [0, 1]], // all, size-1, leading
];

describe('Reduce* f32', () => {
  for (const relaxed of VARIANTS) {
    for (const op of OPS) {
      it(`${op} over rows, columns, mixed axes, keepdims 0/1 (${relaxed ? 'relaxed' : 'simd128'})`, async () => {
        let seed = 1;
        for (const [shape, axes] of CASES) {
          for (const keepdims of [1, 0]) {
            const attrs = { keepdims, ...(axes ? { axes } : {}) };
            await check(op, [input(op, shape, seed++)], attrs, relaxed, undefined, op === 'ReduceProd' ? 4e-6 : 2e-6);
          }
        }
      });
    }
  }

  it('the axes operand (opset 18), noop_with_empty_axes, and empty axes meaning all', async () => {
    const x = input('ReduceSum', [3, 6, 5], 4);
    await check('ReduceSum', [x, { constant: Tensor.fromNumbers('i64', [2], [-1, 1]) }], { keepdims: 0 }, false);
    await check('ReduceL2', [x], { noop_with_empty_axes: 1 }, false); // identity, not |x|
    await check('ReduceMax', [x, { constant: Tensor.fromNumbers('i64', [0], []) }], {}, true);
  });

  it('NaN and infinities propagate like the reference (max, LogSumExp of -inf rows)', async () => {
    const x = Tensor.fromNumbers('f32', [3, 5], [1, NaN, 2, 3, 4, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 1, Infinity, 2, 3, -1]);
    for (const op of ['ReduceMax', 'ReduceMin', 'ReduceLogSumExp', 'ReduceSum']) {
      const { wasm, ref } = await runWasmOp(op, [x], { axes: [1] });
      expect(Array.from(wasm[0]!.toFloat64())).toEqual(Array.from(ref[0]!.toFloat64()));
    }
  });

  it('symbolic dims at several values (rows and columns)', async () => {
    for (const relaxed of VARIANTS) {
      for (const seq of [1, 3, 17]) {
        const sym: TensorType[] = [{ dtype: 'f32', shape: ['batch', 'seq', 7] }];
        const t1 = await check('ReduceMean', [input('ReduceMean', [2, seq, 7], seq)], { axes: [-1] }, relaxed, sym);
        expect(t1[0]!.shape).toEqual(['batch', 'seq', 1]);
        const t2 = await check('ReduceSum', [input('ReduceSum', [2, seq, 7], seq + 1)], { axes: [1], keepdims: 0 }, relaxed, sym);
        expect(t2[0]!.shape).toEqual(['batch', 7]);
        await check('ReduceLogSumExp', [input('ReduceLogSumExp', [2, seq, 7], seq + 2)], { axes: [0, 2] }, relaxed, sym);
      }
    }
  });

  it('a long row and a wide column sum stay accurate', async () => {
    await check('ReduceSum', [randomTensor('f32', [2, 20001], 9, 0, 1)], { axes: [1] }, false, undefined, 1e-6);
    await check('ReduceMean', [randomTensor('f32', [4001, 35], 10, 0, 1)], { axes: [0] }, true, undefined, 1e-6);
  });
});

describe('ArgMax, ArgMin', () => {
  for (const op of ['ArgMax', 'ArgMin']) {
    it(`${op}: axes 0, 1, -1, keepdims, ties with select_last_index, i64 and i32 inputs`, async () => {
      for (const [shape, axis] of [[[5, 17], -1], [[5, 17], 0], [[2, 7, 3], 1], [[33], 0], [[1, 4], 0]] as [number[], number][]) {
        for (const keepdims of [0, 1]) {
          await check(op, [randomTensor('f32', shape, shape.length + axis, -3, 3)], { axis, keepdims }, false);
          // small integers: many ties
          const ties = randomTensor('f32', shape, 7, -2, 2).toFloat64().map(Math.floor);
          for (const last of [0, 1]) await check(op, [Tensor.fromNumbers('f32', shape, Array.from(ties))], { axis, keepdims, select_last_index: last }, true);
          await check(op, [Tensor.fromNumbers('i64', shape, Array.from(ties))], { axis, keepdims }, false);
          await check(op, [Tensor.fromNumbers('i32', shape, Array.from(ties))], { axis, keepdims, select_last_index: 1 }, false);
        }
      }
    });
  }
  it('symbolic dims', async () => {
    for (const seq of [1, 5, 9]) {
      const types = await check('ArgMax', [randomTensor('f32', [2, seq, 6], seq)], { axis: -1, keepdims: 0 }, false, [{ dtype: 'f32', shape: ['b', 'seq', 6] }]);
      expect(types[0]!.shape).toEqual(['b', 'seq']);
    }
  });
});
