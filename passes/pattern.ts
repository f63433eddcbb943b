// Patterns as data and their matcher: named captures, commutative matching (ops the registry declares
// commutative), optional operands and optional ops, constant and attribute predicates, single-use constraints.
//
// Matching is continuation-passing with backtracking: `match(v, state, k)` binds what it matched and calls `k`
// for the rest of the match; when `k` fails, the bindings are undone and the next alternative is tried (the other
// operand order of a commutative op, the skipped form of a `maybe()` op, the next `oneOf` branch). Matching never
// changes the graph; rewrite.ts applies what matched. pattern-dsl.ts is the notation for writing patterns.

import { type AttrValue, type Node, type Value, materialize } from '../compiler/ir/graph.js';
import { type Tensor, shapeSize } from '../compiler/ir/tensor.js';
import { getOp } from '../compiler/ops/registry.js';
import '../compiler/ops/index.js';
import type { GraphEditor } from './editor.js';

// ---------------------------------------------------------------------------------------------------------
// Patterns

/** Matching state: captures bound so far and the nodes matched, undone by returning false (backtracking). */
export class MatchState {
  readonly values = new Map<string, Value | undefined>();
  readonly attrs = new Map<string, AttrValue | undefined>();
  readonly nodes: Node[] = [];
  constructor(readonly editor: GraphEditor) {}

  /** Binds a value capture, then continues; a name bound twice must see the same value. */
  bind(name: string, v: Value | undefined, k: () => boolean): boolean {
    if (this.values.has(name)) return this.values.get(name) === v && k();
    this.values.set(name, v);
    if (k()) return true;
    this.values.delete(name);
    return false;
  }

  bindAttr(name: string, v: AttrValue | undefined, k: () => boolean): boolean {
    if (this.attrs.has(name)) return sameAttr(this.attrs.get(name), v) && k();
    this.attrs.set(name, v);
    if (k()) return true;
    this.attrs.delete(name);
    return false;
  }
}

/** Continuation-passing matcher: `match` binds what it matched and calls `k`; false undoes and backtracks. */
export abstract class ValuePattern {
  abstract match(v: Value | undefined, st: MatchState, k: () => boolean): boolean;
  /** The capture names this pattern binds (an op skipped by `maybe` binds them to undefined). */
  abstract names(out: Set<string>): void;

  /** Also binds the matched value to `name`. */
  as(name: string): ValuePattern {
    return new NamedPattern(this, name);
  }

  /** Matches only when `pred` holds for the matched value. */
  where(pred: (v: Value) => boolean): ValuePattern {
    return new WherePattern(this, pred);
  }

  /** Also matches an absent operand (ONNX's empty input); captures are then undefined. */
  optional(): ValuePattern {
    return new OptionalPattern(this);
  }
}

/** Any present value; `$.x` binds it to x. */
export class AnyPattern extends ValuePattern {
  constructor(readonly name?: string) {
    super();
  }
  match(v: Value | undefined, st: MatchState, k: () => boolean): boolean {
    if (!v) return false;
    return this.name ? st.bind(this.name, v, k) : k();
  }
  names(out: Set<string>): void {
    if (this.name) out.add(this.name);
  }
}

class NamedPattern extends ValuePattern {
  constructor(readonly inner: ValuePattern, readonly name: string) {
    super();
  }
  match(v: Value | undefined, st: MatchState, k: () => boolean): boolean {
    return this.inner.match(v, st, () => st.bind(this.name, v, k));
  }
  names(out: Set<string>): void {
    out.add(this.name);
    this.inner.names(out);
  }
}

class WherePattern extends ValuePattern {
  constructor(readonly inner: ValuePattern, readonly pred: (v: Value) => boolean) {
    super();
  }
  match(v: Value | undefined, st: MatchState, k: () => boolean): boolean {
    return this.inner.match(v, st, () => v !== undefined && this.pred(v) && k());
  }
  names(out: Set<string>): void {
    this.inner.names(out);
  }
}

