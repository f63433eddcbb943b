// The op registry: every op is declared once (ports, typed attributes, type rule, reference semantics).
//
// The importer, the builder (type rules run at construction), the verifier, constant folding, the reference
// interpreter and every backend read the one declaration made with `defineOp`.

import type { Dim } from '../ir/dim.js';
import type { AttrValue, Attrs, TensorType } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';

// ---------------------------------------------------------------------------------------------------------
// Typed attributes

export type AttrKind = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor';

type KindType = {
  int: number; float: number; string: string; ints: number[]; floats: number[]; strings: string[]; tensor: Tensor;
};

export interface AttrSpec<K extends AttrKind = AttrKind, HasDefault extends boolean = boolean> {
  readonly kind: K;
  readonly default?: KindType[K];
  readonly required?: boolean;
  /** Phantom marker: true when the resolved attribute is always present. */
  readonly __present?: HasDefault;
}

function spec<K extends AttrKind>(kind: K) {
  function make(): AttrSpec<K, false>;
  function make(defaultValue: KindType[K]): AttrSpec<K, true>;
  function make(defaultValue?: KindType[K]): AttrSpec<K, boolean> {
    return defaultValue === undefined ? { kind } : { kind, default: defaultValue };
  }
  return make;
}

/** Attribute declarations: `attr.int(-1)` has a default; `attr.ints()` is optional; `attr.required('ints')` must be given. */
export const attr = {
  int: spec('int'),
  float: spec('float'),
  string: spec('string'),
  ints: spec('ints'),
  floats: spec('floats'),
  strings: spec('strings'),
  tensor: spec('tensor'),
  required<K extends AttrKind>(kind: K): AttrSpec<K, true> {
    return { kind, required: true };
  },
};

export type AttrSchema = Readonly<Record<string, AttrSpec>>;

/** The resolved attribute record of a schema: present attributes typed, optional ones possibly undefined. */
export type AttrsOf<S extends AttrSchema> = {
  readonly [K in keyof S]: S[K] extends AttrSpec<infer Kind, infer Present>
    ? Present extends true ? KindType[Kind] : KindType[Kind] | undefined
    : never;
};

// ---------------------------------------------------------------------------------------------------------
// Ports and contexts

export interface PortSpec {
  readonly name: string;
  /** May be absent (ONNX empty name). */
  readonly optional?: boolean;
  /** Takes all remaining operands (last port only). */
  readonly variadic?: boolean;
  /**
   * When this input is a constant, the importer moves its contents into the attribute of this name and drops
   * the input (ONNX moved `axes`, `split`, ... from attributes to inputs across opsets; the IR keeps one form).
   */
  readonly constantToAttr?: string;
}

/** Identifies the node a rule runs for, for error messages. */
export interface NodeRef {
  readonly op: string;
  readonly name: string;
}

export interface InferContext<A> {
  readonly node: NodeRef;
  readonly attrs: A;
  /** Operand types; undefined where an optional operand is absent. */
  readonly inputs: readonly (TensorType | undefined)[];
  /** How many results the node has (variadic outputs such as Split). */
  readonly numOutputs: number;
  /** The type of operand i; fails naming the port when it is absent. */
  input(i: number): TensorType;
  /** Concrete contents of operand i when it is a constant. */
  constant(i: number): Tensor | undefined;
  /** Contents of a small integer operand, elements possibly symbolic (e.g. the result of Shape). */
  symbolic(i: number): Dim[] | undefined;
  /** A new symbol for a dimension the rule cannot express (data-dependent sizes). */
  freshDim(hint: string): string;
  /** Throws a shape diagnostic naming the op and the node. */
  fail(message: string): never;
}

export interface EvalContext<A> {
  readonly node: NodeRef;
  readonly attrs: A;
  readonly inputs: readonly (Tensor | undefined)[];
  readonly numOutputs: number;
  input(i: number): Tensor;
  fail(message: string): never;
}

export interface SymbolicContext<A> extends InferContext<A> {
  /** The result types the type rule computed. */
  readonly outputs: readonly TensorType[];
}

