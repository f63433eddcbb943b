// Rewrites and the fixpoint driver: a rewrite callback builds replacement nodes off-graph (RewriteBuilder) and may
// reject with a reason; an accepted rewrite is committed (nodes moved in before the root, uses redirected, dead
// nodes removed); `applyPatterns` runs a table of patterns to a fixpoint over a worklist, reports which patterns
// fired and why rewrites were rejected, and fails clearly, naming the patterns, when it does not converge.
//
// Nothing in the graph changes until a match has succeeded and its rewrite has accepted.

import { CompileError } from '../compiler/diagnostics.js';
import { GraphBuilder } from '../compiler/ir/builder.js';
import { shapesEqual } from '../compiler/ir/dim.js';
import type { DType } from '../compiler/ir/dtype.js';
import { type AttrValue, type Attrs, Graph, type Node, type Value, materialize } from '../compiler/ir/graph.js';
import { typeToString } from '../compiler/ir/print.js';
import { Tensor, shapeSize } from '../compiler/ir/tensor.js';
import { GraphEditor } from './editor.js';
import type { Pass } from './pass.js';
import { MatchState, type OpPattern } from './pattern.js';

/** Values bound by `$.name` (undefined for an optional capture that did not match anything). */
export type Captures = Readonly<Record<string, Value>>;

export interface MatchInfo {
  readonly root: Node;
  /** Every matched node, root first. */
  readonly nodes: readonly Node[];
  /** Attribute captures (`{ perm: $.perm }`). */
  readonly attrs: Readonly<Record<string, AttrValue | undefined>>;
  readonly editor: GraphEditor;
}

/** Returns the replacement of the root's result (or one per result; undefined for an unused one). */
export type RewriteFn = (
  c: Captures,
  b: RewriteBuilder,
  reject: (reason: string) => never,
  match: MatchInfo,
) => Value | readonly (Value | undefined)[];

export interface PatternSpec {
  /** kebab-case; reported in statistics and errors. */
  readonly name: string;
  readonly root: OpPattern;
  readonly rewrite: RewriteFn;
  /** Every matched node but the root may be used only inside the match (else its work would be duplicated). */
  readonly internalOnly?: boolean;
}

export type Pattern = PatternSpec;

export function pattern(spec: PatternSpec): Pattern {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(spec.name)) throw new Error(`pattern name '${spec.name}' must be kebab-case`);
  return spec;
}

/** A one-line rule: `rule('add-zero', m.Add($.x, m.splat(0)), ({ x }) => x)`. */
export function rule(name: string, root: OpPattern, rewrite: RewriteFn, options: { internalOnly?: boolean } = {}): Pattern {
  return pattern({ name, root, rewrite, ...options });
}

class RejectSignal {
  constructor(readonly reason: string) {}
}

let freshCounter = 0;

/** Builds a rewrite's nodes through the registry (type rules run, constants fold) in a scratch graph. */
export class RewriteBuilder {
  readonly scratch = new Graph('rewrite');
  private readonly builder = new GraphBuilder(this.scratch);
  private readonly created = new Set<Value>();
  private readonly extra = new Map<Value, Value>();

  constructor(readonly root: Node) {
    // Symbols a type rule invents must not collide with the graph's.
    this.builder.freshDim = (hint) => `rw_${hint.replace(/[^A-Za-z0-9_]/g, '_')}_${freshCounter++}`;
  }

  /** A node of `op`; returns its first result. */
  op(op: string, inputs: readonly (Value | undefined)[], attrs: Attrs = {}): Value {
    return this.ops(op, inputs, attrs, 1)[0]!;
  }

  /** A node of `op` with `numOutputs` results. */
  ops(op: string, inputs: readonly (Value | undefined)[], attrs: Attrs = {}, numOutputs?: number): Value[] {
    const out = this.builder.add(op, [...inputs], attrs, { name: `${this.root.name}/${op}`, numOutputs });
    for (const v of out) this.created.add(v);
    return out;
  }

  constant(t: Tensor, hint?: string): Value {
    const v = this.scratch.addConstant(hint ?? `${this.root.outputs[0]!.name}_const`, t);
    this.created.add(v);
    return v;
  }

