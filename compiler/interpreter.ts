// The reference interpreter: runs any IR graph node by node with each op's reference semantics.

import { CompileError } from './diagnostics.js';
import { type Dim, evalDim, isStaticDim, dimSymbols, shapeToString } from './ir/dim.js';
import { type Graph, type Node, Value, materialize } from './ir/graph.js';
import type { Tensor } from './ir/tensor.js';
import { makeEvalContext, makeInferContext, withDimErrors } from './ir/builder.js';
import { DEFAULT_LIMITS, checkedElementCount } from './limits.js';
import { type OpDef, getOp } from './ops/registry.js';
import './ops/index.js';

export interface InterpretOptions {
  /**
   * Check every result's shape against its inferred type with the symbols bound from the inputs (default true):
   * a wrong type rule fails here, naming the node.
   */
  checkTypes?: boolean;
  /**
   * Largest result a node may compute, in elements (default DEFAULT_LIMITS.maxRunElements): a node whose result
   * would be larger fails with a diagnostic before it allocates anything.
   */
  maxElements?: number;
  /** Called after each node with its results (for debugging and tests). */
  onNode?: (nodeName: string, results: Tensor[]) => void;
}

/** Runs the graph on named inputs and returns its outputs by name. */
export function interpret(graph: Graph, feeds: Readonly<Record<string, Tensor>>, options: InterpretOptions = {}): Record<string, Tensor> {
  const checkTypes = options.checkTypes ?? true;
  const maxElements = options.maxElements ?? DEFAULT_LIMITS.maxRunElements;
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
    checkResultSizes(def, node, args, bindings, maxElements);
    const results = def.evaluate(makeEvalContext(node, node.attrs, args, node.outputs.length) as never);
    node.outputs.forEach((v, i) => {
      const t = results[i];
      if (!t) throw CompileError.of('evalError', { op: node.op, node: node.name, detail: `result ${i} was not computed` });
      if (checkTypes && t.dtype !== v.type.dtype) {
        throw CompileError.of('evalError', { op: node.op, node: node.name, detail: `result '${v.name}' has dtype ${t.dtype}, but its type says ${v.type.dtype}` });
      }
      // Symbols are bound either way (the size check of later nodes needs them); mismatches fail when checking.
      bindShape(v.type.shape, t.shape, bindings, (detail) =>
        CompileError.of('evalError', { op: node.op, node: node.name, detail: `result '${v.name}': ${detail}` }), checkTypes);
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

/**
 * The result shapes of a node about to run: from its inferred types with the symbols bound so far, or, where a
 * dim depends on data (a fresh symbol of Range, a run-time Expand or ConstantOfShape), from its type rule run
 * again on the actual operands as constants. Fails naming the node when a result would exceed `maxElements`.
 */
function checkResultSizes(def: OpDef, node: Node, args: readonly (Tensor | undefined)[], bindings: ReadonlyMap<string, number>, maxElements: number): void {
  let shapes: (readonly Dim[])[] = node.outputs.map((v) => v.type.shape.map((d) => boundDim(d, bindings) ?? d));
  if (!shapes.every((s) => s.every(isStaticDim))) {
    // Operands as constants: the rule then sees the values that decide the sizes. A rule that fails here names
    // the problem (a negative Expand dim, a zero Range delta) before evaluation trips over it.
    const operands = args.map((t, i) => {
      if (!t) return undefined;
      const v = new Value(node.inputs[i]?.name ?? `operand${i}`, { dtype: t.dtype, shape: t.shape });
      v.constant = t;
      return v;
    });
    let fresh = 0;
    const ctx = makeInferContext(def, node, node.attrs, operands, node.outputs.length, (hint) => `${hint}_${fresh++}`);
    shapes = withDimErrors(node, () => def.infer(ctx as never)).slice(0, node.outputs.length).map((t) => t.shape);
  }
  shapes.forEach((shape, i) => {
    if (!shape.every(isStaticDim)) return; // still unknown: the op's evaluation checks its own sizes
    const count = checkedElementCount(shape);
    // Each dim too: some evaluations build per-dim plans, and a zero elsewhere makes the count 0.
    if (count !== undefined && count <= maxElements && shape.every((d) => d <= maxElements)) return;
    throw CompileError.of('runResultTooLarge', {
      op: node.op, node: node.name, value: node.outputs[i]!.name, shape: shapeToString(shape),
      elements: count ?? 'more than 2^53 (or invalid)', limit: maxElements,
    });
  });
}

/** A dim's value when every symbol in it is bound, else undefined. */
function boundDim(d: Dim, bindings: ReadonlyMap<string, number>): number | undefined {
  if (isStaticDim(d)) return d;
  return dimSymbols(d).every((s) => bindings.has(s)) ? evalDim(d, bindings) : undefined;
}

/**
 * Checks a concrete shape against a symbolic one, binding single-symbol dims on first sight; with `strict`
 * false it only binds (first binding wins) and never fails.
 */
function bindShape(
  expected: readonly Dim[],
  actual: readonly number[],
  bindings: Map<string, number>,
  error: (detail: string) => Error,
  strict = true,
): void {
  const mismatch = () => error(`shape ${shapeToString(actual)} does not match ${shapeToString(expected)}`);
  if (expected.length !== actual.length) {
    if (strict) throw mismatch();
    return;
  }
  // Plain symbols first, so that expressions such as batch*seq can be evaluated afterwards.
  expected.forEach((d, i) => {
    if (typeof d === 'string' && dimSymbols(d).length === 1 && d === dimSymbols(d)[0]) {
      const bound = bindings.get(d);
      if (bound === undefined) bindings.set(d, actual[i]!);
      else if (bound !== actual[i] && strict) throw error(`dimension ${i} is ${actual[i]}, but '${d}' is ${bound} elsewhere in this run`);
    }
  });
  if (!strict) return;
  expected.forEach((d, i) => {
    if (isStaticDim(d)) {
      if (d !== actual[i]) throw mismatch();
      return;
    }
    if (dimSymbols(d).every((s) => bindings.has(s)) && evalDim(d, bindings) !== actual[i]) throw mismatch();
  });
}