export interface OpDef<S extends AttrSchema = AttrSchema> {
  readonly name: string;
  /** '' for the ONNX default domain, 'com.microsoft', or 'xfc' for fused ops. */
  readonly domain: string;
  /** One line: what the op computes. */
  readonly summary: string;
  readonly inputs: readonly PortSpec[];
  readonly outputs: readonly PortSpec[];
  readonly attrs: S;
  /** Operands 0 and 1 may be swapped (pattern matching). */
  readonly commutative?: boolean;
  /** Never constant-folded (random ops). */
  readonly noFold?: boolean;
  /** Type/shape rule: one TensorType per result. */
  infer(ctx: InferContext<AttrsOf<S>>): TensorType[];
  /** Reference semantics. */
  evaluate(ctx: EvalContext<AttrsOf<S>>): Tensor[];
  /** Propagation of symbolic contents for shape computations; one entry per result (undefined = unknown). */
  symbolic?(ctx: SymbolicContext<AttrsOf<S>>): (Dim[] | undefined)[];
}

// ---------------------------------------------------------------------------------------------------------
// The registry

const registry = new Map<string, OpDef>();

function key(domain: string, name: string): string {
  return domain === '' || domain === 'ai.onnx' ? name : `${domain}::${name}`;
}

/** Declares an op; the declaration is the only place its shape rule and semantics live. */
export function defineOp<S extends AttrSchema>(def: OpDef<S> | (Omit<OpDef<S>, 'domain'> & { domain?: string })): OpDef<S> {
  const full = { domain: '', ...def } as OpDef<S>;
  const k = key(full.domain, full.name);
  if (registry.has(k)) throw new Error(`op ${k} is declared twice`);
  const variadicAt = full.inputs.findIndex((p) => p.variadic);
  if (variadicAt >= 0 && variadicAt !== full.inputs.length - 1) throw new Error(`op ${k}: only the last input may be variadic`);
  registry.set(k, full as unknown as OpDef);
  return full;
}

export function getOp(name: string, domain = ''): OpDef | undefined {
  return registry.get(key(domain, name));
}

export function allOps(): OpDef[] {
  return [...registry.values()];
}

/** Resolves attributes against the schema: defaults filled in, kinds checked; returns errors instead of throwing. */
export function resolveAttrs(def: OpDef, given: Attrs): { attrs: Record<string, AttrValue>; errors: string[] } {
  const attrs: Record<string, AttrValue> = {};
  const errors: string[] = [];
  for (const [name, s] of Object.entries(def.attrs)) {
    const v = given[name];
    if (v === undefined) {
      if (s.required) errors.push(`required attribute '${name}' is missing`);
      else if (s.default !== undefined) attrs[name] = s.default as AttrValue;
      continue;
    }
    if (!attrMatchesKind(v, s.kind)) errors.push(`attribute '${name}' must be ${s.kind}, got ${describeAttr(v)}`);
    else attrs[name] = v;
  }
  for (const name of Object.keys(given)) {
    if (!(name in def.attrs) && given[name] !== undefined) errors.push(`unknown attribute '${name}'`);
  }
  return { attrs, errors };
}

function attrMatchesKind(v: AttrValue, kind: AttrKind): boolean {
  switch (kind) {
    case 'int': return typeof v === 'number' && Number.isInteger(v);
    case 'float': return typeof v === 'number';
    case 'string': return typeof v === 'string';
    case 'ints': return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
    case 'floats': return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'strings': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'tensor': return v instanceof Tensor;
  }
}

function describeAttr(v: AttrValue): string {
  if (v instanceof Tensor) return 'a tensor';
  if (Array.isArray(v)) return `a list [${v.slice(0, 4).join(', ')}${v.length > 4 ? ', ...' : ''}]`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** How many operands a node may have: [min, max] (max Infinity for variadic). */
export function arity(ports: readonly PortSpec[]): [number, number] {
  let min = 0;
  for (let i = 0; i < ports.length; i++) if (!ports[i]!.optional && !ports[i]!.variadic) min = i + 1;
  const variadic = ports.some((p) => p.variadic);
  if (variadic && !ports[ports.length - 1]!.optional) min = Math.max(min, ports.length);
  return [min, variadic ? Infinity : ports.length];
}

/** Why `count` operands do not fit the ports ("expects 2 operands, got 3"), or undefined when they do. */
export function arityProblem(ports: readonly PortSpec[], count: number): string | undefined {
  const [min, max] = arity(ports);
  if (count >= min && count <= max) return undefined;
  const expected = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
  return `expects ${expected} operands, got ${count}`;
}
