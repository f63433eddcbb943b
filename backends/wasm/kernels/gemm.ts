// MatMul and Gemm kernels: a 4x8 f32x4 register-tile GEMM over compile-time packed weight panels or row-major
// activations, with cache blocking over K and N and a fused store epilogue (alpha, bias/C, activation, residual).

import binaryen from 'binaryen';
import { type Dim, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, type WasmFeatures, registerKernel } from '../kernel.js';
import { geluErfF32x4, geluTanhF32x4 } from '../math.js';
import { NR, PANEL_LAYOUT, packWeightTensor } from '../pack.js';
import { Fn, type Local } from '../simd.js';

const { i32, v128, none } = binaryen;

/** Rows of the register tile: 4x8 keeps 8 accumulators + 2 B vectors + 1 splat in V8's 16 xmm registers. */
export const MR = 4;
/** Rows of the relaxed-SIMD super tile (3 x 12: 9 accumulators + 3 B vectors + 3 hoisted splats). */
export const SUPER_MR = 3;
/** Default K block: a 4-row A block (4 KB) and an 8-column B block (8 KB) stay in L1 together. */
export const DEFAULT_KC = 256;
/** N block in panels for wide packed B. */
export const NC_PANELS = 32;
/** N block in panels for relaxed super tiles: a multiple of 3 (three panels per pair of 3x12 tiles). */
export const NC_PANELS_SUPER = 24;

/**
 * What the store does to each result element, in this order: y = alpha * acc (+ beta * bias) -> activation
 * (+ residual). Fused ops put this in their attrs (`epilogue`); Gemm derives it from alpha/beta/C.
 */
export interface GemmEpilogue {
  readonly alpha: number;
  /** A bias operand broadcast to [M, N]: scalar, row (one value per column: [N], [1, N]), col ([M, 1]), full [M, N]. */
  readonly bias?: { readonly form: 'scalar' | 'row' | 'col' | 'full'; readonly beta: number };
  /** A key of `gemmActivations`. */
  readonly activation?: string;
  /** Adds an [M, N] tensor after the activation. */
  readonly residual?: boolean;
}

/** An activation applied to one f32x4 local in the GEMM store (keys are Linear's `activation` values). */
export type GemmActivation = (f: Fn, x: Local) => Expr;

export const gemmActivations = new Map<string, GemmActivation>([
  // pmax(0, x) = 0 < x ? x : 0: NaN gives 0, like the reference's x > 0 ? x : 0.
  ['relu', (f, x) => f.m.f32x4.pmax(f.zero(), f.get(x))],
  ['gelu', geluErfF32x4],
  ['gelu_tanh', geluTanhF32x4],
]);

export interface GemmCoreSpec {
  /** B as packed NR-column panels (K and N static), row-major [K, N] ('rows'), or Bᵀ row-major [N, K] ('cols', scalar). */
  readonly b: 'packed' | 'rows' | 'cols';
  /** Static dims; undefined means the function reads them from its params at run time. */
  readonly K?: number;
  readonly N?: number;
  readonly transA: boolean;
  readonly epilogue: GemmEpilogue;
  /** K block size (packed B only); K <= kc means one block. */
  readonly kc?: number;
  /** N block size in panels (packed B only); undefined: all panels. */
  readonly ncPanels?: number;
  /** M block size in rows (a multiple of MR; packed B only): the K and N loops run per block of mc rows. */
  readonly mc?: number;
  /** Loop order of relaxed super tiles (packed B): 'rows' (default) or 'panels', see buildGemmCore. */
  readonly order?: 'rows' | 'panels';
}

/** Params of every GEMM core function: a, b, c, M, K, N, bias, residual (byte addresses and element counts). */
export const GEMM_PARAMS = binaryen.createType([i32, i32, i32, i32, i32, i32, i32, i32]);

function epilogueKey(e: GemmEpilogue): string {
  const parts = [`a${e.alpha}`];
  if (e.bias) parts.push(`b${e.bias.form}${e.bias.beta}`);
  if (e.activation) parts.push(e.activation);
  if (e.residual) parts.push('res');
  return parts.join('_');
}

