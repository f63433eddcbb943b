// Lowering: an optimized IR graph becomes a Schedule (kernel steps over arena buffers and weights), for any backend.
//
// What it decides, and nothing more: which nodes run (only those whose results are read as data or are graph
// outputs: shape arithmetic that only feeds shape operands disappears), which values are views of others
// (Reshape and friends: same bytes, no step), where every tensor lives (an arena buffer with a lifetime, or an
// entry of the weights image, possibly re-laid-out for a kernel), and what kernels may know as numbers (shape
// operands' contents). Shapes are never recomputed: every TensorRef carries the value's inferred type.

import { DiagnosticBag } from '../../compiler/diagnostics.js';
import { type Dim, dimMul, dimSymbols, dimsProduct, isStaticDim, shapeToString } from '../../compiler/ir/dim.js';
import { dtypeInfo } from '../../compiler/ir/dtype.js';
import { type ConstantData, type Graph, Node, type Value, materialize } from '../../compiler/ir/graph.js';
import { type Tensor, shapeSize } from '../../compiler/ir/tensor.js';
import { makeEvalContext } from '../../compiler/ir/builder.js';
import { getOp } from '../../compiler/ops/registry.js';
import type { ArenaBuffer, Location, Schedule, ScheduleIO, Step, TensorRef, WeightEntry } from './schedule.js';

export interface LowerOptions {
  /** Asked for every constant operand a step reads: a kernel-specific layout and the re-laid-out data, or undefined. */
  packWeight?(node: Node, operandIndex: number, tensor: Tensor): { layout: string; data: Tensor } | undefined;
  /** Asked for every step once its operands are placed: the bytes of scratch memory its kernel needs (Step.scratch), or undefined / 0. */
  scratchBytes?(step: Step): Dim | undefined;
}

/** Ops whose result 0 is operand 0's bytes under another shape: no step, the result aliases the operand. */
export const VIEW_OPS: ReadonlySet<string> = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Dropout']);

/** Ops that never become steps: views, and Constant (its result goes to the weights image). Backends need no kernel for them. */
export const NO_STEP_OPS: ReadonlySet<string> = new Set([...VIEW_OPS, 'Constant']);

/**
 * Operands a kernel never reads as data. `always`: only their type matters (Shape's data). `whenKnown`: their
 * contents go to Step.known when known at compile time (shape operands); when they are not known, they are
 * passed as data (Range's scalars), or the node's type already has a data-dependent size, which is reported.
 */
const NOT_DATA: Readonly<Record<string, { always?: readonly number[]; whenKnown?: readonly number[] }>> = {
  Shape: { always: [0] },
  Size: { always: [0] },
  EyeLike: { always: [0] },
  CastLike: { always: [1] },
  Dropout: { always: [0, 1, 2] }, // a step exists only for the mask; result 0 is a view
  Reshape: { whenKnown: [1] },
  Squeeze: { whenKnown: [1] },
  Unsqueeze: { whenKnown: [1] },
  Expand: { whenKnown: [1] },
  ConstantOfShape: { whenKnown: [0] },
  Tile: { whenKnown: [1] },
  Slice: { whenKnown: [1, 2, 3, 4] },
  Split: { whenKnown: [1] },
  Range: { whenKnown: [0, 1, 2] },
  Trilu: { whenKnown: [1] },
  CumSum: { whenKnown: [1] },
  Pad: { whenKnown: [1, 3] },
  ReduceSum: { whenKnown: [1] },
  ReduceMean: { whenKnown: [1] },
  ReduceMax: { whenKnown: [1] },
  ReduceMin: { whenKnown: [1] },
  ReduceProd: { whenKnown: [1] },
  ReduceL1: { whenKnown: [1] },
  ReduceL2: { whenKnown: [1] },
  ReduceSumSquare: { whenKnown: [1] },
  ReduceLogSum: { whenKnown: [1] },
  ReduceLogSumExp: { whenKnown: [1] },
};

/** Constants up to this many elements have their contents in Step.known (like the builder's symbolic contents). */
const KNOWN_MAX_ELEMENTS = 64;

/** Known contents of a value: symbolic contents, or a small constant's numbers. */
export function knownContents(v: Value | undefined): Dim[] | undefined {
  if (!v) return undefined;
  if (v.symbolic) return v.symbolic;
  if (v.constant && v.constant.shape.every(isStaticDim) && shapeSize(v.constant.shape) <= KNOWN_MAX_ELEMENTS) {
    return materialize(v.constant).toNumbers();
  }
  return undefined;
}

