// Tiled matrix multiply for MatMul and Linear: 16×16 output tiles, K in 16-wide slabs staged in workgroup memory,
// with a fused epilogue (bias, activation, residual) applied before the single store.
//
// Template parameters (typed, part of the generated source and so of the cache key): TILE; the operand element
// loads go through ShaderBuilder.load, so f16 or int8-packed weights change only the load expression.

import { type Dim, dimEq, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type KernelContext, type KernelDispatch, registerKernel } from '../kernel.js';
import { factor } from '../wgsl.js';
import { broadcastOffset, coords, trivialBroadcast } from './indexing.js';

const TILE = 16;

interface MatmulProblem {
  a: TensorRef; b: TensorRef; y: TensorRef;
  batch: readonly Dim[]; m: Dim; n: Dim; k: Dim;
  /** Batch shapes of A and B (broadcast to `batch`; [] for a single matrix). */
  aBatch: readonly Dim[]; bBatch: readonly Dim[];
  transB: boolean;
  bias?: TensorRef; residual?: TensorRef; activation: string;
}

function matmulDispatch(ctx: KernelContext, p: MatmulProblem): KernelDispatch {
  const b = ctx.builder(TILE * TILE);
  const [A, B, Y] = [b.tensor(p.a), b.tensor(p.b), b.tensor(p.y, 'write')];
  const [M, N, K] = [b.dim(p.m), b.dim(p.n), b.dim(p.k)];
  b.declare(`var<workgroup> tileA: array<f32, ${TILE * TILE}>;`);
  b.declare(`var<workgroup> tileB: array<f32, ${TILE * TILE}>;`);
  const tilesM = `((${M} + ${TILE - 1}u) / ${TILE}u)`;
  const tilesN = `((${N} + ${TILE - 1}u) / ${TILE}u)`;
  const matOff = (batchShape: readonly Dim[], rows: Dim, cols: Dim): string =>
    batchShape.length === 0 || dimEq(dimsProduct(batchShape), 1) ? '0u' : `(${broadcastOffset(b, 'bt', batchShape, p.batch)}) * ${b.dim(dimsProduct([rows, cols]))}`;
  const aOff = matOff(p.aBatch, p.m, p.k);
  const bOff = matOff(p.bBatch, p.k, p.n);
  const bAt = p.transB ? `${bOff} + col * ${K} + kb` : `${bOff} + kb * ${N} + col`;
  const lines = [
    `let tn = gid % ${tilesN};`,
    `let tm = (gid / ${tilesN}) % ${tilesM};`,
    `let bi = gid / (${tilesN} * ${tilesM});`,
    p.batch.length ? coords(b, 'bt', 'bi', p.batch) : '',
    `let lr = lid / ${TILE}u;`,
    `let lc = lid % ${TILE}u;`,
    `let row = tm * ${TILE}u + lr;`,
    `let col = tn * ${TILE}u + lc;`,
    `var acc = 0.0;`,
    `for (var k0 = 0u; k0 < ${K}; k0 = k0 + ${TILE}u) {`,
    `  let ka = k0 + lc;`,
    `  var av = 0.0;`,
    `  if (row < ${M} && ka < ${K}) { av = ${b.load(A, `${aOff} + row * ${K} + ka`)}; }`,
    `  tileA[lid] = av;`,
    `  let kb = k0 + lr;`,
    `  var bv = 0.0;`,
    `  if (kb < ${K} && col < ${N}) { bv = ${b.load(B, bAt)}; }`,
    `  tileB[lid] = bv;`,
    `  workgroupBarrier();`,
    `  for (var kk = 0u; kk < ${TILE}u; kk = kk + 1u) { acc = acc + tileA[lr * ${TILE}u + kk] * tileB[kk * ${TILE}u + lc]; }`,
    `  workgroupBarrier();`,
    `}`,
    `if (row >= ${M} || col >= ${N}) { return; }`,
    `let e = (bi * ${M} + row) * ${N} + col;`,
  ];
  if (p.bias) lines.push(`acc = acc + ${b.load(b.tensor(p.bias), 'col')};`);
  if (p.activation === 'relu') lines.push('acc = max(acc, 0.0);');
  else if (p.activation === 'gelu') lines.push(`acc = ${b.use('gelu')}(acc);`);
  else if (p.activation === 'gelu_tanh') lines.push(`acc = ${b.use('gelu_tanh')}(acc);`);
  if (p.residual) {
    const r = b.tensor(p.residual);
    const tb = trivialBroadcast(p.residual.shape, p.y.shape);
    if (tb) lines.push(`acc = acc + ${b.load(r, tb === 'same' ? 'e' : '0u')};`);
    else lines.push(coords(b, 'o', 'e', p.y.shape), `acc = acc + ${b.load(r, broadcastOffset(b, 'o', p.residual.shape, p.y.shape))};`);
  }
  lines.push(b.store(Y, 'e', 'acc'));
  return {
    shader: b.build(lines.filter(Boolean).join('\n')),
    workgroups: [factor(dimsProduct(p.batch)), factor(p.m, TILE), factor(p.n, TILE)],
    workgroupBytes: 2 * TILE * TILE * 4,
  };
}

const f32Only = (step: Step): string | undefined =>
  [...step.inputs, ...step.outputs].some((r) => r && r.dtype !== 'f32') ? 'only f32 operands are supported on WebGPU yet' : undefined;

registerKernel({
  op: 'Linear',
  check: f32Only,
  build(ctx, step) {
    const [x, w, bias, residual] = step.inputs;
    const y = step.outputs[0]!;
    const transB = step.attrs.trans_b === 1;
    const k = x!.shape[x!.shape.length - 1]!;
    const n = y.shape[y.shape.length - 1]!;
    return [matmulDispatch(ctx, {
      a: x!, b: w!, y, batch: [], m: dimsProduct(y.shape.slice(0, -1)), n, k, aBatch: [], bBatch: [], transB,
      ...(bias ? { bias } : {}), ...(residual ? { residual } : {}), activation: step.attrs.activation as string,
    })];
  },
});

registerKernel({
  op: 'MatMul',
  check: f32Only,
  build(ctx, step) {
    let [a, b] = [step.inputs[0]!, step.inputs[1]!];
    const y = step.outputs[0]!;
    // 1-D operands: a vector is a 1×K or K×1 matrix (the result's shape already drops that dim).
    if (a.shape.length === 1) a = { ...a, shape: [1, a.shape[0]!] };
    if (b.shape.length === 1) b = { ...b, shape: [b.shape[0]!, 1] };
    const [m, k] = a.shape.slice(-2) as [Dim, Dim];
    const n = b.shape[b.shape.length - 1]!;
    const aBatch = a.shape.slice(0, -2);
    const bBatch = b.shape.slice(0, -2);
    const rank = Math.max(aBatch.length, bBatch.length);
    const batchShape = y.shape.slice(0, rank); // the result's leading dims are the broadcast batch dims
    return [matmulDispatch(ctx, { a, b, y, batch: batchShape, m, n, k, aBatch, bBatch, transB: false, activation: 'none' })];
  },
});


