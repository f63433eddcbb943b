// The pattern language: `m.MatMul($.q, m.Transpose($.k))`, with `$.name` captures, constant predicates and
// attribute constraints, written as data: pattern.ts matches them, rewrite.ts applies rewrites.
//
//   m.Add($.x, m.splat(0))                       x + 0 (either operand order: Add is commutative in the registry)
//   m.Sub.ordered(m.splat(0), $.x)               0 - x, operands in this order only
//   m.Softmax($.s, { axis: -1 })                 an attribute constraint (exact value)
//   m.Transpose($.x, { perm: $.perm })           an attribute capture (MatchInfo.attrs.perm)
//   m.Softmax($.s, { axis: lastAxis })           a predicate (value, node) => boolean
//   m.Add.maybe(x, $.bias)                       x + bias, or just x (bias undefined): the op may be absent
//   m.LayerNormalization($.x, $.s, $.b.optional())  an operand that may be absent
//   m.scalar($.scale) / m.scalar(2) / m.scalar((v) => v > 0)   one-element constants
//   m.const($.w) / m.const((t) => ...)           constants; m.splat(0): every element equal to 0
//   m.op(['Reshape', 'Squeeze'], $.x, m.rest)    one of several ops; m.rest = any further operands
//   m.oneOf(p1, p2), p.as('name'), p.where((v) => ...), m.MatMul(...).oneUse(), m.Cast($.x).when((node) => ...)

import type { Tensor } from '../compiler/ir/tensor.js';
import { AnyPattern, type AttrConstraint, ConstPattern, OneOfPattern, OpPattern, type OpPatternOptions, REST, ValuePattern } from './pattern.js';

type Operand = ValuePattern | typeof REST;
type AttrConstraints = Readonly<Record<string, AttrConstraint>>;
type OpArgs = (Operand | AttrConstraints)[];

/** `m.Add(...)`: an op pattern; `.ordered(...)` and `.maybe(...)` set the matching options up front. */
export interface OpFactory {
  (...args: OpArgs): OpPattern;
  ordered(...args: OpArgs): OpPattern;
  maybe(...args: OpArgs): OpPattern;
}

function build(ops: readonly string[], args: OpArgs, options: OpPatternOptions): OpPattern {
  const operands: ValuePattern[] = [];
  let rest = false;
  let attrs: AttrConstraints = {};
  args.forEach((a, i) => {
    if (a === REST) {
      rest = true;
    } else if (a instanceof ValuePattern) {
      if (rest) throw new Error('pattern: m.rest must be the last operand');
      operands.push(a);
    } else {
      if (i !== args.length - 1) throw new Error('pattern: the attribute constraints must be the last argument');
      attrs = a as AttrConstraints;
    }
  });
  return new OpPattern(ops, operands, rest, attrs, options);
}

function factory(ops: readonly string[]): OpFactory {
  const f = ((...args: OpArgs) => build(ops, args, {})) as OpFactory;
  f.ordered = (...args: OpArgs) => build(ops, args, { ordered: true });
  f.maybe = (...args: OpArgs) => build(ops, args, { maybe: true });
  return f;
}

type ScalarArg = AnyPattern | number | ((x: number) => boolean) | undefined;

/** A one-element constant, optionally equal to a number or satisfying a predicate, optionally captured. */
function scalar(arg?: ScalarArg, pred?: (x: number) => boolean): ValuePattern {
  const test = typeof arg === 'number' ? (x: number) => x === arg : typeof arg === 'function' ? arg : pred;
  const p = new ConstPattern((t) => t.size === 1 && (!test || test(t.get(0))), 1);
  return arg instanceof AnyPattern && arg.name ? p.as(arg.name) : p;
}

/** A constant, optionally satisfying a predicate on its data, optionally captured. */
function constant(arg?: AnyPattern | ((t: Tensor) => boolean), pred?: (t: Tensor) => boolean): ValuePattern {
  const p = new ConstPattern(typeof arg === 'function' ? arg : pred);
  return arg instanceof AnyPattern && arg.name ? p.as(arg.name) : p;
}

/** A constant whose every element equals `x` (any shape; the engine checks the replacement's type). */
function splat(x: number, capture?: AnyPattern): ValuePattern {
  const p = new ConstPattern((t) => {
    for (let i = 0; i < t.size; i++) if (t.get(i) !== x) return false;
    return t.size > 0;
  });
  return capture?.name ? p.as(capture.name) : p;
}

const helpers = {
  /** One of several ops with the same operand patterns. */
  op: (ops: string | readonly string[], ...args: OpArgs): OpPattern => build(typeof ops === 'string' ? [ops] : ops, args, {}),
  /** Any value (anonymous wildcard). */
  any: (): ValuePattern => new AnyPattern(),
  const: constant,
  scalar,
  splat,
  oneOf: (...alternatives: ValuePattern[]): ValuePattern => new OneOfPattern(alternatives),
  rest: REST as typeof REST,
};

type Helpers = typeof helpers;

/** Op patterns by op name (`m.MatMul`, checked against the registry when built) and the helpers above. */
export const m: Helpers & { readonly [op: `${Uppercase<string>}${string}`]: OpFactory } = new Proxy(helpers, {
  get(target, key) {
    if (typeof key === 'string' && key in target) return target[key as keyof Helpers];
    if (typeof key === 'string' && /^[A-Z]/.test(key)) return factory([key]);
    return undefined;
  },
}) as never;

/** Captures: `$.q` matches any value and binds it to q. */
export const $: { readonly [name: string]: AnyPattern } = new Proxy({}, {
  get: (_, key) => new AnyPattern(String(key)),
});
