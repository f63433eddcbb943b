// Properties of the default pipeline: on random graphs (full of what the passes rewrite) and on every PyTorch
// fixture, the verifier is clean after every pass and the optimized graph computes what the original computed.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CompileError } from '../../compiler/diagnostics.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Dim } from '../../compiler/ir/dim.js';
import { Graph, type Value } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { optimize } from '../../passes/pipeline.js';
import { fixtureModels } from '../fixtures.js';
import { rng } from '../helpers.js';
import { expectSameResults, fixtureFeeds } from './helpers.js';

// ---------------------------------------------------------------------------------------------------------
// Random graphs

type R = () => number;
type Gen = { b: GraphBuilder; r: R; pool: Value[] };

const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: R, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const one = (b: GraphBuilder, op: string, inputs: (Value | undefined)[], attrs = {}): Value => b.add(op, inputs, attrs)[0]!;
const floats = ({ pool }: Gen) => pool.filter((v) => v.type.dtype === 'f32');

/** A constant that rules care about (0, 1, -1, 2) or a random one, as a scalar or along the last dim. */
function specialConstant(g: Gen, like: Value): Value {
  const { b, r } = g;
  const last = like.type.shape[like.type.shape.length - 1];
  const shape = r() < 0.5 || typeof last !== 'number' ? [] : [last];
  const n = shape.length ? shape[0]! : 1;
  const special = pick(r, [0, 1, -1, 2, NaN]);
  const values = Array.from({ length: n }, () => (Number.isNaN(special) ? r() * 4 - 2 : special));
  return b.constant(Tensor.fromNumbers('f32', shape, values));
}

/** x.view(x.size(0), ..., x.size(k)) through Shape/Gather/Unsqueeze/Concat, as PyTorch exports it. */
function shapeChainTarget(g: Gen, x: Value, lastSplit?: number): Value {
  const { b } = g;
  const rank = x.type.shape.length;
  const shape = one(b, 'Shape', [x]);
  const parts = Array.from({ length: lastSplit ? rank - 1 : rank }, (_, i) =>
    one(b, 'Unsqueeze', [one(b, 'Gather', [shape, b.constant(Tensor.scalar('i64', i))])], { axes: [0] }));
  if (lastSplit) parts.push(b.constant(Tensor.fromNumbers('i64', [2], [lastSplit, -1])));
  return one(b, 'Concat', parts, { axis: 0 });
}

const steps: ((g: Gen) => Value[])[] = [
  (g) => [one(g.b, pick(g.r, ['Relu', 'Neg', 'Tanh', 'Identity', 'Abs', 'Sigmoid']), [pick(g.r, floats(g))])],
  (g) => {
    const x = pick(g.r, floats(g));
    const c = specialConstant(g, x);
    return [one(g.b, pick(g.r, ['Add', 'Sub', 'Mul', 'Div', 'Pow']), g.r() < 0.5 ? [x, c] : [c, x])];
  },
  (g) => {
    const x = pick(g.r, floats(g));
    const same = floats(g).filter((v) => v.type.shape.length === x.type.shape.length && v.type.shape.every((d, i) => d === x.type.shape[i]));
    return [one(g.b, pick(g.r, ['Add', 'Sub', 'Mul', 'Max']), [x, pick(g.r, same)])];
  },
  (g) => {
    // A duplicate of an existing node (CSE).
    const nodes = g.b.graph.nodes.filter((n) => n.outputs.length === 1);
    if (nodes.length === 0) return [];
    const n = pick(g.r, nodes);
    return g.b.add(n.op, [...n.inputs], n.attrs);
  },
  (g) => {
    const x = pick(g.r, floats(g));
    const perm = [...x.type.shape.keys()].sort(() => g.r() - 0.5);
    const t = one(g.b, 'Transpose', [x], { perm });
    return g.r() < 0.5 ? [t] : [one(g.b, 'Transpose', [t], { perm: [...t.type.shape.keys()].sort(() => g.r() - 0.5) })];
  },
  (g) => {
    const x = pick(g.r, floats(g));
    const rank = x.type.shape.length;
    switch (int(g.r, 0, 3)) {
      case 0: return rank >= 2 ? [one(g.b, 'Reshape', [x, g.b.constant(Tensor.fromNumbers('i64', [2], [0, -1]))])] : [];
      case 1: return [one(g.b, 'Unsqueeze', [x], { axes: [int(g.r, 0, rank)] })];
      case 2: return x.type.shape.includes(1) ? [one(g.b, 'Squeeze', [x])] : [];
      default: return [one(g.b, 'Flatten', [x], { axis: int(g.r, 0, rank) })];
    }
  },
  (g) => {
    // Reshape to a shape computed at run time: the same shape, or the last dim split in two.
    const x = pick(g.r, floats(g));
    const last = x.type.shape[x.type.shape.length - 1];
    const split = typeof last === 'number' && last % 2 === 0 && g.r() < 0.5 ? 2 : undefined;
    const y = one(g.b, 'Reshape', [x, shapeChainTarget(g, x, split)]);
    return g.r() < 0.5 ? [y] : [one(g.b, 'Expand', [x, one(g.b, 'Shape', [x])])];
  },
  (g) => {
    const x = pick(g.r, floats(g));
    switch (int(g.r, 0, 3)) {
      case 0: return g.b.add('Dropout', [x], {}, { numOutputs: 2 }).slice(0, 1);
      case 1: return [one(g.b, 'Cast', [x], { to: 1 })];
      case 2: return [one(g.b, 'Where', [one(g.b, 'Greater', [x, g.b.constant(Tensor.scalar('f32', 0))]), x, x])];
      default: return [one(g.b, 'Neg', [one(g.b, 'Neg', [x])])];
    }
  },
  (g) => {
    const x = pick(g.r, floats(g));
    const k = x.type.shape[x.type.shape.length - 1];
    if (typeof k !== 'number') return [one(g.b, 'Softmax', [x])];
    const w = Tensor.fromNumbers('f32', [k, 3], Array.from({ length: 3 * k }, () => g.r() * 2 - 1));
    return [one(g.b, 'MatMul', [x, g.b.constant(w)])];
  },
];

