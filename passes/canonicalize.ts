// Canonicalization: algebraic identities as a table of one-line rules (each with its algebra), plus the layout
// rules of simplify-layout, so that later passes (fusions) see one spelling of each computation.
//
// Every rule is exact on finite and non-finite values alike, except for the sign of a zero result where noted
// (IEEE: -0 + 0 = +0, so x + 0 → x keeps a -0 the original turned into +0). Rules that would change rounding
// (x / c → x * (1/c), (x * a) * b → x * (a * b)) are deliberately absent.
//
// Not a rule: Pow(x, 2) → Mul(x, x). It is exact, but the LayerNorm fusion recognises the variance by the
// Pow(x - mean, 2) that every exporter writes; rewriting it would make that pattern spell a second form.

import { dtypeFromOnnx } from '../compiler/ir/dtype.js';
import { allOps } from '../compiler/ops/registry.js';
import { $, m } from './pattern-dsl.js';
import { type Pattern, patternPass, rule } from './rewrite.js';
import { LAYOUT_RULES } from './simplify-layout.js';

/** Binary ops the registry declares commutative (constants go to their right). */
const COMMUTATIVE = allOps().filter((d) => d.commutative && d.domain === '').map((d) => d.name);

/** A value that is not a constant. */
const nonConst = $.x.where((v) => v.constant === undefined);

export const ALGEBRA_RULES: readonly Pattern[] = [
  rule('add-zero', m.Add($.x, m.splat(0)), ({ x }) => x), //                          x + 0 → x   (sign of zero)
  rule('sub-zero', m.Sub.ordered($.x, m.splat(0)), ({ x }) => x), //                   x - 0 → x
  rule('mul-one', m.Mul($.x, m.splat(1)), ({ x }) => x), //                           x * 1 → x
  rule('div-one', m.Div.ordered($.x, m.splat(1)), ({ x }) => x), //                    x / 1 → x
  rule('pow-one', m.Pow.ordered($.x, m.splat(1)), ({ x }) => x), //                    x ^ 1 → x
  rule('mul-minus-one', m.Mul($.x, m.splat(-1)), ({ x }, b) => b.op('Neg', [x])), //  x * -1 → -x
  rule('zero-sub', m.Sub.ordered(m.splat(0), $.x), ({ x }, b) => b.op('Neg', [x])), // 0 - x → -x  (sign of zero)
  rule('neg-neg', m.Neg(m.Neg($.x)), ({ x }) => x), //                                -(-x) → x
  rule('add-neg', m.Add($.x, m.Neg($.y)), ({ x, y }, b) => b.op('Sub', [x, y])), //   x + (-y) → x - y
  rule('sub-neg', m.Sub.ordered($.x, m.Neg($.y)), ({ x, y }, b) => b.op('Add', [x, y])), // x - (-y) → x + y
  rule('where-same', m.Where($.c, $.x, $.x), ({ x }) => x), //                         c ? x : x → x
  rule('identity', m.Identity($.x), ({ x }) => x), //                                 Identity(x) → x
  rule('dropout', m.Dropout($.x, m.rest), ({ x }) => [x]), //                         Dropout(x) → x (inference; the mask unused)
  rule('cast-same-type', m.Cast($.x).when((n) => dtypeFromOnnx(n.attrs.to as number) === n.inputs[0]!.type.dtype), ({ x }) => x), // (T)x → x for x: T
  // c ⊕ x → x ⊕ c for commutative ⊕ and a constant c: one operand order for the rules above and the fusions
  rule('constant-right', m.op(COMMUTATIVE, m.const($.c), nonConst).ordered(),
    ({ x, c }, b, _reject, { root }) => b.op(root.op, [x, c], root.attrs)),
];

export const CANONICAL_RULES: readonly Pattern[] = [...ALGEBRA_RULES, ...LAYOUT_RULES];

export const canonicalize = patternPass(
  'canonicalize',
  'algebraic identities (x+0, x*1, Identity, Dropout, same-type Cast, 0-x, ...), constants to the right, and the layout rules',
  CANONICAL_RULES,
);
