// The pattern-rewrite engine: matching (commutative, repeated captures, optional operands and ops, predicates,
// attributes, single use), rejections with reasons, no mutation before a rewrite is accepted, the fixpoint driver
// and its non-convergence error, and speed on a graph of thousands of nodes.

import { describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import type { Graph, Value } from '../../compiler/ir/graph.js';
import { parseGraph } from '../../compiler/ir/parse.js';
import { printGraph } from '../../compiler/ir/print.js';
import { verifyGraph } from '../../compiler/ir/verify.js';
import { $, m } from '../../passes/pattern-dsl.js';
import { type Pattern, type RewriteFn, applyPatterns, pattern, rule, scalarValue } from '../../passes/rewrite.js';
import { runPipeline } from '../../passes/manager.js';
import { expectSameResults, ir } from './helpers.js';

/** Applies patterns to the IR text; returns the printed result, the driver's report and the graph. */
function apply(text: string, patterns: Pattern[], maxIterations?: number) {
  const graph = parseGraph(text);
  const result = applyPatterns(graph, patterns, { maxIterations });
  expect(verifyGraph(graph)).toEqual([]);
  return { text: printGraph(graph), result, graph };
}

/** A rewrite that records what it captured and then rejects, so matching can be observed without rewriting. */
function probe(name: string, root: Parameters<typeof rule>[1]): { pattern: Pattern; seen: Record<string, string | undefined>[] } {
  const seen: Record<string, string | undefined>[] = [];
  const rewrite: RewriteFn = (c, _b, reject, info) => {
    const names = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, (v as Value | undefined)?.name]));
    seen.push({ ...names, ...Object.fromEntries(Object.entries(info.attrs).map(([k, v]) => [`attr:${k}`, JSON.stringify(v)])) });
    return reject('probe');
  };
  return { pattern: rule(name, root, rewrite), seen };
}

const scaled = ir`
  graph g(%x: f32[2, 3], %y: f32[2, 3]) {
    %s = const f32[] [0.5]
    %a: f32[2, 3] = Mul(%s, %x) @"a"
    %b: f32[2, 3] = Mul(%y, %s) @"b"
    %c: f32[2, 3] = Add(%a, %b) @"c"
    return %c
  }`;

