// canonicalize: one Before/Expected pair per algebraic rule, each saying why, and the cases that must not fire.
// Every pair is also run through the interpreter: the rewritten graph must compute exactly the same.

import { describe, expect, it } from 'vitest';
import { ALGEBRA_RULES } from '../../passes/canonicalize.js';
import { type PassCase, ir, itRewrites, runPass } from './helpers.js';

const cases: PassCase[] = [
  {
    name: 'x + 0 → x',
    why: 'adding zero is the identity (up to the sign of a zero result); exporters leave it behind after folding',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %zero = const f32[] [0]
        %y: f32[2, 3] = Add(%x, %zero) @"add"
        %z: f32[2, 3] = Relu(%y) @"relu"
        return %z
      }`,
    expected: ir`
      graph g(%x: f32[2, 3]) {
        %z: f32[2, 3] = Relu(%x) @"relu"
        return %z
      }`,
  },
  {
    name: '0 + x → x (Add is commutative in the registry)',
    why: 'the pattern is written once; commutative matching finds the zero on either side',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %zero = const f32[3] [0, 0, 0]
        %y: f32[2, 3] = Add(%zero, %x) @"add"
        %z: f32[2, 3] = Relu(%y) @"relu"
        return %z
      }`,
    expected: ir`
      graph g(%x: f32[2, 3]) {
        %z: f32[2, 3] = Relu(%x) @"relu"
        return %z
      }`,
  },
  {
    name: 'x + 0 that broadcasts x to a larger shape does not fire',
    why: 'the result has more elements than x, so x cannot stand for it',
    before: ir`
      graph g(%x: f32[3]) {
        %zero = const f32[2, 3] [0, 0, 0, 0, 0, 0]
        %y: f32[2, 3] = Add(%x, %zero) @"add"
        return %y
      }`,
  },
  {
    name: 'x + 0 whose result is a graph output and x a graph input does not fire',
    why: 'the model keeps its output names: an input cannot take the name of an output',
    before: ir`
      graph g(%x: f32[2]) {
        %zero = const f32[] [0]
        %y: f32[2] = Add(%x, %zero) @"add"
        return %y
      }`,
  },
  {
    name: 'x + c with c not all zeros does not fire',
    why: 'only an all-zero constant is the identity',
    before: ir`
      graph g(%x: f32[3]) {
        %c = const f32[3] [0, 1, 0]
        %y: f32[3] = Add(%x, %c) @"add"
        %z: f32[3] = Relu(%y) @"relu"
        return %z
      }`,
  },
  {
    name: 'x - 0 → x',
    why: 'subtracting zero is the identity',
    before: ir`
      graph g(%x: i64[4]) {
        %zero = const i64[] [0]
        %y: i64[4] = Sub(%x, %zero) @"sub"
        %z: i64[4] = Neg(%y) @"neg"
        return %z
      }`,
    expected: ir`
      graph g(%x: i64[4]) {
        %z: i64[4] = Neg(%x) @"neg"
        return %z
      }`,
  },
  {
    name: '0 - x → Neg(x)',
    why: 'PyTorch writes -x as 0 - x in some exports; Neg is one operand less and what fusions expect',
    before: ir`
      graph g(%x: f32[2, 2]) {
        %zero = const f32[] [0]
        %y: f32[2, 2] = Sub(%zero, %x) @"sub"
        %z: f32[2, 2] = Exp(%y) @"exp"
        return %z
      }`,
    expected: ir`
      graph g(%x: f32[2, 2]) {
        %y: f32[2, 2] = Neg(%x) @"sub"
        %z: f32[2, 2] = Exp(%y) @"exp"
        return %z
      }`,
  },
  {
    name: 'x * 1 → x and 1 * x → x',
    why: 'multiplying by one is the identity, on either side',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %one = const f32[1] [1]
        %y: f32[2, 3] = Mul(%x, %one) @"m1"
        %z: f32[2, 3] = Mul(%one, %y) @"m2"
        %w: f32[2, 3] = Relu(%z) @"relu"
        return %w
      }`,
    expected: ir`
      graph g(%x: f32[2, 3]) {
        %w: f32[2, 3] = Relu(%x) @"relu"
        return %w
      }`,
  },
  {
    name: 'x / 1 → x, but 1 / x stays',
    why: 'Div is not commutative: only a divisor of one is the identity',
    before: ir`
      graph g(%x: f32[3]) {
        %one = const f32[] [1]
        %y: f32[3] = Div(%x, %one) @"div"
        %z: f32[3] = Div(%one, %y) @"recip"
        return %z
      }`,
    expected: ir`
      graph g(%x: f32[3]) {
        %one = const f32[] [1]
        %z: f32[3] = Div(%one, %x) @"recip"
        return %z
      }`,
  },
  {
    name: 'x ^ 1 → x',
    why: 'the first power is the identity',
    before: ir`
      graph g(%x: f32[3]) {
        %one = const f32[] [1]
        %y: f32[3] = Pow(%x, %one) @"pow"
        %z: f32[3] = Relu(%y) @"relu"
        return %z
      }`,
    expected: ir`
      graph g(%x: f32[3]) {
        %z: f32[3] = Relu(%x) @"relu"
        return %z
      }`,
  },
  {
    name: 'x ^ 2 stays',
    why: 'the LayerNorm fusion recognises the variance by Pow(x - mean, 2); Mul(d, d) would be a second spelling',
    before: ir`
      graph g(%x: f32[3]) {
        %two = const f32[] [2]
        %y: f32[3] = Pow(%x, %two) @"pow"
        %z: f32[3] = Relu(%y) @"relu"
        return %z
      }`,
  },
  {
    name: 'x * -1 → Neg(x)',
    why: 'a negation written as a multiplication',
    before: ir`
      graph g(%x: f32[3]) {
        %m = const f32[] [-1]
        %y: f32[3] = Mul(%x, %m) @"mul"
        %z: f32[3] = Relu(%y) @"relu"
        return %z
      }`,
    expected: ir`
      graph g(%x: f32[3]) {
        %y: f32[3] = Neg(%x) @"mul"
        %z: f32[3] = Relu(%y) @"relu"
        return %z
      }`,
  },
  {
    name: '-(-x) → x',
    why: 'double negation cancels (exactly, for every float)',
    before: ir`
      graph g(%x: f32[3]) {
        %a: f32[3] = Neg(%x) @"n1"
        %b: f32[3] = Neg(%a) @"n2"
        %z: f32[3] = Relu(%b) @"relu"
        return %z
      }`,
    expected: ir`
      graph g(%x: f32[3]) {
        %z: f32[3] = Relu(%x) @"relu"
        return %z
      }`,
  },
  {
    name: 'x + (-y) → x - y and x - (-y) → x + y',
    why: 'one node instead of two, exactly (IEEE subtraction is addition of the negation)',
    before: ir`
      graph g(%x: f32[3], %y: f32[3]) {
        %ny: f32[3] = Neg(%y) @"neg"
        %a: f32[3] = Add(%ny, %x) @"add"
        %b: f32[3] = Sub(%a, %ny) @"sub"
        return %b
      }`,
    expected: ir`
      graph g(%x: f32[3], %y: f32[3]) {
        %a: f32[3] = Sub(%x, %y) @"add"
        %b: f32[3] = Add(%a, %y) @"sub"
        return %b
      }`,
  },
  {
    name: 'Where(c, x, x) → x',
    why: 'both branches are the same value',
    before: ir`
      graph g(%c: bool[3], %x: f32[3]) {
        %y: f32[3] = Where(%c, %x, %x) @"where"
        %z: f32[3] = Relu(%y) @"relu"
        return %z
      }`,
    expected: ir`
      graph g(%c: bool[3], %x: f32[3]) {
        %z: f32[3] = Relu(%x) @"relu"
        return %z
      }`,
  },
  {
    name: 'Identity and inference Dropout are removed',
    why: 'they compute nothing at inference; the backends should not see them',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %a: f32[2, 3] = Identity(%x) @"id"
        %b: f32[2, 3] = Dropout(%a) @"drop"
        %c: f32[2, 3] = Relu(%b) @"relu"
        return %c
      }`,
    expected: ir`
      graph g(%x: f32[2, 3]) {
        %c: f32[2, 3] = Relu(%x) @"relu"
        return %c
      }`,
  },
  {
    name: 'Dropout whose mask is used stays',
    why: 'the mask result has no replacement',
    before: ir`
      graph g(%x: f32[2]) {
        %a: f32[2], %mask: bool[2] = Dropout(%x) @"drop"
        %b: f32[2] = Relu(%a) @"relu"
        return %b, %mask
      }`,
  },
  {
    name: 'a Cast to the operand\'s own dtype is removed; other Casts stay',
    why: 'PyTorch casts shape values to i64 that already are i64',
    before: ir`
      graph g(%x: i64[2], %y: i64[2]) {
        %a: i64[2] = Cast(%x) {to = 7} @"same"
        %b: f32[2] = Cast(%a) {to = 1} @"other"
        %c: i64[2] = Add(%a, %y) @"add"
        return %b, %c
      }`,
    expected: ir`
      graph g(%x: i64[2], %y: i64[2]) {
        %b: f32[2] = Cast(%x) {to = 1} @"other"
        %c: i64[2] = Add(%x, %y) @"add"
        return %b, %c
      }`,
  },
  {
    name: 'constants move to the right of commutative ops, not of others',
    why: 'one operand order for the fusions to match; Sub is not commutative',
    before: ir`
      graph g(%x: f32[3]) {
        %c = const f32[3] [1, 2, 3]
        %a: f32[3] = Add(%c, %x) @"add"
        %b: f32[3] = Mul(%c, %a) @"mul"
        %d: f32[3] = Sub(%c, %b) @"sub"
        return %d
      }`,
    expected: ir`
      graph g(%x: f32[3]) {
        %c = const f32[3] [1, 2, 3]
        %a: f32[3] = Add(%x, %c) @"add"
        %b: f32[3] = Mul(%a, %c) @"mul"
        %d: f32[3] = Sub(%c, %b) @"sub"
        return %d
      }`,
  },
  {
    name: 'chains simplify to a fixpoint in one run',
    why: 'after Identity goes, x * 1 and then x + 0 become visible; the driver revisits the users of replaced values',
    before: ir`
      graph g(%x: f32[3]) {
        %zero = const f32[] [0]
        %one = const f32[] [1]
        %a: f32[3] = Identity(%x) @"id"
        %b: f32[3] = Mul(%one, %a) @"mul"
        %c: f32[3] = Add(%zero, %b) @"add"
        %d: f32[3] = Neg(%c) @"neg"
        %e: f32[3] = Neg(%d) @"neg2"
        %f: f32[3] = Tanh(%e) @"tanh"
        return %f
      }`,
    expected: ir`
      graph g(%x: f32[3]) {
        %f: f32[3] = Tanh(%x) @"tanh"
        return %f
      }`,
  },
];

describe('canonicalize', () => {
  itRewrites('canonicalize', cases);

  it('reports how often each rule fired', () => {
    expect(runPass('canonicalize', cases.at(-1)!.before).stats).toEqual({ identity: 1, 'mul-one': 1, 'add-zero': 1, 'neg-neg': 1 });
  });

  it('every algebraic rule has a kebab-case name and a case above', () => {
    const names = ALGEBRA_RULES.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      'add-zero', 'sub-zero', 'mul-one', 'div-one', 'pow-one', 'mul-minus-one', 'zero-sub', 'neg-neg', 'add-neg',
      'sub-neg', 'where-same', 'identity', 'dropout', 'cast-same-type', 'constant-right',
    ]);
  });
});
