// Register-blocked tiled matrix multiply for MatMul, Gemm and Linear, with a fused epilogue (alpha, C / bias with
// beta, activation, residual) applied before the single store.
//
// Template (typed parameters, part of the generated source and so of the cache key): a workgroup computes a
// TM x TN tile of the result, each invocation a 4 x 4 block of it (rows ty·4.., columns tx·4..), K advancing in
// TK-deep slabs staged in workgroup memory as vec4 columns (As[k][m/4], Bs[k][n/4]: the inner loop reads one
// vec4 of A and one of B and does four vec4 FMAs). Operand tiles are loaded in groups of 4 elements contiguous in
// memory; one bounds check covers a group when the contiguous extent is a static multiple of 4 (else one per
// element). Elements past K load as 0; rows / columns past M / N are computed but never stored.
//
// B addressing: 'dense' (row-major [K, N], or [N, K] with transB) or 'panel' (the wasm backend's packed layout,
// backends/wasm/pack.ts: element (k, n) at (⌊n/NR⌋·K + k)·NR + n mod NR, transB folded into the packing), so a
// weight packed for wasm can be read in place (declared through WebGpuKernel.weightLayouts, so a `--target all`
// plan restores none of them). The operand loads go through ShaderBuilder.load: f16 or int8
// weights change only the load expression.

import { type Dim, dimEq, dimsProduct, isStaticDim } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { NR, PANEL_LAYOUT } from '../../wasm/pack.js';
import { type KernelContext, type KernelDispatch, registerKernel } from '../kernel.js';
import { type ShaderBuilder, type TensorVar, f32Literal, factor } from '../wgsl.js';
import { broadcastOffset, coords, trivialBroadcast } from './indexing.js';
import { reluExpr } from './elementwise.js';

/** Workgroup tile: TM x TN results per workgroup (each invocation 4 x 4), K in slabs of TK. */
export interface MatmulTile {
  readonly tm: number;
  readonly tn: number;
  readonly tk: number;
}

/** Invocations per workgroup and bytes of workgroup memory of a tile. */
export const tileInvocations = (t: MatmulTile): number => (t.tm / 4) * (t.tn / 4);
export const tileBytes = (t: MatmulTile): number => t.tk * (t.tm + t.tn) * 4;

/** The portable minimums (WebGPU's defaults): a tile must fit both. */
export const MAX_INVOCATIONS = 256;
export const MAX_WORKGROUP_BYTES = 16384;

export type Activation = 'none' | 'relu' | 'gelu' | 'gelu_tanh';
export const ACTIVATIONS: ReadonlySet<string> = new Set<Activation>(['none', 'relu', 'gelu', 'gelu_tanh']);

export interface MatmulProblem {
  readonly a: TensorRef;
  readonly b: TensorRef;
  readonly y: TensorRef;
  /** The broadcast batch dims of the result ([] for one matrix), and those of A and B (right-aligned to it). */
  readonly batch: readonly Dim[];
  readonly aBatch: readonly Dim[];
  readonly bBatch: readonly Dim[];
  readonly m: Dim;
  readonly n: Dim;
  readonly k: Dim;
  /** A given as [K, M]. */
  readonly transA: boolean;
  /** B given as [N, K] (dense only: a panel-packed B has it folded in). */
  readonly transB: boolean;
  /** How B is laid out; 'panel' needs static K and no B batch. */
  readonly bLayout: 'dense' | 'panel';
  /** Y = act(alpha·A·B + beta·C) + residual; C broadcasts to [M, N] (scalar, [N], [1, N], [M, 1], [M, N]). */
  readonly alpha: number;
  readonly c?: TensorRef;
  readonly beta: number;
  readonly activation: Activation;
  /** Broadcasts to the result's full shape. */
  readonly residual?: TensorRef;
}