describe('matching', () => {
  it('matches commutative ops in either operand order, and only as written with ordered()', () => {
    const any = probe('any-order', m.Mul($.x, m.scalar($.s)));
    apply(scaled, [any.pattern]);
    expect(any.seen).toEqual([{ x: 'x', s: 's' }, { x: 'y', s: 's' }]);
    const ordered = probe('ordered', m.Mul.ordered($.x, m.scalar($.s)));
    apply(scaled, [ordered.pattern]);
    expect(ordered.seen).toEqual([{ x: 'y', s: 's' }]);
  });

  it('backtracks through nested commutative choices and binds a repeated capture to one value', () => {
    // x + y*x: the outer Add and the inner Mul must both be swapped for $.a to be the same value twice.
    const p = probe('repeat', m.Add(m.Mul($.a, $.b), $.a));
    apply(ir`
      graph g(%x: f32[2], %y: f32[2]) {
        %m: f32[2] = Mul(%y, %x) @"m"
        %r: f32[2] = Add(%x, %m) @"r"
        %q: f32[2] = Add(%m, %y) @"q"
        return %r, %q
      }`, [p.pattern]);
    // r = x + y*x matches with a = x; q = y*x + y matches with a = y.
    expect(p.seen).toEqual([{ a: 'x', b: 'y' }, { a: 'y', b: 'x' }]);
  });

  it('optional operands match present and absent operands', () => {
    const p = probe('ln', m.LayerNormalization($.x, $.scale, $.bias.optional()));
    apply(ir`
      graph g(%x: f32[2, 4], %s: f32[4], %b: f32[4]) {
        %y: f32[2, 4] = LayerNormalization(%x, %s, %b) @"with_bias"
        %z: f32[2, 4] = LayerNormalization(%y, %s) @"without"
        return %z
      }`, [p.pattern]);
    expect(p.seen).toEqual([{ x: 'x', scale: 's', bias: 'b' }, { x: 'y', scale: 's', bias: undefined }]);
  });

  it('maybe(): the op may be absent from the chain, its other captures are then undefined', () => {
    const p = probe('linear', m.Add.maybe(m.MatMul($.x, m.const($.w)), m.const($.bias)));
    apply(ir`
      graph g(%x: f32[2, 3]) {
        %w = const f32[3, 2] [1, 2, 3, 4, 5, 6]
        %w2 = const f32[2, 2] [1, 0, 0, 1]
        %b = const f32[2] [1, 2]
        %a: f32[2, 2] = MatMul(%x, %w) @"mm"
        %c: f32[2, 2] = Add(%b, %a) @"bias"
        %d: f32[2, 2] = MatMul(%c, %w2) @"mm2"
        return %d
      }`, [p.pattern]);
    // A maybe() root is also tried at nodes of its first operand's op: each MatMul alone (bias undefined),
    // and the Add with its MatMul, in graph order.
    expect(p.seen).toEqual([
      { x: 'x', w: 'w', bias: undefined },
      { x: 'x', w: 'w', bias: 'b' },
      { x: 'c', w: 'w2', bias: undefined },
    ]);
  });

  it('checks constant predicates, attribute values, attribute predicates and captures attributes', () => {
    const text = ir`
      graph g(%x: f32[2, 3]) {
        %two = const f32[] [2]
        %three = const f32[] [3]
        %a: f32[2, 3] = Pow(%x, %two) @"square"
        %b: f32[2, 3] = Pow(%x, %three) @"cube"
        %c: f32[2, 3] = Softmax(%a) {axis = 1} @"last"
        %d: f32[2, 3] = Softmax(%b) {axis = 0} @"first"
        %t: f32[3, 2] = Transpose(%c) {perm = [1, 0]} @"t"
        return %d, %t
      }`;
    const square = probe('square', m.Pow($.x, m.scalar(2)));
    const lastAxis = probe('last-axis', m.Softmax($.s, { axis: (a, n) => (a as number) === n.inputs[0]!.type.shape.length - 1 }));
    const axis0 = probe('axis-0', m.Softmax($.s, { axis: 0 }));
    const perm = probe('perm', m.Transpose($.x, { perm: $.perm }));
    const big = probe('big', m.Pow($.x, m.scalar((v) => v > 2.5)));
    const constPred = probe('const-pred', m.Pow($.x, m.const((t) => t.get(0) === 3)));
    apply(text, [square, lastAxis, axis0, perm, big, constPred].map((p) => p.pattern));
    expect(square.seen).toEqual([{ x: 'x' }]);
    expect(lastAxis.seen).toEqual([{ s: 'a' }]);
    expect(axis0.seen).toEqual([{ s: 'b' }]);
    expect(perm.seen).toEqual([{ x: 'c', 'attr:perm': '[1,0]' }]);
    expect(big.seen).toEqual([{ x: 'x' }]);
    expect(constPred.seen).toEqual([{ x: 'x' }]);
  });

  it('oneUse() and internalOnly refuse matches whose intermediate results are used elsewhere', () => {
    const text = ir`
      graph g(%x: f32[3]) {
        %e: f32[3] = Exp(%x) @"exp"
        %n: f32[3] = Neg(%e) @"neg"
        %y: f32[3] = Add(%n, %e) @"add"
        return %y
      }`;
    const single = probe('single', m.Neg(m.Exp($.x).oneUse()));
    apply(text, [single.pattern]);
    expect(single.seen).toEqual([]);
    const closed = rule('closed', m.Neg(m.Exp($.x)), ({ x }, b) => b.op('Neg', [b.op('Exp', [x])]), { internalOnly: true });
    const { result } = apply(text, [closed]);
    expect(result.rejected).toEqual({ closed: { '%e is also used outside the match': 1 } });
  });

  it('an unknown op in a pattern is an error when the pattern is built', () => {
    expect(() => m.Frobnicate($.x)).toThrow("pattern: unknown op 'Frobnicate'");
  });
});

