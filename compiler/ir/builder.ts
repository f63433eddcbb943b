// Builds nodes through the registry: attributes resolved, the type rule run at construction, constants folded.

import { CompileError, Diagnostic, shapeError } from '../diagnostics.js';
import { type OpDef, type InferContext, type EvalContext, arityProblem, getOp, resolveAttrs } from '../ops/registry.js';
import { type Dim, DimArithmeticError, isStaticDim } from './dim.js';
import { type Attrs, type ConstantData, Graph, Node, type TensorType, Value, materialize } from './graph.js';
import { Tensor, shapeSize } from './tensor.js';
import { checkedElementCount } from '../limits.js';

export interface AddOptions {
  /** Node name for diagnostics (the ONNX name when imported). */
  name?: string;
  /** Result value names; generated when absent. */
  outputNames?: string[];
  /** Number of results (for variadic outputs); defaults to the op's declared outputs. */
  numOutputs?: number;
  domain?: string;
}

export interface BuilderOptions {
  /** Fold nodes whose operands are all constant (default true). */
  fold?: boolean;
  /** Largest result, in elements, that folding may create (default 4M). */
  maxFoldElements?: number;
}

/** Context objects handed to type rules; shared by the builder and the verifier. */
export function makeInferContext(
  def: OpDef,
  node: { op: string; name: string },
  attrs: Attrs,
  inputs: readonly (Value | undefined)[],
  numOutputs: number,
  freshDim: (hint: string) => string,
): InferContext<Record<string, unknown>> {
  const fail = (message: string): never => {
    throw shapeError(node, message);
  };
  return {
    node,
    attrs,
    inputs: inputs.map((v) => v?.type),
    numOutputs,
    input(i) {
      const v = inputs[i];
      if (!v) fail(`operand ${i} ('${def.inputs[Math.min(i, def.inputs.length - 1)]?.name ?? i}') is required`);
      return v!.type;
    },
    constant(i) {
      const c = inputs[i]?.constant;
      return c ? materialize(c) : undefined;
    },
    symbolic(i) {
      const v = inputs[i];
      if (!v) return undefined;
      if (v.symbolic) return v.symbolic;
      if (v.constant && !isFloatLike(v.constant) && shapeSize(v.constant.shape) <= 64) {
        return materialize(v.constant).toNumbers();
      }
      return undefined;
    },
    freshDim,
    fail,
  };
}

/**
 * Runs `f` (a type rule, or a symbolic-contents rule) for a node, turning dim arithmetic that left the integers
 * (hostile shape values) into a shape diagnostic naming the node.
 */
export function withDimErrors<T>(node: { op: string; name: string }, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DimArithmeticError) throw shapeError(node, e.message);
    throw e;
  }
}

function isFloatLike(c: ConstantData): boolean {
  return c.dtype === 'f32' || c.dtype === 'f64' || c.dtype === 'f16' || c.dtype === 'bf16';
}

export function makeEvalContext(
  node: { op: string; name: string },
  attrs: Attrs,
  inputs: readonly (Tensor | undefined)[],
  numOutputs: number,
): EvalContext<Record<string, unknown>> {
  const fail = (detail: string): never => {
    throw CompileError.of('evalError', { op: node.op, node: node.name, detail });
  };
  return {
    node,
    attrs,
    inputs,
    numOutputs,
    input(i) {
      const t = inputs[i];
      if (!t) fail(`operand ${i} is required`);
      return t!;
    },
    fail,
  };
}

/** Largest static result whose symbolic contents are tracked (shape vectors are far smaller). */
const MAX_SYMBOLIC_ELEMENTS = 4096;

export class GraphBuilder {
  readonly graph: Graph;
  private readonly fold: boolean;
  private readonly maxFoldElements: number;
  private freshCounter = 0;
  private nodeCounter = 0;

  constructor(graph: Graph, options: BuilderOptions = {}) {
    this.graph = graph;
    this.fold = options.fold ?? true;
    this.maxFoldElements = options.maxFoldElements ?? 4 * 1024 * 1024;
  }

  freshDim = (hint: string): string => `${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${this.freshCounter++}`;