const nextPow2 = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/**
 * The tile for a problem: edges are powers of two in [4, 64] covering static M / N (symbolic: 64), then the
 * edge with more work is doubled (up to 128) while a workgroup has fewer than 64 invocations; TK is the deepest
 * of 16, 8, 4 that keeps both slabs within 16 KiB, and no deeper than a static K needs. (TK = 32 would halve the
 * barriers, but SwiftShader's compile time grows steeply with it: 64 x 64 x 32 took ~4x longer than x 16.)
 */
export function chooseTile(m: Dim, n: Dim, k: Dim): MatmulTile {
  const edge = (d: Dim): number => (isStaticDim(d) ? Math.min(64, Math.max(4, nextPow2(d))) : 64);
  const room = (d: Dim, t: number): boolean => !isStaticDim(d) || d > t;
  let [tm, tn] = [edge(m), edge(n)];
  while (tileInvocations({ tm, tn, tk: 0 }) < 64) {
    if (tn < 128 && room(n, tn)) tn *= 2;
    else if (tm < 128 && room(m, tm)) tm *= 2;
    else break;
  }
  let tk = 16;
  while (tk > 4 && tileBytes({ tm, tn, tk }) > MAX_WORKGROUP_BYTES) tk /= 2;
  if (isStaticDim(k)) tk = Math.min(tk, Math.max(4, nextPow2(k)));
  return { tm, tn, tk };
}

function checkTile(t: MatmulTile): void {
  const ok = [t.tm, t.tn, t.tk].every((x) => x >= 4 && x % 4 === 0) && tileInvocations(t) <= MAX_INVOCATIONS && tileBytes(t) <= MAX_WORKGROUP_BYTES;
  if (!ok) throw new Error(`matmul tile ${t.tm}x${t.tn}x${t.tk}: edges must be multiples of 4, at most ${MAX_INVOCATIONS} invocations and ${MAX_WORKGROUP_BYTES} bytes`);
}

/** One operand's slab load: a vec4 axis `v` (m for A, n for B) of extent V in the tile, and K. */
interface Operand {
  readonly shared: string;
  /** Tile extent along v, and the problem's extent along v (WGSL u32). */
  readonly tileV: number;
  readonly dimV: string;
  readonly origin: string;
  /** WGSL element index of (v, k). */
  readonly at: (v: string, k: string) => string;
  readonly t: TensorVar;
  /** Which index is contiguous in memory. */
  readonly contiguous: 'v' | 'k';
  /** One bounds check covers a group of 4 along the contiguous axis. */
  readonly groupCheck: boolean;
}

/** Statements loading a TK-deep slab of an operand into workgroup memory (vec4 along v), zero past the edges. */
function slabLoad(b: ShaderBuilder, o: Operand, tile: MatmulTile, wg: number, K: string): string {
  const v4 = o.tileV / 4;
  const groups = (tile.tk * o.tileV) / 4;
  const lanes = [0, 1, 2, 3];
  const plus = (x: string, i: number): string => (i === 0 ? x : `${x} + ${i}u`);
  const lanesAlongV = o.contiguous === 'v';
  const load = (i: number): string => b.load(o.t, lanesAlongV ? o.at(plus('gv', i), 'gk') : o.at('gv', plus('gk', i)));
  const laneIn = (i: number): string => (lanesAlongV ? `${plus('gv', i)} < ${o.dimV}` : `${plus('gk', i)} < ${K}`);
  const fill = o.groupCheck
    ? [`if (gv < ${o.dimV} && gk < ${K}) { x = vec4<f32>(${lanes.map(load).join(', ')}); }`]
    : [`if (${lanesAlongV ? `gk < ${K}` : `gv < ${o.dimV}`}) {`, ...lanes.map((i) => `  if (${laneIn(i)}) { x.${'xyzw'[i]} = ${load(i)}; }`), '}'];
  const [vExpr, kExpr] = lanesAlongV ? [`(e % ${v4}u) * 4u`, `e / ${v4}u`] : [`e / ${tile.tk / 4}u`, `(e % ${tile.tk / 4}u) * 4u`];
  const store = lanesAlongV
    ? [`${o.shared}[e] = x;`]
    : lanes.map((i) => `${o.shared}[(kk + ${i}u) * ${v4}u + vv / 4u][vv % 4u] = x.${'xyzw'[i]};`);
  return [
    `for (var e = lid; e < ${groups}u; e = e + ${wg}u) {`,
    `  let vv = ${vExpr};`,
    `  let kk = ${kExpr};`,
    `  let gv = ${o.origin} + vv;`,
    '  let gk = k0 + kk;',
    '  var x = vec4<f32>(0.0);',
    ...fill.map((l) => `  ${l}`),
    ...store.map((l) => `  ${l}`),
    '}',
  ].join('\n');
}

