// Lowering (backends/common/lower.ts): views, dead shape arithmetic, weights, known contents, lifetimes, errors.

import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../compiler/ir/parse.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { lowerGraph } from '../../backends/common/lower.js';
import type { Schedule, TensorRef } from '../../backends/common/schedule.js';
import { errorsOf } from '../helpers.js';
import '../../compiler/ops/index.js';

const opsOf = (s: Schedule) => s.steps.map((st) => st.op);
const bufferOf = (r: TensorRef | undefined) => (r?.loc.kind === 'arena' ? r.loc.buffer : undefined);

describe('lowerGraph', () => {
  it('turns reshape-like ops into views of their operand, with no step and no buffer', () => {
    const s = lowerGraph(parseGraph(`opsets {"" = 17}
graph g(%x: f32[batch, 6]) {
  %shape = const i64[3] [0, 2, 3]
  %r: f32[batch, 2, 3] = Reshape(%x, %shape)
  %u: f32[batch, 1, 2, 3] = Unsqueeze(%r) {axes = [1]}
  %q: f32[batch, 2, 3] = Squeeze(%u) {axes = [1]}
  %f: f32[batch, 6] = Flatten(%q)
  %i: f32[batch, 6] = Identity(%f)
  %y: f32[batch, 6] = Relu(%i)
  %shape2 = const i64[3] [0, 3, 2]
  %z: f32[batch, 3, 2] = Reshape(%y, %shape2)
  return %z
}`));
    expect(opsOf(s)).toEqual(['Relu']);
    expect(s.buffers.map((b) => [b.label, b.bytes, b.firstStep, b.lastStep])).toEqual([
      ['x', '24*batch', -1, 0],
      ['y', '24*batch', 0, 1],
    ]);
    const relu = s.steps[0]!;
    expect(relu.inputs[0]).toEqual({ dtype: 'f32', shape: ['batch', 6], loc: { kind: 'arena', buffer: 0, byteOffset: 0 } });
    // The output is a view of y's buffer with its own shape.
    expect(s.outputs[0]).toMatchObject({ name: 'z', shape: ['batch', 3, 2], ref: { shape: ['batch', 3, 2], loc: { kind: 'arena', buffer: 1 } } });
    expect(s.symbols).toEqual(['batch']);
  });

  it('drops shape arithmetic that only feeds shape operands, and passes its contents as known', () => {
    // PyTorch's x.view(x.size(0), x.size(1), 2, 3): Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[batch, seq, 6]) {
  %s: i64[3] = Shape(%x)
  %i0 = const i64[] [0]
  %i1 = const i64[] [1]
  %b: i64[] = Gather(%s, %i0)
  %q: i64[] = Gather(%s, %i1)
  %b1: i64[1] = Unsqueeze(%b) {axes = [0]}
  %q1: i64[1] = Unsqueeze(%q) {axes = [0]}
  %rest = const i64[2] [2, 3]
  %shape: i64[4] = Concat(%b1, %q1, %rest) {axis = 0}
  %y: f32[batch, seq, 2, 3] = Reshape(%x, %shape)
  %z: f32[batch, seq, 2, 3] = Neg(%y)
  %t: f32[batch, seq, 2, 3] = Expand(%z, %shape)
  return %t
}`);
    const s = lowerGraph(g);
    expect(opsOf(s)).toEqual(['Neg', 'Expand']);
    const expand = s.steps[1]!;
    expect(expand.inputs[1]).toBeUndefined();
    expect(expand.known[1]).toEqual(['batch', 'seq', 2, 3]);
    expect(bufferOf(expand.inputs[0])).toBe(1);
  });

  it('places constants read as data in the weights image, 64-byte aligned, once per (constant, layout)', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[2, 3]) {
  %w = const f32[3] [1.0, 2.0, 3.0]
  %v = const f32[5] [1.0, 2.0, 3.0, 4.0, 5.0]
  %a: f32[2, 3] = Add(%x, %w)
  %b: f32[2, 3] = Mul(%a, %w)
  %c: f32[2, 3] = Sub(%b, %w)
  %d: f32[5] = Neg(%v)
  return %c, %d
}`);
    const packed: string[] = [];
    const s = lowerGraph(g, {
      packWeight(node, index, t) {
        if (node.op !== 'Sub' || index !== 1) return undefined;
        packed.push(`${node.name}:${index}:${t.shape}`);
        return { layout: 'reversed', data: Tensor.fromNumbers('f32', t.shape, t.toNumbers().reverse()) };
      },
    });
    expect(packed).toHaveLength(1);
    expect(s.weights.map((w) => [w.label, w.byteOffset, w.layout, w.data.toNumbers()])).toEqual([
      ['w', 0, undefined, [1, 2, 3]],
      ['w', 64, 'reversed', [3, 2, 1]],
      ['v', 128, undefined, [1, 2, 3, 4, 5]],
    ]);
    expect(s.weightBytes).toBe(192);
    expect(s.steps.map((st) => st.inputs[1]?.loc)).toEqual([
      { kind: 'weight', weight: 0, byteOffset: 0 },
      { kind: 'weight', weight: 0, byteOffset: 0 },
      { kind: 'weight', weight: 1, byteOffset: 0, layout: 'reversed' },
      undefined,
    ]);
    // Small constants are also known by content.
    expect(s.steps[0]!.known[1]).toEqual([1, 2, 3]);
  });

  it('gives Slice bounds as known (symbolic too) and leaves them out of the inputs', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[batch, seq, 4], %pos: i64[1, 512]) {
  %s: i64[3] = Shape(%x)
  %i1 = const i64[] [1]
  %q: i64[] = Gather(%s, %i1)
  %q1: i64[1] = Unsqueeze(%q) {axes = [0]}
  %zero = const i64[1] [0]
  %one = const i64[1] [1]
  %p: i64[1, seq] = Slice(%pos, %zero, %q1, %one)
  return %p
}`);
    const s = lowerGraph(g);
    expect(opsOf(s)).toEqual(['Slice']);
    expect(s.steps[0]!.inputs.slice(1)).toEqual([undefined, undefined, undefined]);
    expect(s.steps[0]!.known.slice(1)).toEqual([[0], ['seq'], [1]]);
    expect(s.buffers.map((b) => b.label)).toEqual(['x', 'pos', 'p']);
    expect(s.buffers[0]).toMatchObject({ firstStep: -1, lastStep: -1 }); // x is only read for its shape
  });

  it('computes lifetimes from the first write to the last read; outputs live to the end', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[4]) {
  %a: f32[4] = Neg(%x)
  %b: f32[4] = Relu(%a)
  %c: f32[4] = Add(%a, %b)
  %d: f32[4] = Neg(%c)
  return %d, %b
}`);
    const s = lowerGraph(g);
    expect(s.buffers.map((b) => [b.label, b.bytes, b.firstStep, b.lastStep])).toEqual([
      ['x', 16, -1, 0], ['a', 16, 0, 2], ['b', 16, 1, 4], ['c', 16, 2, 3], ['d', 16, 3, 4],
    ]);
  });

  it('rounds static byte sizes up to 16 and keeps symbolic ones exact', () => {
    const s = lowerGraph(parseGraph(`opsets {"" = 17}
graph g(%x: bool[3], %y: i64[seq, 3], %z: u8[seq]) {
  %a: bool[3] = Not(%x)
  %b: i64[seq, 3] = Neg(%y)
  %c: u8[seq] = Identity(%z)
  return %a, %b, %c
}`));
    expect(s.buffers.map((b) => b.bytes)).toEqual([16, '24*seq', 'seq', 16, '24*seq', 'seq']);
  });

  it('copies graph outputs that are inputs, constants, or views of them', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[2, 3]) {
  %c = const f32[2] [1.0, 2.0]
  %shape = const i64[1] [6]
  %v: f32[6] = Reshape(%x, %shape)
  return %x, %c, %v
}`);
    const s = lowerGraph(g);
    expect(opsOf(s)).toEqual(['Identity', 'Identity', 'Identity']);
    expect(s.steps.map((st) => st.inputs[0]!.loc.kind)).toEqual(['arena', 'weight', 'arena']);
    expect(s.outputs.map((o) => [o.name, bufferOf(o.ref), o.ref.shape])).toEqual([['x', 1, [2, 3]], ['c', 2, [2]], ['v', 3, [6]]]);
    expect(s.buffers.map((b) => [b.firstStep, b.lastStep])).toEqual([[-1, 2], [0, 3], [1, 3], [2, 3]]);
  });

  it('places the result of a Constant node (not folded by whoever built the graph) in the weights', () => {
    const g = new Graph('c');
    const x = g.addInput('x', { dtype: 'f32', shape: [2] });
    const c = new Value('c', { dtype: 'f32', shape: [2] });
    const y = new Value('y', { dtype: 'f32', shape: [2] });
    const constant = new Node('Constant', [], [c], { value: Tensor.fromNumbers('f32', [2], [3, 4]) }, '/const');
    c.producer = constant;
    const add = new Node('Add', [x, c], [y], {}, '/add');
    y.producer = add;
    g.nodes.push(constant, add);
    g.outputs = [y, c];
    const s = lowerGraph(g);
    expect(opsOf(s)).toEqual(['Add', 'Identity']);
    expect(s.weights.map((w) => w.data.toNumbers())).toEqual([[3, 4]]);
    expect(s.steps[0]!.inputs[1]!.loc).toEqual({ kind: 'weight', weight: 0, byteOffset: 0 });
  });

  it('reports every value whose size depends on data or on a symbol no input binds, naming the node', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[seq, 4]) {
  %s = const i64[1] [0]
  %e = const i64[1] [3]
  %a: f32[slice_0, 4] = Slice(%x, %s, %e) @"/first3"
  %b: f32[slice_0, 4] = Neg(%a) @"/neg"
  return %b
}`);
    expect(errorsOf(() => lowerGraph(g))).toEqual([
      "error XFC0100: Slice node '/first3': result 'a' has shape [slice_0, 4]; 'slice_0' is not a dimension of a graph input, so its size would depend on data (backends need every size from the input shapes)",
      "error XFC0100: Neg node '/neg': result 'b' has shape [slice_0, 4]; 'slice_0' is not a dimension of a graph input, so its size would depend on data (backends need every size from the input shapes)",
    ]);
  });

  it('reports a graph output that is a view of unknown size', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[seq, 4], %s: i64[2]) {
  %y: f32[target_shape_0, target_shape_1] = Reshape(%x, %s) @"/view"
  return %y
}`);
    expect(errorsOf(() => lowerGraph(g))).toEqual([
      "error XFC0100: Reshape node '/view': result 'y' has shape [target_shape_0, target_shape_1]; 'target_shape_0' is not a dimension of a graph input, so its size would depend on data (backends need every size from the input shapes)",
    ]);
  });

  it('rejects graph inputs whose dims cannot be bound from plain symbols', () => {
    const g = parseGraph(`opsets {"" = 17}
graph g(%x: f32[2*n, 4]) {
  %y: f32[2*n, 4] = Neg(%x)
  return %y
}`);
    expect(errorsOf(() => lowerGraph(g))).toEqual([
      "error XFC0040: graph input 'x': shape [2*n, 4] mentions 'n', which no dimension of a graph input binds on its own",
    ]);
  });
});