  /** A scalar constant of `dtype` (shape []). */
  scalar(dtype: DType, x: number): Value {
    return this.constant(Tensor.scalar(dtype, x));
  }

  /** A 1-D i64 constant (shapes, axes). */
  ints(values: readonly number[]): Value {
    return this.constant(Tensor.fromNumbers('i64', [values.length], values));
  }

  /** Whether the rewrite created this value. */
  isNew(v: Value): boolean {
    return this.created.has(v);
  }

  /**
   * Also replaces `old`, a result of a matched node other than the root that is used outside the match (a residual
   * sum that SkipLayerNormalization returns as its second result), by `repl`. The new nodes then go before the
   * first user of `old` when that comes before the root; the rewrite is rejected when their operands are not all
   * defined by then.
   */
  replace(old: Value, repl: Value): void {
    this.extra.set(old, repl);
  }

  /** The intermediate replacements asked for with `replace`. */
  get intermediateReplacements(): ReadonlyMap<Value, Value> {
    return this.extra;
  }
}

/** The single number of a one-element constant (`m.scalar` captures), or undefined. */
export function scalarValue(v: Value | undefined): number | undefined {
  const c = v?.constant;
  if (!c || shapeSize(c.shape) !== 1) return undefined;
  return materialize(c).get(0);
}

/** The outcome of trying one pattern at one node. */
type Attempt = { fired: true; created: Node[]; replaced: Value[]; removed: Node[] } | { fired: false; reasons: string[] };

/** Matches `p` at `node` and, when its rewrite accepts, commits the rewrite through `editor`. */
export function tryPattern(p: Pattern, node: Node, editor: GraphEditor): Attempt {
  const st = new MatchState(editor);
  const reasons: string[] = [];
  let accepted: { b: RewriteBuilder; repl: (Value | undefined)[]; anchor: Node } | undefined;
  const reject = (reason: string): never => {
    throw new RejectSignal(reason);
  };

  p.root.matchRoot(node, st, () => {
    const nodes = [...st.nodes];
    if (p.internalOnly) {
      const inside = new Set(nodes);
      const leak = nodes.slice(1).flatMap((n) => n.outputs).find((v) =>
        editor.isGraphOutput(v) || editor.users(v).some((u) => !inside.has(u)));
      if (leak) {
        reasons.push(`%${leak.name} is also used outside the match`);
        return false;
      }
    }
    const b = new RewriteBuilder(node);
    let out: Value | readonly (Value | undefined)[];
    try {
      const captures = Object.fromEntries(st.values) as Record<string, Value>;
      out = p.rewrite(captures, b, reject, { root: node, nodes, attrs: Object.fromEntries(st.attrs), editor });
    } catch (e) {
      if (e instanceof RejectSignal) reasons.push(e.reason);
      else if (e instanceof CompileError) reasons.push(`a type rule failed: ${e.diagnostics.map((d) => d.message).join('; ')}`);
      else throw e;
      return false;
    }
    const repl = Array.isArray(out) ? [...(out as (Value | undefined)[])] : [out as Value];
    const problem = replacementProblem(node, repl, b, editor);
    if (problem) {
      reasons.push(problem);
      return false;
    }
    const placed = insertionPoint(node, nodes, b, editor);
    if (typeof placed === 'string') {
      reasons.push(placed);
      return false;
    }
    accepted = { b, repl, anchor: placed };
    return true;
  });

  if (!accepted) return { fired: false, reasons };
  return { fired: true, ...commitRewrite(node, accepted.b, accepted.repl, editor, accepted.anchor) };
}

/**
 * Where the rewrite's nodes go: before the root, or before the first user of an intermediate value it replaces
 * when that user comes earlier (dominance: every use of a replacement must follow its definition). Returns why
 * that is not possible (a replaced value is not a matched result, types differ, or an operand of the new nodes is
 * only defined after that point).
 */
