// wasm GEMM kernels (MatMul, Gemm) against the reference interpreter: packed constant weights and activation
// operands, odd sizes, symbolic M, batched broadcasting, Gemm transA/transB/alpha/beta/C forms, both SIMD variants.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { Graph, type TensorType } from '../../compiler/ir/graph.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { PANEL_LAYOUT, packPanels } from '../../backends/wasm/pack.js';
import { gemmStandaloneModule } from '../../backends/wasm/kernels/gemm.js';
import { compileWasm } from '../../backends/wasm/index.js';
import { randomTensor, relL2 } from '../helpers.js';
import { type OpInput, relaxedSimdAvailable, runWasmOp } from './harness.js';

const relaxed = relaxedSimdAvailable();
const variants = [
  { name: 'simd128', relaxedSimd: false, skip: false },
  // Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd (vitest.config.ts execArgv).
  { name: 'relaxed', relaxedSimd: true, skip: !relaxed },
];

/** MatMul(x [3, 4], constant [4, 8]) as a graph. */
function matmulGraph(): Graph {
  const graph = new Graph('g');
  const b = new GraphBuilder(graph, { fold: false });
  const x = graph.addInput('x', { dtype: 'f32', shape: [3, 4] });
  graph.outputs = b.add('MatMul', [x, b.constant(randomTensor('f32', [4, 8], 9), 'w')], {}, { name: 'mm' });
  return graph;
}

let seed = 1;
const rand = (shape: number[]): Tensor => randomTensor('f32', shape, seed++);

async function check(op: string, inputs: OpInput[], attrs: Record<string, number> = {}, relaxedSimd = false,
  symbolicInputs?: (TensorType | undefined)[]): Promise<void> {
  const { wasm, ref } = await runWasmOp(op, inputs, attrs, { relaxedSimd, symbolicInputs });
  expect(wasm[0]!.shape).toEqual(ref[0]!.shape);
  const err = relL2(wasm[0]!.data as Float32Array, ref[0]!.data as Float32Array);
  expect(err, `${op} rel. L2`).toBeLessThanOrEqual(1e-5);
}

describe('packPanels', () => {
  it('puts (k, j) at panel j/8, row k, lane j%8 and zero-pads the edge panel', () => {
    // B = [[0, 1, ..., 9], [10, ..., 19]] (K = 2, N = 10): panels of 8 columns, the second holds 2 + 6 zeros.
    const b = Float32Array.from({ length: 20 }, (_, i) => i);
    const p = Array.from(packPanels(b, 2, 10, false));
    expect(p).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 8, 9, 0, 0, 0, 0, 0, 0, 18, 19, 0, 0, 0, 0, 0, 0]);
    // The same matrix given transposed ([N, K]) packs identically.
    const bt = Float32Array.from({ length: 20 }, (_, i) => b[(i % 2) * 10 + Math.floor(i / 2)]!);
    expect(Array.from(packPanels(bt, 2, 10, true))).toEqual(p);
  });
});

describe('GEMM core (standalone)', () => {
  it('never writes past C and never reads past the operands (edge tiles)', () => {
    const [M, K, N] = [5, 3, 11];
    const bytes = gemmStandaloneModule([{ b: 'packed', K, N, transA: false, epilogue: { alpha: 1 } }], { relaxedSimd: false }, 1);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {});
    const mem = new Float32Array((inst.exports.memory as WebAssembly.Memory).buffer);
    const A = Float32Array.from({ length: M * K }, (_, i) => (i % 7) - 3);
    const B = Float32Array.from({ length: K * N }, (_, i) => (i % 5) - 2);
    mem.set(A, 16);
    mem.set(packPanels(B, K, N, false), 64);
    mem.fill(12345, 256, 256 + M * N + 64);
    (inst.exports.gemm0 as (...x: number[]) => void)(16 * 4, 64 * 4, 256 * 4, M, K, N, 0, 0);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let q = 0; q < K; q++) s += A[i * K + q]! * B[q * N + j]!;
        expect(mem[256 + i * N + j]).toBe(s);
      }
    }
    expect(Array.from(mem.subarray(256 + M * N, 256 + M * N + 64)).every((v) => v === 12345)).toBe(true);
  });
});

