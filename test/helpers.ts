// Test helpers: build one-node graphs through the registry, run them, CompileError diagnostics, seeded random
// tensors, error metrics.

import { CompileError } from '../compiler/diagnostics.js';
import { GraphBuilder } from '../compiler/ir/builder.js';
import { Graph, type Attrs, type TensorType, type Value } from '../compiler/ir/graph.js';
import { Tensor } from '../compiler/ir/tensor.js';
import type { DType } from '../compiler/ir/dtype.js';
import { interpret } from '../compiler/interpreter.js';
import '../compiler/ops/index.js';

/** An operand of a one-node test graph: a graph input, an absent optional operand (null), or a constant. */
export type OpInput = Tensor | null | { constant: Tensor };

/**
 * A one-node graph built through the registry (type rule at construction, folding off). Inputs given as Tensors
 * become graph inputs `x<i>` with their static shapes (or `symbolicInputs[i]`) and are returned as `feeds`;
 * `null` is an absent optional operand; `{ constant: Tensor }` is a constant operand.
 */
export function buildOpGraph(
  op: string,
  inputs: readonly OpInput[],
  attrs: Attrs = {},
  options: { numOutputs?: number; symbolicInputs?: readonly (TensorType | undefined)[] } = {},
): { graph: Graph; feeds: Record<string, Tensor>; outputs: Value[] } {
  const graph = new Graph('test');
  const b = new GraphBuilder(graph, { fold: false });
  const feeds: Record<string, Tensor> = {};
  const values = inputs.map((t, i) => {
    if (t === null) return undefined;
    if (!(t instanceof Tensor)) return b.constant(t.constant, `c${i}`);
    const type = options.symbolicInputs?.[i] ?? { dtype: t.dtype, shape: [...t.shape] };
    feeds[`x${i}`] = t;
    return graph.addInput(`x${i}`, type);
  });
  const outputs = b.add(op, values, attrs, { name: `test_${op}`, numOutputs: options.numOutputs });
  graph.outputs = outputs;
  return { graph, feeds, outputs };
}

/** Runs one op (see buildOpGraph) through the interpreter, which checks the results against the inferred types. */
export function runOp(
  op: string,
  inputs: OpInput[],
  attrs: Attrs = {},
  options: { numOutputs?: number; symbolicInputs?: TensorType[] } = {},
): { outputs: Tensor[]; types: TensorType[] } {
  const { graph, feeds, outputs } = buildOpGraph(op, inputs, attrs, options);
  const results = interpret(graph, feeds);
  return { outputs: outputs.map((v) => results[v.name]!), types: outputs.map((v) => v.type) };
}

/** The diagnostics ("error XFCnnnn: ...") of the CompileError `f` throws; fails when it throws nothing or another error. */
export function errorsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => d.toString());
    throw e;
  }
  throw new Error('expected a CompileError');
}

/** Deterministic pseudo-random generator (mulberry32): the one `xfc bench` uses for its inputs. */
import { random as rng } from '../cli/bench.js';
export { rng };

/** A tensor of uniform values in [lo, hi) (integers for integer dtypes). */
export function randomTensor(dtype: DType, shape: number[], seed = 1, lo = -1, hi = 1): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => lo + (hi - lo) * r());
  return Tensor.fromNumbers(dtype, shape, dtype === 'f32' || dtype === 'f64' || dtype === 'f16' ? values : values.map(Math.floor));
}

/** Relative L2 error ||a - b|| / ||b||. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Number(a[i]) - Number(b[i]);
    num += d * d;
    den += Number(b[i]) * Number(b[i]);
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

export const t = (dtype: DType, shape: number[], values: number[]): Tensor => Tensor.fromNumbers(dtype, shape, values);