/** Emits the tiled matmul for a problem (the tile defaults to chooseTile's). */
export function emitMatmul(ctx: KernelContext, p: MatmulProblem, tile: MatmulTile = chooseTile(p.m, p.n, p.k)): KernelDispatch {
  checkTile(tile);
  if (p.bLayout === 'panel' && (!isStaticDim(p.k) || p.bBatch.length > 0)) throw new Error('a panel-packed B needs a static K and no batch dims');
  const wg = tileInvocations(tile);
  const [tm4, tn4] = [tile.tm / 4, tile.tn / 4];
  const b = ctx.builder(wg);
  const [A, B, Y] = [b.tensor(p.a), b.tensor(p.b), b.tensor(p.y, 'write')];
  const [M, N, K] = [b.dim(p.m), b.dim(p.n), b.dim(p.k)];
  b.declare(`var<workgroup> As: array<vec4<f32>, ${tile.tk * tm4}>;`);
  b.declare(`var<workgroup> Bs: array<vec4<f32>, ${tile.tk * tn4}>;`);
  const tiles = (d: Dim, t: number): string => (isStaticDim(d) ? `${Math.ceil(d / t)}u` : `((${b.dim(d)} + ${t - 1}u) / ${t}u)`);
  const [tilesM, tilesN] = [tiles(p.m, tile.tm), tiles(p.n, tile.tn)];
  const single = (batch: readonly Dim[]): boolean => batch.length === 0 || dimEq(dimsProduct(batch), 1);
  const matOff = (batch: readonly Dim[], size: Dim): string =>
    single(batch) ? '' : `(${broadcastOffset(b, 'bt', batch, p.batch)}) * ${b.dim(size)} + `;
  const aOff = matOff(p.aBatch, dimsProduct([p.m, p.k]));
  const bOff = matOff(p.bBatch, dimsProduct([p.k, p.n]));
  const mult4 = (d: Dim): boolean => isStaticDim(d) && d % 4 === 0;
  const opA: Operand = {
    shared: 'As', tileV: tile.tm, dimV: M, origin: 'tm0', t: A,
    at: p.transA ? (m, k) => `${aOff}(${k}) * ${M} + ${m}` : (m, k) => `${aOff}(${m}) * ${K} + ${k}`,
    contiguous: p.transA ? 'v' : 'k',
    groupCheck: mult4(p.transA ? p.m : p.k),
  };
  const panel = p.bLayout === 'panel';
  const opB: Operand = {
    shared: 'Bs', tileV: tile.tn, dimV: N, origin: 'tn0', t: B,
    at: panel ? (n, k) => `((${n}) / ${NR}u * ${K} + ${k}) * ${NR}u + (${n}) % ${NR}u`
      : p.transB ? (n, k) => `${bOff}(${n}) * ${K} + ${k}` : (n, k) => `${bOff}(${k}) * ${N} + ${n}`,
    contiguous: p.transB && !panel ? 'k' : 'v',
    // Panels are zero-padded to a multiple of NR (a multiple of 4) columns: a group starting below N is in bounds.
    groupCheck: panel || mult4(p.transB ? p.k : p.n),
  };
  const total = [...(single(p.batch) ? [] : [b.size(p.batch)]), tilesM, tilesN].join(' * ');
  const lines = [
    `if (gid >= ${total}) { return; }`,
    `let tn0 = (gid % ${tilesN}) * ${tile.tn}u;`,
    `let tm0 = ((gid / ${tilesN}) % ${tilesM}) * ${tile.tm}u;`,
    `let bi = gid / (${tilesN} * ${tilesM});`,
    p.batch.length ? coords(b, 'bt', 'bi', p.batch) : '',
    `let tx = lid % ${tn4}u;`,
    `let ty = lid / ${tn4}u;`,
    'var acc: array<vec4<f32>, 4>;',
    `for (var k0 = 0u; k0 < ${K}; k0 = k0 + ${tile.tk}u) {`,
    slabLoad(b, opA, tile, wg, K).replace(/^/gm, '  '),
    slabLoad(b, opB, tile, wg, K).replace(/^/gm, '  '),
    '  workgroupBarrier();',
    `  for (var kk = 0u; kk < ${tile.tk}u; kk = kk + 1u) {`,
    `    let av = As[kk * ${tm4}u + ty];`,
    `    let bv = Bs[kk * ${tn4}u + tx];`,
    ...[0, 1, 2, 3].map((i) => `    acc[${i}] = acc[${i}] + av.${'xyzw'[i]} * bv;`),
    '  }',
    '  workgroupBarrier();',
    '}',
    'for (var i = 0u; i < 4u; i = i + 1u) {',
    '  let row = tm0 + ty * 4u + i;',
    `  if (row >= ${M}) { break; }`,
    '  for (var j = 0u; j < 4u; j = j + 1u) {',
    '    let col = tn0 + tx * 4u + j;',
    `    if (col >= ${N}) { break; }`,
    `    let e = (bi * ${M} + row) * ${N} + col;`,
    '    var v = acc[i][j];',
    ...epilogue(b, p).map((l) => `    ${l}`),
    `    ${b.store(Y, 'e', 'v')}`,
    '  }',
    '}',
  ];
  return {
    shader: b.build(lines.filter(Boolean).join('\n')),
    workgroups: [factor(dimsProduct(p.batch)), factor(p.m, tile.tm), factor(p.n, tile.tn)],
    workgroupBytes: tileBytes(tile),
  };
}

