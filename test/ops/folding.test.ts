// PyTorch's run-time shape chains (Shape/Gather/Unsqueeze/Concat/Slice/Reshape) built with folding on: they
// must resolve to symbolic types and symbolic contents, and to constants when every dim is static.

import { describe, expect, it } from 'vitest';
import { Graph, type Value, materialize } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { interpret } from '../../compiler/interpreter.js';
import type { Dim } from '../../compiler/ir/dim.js';
import { randomTensor } from '../helpers.js';

/** The contents of a value when it became a constant. */
const numbersOf = (v: Value | undefined) => (v?.constant ? materialize(v.constant).toNumbers() : undefined);

const INT64_MAX = 9223372036854775807;

function setup(shape: Dim[]) {
  const g = new Graph();
  const b = new GraphBuilder(g, { fold: true });
  const ints = (v: number[]) => b.constant(Tensor.fromNumbers('i64', [v.length], v));
  const scalar = (v: number) => b.constant(Tensor.scalar('i64', v));
  const x = g.addInput('x', { dtype: 'f32', shape });
  const one = (op: string, inputs: (Value | undefined)[], attrs = {}) => b.add(op, inputs, attrs)[0]!;
  return { g, b, x, ints, scalar, one };
}

/** x.view(x.size(0), x.size(1), 4, 8), as torch.onnx exports it (opset 13+). */
function splitHeads(shape: Dim[]) {
  const s = setup(shape);
  const { x, ints, scalar, one } = s;
  const batch = one('Unsqueeze', [one('Gather', [one('Shape', [x]), scalar(0)]), ints([0])]);
  const seq = one('Unsqueeze', [one('Gather', [one('Shape', [x]), scalar(1)]), ints([0])]);
  const target = one('Concat', [batch, seq, ints([4]), ints([8])], { axis: 0 });
  return { ...s, batch, seq, target };
}

describe('shape chains fold', () => {
  it('Shape -> Gather -> Unsqueeze -> Concat -> Reshape gives a symbolic type (BERT head split)', () => {
    const { g, x, target, batch, one } = splitHeads(['batch', 'seq', 32]);
    expect(batch.symbolic).toEqual(['batch']);
    expect(target.symbolic).toEqual(['batch', 'seq', 4, 8]);
    expect(target.constant).toBeUndefined();
    const y = one('Reshape', [x, target]);
    expect(y.type).toEqual({ dtype: 'f32', shape: ['batch', 'seq', 4, 8] });
    // The shape nodes remain (their results are not all static) and run to the same values.
    g.outputs = [y, target];
    const xv = randomTensor('f32', [2, 3, 32], 5);
    const out = interpret(g, { x: xv });
    expect(out[target.name]!.toNumbers()).toEqual([2, 3, 4, 8]);
    expect(out[y.name]!.shape).toEqual([2, 3, 4, 8]);
    expect(out[y.name]!.toNumbers()).toEqual(xv.toNumbers());
  });

  it('a chain of static dims folds to constants, leaving no shape nodes', () => {
    const { g, x, target, one } = splitHeads([2, 3, 32]);
    expect(numbersOf(target)).toEqual([2, 3, 4, 8]);
    expect(g.nodes).toHaveLength(0);
    const y = one('Reshape', [x, target]);
    expect(y.type.shape).toEqual([2, 3, 4, 8]);
    expect(g.nodes.map((n) => n.op)).toEqual(['Reshape']);
  });

  it('Transpose -> Shape -> Slice -> Concat -> Reshape merges heads (GPT-2)', () => {
    const { g, x, ints, one } = setup(['batch', 4, 'seq', 8]);
    const t = one('Transpose', [x], { perm: [0, 2, 1, 3] });
    const lead = one('Slice', [one('Shape', [t]), ints([0]), ints([-2]), ints([0])]);
    expect(lead.symbolic).toEqual(['batch', 'seq']);
    const target = one('Concat', [lead, ints([32])], { axis: 0 });
    expect(target.symbolic).toEqual(['batch', 'seq', 32]);
    const y = one('Reshape', [t, target]);
    expect(y.type).toEqual({ dtype: 'f32', shape: ['batch', 'seq', 32] });
    g.outputs = [y];
    const out = interpret(g, { x: randomTensor('f32', [2, 4, 5, 8], 9) });
    expect(out[y.name]!.shape).toEqual([2, 5, 32]);
  });

  it('Shape -> Gather(-1) -> Concat([-1, seq]) -> Reshape flattens the batch (GPT-2 input_ids.view(-1, n))', () => {
    const { x, ints, scalar, one } = setup(['batch', 'seq']);
    const seq = one('Unsqueeze', [one('Gather', [one('Shape', [x]), scalar(-1)]), ints([0])]);
    const y = one('Reshape', [x, one('Concat', [ints([-1]), seq], { axis: 0 })]);
    expect(y.type.shape).toEqual(['batch', 'seq']);
  });

  it('Shape(start=-1) and Slice of a static tail fold to constants', () => {
    const { g, x, ints, one } = setup(['batch', 'seq', 32]);
    const last = one('Shape', [x], { start: -1 });
    const tail = one('Slice', [one('Shape', [x]), ints([-1]), ints([INT64_MAX])]);
    expect(numbersOf(last)).toEqual([32]);
    expect(numbersOf(tail)).toEqual([32]);
    expect(g.nodes.map((n) => n.op)).toEqual(['Shape']); // the full Shape feeding the Slice
  });

  it('ConstantOfShape(Shape(x)) has the symbolic shape of x', () => {
    const { x, one } = setup(['batch', 'seq']);
    const ones = one('ConstantOfShape', [one('Shape', [x])], { value: Tensor.fromNumbers('i64', [1], [1]) });
    expect(ones.type).toEqual({ dtype: 'i64', shape: ['batch', 'seq'] });
  });

  it('Range(0, seq) and Expand over Shape build position ids of shape [batch, seq]', () => {
    const { x, scalar, one } = setup(['batch', 'seq']);
    const shape = one('Shape', [x]);
    const positions = one('Range', [scalar(0), one('Gather', [shape, scalar(1)]), scalar(1)]);
    expect(positions.type.shape).toEqual(['seq']);
    const ids = one('Expand', [positions, shape]);
    expect(ids.type).toEqual({ dtype: 'i64', shape: ['batch', 'seq'] });
  });

  it('Size, Cast and Flatten of shape values keep symbolic contents', () => {
    const { x, one } = setup(['batch', 'seq', 4]);
    expect(one('Size', [x]).symbolic).toEqual(['4*batch*seq']);
    const shape32 = one('Cast', [one('Shape', [x])], { to: 6 });
    expect(shape32.symbolic).toEqual(['batch', 'seq', 4]);
    expect(one('Flatten', [shape32], { axis: 0 }).symbolic).toEqual(['batch', 'seq', 4]);
  });

  it('all-constant operands fold through evaluate', () => {
    const { g, ints, scalar, one } = setup([1]);
    const v = one('Concat', [ints([1, 2]), one('Unsqueeze', [scalar(7), ints([0])])], { axis: 0 });
    const picked = one('Gather', [v, ints([2, 0])]);
    expect(numbersOf(picked)).toEqual([7, 1]);
    expect(g.nodes).toHaveLength(0);
  });
});