function insertionPoint(root: Node, matched: readonly Node[], b: RewriteBuilder, editor: GraphEditor): Node | string {
  const extra = b.intermediateReplacements;
  if (extra.size === 0) return root;
  const order = editor.liveNodes();
  const pos = new Map(order.map((n, i) => [n, i]));
  let anchor = root;
  for (const [old, r] of extra) {
    if (!old.producer || old.producer === root || !matched.includes(old.producer)) return `%${old.name} is not a result of a matched node other than the root`;
    if (r.type.dtype !== old.type.dtype || !shapesEqual(r.type.shape, old.type.shape)) {
      return `the replacement of %${old.name} has type ${typeToString(r.type)}, not ${typeToString(old.type)}`;
    }
    if (!b.isNew(r)) {
      const problem = editor.replaceProblem(old, r);
      if (problem) return problem;
    }
    for (const u of editor.users(old)) if ((pos.get(u) ?? Infinity) < pos.get(anchor)!) anchor = u;
  }
  const at = pos.get(anchor)!;
  for (const n of b.scratch.nodes) {
    for (const v of n.inputs) {
      if (!v || b.isNew(v) || !v.producer) continue;
      if (!((pos.get(v.producer) ?? Infinity) < at)) return `%${v.name} is defined after ${anchor.describe()}, which uses a value the rewrite replaces`;
    }
  }
  return anchor;
}