/** The function name for a spec: every parameter the body depends on. */
export function gemmCoreName(spec: GemmCoreSpec, features: WasmFeatures): string {
  const kc = spec.b === 'packed' ? Math.min(spec.kc ?? DEFAULT_KC, spec.K!) : 0;
  return [`gemm_${spec.b}`, `K${spec.K ?? 'x'}`, `N${spec.N ?? 'x'}`, spec.transA ? 'tA' : 'nA', `kc${kc}`,
    `nc${spec.ncPanels ?? 'all'}`, ...(spec.mc ? [`mc${spec.mc}`] : []), ...(spec.order && spec.order !== 'rows' ? [spec.order] : []), epilogueKey(spec.epilogue), features.relaxedSimd ? 'relaxed' : 'simd'].join('_').replace(/[.-]/g, 'p');
}

/** One B vector of a register tile: its byte offset from the B pointer, its first column, its live lanes. */
interface TileVec { readonly bOff: number; readonly col: number; readonly lanes: number }

/** A stride or extent: a static number (folded into offsets) or a local read at run time. */
type Val = number | Local;

/** Builds the GEMM core function body: C[M, N] = epilogue(A[M, K] · B[K, N]); params as GEMM_PARAMS. */
export function buildGemmCore(m: binaryen.Module, features: WasmFeatures, spec: GemmCoreSpec): { vars: binaryen.Type[]; body: Expr } {
  const f = new Fn(m, features, [i32, i32, i32, i32, i32, i32, i32, i32]);
  const [pa, pb, pc, pM, pK, pN, pBias, pRes] = f.params as [Local, Local, Local, Local, Local, Local, Local, Local];
  const ep = spec.epilogue;
  const packed = spec.b === 'packed';
  if (packed && (spec.K === undefined || spec.N === undefined)) throw new Error('packed GEMM needs static K and N');
  const val = (v: Val): Expr => (typeof v === 'number' ? f.i32(v) : f.get(v));
  const K: Val = spec.K ?? pK;
  const N: Val = spec.N ?? pN;
  const init: Expr[] = [];
  const runtime = (e: Expr): Local => {
    const l = f.local(i32);
    init.push(f.set(l, e));
    return l;
  };
  // Byte strides: A rows and k steps (transA swaps them), C rows, B k steps.
  const aRowB: Val = spec.transA ? 4 : typeof K === 'number' ? K * 4 : runtime(f.mulN(f.get(pK), 4));
  const aKB: Val = spec.transA ? runtime(f.mulN(f.get(pM), 4)) : 4;
  const ldcB: Val = typeof N === 'number' ? N * 4 : runtime(f.mulN(f.get(pN), 4));
  const bKB: Val = packed ? NR * 4 : ldcB;
  // Scalar bias, pre-multiplied by beta, splatted once.
  const biasS = ep.bias?.form === 'scalar' ? f.local(v128) : undefined;
  if (biasS) init.push(f.set(biasS, f.splat(m.f32.mul(f.loadF32(f.get(pBias)), m.f32.const(ep.bias!.beta)))));

  // Loop state shared by the emitters below.
  const i = f.local(i32); // first row of the current row block
  const ap = f.local(i32); // A at (row i, k0)
  const bp = f.local(i32); // B at (k0, current panel)
  const cOff = f.local(i32); // byte offset of (i, j) in any [M, N] operand (C, full bias, residual)
  const jB = f.local(i32); // j * 4
  const k0 = f.local(i32);
  const kn = f.local(i32);
  const kLeft = f.local(i32);
  const aPtr = f.local(i32);
  const bPtr = f.local(i32);
  const p = f.local(i32);
  const pStart = f.local(i32);
  const pEnd = f.local(i32);
  const pEnd3 = f.local(i32);
  // Relaxed SIMD over packed panels: 3-row x 12-column tiles (two per three panels) keep 9 FMA chains in flight;
  // V8 hoists a tile's loads, so 4x8 (8 chains) and 3x12 are the shapes that fit its 15 usable xmm registers.
  const superTiles = packed && features.relaxedSimd;
  const mr = superTiles ? SUPER_MR : MR;
  const rowPtrs = typeof aRowB === 'number' ? [] : Array.from({ length: mr }, () => f.local(i32));
  const acc = Array.from({ length: superTiles ? SUPER_MR * 3 : MR * 2 }, () => f.local(v128));
  const vb = Array.from({ length: superTiles ? 3 : 2 }, () => f.local(v128));
  const vs = f.local(v128);
  const tmp = f.local(v128);
  const sAcc = f.local(binaryen.f32);

  const kc = packed ? Math.min(spec.kc ?? DEFAULT_KC, spec.K!) : undefined;
  const oneKBlock = kc === undefined || kc >= spec.K!;
  const kStatic = typeof K === 'number' && K > 0;

  /** [address (a fresh expression per call), static offset] of row r of an [M, N] operand at the current tile. */
  const rowAt = (base: Local, r: number): [() => Expr, number] =>
    typeof ldcB === 'number'
      ? [() => f.add(f.get(base), f.get(cOff)), r * ldcB]
      : [() => f.add(f.add(f.get(base), f.get(cOff)), f.mulN(f.get(ldcB), r)), 0];

  /** alpha * acc + beta * bias for row r, columns [col, col + lanes) of the tile (before the activation). */
  const affine = (x: Local, r: number, col: number, lanes: number): Expr => {
    let e = f.get(x);
    if (ep.alpha !== 1) e = f.fmul(e, f.splatConst(ep.alpha));
    if (ep.bias) {
      const { form, beta } = ep.bias;
      let b: Expr;
      if (form === 'scalar') b = f.get(biasS!);
      else if (form === 'col') b = f.splatLoad(f.add(f.get(pBias), f.mulN(f.get(i), 4)), r * 4);
      else if (form === 'row') b = f.loadLanes(() => f.add(f.get(pBias), f.get(jB)), col * 4, lanes);
      else {
        const [addr, off] = rowAt(pBias, r);
        b = f.loadLanes(addr, off + col * 4, lanes);
      }
      if (beta !== 1 && form !== 'scalar') b = f.fmul(b, f.splatConst(beta));
      e = f.fadd(e, b);
    }
    return e;
  };

  /** Stores acc vector `x` as row r, columns [col, col + lanes) of the tile; the epilogue applies when `last`. */
  const storeVec = (x: Local, r: number, col: number, lanes: number, last: boolean): Expr[] => {
    const out: Expr[] = [f.set(tmp, last ? affine(x, r, col, lanes) : f.get(x))];
    if (last && ep.activation) {
      const act = gemmActivations.get(ep.activation);
      if (!act) throw new Error(`GEMM epilogue: unknown activation '${ep.activation}'`);
      out.push(f.set(tmp, act(f, tmp)));
    }
    if (last && ep.residual) {
      const [addr, off] = rowAt(pRes, r);
      out.push(f.set(tmp, f.fadd(f.get(tmp), f.loadLanes(addr, off + col * 4, lanes))));
    }
    const [addr, off] = rowAt(pc, r);
    out.push(...f.storeLanes(addr, off + col * 4, () => f.get(tmp), lanes));
    return out;
  };

  /** One rows x vecs tile at (i, jB) over k in [k0, k0 + kn): B vectors at bp + v.bOff, A at ap, C at cOff. */
  const tile = (rows: number, vecs: readonly TileVec[]): Expr[] => {
    const nv = vecs.length;
    const accOf = (r: number, v: number): Local => acc[r * nv + v]!;
    const each = (fn: (r: number, v: number) => Expr[]): Expr[] => {
      const out: Expr[] = [];
      for (let r = 0; r < rows; r++) for (let v = 0; v < nv; v++) out.push(...fn(r, v));
      return out;
    };
    const out: Expr[] = [];
    const zero = each((r, v) => [f.set(accOf(r, v), f.zero())]);
    if (oneKBlock) out.push(...zero);
    else {
      const reload = each((r, v) => {
        const [addr, off] = rowAt(pc, r);
        return [f.set(accOf(r, v), f.loadLanes(addr, off + vecs[v]!.col * 4, vecs[v]!.lanes))];
      });
      out.push(f.if(m.i32.eqz(f.get(k0)), zero, reload));
    }
    out.push(f.set(aPtr, f.get(ap)), f.set(bPtr, f.get(bp)), f.set(kLeft, f.get(kn)));
    for (let r = 0; r < rows && rowPtrs.length; r++) out.push(f.set(rowPtrs[r]!, f.add(f.get(ap), f.mulN(f.get(aRowB as Local), r))));
    const step: Expr[] = [];
    for (let v = 0; v < nv; v++) step.push(f.set(vb[v]!, f.load(f.get(bPtr), vecs[v]!.bOff)));
    for (let r = 0; r < rows; r++) {
      step.push(f.set(vs, rowPtrs.length ? f.splatLoad(f.get(rowPtrs[r]!)) : f.splatLoad(f.get(aPtr), r * (aRowB as number))));
      for (let v = 0; v < nv; v++) step.push(f.set(accOf(r, v), f.madd(f.get(vs), f.get(vb[v]!), f.get(accOf(r, v)))));
    }
    if (rowPtrs.length) for (let r = 0; r < rows; r++) step.push(f.inc(rowPtrs[r]!, val(aKB)));
    else step.push(f.inc(aPtr, val(aKB)));
    step.push(f.inc(bPtr, val(bKB)));
    const loop = f.countDown(kLeft, step);
    out.push(kStatic ? loop : f.if(m.i32.gt_s(f.get(kLeft), f.i32(0)), [loop]));
    const stores = (last: boolean): Expr[] => each((r, v) => storeVec(accOf(r, v), r, vecs[v]!.col, vecs[v]!.lanes, last));
    if (oneKBlock) out.push(...stores(true));
    else out.push(f.if(m.i32.ge_s(f.add(f.get(k0), f.get(kn)), val(K)), stores(true), stores(false)));
    return out;
  };
  /** The vectors of one panel's tile: columns [0, lanes) of the panel at bp. */
  const panelVecs = (lanes: number): TileVec[] =>
    lanes > 4 ? [{ bOff: 0, col: 0, lanes: 4 }, { bOff: 16, col: 4, lanes: lanes - 4 }] : [{ bOff: 0, col: 0, lanes }];

  // Panels: full NR-column panels, then (packed) one zero-padded edge panel with masked stores.
  const nFull: Val = typeof N === 'number' ? Math.floor(N / NR) : runtime(m.i32.shr_u(f.get(pN), f.i32(3)));
  const edge = packed ? (spec.N! % NR) : 0;
  const panelB = packed ? spec.K! * NR * 4 : NR * 4; // bytes between panels at equal k
  // N blocks of ncPanels panels; the edge panel (index nFull) goes with the block that covers it.
  const ncPanels = packed && spec.ncPanels !== undefined && spec.ncPanels <= (nFull as number) ? spec.ncPanels : undefined;

  // Rows [mStart, mEnd): all of M, or one M block.
  const mc = packed && spec.mc !== undefined && spec.mc % mr === 0 ? spec.mc : undefined;
  const [mStart, mEnd] = mc === undefined ? [undefined, pM] : [f.local(i32), f.local(i32)];
  let labels = 0;
  /** `body(mr)` for every full block of mr rows at i, then `body(r)` for the r < mr rows left. */
  const rowsOf = (body: (rows: number) => Expr[]): Expr[] => {
    const [out, loop] = [`rows${labels}`, `rowl${labels++}`];
    return [
      f.set(i, mStart ? f.get(mStart) : f.i32(0)),
      m.block(out, [m.loop(loop, f.block([
        m.br(out, m.i32.gt_s(f.addN(f.get(i), mr), f.get(mEnd))),
        ...body(mr),
        f.incN(i, mr),
        m.br(loop),
      ]))]),
      ...Array.from({ length: mr - 1 }, (_, r) => r + 1).map((r) => f.if(m.i32.eq(m.i32.sub(f.get(mEnd), f.get(i)), f.i32(r)), body(r))),
    ];
  };
  /** Points ap, bp, cOff and jB at row i, panel `panel`, k0. */
  const at = (panel: Local): Expr[] => [
    f.set(ap, f.add(f.add(f.get(pa), f.mul(f.get(i), val(aRowB))), f.mul(f.get(k0), val(aKB)))),
    f.set(bp, f.add(f.add(f.get(pb), f.mulN(f.get(panel), panelB)), f.mul(f.get(k0), val(bKB)))),
    f.set(cOff, f.add(f.mul(f.get(i), val(ldcB)), f.mulN(f.get(panel), NR * 4))),
    f.set(jB, f.mulN(f.get(panel), NR * 4)),
  ];
  // Relaxed super tiles: three panels at a time as two 3x12 tiles, columns 0-11 and 12-23 of panels p, p+1, p+2.
  const super1: TileVec[] = [{ bOff: 0, col: 0, lanes: 4 }, { bOff: 16, col: 4, lanes: 4 }, { bOff: panelB, col: 8, lanes: 4 }];
  const super2: TileVec[] = [{ bOff: panelB + 16, col: 12, lanes: 4 }, { bOff: 2 * panelB, col: 16, lanes: 4 }, { bOff: 2 * panelB + 16, col: 20, lanes: 4 }];
  const edgeGuard = (e: Expr[]): Expr[] =>
    edge === 0 ? [] : ncPanels === undefined ? e : [f.if(m.i32.gt_s(f.addN(f.get(pStart), ncPanels), val(nFull)), e)];
  const order = superTiles ? (spec.order ?? 'rows') : 'rows';

  /** All panels [pStart, pEnd) (plus the edge panel after the last full one) for a block of `rows` rows at i. */
  const rowBlock = (rows: number): Expr[] => [
    f.set(p, f.get(pStart)),
    ...at(p),
    ...(superTiles ? [
      f.set(pEnd3, m.i32.sub(f.get(pEnd), f.i32(2))),
      f.forRange(p, f.get(p), () => f.get(pEnd3), 3, [
        ...tile(rows, super1), ...tile(rows, super2),
        f.incN(bp, 3 * panelB), f.incN(cOff, 3 * NR * 4), f.incN(jB, 3 * NR * 4),
      ]),
    ] : []),
    f.forRange(p, f.get(p), () => f.get(pEnd), 1, [
      ...tile(rows, panelVecs(NR)), f.incN(bp, panelB), f.incN(cOff, NR * 4), f.incN(jB, NR * 4),
    ]),
    ...edgeGuard(tile(rows, panelVecs(edge))),
  ];

  // 'rows': for each row block, every panel (B streams from L2, A's rows stay in L1); 'panels': for each group of
  // three panels, every row block (the group's K x 24 B block stays in L1, A's rows stream from L2).
  const rowLoop: Expr[] = order === 'rows' ? rowsOf(rowBlock) : [
    f.set(p, f.get(pStart)),
    f.set(pEnd3, m.i32.sub(f.get(pEnd), f.i32(2))),
    f.forRange(p, f.get(p), () => f.get(pEnd3), 3, rowsOf((rows) => [...at(p), ...tile(rows, super1), ...tile(rows, super2)])),
    f.forRange(p, f.get(p), () => f.get(pEnd), 1, rowsOf((rows) => [...at(p), ...tile(rows, panelVecs(NR))])),
    ...edgeGuard(rowsOf((rows) => [...at(p), ...tile(rows, panelVecs(edge))])),
  ];

  const panelsLoop: Expr[] = ncPanels === undefined
    ? [f.set(pStart, f.i32(0)), f.set(pEnd, val(nFull)), ...rowLoop]
    : [f.forRange(pStart, f.i32(0), () => f.i32((nFull as number) + (edge ? 1 : 0)), ncPanels, [
      f.set(pEnd, f.addN(f.get(pStart), ncPanels)),
      f.if(m.i32.gt_s(f.get(pEnd), val(nFull)), [f.set(pEnd, val(nFull))]),
      ...rowLoop,
    ])];
  const body: Expr[] = [...init];
  const kLoop: Expr[] = [];
  if (spec.b === 'cols') {
    // Bᵀ operands are not vectorized: the dot-product loop below does every column.
  } else if (oneKBlock) kLoop.push(f.set(k0, f.i32(0)), f.set(kn, val(K)), ...panelsLoop);
  else {
    kLoop.push(f.forRange(k0, f.i32(0), () => val(K), kc!, [
      f.set(kn, m.i32.sub(val(K), f.get(k0))),
      f.if(m.i32.gt_s(f.get(kn), f.i32(kc!)), [f.set(kn, f.i32(kc!))]),
      ...panelsLoop,
    ]));
  }
  if (mStart === undefined) body.push(...kLoop);
  else {
    body.push(f.forRange(mStart, f.i32(0), () => f.get(pM), mc!, [
      f.set(mEnd, f.addN(f.get(mStart), mc!)),
      f.if(m.i32.gt_s(f.get(mEnd), f.get(pM)), [f.set(mEnd, f.get(pM))]),
      ...kLoop,
    ]));
  }

  // Columns the vector tiles leave (row-major B past the last full panel; every column for Bᵀ): one dot product each.
  if (!packed) {
    const j = f.local(i32);
    const k = f.local(i32);
    const aAt = f.add(f.add(f.get(pa), f.mul(f.get(i), val(aRowB))), f.mul(f.get(k), val(aKB)));
    const bAt = spec.b === 'rows'
      ? f.add(f.add(f.get(pb), f.mul(f.get(k), val(ldcB))), f.mulN(f.get(j), 4))
      : f.add(f.add(f.get(pb), f.mulN(f.mul(f.get(j), val(K)), 4)), f.mulN(f.get(k), 4));
    body.push(f.forRange(i, f.i32(0), () => f.get(pM), 1, [
      f.forRange(j, spec.b === 'rows' ? f.mulN(val(nFull), NR) : f.i32(0), () => val(N), 1, [
        f.set(sAcc, m.f32.const(0)),
        f.forRange(k, f.i32(0), () => val(K), 1, [f.set(sAcc, m.f32.add(f.get(sAcc), m.f32.mul(f.loadF32(aAt), f.loadF32(bAt))))]),
        f.set(cOff, f.add(f.mul(f.get(i), val(ldcB)), f.mulN(f.get(j), 4))),
        f.set(jB, f.mulN(f.get(j), 4)),
        f.set(acc[0]!, f.splat(f.get(sAcc))),
        ...storeVec(acc[0]!, 0, 0, 1, true),
      ]),
    ]));
  }
  return { vars: f.varTypes, body: f.block(body) };
}