for (const v of variants) {
  describe.skipIf(v.skip)(`MatMul (${v.name})${v.skip ? ' — skipped: engine lacks relaxed SIMD (run node with --experimental-wasm-relaxed-simd)' : ''}`, () => {
    const r = v.relaxedSimd;
    it('2-D x constant 2-D weight (packed panels) on odd sizes', async () => {
      for (const [M, K, N] of [[1, 1, 1], [3, 5, 17], [5, 17, 33], [17, 33, 5], [100, 3, 8], [33, 100, 100], [4, 8, 16], [7, 600, 300], [10, 40, 72]]) {
        await check('MatMul', [rand([M!, K!]), { constant: rand([K!, N!]) }], {}, r);
      }
    });
    it('packs constant B into panels', () => {
      const g = compileWasm(matmulGraph(), { relaxed: false });
      expect(g.schedule.weights.map((w) => w.layout)).toContain(PANEL_LAYOUT);
    });
    it('K above the K block (blocked accumulation through C)', async () => {
      await check('MatMul', [rand([6, 700]), { constant: rand([700, 19]) }], {}, r);
    });
    it('N-D x constant 2-D (leading dims flatten into M) and 1-D A', async () => {
      await check('MatMul', [rand([2, 3, 5, 7]), { constant: rand([7, 9]) }], {}, r);
      await check('MatMul', [rand([7]), { constant: rand([7, 9]) }], {}, r);
    });
    it('activation x activation: 2-D, 1-D B, 1-D A', async () => {
      await check('MatMul', [rand([5, 17]), rand([17, 33])], {}, r);
      await check('MatMul', [rand([5, 17]), rand([17])], {}, r);
      await check('MatMul', [rand([17]), rand([17, 3])], {}, r);
      await check('MatMul', [rand([3, 4, 17]), rand([17])], {}, r);
    });
    it('batched with broadcasting (attention Q·Kᵀ and P·V shapes)', async () => {
      await check('MatMul', [rand([2, 3, 13, 8]), rand([2, 3, 8, 13])], {}, r);
      await check('MatMul', [rand([2, 3, 13, 13]), rand([2, 3, 13, 8])], {}, r);
      await check('MatMul', [rand([2, 1, 5, 7]), rand([1, 3, 7, 9])], {}, r);
      await check('MatMul', [rand([5, 7]), rand([4, 7, 10])], {}, r);
      await check('MatMul', [rand([4, 5, 7]), rand([7])], {}, r);
    });
    it('symbolic M (batch*seq rows) at several values, packed and batched', async () => {
      for (const seq of [1, 3, 4, 9, 33]) {
        await check('MatMul', [rand([2, seq, 12]), { constant: rand([12, 20]) }], {}, r,
          [{ dtype: 'f32', shape: ['batch', 'seq', 12] }]);
        await check('MatMul', [rand([2, 2, seq, 8]), rand([2, 2, 8, seq])], {}, r,
          [{ dtype: 'f32', shape: ['batch', 2, 'seq', 8] }, { dtype: 'f32', shape: ['batch', 2, 8, 'seq'] }]);
      }
    });
  });

  describe.skipIf(v.skip)(`Gemm (${v.name})`, () => {
    const r = v.relaxedSimd;
    it('transA / transB with constant and activation B', async () => {
      for (const [transA, transB] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const [M, K, N] = [5, 17, 11];
        const a = rand(transA ? [K, M] : [M, K]);
        const bShape = transB ? [N, K] : [K, N];
        await check('Gemm', [a, { constant: rand(bShape) }], { transA: transA!, transB: transB! }, r);
        await check('Gemm', [a, rand(bShape)], { transA: transA!, transB: transB! }, r);
      }
    });
    it('alpha, beta and every C broadcast form', async () => {
      const [M, K, N] = [7, 9, 13];
      for (const cShape of [[], [1], [N], [1, N], [M, 1], [M, N], [1, 1]]) {
        await check('Gemm', [rand([M, K]), { constant: rand([K, N]) }, rand(cShape)], { alpha: 0.5, beta: -1.5 }, r);
        await check('Gemm', [rand([M, K]), { constant: rand([N, K]) }, { constant: rand(cShape) }], { alpha: 2, beta: 0.25, transB: 1 }, r);
      }
    });
    it('symbolic M', async () => {
      for (const m of [1, 2, 5, 8]) {
        await check('Gemm', [rand([m, 10]), { constant: rand([10, 9]) }, { constant: rand([9]) }], {}, r,
          [{ dtype: 'f32', shape: ['m', 10] }]);
      }
    });
  });
}
