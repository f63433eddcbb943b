// The WebGPU tiled matmul (MatMul, Gemm, Linear) against the interpreter: tile edges, epilogues, C broadcast forms, panel-packed B.

import { describe, expect, it } from 'vitest';
import type { Graph } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { lowerGraph } from '../../backends/common/lower.js';
import type { Step } from '../../backends/common/schedule.js';
import { weightsImage } from '../../backends/wasm/index.js';
import { PANEL_LAYOUT, packWeightTensor } from '../../backends/wasm/pack.js';
import type { CompiledWebGpu } from '../../backends/webgpu/index.js';
import { getKernel } from '../../backends/webgpu/kernel.js';
import { chooseTile, tileBytes, tileInvocations } from '../../backends/webgpu/kernels/matmul.js';
import { randomTensor } from '../helpers.js';
import { compareWithInterpreter, compilePacked, compileWebGpu, gpuUnavailable, oneNode } from './gpu.js';

/** Compiles (through `compile`, default compileWebGpu), checks every shader compiles cleanly, runs, compares with the interpreter. */
async function checkGraph(graph: Graph, feeds: Record<string, Tensor>, compile: (g: Graph) => CompiledWebGpu = compileWebGpu): Promise<CompiledWebGpu> {
  return (await compareWithInterpreter(graph, feeds, { compile })).c;
}

async function check(op: string, inputs: Parameters<typeof oneNode>[1], attrs = {}, symbolic?: Parameters<typeof oneNode>[3]): Promise<CompiledWebGpu> {
  const { graph, feeds } = oneNode(op, inputs, attrs, symbolic);
  return checkGraph(graph, feeds);
}

/** The first line declaring workgroup_size in a compiled graph's only shader, e.g. 'workgroup_size(64)'. */
const wgSize = (c: CompiledWebGpu): string => /workgroup_size\(\d+\)/.exec(Object.values(c.shaders)[0]!)![0];

const r = randomTensor;

describe('matmul tile choice', () => {
  it('fits the portable limits and follows the problem shape', () => {
    expect(chooseTile('m', 'n', 'k')).toEqual({ tm: 64, tn: 64, tk: 16 });
    expect(chooseTile(1, 768, 768)).toEqual({ tm: 4, tn: 128, tk: 16 }); // a row vector: wide, shallower slabs
    expect(chooseTile(512, 2, 64)).toEqual({ tm: 128, tn: 4, tk: 16 }); // a column: tall
    expect(chooseTile(17, 23, 19)).toEqual({ tm: 32, tn: 32, tk: 16 });
    expect(chooseTile(3, 3, 3)).toEqual({ tm: 4, tn: 4, tk: 4 });
    for (const m of [1, 5, 16, 33, 100, 'm']) {
      for (const n of [1, 7, 64, 300, 'n']) {
        const t = chooseTile(m, n, 'k');
        expect(tileInvocations(t)).toBeLessThanOrEqual(256);
        expect(tileBytes(t)).toBeLessThanOrEqual(16384);
      }
    }
  });
});