/**
 * A module with only GEMM cores (exported as `gemm0`, `gemm1`, ...) and an exported memory of `pages` 64 KiB
 * pages: for micro-benchmarks and kernel tests that run a core without a schedule. Returns the wasm bytes.
 */
export function gemmStandaloneModule(specs: readonly GemmCoreSpec[], features: WasmFeatures, pages: number): Uint8Array {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | (features.relaxedSimd ? binaryen.Features.RelaxedSIMD : 0));
  m.setMemory(pages, 65536, 'memory');
  specs.forEach((spec, n) => {
    const name = gemmCoreName(spec, features);
    if (!m.getFunction(name)) {
      const { vars, body } = buildGemmCore(m, features, spec);
      m.addFunction(name, GEMM_PARAMS, none, vars, body);
    }
    m.addFunctionExport(name, `gemm${n}`);
  });
  if (!m.validate()) throw new Error('gemm standalone module does not validate');
  m.optimize();
  const bytes = m.emitBinary();
  m.dispose();
  return bytes;
}

// ---------------------------------------------------------------------------------------------------------
// Kernels

/** One GEMM as a kernel call: C[M, N] = epilogue(op(A) · op(B)) on placed tensors. */
export interface GemmCall {
  readonly a: TensorRef;
  readonly b: TensorRef;
  readonly c: TensorRef;
  readonly M: Dim;
  readonly K: Dim;
  readonly N: Dim;
  readonly transA: boolean;
  /** B is given transposed ([N, K]); ignored for packed B (packing already transposed it). */
  readonly transB: boolean;
  readonly epilogue: GemmEpilogue;
  readonly bias?: TensorRef;
  readonly residual?: TensorRef;
}