  constant(data: ConstantData, name?: string): Value {
    return this.graph.addConstant(name, data);
  }

  /**
   * Adds a node (or, when every operand is constant, its folded results) and returns the result values.
   * Throws a CompileError naming the node when the op is unknown, the attributes are wrong or the type rule fails.
   */
  add(op: string, inputs: (Value | undefined)[], attrs: Attrs = {}, options: AddOptions = {}): Value[] {
    const domain = options.domain ?? '';
    const name = options.name ?? `${op}_${this.nodeCounter++}`;
    const def = getOp(op, domain);
    if (!def) {
      throw CompileError.of('unsupportedOp', { op, node: name, domain: domain || 'ai.onnx', version: '-' });
    }
    while (inputs.length > 0 && inputs[inputs.length - 1] === undefined) inputs = inputs.slice(0, -1);
    const arityDetail = arityProblem(def.inputs, inputs.length);
    if (arityDetail) throw CompileError.of('arityError', { op, node: name, detail: arityDetail });
    const { attrs: resolved, errors } = resolveAttrs(def, attrs);
    if (errors.length > 0) {
      throw new CompileError(errors.map((detail) => new Diagnostic('attrError', { op, node: name, detail })));
    }
    const numOutputs = options.numOutputs ?? options.outputNames?.length ?? def.outputs.length;
    const ref = { op, name };
    const ctx = makeInferContext(def, ref, resolved, inputs, numOutputs, this.freshDim);
    const types = withDimErrors(ref, () => def.infer(ctx as never));
    if (types.length < numOutputs) throw shapeError(ref, `type rule produced ${types.length} results, ${numOutputs} expected`);
    const outNames = Array.from({ length: numOutputs }, (_, i) => options.outputNames?.[i]);

    if (this.fold && !def.noFold && this.canFold(inputs, types.slice(0, numOutputs))) {
      const evalCtx = makeEvalContext(ref, resolved, inputs.map((v) => (v ? materialize(v.constant!) : undefined)), numOutputs);
      const results = def.evaluate(evalCtx as never);
      return results.slice(0, numOutputs).map((t, i) => this.graph.addConstant(outNames[i] ?? `${name}_out${i}`, t));
    }

    const outputs = types.slice(0, numOutputs).map((t, i) => new Value(this.graph.uniqueName(outNames[i]), t));
    const node = new Node(op, inputs, outputs, resolved, name);
    for (const v of outputs) v.producer = node;
    // Symbolic contents describe small integer tensors (shapes); a rule asked about a huge static result would
    // build per-element plans of that size, so it is not asked.
    if (def.symbolic && types.every((t) => !t.shape.every(isStaticDim) || (checkedElementCount(t.shape as number[]) ?? Infinity) <= MAX_SYMBOLIC_ELEMENTS)) {
      const sym = withDimErrors(ref, () => def.symbolic!({ ...ctx, outputs: types } as never));
      sym.forEach((elems, i) => {
        if (elems && outputs[i]) this.setSymbolic(outputs[i]!, elems);
      });
      if (this.fold && outputs.every((v) => v.constant)) {
        // Every result became known: the node itself is not needed.
        return outputs.map((v) => this.graph.addConstant(v.name + '_c', v.constant!));
      }
    }
    this.graph.nodes.push(node);
    return outputs;
  }

  /** Records symbolic contents; when all elements are numbers the value is a constant. */
  private setSymbolic(v: Value, elems: Dim[]): void {
    const shape = v.type.shape;
    if (!shape.every(isStaticDim) || shapeSize(shape as number[]) !== elems.length) return;
    v.symbolic = elems;
    if (elems.every(isStaticDim)) v.constant = Tensor.fromNumbers(v.type.dtype, shape as number[], elems as number[]);
  }

  private canFold(inputs: (Value | undefined)[], types: TensorType[]): boolean {
    if (!inputs.every((v) => v === undefined || v.constant !== undefined)) return false;
    // checkedElementCount: a shape with an invalid dim (negative, not an integer) is never folded.
    return types.every((t) => t.shape.every(isStaticDim) && (checkedElementCount(t.shape as number[]) ?? Infinity) <= this.maxFoldElements);
  }
}
