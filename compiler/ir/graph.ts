// The IR graph: values (inputs, constants, node results), nodes with typed attributes, graph outputs.

import type { Dim } from './dim.js';
import type { DType } from './dtype.js';
import { Tensor } from './tensor.js';

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** Constant data that is loaded on demand (external-data weights), so large models are not read twice. */
export interface LazyTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly byteLength: number;
  /** Where the bytes live, for diagnostics and bundles. */
  readonly source: string;
  load(): Tensor;
}

export type ConstantData = Tensor | LazyTensor;

export function isLazy(c: ConstantData): c is LazyTensor {
  return !(c instanceof Tensor);
}

/** The tensor of a constant, loading it when it is lazy. */
export function materialize(c: ConstantData): Tensor {
  return c instanceof Tensor ? c : c.load();
}

export type AttrValue = number | string | boolean | number[] | string[] | Tensor;
export type Attrs = Readonly<Record<string, AttrValue | undefined>>;

export class Value {
  /** Unique within the graph; printed as %name. */
  name: string;
  type: TensorType;
  /** The node computing this value; undefined for graph inputs and constants. */
  producer: Node | undefined;
  /** Set for constants (ONNX initializers, Constant nodes, folded values). */
  constant: ConstantData | undefined;
  /**
   * Known contents of a small integer tensor whose elements may be symbolic (e.g. the output of Shape on
   * [batch, seq, 32] is ['batch', 'seq', 32]); row-major, length = product of the static shape.
   */
  symbolic: Dim[] | undefined;

  constructor(name: string, type: TensorType) {
    this.name = name;
    this.type = type;
    this.producer = undefined;
    this.constant = undefined;
    this.symbolic = undefined;
  }
}

export class Node {
  op: string;
  inputs: (Value | undefined)[];
  outputs: Value[];
  attrs: Attrs;
  /** The ONNX node name (or a generated one), kept for diagnostics. */
  name: string;

  constructor(op: string, inputs: (Value | undefined)[], outputs: Value[], attrs: Attrs, name: string) {
    this.op = op;
    this.inputs = inputs;
    this.outputs = outputs;
    this.attrs = attrs;
    this.name = name;
  }

  /** "MatMul node '/encoder/layer.0/MatMul'", the way every diagnostic names a node. */
  describe(): string {
    return `${this.op} node '${this.name}'`;
  }
}

export interface OpsetImport {
  readonly domain: string;
  readonly version: number;
}

export class Graph {
  name: string;
  inputs: Value[] = [];
  outputs: Value[] = [];
  /** Constants the graph holds (initializers and folded values), in creation order. */
  constants: Value[] = [];
  /** Nodes in topological order. */
  nodes: Node[] = [];
  opsets: OpsetImport[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(name = 'main') {
    this.name = name;
  }

  /** A value name not used yet in this graph, derived from `hint`. */
  uniqueName(hint?: string): string {
    let base = hint && hint.length > 0 ? hint : `v${this.counter++}`;
    if (!this.names.has(base)) {
      this.names.add(base);
      return base;
    }
    let i = 1;
    while (this.names.has(`${base}_${i}`)) i++;
    base = `${base}_${i}`;
    this.names.add(base);
    return base;
  }

  hasName(name: string): boolean {
    return this.names.has(name);
  }

  addInput(name: string, type: TensorType): Value {
    const v = new Value(this.uniqueName(name), type);
    this.inputs.push(v);
    return v;
  }

  addConstant(name: string | undefined, data: ConstantData, symbolic?: Dim[]): Value {
    const v = new Value(this.uniqueName(name), { dtype: data.dtype, shape: [...data.shape] });
    v.constant = data;
    v.symbolic = symbolic;
    this.constants.push(v);
    return v;
  }

  /** Every value of the graph: inputs, constants, then node outputs in order. */
  *values(): IterableIterator<Value> {
    yield* this.inputs;
    yield* this.constants;
    for (const n of this.nodes) yield* n.outputs;
  }

  /** Map from each value to the nodes that read it. */
  users(): Map<Value, Node[]> {
    const map = new Map<Value, Node[]>();
    for (const n of this.nodes) {
      for (const v of n.inputs) {
        if (!v) continue;
        const list = map.get(v);
        if (list) list.push(n);
        else map.set(v, [n]);
      }
    }
    return map;
  }
}