const isPacked = (ref: TensorRef): boolean => ref.loc.kind === 'weight' && ref.loc.layout === PANEL_LAYOUT;
const staticOr = (d: Dim): number | undefined => (typeof d === 'number' ? d : undefined);

/** The core spec of a call (static K and N baked in when known). */
function coreSpec(call: GemmCall, relaxed: boolean): GemmCoreSpec {
  const base = { K: staticOr(call.K), N: staticOr(call.N), transA: call.transA, epilogue: call.epilogue };
  if (isPacked(call.b)) return { ...base, b: 'packed', ...gemmBlocking(call.K as number, call.N as number, relaxed) };
  return { ...base, b: call.transB ? 'cols' : 'rows' };
}

/**
 * Cache blocking for packed B, chosen by measurement (bench/gemm.ts --sweep, bench/gemm-ab.ts, bench/model-ab.ts;
 * a loaded 2-core machine, so only coarse differences count): one K block up to K = 512 (the 8-column B panel
 * then stays in L1 across the row blocks), else KC = 256; N blocks of 32 panels (256 columns: a 256 x 256 B block,
 * 256 KB, stays in L2) when N is wider than that. An M block loop (GemmCoreSpec.mc) exists but stays off: at
 * MiniLM's shapes (M = 128, 512; 2 MB of L2 per core) it measured no better, nor did other KC / NC choices beyond
 * the noise, nor a 6-row tile.
 * Relaxed super tiles: with one K block, 'panels' order and no N blocks (MiniLM 128x384x384 and 128x384x1536
 * about 2 % faster); with K blocks, 'rows' order and N blocks of 24 panels, a multiple of 3, so that no panel
 * falls to the 3x8 tile (6 FMA chains: latency-bound), 1-2 % faster than 32 on 128x1536x384 and 128x384x384.
 */
