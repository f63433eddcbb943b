// SkipLayerNorm fusion: Before/Expected pairs (post-LN, pre-LN with the residual sum kept, a bias, a user of the
// sum placed before the layer norm), the cases that must not fire, and numerics through the interpreter.

import { describe } from 'vitest';
import { type PassCase, ir, itRewrites } from './helpers.js';

const cases: PassCase[] = [
  {
    name: 'post-LN (BERT): LayerNormalization(y + x) → SkipLayerNormalization(y, x)',
    why: 'one kernel reads both operands once; the sum is never written',
    before: ir`
      graph g(%x: f32[batch, seq, 4], %y: f32[batch, seq, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %beta = const f32[4] [0.1, 0.2, 0.3, 0.4]
        %s: f32[batch, seq, 4] = Add(%y, %x) @"residual"
        %n: f32[batch, seq, 4] = LayerNormalization(%s, %gamma, %beta) {epsilon = 1e-12} @"ln"
        return %n
      }
    `,
    expected: ir`
      graph g(%x: f32[batch, seq, 4], %y: f32[batch, seq, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %beta = const f32[4] [0.1, 0.2, 0.3, 0.4]
        %n: f32[batch, seq, 4] = SkipLayerNormalization(%y, %x, %gamma, %beta) {epsilon = 1e-12} @"ln"
        return %n
      }
    `,
  },
  {
    name: 'pre-LN (GPT-2): the sum also feeds the next residual → its second result replaces those uses',
    why: 'the residual stream is written once, by the fused kernel, instead of by a separate Add',
    before: ir`
      graph g(%x: f32[batch, seq, 4], %y: f32[1, seq, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %s: f32[batch, seq, 4] = Add(%y, %x) @"residual"
        %n: f32[batch, seq, 4] = LayerNormalization(%s, %gamma) @"ln"
        %r: f32[batch, seq, 4] = Relu(%n) @"mlp"
        %o: f32[batch, seq, 4] = Add(%s, %r) @"next_residual"
        return %o
      }
    `,
    expected: ir`
      graph g(%x: f32[batch, seq, 4], %y: f32[1, seq, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %n: f32[batch, seq, 4], %s: f32[batch, seq, 4] = SkipLayerNormalization(%x, %y, %gamma) @"ln"
        %r: f32[batch, seq, 4] = Relu(%n) @"mlp"
        %o: f32[batch, seq, 4] = Add(%s, %r) @"next_residual"
        return %o
      }
    `,
  },
  {
    name: 'a bias added last becomes the bias operand',
    why: "x + skip + bias is one pass; the [hidden] bias is the op's optional fifth operand",
    before: ir`
      graph g(%x: f32[batch, 4], %y: f32[batch, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %bias = const f32[4] [0.5, -0.5, 1, 0]
        %s0: f32[batch, 4] = Add(%x, %y) @"residual"
        %s: f32[batch, 4] = Add(%s0, %bias) @"bias"
        %n: f32[batch, 4] = LayerNormalization(%s, %gamma) @"ln"
        return %n
      }
    `,
    expected: ir`
      graph g(%x: f32[batch, 4], %y: f32[batch, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %bias = const f32[4] [0.5, -0.5, 1, 0]
        %n: f32[batch, 4] = SkipLayerNormalization(%x, %y, %gamma, _, %bias) @"ln"
        return %n
      }
    `,
  },
  {
    name: 'a user of the sum placed before the layer norm: the fused node goes before that user',
    why: 'every use of the replaced sum must follow its new definition (dominance)',
    before: ir`
      graph g(%x: f32[2, 4], %y: f32[2, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %s: f32[2, 4] = Add(%x, %y) @"residual"
        %u: f32[2, 4] = Neg(%s) @"early_user"
        %n: f32[2, 4] = LayerNormalization(%s, %gamma) @"ln"
        %o: f32[2, 4] = Add(%u, %n) @"out"
        return %o
      }
    `,
    expected: ir`
      graph g(%x: f32[2, 4], %y: f32[2, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %n: f32[2, 4], %s: f32[2, 4] = SkipLayerNormalization(%x, %y, %gamma) @"ln"
        %u: f32[2, 4] = Neg(%s) @"early_user"
        %o: f32[2, 4] = Add(%u, %n) @"out"
        return %o
      }
    `,
  },
  {
    name: 'does not fire when an operand is only computed after an earlier user of the sum',
    why: 'the fused node cannot go before that user, and after it the user would read an undefined value',
    before: ir`
      graph g(%x: f32[2, 4], %y: f32[2, 4], %g: f32[4]) {
        %s: f32[2, 4] = Add(%x, %y) @"residual"
        %u: f32[2, 4] = Neg(%s) @"early_user"
        %gamma: f32[4] = Abs(%g) @"gamma"
        %n: f32[2, 4] = LayerNormalization(%s, %gamma) @"ln"
        %o: f32[2, 4] = Add(%u, %n) @"out"
        return %o
      }
    `,
  },
  {
    name: 'a layer norm over more than the last axis does not fire',
    why: 'SkipLayerNormalization normalizes the hidden (last) dim only',
    before: ir`
      graph g(%x: f32[2, 3, 4], %y: f32[2, 3, 4]) {
        %gamma = const f32[3, 4] [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        %s: f32[2, 3, 4] = Add(%x, %y) @"residual"
        %n: f32[2, 3, 4] = LayerNormalization(%s, %gamma) {axis = -2} @"ln"
        return %n
      }
    `,
  },
];

describe('fuse-skip-layernorm', () => {
  itRewrites(['fuse-skip-layernorm', 'dce'], cases, { tolerance: 1e-6 });
});
