// Tests of the IR verifier: a valid graph passes, and each broken invariant is reported with its exact message.

import { describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { assertValid, verifyGraph } from '../../compiler/ir/verify.js';
import '../../compiler/ops/index.js';

/** x: f32[batch, 4] -> Add(x, c) -> Relu -> Split(axis 1, [1, 3]) -> outputs. */
function sample() {
  const g = new Graph('sample');
  const b = new GraphBuilder(g, { fold: false });
  const x = g.addInput('x', { dtype: 'f32', shape: ['batch', 4] });
  const c = b.constant(Tensor.fromNumbers('f32', [4], [1, 2, 3, 4]), 'c');
  const [sum] = b.add('Add', [x, c], {}, { name: 'add', outputNames: ['sum'] });
  const [act] = b.add('Relu', [sum!], {}, { name: 'relu', outputNames: ['act'] });
  const [lo, hi] = b.add('Split', [act!], { axis: 1, split: [1, 3] }, { name: 'split', outputNames: ['lo', 'hi'] });
  g.outputs = [lo!, hi!];
  const nodes = Object.fromEntries(g.nodes.map((n) => [n.name, n])) as Record<'add' | 'relu' | 'split', Node>;
  return { g, b, x, c, sum: sum!, act: act!, lo: lo!, hi: hi!, nodes };
}

const messages = (g: Graph) => verifyGraph(g).map((d) => d.toString());

describe('verifyGraph', () => {
  it('accepts a graph built through the builder', () => {
    expect(verifyGraph(sample().g)).toEqual([]);
    expect(() => assertValid(sample().g)).not.toThrow();
  });

  it('accepts results whose dims the rule invents (fresh symbols match whatever is stored)', () => {
    const g = new Graph('fresh');
    const b = new GraphBuilder(g, { fold: false });
    const x = g.addInput('x', { dtype: 'f32', shape: ['a'] });
    const y = g.addInput('y', { dtype: 'f32', shape: ['b'] });
    const [s] = b.add('Add', [x, y], {}, { name: 'add' });
    const [t] = b.add('Add', [s!, s!], {}, { name: 'add2' });
    g.outputs = [t!];
    expect(typeof s!.type.shape[0]).toBe('string');
    expect(verifyGraph(g)).toEqual([]);
  });

  it('reports an unknown op', () => {
    const { g, nodes } = sample();
    nodes.relu.op = 'Frobnicate';
    expect(messages(g)).toEqual([
      "error XFC0030: Frobnicate node 'relu': op 'Frobnicate' of domain 'ai.onnx' (opset -) is not supported",
    ]);
  });

  it('reports an operand used before the node that computes it', () => {
    const { g } = sample();
    [g.nodes[0], g.nodes[1]] = [g.nodes[1]!, g.nodes[0]!];
    expect(messages(g)).toEqual([
      "error XFC0091: Relu node 'relu': operand 'sum' is used before the node that computes it (Add node 'add')",
    ]);
  });

  it('reports an operand that nothing defines', () => {
    const { g, nodes } = sample();
    nodes.relu.inputs = [new Value('ghost', { dtype: 'f32', shape: ['batch', 4] })];
    expect(messages(g)).toEqual([
      "error XFC0031: Relu node 'relu': input 'ghost' is not produced by any node, initializer or graph input",
    ]);
  });

  it('reports a value defined twice and a name used twice', () => {
    const { g, x, sum } = sample();
    g.constants.push(x);
    sum.name = 'act';
    expect(messages(g)).toEqual([
      "error XFC0035: value 'x' is defined more than once (graph input, and constant)",
      "error XFC0093: constant 'x' has no data",
      "error XFC0035: value 'act' is defined more than once (result of Add node 'add', and result of Relu node 'relu')",
    ]);
  });

  it('reports a result that claims another producer', () => {
    const { g, nodes, act } = sample();
    act.producer = nodes.add;
    expect(messages(g)).toEqual([
      "error XFC0093: value 'act' is a result of Relu node 'relu', but its producer is Add node 'add'",
    ]);
  });

  it('reports a constant whose type differs from its data', () => {
    const { g, c } = sample();
    c.type = { dtype: 'f32', shape: [5] };
    const out = messages(g);
    expect(out[0]).toBe("error XFC0093: constant 'c' is typed f32[5], but its data is f32[4]");
    // The Add node now sees f32[batch, 4] + f32[5]: its rule fails too.
    expect(out[1]).toMatch(/^error XFC0033: Add node 'add': .*\[batch, 4\].*\[5\]/);
  });

  it('reports attributes that do not resolve against the schema', () => {
    const { g, nodes } = sample();
    nodes.split.attrs = { axis: 'one', split: [1, 3], colour: 2 };
    expect(messages(g)).toEqual([
      "error XFC0034: Split node 'split': attribute 'axis' must be int, got string \"one\"",
      "error XFC0034: Split node 'split': unknown attribute 'colour'",
    ]);
  });

  it('reports a wrong number of operands', () => {
    const { g, nodes } = sample();
    nodes.add.inputs = nodes.add.inputs.slice(0, 1);
    expect(messages(g)).toEqual(["error XFC0038: Add node 'add': expects 2 operands, got 1"]);
  });

  it('reports a stored type that differs from what the rule infers', () => {
    const { g, act, lo } = sample();
    act.type = { dtype: 'f32', shape: ['batch', 5] };
    lo.type = { dtype: 'f16', shape: ['batch', 1] };
    const out = messages(g);
    expect(out[0]).toBe("error XFC0092: Relu node 'relu': result 'act' is stored as f32[batch, 5], but the type rule infers f32[batch, 4]");
    // Split now reads f32[batch, 5], which [1, 3] does not cover: its rule fails with its own message.
    expect(out[1]).toMatch(/^error XFC0033: Split node 'split': /);
    expect(out).toHaveLength(2);
  });

  it('compares dims by value, not by spelling', () => {
    const { g, act } = sample();
    act.type = { dtype: 'f32', shape: ['batch+0', 4] };
    expect(messages(g)).toEqual([]);
  });

  it('reports a wrong dtype alone', () => {
    const { g, hi } = sample();
    hi.type = { dtype: 'f16', shape: ['batch', 3] };
    expect(messages(g)).toEqual([
      "error XFC0092: Split node 'split': result 'hi' is stored as f16[batch, 3], but the type rule infers f32[batch, 3]",
    ]);
  });

  it('reports a graph output that is not defined', () => {
    const { g } = sample();
    g.outputs.push(new Value('nowhere', { dtype: 'f32', shape: [] }));
    expect(messages(g)).toEqual(["error XFC0039: graph output 'nowhere' is not produced by any node, initializer or graph input"]);
  });

  it('assertValid throws every problem at once', () => {
    const { g, nodes } = sample();
    nodes.relu.op = 'Frobnicate';
    g.outputs.push(new Value('nowhere', { dtype: 'f32', shape: [] }));
    let error: unknown;
    try {
      assertValid(g);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    expect((error as CompileError).diagnostics.map((d) => d.code)).toEqual(['XFC0030', 'XFC0039']);
  });
});
