// LayerNorm and GELU fusions: Before/Expected pairs (with the must-not-fire cases), the Gelu op's reference
// values, and every fixture: each layer norm and GELU fused, numerics unchanged.

import { describe, expect, it } from 'vitest';
import { parseGraph } from '../../compiler/ir/parse.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { FUSED_PIPELINE, optimize } from '../../passes/pipeline.js';
import { fixtureModels } from '../fixtures.js';
import { fusionCounts } from '../../passes/fusion-report.js';
import { runOp } from '../helpers.js';
import { type PassCase, expectSameResults, fixtureFeeds, ir, itRewrites } from './helpers.js';

/** The decomposed layer norm torch.onnx writes below opset 17, over a [batch, seq, 4] input. */
const decomposed = (norm: string, tail: string, extra = '') => ir`
  graph g(%x: f32[batch, seq, 4]) {
    %two = const f32[] [2]
    %eps = const f32[] [1e-5]
    %gamma = const f32[4] [1, 2, 0.5, -1]
    %beta = const f32[4] [0.1, 0.2, 0.3, 0.4]
    %mean: f32[batch, seq, 1] = ReduceMean(%x) {axes = [-1]} @"mean"
    %d: f32[batch, seq, 4] = Sub(%x, %mean) @"sub"
    %sq: f32[batch, seq, 4] = Pow(%d, %two) @"pow"
    %var: f32[batch, seq, 1] = ReduceMean(%sq) {axes = [-1]} @"var"
    %ve: f32[batch, seq, 1] = Add(%var, %eps) @"add_eps"
    %std: f32[batch, seq, 1] = Sqrt(%ve) @"sqrt"
    ${norm}
    ${tail}
    ${extra}
  }`;

const layerNormCases: PassCase[] = [
  {
    name: 'the full chain with scale and bias → LayerNormalization',
    why: 'one kernel reads x once instead of nine ops with four full-size intermediates (BERT, GPT-2, ViT at opset 14)',
    before: decomposed('%n: f32[batch, seq, 4] = Div(%d, %std) @"div"', [
      '%s: f32[batch, seq, 4] = Mul(%n, %gamma) @"mul"',
      '%y: f32[batch, seq, 4] = Add(%s, %beta) @"ln"',
      'return %y',
    ].join('\n    ')),
    expected: ir`
      graph g(%x: f32[batch, seq, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %beta = const f32[4] [0.1, 0.2, 0.3, 0.4]
        %y: f32[batch, seq, 4] = LayerNormalization(%x, %gamma, %beta) {epsilon = 0.00001f} @"ln"
        return %y
      }`,
  },
  {
    name: 'without scale and bias the Scale operand is ones',
    why: 'LayerNormalization requires a Scale; ones leave the normalized values unchanged (unused constants are dce\'s to remove)',
    before: decomposed('%y: f32[batch, seq, 4] = Div(%d, %std) @"div"', 'return %y'),
    expected: ir`
      graph g(%x: f32[batch, seq, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %beta = const f32[4] [0.1, 0.2, 0.3, 0.4]
        %y_const = const f32[4] [1, 1, 1, 1]
        %y: f32[batch, seq, 4] = LayerNormalization(%x, %y_const) {epsilon = 0.00001f} @"div"
        return %y
      }`,
  },
  {
    name: 'd · Reciprocal(std) and d · d are the same layer norm',
    why: 'exporters and hand-written models spell the division and the square in both ways',
    before: decomposed('%r: f32[batch, seq, 1] = Reciprocal(%std) @"recip"\n    %n: f32[batch, seq, 4] = Mul(%d, %r) @"mul_r"', [
      '%s: f32[batch, seq, 4] = Mul(%gamma, %n) @"mul"',
      'return %s',
    ].join('\n    ')).replace('Pow(%d, %two)', 'Mul(%d, %d)'),
    expected: ir`
      graph g(%x: f32[batch, seq, 4]) {
        %two = const f32[] [2]
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %beta = const f32[4] [0.1, 0.2, 0.3, 0.4]
        %s: f32[batch, seq, 4] = LayerNormalization(%x, %gamma) {epsilon = 0.00001f} @"mul"
        return %s
      }`,
  },
  {
    name: 'a scale with leading 1-dims is reshaped to the normalized shape',
    why: 'some exports keep gamma as [1, 1, 4]; LayerNormalization wants it to broadcast to [4] only',
    before: decomposed('%n: f32[batch, seq, 4] = Div(%d, %std) @"div"', [
      '%s: f32[batch, seq, 4] = Mul(%n, %g3) @"mul"',
      'return %s',
    ].join('\n    '), '').replace('%beta = const f32[4] [0.1, 0.2, 0.3, 0.4]', '%g3 = const f32[1, 1, 4] [1, 2, 3, 4]'),
    expected: ir`
      graph g(%x: f32[batch, seq, 4]) {
        %gamma = const f32[4] [1, 2, 0.5, -1]
        %g3_normalized = const f32[4] [1, 2, 3, 4]
        %s: f32[batch, seq, 4] = LayerNormalization(%x, %g3_normalized) {epsilon = 0.00001f} @"mul"
        return %s
      }`,
  },
  {
    name: 'a normalization over a leading axis does not fire',
    why: 'LayerNormalization normalizes the trailing dims only',
    before: decomposed('%y: f32[batch, seq, 4] = Div(%d, %std) @"div"', 'return %y').replace(/axes = \[-1\]/g, 'axes = [1]')
      .replace(/f32\[batch, seq, 1\]/g, 'f32[batch, 1, 4]'),
  },
  {
    name: 'a centered value that is also used elsewhere does not fire',
    why: 'x - mean would still be computed for its other user: fusing would duplicate the work',
    before: decomposed('%y: f32[batch, seq, 4] = Div(%d, %std) @"div"', 'return %y, %d'),
  },
  {
    name: 'the mean of another value does not fire',
    why: 'x - mean(z) is not a layer norm of x',
    before: ir`
      graph g(%x: f32[2, 4], %z: f32[2, 4]) {
        %two = const f32[] [2]
        %eps = const f32[] [1e-5]
        %mean: f32[2, 1] = ReduceMean(%z) {axes = [-1]} @"mean"
        %d: f32[2, 4] = Sub(%x, %mean) @"sub"
        %sq: f32[2, 4] = Pow(%d, %two) @"pow"
        %var: f32[2, 1] = ReduceMean(%sq) {axes = [-1]} @"var"
        %ve: f32[2, 1] = Add(%var, %eps) @"add_eps"
        %std: f32[2, 1] = Sqrt(%ve) @"sqrt"
        %y: f32[2, 4] = Div(%d, %std) @"div"
        return %y
      }`,
  },
];