/** Statements turning the accumulator `v` at (row, col), flat result index e, into the stored value. */
function epilogue(b: ShaderBuilder, p: MatmulProblem): string[] {
  const lines: string[] = [];
  if (p.alpha !== 1) lines.push(`v = v * ${f32Literal(p.alpha)};`);
  if (p.c) {
    // C right-aligned to [M, N]: a dim of 1 broadcasts.
    const [cr, cc] = [...[1, 1], ...p.c.shape].slice(-2) as [Dim, Dim];
    const terms = [...(dimEq(cr, 1) ? [] : [dimEq(cc, 1) ? 'row' : `row * ${b.dim(cc)}`]), ...(dimEq(cc, 1) ? [] : ['col'])];
    const c = b.load(b.tensor(p.c), terms.join(' + ') || '0u');
    lines.push(`v = v + ${p.beta === 1 ? c : `${f32Literal(p.beta)} * ${c}`};`);
  }
  if (p.activation === 'relu') lines.push(`v = ${reluExpr('v', 'f32')};`);
  else if (p.activation !== 'none') lines.push(`v = ${b.use(p.activation)}(v);`);
  if (p.residual) {
    const r = b.tensor(p.residual);
    const tb = trivialBroadcast(p.residual.shape, p.y.shape);
    if (tb) lines.push(`v = v + ${b.load(r, tb === 'same' ? 'e' : '0u')};`);
    else lines.push(coords(b, 'o', 'e', p.y.shape), `v = v + ${b.load(r, broadcastOffset(b, 'o', p.residual.shape, p.y.shape))};`);
  }
  return lines.flatMap((l) => l.split('\n'));
}

const isPanel = (r: TensorRef | undefined): boolean => r?.loc.kind === 'weight' && r.loc.layout === PANEL_LAYOUT;