class OptionalPattern extends ValuePattern {
  constructor(readonly inner: ValuePattern) {
    super();
  }
  match(v: Value | undefined, st: MatchState, k: () => boolean): boolean {
    if (v) return this.inner.match(v, st, k);
    return bindUndefined([...namesOf(this.inner)], st, k);
  }
  names(out: Set<string>): void {
    this.inner.names(out);
  }
}

/** The first alternative that matches (backtracking into the next ones when the rest of the match fails). */
export class OneOfPattern extends ValuePattern {
  constructor(readonly alternatives: readonly ValuePattern[]) {
    super();
  }
  match(v: Value | undefined, st: MatchState, k: () => boolean): boolean {
    const all = namesOf(this);
    return this.alternatives.some((p) => {
      // Captures of the other alternatives are undefined when this one matches.
      const others = [...all].filter((n) => !namesOf(p).has(n));
      return p.match(v, st, () => bindUndefined(others, st, k));
    });
  }
  names(out: Set<string>): void {
    for (const p of this.alternatives) p.names(out);
  }
}

/** Largest constant a constant predicate reads (weights are not loaded to be compared). */
const MAX_PREDICATE_ELEMENTS = 1 << 16;

/** A constant (initializer or folded value) whose data satisfies `pred`. */
export class ConstPattern extends ValuePattern {
  constructor(
    readonly pred: ((t: Tensor) => boolean) | undefined,
    readonly maxElements = Infinity,
  ) {
    super();
  }
  match(v: Value | undefined, st: MatchState, k: () => boolean): boolean {
    const c = v?.constant;
    if (!c) return false;
    if (this.pred) {
      if (shapeSize(c.shape) > Math.min(this.maxElements, MAX_PREDICATE_ELEMENTS)) return false;
      if (!this.pred(materialize(c))) return false;
    }
    return k();
  }
  names(): void {}
}

/** Marks "any further operands" at the end of an op pattern's operand list. */
export const REST = Symbol('rest');

/** An attribute constraint: an exact value, a capture (`$.perm`), or a predicate on the value and the node. */
export type AttrConstraint = AttrValue | AnyPattern | ((value: AttrValue | undefined, node: Node) => boolean);

export interface OpPatternOptions {
  /** Operands 0 and 1 are matched in the given order even if the op is commutative. */
  ordered?: boolean;
  /** The op may be absent: then operand 0's pattern matches the value itself and other captures are undefined. */
  maybe?: boolean;
  /** The result must have exactly one use (rewriting would otherwise duplicate the node's work). */
  oneUse?: boolean;
  /** Which result of the node the matched value must be (default 0). */
  output?: number;
  /** A condition on the matched node, checked before its operands (e.g. a Cast to its operand's own dtype). */
  when?: (node: Node) => boolean;
}

/** A node of one of `ops` whose operands match `operands` and whose attributes satisfy `attrs`. */
export class OpPattern extends ValuePattern {
  constructor(
    readonly ops: readonly string[],
    readonly operands: readonly ValuePattern[],
    readonly rest: boolean,
    readonly attrs: Readonly<Record<string, AttrConstraint>>,
    readonly options: OpPatternOptions = {},
  ) {
    super();
    for (const op of ops) if (!getOp(op)) throw new Error(`pattern: unknown op '${op}'`);
  }

  private with(options: OpPatternOptions): OpPattern {
    return new OpPattern(this.ops, this.operands, this.rest, this.attrs, { ...this.options, ...options });
  }
  /** Do not try the swapped operand order of a commutative op. */
  ordered(): OpPattern {
    return this.with({ ordered: true });
  }
  /** The op may be missing from the chain (see OpPatternOptions.maybe). */
  maybe(): OpPattern {
    return this.with({ maybe: true });
  }
  oneUse(): OpPattern {
    return this.with({ oneUse: true });
  }
  output(i: number): OpPattern {
    return this.with({ output: i });
  }
  when(pred: (node: Node) => boolean): OpPattern {
    return this.with({ when: pred });
  }

  match(v: Value | undefined, st: MatchState, k: () => boolean): boolean {
    const n = v?.producer;
    if (n && v === n.outputs[this.options.output ?? 0] && !st.editor.isRemoved(n) &&
        !(this.options.oneUse && st.editor.useCount(v) !== 1) && this.matchNode(n, st, k)) {
      return true;
    }
    if (this.options.maybe && v) {
      const skipped = new Set<string>();
      this.operands.slice(1).forEach((p) => p.names(skipped));
      return bindUndefined([...skipped], st, () => this.operands[0]!.match(v, st, k));
    }
    return false;
  }

