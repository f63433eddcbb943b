// Linear fusion: a matrix product with a constant weight and its epilogue become one Linear op.
//
//   [residual +] act(X·W [+ bias])          MatMul(X, W) or Gemm(X, W[, C]; transB) with W constant, rank 2;
//                                           act: Relu, Gelu (erf → 'gelu', tanh → 'gelu_tanh'; fuse-gelu first)
//   → Linear(X, W, bias, residual; trans_b, activation)
//
// Gemm works on 2-D operands, so exporters flatten [B, S, K] to [B·S, K] before it and unflatten after (GPT-2's
// Conv1D, MultiheadAttention's out-projection). When the flatten only merges the leading dims and the unflatten
// restores them, Linear runs on [B, S, K] directly and both Reshapes (with the Shape chains that computed their
// targets) go away.

import { type Dim, dimEq, dimsProduct, shapesEqual } from '../compiler/ir/dim.js';
import { type Node, type Value, materialize } from '../compiler/ir/graph.js';
import { $, m } from './pattern-dsl.js';
import type { OpPattern, ValuePattern } from './pattern.js';
import { type Pattern, type RewriteBuilder, patternPass, rule } from './rewrite.js';

const weight = m.const($.w).where((v) => v.type.shape.length === 2);
/** Gemm computing X·W (+ C): alpha = beta = 1, X not transposed. */
const plainGemm = (n: Node): boolean => (n.attrs.alpha ?? 1) === 1 && (n.attrs.beta ?? 1) === 1 && !n.attrs.transA;

/** The products: X·W as MatMul or Gemm, each directly on X or between a flattening and an unflattening view. */
function cores(): { name: string; p: OpPattern; views: boolean }[] {
  const mm = (x: ValuePattern) => m.MatMul(x, weight);
  const gemm = (x: ValuePattern) => m.Gemm(x, weight, m.const($.c).optional(), { transB: $.transB }).when(plainGemm);
  const viewed = (core: (x: ValuePattern) => OpPattern) => m.Reshape(core(m.Reshape($.x, m.any()).as('flat')).as('product'), m.any());
  return [
    { name: 'matmul', p: mm($.x), views: false },
    { name: 'gemm', p: gemm($.x), views: false },
    { name: 'gemm-views', p: viewed(gemm), views: true },
    { name: 'matmul-views', p: viewed(mm), views: true },
  ];
}

/** A bias constant as the [N] vector Linear takes ([N], [1, N], [1, 1, N] ...), null when it is not one. */
function biasVector(b: RewriteBuilder, v: Value | undefined, n: Dim): Value | undefined | null {
  if (!v) return undefined;
  const shape = v.type.shape;
  if (shape.length === 1 && dimEq(shape[0]!, n)) return v;
  if (shape.length >= 1 && dimEq(shape[shape.length - 1]!, n) && shape.slice(0, -1).every((d) => d === 1) && v.constant) {
    const t = materialize(v.constant);
    return b.constant(t.reshape([t.shape[t.shape.length - 1]!]), `${v.name}_vector`);
  }
  return null;
}

/** Checks the views around a flattened product: x [L..., K] → [prod(L), K], and [prod(L), N] → [L..., N]. */
function viewsProblem(x: Value, flat: Value, unflat: Value): string | undefined {
  const xs = x.type.shape;
  const fs = flat.type.shape;
  const us = unflat.type.shape;
  if (xs.length < 2 || fs.length !== 2 || !dimEq(fs[1]!, xs[xs.length - 1]!) || !dimEq(fs[0]!, dimsProduct(xs.slice(0, -1)))) {
    return `the view [${fs.join(', ')}] of [${xs.join(', ')}] does not only merge the leading dims`;
  }
  if (us.length !== xs.length || !shapesEqual(us.slice(0, -1), xs.slice(0, -1))) return `the view [${us.join(', ')}] does not restore the leading dims of [${xs.join(', ')}]`;
  return undefined;
}

function linearRule(name: string, root: OpPattern, views: boolean, act: 'relu' | 'gelu' | ''): Pattern {
  return rule(name, root, ({ x, w, c: gemmC, bias, residual, flat, product }, b, reject, { attrs, editor }) => {
    if (views) {
      const unflat = editor.users(product!)[0]!.outputs[0]!;
      const problem = viewsProblem(x!, flat!, unflat);
      if (problem) return reject(problem);
    }
    const transB = attrs.transB === 1;
    const n = w!.type.shape[transB ? 0 : 1]!;
    if (gemmC && bias) return reject('both a Gemm C operand and a bias add');
    const vec = biasVector(b, gemmC ?? bias, n);
    if (vec === null) return reject(`the bias [${(gemmC ?? bias)!.type.shape.join(', ')}] is not a vector over the output features`);
    const activation = act === 'relu' ? 'relu' : act === 'gelu' ? (attrs.approximate === 'tanh' ? 'gelu_tanh' : 'gelu') : 'none';
    return b.op('Linear', [x, w, vec, residual], { trans_b: transB ? 1 : 0, activation });
  }, { internalOnly: true });
}

/** Every combination, largest first (at a given root the first that fires wins). */
function linearPatterns(): Pattern[] {
  const out: { size: number; p: Pattern }[] = [];
  for (const core of cores()) {
    for (const withBias of [true, false]) {
      const biased = withBias ? m.Add(core.p, m.const($.bias)) : core.p;
      const acts: ['relu' | 'gelu' | '', OpPattern][] = [
        ['relu', m.Relu(biased)],
        ['gelu', m.Gelu(biased, { approximate: $.approximate })],
        ['', biased],
      ];
      for (const [act, a] of acts) {
        for (const withResidual of [true, false]) {
          const root = withResidual ? m.Add(a, $.residual.where((v) => !v.constant)) : a;
          const name = ['linear', core.name, withBias && 'bias', act, withResidual && 'residual'].filter(Boolean).join('-');
          out.push({ size: Number(withBias) + Number(act !== '') + Number(withResidual), p: linearRule(name, root, core.views, act) });
        }
      }
    }
  }
  return out.sort((a, b) => b.size - a.size).map((e) => e.p);
}

// [residual +] act(x·W [+ bias]) → Linear(x, W, bias, residual; trans_b, activation)
export const LINEAR_PATTERNS: readonly Pattern[] = linearPatterns();

export const fuseLinear = patternPass(
  'fuse-linear',
  'fuses MatMul/Gemm with a constant weight, bias, activation (Relu, Gelu) and residual add into Linear',
  LINEAR_PATTERNS,
  { reverse: true },
);