export function gemmBlocking(K: number, N: number, relaxed: boolean): Pick<GemmCoreSpec, 'kc' | 'ncPanels' | 'order'> {
  const t = gemmTuning;
  const kc = K <= 512 ? K : DEFAULT_KC;
  const order = relaxed ? (t.order ?? (kc === K ? 'panels' : 'rows')) : 'rows';
  const nc = !relaxed ? NC_PANELS : t.ncPanelsRelaxed !== undefined ? t.ncPanelsRelaxed : order === 'rows' ? NC_PANELS_SUPER : null;
  return { kc, ...(nc !== null && N > nc * NR ? { ncPanels: nc } : {}), ...(relaxed ? { order } : {}) };
}

/** Overrides of `gemmBlocking`'s relaxed-SIMD choices for measurement (bench/model-ab.ts, bench/profile.ts --tuning). */
export const gemmTuning: { order?: 'rows' | 'panels'; ncPanelsRelaxed?: number | null } = {};

/** Emits one GEMM (the core function once per specialization, and its call in run()). */
export function emitGemm(ctx: KernelContext, call: GemmCall): Expr {
  const spec = coreSpec(call, ctx.features.relaxedSimd === true);
  const name = ctx.fn(gemmCoreName(spec, ctx.features), GEMM_PARAMS, none, (m) => buildGemmCore(m, ctx.features, spec));
  const zero = ctx.module.i32.const(0);
  return ctx.module.call(name, [ctx.ptr(call.a), ctx.ptr(call.b), ctx.ptr(call.c), ctx.dim(call.M), ctx.dim(call.K), ctx.dim(call.N),
    call.bias ? ctx.ptr(call.bias) : zero, call.residual ? ctx.ptr(call.residual) : zero], none);
}

