// AttributeProto -> IR attribute values: every supported kind, old untyped attributes, and refused kinds.

import { describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { attributeValue, attributesOf } from '../../compiler/onnx/attributes.js';
import { onnx } from '../../compiler/onnx/proto.js';
import { attr } from './build.js';

const ref = { op: 'Op', name: 'n' };
/** Encodes and decodes an attribute, as a model file carries it. */
const wire = (a: ReturnType<typeof attr>) => onnx.AttributeProto.decode(onnx.AttributeProto.encode(a).finish());

describe('attributeValue', () => {
  it('converts every supported kind', () => {
    expect(attributeValue(wire(attr('i', -3)), ref)).toBe(-3);
    expect(attributeValue(wire(attr('big', 2 ** 40)), ref)).toBe(2 ** 40);
    expect(attributeValue(wire(attr('f', 0.5, 'float')), ref)).toBe(0.5);
    expect(attributeValue(wire(attr('f', 1e-5)), ref)).toBe(Math.fround(1e-5)); // FLOAT is a float32 on the wire
    expect(attributeValue(wire(attr('s', 'héllo')), ref)).toBe('héllo');
    expect(attributeValue(wire(attr('is', [1, -2, 3])), ref)).toEqual([1, -2, 3]);
    expect(attributeValue(wire(attr('fs', [0.25, 2], 'floats')), ref)).toEqual([0.25, 2]);
    expect(attributeValue(wire(attr('ss', ['a', 'bc'])), ref)).toEqual(['a', 'bc']);
    const t = attributeValue(wire(attr('t', Tensor.fromNumbers('i64', [2], [5, -6]))), ref) as Tensor;
    expect(t).toBeInstanceOf(Tensor);
    expect(t.dtype).toBe('i64');
    expect(t.toNumbers()).toEqual([5, -6]);
  });

  it('infers the kind of attributes written without a type', () => {
    expect(attributeValue({ name: 'x', ints: [1, 2] }, ref)).toEqual([1, 2]);
    expect(attributeValue({ name: 'x', floats: [1.5] }, ref)).toEqual([1.5]);
    expect(attributeValue({ name: 'x', s: new TextEncoder().encode('v') }, ref)).toBe('v');
  });

  it('refuses graphs, sparse tensors and the rest, naming node and attribute', () => {
    const messages = (list: Parameters<typeof attributesOf>[0]) => {
      try {
        attributesOf(list, ref);
      } catch (e) {
        if (e instanceof CompileError) return e.diagnostics.map((d) => d.message);
        throw e;
      }
      return [];
    };
    expect(messages([
      { name: 'then_branch', type: 5, g: { name: 'g' } },
      { name: 'ok', type: 2, i: 1 },
      { name: 'sp', type: 11, sparseTensor: {} },
      { name: 'ts', type: 9, tensors: [{}] },
    ])).toEqual([
      "Op node 'n': attribute 'then_branch' of type GRAPH is not supported",
      "Op node 'n': attribute 'sp' of type SPARSE_TENSOR is not supported",
      "Op node 'n': attribute 'ts' of type TENSORS is not supported",
    ]);
    expect(attributesOf([{ name: 'a', type: 2, i: 4 }, { name: 'b', type: 3, s: new Uint8Array([104, 105]) }], ref)).toEqual({ a: 4, b: 'hi' });
  });
});
