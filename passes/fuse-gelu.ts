// GELU fusion: the erf form (BERT, ViT) and the tanh approximation (GPT-2) become one Gelu op.
//
//   erf:  x · ½ · (1 + erf(x / √2))                               → Gelu(x)
//   tanh: x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))         → Gelu(x; approximate = "tanh")
//
// Exporters place the ½ differently; each placement is one pattern. Constants match within f32 rounding.

import { $, m } from './pattern-dsl.js';
import { type OpPattern, type ValuePattern } from './pattern.js';
import { type Pattern, patternPass, rule } from './rewrite.js';

/** Within f32 rounding of `target` (exporters store these constants as f32). */
const near = (target: number) => (v: number): boolean => Math.abs(v - target) <= 1e-6 * Math.abs(target);

const erfArg = m.oneOf(m.Div($.x, m.scalar(near(Math.SQRT2))), m.Mul($.x, m.scalar(near(Math.SQRT1_2))));
const cube = m.oneOf(m.Pow($.x, m.scalar(3)), m.Mul(m.Mul($.x, $.x), $.x));
const tanhArg = m.Mul(m.Add($.x, m.Mul(cube, m.scalar(near(0.044715)))), m.scalar(near(Math.sqrt(2 / Math.PI))));
/** 1 + erf(x/√2), or 1 + tanh(...): `erf` is captured only for the erf form. */
const onePlus = m.Add(m.oneOf(m.Erf(erfArg).as('erf'), m.Tanh(tanhArg)), m.scalar(1));
const half = m.scalar(0.5);

function gelu(name: string, root: OpPattern): Pattern {
  return rule(name, root, ({ x, erf }, b) => b.op('Gelu', [x], erf ? {} : { approximate: 'tanh' }), { internalOnly: true });
}

const times = (a: ValuePattern, c: ValuePattern): OpPattern => m.Mul(a, c);

export const GELU_PATTERNS: readonly Pattern[] = [
  gelu('gelu', times(times($.x, onePlus), half)), //                  (x · (1 + f)) · ½      BERT, ViT
  gelu('gelu-half-first', times(times($.x, half), onePlus)), //       (x · ½) · (1 + f)      GPT-2
  gelu('gelu-half-inner', times($.x, times(onePlus, half))), //       x · ((1 + f) · ½)
  gelu('gelu-div-two', m.Div(times($.x, onePlus), m.scalar(2))), //   (x · (1 + f)) / 2
];

export const fuseGelu = patternPass('fuse-gelu', 'fuses the erf and tanh forms of GELU into Gelu', GELU_PATTERNS, { reverse: true });
