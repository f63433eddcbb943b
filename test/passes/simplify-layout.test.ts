// simplify-layout: Before/Expected pairs for the transpose and view rules, with the cases that must not fire.

import { describe } from 'vitest';
import { type PassCase, ir, itRewrites } from './helpers.js';

/** What is left when the rule removes everything between the input and the Relu: Relu(x), x of the given type. */
const reluOfX = (type: string) => ir`
  graph g(%x: ${type}) {
    %y: ${type} = Relu(%x) @"relu"
    return %y
  }`;

const cases: PassCase[] = [
  {
    name: 'an identity Transpose is removed',
    why: 'it copies the tensor for nothing',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %t: f32[2, 3] = Transpose(%x) {perm = [0, 1]} @"t"
        %y: f32[2, 3] = Relu(%t) @"relu"
        return %y
      }`,
    expected: reluOfX('f32[2, 3]'),
  },
  {
    name: 'Transpose(Transpose(x)) that cancels → x',
    why: 'the head split/merge transposes of attention often cancel after other rewrites',
    before: ir`
      graph g(%x: f32[batch, seq, 4, 8]) {
        %a: f32[batch, 4, seq, 8] = Transpose(%x) {perm = [0, 2, 1, 3]} @"split"
        %b: f32[batch, seq, 4, 8] = Transpose(%a) {perm = [0, 2, 1, 3]} @"merge"
        %y: f32[batch, seq, 4, 8] = Relu(%b) @"relu"
        return %y
      }`,
    expected: reluOfX('f32[batch, seq, 4, 8]'),
  },
  {
    name: 'Transpose(Transpose(x, p), q) → Transpose(x, p∘q)',
    why: 'one copy instead of two: result dim i is x dim p[q[i]]',
    before: ir`
      graph g(%x: f32[2, 3, 4]) {
        %a: f32[3, 4, 2] = Transpose(%x) {perm = [1, 2, 0]} @"t1"
        %b: f32[4, 3, 2] = Transpose(%a) {perm = [1, 0, 2]} @"t2"
        %y: f32[4, 3, 2] = Relu(%b) @"relu"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[2, 3, 4]) {
        %b: f32[4, 3, 2] = Transpose(%x) {perm = [2, 1, 0]} @"t2"
        %y: f32[4, 3, 2] = Relu(%b) @"relu"
        return %y
      }`,
  },
  {
    name: 'a default (reversing) Transpose composes too',
    why: 'an absent perm reverses the dims; the composition must read it that way',
    before: ir`
      graph g(%x: f32[2, 3, 4]) {
        %a: f32[4, 3, 2] = Transpose(%x) @"t1"
        %b: f32[2, 3, 4] = Transpose(%a) @"t2"
        %y: f32[2, 3, 4] = Relu(%b) @"relu"
        return %y
      }`,
    expected: reluOfX('f32[2, 3, 4]'),
  },
  {
    name: 'a Transpose that only moves dims of size 1 becomes a Reshape',
    why: 'the elements keep their order, so it is a free view rather than a copy',
    before: ir`
      graph g(%x: f32[1, seq, 8]) {
        %t: f32[seq, 1, 8] = Transpose(%x) {perm = [1, 0, 2]} @"t"
        %y: f32[seq, 1, 8] = Relu(%t) @"relu"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[1, seq, 8]) {
        %t_const = const i64[3] [-1, 1, 8]
        %t: f32[seq, 1, 8] = Reshape(%x, %t_const) @"t"
        %y: f32[seq, 1, 8] = Relu(%t) @"relu"
        return %y
      }`,
  },
  {
    name: 'a Transpose that moves a dim of unknown size stays',
    why: 'seq may be larger than 1, and then the elements move',
    before: ir`
      graph g(%x: f32[batch, seq, 8]) {
        %t: f32[seq, batch, 8] = Transpose(%x) {perm = [1, 0, 2]} @"t"
        %y: f32[seq, batch, 8] = Relu(%t) @"relu"
        return %y
      }`,
  },
  {
    name: 'views to the same shape are removed',
    why: 'a Reshape to the shape it already has, or a Squeeze with nothing to squeeze, changes nothing',
    before: ir`
      graph g(%x: f32[batch, 4]) {
        %s = const i64[2] [0, 4]
        %a: f32[batch, 4] = Reshape(%x, %s) @"reshape"
        %b: f32[batch, 4] = Squeeze(%a) @"squeeze"
        %y: f32[batch, 4] = Relu(%b) @"relu"
        return %y
      }`,
    expected: reluOfX('f32[batch, 4]'),
  },
  {
    name: 'Unsqueeze then Squeeze of the same axis → x',
    why: 'the pair is a view to the original shape',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %a: f32[2, 1, 3] = Unsqueeze(%x) {axes = [1]} @"unsqueeze"
        %b: f32[2, 3] = Squeeze(%a) {axes = [1]} @"squeeze"
        %y: f32[2, 3] = Relu(%b) @"relu"
        return %y
      }`,
    expected: reluOfX('f32[2, 3]'),
  },
  {
    name: 'a chain of views becomes one Reshape with a constant target (0 keeps a dim, -1 infers one)',
    why: 'BERT turns the mask [batch, seq] into [batch, 1, 1, seq] with two Unsqueezes; one view is enough',
    before: ir`
      graph g(%m: f32[batch, seq]) {
        %a: f32[batch, 1, seq] = Unsqueeze(%m) {axes = [1]} @"u1"
        %b: f32[batch, 1, 1, seq] = Unsqueeze(%a) {axes = [2]} @"u2"
        %y: f32[batch, 1, 1, seq] = Relu(%b) @"relu"
        return %y
      }`,
    expected: ir`
      graph g(%m: f32[batch, seq]) {
        %b_const = const i64[4] [0, 1, 1, -1]
        %b: f32[batch, 1, 1, seq] = Reshape(%m, %b_const) @"u2"
        %y: f32[batch, 1, 1, seq] = Relu(%b) @"relu"
        return %y
      }`,
  },
  {
    name: 'Reshape(Reshape(x)) → Reshape(x), even when the inner one is used elsewhere',
    why: 'a view of a view reads the same elements; the inner view stays only for its other user',
    before: ir`
      graph g(%x: f32[6, 4]) {
        %s1 = const i64[3] [2, 3, 4]
        %s2 = const i64[2] [2, 12]
        %a: f32[2, 3, 4] = Reshape(%x, %s1) @"r1"
        %b: f32[2, 12] = Reshape(%a, %s2) @"r2"
        %c: f32[2, 3, 4] = Relu(%a) @"relu"
        return %b, %c
      }`,
    expected: ir`
      graph g(%x: f32[6, 4]) {
        %s1 = const i64[3] [2, 3, 4]
        %a: f32[2, 3, 4] = Reshape(%x, %s1) @"r1"
        %b_const = const i64[2] [2, 12]
        %b: f32[2, 12] = Reshape(%x, %b_const) @"r2"
        %c: f32[2, 3, 4] = Relu(%a) @"relu"
        return %b, %c
      }`,
  },
  {
    name: 'a view chain whose result needs two inferred dims does not fire',
    why: '[batch*seq, 8] to [batch, seq, 8] cannot be written as a constant target (only one -1 is allowed)',
    before: ir`
      graph g(%x: f32[seq, batch, 8], %like: f32[batch, seq, 8]) {
        %s: i64[3] = Shape(%like) @"shape"
        %f: f32[batch*seq, 8] = Flatten(%x) {axis = 2} @"flat"
        %y: f32[batch, seq, 8] = Reshape(%f, %s) @"back"
        return %y
      }`,
  },
  {
    name: 'an Expand to the operand\'s own shape is removed; a broadcasting one stays',
    why: 'only the first copies nothing',
    before: ir`
      graph g(%x: f32[2, 3], %v: f32[3]) {
        %s = const i64[2] [2, 3]
        %a: f32[2, 3] = Expand(%x, %s) @"same"
        %b: f32[2, 3] = Expand(%v, %s) @"bcast"
        %y: f32[2, 3] = Add(%a, %b) @"add"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[2, 3], %v: f32[3]) {
        %s = const i64[2] [2, 3]
        %b: f32[2, 3] = Expand(%v, %s) @"bcast"
        %y: f32[2, 3] = Add(%x, %b) @"add"
        return %y
      }`,
  },
  {
    name: 'a Slice of the whole tensor is removed; a reversing one of the same shape stays',
    why: 'with unit steps, a slice as long as the dim starts at 0; step -1 keeps the shape but reverses',
    before: ir`
      graph g(%x: f32[4, seq]) {
        %st = const i64[1] [0]
        %en = const i64[1] [9223372036854775807]
        %ax = const i64[1] [1]
        %rs = const i64[1] [-1]
        %rb = const i64[1] [-1]
        %re = const i64[1] [-9223372036854775808]
        %a: f32[4, seq] = Slice(%x, %st, %en, %ax) @"whole"
        %b: f32[4, seq] = Slice(%a, %rb, %re, %ax, %rs) @"reverse"
        return %b
      }`,
    expected: ir`
      graph g(%x: f32[4, seq]) {
        %ax = const i64[1] [1]
        %rs = const i64[1] [-1]
        %rb = const i64[1] [-1]
        %re = const i64[1] [-9223372036854775808]
        %b: f32[4, seq] = Slice(%x, %rb, %re, %ax, %rs) @"reverse"
        return %b
      }`,
  },
  {
    name: 'Concat of one operand and Split into one part are removed',
    why: 'both return their operand',
    before: ir`
      graph g(%x: f32[2, 3]) {
        %a: f32[2, 3] = Concat(%x) {axis = 1} @"concat"
        %b: f32[2, 3] = Split(%a) {axis = 1} @"split"
        %y: f32[2, 3] = Relu(%b) @"relu"
        return %y
      }`,
    expected: reluOfX('f32[2, 3]'),
  },
];

describe('simplify-layout', () => {
  itRewrites('simplify-layout', cases);
});
