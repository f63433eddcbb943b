// Linear fusion: Before/Expected pairs (bias, activation, residual; GPT-2's Gemm between flattening views), the
// cases that must not fire or only partly fire, and numerics through the interpreter.

import { describe } from 'vitest';
import { type PassCase, ir, itRewrites } from './helpers.js';

/**
 * GPT-2's Conv1D: x flattened to [batch·seq, 4], `gemm` with bias, unflattened by a target that concatenates x's
 * dims `leading` (picked out of Shape(x)) and 3, then Gelu(tanh): the result is f32[`out`, 3].
 */
const gemmBetweenViews = (leading: string, out: string, gemm = 'Gemm') => ir`
  graph g(%x: f32[batch, seq, 4]) {
    %w = const f32[4, 3] [1, 0, -1, 0.5, 2, 0, -0.5, 1, 1, 0, 0, 3]
    %b = const f32[3] [0.1, -0.2, 0.3]
    %flat = const i64[2] [-1, 4]
    %i0 = const i64[] [0]
    %i1 = const i64[] [1]
    %n = const i64[1] [3]
    %shape: i64[3] = Shape(%x) @"shape"
    %d0: i64[] = Gather(%shape, %i0) @"d0"
    %d1: i64[] = Gather(%shape, %i1) @"d1"
    %u0: i64[1] = Unsqueeze(%d0) {axes = [0]} @"u0"
    %u1: i64[1] = Unsqueeze(%d1) {axes = [0]} @"u1"
    %target: i64[3] = Concat(${leading}, %n) {axis = 0} @"target"
    %x2: f32[batch*seq, 4] = Reshape(%x, %flat) @"flatten"
    %mm: f32[batch*seq, 3] = ${gemm}(%x2, %w, %b) @"addmm"
    %y3: f32[${out}, 3] = Reshape(%mm, %target) @"unflatten"
    %y: f32[${out}, 3] = Gelu(%y3) {approximate = "tanh"} @"gelu"
    return %y
  }
`;

const cases: PassCase[] = [
  {
    name: 'MatMul + bias (either operand order) + Relu + residual → one Linear',
    why: 'the GEMM epilogue applies bias, activation and residual while the tile is in registers',
    before: ir`
      graph g(%x: f32[batch, seq, 4], %r: f32[batch, seq, 3]) {
        %w = const f32[4, 3] [1, 0, -1, 0.5, 2, 0, -0.5, 1, 1, 0, 0, 3]
        %b = const f32[3] [0.1, -0.2, 0.3]
        %mm: f32[batch, seq, 3] = MatMul(%x, %w) @"fc"
        %z: f32[batch, seq, 3] = Add(%b, %mm) @"bias"
        %a: f32[batch, seq, 3] = Relu(%z) @"act"
        %y: f32[batch, seq, 3] = Add(%r, %a) @"residual"
        return %y
      }
    `,
    expected: ir`
      graph g(%x: f32[batch, seq, 4], %r: f32[batch, seq, 3]) {
        %w = const f32[4, 3] [1, 0, -1, 0.5, 2, 0, -0.5, 1, 1, 0, 0, 3]
        %b = const f32[3] [0.1, -0.2, 0.3]
        %y: f32[batch, seq, 3] = Linear(%x, %w, %b, %r) {activation = "relu"} @"residual"
        return %y
      }
    `,
  },
  {
    name: "GPT-2's Gemm on [batch·seq, K] views, Gelu(tanh) after the unflatten → Linear on [batch, seq, K]",
    why: 'the flatten/unflatten pair and the Shape chain computing the target go away',
    before: gemmBetweenViews('%u0, %u1', 'batch, seq'),
    expected: ir`
      graph g(%x: f32[batch, seq, 4]) {
        %w = const f32[4, 3] [1, 0, -1, 0.5, 2, 0, -0.5, 1, 1, 0, 0, 3]
        %b = const f32[3] [0.1, -0.2, 0.3]
        %y: f32[batch, seq, 3] = Linear(%x, %w, %b) {activation = "gelu_tanh"} @"gelu"
        return %y
      }
    `,
  },
  {
    name: 'views that do not restore the leading dims: only the Gemm fuses, the views stay',
    why: 'Linear on [batch, seq, K] would give [batch, seq, N], not the [seq, batch, N] the graph asks for',
    before: gemmBetweenViews('%u1, %u0', 'seq, batch'),
    expected: gemmBetweenViews('%u1, %u0', 'seq, batch', 'Linear'),
  },
  {
    name: 'a biased product also used elsewhere: the activation stays outside',
    why: 'fusing the Relu would compute the product twice (once for the other user)',
    before: ir`
      graph g(%x: f32[2, 4]) {
        %w = const f32[3, 4] [1, 0, -1, 0.5, 2, 0, -0.5, 1, 1, 0, 0, 3]
        %b = const f32[3] [0.1, -0.2, 0.3]
        %mm: f32[2, 3] = Gemm(%x, %w) {transB = 1} @"fc"
        %z: f32[2, 3] = Add(%mm, %b) @"bias"
        %a: f32[2, 3] = Relu(%z) @"act"
        return %a, %z
      }
    `,
    expected: ir`
      graph g(%x: f32[2, 4]) {
        %w = const f32[3, 4] [1, 0, -1, 0.5, 2, 0, -0.5, 1, 1, 0, 0, 3]
        %b = const f32[3] [0.1, -0.2, 0.3]
        %z: f32[2, 3] = Linear(%x, %w, %b) {trans_b = 1} @"bias"
        %a: f32[2, 3] = Relu(%z) @"act"
        return %a, %z
      }
    `,
  },
  {
    name: 'a weight that is not a constant does not fire',
    why: 'Linear packs its weight at compile time; a run-time matrix is an ordinary MatMul',
    before: ir`
      graph g(%x: f32[2, 4], %w: f32[4, 3]) {
        %b = const f32[3] [0.1, -0.2, 0.3]
        %mm: f32[2, 3] = MatMul(%x, %w) @"fc"
        %z: f32[2, 3] = Add(%mm, %b) @"bias"
        return %z
      }
    `,
  },
];

describe('fuse-linear', () => {
  itRewrites(['fuse-linear', 'dce'], cases, { tolerance: 1e-6 });
});
