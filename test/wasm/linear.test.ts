// The fused Linear wasm kernel against the interpreter: every activation (none, relu, GELU erf / tanh) with and
// without bias and residual, packed constant W (trans_b 0/1) and activation W, odd sizes, K above the K block
// (the epilogue only on the last block), symbolic leading dims flattened into M, both SIMD variants.

import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../compiler/ir/graph.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { compileWasm } from '../../backends/wasm/index.js';
import { PANEL_LAYOUT } from '../../backends/wasm/pack.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Graph } from '../../compiler/ir/graph.js';
import { randomTensor, relL2 } from '../helpers.js';
import { type OpInput, relaxedSimdAvailable, runWasmOp } from './harness.js';

const variants = [false, ...(relaxedSimdAvailable() ? [true] : [])];
const ACTIVATIONS = ['none', 'relu', 'gelu', 'gelu_tanh'] as const;

let seed = 1;
const rand = (shape: number[], lo = -1, hi = 1): Tensor => randomTensor('f32', shape, seed++, lo, hi);

async function check(inputs: OpInput[], attrs: Record<string, unknown>, relaxedSimd: boolean, symbolicInputs?: (TensorType | undefined)[]) {
  const { wasm, ref, types } = await runWasmOp('Linear', inputs, attrs as never, { relaxedSimd, ...(symbolicInputs ? { symbolicInputs } : {}) });
  expect(wasm[0]!.shape).toEqual(ref[0]!.shape);
  const err = relL2(wasm[0]!.toFloat64(), ref[0]!.toFloat64());
  expect(err, `Linear ${JSON.stringify(attrs)} rel. L2`).toBeLessThanOrEqual(1e-5);
  return types;
}

/** X [M, K] (or [..., K]), W [K, N] or [N, K], optional bias [N] and residual of the result's shape. */
function operands(lead: number[], K: number, N: number, transB: boolean, bias: boolean, residual: boolean, constW = true): OpInput[] {
  const w = rand(transB ? [N, K] : [K, N]);
  // Inputs scaled so that X·W spans GELU's interesting range (about -4..4), tails included.
  const x = rand([...lead, K], -6 / Math.sqrt(K), 6 / Math.sqrt(K));
  return [x, constW ? { constant: w } : w, bias ? { constant: rand([N]) } : null, residual ? rand([...lead, N]) : null];
}

for (const relaxed of variants) {
  const v = relaxed ? 'relaxed' : 'simd128';
  describe(`Linear (${v})`, () => {
    for (const activation of ACTIVATIONS) {
      it(`${activation}: with/without bias and residual, trans_b 0/1, odd sizes`, async () => {
        for (const [M, K, N] of [[1, 1, 1], [3, 5, 17], [5, 17, 33], [7, 33, 9], [13, 20, 8]] as const) {
          for (const [bias, residual] of [[false, false], [true, false], [false, true], [true, true]] as const) {
            const transB = (M + (bias ? 1 : 0)) % 2 === 1;
            await check(operands([M], K, N, transB, bias, residual), { activation, trans_b: transB ? 1 : 0 }, relaxed);
          }
        }
      });
    }
    it('K above the K block: the epilogue runs once, on the last block', async () => {
      for (const activation of ACTIVATIONS) await check(operands([6], 700, 19, false, true, true), { activation }, relaxed);
    });
    it('N wider than an N block (edge panel in the last block)', async () => {
      await check(operands([5], 40, 300, true, true, true), { activation: 'gelu', trans_b: 1 }, relaxed);
    });
    it('activation (non-constant) W, trans_b 0 and 1', async () => {
      for (const transB of [false, true]) {
        for (const activation of ACTIVATIONS) await check(operands([5], 17, 11, transB, true, true, false), { activation, trans_b: transB ? 1 : 0 }, relaxed);
      }
    });
    it('leading dims flatten into a symbolic M, at several values', async () => {
      for (const seq of [1, 3, 4, 9, 33]) {
        const types = await check(operands([2, seq], 24, 20, false, true, true), { activation: 'gelu' }, relaxed,
          [{ dtype: 'f32', shape: ['batch', 'seq', 24] }, undefined, undefined, { dtype: 'f32', shape: ['batch', 'seq', 20] }]);
        expect(types[0]!.shape).toEqual(['batch', 'seq', 20]);
      }
    });
  });
}

describe('Linear kernel plumbing', () => {
  it('packs a constant W into GEMM panels', () => {
    const graph = new Graph('g');
    const b = new GraphBuilder(graph, { fold: false });
    const x = graph.addInput('x', { dtype: 'f32', shape: [3, 4] });
    graph.outputs = b.add('Linear', [x, b.constant(rand([8, 4]), 'w')], { trans_b: 1, activation: 'gelu' }, { name: 'lin' });
    const g = compileWasm(graph, { relaxed: false });
    expect(g.schedule.weights.map((w) => w.layout)).toContain(PANEL_LAYOUT);
  });
  it('rejects a residual that broadcasts (the store reads it as [M, N])', async () => {
    await expect(runWasmOp('Linear', [rand([4, 5]), { constant: rand([5, 6]) }, null, rand([6])], {})).rejects.toThrow(/residual of shape \[6\]/);
  });
});

describe('GEMM core M blocking (GemmCoreSpec.mc)', () => {
  it('gives the plain result for M not a multiple of the block, with the epilogue, K-blocked', async () => {
    const { gemmStandaloneModule } = await import('../../backends/wasm/kernels/gemm.js');
    const { packPanels } = await import('../../backends/wasm/pack.js');
    const [M, K, N] = [37, 300, 21];
    const A = rand([M, K]).data as Float32Array;
    const B = rand([K, N]).data as Float32Array;
    const bias = rand([N]).data as Float32Array;
    const results = [undefined, 8, 12].map((mc) => {
      const spec = { b: 'packed', K, N, transA: false, epilogue: { alpha: 1, bias: { form: 'row', beta: 1 }, activation: 'gelu' }, kc: 128, ...(mc ? { mc } : {}) } as const;
      const bytes = gemmStandaloneModule([spec], { relaxedSimd: false }, 4);
      const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {});
      const mem = new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer);
      const [a, b, bi, c] = [64, 64 + M * K, 64 + M * K + K * 24, 64 + M * K + K * 24 + 64];
      mem.set(A, a);
      mem.set(packPanels(B, K, N, false), b);
      mem.set(bias, bi);
      (inst.exports.gemm0 as (...x: number[]) => void)(a * 4, b * 4, c * 4, M, K, N, bi * 4, 0);
      return Array.from(mem.subarray(c, c + M * N));
    });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});
