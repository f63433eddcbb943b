// Common subexpression elimination by structural hashing: a node is keyed by its op, attributes and operands;
// operands are keyed by identity, small constants by content, and values with known symbolic contents by those
// contents (every Shape of an f32[batch, seq, 32] value is the same [batch, seq, 32]). The first of equal keys stays.

import type { Dim } from '../compiler/ir/dim.js';
import { type AttrValue, type Graph, type Node, type Value, isLazy } from '../compiler/ir/graph.js';
import { formatData, typeToString } from '../compiler/ir/print.js';
import { Tensor } from '../compiler/ir/tensor.js';
import { getOp } from '../compiler/ops/registry.js';
import '../compiler/ops/index.js';
import { GraphEditor } from './editor.js';
import type { Pass } from './pass.js';

/** Constants up to this many elements are compared by content. */
const MAX_CONTENT_KEY = 4096;

function numberKey(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

function attrKey(v: AttrValue | undefined): string {
  if (v === undefined) return '_';
  if (v instanceof Tensor) return `T${typeToString(v)}${formatData(v, { hexAbove: 0 })}`;
  if (Array.isArray(v)) return `[${(v as (number | string)[]).map((x) => (typeof x === 'number' ? numberKey(x) : JSON.stringify(x))).join(',')}]`;
  return typeof v === 'number' ? numberKey(v) : JSON.stringify(v);
}

/** The content key of a value, or undefined when it is keyed by identity. */
function contentKey(v: Value): string | undefined {
  const c = v.constant;
  if (c && !isLazy(c) && c.size <= MAX_CONTENT_KEY) return `c${typeToString(v.type)}${formatData(c, { hexAbove: 0 })}`;
  if (!c && v.symbolic) return `s${typeToString(v.type)}[${v.symbolic.map((d: Dim) => String(d)).join(',')}]`;
  return undefined;
}

export function eliminateCommonSubexpressions(graph: Graph): { changed: boolean; stats: Record<string, number> } {
  const editor = new GraphEditor(graph);
  const ids = new Map<Value, number>();
  const byContent = new Map<string, Value>();
  const byStructure = new Map<string, Node>();
  let values = 0;
  let nodes = 0;

  /** Merges `v` into an earlier value of equal contents; returns the value that stays. */
  const numberValue = (v: Value): Value => {
    const key = contentKey(v);
    if (key !== undefined) {
      let first = byContent.get(key);
      // A representative whose users all went away was removed with its producer; the new value takes its place.
      if (first?.producer && editor.isRemoved(first.producer)) first = undefined;
      if (first && first !== v && !editor.replaceProblem(v, first)) {
        editor.replaceAllUses(v, first);
        values++;
        return first;
      }
      if (!first) byContent.set(key, v);
    }
    if (!ids.has(v)) ids.set(v, ids.size);
    return v;
  };

  for (const v of graph.inputs) numberValue(v);
  for (const v of graph.constants) numberValue(v);
  for (const node of graph.nodes) {
    if (editor.isRemoved(node)) continue;
    const def = getOp(node.op);
    if (def && !def.noFold) {
      const attrs = Object.keys(node.attrs).sort().map((k) => `${k}=${attrKey(node.attrs[k])}`).join(';');
      const ops = node.inputs.map((v) => (v ? String(ids.get(v) ?? `?${v.name}`) : '_'));
      // a ⊕ b and b ⊕ a are the same for a commutative ⊕.
      if (def.commutative && ops.length === 2 && ops[0]! > ops[1]!) ops.reverse();
      const operands = ops.join(',');
      const key = `${node.op}(${operands}){${attrs}}#${node.outputs.length}`;
      let first = byStructure.get(key);
      if (first && editor.isRemoved(first)) first = undefined;
      if (first && node.outputs.every((v, i) => !editor.replaceProblem(v, first.outputs[i]!))) {
        node.outputs.forEach((v, i) => editor.replaceAllUses(v, first.outputs[i]!));
        editor.remove(node);
        nodes++;
        continue;
      }
      if (!first) byStructure.set(key, node);
    }
    const merged = node.outputs.filter((v) => numberValue(v) !== v).length > 0;
    if (merged && editor.isDead(node)) editor.remove(node);
  }
  editor.commit();
  const stats: Record<string, number> = {};
  if (nodes > 0) stats['nodes-merged'] = nodes;
  if (values > 0) stats['values-merged'] = values;
  return { changed: editor.modified, stats };
}

export const cse: Pass = {
  name: 'cse',
  description: 'merges nodes with the same op, attributes and operands, equal small constants, and values with equal symbolic contents',
  run: (graph) => eliminateCommonSubexpressions(graph),
};
