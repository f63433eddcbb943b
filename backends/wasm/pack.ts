// Compile-time panel packing of constant GEMM weights: B [K, N] (or Bᵀ given as [N, K]) into panels of NR
// columns, each panel K rows of NR contiguous floats, zero-padded past N, so the micro-kernel streams B linearly.

import { Tensor } from '../../compiler/ir/tensor.js';

/** Columns per panel: the width of the micro-kernel's register tile (two f32x4 vectors). */
export const NR = 8;

/** The layout name recorded in the weights image for panels of NR columns. */
export const PANEL_LAYOUT = `gemm-panel-nr${NR}`;

/** Number of f32 elements of the packed form of a K x N matrix. */
export function packedSize(k: number, n: number): number {
  return Math.ceil(n / NR) * k * NR;
}

/**
 * Packs B: element (q, j) of the logical K x N matrix goes to panel floor(j / NR), row q, lane j % NR,
 * i.e. offset (floor(j / NR) * K + q) * NR + j % NR. With `transposed`, `b` holds Bᵀ as [N, K] (Gemm transB=1).
 */
export function packPanels(b: Float32Array, k: number, n: number, transposed: boolean): Float32Array {
  if (b.length !== k * n) throw new Error(`packPanels: ${b.length} elements for a ${k} x ${n} matrix`);
  const out = new Float32Array(packedSize(k, n));
  for (let j = 0; j < n; j++) {
    const base = Math.floor(j / NR) * k * NR + (j % NR);
    for (let q = 0; q < k; q++) out[base + q * NR] = transposed ? b[j * k + q]! : b[q * n + j]!;
  }
  return out;
}

/** The packed tensor for a weights image: a flat f32 tensor (its shape is the packed element count). */
export function packWeightTensor(t: Tensor, transposed: boolean): Tensor {
  if (t.dtype !== 'f32' || t.rank !== 2) throw new Error(`packWeightTensor: needs a 2-D f32 tensor, got ${t.dtype}[${t.shape.join(', ')}]`);
  const [rows, cols] = t.shape as [number, number];
  const [k, n] = transposed ? [cols, rows] : [rows, cols];
  const packed = packPanels(t.data as Float32Array, k, n, transposed);
  return new Tensor('f32', [packed.length], packed);
}