describe('rewriting', () => {
  it('replaces the root; the new node takes the root\'s node name and result name', () => {
    const fold = rule('mul-mul', m.Mul(m.Mul($.x, m.scalar($.a)), m.scalar($.b)),
      ({ x, a, b: bv }, b) => b.op('Mul', [x, b.scalar('f32', scalarValue(a)! * scalarValue(bv)!)]));
    const before = ir`
      graph g(%x: f32[3]) {
        %two = const f32[] [2]
        %three = const f32[] [3]
        %a: f32[3] = Mul(%x, %two) @"m1"
        %b: f32[3] = Mul(%a, %three) @"m2"
        %c: f32[3] = Relu(%b) @"relu"
        return %c
      }`;
    const { text, result, graph } = apply(before, [fold]);
    expect(text).toBe(ir`
      graph g(%x: f32[3]) {
        %b_const = const f32[] [6]
        %b: f32[3] = Mul(%x, %b_const) @"m2"
        %c: f32[3] = Relu(%b) @"relu"
        return %c
      }`);
    expect(result).toEqual({ changed: true, iterations: 2, fired: { 'mul-mul': 1 }, rejected: {} });
    expectSameResults(parseGraph(before), graph);
  });

  it('replaces every result of a multi-result root', () => {
    const splitToSlices = rule('split-to-slices', m.Split($.x, { axis: 0 }), ({ x }, b) =>
      [0, 1].map((i) => b.op('Slice', [x, b.ints([i]), b.ints([i + 1]), b.ints([0])])));
    const before = ir`
      graph g(%x: f32[2, 3]) {
        %p: f32[1, 3], %q: f32[1, 3] = Split(%x) @"split"
        %r: f32[1, 3] = Sub(%p, %q) @"sub"
        return %r
      }`;
    const { text, graph } = apply(before, [splitToSlices]);
    expect(text).toContain('%p: f32[1, 3] = Slice(%x,');
    expect(text).toContain('%q: f32[1, 3] = Slice(%x,');
    expect(text).not.toContain('Split');
    expectSameResults(parseGraph(before), graph);
  });

  const unchanged = ir`
    graph g(%x: f32[2, 3]) {
      %y: f32[2, 3] = Relu(%x) @"relu"
      %z: f32[2, 3] = Exp(%y) @"exp"
      return %z
    }`;

  it('a rejected rewrite leaves the graph exactly as it was, and says why', () => {
    const graph = parseGraph(unchanged);
    const nodes = [...graph.nodes];
    const constants = [...graph.constants];
    // The rewrite builds nodes and constants, then rejects: none of it may reach the graph.
    const greedy = rule('greedy', m.Exp($.y), ({ y }, b, reject) => {
      b.op('Neg', [b.op('Add', [y, b.scalar('f32', 1)])]);
      return reject('not today');
    });
    const result = applyPatterns(graph, [greedy]);
    expect(printGraph(graph)).toBe(unchanged);
    expect(graph.nodes).toEqual(nodes);
    expect(graph.constants).toEqual(constants);
    expect(result).toEqual({ changed: false, iterations: 1, fired: {}, rejected: { greedy: { 'not today': 1 } } });
  });

  it('a rewrite that fails a type rule, or changes the type, is rejected with the reason', () => {
    const badRule = rule('bad-matmul', m.Exp($.y), ({ y }, b) => b.op('MatMul', [y, y]));
    const badType = rule('bad-type', m.Exp($.y), ({ y }, b) => b.op('ReduceSum', [y], { keepdims: 0 }));
    const { text, result } = apply(unchanged, [badRule, badType]);
    expect(text).toBe(unchanged);
    // The builder runs MatMul's type rule on the new node (named after the root): its message is the reason.
    expect(Object.keys(result.rejected['bad-matmul']!)).toEqual([expect.stringMatching(/^a type rule failed: MatMul node 'exp\/MatMul': .*\[2, 3\]/)]);
    expect(result.rejected['bad-type']).toEqual({ 'the replacement of %z has type f32[], not f32[2, 3]': 1 });
  });

  it('a rewrite that returns the root unchanged is rejected instead of looping', () => {
    const noop = rule('noop', m.Exp($.y), (_c, _b, _reject, { root }) => root.outputs[0]!);
    const { text, result } = apply(unchanged, [noop]);
    expect(text).toBe(unchanged);
    expect(result.rejected).toEqual({ noop: { 'the rewrite returned the root unchanged': 1 } });
  });
});

describe('the fixpoint driver', () => {
  it('fails clearly when patterns keep firing, naming them, and leaves a valid graph', () => {
    const flip = rule('flip-add', m.Add.ordered($.x, $.y), ({ x, y }, b) => b.op('Add', [y, x]));
    const graph = parseGraph(ir`
      graph g(%x: f32[2], %y: f32[2]) {
        %a: f32[2] = Add(%x, %y) @"add"
        %b: f32[2] = Relu(%a) @"relu"
        return %b
      }`);
    let error: unknown;
    try {
      applyPatterns(graph, [flip], { maxIterations: 5 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    expect((error as CompileError).message).toBe(
      'error XFC0203: pattern rewriting did not converge after 5 iterations; still firing: flip-add (1 rewrite)');
    expect(verifyGraph(graph)).toEqual([]);
  });

  it('rewrites a graph of thousands of nodes quickly (indexed users, worklist)', () => {
    const lines = ['graph big(%x: f32[4]) {', '  %zero = const f32[] [0]', '  %one = const f32[] [1]'];
    let prev = 'x';
    for (let i = 0; i < 1250; i++) {
      lines.push(`  %a${i}: f32[4] = Add(%${prev}, %zero) @"a${i}"`);
      lines.push(`  %m${i}: f32[4] = Mul(%one, %a${i}) @"m${i}"`);
      lines.push(`  %i${i}: f32[4] = Identity(%m${i}) @"i${i}"`);
      lines.push(`  %r${i}: f32[4] = Relu(%i${i}) @"r${i}"`);
      prev = `r${i}`;
    }
    lines.push(`  return %${prev}`, '}', '');
    const graph: Graph = parseGraph(lines.join('\n'));
    expect(graph.nodes).toHaveLength(5000);
    const started = performance.now();
    const result = runPipeline(graph, { passes: ['canonicalize', 'cse', 'dce'] });
    const ms = performance.now() - started;
    expect(graph.nodes).toHaveLength(1250);
    expect(result.passes[0]!.stats).toEqual({ 'add-zero': 1250, 'mul-one': 1250, identity: 1250 });
    expect(ms).toBeLessThan(5000);
  });
});

describe('pattern declarations', () => {
  it('names are kebab-case', () => {
    expect(() => pattern({ name: 'NotKebab', root: m.Relu($.x), rewrite: ({ x }) => x })).toThrow("pattern name 'NotKebab' must be kebab-case");
  });
});