/** How a Gemm C operand of `shape` broadcasts to [M, N]. */
function biasForm(shape: readonly Dim[]): 'scalar' | 'row' | 'col' | 'full' {
  const one = (d: Dim | undefined): boolean => d === undefined || d === 1;
  if (shape.every((d) => d === 1)) return 'scalar';
  if (shape.length === 1 || one(shape[0])) return 'row';
  return one(shape[1]) ? 'col' : 'full';
}

const needF32 = (step: Step): string | undefined =>
  step.outputs[0]!.dtype === 'f32' ? undefined : `only f32 is supported, got ${step.outputs[0]!.dtype}`;

registerKernel({
  op: 'Gemm',
  check: needF32,
  packWeight(step, index, t) {
    if (index !== 1 || t.dtype !== 'f32' || t.rank !== 2) return undefined;
    const transB = step.attrs.transB === 1;
    return { layout: PANEL_LAYOUT, pack: (w) => packWeightTensor(w, transB) };
  },
  emit(ctx, step) {
    const [a, b, c] = step.inputs as [TensorRef, TensorRef, TensorRef | undefined];
    const y = step.outputs[0]!;
    const transA = step.attrs.transA === 1;
    const alpha = (step.attrs.alpha as number | undefined) ?? 1;
    const beta = (step.attrs.beta as number | undefined) ?? 1;
    const [M, N] = y.shape as [Dim, Dim];
    const K = transA ? a.shape[0]! : a.shape[1]!;
    const epilogue: GemmEpilogue = { alpha, ...(c ? { bias: { form: biasForm(c.shape), beta } } : {}) };
    return emitGemm(ctx, { a, b, c: y, M, K, N, transA, transB: step.attrs.transB === 1, epilogue, bias: c });
  },
});

