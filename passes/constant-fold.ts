// Constant folding, complete for PyTorch's run-time shape chains: nodes with constant operands are evaluated,
// symbolic contents are propagated again after rewrites (results whose contents are all numbers become constants),
// constant operands that the IR keeps as attributes move there, and a Reshape or Expand whose target is computed
// at run time gets a constant target written from its known result type, which leaves the Shape → Gather →
// Unsqueeze → Concat chain that computed it dead.
//
// The importer's builder already folds while it builds; this pass matters after other rewrites (a canonicalized
// or fused graph exposes new constant operands) and for graphs built with folding off (parsed IR text).

import { type Dim, isStaticDim, shapesEqual } from '../compiler/ir/dim.js';
import { type AttrValue, type Graph, type Node, type TensorType, Value, materialize } from '../compiler/ir/graph.js';
import { makeEvalContext, makeInferContext, withDimErrors } from '../compiler/ir/builder.js';
import { Tensor, shapeSize } from '../compiler/ir/tensor.js';
import { type OpDef, getOp } from '../compiler/ops/registry.js';
import '../compiler/ops/index.js';
import { GraphEditor } from './editor.js';
import type { Pass } from './pass.js';
import { expandTarget, reshapeTarget } from './shapes.js';

/** Largest result, in elements, that folding creates (the builder's limit). */
const MAX_FOLD_ELEMENTS = 4 * 1024 * 1024;

let fresh = 0;
const freshDim = (hint: string): string => `cf_${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${fresh++}`;

/** The node's type rule run on its current operands (undefined when it fails). */
function inferTypes(def: OpDef, node: Node, inputs: readonly (Value | undefined)[]): TensorType[] | undefined {
  try {
    return withDimErrors(node, () => def.infer(makeInferContext(def, node, node.attrs, inputs, node.outputs.length, freshDim) as never));
  } catch {
    return undefined;
  }
}

function staticSize(t: TensorType): number | undefined {
  return t.shape.every(isStaticDim) ? shapeSize(t.shape as number[]) : undefined;
}

/** Replaces each result of `node` by a constant holding `data[i]` (taking the result's name), then drops the node. */
function replaceByConstants(editor: GraphEditor, node: Node, data: readonly Tensor[]): void {
  node.outputs.forEach((v, i) => {
    const t = data[i]!;
    if (t.dtype !== v.type.dtype || !shapesEqual(t.shape, v.type.shape)) {
      throw new Error(`internal error: folding ${node.describe()} gave ${t.dtype}[${t.shape.join(', ')}] for %${v.name}`);
    }
    const c = editor.addConstant(v.name, t);
    c.symbolic = v.symbolic;
    editor.replaceAllUses(v, c, { takeName: true });
  });
  editor.remove(node);
}

/** Evaluates a node whose operands are all constants, when its results are static and not too large. */
function foldConstantOperands(editor: GraphEditor, def: OpDef, node: Node): boolean {
  if (def.noFold || !node.inputs.every((v) => v === undefined || v.constant !== undefined)) return false;
  const sizes = node.outputs.map((v) => staticSize(v.type));
  if (sizes.some((s) => s === undefined || s > MAX_FOLD_ELEMENTS)) return false;
  const args = node.inputs.map((v) => (v ? materialize(v.constant!) : undefined));
  replaceByConstants(editor, node, def.evaluate(makeEvalContext(node, node.attrs, args, node.outputs.length) as never));
  return true;
}

/** Propagates symbolic contents through the node again; returns 'constant' when every result became a number list. */
function refreshSymbolic(editor: GraphEditor, def: OpDef, node: Node): 'constant' | 'refined' | undefined {
  if (!def.symbolic) return undefined;
  let sym: (Dim[] | undefined)[];
  try {
    const ctx = makeInferContext(def, node, node.attrs, node.inputs, node.outputs.length, freshDim);
    sym = def.symbolic({ ...ctx, outputs: node.outputs.map((v) => v.type) } as never);
  } catch {
    return undefined;
  }
  let refined = false;
  node.outputs.forEach((v, i) => {
    const elems = sym[i];
    if (!elems || v.symbolic || staticSize(v.type) !== elems.length) return;
    v.symbolic = elems;
    refined = true;
  });
  const known = node.outputs.map((v) => v.symbolic);
  if (known.every((s) => s?.every(isStaticDim))) {
    replaceByConstants(editor, node, node.outputs.map((v, i) => Tensor.fromNumbers(v.type.dtype, v.type.shape as number[], known[i] as number[])));
    return 'constant';
  }
  return refined ? 'refined' : undefined;
}

