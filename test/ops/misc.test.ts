// Cast and CastLike: ONNX conversion semantics between every kind of dtype, symbolic contents, errors.

import { describe, expect, it } from 'vitest';
import { runOp, t } from '../helpers.js';
import { Graph } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { numberToF16Bits, f16BitsToNumber } from '../../runtime/half.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import type { DType } from '../../compiler/ir/dtype.js';

const ONNX: Record<string, number> = { f32: 1, u8: 2, i8: 3, i32: 6, i64: 7, bool: 9, f16: 10, f64: 11, u64: 13, bf16: 16 };
const cast = (x: Tensor, to: DType) => runOp('Cast', [x], { to: ONNX[to]! });

describe('Cast', () => {
  it('truncates floats toward zero when casting to integers', () => {
    const x = t('f32', [6], [1.7, -1.7, 0.5, -0.5, 2.5, -0]);
    expect(cast(x, 'i32').outputs[0]!.toNumbers()).toEqual([1, -1, 0, 0, 2, 0]);
    expect(cast(x, 'i64').outputs[0]!.toNumbers()).toEqual([1, -1, 0, 0, 2, 0]);
    expect(cast(t('f64', [1], [1e10 + 0.5]), 'i64').outputs[0]!.toNumbers()).toEqual([1e10]);
  });
  it('casts to bool as x != 0 (NaN is true)', () => {
    expect(cast(t('f32', [5], [0, -0, 1.5, NaN, -2]), 'bool').outputs[0]!.toNumbers()).toEqual([0, 0, 1, 1, 1]);
    expect(cast(t('i64', [3], [0, 2 ** 60, -1]), 'bool').outputs[0]!.toNumbers()).toEqual([0, 1, 1]);
    expect(cast(t('bool', [2], [1, 0]), 'f32').outputs[0]!.toNumbers()).toEqual([1, 0]);
  });
  it('rounds to nearest when narrowing floats', () => {
    const x = t('f64', [4], [1 / 3, 65520, 1e-8, 0.1]);
    const h = cast(x, 'f16').outputs[0]!;
    expect(h.dtype).toBe('f16');
    expect(Array.from(h.data as Uint16Array)).toEqual([1 / 3, 65520, 1e-8, 0.1].map(numberToF16Bits));
    expect(h.toNumbers()[1]).toBe(Infinity);
    expect(cast(x, 'f32').outputs[0]!.toNumbers()).toEqual([1 / 3, 65520, 1e-8, 0.1].map(Math.fround));
    expect(cast(t('f16', [1], [f16BitsToNumber(0x3555)]), 'f32').outputs[0]!.toNumbers()).toEqual([f16BitsToNumber(0x3555)]);
  });
  it('wraps 64-bit integers exactly into narrower ones', () => {
    const x = t('i64', [5], [2 ** 32 + 5, -1, 2 ** 31, 257, -129]);
    expect(cast(x, 'i32').outputs[0]!.toNumbers()).toEqual([5, -1, -(2 ** 31), 257, -129]);
    expect(cast(x, 'u8').outputs[0]!.toNumbers()).toEqual([5, 255, 0, 1, 127]);
    expect(cast(x, 'i8').outputs[0]!.toNumbers()).toEqual([5, -1, 0, 1, 127]);
    const big = new Tensor('i64', [2], BigInt64Array.from([2n ** 62n + 1n, -1n]));
    expect(Array.from(cast(big, 'u64').outputs[0]!.data as BigUint64Array)).toEqual([2n ** 62n + 1n, 2n ** 64n - 1n]);
    expect(Array.from(cast(t('i32', [2], [-3, 7]), 'i64').outputs[0]!.data as BigInt64Array)).toEqual([-3n, 7n]);
  });
  it('converts integers to floats', () => {
    expect(cast(t('i64', [2], [2 ** 40 + 1, -3]), 'f32').outputs[0]!.toNumbers()).toEqual([2 ** 40, -3]);
    expect(cast(t('u8', [2], [255, 0]), 'f64').outputs[0]!.toNumbers()).toEqual([255, 0]);
  });
  it('keeps symbolic contents for integer-to-integer casts only', () => {
    const g = new Graph();
    const b = new GraphBuilder(g);
    const [shape] = b.add('Shape', [g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq'] })]);
    const [asI32] = b.add('Cast', [shape!], { to: 6 });
    const [asF32] = b.add('Cast', [shape!], { to: 1 });
    expect(asI32!.type).toEqual({ dtype: 'i32', shape: [2] });
    expect(asI32!.symbolic).toEqual(['batch', 'seq']);
    expect(asF32!.symbolic).toBeUndefined();
  });
  it('keeps the symbol of an integer scalar cast to float, so Range(0, float(seq), 1) has length seq', () => {
    // torch.arange(seq, dtype=torch.float32) exports exactly this chain (LLaMA rotary angles).
    const g = new Graph();
    const b = new GraphBuilder(g);
    const [shape] = b.add('Shape', [g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq'] })]);
    const [seq] = b.add('Gather', [shape!, b.constant(t('i64', [], [1]))], { axis: 0 });
    const [seqF] = b.add('Cast', [seq!], { to: 1 });
    expect(seqF!.symbolic).toEqual(['seq']);
    const [range] = b.add('Range', [b.constant(t('f32', [], [0])), seqF!, b.constant(t('f32', [], [1]))]);
    expect(range!.type).toEqual({ dtype: 'f32', shape: ['seq'] });
    // Float to integer casts do not keep contents (the float could hold any value).
    const [back] = b.add('Cast', [seqF!], { to: 7 });
    expect(back!.symbolic).toBeUndefined();
  });
  it('rejects types xfc does not have', () => {
    expect(() => runOp('Cast', [t('f32', [1], [1])], { to: 8 }))
      .toThrow("Cast node 'test_Cast': cannot cast to STRING: xfc has no such dtype");
  });
});

describe('CastLike', () => {
  it('takes the dtype of its second operand', () => {
    const { outputs, types } = runOp('CastLike', [t('f32', [2, 2], [1.5, -2.5, 3, 0.1]), t('f16', [0], [])]);
    expect(types[0]).toEqual({ dtype: 'f16', shape: [2, 2] });
    expect(outputs[0]!.toNumbers()).toEqual([1.5, -2.5, 3, f16BitsToNumber(numberToF16Bits(0.1))]);
    expect(runOp('CastLike', [t('f32', [2], [2.9, -2.9]), t('i8', [1], [0])]).outputs[0]!.toNumbers()).toEqual([2, -2]);
  });
});
