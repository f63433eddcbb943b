// Attention fusion: Before/Expected IR pairs for each way exporters write the block (with why it is wanted), the
// cases that must not fire (Expected = Before), and a property: fused graphs compute what the unfused ones did.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseGraph } from '../../compiler/ir/parse.js';
import { runPipeline } from '../../passes/manager.js';
import { type PassCase, expectSameResults, ir, itRewrites } from './helpers.js';

/** HF BERT's block: view/permute head split, q·kᵀ / √d, + (1 - mask)·-10000 broadcast [B, 1, 1, S], merge. */
const bert = ir`
  graph g(%q: f32[batch, seq, 8], %k: f32[batch, seq, 8], %v: f32[batch, seq, 8], %m: f32[batch, 1, 1, seq]) {
    %split = const i64[4] [0, 0, 2, 4]
    %merge = const i64[3] [0, 0, 8]
    %sqrt_d = const f32[] [2]
    %qh: f32[batch, seq, 2, 4] = Reshape(%q, %split) @"q_view"
    %qt: f32[batch, 2, seq, 4] = Transpose(%qh) {perm = [0, 2, 1, 3]} @"q_heads"
    %kh: f32[batch, seq, 2, 4] = Reshape(%k, %split) @"k_view"
    %kt: f32[batch, 2, 4, seq] = Transpose(%kh) {perm = [0, 2, 3, 1]} @"k_heads_t"
    %vh: f32[batch, seq, 2, 4] = Reshape(%v, %split) @"v_view"
    %vt: f32[batch, 2, seq, 4] = Transpose(%vh) {perm = [0, 2, 1, 3]} @"v_heads"
    %s: f32[batch, 2, seq, seq] = MatMul(%qt, %kt) @"scores"
    %ss: f32[batch, 2, seq, seq] = Div(%s, %sqrt_d) @"scale"
    %sm: f32[batch, 2, seq, seq] = Add(%m, %ss) @"mask"
    %p: f32[batch, 2, seq, seq] = Softmax(%sm) {axis = -1} @"softmax"
    %o: f32[batch, 2, seq, 4] = MatMul(%p, %vt) @"context"
    %ot: f32[batch, seq, 2, 4] = Transpose(%o) {perm = [0, 2, 1, 3]} @"merge_t"
    %y: f32[batch, seq, 8] = Reshape(%ot, %merge) @"merge"
    return %y
  }
  `;

/** GPT-2: fused QKV split in three, scale by a (folded) constant, causal Where over a sliced tril buffer. */
const gpt2 = ir`
  graph g(%x: f32[batch, seq, 24]) {
    %tril = const bool[1, 1, 4, 4] [true, false, false, false, true, true, false, false, true, true, true, false, true, true, true, true]
    %zero = const i64[1] [0]
    %one = const i64[] [1]
    %ax2 = const i64[1] [2]
    %ax3 = const i64[1] [3]
    %split = const i64[4] [0, 0, 2, 4]
    %merge = const i64[3] [0, 0, 8]
    %scale = const f32[] [2]
    %fmin = const f32[] [-3.4028235e38]
    %shape: i64[3] = Shape(%x) @"shape"
    %len: i64[] = Gather(%shape, %one) @"len"
    %end: i64[1] = Unsqueeze(%len) {axes = [0]} @"end"
    %rows: bool[1, 1, seq, 4] = Slice(%tril, %zero, %end, %ax2) @"rows"
    %causal: bool[1, 1, seq, seq] = Slice(%rows, %zero, %end, %ax3) @"cols"
    %q, %k, %v = Split(%x) {axis = 2, split = [8, 8, 8]} @"qkv"
    %qh: f32[batch, seq, 2, 4] = Reshape(%q, %split) @"q_view"
    %qt: f32[batch, 2, seq, 4] = Transpose(%qh) {perm = [0, 2, 1, 3]} @"q_heads"
    %kh: f32[batch, seq, 2, 4] = Reshape(%k, %split) @"k_view"
    %kt: f32[batch, 2, 4, seq] = Transpose(%kh) {perm = [0, 2, 3, 1]} @"k_heads_t"
    %vh: f32[batch, seq, 2, 4] = Reshape(%v, %split) @"v_view"
    %vt: f32[batch, 2, seq, 4] = Transpose(%vh) {perm = [0, 2, 1, 3]} @"v_heads"
    %s: f32[batch, 2, seq, seq] = MatMul(%qt, %kt) @"scores"
    %ss: f32[batch, 2, seq, seq] = Div(%s, %scale) @"scale"
    %sm: f32[batch, 2, seq, seq] = Where(%causal, %ss, %fmin) @"mask"
    %p: f32[batch, 2, seq, seq] = Softmax(%sm) {axis = -1} @"softmax"
    %o: f32[batch, 2, seq, 4] = MatMul(%p, %vt) @"context"
    %ot: f32[batch, seq, 2, 4] = Transpose(%o) {perm = [0, 2, 1, 3]} @"merge_t"
    %y: f32[batch, seq, 8] = Reshape(%ot, %merge) @"merge"
    return %y
  }
  `;

