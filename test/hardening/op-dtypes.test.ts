// Every registered op, built and run with wrong and unusual operands (dtypes, ranks, symbolic dims, NaN and
// huge values, odd attributes): only CompileErrors may escape its type rule, folding and evaluation.

import { describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Graph } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { interpret } from '../../compiler/interpreter.js';
import { allOps } from '../../compiler/ops/registry.js';
import { runSweepCase, sweepCases } from './op-sweep.js';

/** The diagnostics of building one node on graph inputs of the given types. */
function buildErrors(op: string, types: [Tensor['dtype'], number[]][], attrs = {}): string[] {
  const graph = new Graph('t');
  const b = new GraphBuilder(graph);
  const inputs = types.map(([dtype, shape], i) => graph.addInput(`x${i}`, { dtype, shape }));
  try {
    b.add(op, inputs, attrs, { name: 'n' });
    return [];
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    return e.diagnostics.map((d) => d.toString());
  }
}

describe('wrong dtypes give a diagnostic naming the node', () => {
  it('MatMul(i64, f32)', () => {
    expect(buildErrors('MatMul', [['i64', [2, 3]], ['f32', [3, 2]]])).toEqual(["error XFC0033: MatMul node 'n': operand dtypes differ: A is i64, B is f32"]);
  });

  it('Gather with f32 indices', () => {
    expect(buildErrors('Gather', [['f32', [4, 2]], ['f32', [3]]])).toEqual(["error XFC0033: Gather node 'n': indices must be i32 or i64, got f32"]);
  });

  it('Add(bool, bool), Sqrt(i64), Where with an f32 condition', () => {
    expect(buildErrors('Add', [['bool', [2]], ['bool', [2]]])[0]).toMatch(/^error XFC0033: Add node 'n': operand 'A' has dtype bool/);
    expect(buildErrors('Sqrt', [['i64', [2]]])[0]).toMatch(/^error XFC0033: Sqrt node 'n': operand 'X' has dtype i64/);
    expect(buildErrors('Where', [['f32', [2]], ['f32', [2]], ['f32', [2]]])[0]).toMatch(/^error XFC0033: Where node 'n': operand 'condition' has dtype f32/);
  });
});

describe('value-dependent sizes fail cleanly at run time', () => {
  const runOne = (op: string, inputs: Tensor[], maxElements = 1 << 16) => {
    const graph = new Graph('t');
    const b = new GraphBuilder(graph, { fold: false });
    const values = inputs.map((t, i) => graph.addInput(`x${i}`, { dtype: t.dtype, shape: [...t.shape] }));
    graph.outputs = b.add(op, values, {}, { name: 'n' });
    const feeds = Object.fromEntries(inputs.map((t, i) => [`x${i}`, t]));
    try {
      interpret(graph, feeds, { maxElements });
      return [];
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      return e.diagnostics.map((d) => d.toString());
    }
  };
  const i64 = (shape: number[], values: number[]) => Tensor.fromNumbers('i64', shape, values);
  const f32 = (shape: number[], values: number[]) => Tensor.fromNumbers('f32', shape, values);

  it('Range to 10^10 elements', () => {
    expect(runOne('Range', [i64([], [0]), i64([], [1e10]), i64([], [1])])).toEqual([
      expect.stringMatching(/^error XFC0061: Range node 'n': result '\w+' of shape \[10000000000\] has 10000000000 elements, more than the limit of 65536$/),
    ]);
  });

  it('Range with NaN and infinite bounds', () => {
    expect(runOne('Range', [f32([], [0]), f32([], [Infinity]), f32([], [1])])[0]).toMatch(/^error XFC0033: Range node 'n': start 0, limit Infinity and delta 1 do not give a finite length$/);
    expect(runOne('Range', [f32([], [0]), f32([], [NaN]), f32([], [1])])[0]).toMatch(/^error XFC0033: Range node 'n': .* do not give a finite length$/);
  });

  it('ConstantOfShape and Expand to [10^5, 10^5], Expand to a negative dim', () => {
    expect(runOne('ConstantOfShape', [i64([2], [1e5, 1e5])])[0]).toMatch(/^error XFC0061: ConstantOfShape node 'n': .* of shape \[100000, 100000\] has 10000000000 elements/);
    expect(runOne('Expand', [f32([1], [1]), i64([2], [1e5, 1e5])])[0]).toMatch(/^error XFC0061: Expand node 'n': .* of shape \[100000, 100000\]/);
    expect(runOne('Expand', [f32([1], [1]), i64([1], [-6])])[0]).toBe("error XFC0033: Expand node 'n': target shape [-6] has a negative dim");
  });

  it('a zero-size result with a huge dim is refused too (per-dim plans)', () => {
    expect(runOne('ConstantOfShape', [i64([2], [0, 2 ** 40])])[0]).toMatch(/^error XFC0061: ConstantOfShape node 'n': .* of shape \[0, 1099511627776\] has 0 elements/);
  });

  it('a result within the limit runs', () => {
    expect(runOne('Range', [i64([], [0]), i64([], [1000]), i64([], [1])])).toEqual([]);
  });
});

describe.each(allOps().map((d) => [d.name, d] as const))('%s', (_, def) => {
  it('never lets anything but a CompileError escape', () => {
    const failures = sweepCases(def).map((c, i) => runSweepCase(c, i)).filter((f) => f !== undefined);
    expect(failures.slice(0, 5).map((f) => `${f!.stage} ${JSON.stringify(f!.case.dtypes)} ${JSON.stringify(f!.case.shapes)} `
      + `${f!.case.symbols} ${f!.case.values} ${JSON.stringify(f!.case.attrs)}: ${f!.error}`)).toEqual([]);
  });
});