/** A random graph; the same seed always builds the same graph. */
function randomGraph(seed: number): Graph {
  const r = rng(seed);
  const graph = new Graph(`random_${seed}`);
  const b = new GraphBuilder(graph, { fold: r() < 0.5 });
  // Sometimes every dim is the same, so that a wrong permutation cannot hide behind a type mismatch.
  const cube = r() < 0.3;
  const shape: Dim[] = Array.from({ length: int(r, 1, 4) }, () => (cube ? 2 : pick(r, ['batch', 'seq', 1, 2, 4] as Dim[])));
  const pool = [graph.addInput('x', { dtype: 'f32', shape })];
  for (let i = int(r, 3, 14); i > 0; i--) {
    try {
      pool.push(...pick(r, steps)({ b, r, pool }));
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
    }
  }
  // Every value nothing reads is an output, so that every rewrite is checked by the comparison.
  const used = new Set(graph.nodes.flatMap((n) => n.inputs));
  graph.outputs = [...new Set([...pool.filter((v) => !used.has(v)), pool[pool.length - 1]!])];
  return graph;
}

describe('random graphs through the default pipeline', () => {
  it('stay valid after every pass and compute exactly the same', () => {
    let shrunk = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const graph = randomGraph(seed);
      const nodes = graph.nodes.length;
      optimize(graph, { verifyEach: true });
      expectSameResults(randomGraph(seed), graph, { sizes: { batch: 2, seq: 3 } });
      expect(graph.nodes.length).toBeLessThanOrEqual(nodes);
      if (graph.nodes.length < nodes) shrunk++;
    }), { numRuns: 300, seed: 20240611 });
    // The generator writes what the passes rewrite: most graphs get smaller.
    expect(shrunk).toBeGreaterThan(150);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Fixtures

describe.each(fixtureModels())('fixture $model at opset $opset through the default pipeline', ({ model, file }) => {
  it('verifies after every pass, has fewer nodes, and computes the same (rel. L2 <= 1e-6)', () => {
    const original = importOnnxFile(file).graph;
    const { graph } = importOnnxFile(file);
    const result = optimize(graph, { verifyEach: true });
    expect(graph.nodes.length).toBeLessThan(original.nodes.length);
    expect(result.passes.at(-1)!.nodesAfter).toBe(graph.nodes.length);
    // No Shape → Gather → Unsqueeze → Concat chain is left feeding a Reshape: every Reshape target is constant
    // unless it needs a run-time dim.
    expectSameResults(original, graph, { feeds: fixtureFeeds(original, model), tolerance: 1e-6 });
  });
});