const cases: PassCase[] = [
  {
    name: 'HF BERT: split, scale, additive padding mask, softmax, merge → Attention bsd',
    why: 'the whole block is one kernel that never writes the [B, H, S, S] scores; the reshapes and transposes vanish',
    before: bert,
    expected: ir`
      graph g(%q: f32[batch, seq, 8], %k: f32[batch, seq, 8], %v: f32[batch, seq, 8], %m: f32[batch, 1, 1, seq]) {
        %y: f32[batch, seq, 8] = Attention(%q, %k, %v, %m) {num_heads = 2, scale = 0.5, mask_kind = "additive"} @"merge"
        return %y
      }`,
  },
  {
    name: 'GPT-2: QKV Split (3 users) stays outside, the sliced tril Where becomes causal = 1',
    why: 'the kernel skips fully masked tiles instead of reading a mask; the Split feeds Q, K and V directly',
    before: gpt2,
    expected: ir`
      graph g(%x: f32[batch, seq, 24]) {
        %q: f32[batch, seq, 8], %k: f32[batch, seq, 8], %v: f32[batch, seq, 8] = Split(%x) {axis = 2, split = [8, 8, 8]} @"qkv"
        %y: f32[batch, seq, 8] = Attention(%q, %k, %v) {num_heads = 2, scale = 0.5, causal = 1} @"merge"
        return %y
      }`,
  },
  {
    name: 'a sliced triu buffer is a general boolean mask, not causal → mask_kind keep',
    why: 'only a mask that keeps exactly j <= i + (Sk - Sq) at every length may become causal = 1',
    before: gpt2.replace('[true, false, false, false, true, true, false, false, true, true, true, false, true, true, true, true]',
      '[true, true, true, true, false, true, true, true, false, false, true, true, false, false, false, true]'),
    expected: ir`
      graph g(%x: f32[batch, seq, 24]) {
        %tril = const bool[1, 1, 4, 4] [true, true, true, true, false, true, true, true, false, false, true, true, false, false, false, true]
        %zero = const i64[1] [0]
        %one = const i64[] [1]
        %ax2 = const i64[1] [2]
        %ax3 = const i64[1] [3]
        %shape: i64[3] = Shape(%x) @"shape"
        %len: i64[] = Gather(%shape, %one) @"len"
        %end: i64[1] = Unsqueeze(%len) {axes = [0]} @"end"
        %rows: bool[1, 1, seq, 4] = Slice(%tril, %zero, %end, %ax2) @"rows"
        %causal: bool[1, 1, seq, seq] = Slice(%rows, %zero, %end, %ax3) @"cols"
        %q: f32[batch, seq, 8], %k: f32[batch, seq, 8], %v: f32[batch, seq, 8] = Split(%x) {axis = 2, split = [8, 8, 8]} @"qkv"
        %y: f32[batch, seq, 8] = Attention(%q, %k, %v, %causal) {num_heads = 2, scale = 0.5, mask_kind = "keep"} @"merge"
        return %y
      }`,
  },
  {
    name: 'torch.nn.MultiheadAttention: packed Slices, [S, B·H, D] heads, Q pre-scaled, flattened merge → Attention sbd',
    why: 'sequence-first models fuse too; the merge to [S·B, H·D] for the out-projection Gemm becomes a Reshape after Attention',
    before: ir`
      graph g(%x: f32[seq, batch, 24], %am: f32[1, seq, seq]) {
        %heads = const i64[3] [0, -1, 4]
        %flat = const i64[2] [-1, 8]
        %c = const f32[] [0.5]
        %s0 = const i64[1] [0]
        %s8 = const i64[1] [8]
        %s16 = const i64[1] [16]
        %s24 = const i64[1] [24]
        %ax = const i64[1] [2]
        %q: f32[seq, batch, 8] = Slice(%x, %s0, %s8, %ax) @"q_slice"
        %k: f32[seq, batch, 8] = Slice(%x, %s8, %s16, %ax) @"k_slice"
        %v: f32[seq, batch, 8] = Slice(%x, %s16, %s24, %ax) @"v_slice"
        %qh: f32[seq, 2*batch, 4] = Reshape(%q, %heads) @"q_view"
        %qt: f32[2*batch, seq, 4] = Transpose(%qh) {perm = [1, 0, 2]} @"q_heads"
        %qs: f32[2*batch, seq, 4] = Mul(%qt, %c) @"q_scale"
        %kh: f32[seq, 2*batch, 4] = Reshape(%k, %heads) @"k_view"
        %kt: f32[2*batch, 4, seq] = Transpose(%kh) {perm = [1, 2, 0]} @"k_heads_t"
        %vh: f32[seq, 2*batch, 4] = Reshape(%v, %heads) @"v_view"
        %vt: f32[2*batch, seq, 4] = Transpose(%vh) {perm = [1, 0, 2]} @"v_heads"
        %s: f32[2*batch, seq, seq] = MatMul(%qs, %kt) @"scores"
        %sm: f32[2*batch, seq, seq] = Add(%s, %am) @"mask"
        %p: f32[2*batch, seq, seq] = Softmax(%sm) {axis = -1} @"softmax"
        %o: f32[2*batch, seq, 4] = MatMul(%p, %vt) @"context"
        %ot: f32[seq, 2*batch, 4] = Transpose(%o) {perm = [1, 0, 2]} @"merge_t"
        %y: f32[batch*seq, 8] = Reshape(%ot, %flat) @"merge"
        return %y
      }
      `,
    expected: ir`
      graph g(%x: f32[seq, batch, 24], %am: f32[1, seq, seq]) {
        %s0 = const i64[1] [0]
        %s8 = const i64[1] [8]
        %s16 = const i64[1] [16]
        %s24 = const i64[1] [24]
        %ax = const i64[1] [2]
        %y_const = const i64[2] [-1, 8]
        %q: f32[seq, batch, 8] = Slice(%x, %s0, %s8, %ax) @"q_slice"
        %k: f32[seq, batch, 8] = Slice(%x, %s8, %s16, %ax) @"k_slice"
        %v: f32[seq, batch, 8] = Slice(%x, %s16, %s24, %ax) @"v_slice"
        %y_1: f32[seq, batch, 8] = Attention(%q, %k, %v, %am) {num_heads = 2, scale = 0.5, mask_kind = "additive", layout = "sbd"} @"merge/Attention"
        %y: f32[batch*seq, 8] = Reshape(%y_1, %y_const) @"merge"
        return %y
      }`,
  },
  {
    name: 'heads already split, √scale on both Q and Kᵀ → Attention heads with the product of the scales',
    why: 'some exporters scale Q and K by d^-1/4 each; without a split/merge to absorb, the heads layout still fuses',
    before: ir`
      graph g(%q: f32[batch, 2, seq, 4], %k: f32[batch, 2, seq, 4], %v: f32[batch, 2, seq, 5]) {
        %c = const f32[] [0.70710677]
        %qs: f32[batch, 2, seq, 4] = Mul(%q, %c) @"q_scale"
        %kt: f32[batch, 2, 4, seq] = Transpose(%k) {perm = [0, 1, 3, 2]} @"k_t"
        %ks: f32[batch, 2, 4, seq] = Mul(%kt, %c) @"k_scale"
        %s: f32[batch, 2, seq, seq] = MatMul(%qs, %ks) @"scores"
        %p: f32[batch, 2, seq, seq] = Softmax(%s) {axis = 3} @"softmax"
        %y: f32[batch, 2, seq, 5] = MatMul(%p, %v) @"context"
        return %y
      }
      `,
    expected: ir`
      graph g(%q: f32[batch, 2, seq, 4], %k: f32[batch, 2, seq, 4], %v: f32[batch, 2, seq, 5]) {
        %y: f32[batch, 2, seq, 5] = Attention(%q, %k, %v) {scale = 0.4999999828857291, layout = "heads"} @"context"
        return %y
      }`,
  },
  {
    name: 'a softmax over another axis does not fire',
    why: 'softmax over the query axis is not attention',
    before: bert.replace('Softmax(%sm) {axis = -1}', 'Softmax(%sm) {axis = 2}'),
  },
  {
    name: 'a scale that is not a scalar constant does not fire',
    why: 'Attention takes its scale as an attribute; a run-time divisor cannot be one',
    before: bert.replace('%m: f32[batch, 1, 1, seq])', '%m: f32[batch, 1, 1, seq], %t: f32[])').replace('Div(%s, %sqrt_d)', 'Div(%s, %t)'),
  },
  {
    name: 'a product where K is not transposed relative to Q does not fire',
    why: 'Q·X for an arbitrary X is not Q·Kᵀ',
    before: ir`
      graph g(%q: f32[batch, 2, seq, 4], %x: f32[batch, 2, 4, seq], %v: f32[batch, 2, seq, 4]) {
        %s: f32[batch, 2, seq, seq] = MatMul(%q, %x) @"scores"
        %p: f32[batch, 2, seq, seq] = Softmax(%s) {axis = -1} @"softmax"
        %y: f32[batch, 2, seq, 4] = MatMul(%p, %v) @"context"
        return %y
      }`,
  },
  {
    name: 'a mask that does not broadcast per head does not fire',
    why: 'a [B, 2, S, S] mask on one-head scores [B, 1, S, S] makes two "heads" out of one: not per-head attention',
    before: ir`
      graph g(%q: f32[batch, 1, seq, 4], %k: f32[batch, 1, seq, 4], %v: f32[batch, 1, seq, 4], %m: f32[batch, 2, seq, seq]) {
        %kt: f32[batch, 1, 4, seq] = Transpose(%k) {perm = [0, 1, 3, 2]} @"k_t"
        %s: f32[batch, 1, seq, seq] = MatMul(%q, %kt) @"scores"
        %sm: f32[batch, 2, seq, seq] = Add(%s, %m) @"mask"
        %p: f32[batch, 2, seq, seq] = Softmax(%sm) {axis = -1} @"softmax"
        %y: f32[batch, 2, seq, 4] = MatMul(%p, %v) @"context"
        return %y
      }`,
  },
  {
    name: 'probabilities that are also a graph output do not fire',
    why: 'output_attentions needs the [B, H, S, S] matrix the fused kernel never writes',
    before: bert.replace('return %y', 'return %y, %p'),
  },
];