const geluCases: PassCase[] = [
  {
    name: 'BERT\'s erf form (x · (1 + erf(x / √2))) · ½ → Gelu',
    why: 'one elementwise kernel instead of five, and GEMM epilogues can apply it',
    before: ir`
      graph g(%x: f32[2, 8]) {
        %sqrt2 = const f32[] [1.4142135]
        %one = const f32[] [1]
        %half = const f32[] [0.5]
        %a: f32[2, 8] = Div(%x, %sqrt2) @"div"
        %b: f32[2, 8] = Erf(%a) @"erf"
        %c: f32[2, 8] = Add(%b, %one) @"add"
        %d: f32[2, 8] = Mul(%x, %c) @"mul"
        %y: f32[2, 8] = Mul(%d, %half) @"gelu"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[2, 8]) {
        %y: f32[2, 8] = Gelu(%x) @"gelu"
        return %y
      }`,
  },
  {
    name: 'GPT-2\'s tanh form (x · ½) · (1 + tanh(√(2/π) · (x + 0.044715 · x³))) → Gelu(tanh)',
    why: 'the approximation is kept exactly (approximate = "tanh"), only fused',
    before: ir`
      graph g(%x: f32[2, 8]) {
        %half = const f32[] [0.5]
        %three = const f32[] [3]
        %k = const f32[] [0.044715]
        %s = const f32[] [0.7978846]
        %one = const f32[] [1]
        %h: f32[2, 8] = Mul(%x, %half) @"half"
        %p: f32[2, 8] = Pow(%x, %three) @"cube"
        %q: f32[2, 8] = Mul(%p, %k) @"scale_cube"
        %r: f32[2, 8] = Add(%x, %q) @"inner"
        %t: f32[2, 8] = Mul(%r, %s) @"scale"
        %u: f32[2, 8] = Tanh(%t) @"tanh"
        %v: f32[2, 8] = Add(%u, %one) @"one_plus"
        %y: f32[2, 8] = Mul(%h, %v) @"gelu"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[2, 8]) {
        %y: f32[2, 8] = Gelu(%x) {approximate = "tanh"} @"gelu"
        return %y
      }`,
  },
  {
    name: 'x · ((1 + erf(x · 1/√2)) · ½) → Gelu',
    why: 'another placement of the ½ and a multiplication by 1/√2 instead of a division by √2',
    before: ir`
      graph g(%x: f32[3]) {
        %r2 = const f32[] [0.70710677]
        %one = const f32[] [1]
        %half = const f32[] [0.5]
        %a: f32[3] = Mul(%r2, %x) @"scale"
        %b: f32[3] = Erf(%a) @"erf"
        %c: f32[3] = Add(%one, %b) @"add"
        %d: f32[3] = Mul(%c, %half) @"halve"
        %y: f32[3] = Mul(%x, %d) @"gelu"
        return %y
      }`,
    expected: ir`
      graph g(%x: f32[3]) {
        %y: f32[3] = Gelu(%x) @"gelu"
        return %y
      }`,
  },
  {
    name: 'a constant that is not ½ does not fire',
    why: 'x · 0.6 · (1 + erf(x/√2)) is not GELU',
    before: ir`
      graph g(%x: f32[3]) {
        %sqrt2 = const f32[] [1.4142135]
        %one = const f32[] [1]
        %c6 = const f32[] [0.6]
        %a: f32[3] = Div(%x, %sqrt2) @"div"
        %b: f32[3] = Erf(%a) @"erf"
        %c: f32[3] = Add(%b, %one) @"add"
        %d: f32[3] = Mul(%x, %c) @"mul"
        %y: f32[3] = Mul(%d, %c6) @"gelu"
        return %y
      }`,
  },
  {
    name: 'the erf of another value does not fire',
    why: 'x · ½ · (1 + erf(z/√2)) is not GELU of x',
    before: ir`
      graph g(%x: f32[3], %z: f32[3]) {
        %sqrt2 = const f32[] [1.4142135]
        %one = const f32[] [1]
        %half = const f32[] [0.5]
        %a: f32[3] = Div(%z, %sqrt2) @"div"
        %b: f32[3] = Erf(%a) @"erf"
        %c: f32[3] = Add(%b, %one) @"add"
        %d: f32[3] = Mul(%x, %c) @"mul"
        %y: f32[3] = Mul(%d, %half) @"gelu"
        return %y
      }`,
  },
];

