// constant-fold, cse and dce: Before/Expected pairs saying why, including the cases that must not change anything.

import { describe, expect, it } from 'vitest';
import { type PassCase, ir, itRewrites, runPass } from './helpers.js';

/** x.view(x.size(0), x.size(1), 4, 8) as torch.onnx exports it, on an input of the given type. */
const headSplit = (type: string, out: string) => ir`
  graph g(%x: ${type}) {
    %i0 = const i64[] [0]
    %i1 = const i64[] [1]
    %four = const i64[1] [4]
    %eight = const i64[1] [8]
    %shape: i64[3] = Shape(%x) @"shape"
    %b: i64[] = Gather(%shape, %i0) @"gather_b"
    %s: i64[] = Gather(%shape, %i1) @"gather_s"
    %bu: i64[1] = Unsqueeze(%b) {axes = [0]} @"unsqueeze_b"
    %su: i64[1] = Unsqueeze(%s) {axes = [0]} @"unsqueeze_s"
    %target: i64[4] = Concat(%bu, %su, %four, %eight) {axis = 0} @"concat"
    %y: ${out} = Reshape(%x, %target) @"reshape"
    return %y
  }`;

const constantFoldCases: PassCase[] = [
  {
    name: 'nodes whose operands are all constants are evaluated',
    why: 'rewrites and parsed IR leave constant subexpressions; they cost nothing at run time once folded',
    before: ir`
      graph g(%x: f32[2]) {
        %a = const f32[2] [1, 2]
        %b = const f32[2] [3, 4.5]
        %c: f32[2] = Add(%a, %b) @"add"
        %y: f32[2] = Mul(%x, %c) @"mul"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[2]) {
        %c = const f32[2] [4, 6.5]
        %y: f32[2] = Mul(%x, %c) @"mul"
        return %y
      }`,
  },
  {
    name: 'a run-time head-split shape chain on symbolic dims becomes a constant target [0, 0, 4, 8]',
    why: 'PyTorch computes view shapes at run time from Shape; the result type is known, so the chain is dead weight',
    before: headSplit('f32[batch, seq, 32]', 'f32[batch, seq, 4, 8]'),
    expected: ir`
      graph g(%x: f32[batch, seq, 32]) {
        %target_const = const i64[4] [0, 0, 4, 8]
        %y: f32[batch, seq, 4, 8] = Reshape(%x, %target_const) @"reshape"
        return %y
      }`,
  },
  {
    name: 'the same chain on static dims folds to constants all the way',
    why: 'symbolic contents that are all numbers are constants',
    before: headSplit('f32[2, 3, 32]', 'f32[2, 3, 4, 8]'),
    expected: ir`
      graph g(%x: f32[2, 3, 32]) {
        %target = const i64[4] [2, 3, 4, 8]
        %y: f32[2, 3, 4, 8] = Reshape(%x, %target) @"reshape"
        return %y
      }`,
  },
  {
    name: 'an Expand to a run-time shape gets a constant target with 1 for the kept dims',
    why: 'Expand keeps an operand dim where the target says 1, so no run-time shape is needed',
    before: ir`
      graph g(%x: f32[batch, 1, seq], %like: f32[batch, 4, seq]) {
        %s: i64[3] = Shape(%like) @"shape"
        %y: f32[batch, 4, seq] = Expand(%x, %s) @"expand"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[batch, 1, seq], %like: f32[batch, 4, seq]) {
        %s_const = const i64[3] [1, 4, 1]
        %y: f32[batch, 4, seq] = Expand(%x, %s_const) @"expand"
        return %y
      }`,
  },
  {
    name: 'a Reshape whose target needs two run-time dims keeps its shape chain',
    why: '[seq, batch, 8] to [batch, seq, 8] cannot be written with 0 and one -1; the run-time shape is needed',
    before: ir`
      graph g(%x: f32[seq, batch, 8], %like: f32[batch, seq, 8]) {
        %s: i64[3] = Shape(%like) @"shape"
        %y: f32[batch, seq, 8] = Reshape(%x, %s) @"reshape"
        return %y
      }`,
  },
  {
    name: 'constant axes operands move into the attribute',
    why: 'opset 13 made axes an input; the IR keeps one form (the attribute) for the passes and backends',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %axes = const i64[1] [0]
        %axes1 = const i64[1] [1]
        %a: f32[1, 2, 3] = Unsqueeze(%x, %axes) @"unsqueeze"
        %b: f32[1, 1, 3] = ReduceSum(%a, %axes1) @"sum"
        return %b
      }`,
    expected: ir`
      graph g(%x: f32[2, 3]) {
        %a: f32[1, 2, 3] = Unsqueeze(%x) {axes = [0]} @"unsqueeze"
        %b: f32[1, 1, 3] = ReduceSum(%a) {axes = [1]} @"sum"
        return %b
      }`,
  },
  {
    name: 'a graph output that folds keeps its name',
    why: 'the model\'s output names are its interface',
    before: ir`
      graph g() {
        %a = const i64[2] [2, 3]
        %y: i64[] = ReduceProd(%a) {keepdims = 0} @"prod"
        return %y
      }`,
    expected: ir`
      graph g() {
        %y = const i64[] [6]
        return %y
      }`,
  },
];

const cseCases: PassCase[] = [
  {
    name: 'identical nodes merge, including a ⊕ b with b ⊕ a for commutative ⊕',
    why: 'exporters repeat subexpressions (one Shape per use); computing them once is free',
    before: ir`
      graph g(%a: f32[3], %b: f32[3]) {
        %x1: f32[3] = Add(%a, %b) @"x1"
        %x2: f32[3] = Add(%b, %a) @"x2"
        %y1: f32[3] = Sub(%a, %b) @"y1"
        %y2: f32[3] = Sub(%b, %a) @"y2"
        %z1: f32[3] = Mul(%x1, %y1) @"z1"
        %z2: f32[3] = Mul(%x2, %y2) @"z2"
        %r: f32[3] = Add(%z1, %z2) @"r"
        return %r
      }`,
    expected: ir`
      graph g(%a: f32[3], %b: f32[3]) {
        %x1: f32[3] = Add(%a, %b) @"x1"
        %y1: f32[3] = Sub(%a, %b) @"y1"
        %y2: f32[3] = Sub(%b, %a) @"y2"
        %z1: f32[3] = Mul(%x1, %y1) @"z1"
        %z2: f32[3] = Mul(%x1, %y2) @"z2"
        %r: f32[3] = Add(%z1, %z2) @"r"
        return %r
      }`,
  },
  {
    name: 'nodes with different attributes do not merge',
    why: 'a softmax over another axis is another computation',
    before: ir`
      graph g(%a: f32[2, 2]) {
        %x: f32[2, 2] = Softmax(%a) {axis = 0} @"s0"
        %y: f32[2, 2] = Softmax(%a) @"s1"
        %z: f32[2, 2] = Add(%x, %y) @"add"
        return %z
      }`,
  },
  {
    name: 'equal small constants merge, and then the nodes that read them',
    why: 'exporters emit one Constant per use; equal contents are one value',
    before: ir`
      graph g(%a: f32[2]) {
        %c1 = const f32[2] [1, 2]
        %c2 = const f32[2] [1, 2]
        %c3 = const f32[2] [1, 3]
        %x: f32[2] = Mul(%a, %c1) @"x"
        %y: f32[2] = Mul(%a, %c2) @"y"
        %z: f32[2] = Mul(%a, %c3) @"z"
        %s: f32[2] = Sum(%x, %y, %z) @"sum"
        return %s
      }`,
    expected: ir`
      graph g(%a: f32[2]) {
        %c1 = const f32[2] [1, 2]
        %c3 = const f32[2] [1, 3]
        %x: f32[2] = Mul(%a, %c1) @"x"
        %z: f32[2] = Mul(%a, %c3) @"z"
        %s: f32[2] = Sum(%x, %x, %z) @"sum"
        return %s
      }`,
  },
  {
    name: 'values with equal symbolic contents merge (Shape of two values of one type)',
    why: 'every Shape of an f32[batch, seq] value holds [batch, seq]: one Shape node is enough',
    before: ir`
      graph g(%a: f32[batch, seq], %b: f32[batch, seq]) {
        %sa: i64[2] = Shape(%a) @"sa"
        %sb: i64[2] = Shape(%b) @"sb"
        %c: i64[2] = Add(%sa, %sb) @"add"
        return %c
      }`,
    expected: ir`
      graph g(%a: f32[batch, seq], %b: f32[batch, seq]) {
        %sa: i64[2] = Shape(%a) @"sa"
        %c: i64[2] = Add(%sa, %sa) @"add"
        return %c
      }`,
  },
  {
    name: 'duplicates that are both graph outputs stay',
    why: 'each output keeps its name, so neither can stand for the other',
    before: ir`
      graph g(%a: f32[2]) {
        %x: f32[2] = Relu(%a) @"x"
        %y: f32[2] = Relu(%a) @"y"
        return %x, %y
      }`,
  },
];

const dceCases: PassCase[] = [
  {
    name: 'unused nodes and constants go; graph inputs and multi-result nodes with one used result stay',
    why: 'dead code costs time and arena memory; inputs are the model\'s interface; a Split computes all parts at once',
    before: ir`
      graph g(%x: f32[2], %unused: f32[2]) {
        %c = const f32[2] [1, 2]
        %d = const f32[2] [3, 4]
        %a: f32[2] = Add(%x, %c) @"live"
        %b: f32[2] = Mul(%x, %d) @"dead"
        %e: f32[2] = Relu(%b) @"dead2"
        %p: f32[1], %q: f32[1] = Split(%a) {split = [1, 1]} @"split"
        return %a, %p
      }`,
    expected: ir`
      graph g(%x: f32[2], %unused: f32[2]) {
        %c = const f32[2] [1, 2]
        %a: f32[2] = Add(%x, %c) @"live"
        %p: f32[1], %q: f32[1] = Split(%a) {split = [1, 1]} @"split"
        return %a, %p
      }`,
  },
];

describe('constant-fold', () => {
  itRewrites('constant-fold', constantFoldCases);

  it('reports what it folded', () => {
    const result = runPass('constant-fold', headSplit('f32[batch, seq, 32]', 'f32[batch, seq, 4, 8]'));
    expect(result.stats).toEqual({ 'shape-operand': 1 });
    expect(result.changed).toBe(true);
  });
});

describe('cse', () => {
  itRewrites('cse', cseCases);
});

describe('dce', () => {
  itRewrites('dce', dceCases);

  it('reports no change on a graph without dead code', () => {
    expect(runPass('dce', dceCases[0]!.expected!)).toMatchObject({ changed: false, stats: {} });
  });
});
