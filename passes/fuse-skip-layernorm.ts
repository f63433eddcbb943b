// SkipLayerNorm fusion: a residual add feeding a layer norm over the last axis becomes one SkipLayerNormalization.
//
//   LayerNormalization(x + skip [+ bias])  → SkipLayerNormalization(x, skip, gamma, beta, bias).Y
//   the sum x + skip [+ bias], where other nodes also read it (the residual stream of pre-LN models)
//                                          → SkipLayerNormalization(...).sum
//
// x is the operand with the sum's shape; skip must broadcast to it. A bias is taken only when it is added last
// (Add(Add(x, skip), bias)); a bias added to a MatMul first stays with it for the Linear fusion.

import { dimEq, shapesEqual } from '../compiler/ir/dim.js';
import type { Value } from '../compiler/ir/graph.js';
import { $, m } from './pattern-dsl.js';
import { type Pattern, patternPass, rule } from './rewrite.js';

/** LayerNormalization over the last axis only (SkipLayerNormalization normalizes the hidden dim). */
const lastAxis = (axis: unknown, n: { inputs: readonly (Value | undefined)[] }): boolean =>
  axis === -1 || axis === (n.inputs[0]?.type.shape.length ?? 0) - 1;

const sum = m.Add.maybe(m.Add($.a, $.b).as('inner'), m.const($.bias).where((v) => v.type.shape.length === 1)).as('sum');

export const SKIP_LAYERNORM_PATTERNS: readonly Pattern[] = [
  // LayerNormalization((a + b) [+ bias], gamma, beta) → SkipLayerNormalization(a, b, gamma, beta, bias)
  rule('skip-layernorm', m.LayerNormalization(sum, $.gamma, $.beta.optional(), { axis: lastAxis }),
    ({ a, b: skip, bias, gamma, beta, inner, sum: s }, b, reject, { root, editor }) => {
      const out = s!.type.shape;
      // x: the operand of the sum's shape; the other one broadcasts to it.
      const [x, y] = shapesEqual(a!.type.shape, out) ? [a!, skip!] : [skip!, a!];
      if (!shapesEqual(x.type.shape, out)) return reject('neither operand of the residual add has the shape of the sum');
      if (a!.constant && skip!.constant) return reject('both operands of the add are constants');
      const hidden = out[out.length - 1]!;
      for (const [name, v] of [['gamma', gamma], ['beta', beta], ['bias', bias]] as const) {
        if (v && !(v.type.shape.length === 1 && dimEq(v.type.shape[0]!, hidden))) return reject(`${name} ${`[${v.type.shape.join(', ')}]`} is not [${hidden}]`);
      }
      // x + skip computed for another user as well (with the bias added after it) would be computed twice.
      if (bias && (editor.useCount(inner!) !== 1)) return reject('the sum before the bias is also used elsewhere');
      const keepSum = editor.useCount(s!) > 1;
      const [yv, sumv] = b.ops('SkipLayerNormalization', [x, y, gamma, beta, bias], { epsilon: root.attrs.epsilon ?? 1e-5 }, keepSum ? 2 : 1);
      if (keepSum) b.replace(s!, sumv!);
      return yv!;
    }),
];

export const fuseSkipLayernorm = patternPass(
  'fuse-skip-layernorm',
  'fuses a residual add (+ bias) and the LayerNormalization after it into SkipLayerNormalization (the sum kept as its second result)',
  SKIP_LAYERNORM_PATTERNS,
  { reverse: true },
);
