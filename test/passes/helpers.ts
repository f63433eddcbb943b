// Helpers for pass tests: IR text literals, Before/Expected cases checked with numerics, random or fixture feeds.

import { expect, it } from 'vitest';
import { evalDim, isStaticDim } from '../../compiler/ir/dim.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { parseGraph } from '../../compiler/ir/parse.js';
import { printGraph } from '../../compiler/ir/print.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { interpret } from '../../compiler/interpreter.js';
import { type PassStat, type PipelineOptions, type PipelineResult, runPipeline } from '../../passes/manager.js';
import { fixtureCases } from '../fixtures.js';
import { randomTensor, relL2, rng } from '../helpers.js';

/** IR text written indented inside a test: common indentation removed, one trailing newline. */
export function ir(strings: TemplateStringsArray, ...args: unknown[]): string {
  const raw = strings.reduce((acc, s, i) => acc + s + (i < args.length ? String(args[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n') + '\n';
}

/** Sizes for symbolic dims when running graphs. */
export const DEFAULT_SIZES: Record<string, number> = { batch: 2, seq: 3, n: 4 };

/** Random inputs for every graph input (f32 in [-2, 2), integers in [0, 4), bools). */
export function randomFeeds(graph: Graph, sizes: Record<string, number> = DEFAULT_SIZES, seed = 7): Record<string, Tensor> {
  const r = rng(seed);
  const feeds: Record<string, Tensor> = {};
  graph.inputs.forEach((v, i) => {
    const shape = v.type.shape.map((d) => (isStaticDim(d) ? d : evalDim(d, sizes)));
    const dt = v.type.dtype;
    if (dt === 'bool') {
      const n = shape.reduce((a, b) => a * b, 1);
      feeds[v.name] = Tensor.fromNumbers('bool', shape, Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)));
    } else if (dt === 'f32' || dt === 'f64' || dt === 'f16') {
      feeds[v.name] = randomTensor(dt, shape, seed * 31 + i, -2, 2);
    } else {
      feeds[v.name] = randomTensor(dt, shape, seed * 31 + i, 0, 4);
    }
  });
  return feeds;
}

/** The inputs of `graph` taken from the first case of the PyTorch fixture `model`. */
export function fixtureFeeds(graph: Graph, model: string): Record<string, Tensor> {
  const c = fixtureCases(model)[0]!;
  return Object.fromEntries(graph.inputs.map((v) => [v.name, c.tensors[v.name]!]));
}

/**
 * Asserts that two graphs compute the same outputs (by position; same names, dtypes and shapes) on `feeds`, or on
 * random inputs: exactly (NaN equal to NaN, -0 equal to 0) when `tolerance` is 0, else within that relative L2 error.
 */
export function expectSameResults(
  before: Graph, after: Graph,
  options: { sizes?: Record<string, number>; seed?: number; tolerance?: number; feeds?: Record<string, Tensor> } = {},
): void {
  expect(after.outputs.map((v) => v.name)).toEqual(before.outputs.map((v) => v.name));
  const feeds = options.feeds ?? randomFeeds(before, options.sizes, options.seed);
  const a = interpret(before, feeds);
  const b = interpret(after, feeds);
  for (const v of before.outputs) {
    const x = a[v.name]!;
    const y = b[v.name]!;
    expect(y.dtype).toBe(x.dtype);
    expect(y.shape).toEqual(x.shape);
    const [xs, ys] = [x.toFloat64(), y.toFloat64()];
    if (!options.tolerance) {
      for (let i = 0; i < xs.length; i++) {
        if (!(xs[i] === ys[i] || (Number.isNaN(xs[i]) && Number.isNaN(ys[i])))) {
          expect.fail(`output ${v.name}[${i}]: ${ys[i]} after the pass, ${xs[i]} before`);
        }
      }
    } else {
      expect(relL2(ys, xs)).toBeLessThanOrEqual(options.tolerance);
    }
  }
}

export interface CheckOptions extends Omit<PipelineOptions, 'passes'> {
  sizes?: Record<string, number>;
  tolerance?: number;
}

/**
 * Runs `passes` on the `before` IR (verifier after each) and asserts the printed result equals `expected`
 * (parsed and printed again, so spelling does not matter) and that the graph computes the same as before.
 */
export function checkPasses(passes: string | readonly string[], before: string, expected: string, options: CheckOptions = {}): PipelineResult {
  const graph = parseGraph(before);
  const result = runPipeline(graph, { ...options, passes: typeof passes === 'string' ? [passes] : passes, verifyEach: true });
  expect(printGraph(graph)).toBe(printGraph(parseGraph(expected)));
  expectSameResults(parseGraph(before), graph, options);
  return result;
}

/** A Before/Expected pair: what the passes must turn `before` into, and why that is wanted. */
export interface PassCase {
  name: string;
  /** Why the behaviour is wanted. */
  why: string;
  before: string;
  /** Undefined: the passes must not change the graph (Expected = Before). */
  expected?: string;
}

/** One test per case, named after it: `checkPasses(passes, before, expected ?? before, options)`. */
export function itRewrites(passes: string | readonly string[], cases: readonly PassCase[], options: CheckOptions = {}): void {
  it.each(cases)('$name', ({ before, expected }) => {
    checkPasses(passes, before, expected ?? before, options);
  });
}

/** The statistics of one pass run on the graph of IR text `text`. */
export function runPass(pass: string, text: string): PassStat {
  return runPipeline(parseGraph(text), { passes: [pass] }).passes[0]!;
}