describe('fuse-layernorm', () => {
  itRewrites('fuse-layernorm', layerNormCases, { tolerance: 1e-6 });
});

describe('fuse-gelu', () => {
  itRewrites('fuse-gelu', geluCases, { tolerance: 1e-6 });
});

describe('the Gelu op', () => {
  const xs = [-3, -1, -0.5, 0, 0.5, 1, 2, 3];
  const run = (attrs = {}) => runOp('Gelu', [Tensor.fromNumbers('f32', [8], xs)], attrs).outputs[0]!.toNumbers();

  it('computes x·Φ(x) (values from Python\'s math.erf, rounded to f32)', () => {
    expect(run()).toEqual([-0.004049694165587425, -0.15865525603294373, -0.1542687714099884, 0, 0.3457312285900116,
      0.8413447737693787, 1.9544997215270996, 2.995950222015381]);
  });

  it('computes the tanh approximation', () => {
    expect(run({ approximate: 'tanh' })).toEqual([-0.003637392073869705, -0.15880800783634186, -0.1542859971523285, 0,
      0.3457140028476715, 0.8411920070648193, 1.9545977115631104, 2.9963626861572266]);
  });

  it('rejects other forms and integer operands', () => {
    expect(() => runOp('Gelu', [Tensor.fromNumbers('f32', [1], [1])], { approximate: 'fast' }))
      .toThrow('Gelu node \'test_Gelu\': approximate must be "none" or "tanh", got "fast"');
    expect(() => runOp('Gelu', [Tensor.fromNumbers('i32', [1], [1])]))
      .toThrow("Gelu node 'test_Gelu': operand 'X' has dtype i32, but Gelu needs a floating-point dtype");
  });

  it('keeps symbolic shapes', () => {
    const g = parseGraph('graph g(%x: f32[batch, seq]) {\n  %y: f32[batch, seq] = Gelu(%x) {approximate = "tanh"}\n  return %y\n}\n');
    expect(g.outputs[0]!.type.shape).toEqual(['batch', 'seq']);
  });
});

describe.each(fixtureModels())('fixture $model at opset $opset through the fused pipeline', ({ model, file }) => {
  it('has every layer norm and GELU fused, and computes the same (rel. L2 <= 1e-6)', () => {
    const original = importOnnxFile(file).graph;
    const { graph } = importOnnxFile(file);
    optimize(graph, { verifyEach: true, passes: FUSED_PIPELINE });
    const ops = graph.nodes.map((n) => n.op);
    // Nothing of a decomposed layer norm or GELU is left.
    for (const op of ['ReduceMean', 'Pow', 'Sqrt', 'Erf', 'Tanh']) expect(ops, op).not.toContain(op);
    // Layer norms end up as LayerNormalization or SkipLayerNormalization, GELUs as Gelu or a Linear epilogue.
    const counts = fusionCounts(graph);
    expect(counts.layernorm).toBe(model === 'tenc_post' ? 4 : 5);
    expect(counts.gelu).toBe(model.startsWith('tenc') ? 0 : 2);
    expectSameResults(original, graph, { feeds: fixtureFeeds(original, model), tolerance: 1e-6 });
  });
});