/** Is operand i of node read as data by its kernel? (The answer lowering uses for liveness and placement.) */
export function readsAsData(node: Node, i: number): boolean {
  const v = node.inputs[i];
  if (!v) return false;
  const rule = NOT_DATA[node.op];
  if (!rule) return true;
  if (rule.always?.includes(i)) return false;
  if (rule.whenKnown?.includes(i) && knownContents(v) !== undefined) return false;
  return true;
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Bytes of a tensor type: elements × dtype size, rounded up to 16 when static. */
export function tensorBytes(dtype: Value['type']['dtype'], shape: readonly Dim[]): Dim {
  const raw = dimMul(dimsProduct(shape), dtypeInfo(dtype).bytes);
  return isStaticDim(raw) ? roundUp(raw, 16) : raw;
}

export const WEIGHT_ALIGN = 64;

/** Lowers a graph to a schedule; throws a CompileError with every problem found. */
export function lowerGraph(graph: Graph, options: LowerOptions = {}): Schedule {
  const bag = new DiagnosticBag();

  // Symbols: the plain-symbol dims of the graph inputs, in order of appearance. Only those can be bound at run time.
  const symbols: string[] = [];
  for (const v of graph.inputs) {
    for (const d of v.type.shape) if (typeof d === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(d) && !symbols.includes(d)) symbols.push(d);
  }
  const inputMentions = new Set(graph.inputs.flatMap((v) => v.type.shape.flatMap(dimSymbols)));
  for (const v of graph.inputs) {
    const unbound = v.type.shape.flatMap(dimSymbols).filter((s) => !symbols.includes(s));
    if (unbound.length > 0) {
      bag.add('inputType', { value: v.name, detail: `shape ${shapeToString(v.type.shape)} mentions '${unbound[0]}', which no dimension of a graph input binds on its own` });
    }
  }

  // Constants: constant values, and the results of Constant nodes (the builder folds those; other producers may not).
  const constantNodes = new Map<Value, ConstantData>();
  for (const node of graph.nodes) {
    if (node.op !== 'Constant') continue;
    const results = getOp('Constant')!.evaluate(makeEvalContext(node, node.attrs, [], node.outputs.length) as never);
    node.outputs.forEach((v, k) => constantNodes.set(v, results[k]!));
  }
  const constantOf = (v: Value): ConstantData | undefined => v.constant ?? constantNodes.get(v);

  // Views: the value whose bytes a view shows.
  const root = (v: Value): Value => {
    while (v.producer && VIEW_OPS.has(v.producer.op) && v.producer.outputs[0] === v) v = v.producer.inputs[0]!;
    return v;
  };

  // Liveness of data: graph outputs, then backwards through the nodes' data operands.
  const needed = new Set<Value>(graph.outputs);
  const running: Node[] = [];
  for (let n = graph.nodes.length - 1; n >= 0; n--) {
    const node = graph.nodes[n]!;
    const isView = VIEW_OPS.has(node.op);
    // Results with constant contents are read from the weights, so they alone do not make a node run.
    const live = node.outputs.filter((v, k) => needed.has(v) && !constantOf(v) && !(isView && k === 0));
    if (isView && ((needed.has(node.outputs[0]!) && !constantOf(node.outputs[0]!)) || live.length > 0)) needed.add(node.inputs[0]!);
    if (live.length === 0) continue;
    running.push(node);
    node.inputs.forEach((v, i) => {
      if (v && readsAsData(node, i)) needed.add(v);
    });
  }
  running.reverse();

  // Every computed value that is needed (and every graph output, views included) must have a size known from
  // the input shapes. (A symbol that a graph input mentions but cannot bind was reported there already.)
  const sized = new Set<Value>();
  const checkSize = (node: Node, v: Value): void => {
    if (sized.has(v)) return;
    sized.add(v);
    const bad = v.type.shape.flatMap(dimSymbols).find((s) => !symbols.includes(s) && !inputMentions.has(s));
    if (bad !== undefined) {
      bag.add('lowerDynamicShape', { op: node.op, node: node.name, value: v.name, shape: shapeToString(v.type.shape), symbol: bad });
    }
  };
  for (const node of running) node.outputs.forEach((v) => checkSize(node, v));
  for (const v of graph.outputs) if (v.producer) checkSize(v.producer, v);
  bag.throwIfAny();

  // Placement.
  const buffers: { bytes: Dim; first: number; last: number; label: string }[] = [];
  const bufferOf = new Map<Value, number>();
  const newBuffer = (v: Value, first: number): number => {
    const id = buffers.length;
    buffers.push({ bytes: tensorBytes(v.type.dtype, v.type.shape), first, last: first, label: v.name });
    bufferOf.set(v, id);
    return id;
  };
  for (const v of graph.inputs) newBuffer(v, -1);

  const weights: WeightEntry[] = [];
  let weightBytes = 0;
  const weightIds = new Map<ConstantData, Map<string, number>>();
  const addWeight = (data: Tensor, layout: string | undefined, label: string, key: ConstantData): number => {
    const byLayout = weightIds.get(key) ?? new Map<string, number>();
    weightIds.set(key, byLayout);
    const existing = byLayout.get(layout ?? '');
    if (existing !== undefined) return existing;
    const id = weights.length;
    const byteOffset = roundUp(weightBytes, WEIGHT_ALIGN);
    weights.push({ id, label, byteOffset, data, ...(layout !== undefined ? { layout } : {}) });
    weightBytes = byteOffset + data.bytes().byteLength;
    byLayout.set(layout ?? '', id);
    return id;
  };

  /** Where value v lives when `node`'s operand `index` reads it (constants may be packed for that reader). */
  const locate = (v: Value, reader?: { node: Node; index: number }): Location => {
    const r = constantOf(v) ? v : root(v);
    const c = constantOf(r);
    if (c) {
      let data = materialize(c);
      if (!data.shape.every((d, i) => d === v.type.shape[i]) || data.shape.length !== v.type.shape.length) {
        data = data.reshape(v.type.shape as number[]); // a view of a constant (static by construction)
      }
      const packed = reader ? options.packWeight?.(reader.node, reader.index, data) : undefined;
      const id = packed ? addWeight(packed.data, packed.layout, r.name, c) : addWeight(data, undefined, r.name, c);
      return packed ? { kind: 'weight', weight: id, byteOffset: 0, layout: packed.layout } : { kind: 'weight', weight: id, byteOffset: 0 };
    }
    const buffer = bufferOf.get(r);
    if (buffer === undefined) throw new Error(`lowering: value '${v.name}' is read before a buffer holds it`);
    return { kind: 'arena', buffer, byteOffset: 0 };
  };
  const ref = (v: Value, reader?: { node: Node; index: number }): TensorRef => ({ dtype: v.type.dtype, shape: v.type.shape, loc: locate(v, reader) });

  const steps: Step[] = [];
  const touch = (r: TensorRef | undefined, index: number): void => {
    if (r?.loc.kind !== 'arena') return;
    const b = buffers[r.loc.buffer]!;
    b.last = Math.max(b.last, index);
  };
  const pushStep = (node: Node, inputs: (TensorRef | undefined)[], outputs: TensorRef[], known: (Dim[] | undefined)[]): void => {
    const index = steps.length;
    const step: Step = { index, node, op: node.op, attrs: node.attrs, inputs, outputs, known };
    const scratch = options.scratchBytes?.(step);
    if (scratch !== undefined && scratch !== 0) {
      const buffer = buffers.length;
      buffers.push({ bytes: isStaticDim(scratch) ? roundUp(scratch, 16) : scratch, first: index, last: index, label: `${node.name} (scratch)` });
      steps.push({ ...step, scratch: { dtype: 'u8', shape: [scratch], loc: { kind: 'arena', buffer, byteOffset: 0 } } });
    } else steps.push(step);
    inputs.forEach((r) => touch(r, index));
    outputs.forEach((r) => touch(r, index));
  };

  for (const node of running) {
    const index = steps.length;
    const inputs = node.inputs.map((v, i) => (v && readsAsData(node, i) ? ref(v, { node, index: i }) : undefined));
    const known = node.inputs.map((v) => knownContents(v));
    const outputs = node.outputs.map((v, k) => {
      if (VIEW_OPS.has(node.op) && k === 0) return ref(v); // Dropout's data result (its step only writes the mask)
      const buffer = newBuffer(v, index);
      return { dtype: v.type.dtype, shape: v.type.shape, loc: { kind: 'arena', buffer, byteOffset: 0 } } satisfies TensorRef;
    });
    pushStep(node, inputs, outputs, known);
  }

  // Graph outputs: the bytes of a computed value stay alive to the end; inputs and constants are copied.
  const outputs: ScheduleIO[] = graph.outputs.map((v) => {
    const r = root(v);
    let out: TensorRef;
    if (constantOf(v) || constantOf(r) || graph.inputs.includes(r)) {
      const copy = new Node('Identity', [v], [v], {}, `output copy of '${v.name}'`);
      const src = ref(v);
      const index = steps.length;
      const buffer = buffers.length;
      buffers.push({ bytes: tensorBytes(v.type.dtype, v.type.shape), first: index, last: index, label: `${v.name} (output copy)` });
      out = { dtype: v.type.dtype, shape: v.type.shape, loc: { kind: 'arena', buffer, byteOffset: 0 } };
      pushStep(copy, [src], [out], [undefined]);
    } else {
      out = ref(v);
    }
    return { name: v.name, dtype: v.type.dtype, shape: v.type.shape, ref: out };
  });
  for (const o of outputs) {
    if (o.ref.loc.kind === 'arena') buffers[o.ref.loc.buffer]!.last = steps.length;
  }

  const inputs: ScheduleIO[] = graph.inputs.map((v) => ({ name: v.name, dtype: v.type.dtype, shape: v.type.shape, ref: ref(v) }));
  const arena: ArenaBuffer[] = buffers.map((b, id) => ({ id, bytes: b.bytes, firstStep: b.first, lastStep: b.last, label: b.label }));
  return { symbols, inputs, outputs, steps, buffers: arena, weights, weightBytes: roundUp(weightBytes, WEIGHT_ALIGN) };
}