  /** The ops a node must have to be the root of this pattern (with maybe(), also the first operand's). */
  rootOps(): string[] {
    const first = this.operands[0];
    return this.options.maybe && first instanceof OpPattern ? [...this.ops, ...first.rootOps()] : [...this.ops];
  }

  /** Matches a node as the root of a pattern; with maybe(), the node may instead match the first operand. */
  matchRoot(n: Node, st: MatchState, k: () => boolean): boolean {
    if (this.matchNode(n, st, k)) return true;
    const first = this.operands[0];
    if (!this.options.maybe || !(first instanceof OpPattern)) return false;
    const skipped = new Set<string>();
    this.operands.slice(1).forEach((p) => p.names(skipped));
    return bindUndefined([...skipped], st, () => first.matchRoot(n, st, k));
  }

  /** Matches the node itself. */
  matchNode(n: Node, st: MatchState, k: () => boolean): boolean {
    if (!this.ops.includes(n.op) || (this.options.when && !this.options.when(n))) return false;
    const inputs = n.inputs;
    const pats = this.operands;
    if (inputs.length > pats.length && !this.rest) return false;
    st.nodes.push(n);
    const next = () => this.matchAttrs(n, Object.entries(this.attrs), 0, st, k);
    const inOrder = (order: readonly number[]) => matchOperands(pats, order.map((i) => inputs[i]), 0, st, next);
    const natural = pats.map((_, i) => i);
    const commutative = getOp(n.op)?.commutative && !this.options.ordered && pats.length === 2 && inputs.length === 2;
    if (inOrder(natural) || (commutative && inOrder([1, 0]))) return true;
    st.nodes.pop();
    return false;
  }

  private matchAttrs(n: Node, entries: [string, AttrConstraint][], i: number, st: MatchState, k: () => boolean): boolean {
    if (i === entries.length) return k();
    const [name, c] = entries[i]!;
    const value = n.attrs[name];
    const rest = () => this.matchAttrs(n, entries, i + 1, st, k);
    if (c instanceof AnyPattern) return c.name ? st.bindAttr(c.name, value, rest) : rest();
    if (typeof c === 'function') return c(value, n) && rest();
    return sameAttr(value, c) && rest();
  }

  names(out: Set<string>): void {
    for (const p of this.operands) p.names(out);
    for (const c of Object.values(this.attrs)) if (c instanceof AnyPattern && c.name) out.add(c.name);
  }
}

function matchOperands(pats: readonly ValuePattern[], vals: readonly (Value | undefined)[], i: number, st: MatchState, k: () => boolean): boolean {
  if (i === pats.length) return k();
  return pats[i]!.match(vals[i], st, () => matchOperands(pats, vals, i + 1, st, k));
}

function bindUndefined(names: readonly string[], st: MatchState, k: () => boolean, i = 0): boolean {
  if (i === names.length) return k();
  return st.bind(names[i]!, undefined, () => bindUndefined(names, st, k, i + 1));
}

function namesOf(p: ValuePattern): Set<string> {
  const out = new Set<string>();
  p.names(out);
  return out;
}

export function sameAttr(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

/**
 * Matches `p` at the value `v` outside a rule (a rewrite checking a sub-pattern, or walking a chain of them):
 * calls `k` with the captures, the attribute captures and the nodes matched; when `k` returns false the match
 * backtracks into its next alternative (other operand order, other `oneOf` branch). Returns whether `k` accepted.
 */
export function matchValue(
  p: ValuePattern,
  v: Value | undefined,
  editor: GraphEditor,
  k: (captures: Readonly<Record<string, Value | undefined>>, nodes: readonly Node[], attrs: Readonly<Record<string, AttrValue | undefined>>) => boolean,
): boolean {
  const st = new MatchState(editor);
  return p.match(v, st, () => k(Object.fromEntries(st.values), [...st.nodes], Object.fromEntries(st.attrs)));
}
