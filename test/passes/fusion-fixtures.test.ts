// Every fixture through the fused pipeline: the verifier is clean after each pass, the outputs match PyTorch's
// (rel. L2 <= 1e-5) on every case, and the fusion counts are what each architecture has — every attention block,
// layer norm and GELU fused. The zoo (models in other people's coding styles) is held to the same, except the
// models whose attention cannot be fused yet, left as visible skips with the reason.

import { afterAll, describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { interpret } from '../../compiler/interpreter.js';
import { type FusionCounts, fusionCounts } from '../../passes/fusion-report.js';
import { fusionSummary } from '../../passes/inspect-fusions.js';
import { FUSED_PIPELINE } from '../../passes/index.js';
import { runPipeline } from '../../passes/manager.js';
import { FIXTURES, ZOO, fixtureCases, fixtureModels } from '../fixtures.js';
import { relL2 } from '../helpers.js';

const count = (attention: number, layernorm: number, gelu: number, skip_layernorm: number, linear: number): FusionCounts =>
  ({ attention, layernorm, gelu, skip_layernorm, linear });

/**
 * Per main fixture (both opsets): 2 layers each, so 2 attention blocks; BERT/GPT-2/ViT have 2 GELUs; a layer norm
 * per sub-layer plus the embedding (BERT) or final (GPT-2, ViT, tenc_pre) one, each after a residual add; every
 * projection with a constant weight is a Linear (BERT: 4 attention + 2 FFN per layer; GPT-2: QKV, out, 2 FFN per
 * layer + the tied LM head; ViT: 6 per layer + patch-free classifier; tenc: input projection + 4 per layer).
 */
const MAIN: Record<string, FusionCounts> = {
  bert: count(2, 5, 2, 5, 12),
  gpt2: count(2, 5, 2, 5, 9),
  vit: count(2, 5, 2, 5, 13),
  tenc_post: count(2, 4, 0, 4, 9),
  tenc_pre: count(2, 5, 0, 5, 9),
};

/** The zoo at opset 17: what the fused pipeline gives today (every softmax attention fused but those skipped). */
const ZOO_COUNTS: Record<string, FusionCounts> = {
  clip_text: count(2, 5, 0, 3, 9),
  conformer: count(2, 10, 0, 6, 13),
  distilbert: count(2, 5, 2, 5, 12),
  fairseq: count(2, 4, 2, 4, 8),
  llama: count(2, 0, 0, 0, 15),
  mha: count(2, 3, 1, 2, 8),
  mingpt: count(2, 5, 2, 5, 13),
  nanogpt: count(2, 5, 2, 5, 10),
  roberta: count(2, 5, 2, 5, 12),
  t5: count(2, 0, 2, 0, 14),
  timm_vit: count(2, 5, 2, 5, 9),
};

/** Zoo models whose attention does not fuse yet, and why. */
const ZOO_SKIPS: Record<string, string> = {
  bloom: 'ALiBi bias and the padding/causal Where are two masks, applied in [B·H, S, S] and [B, H, S, S] views around the Softmax',
  einsum: 'the products are Einsum ("bhqd,bhkd->bhqk"), not MatMul',
  opt: 'the scores are clamped with Max(scores, finfo.min) between the mask and the Softmax',
};

const report: string[] = [];
afterAll(() => {
  if (report.length > 0) console.log(`fusion counts (attention, layernorm, gelu, skip_layernorm, linear):\n${report.join('\n')}`);
});

/** `decomposedLeft`: ops of a decomposed layer norm or GELU that must be gone (not for the zoo: T5 and LLaMA's
 * RMSNorm is a ReduceMean of x² that is no layer norm). */
function checkFixture(root: string, model: string, file: string, expected: FusionCounts, decomposedLeft = ['ReduceMean', 'Erf', 'Tanh']): void {
  const original = importOnnxFile(file).graph;
  const { graph } = importOnnxFile(file);
  runPipeline(graph, { passes: FUSED_PIPELINE, verifyEach: true });
  const counts = fusionCounts(graph);
  report.push(`${model.padEnd(12)} ${JSON.stringify(counts)}`);
  expect(counts).toEqual(expected);
  // Every softmax was an attention block; nothing of a decomposed layer norm or GELU is left.
  const ops = new Set(graph.nodes.map((n) => n.op));
  for (const op of ['Softmax', ...decomposedLeft]) expect(ops.has(op), op).toBe(false);
  expect(counts.attention).toBe(original.nodes.filter((n) => n.op === 'Softmax').length);
  for (const c of fixtureCases(model, root)) {
    const feeds = Object.fromEntries(graph.inputs.map((v) => [v.name, c.tensors[v.name]!]));
    const got = interpret(graph, feeds);
    for (const v of graph.outputs) {
      const want = c.tensors[v.name];
      expect(want, `${c.name}: PyTorch output ${v.name}`).toBeDefined();
      expect(relL2(got[v.name]!.toFloat64(), want!.toFloat64()), `${c.name}: ${v.name}`).toBeLessThanOrEqual(1e-5);
    }
  }
}

describe.each(fixtureModels())('fixture $model at opset $opset, fused', ({ model, file }) => {
  it('has every attention block, layer norm and GELU fused and matches PyTorch', () => {
    checkFixture(FIXTURES, model, file, MAIN[model]!);
  });
});

describe.each(fixtureModels(ZOO))('zoo model $model, fused', ({ model, file }) => {
  const skip = ZOO_SKIPS[model];
  if (skip) {
    it.skip(`attention not fused: ${skip}`, () => {});
    return;
  }
  it('has every attention block fused and matches PyTorch', () => {
    checkFixture(ZOO, model, file, ZOO_COUNTS[model]!, ['Erf', 'Tanh']);
  });
});

describe('fusionSummary (xfc inspect)', () => {
  it('reports the fused pipeline\'s counts without changing the graph', () => {
    const { graph } = importOnnxFile(fixtureModels().find((f) => f.model === 'gpt2' && f.opset === 14)!.file);
    const nodes = graph.nodes.length;
    expect(fusionSummary(graph)).toEqual(MAIN.gpt2);
    expect(graph.nodes.length).toBe(nodes);
    expect(graph.nodes.some((n) => n.op === 'Attention')).toBe(false);
  });
});