describe('fuse-attention', () => {
  itRewrites('fuse-attention', cases, { tolerance: 1e-5, sizes: { batch: 2, seq: 3 } });
});

/** A BERT-style block with `h` heads of size `d` (optionally sequence-first), for the property below. */
function block(h: number, d: number, seqFirst: boolean, masked: boolean): string {
  const w = h * d;
  const [xs, split, qperm, kperm, heads] = seqFirst
    ? [`[seq, batch, ${w}]`, `[0, -1, ${d}]`, '[1, 0, 2]', '[1, 2, 0]', `[seq, ${h}*batch, ${d}]`]
    : [`[batch, seq, ${w}]`, `[0, 0, ${h}, ${d}]`, '[0, 2, 1, 3]', '[0, 2, 3, 1]', `[batch, seq, ${h}, ${d}]`];
  const lead = seqFirst ? `${h}*batch` : `batch, ${h}`;
  const qh = seqFirst ? `[${lead}, seq, ${d}]` : `[${lead}, seq, ${d}]`;
  const kt = `[${lead}, ${d}, seq]`;
  const sc = `[${lead}, seq, seq]`;
  const mask = seqFirst ? '[1, seq, seq]' : '[batch, 1, 1, seq]';
  return [
    `graph g(%q: f32${xs}, %k: f32${xs}, %v: f32${xs}, %m: f32${mask}) {`,
    `  %split = const i64[${seqFirst ? 3 : 4}] ${split}`,
    `  %merge = const i64[3] [0, ${seqFirst ? -1 : 0}, ${w}]`,
    `  %c = const f32[] [${Math.sqrt(d)}]`,
    `  %qh: f32${heads} = Reshape(%q, %split)`,
    `  %qt: f32${qh} = Transpose(%qh) {perm = ${qperm}}`,
    `  %kh: f32${heads} = Reshape(%k, %split)`,
    `  %kt: f32${kt} = Transpose(%kh) {perm = ${kperm}}`,
    `  %vh: f32${heads} = Reshape(%v, %split)`,
    `  %vt: f32${qh} = Transpose(%vh) {perm = ${qperm}}`,
    `  %s: f32${sc} = MatMul(%qt, %kt)`,
    `  %ss: f32${sc} = Div(%s, %c)`,
    masked ? `  %sm: f32${sc} = Add(%ss, %m)` : `  %sm: f32${sc} = Identity(%ss)`,
    `  %p: f32${sc} = Softmax(%sm) {axis = -1}`,
    `  %o: f32${qh} = MatMul(%p, %vt)`,
    `  %ot: f32${heads} = Transpose(%o) {perm = ${qperm}}`,
    `  %y: f32${xs} = Reshape(%ot, %merge)`,
    '  return %y',
    '}',
  ].join('\n') + '\n';
}

describe('fuse-attention on random sizes', () => {
  it('computes what the unfused block computed (heads, head size, batch, sequence length, layout, mask)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 5 }), fc.boolean(), fc.boolean(),
      fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }),
      (h, d, seqFirst, masked, batch, seq) => {
        const text = block(h, d, seqFirst, masked);
        const graph = parseGraph(text);
        runPipeline(graph, { passes: ['canonicalize', 'fuse-attention', 'dce'], verifyEach: true });
        const ops = graph.nodes.map((n) => n.op);
        expect(ops).toContain('Attention');
        expect(ops).not.toContain('Softmax');
        const a = graph.nodes.find((n) => n.op === 'Attention')!;
        // With one head, canonicalize turns the split's transposes (they move only the size-1 head dim) into
        // views; the block then fuses in the heads layout.
        if (h > 1) {
          expect(a.attrs.layout).toBe(seqFirst ? 'sbd' : 'bsd');
          expect(a.attrs.num_heads).toBe(h);
        }
        expectSameResults(parseGraph(text), graph, { sizes: { batch, seq }, tolerance: 1e-5 });
      },
    ), { numRuns: 40 });
  });
});