/** A constant operand of a port declared `constantToAttr` moves into its attribute (the importer's one form). */
function operandsToAttrs(editor: GraphEditor, def: OpDef, node: Node): boolean {
  let moved = false;
  def.inputs.forEach((port, k) => {
    const v = node.inputs[k];
    if (!port.constantToAttr || port.variadic || !v?.constant || node.attrs[port.constantToAttr] !== undefined) return;
    const kind = def.attrs[port.constantToAttr]?.kind;
    const t = materialize(v.constant);
    let value: AttrValue | undefined;
    if (kind === 'ints' || kind === 'floats') value = t.toNumbers();
    else if ((kind === 'int' || kind === 'float') && t.size === 1) value = t.get(0);
    if (value === undefined) return;
    node.attrs = { ...node.attrs, [port.constantToAttr]: value };
    editor.setOperand(node, k, undefined);
    moved = true;
  });
  return moved;
}

/** The constant a run-time shape operand can be replaced by, from the node's known result type. */
function constantTarget(node: Node): number[] | undefined {
  const x = node.inputs[0];
  if (!x) return undefined;
  const out = node.outputs[0]!.type.shape;
  if (node.op === 'Reshape' && node.attrs.allowzero !== 1) return reshapeTarget(x.type.shape, out);
  if (node.op === 'Expand') return expandTarget(x.type.shape, out);
  return undefined;
}

/** Replaces a Reshape/Expand target computed at run time by a constant, when the type rule agrees. */
function constantShapeOperand(editor: GraphEditor, def: OpDef, node: Node): boolean {
  const s = node.inputs[1];
  if (!s || s.constant) return false;
  const target = constantTarget(node);
  if (!target) return false;
  const data = Tensor.fromNumbers('i64', [target.length], target);
  const probe = new Value(s.name, { dtype: 'i64', shape: [target.length] });
  probe.constant = data;
  const types = inferTypes(def, node, [node.inputs[0], probe]);
  if (!types || !shapesEqual(types[0]!.shape, node.outputs[0]!.type.shape)) return false;
  editor.setOperand(node, 1, editor.addConstant(`${s.name}_const`, data));
  return true;
}

export function foldConstants(graph: Graph): { changed: boolean; stats: Record<string, number> } {
  const editor = new GraphEditor(graph);
  const stats = { folded: 0, 'symbolic-constant': 0, 'symbolic-refined': 0, 'operand-to-attr': 0, 'shape-operand': 0 };
  for (const node of [...graph.nodes]) {
    if (editor.isRemoved(node)) continue;
    const def = getOp(node.op);
    if (!def) continue;
    if (foldConstantOperands(editor, def, node)) {
      stats.folded++;
      continue;
    }
    const sym = refreshSymbolic(editor, def, node);
    if (sym === 'constant') {
      stats['symbolic-constant']++;
      continue;
    }
    if (sym === 'refined') stats['symbolic-refined']++;
    if (operandsToAttrs(editor, def, node)) stats['operand-to-attr']++;
    if (constantShapeOperand(editor, def, node)) stats['shape-operand']++;
  }
  editor.commit();
  const changed = editor.modified;
  return { changed, stats: Object.fromEntries(Object.entries(stats).filter(([, n]) => n > 0)) };
}

export const constantFold: Pass = {
  name: 'constant-fold',
  description: 'evaluates nodes with constant operands, folds run-time shape chains into constants and symbolic types',
  run: (graph) => foldConstants(graph),
};