registerKernel({
  op: 'MatMul',
  check: needF32,
  packWeight(_step, index, t) {
    if (index !== 1 || t.dtype !== 'f32' || t.rank !== 2) return undefined;
    return { layout: PANEL_LAYOUT, pack: (w) => packWeightTensor(w, false) };
  },
  emit(ctx, step) {
    const [a, b] = step.inputs as [TensorRef, TensorRef];
    const y = step.outputs[0]!;
    const K = a.shape[a.shape.length - 1]!;
    const N: Dim = b.shape.length === 1 ? 1 : b.shape[b.shape.length - 1]!;
    const epilogue = { alpha: 1 };
    if (b.shape.length <= 2) {
      // One matrix B: A's leading dims flatten into M (A is contiguous), whatever its rank.
      const M = dimsProduct(a.shape.slice(0, -1));
      return emitGemm(ctx, { a, b, c: y, M, K, N, transA: false, transB: false, epilogue });
    }
    return emitBatched(ctx, step, a, b, y, K, N);
  },
});

/**
 * Batched MatMul with broadcast batch dims (attention's Q·Kᵀ and P·V): a function loops over the result's
 * batch index and calls the row-major core on each pair of matrices (a broadcast operand's offset stays put).
 */
function emitBatched(ctx: KernelContext, step: Step, a: TensorRef, b: TensorRef, y: TensorRef, K: Dim, N: Dim): Expr {
  const M: Dim = a.shape.length === 1 ? 1 : a.shape[a.shape.length - 2]!;
  const batch = y.shape.slice(0, y.shape.length - (a.shape.length > 1 ? 1 : 0) - 1);
  const r = batch.length;
  const padded = (s: readonly Dim[], mat: number): Dim[] => {
    const own = s.slice(0, Math.max(0, s.length - mat));
    return [...new Array<Dim>(r - own.length).fill(1), ...own];
  };
  const aB = padded(a.shape, a.shape.length === 1 ? 1 : 2);
  const bB = padded(b.shape, 2);
  // Per batch dim: does the operand step through it (not a broadcast 1)?
  const aSteps = batch.map((d, i) => !(aB[i] === 1 && d !== 1));
  const bSteps = batch.map((d, i) => !(bB[i] === 1 && d !== 1));
  const spec: GemmCoreSpec = { b: 'rows', K: staticOr(K), N: staticOr(N), transA: false, epilogue: { alpha: 1 } };
  const core = ctx.fn(gemmCoreName(spec, ctx.features), GEMM_PARAMS, none, (m) => buildGemmCore(m, ctx.features, spec));
  const flags = (x: boolean[]): string => x.map((s) => (s ? '1' : '0')).join('');
  const name = `${core}_batch${r}_${flags(aSteps)}_${flags(bSteps)}`;
  const params = binaryen.createType(new Array<binaryen.Type>(6 + r).fill(i32));
  ctx.fn(name, params, none, (m) => {
    const f = new Fn(m, ctx.features, new Array<binaryen.Type>(6 + r).fill(i32));
    const [pa, pb, pc, pM, pK, pN] = f.params as Local[];
    const dims = f.params.slice(6);
    const [total, p, rem, idx, aMat, bMat, aMul, bMul] = [0, 1, 2, 3, 4, 5, 6, 7].map(() => f.local(i32)) as Local[];
    const body: Expr[] = [f.set(total, f.i32(1)), ...dims.map((d) => f.set(total!, f.mul(f.get(total!), f.get(d))))];
    const decompose: Expr[] = [f.set(rem!, f.get(p!)), f.set(aMat!, f.i32(0)), f.set(bMat!, f.i32(0)), f.set(aMul!, f.i32(1)), f.set(bMul!, f.i32(1))];
    for (let d = r - 1; d >= 0; d--) {
      decompose.push(f.set(idx!, m.i32.rem_u(f.get(rem!), f.get(dims[d]!))), f.set(rem!, m.i32.div_u(f.get(rem!), f.get(dims[d]!))));
      for (const [steps, mat, mul] of [[aSteps, aMat, aMul], [bSteps, bMat, bMul]] as const) {
        if (steps[d]) decompose.push(f.inc(mat!, f.mul(f.get(idx!), f.get(mul!))), f.set(mul!, f.mul(f.get(mul!), f.get(dims[d]!))));
      }
    }
    const mk = f.mulN(f.mul(f.get(pM!), f.get(pK!)), 4);
    body.push(f.forRange(p!, f.i32(0), () => f.get(total!), 1, [
      ...decompose,
      m.call(core, [
        f.add(f.get(pa!), f.mul(f.get(aMat!), mk)),
        f.add(f.get(pb!), f.mulN(f.mul(f.get(bMat!), f.mul(f.get(pK!), f.get(pN!))), 4)),
        f.add(f.get(pc!), f.mulN(f.mul(f.get(p!), f.mul(f.get(pM!), f.get(pN!))), 4)),
        f.get(pM!), f.get(pK!), f.get(pN!), f.i32(0), f.i32(0),
      ], none),
    ]));
    return { vars: f.varTypes, body: f.block(body) };
  });
  void step;
  return ctx.module.call(name, [ctx.ptr(a), ctx.ptr(b), ctx.ptr(y), ctx.dim(M), ctx.dim(K), ctx.dim(N), ...batch.map((d) => ctx.dim(d))], none);
}