/** f32 operands, and no weight in a layout this kernel cannot read (only B may be panel-packed). */
function checkOperands(step: Step): string | undefined {
  const refs = [...step.inputs, ...step.outputs];
  if (refs.some((r) => r && r.dtype !== 'f32')) return 'only f32 operands are supported on WebGPU yet';
  for (const [i, r] of step.inputs.entries()) {
    if (r?.loc.kind !== 'weight' || r.loc.layout === undefined) continue;
    if (i !== 1 || r.loc.layout !== PANEL_LAYOUT) return `operand ${i} is stored in layout '${r.loc.layout}', which the WebGPU matmul cannot read`;
  }
  return undefined;
}

const noBatch = { batch: [], aBatch: [], bBatch: [] } as const;

/** A 2-D B (operand 1) may stay in the wasm panel layout (`--target all`): the B loads address it in place. */
const panelB = (step: Step, index: number): readonly string[] => (index === 1 && step.inputs[1]?.shape.length === 2 ? [PANEL_LAYOUT] : []);

registerKernel({
  op: 'Linear',
  weightLayouts: panelB,
  check(step) {
    const activation = step.attrs.activation as string;
    return checkOperands(step) ?? (ACTIVATIONS.has(activation) ? undefined : `activation '${activation}' has no WebGPU epilogue`);
  },
  build(ctx, step) {
    const [x, w, bias, residual] = step.inputs;
    const y = step.outputs[0]!;
    const k = x!.shape[x!.shape.length - 1]!;
    const n = y.shape[y.shape.length - 1]!;
    return [emitMatmul(ctx, {
      a: x!, b: w!, y, ...noBatch, m: dimsProduct(y.shape.slice(0, -1)), n, k, transA: false, transB: step.attrs.trans_b === 1,
      bLayout: isPanel(w) ? 'panel' : 'dense', alpha: 1, beta: 1, activation: step.attrs.activation as Activation,
      ...(bias ? { c: bias } : {}), ...(residual ? { residual } : {}),
    })];
  },
});

registerKernel({
  op: 'Gemm',
  weightLayouts: panelB,
  check: checkOperands,
  build(ctx, step) {
    const [a, b, c] = step.inputs;
    const y = step.outputs[0]!;
    const transA = step.attrs.transA === 1;
    const [m, n] = y.shape as [Dim, Dim];
    return [emitMatmul(ctx, {
      a: a!, b: b!, y, ...noBatch, m, n, k: a!.shape[transA ? 0 : 1]!, transA, transB: step.attrs.transB === 1,
      bLayout: isPanel(b) ? 'panel' : 'dense', alpha: (step.attrs.alpha as number | undefined) ?? 1,
      beta: (step.attrs.beta as number | undefined) ?? 1, activation: 'none', ...(c ? { c } : {}),
    })];
  },
});

registerKernel({
  op: 'MatMul',
  weightLayouts: panelB,
  check: checkOperands,
  build(ctx, step) {
    let [a, b] = [step.inputs[0]!, step.inputs[1]!];
    const y = step.outputs[0]!;
    const base = { y, transA: false, transB: false, alpha: 1, beta: 1, activation: 'none' } as const;
    const n: Dim = b.shape.length === 1 ? 1 : b.shape[b.shape.length - 1]!;
    const k = a.shape[a.shape.length - 1]!;
    if (b.shape.length <= 2) {
      // One matrix B: A's leading dims flatten into M (A and Y are contiguous), whatever A's rank.
      const m = dimsProduct(a.shape.slice(0, -1));
      return [emitMatmul(ctx, { ...base, ...noBatch, a, b, m, n, k, bLayout: isPanel(b) ? 'panel' : 'dense' })];
    }
    // Batched B: a vector A is a 1×K matrix; the result's leading dims are the broadcast batch dims.
    if (a.shape.length === 1) a = { ...a, shape: [1, a.shape[0]!] };
    const aBatch = a.shape.slice(0, -2);
    const bBatch = b.shape.slice(0, -2);
    const batch = y.shape.slice(0, Math.max(aBatch.length, bBatch.length));
    return [emitMatmul(ctx, { ...base, a, b, batch, aBatch, bBatch, m: a.shape[a.shape.length - 2]!, n, k, bLayout: 'dense' })];
  },
});