/** Why the replacement of a root's results is not acceptable, or undefined. */
function replacementProblem(root: Node, repl: readonly (Value | undefined)[], b: RewriteBuilder, editor: GraphEditor): string | undefined {
  if (repl.length > root.outputs.length) return `the rewrite returned ${repl.length} values for ${root.outputs.length} results`;
  if (repl.every((r, i) => r === root.outputs[i]) && b.scratch.nodes.length === 0) return 'the rewrite returned the root unchanged';
  for (let i = 0; i < root.outputs.length; i++) {
    const old = root.outputs[i]!;
    const r = repl[i];
    if (!r) {
      if (editor.useCount(old) > 0) return `result %${old.name} is used but the rewrite gives no replacement for it`;
      continue;
    }
    if (r.type.dtype !== old.type.dtype || !shapesEqual(r.type.shape, old.type.shape)) {
      return `the replacement of %${old.name} has type ${typeToString(r.type)}, not ${typeToString(old.type)}`;
    }
    if (r === old) return `the rewrite replaces %${old.name} by itself`;
    if (!b.isNew(r)) {
      const problem = editor.replaceProblem(old, r);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Moves the rewrite's nodes and constants into the graph before the root, redirects uses, removes dead nodes. */
function commitRewrite(root: Node, b: RewriteBuilder, repl: readonly (Value | undefined)[], editor: GraphEditor, anchor: Node = root): { created: Node[]; replaced: Value[]; removed: Node[] } {
  const graph = editor.graph;
  const hint = root.outputs[0]!.name;
  const replacing = new Map<Value, Value>();
  repl.forEach((r, i) => {
    if (r && b.isNew(r) && !replacing.has(r)) replacing.set(r, root.outputs[i]!);
  });
  for (const c of b.scratch.constants) {
    c.name = graph.uniqueName(c.name);
    editor.adoptConstant(c);
  }
  for (const n of b.scratch.nodes) {
    for (const v of n.outputs) v.name = graph.uniqueName(hint);
    if (n.outputs.some((v) => replacing.get(v) === root.outputs[0])) n.name = root.name;
  }
  editor.insertBefore(anchor, b.scratch.nodes);
  const replaced: Value[] = [];
  for (const [old, r] of b.intermediateReplacements) {
    editor.replaceAllUses(old, r, { takeName: b.isNew(r) });
    replaced.push(r);
  }
  repl.forEach((r, i) => {
    const old = root.outputs[i]!;
    if (!r || r === old) return;
    // A new value takes the name of the result it replaces, so the text reads as an in-place change.
    editor.replaceAllUses(old, r, { takeName: replacing.get(r) === old });
    replaced.push(r);
  });
  const removed = editor.remove(root);
  // The root now reads the replacements: producers of replaced intermediates are not reached through it.
  for (const old of b.intermediateReplacements.keys()) if (old.producer) removed.push(...editor.remove(old.producer));
  return { created: [...b.scratch.nodes], replaced, removed };
}

// ---------------------------------------------------------------------------------------------------------
// The fixpoint driver

export interface ApplyOptions {
  /** Sweeps over the worklist before giving up (default 64). */
  maxIterations?: number;
  /**
   * Visit the nodes last to first in the first sweep. Fusions use it: the largest match is the one rooted at the
   * last node of a chain (with `maybe()` ops, a match rooted earlier would take part of the chain).
   */
  reverse?: boolean;
}

export interface ApplyResult {
  changed: boolean;
  /** Worklist sweeps run. */
  iterations: number;
  /** How often each pattern fired. */
  fired: Record<string, number>;
  /** For each pattern, why its rewrites were rejected, with counts (for --verbose and debugging). */
  rejected: Record<string, Record<string, number>>;
}

/**
 * Rewrites the graph with `patterns` until none fires. The first sweep visits every node in topological order;
 * each later sweep visits only the nodes a rewrite created or touched (the users of replaced values, and the other
 * users of values that lost a user). A sweep
 * that still fires after `maxIterations` is a non-convergence error naming the patterns that fired in it.
 */
export function applyPatterns(graph: Graph, patterns: readonly Pattern[], options: ApplyOptions = {}): ApplyResult {
  const maxIterations = options.maxIterations ?? 64;
  const byOp = new Map<string, Pattern[]>();
  for (const p of patterns) {
    for (const op of new Set(p.root.rootOps())) {
      const list = byOp.get(op);
      if (list) list.push(p);
      else byOp.set(op, [p]);
    }
  }
  const editor = new GraphEditor(graph);
  const fired: Record<string, number> = {};
  const rejected: Record<string, Record<string, number>> = {};
  let work: Node[] = options.reverse ? [...graph.nodes].reverse() : [...graph.nodes];
  let iterations = 0;
  try {
    while (work.length > 0) {
      const next = new Set<Node>();
      const firedNow: Record<string, number> = {};
      for (const node of work) {
        if (editor.isRemoved(node)) continue;
        for (const p of byOp.get(node.op) ?? []) {
          const attempt = tryPattern(p, node, editor);
          if (!attempt.fired) {
            for (const reason of attempt.reasons) {
              const r = (rejected[p.name] ??= {});
              r[reason] = (r[reason] ?? 0) + 1;
            }
            continue;
          }
          fired[p.name] = (fired[p.name] ?? 0) + 1;
          firedNow[p.name] = (firedNow[p.name] ?? 0) + 1;
          for (const n of attempt.created) next.add(n);
          for (const v of attempt.replaced) for (const u of editor.users(v)) next.add(u);
          // Values that lost users may now satisfy a single-use constraint at their other users.
          for (const n of attempt.removed) for (const v of n.inputs) if (v) for (const u of editor.users(v)) next.add(u);
          break;
        }
      }
      iterations++;
      if (Object.keys(firedNow).length === 0) break;
      if (iterations >= maxIterations) {
        const still = Object.entries(firedNow).map(([name, n]) => `${name} (${n} rewrite${n === 1 ? '' : 's'})`).join(', ');
        throw CompileError.of('patternNoConvergence', { iterations, patterns: still });
      }
      work = [...next];
    }
  } finally {
    editor.commit();
  }
  return { changed: editor.modified, iterations, fired, rejected };
}

/**
 * A pass that applies a table of patterns to a fixpoint. Its statistics count the rewrites of each pattern; with
 * --verbose it logs why rewrites were rejected.
 */
export function patternPass(name: string, description: string, patterns: readonly Pattern[], options: ApplyOptions = {}): Pass {
  return {
    name,
    description,
    run(graph, ctx) {
      const result = applyPatterns(graph, patterns, options);
      if (ctx.verbose) {
        for (const [p, reasons] of Object.entries(result.rejected)) {
          for (const [reason, n] of Object.entries(reasons)) ctx.log(`${p} rejected ${n}x: ${reason}`);
        }
      }
      return { changed: result.changed, stats: result.fired };
    },
  };
}
