// The IR verifier: structural invariants of a graph and every node's type rule re-run against its stored types.

import { CompileError, Diagnostic } from '../diagnostics.js';
import { arityProblem, getOp, resolveAttrs } from '../ops/registry.js';
import '../ops/index.js';
import { makeInferContext } from './builder.js';
import { type Dim, dimEq, shapesEqual, substituteDim } from './dim.js';
import type { Graph, Node, TensorType, Value } from './graph.js';
import { typeToString } from './print.js';

/**
 * Whether an inferred type matches a stored one. Symbols the rule just invented (`isFresh`, e.g. the size of a
 * data-dependent result, or the broadcast of two unrelated symbols) stand for whatever the stored type says in
 * their place; `bindings` records those choices so that all results of one node agree.
 */
export function matchType(
  inferred: TensorType,
  stored: TensorType,
  isFresh: (symbol: string) => boolean,
  bindings: Map<string, Dim>,
): boolean {
  if (inferred.dtype !== stored.dtype || inferred.shape.length !== stored.shape.length) return false;
  inferred.shape.forEach((d, i) => {
    if (typeof d === 'string' && isFresh(d) && !bindings.has(d)) bindings.set(d, stored.shape[i]!);
  });
  return inferred.shape.every((d, i) => dimEq(substituteDim(d, bindings), stored.shape[i]!));
}

/** Every problem of the graph, in graph order; empty when the graph is valid. */
export function verifyGraph(graph: Graph): Diagnostic[] {
  const out: Diagnostic[] = [];
  const defined = new Set<Value>();
  const definedAt = new Map<Value, string>();
  const names = new Map<string, string>();
  const laterProducer = new Map<Value, Node>();
  for (const n of graph.nodes) for (const v of n.outputs) if (!laterProducer.has(v)) laterProducer.set(v, n);

  const define = (v: Value, where: string): void => {
    const first = definedAt.get(v) ?? names.get(v.name);
    if (first !== undefined) out.push(new Diagnostic('duplicateName', { value: v.name, where: `${first}, and ${where}` }));
    else names.set(v.name, where);
    if (!definedAt.has(v)) definedAt.set(v, where);
    defined.add(v);
  };

  for (const v of graph.inputs) define(v, 'graph input');
  for (const v of graph.constants) {
    define(v, 'constant');
    const c = v.constant;
    if (!c) {
      out.push(new Diagnostic('irInvariant', { detail: `constant '${v.name}' has no data` }));
    } else if (c.dtype !== v.type.dtype || !shapesEqual(c.shape, v.type.shape)) {
      out.push(new Diagnostic('irInvariant', {
        detail: `constant '${v.name}' is typed ${typeToString(v.type)}, but its data is ${typeToString(c)}`,
      }));
    }
  }

  let fresh = 0;
  const freshNames = new Set<string>();
  const freshDim = (hint: string): string => {
    const s = `__fresh${fresh++}_${hint.replace(/[^A-Za-z0-9_]/g, '_')}`;
    freshNames.add(s);
    return s;
  };

  for (const node of graph.nodes) {
    for (const v of node.inputs) {
      if (!v || defined.has(v)) continue;
      const producer = laterProducer.get(v);
      if (producer) {
        out.push(new Diagnostic('useBeforeDef', { op: node.op, node: node.name, value: v.name, producer: producer.describe() }));
      } else {
        out.push(new Diagnostic('undefinedInput', { op: node.op, node: node.name, value: v.name }));
      }
    }
    for (const v of node.outputs) {
      define(v, `result of ${node.describe()}`);
      if (v.producer !== node) {
        out.push(new Diagnostic('irInvariant', {
          detail: `value '${v.name}' is a result of ${node.describe()}, but its producer is ${v.producer ? v.producer.describe() : 'unset'}`,
        }));
      }
    }
    out.push(...checkNode(node, freshDim, (s) => freshNames.has(s)));
  }

  for (const v of graph.outputs) {
    if (!defined.has(v)) out.push(new Diagnostic('missingOutput', { value: v.name }));
  }
  return out;
}

/** The op, arity, attributes and type rule of one node. */
function checkNode(node: Node, freshDim: (hint: string) => string, isFresh: (s: string) => boolean): Diagnostic[] {
  const def = getOp(node.op);
  if (!def) return [new Diagnostic('unsupportedOp', { op: node.op, node: node.name, domain: 'ai.onnx', version: '-' })];
  let count = node.inputs.length;
  while (count > 0 && node.inputs[count - 1] === undefined) count--;
  const arity = arityProblem(def.inputs, count);
  if (arity) return [new Diagnostic('arityError', { op: node.op, node: node.name, detail: arity })];
  const { attrs, errors } = resolveAttrs(def, node.attrs);
  if (errors.length > 0) return errors.map((detail) => new Diagnostic('attrError', { op: node.op, node: node.name, detail }));

  let types: TensorType[];
  try {
    const ctx = makeInferContext(def, node, attrs, node.inputs, node.outputs.length, freshDim);
    types = def.infer(ctx as never);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics;
    const detail = `the type rule failed: ${e instanceof Error ? e.message : String(e)}`;
    return [new Diagnostic('shapeError', { op: node.op, node: node.name, detail })];
  }
  if (types.length < node.outputs.length) {
    const detail = `type rule produced ${types.length} results, ${node.outputs.length} expected`;
    return [new Diagnostic('shapeError', { op: node.op, node: node.name, detail })];
  }
  const out: Diagnostic[] = [];
  const bindings = new Map<string, Dim>();
  node.outputs.forEach((v, i) => {
    const inferred = types[i]!;
    if (!matchType(inferred, v.type, isFresh, bindings)) {
      out.push(new Diagnostic('typeMismatch', {
        op: node.op, node: node.name, value: v.name, stored: typeToString(v.type), inferred: typeToString(inferred),
      }));
    }
  });
  return out;
}

/** Throws a CompileError carrying every problem of the graph. */
export function assertValid(graph: Graph): void {
  const diagnostics = verifyGraph(graph);
  if (diagnostics.length > 0) throw new CompileError(diagnostics);
}