describe.skipIf(gpuUnavailable)('webgpu matmul', () => {
  it('MatMul: odd sizes across tile and slab edges, batched with broadcasting, vector operands, symbolic M', async () => {
    await check('MatMul', [r('f32', [17, 19], 1), r('f32', [19, 23], 2)]);
    await check('MatMul', [r('f32', [2, 3, 5, 7], 3), r('f32', [3, 7, 4], 4)]);
    await check('MatMul', [r('f32', [1, 3, 5, 7], 3), r('f32', [2, 1, 7, 4], 4)]);
    await check('MatMul', [r('f32', [7], 5), { constant: r('f32', [7, 3], 6) }]);
    await check('MatMul', [r('f32', [2, 4, 7], 5), r('f32', [7], 6)]);
    await check('MatMul', [r('f32', [6], 5), r('f32', [2, 6, 5], 6)]);
    await check('MatMul', [r('f32', [2, 5, 4], 5), r('f32', [2, 4, 5], 6)], {}, [{ dtype: 'f32', shape: ['b', 's', 4] }, { dtype: 'f32', shape: ['b', 4, 's'] }]);
    // 64 x 64 tiles: M = 2·37 = 74 and N = 70 cross a tile edge, K = 40 takes three 16-deep slabs (the last partial).
    const big = await check('MatMul', [r('f32', [2, 37, 40], 7), { constant: r('f32', [40, 70], 8) }], {}, [{ dtype: 'f32', shape: ['b', 's', 40] }]);
    expect(wgSize(big)).toBe('workgroup_size(256)');
    // A row vector against a wide B: 4 x 128 tiles, two of them along N.
    const wide = await check('MatMul', [r('f32', [1, 20], 9), r('f32', [20, 130], 10)]);
    expect(wgSize(wide)).toBe('workgroup_size(32)');
  });
  it('MatMul: static multiples of 4 take one bounds check per group of 4 loads', async () => {
    const c = await check('MatMul', [r('f32', [6, 8], 1), r('f32', [8, 12], 2)]);
    const src = Object.values(c.shaders)[0]!;
    expect(src).toContain('x = vec4<f32>(');
    expect(src).not.toContain('x.y =');
  });
  it('Linear: bias, activations, residual (same shape and broadcast), trans_b, symbolic rows', async () => {
    const x = r('f32', [2, 9, 20], 1);
    await check('Linear', [x, { constant: r('f32', [20, 18], 2) }, { constant: r('f32', [18], 3) }], { activation: 'gelu' });
    await check('Linear', [x, { constant: r('f32', [18, 20], 2) }, null, r('f32', [2, 9, 18], 4)], { trans_b: 1, activation: 'relu' });
    await check('Linear', [x, { constant: r('f32', [20, 5], 2) }, { constant: r('f32', [5], 3) }, r('f32', [9, 5], 5)], { activation: 'gelu_tanh' },
      [{ dtype: 'f32', shape: ['b', 's', 20] }, undefined, undefined, { dtype: 'f32', shape: ['s', 5] }]);
    await check('Linear', [r('f32', [3, 13], 6), r('f32', [7, 13], 7), r('f32', [7], 8), r('f32', [1, 7], 9)], { trans_b: 1 });
  });
  it('Gemm: transA / transB, alpha, beta, every C broadcast form, no C, symbolic M', async () => {
    const [a, b] = [r('f32', [5, 7], 1), r('f32', [7, 6], 2)];
    for (const [i, cShape] of [[], [1], [6], [1, 6], [5, 1], [5, 6], [1, 1]].entries()) {
      await check('Gemm', [a, b, r('f32', cShape, 10 + i)], { alpha: 0.5, beta: -1.5 });
    }
    await check('Gemm', [r('f32', [7, 5], 3), r('f32', [6, 7], 4), r('f32', [6], 5)], { transA: 1, transB: 1, alpha: 2 });
    await check('Gemm', [r('f32', [8, 4], 3), { constant: r('f32', [8, 12], 4) }], { transA: 1 });
    await check('Gemm', [r('f32', [9, 8], 3), { constant: r('f32', [12, 8], 4) }, { constant: r('f32', [9, 12], 5) }], { transB: 1, beta: 0.25 });
    await check('Gemm', [r('f32', [5, 7], 6), r('f32', [7, 6], 7), r('f32', [5, 1], 8)], {}, [{ dtype: 'f32', shape: ['m', 7] }, undefined, { dtype: 'f32', shape: ['m', 1] }]);
  });
  it('reads B packed in the wasm panel layout (Linear, Gemm, MatMul; K and N not multiples of 4 or 8)', async () => {
    const cases: [string, Parameters<typeof oneNode>[1], Parameters<typeof oneNode>[2]][] = [
      ['Linear', [r('f32', [2, 5, 11], 1), { constant: r('f32', [11, 13], 2) }, { constant: r('f32', [13], 3) }, r('f32', [2, 5, 13], 4)], { activation: 'gelu' }],
      ['Linear', [r('f32', [3, 12], 1), { constant: r('f32', [21, 12], 2) }], { trans_b: 1 }],
      ['Gemm', [r('f32', [9, 6], 1), { constant: r('f32', [10, 9], 2) }, { constant: r('f32', [10], 3) }], { transA: 1, transB: 1, alpha: 0.7 }],
      ['MatMul', [r('f32', [2, 3, 9], 1), { constant: r('f32', [9, 17], 2) }], {}],
    ];
    for (const [op, inputs, attrs] of cases) {
      const { graph, feeds } = oneNode(op, inputs, attrs);
      const c = await checkGraph(graph, feeds, compilePacked);
      expect(c.schedule.steps[0]!.inputs[1]!.loc).toMatchObject({ kind: 'weight', layout: PANEL_LAYOUT });
      expect(c.plan.weights.restore).toBeUndefined(); // read in place, not restored at load
      expect(Object.values(c.shaders)[0]).toContain('/ 8u * ');
      // The same graph unpacked gives the same numbers through dense addressing.
      const dense = await checkGraph(graph, feeds);
      expect(Object.values(dense.shaders)[0]).not.toContain('/ 8u * ');
    }
  });
  it('rejects what it cannot run, with the reason', () => {
    const { graph } = oneNode('MatMul', [r('i32', [2, 3], 1, -5, 5), r('i32', [3, 2], 2, -5, 5)]);
    expect(() => compileWebGpu(graph)).toThrow(/only f32 operands are supported on WebGPU yet/);
    const lin = compilePacked(oneNode('Linear', [r('f32', [2, 3], 1), { constant: r('f32', [3, 4], 2) }]).graph).schedule.steps[0]!;
    const weird: Step = { ...lin, inputs: lin.inputs.map((ref, i) => (i === 1 && ref ? { ...ref, loc: { ...ref.loc, layout: 'gemm-panel-nr16' } } : ref)) };
    expect(getKernel('Linear')!.check!(weird)).toBe("operand 1 is stored in layout 'gemm-panel-nr16', which the WebGPU matmul cannot read");
    expect(getKernel('Linear')!.check!(lin)).toBeUndefined();
  });
});
