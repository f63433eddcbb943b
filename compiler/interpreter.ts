// The reference interpreter: runs any IR graph node by node with each op's reference semantics.

import { CompileError } from './diagnostics.js';
import { type Dim, evalDim, isStaticDim, dimSymbols, shapeToString } from './ir/dim.js';
import { type Graph, type Value, materialize } from './ir/graph.js';
import type { Tensor } from './ir/tensor.js';
import { makeEvalContext } from './ir/builder.js';
import { getOp } from './ops/registry.js';
import './ops/index.js';

export interface InterpretOptions {
  /**
   * Check every result's shape against its inferred type with the symbols bound from the inputs (default true):
   * a wrong type rule fails here, naming the node.
   */
  checkTypes?: boolean;
  /** Called after each node with its results (for debugging and tests). */
  onNode?: (nodeName: string, results: Tensor[]) => void;
}

/** Runs the graph on named inputs and returns its outputs by name. */
export function interpret(graph: Graph, feeds: Readonly<Record<string, Tensor>>, options: InterpretOptions = {}): Record<string, Tensor> {
  const checkTypes = options.checkTypes ?? true;
  const env = new Map<Value, Tensor>();
  const bindings = new Map<string, number>();

  for (const input of graph.inputs) {
    const t = feeds[input.name];
    if (!t) throw CompileError.of('runInput', { input: input.name, detail: 'no value was given for this graph input' });
    if (t.dtype !== input.type.dtype) {
      throw CompileError.of('runInput', { input: input.name, detail: `expected dtype ${input.type.dtype}, got ${t.dtype}` });
    }
    bindShape(input.type.shape, t.shape, bindings, (detail) => CompileError.of('runInput', { input: input.name, detail }));
    env.set(input, t);
  }
  for (const name of Object.keys(feeds)) {
    if (!graph.inputs.some((v) => v.name === name)) {
      throw CompileError.of('runInput', { input: name, detail: `the graph has no such input (inputs: ${graph.inputs.map((v) => v.name).join(', ')})` });
    }
  }
  for (const c of graph.constants) env.set(c, materialize(c.constant!));

  for (const node of graph.nodes) {
    const def = getOp(node.op);
    if (!def) throw CompileError.of('unsupportedOp', { op: node.op, node: node.name, domain: 'ai.onnx', version: '-' });
    const args = node.inputs.map((v) => {
      if (!v) return undefined;
      const t = env.get(v) ?? (v.constant ? materialize(v.constant) : undefined);
      if (!t) throw CompileError.of('undefinedInput', { op: node.op, node: node.name, value: v.name });
      return t;
    });
    const results = def.evaluate(makeEvalContext(node, node.attrs, args, node.outputs.length) as never);
    node.outputs.forEach((v, i) => {
      const t = results[i];
      if (!t) throw CompileError.of('evalError', { op: node.op, node: node.name, detail: `result ${i} was not computed` });
      if (checkTypes) {
        if (t.dtype !== v.type.dtype) {
          throw CompileError.of('evalError', { op: node.op, node: node.name, detail: `result '${v.name}' has dtype ${t.dtype}, but its type says ${v.type.dtype}` });
        }
        bindShape(v.type.shape, t.shape, bindings, (detail) =>
          CompileError.of('evalError', { op: node.op, node: node.name, detail: `result '${v.name}': ${detail}` }));
      }
      env.set(v, t);
    });
    options.onNode?.(node.name, results);
  }

  const out: Record<string, Tensor> = {};
  for (const v of graph.outputs) {
    const t = env.get(v);
    if (!t) throw CompileError.of('missingOutput', { value: v.name });
    out[v.name] = t;
  }
  return out;
}

/** Checks a concrete shape against a symbolic one, binding single-symbol dims on first sight. */
function bindShape(
  expected: readonly Dim[],
  actual: readonly number[],
  bindings: Map<string, number>,
  error: (detail: string) => Error,
): void {
  const mismatch = () => error(`shape ${shapeToString(actual)} does not match ${shapeToString(expected)}`);
  if (expected.length !== actual.length) throw mismatch();
  // Plain symbols first, so that expressions such as batch*seq can be evaluated afterwards.
  expected.forEach((d, i) => {
    if (typeof d === 'string' && dimSymbols(d).length === 1 && d === dimSymbols(d)[0]) {
      const bound = bindings.get(d);
      if (bound === undefined) bindings.set(d, actual[i]!);
      else if (bound !== actual[i]) throw error(`dimension ${i} is ${actual[i]}, but '${d}' is ${bound} elsewhere in this run`);
    }
  });
  expected.forEach((d, i) => {
    if (isStaticDim(d)) {
      if (d !== actual[i]) throw mismatch();
      return;
    }
    if (dimSymbols(d).every((s) => bindings.has(s)) && evalDim(d, bindings) !== actual[i]) throw mismatch();
  });
}
