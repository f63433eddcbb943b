// The fused Attention kernel: tiled online-softmax (flash-style) attention that never materializes the scores.
//
// Per head (the leading dims, each operand addressed through its own strides, zero on broadcast dims) and per
// block of MR = 4 query rows, key blocks of 4·keySubs keys (default 8) are visited in order: S = scale·Q_blk·K_blkᵀ
// (one f32x4 per row and 4-key sub-block), the mask (additive, or bool keep/drop, from the mask's own strides) and the validity of
// each lane (key < Sk; causal: key <= row + Sk - Sq) turn scores into -inf, then the running row max m and sum l
// are updated once per block with the rescale alpha = exp(m_old - m_new), and O = alpha·O + P·V_blk is accumulated in f32x4
// directly in the output rows (Y belongs to this step, so no scratch memory is needed: the only state besides Y
// is a few v128 locals). The last step divides O by l. Causal blocks above the diagonal are never visited.
// A row whose keys are all dropped (m = -inf) gives NaN, like the reference (softmax over -inf).
//
// Two ways to compute S (chosen per step; `attentionTuning.strategy` forces one, for benchmarks and tests):
//  'dot'  SIMD over the head dim: four accumulators per row (one per key) over Dk/4 vectors, reduced by a 4x4
//         transpose-add into one f32x4 of scores — K rows must be contiguous along d (every layout but k_transposed);
//  'keys' SIMD over keys: per d, a vector of 4 keys (a v128 load when K is given transposed, else a 4-lane
//         gather) times the splatted Q[r, d].
// Dk and Dv are baked in (static); batch, heads, Sq, Sk and every stride are run-time i32 params.

import binaryen from 'binaryen';
import { type Dim, dimDiv, dimMul, isStaticDim } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, type WasmFeatures, registerKernel } from '../kernel.js';
import { expF32x4 } from '../math.js';
import { Fn, type Local } from '../simd.js';

const { i32, v128, none } = binaryen;

/** Query rows per block. */
const MR = 4;
/** Keys per block (one f32x4 of scores per row). */
const KB = 4;

export type AttentionStrategy = 'dot' | 'keys';

/** Knobs for measurement: `strategy` 'auto' picks 'dot' unless K is given transposed; `rowGroup` = rows sharing K loads in 'dot'. */
export const attentionTuning: { strategy: 'auto' | AttentionStrategy; rowGroup: 1 | 2 | 4; keySubs: 1 | 2 } = { strategy: 'auto', rowGroup: 2, keySubs: 2 };

type MaskKind = 'none' | 'additive' | 'keep' | 'drop';

/** Everything the function body is specialized on. */
interface Spec {
  readonly dk: number;
  readonly dv: number;
  readonly strategy: AttentionStrategy;
  readonly rowGroup: number;
  /** Sub-blocks of 4 keys per softmax update (the rescale and the O traffic are paid once per 4·keySubs keys). */
  readonly keySubs: number;
  /** K given as [.., Dk, Sk]: keys 4 bytes apart, d steps a run-time stride. */
  readonly kT: boolean;
  readonly mask: MaskKind;
  /** Element stride of the mask along keys: 0 (broadcast) or 1. */
  readonly maskCol: 0 | 1;
  readonly causal: boolean;
  readonly scale: number;
  /** Number of leading (head) dims, >= 1. */
  readonly nLead: number;
}

function specName(s: Spec, features: WasmFeatures): string {
  return ['xfc_attn', `dk${s.dk}`, `dv${s.dv}`, s.strategy, `g${s.rowGroup}`, `k${s.keySubs}`, s.kT ? 'kT' : 'kN', `m${s.mask}${s.maskCol}`,
    s.causal ? 'causal' : 'full', `s${s.scale}`, `l${s.nLead}`, features.relaxedSimd ? 'x' : 's'].join('_').replace(/[.\-+]/g, 'p');
}

/** Fixed params before the per-lead-dim ones. */
const FIXED = ['q', 'k', 'v', 'mask', 'y', 'sq', 'sk', 'qRow', 'kRow', 'vRow', 'yRow', 'mRow', 'kD'] as const;
/** Per leading dim: its size and each operand's byte stride along it. */
const PER_LEAD = ['size', 'q', 'k', 'v', 'y', 'm'] as const;

/** lanes32([a, b, c, d]) as byte indices for i8x16.shuffle over two vectors (lanes 0..7). */
const lanes32 = (l: readonly number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

/** Builds the attention function body; params as FIXED then PER_LEAD per leading dim (all i32). */
function buildAttention(m: binaryen.Module, features: WasmFeatures, s: Spec): { vars: binaryen.Type[]; body: Expr } {
  const f = new Fn(m, features, new Array<binaryen.Type>(FIXED.length + PER_LEAD.length * s.nLead).fill(i32));
  const P = f.params;
  const [pq, pk, pv, pm, py, Sq, Sk, qRow, kRow, vRow, yRow, mRow, kD] = P as Local[];
  const lead = Array.from({ length: s.nLead }, (_, e) => {
    const at = (k: number): Local => P[FIXED.length + PER_LEAD.length * e + k]!;
    return { size: at(0), q: at(1), k: at(2), v: at(3), y: at(4), m: at(5) };
  });
  const L = (): Local => f.local(i32);
  const V = (): Local => f.local(v128);
  const g = (l: Local): Expr => f.get(l);

  // Function-level locals.
  const [total, l, rem, idx, qB, kB, vB, yB, mB, i0, j0, jStop, jFull, skLast, skFull, off, doff, kdp] = Array.from({ length: 18 }, L) as Local[];
  const qr = Array.from({ length: MR }, L);
  const yr = Array.from({ length: MR }, L);
  const mr = Array.from({ length: MR }, L);
  const lim = Array.from({ length: MR }, L);
  const NS = s.keySubs;
  const KT = KB * NS; // keys per block
  const kp = Array.from({ length: KT }, L);
  const vp = Array.from({ length: KT }, L);
  const kIdx = Array.from({ length: KT }, L);
  const acc = Array.from({ length: Math.max(MR, s.rowGroup * KB) }, V);
  const sc = Array.from({ length: NS }, () => Array.from({ length: MR }, V));
  const pc = Array.from({ length: KT }, V);
  const [mv, lv, mnew, ms, alpha, jv, kv, o, tmp, red] = Array.from({ length: 10 }, V) as Local[];
  const NEG = (): Expr => f.splatConst(-Infinity);

  /** [op(a), op(b), op(c), op(d)] lane-wise totals of four vectors (4x4 transpose-reduce); inputs read twice. */
  const reduce4 = (op: 'add' | 'max', xs: readonly (() => Expr)[]): Expr => {
    const c = (a: Expr, b: Expr): Expr => m.f32x4[op](a, b);
    const half = (a: () => Expr, b: () => Expr): Expr => c(m.i8x16.shuffle(a(), b(), lanes32([0, 1, 4, 5])), m.i8x16.shuffle(a(), b(), lanes32([2, 3, 6, 7])));
    return m.block(null, [
      f.set(red, half(xs[0]!, xs[1]!)),
      f.set(tmp, half(xs[2]!, xs[3]!)),
      c(m.i8x16.shuffle(g(red), g(tmp), lanes32([0, 2, 4, 6])), m.i8x16.shuffle(g(red), g(tmp), lanes32([1, 3, 5, 7]))),
    ], v128);
  };
  /** Lane `r` of a vector local in all four lanes. */
  const splatLane = (x: Local, r: number): Expr => m.i8x16.shuffle(g(x), g(x), lanes32([r, r, r, r]));
  const dkVecs = Math.ceil(s.dk / 4);
  const dvVecs = Math.ceil(s.dv / 4);
  const lanesOf = (d: number, vecs: number): number => Math.min(4, d - 4 * vecs);

  /** Scores of rows [0, rows) for keys j0 + 4·sub + [0, 4) into sc[sub][r] (before scale and masks). */
  const scores = (rows: number, full: boolean, sub: number): Expr[] => {
    const out: Expr[] = [];
    const kpS = kp.slice(sub * KB, sub * KB + KB);
    const scS = sc[sub]!;
    if (s.strategy === 'dot') {
      for (let r0 = 0; r0 < rows; r0 += s.rowGroup) {
        const gr = Math.min(s.rowGroup, rows - r0);
        for (let a = 0; a < gr * KB; a++) out.push(f.set(acc[a]!, f.zero()));
        for (let d = 0; d < dkVecs; d++) {
          const lanes = lanesOf(s.dk, d);
          const kvs = Array.from({ length: KB }, (_, c) => f.loadLanes(() => g(kpS[c]!), d * 16, lanes));
          for (let c = 0; c < KB; c++) out.push(f.set(pc[c]!, kvs[c]!)); // pc doubles as K-vector registers here
          for (let r = 0; r < gr; r++) {
            out.push(f.set(kv, f.loadLanes(() => g(qr[r0 + r]!), d * 16, lanes)));
            for (let c = 0; c < KB; c++) out.push(f.set(acc[r * KB + c]!, f.madd(g(kv), g(pc[c]!), g(acc[r * KB + c]!))));
          }
        }
        for (let r = 0; r < gr; r++) out.push(f.set(scS[r0 + r]!, reduce4('add', [0, 1, 2, 3].map((c) => () => g(acc[r * KB + c]!)))));
      }
      return out;
    }
    // 'keys': one accumulator per row, a vector of four keys per d.
    for (let r = 0; r < rows; r++) out.push(f.set(acc[r]!, f.zero()));
    const vectorLoad = s.kT && full;
    if (s.kT) out.push(f.set(doff, f.i32(0)));
    if (vectorLoad) out.push(f.set(kdp, f.add(g(kB), f.mulN(f.addN(g(j0), sub * KB), 4))));
    for (let d = 0; d < s.dk; d++) {
      let keyVec: Expr;
      if (vectorLoad) keyVec = f.load(g(kdp));
      else {
        const at = (c: number): Expr => (s.kT ? f.loadF32(f.add(g(kpS[c]!), g(doff))) : f.loadF32(g(kpS[c]!), d * 4));
        keyVec = f.splat(at(0));
        for (let c = 1; c < KB; c++) keyVec = m.f32x4.replace_lane(keyVec, c, at(c));
      }
      out.push(f.set(kv, keyVec));
      for (let r = 0; r < rows; r++) out.push(f.set(acc[r]!, f.madd(f.splatLoad(g(qr[r]!), d * 4), g(kv), g(acc[r]!))));
      if (vectorLoad) out.push(f.inc(kdp, g(kD)));
      else if (s.kT) out.push(f.inc(doff, g(kD)));
    }
    for (let r = 0; r < rows; r++) out.push(f.set(scS[r]!, g(acc[r]!)));
    return out;
  };

  /** The mask of row r at the key block as f32 (additive) or an i32x4 lane mask of true elements (bool). */
  const maskVec = (r: number, full: boolean, sub: number): Expr => {
    const row = (): Expr => g(mr[r]!);
    const j = (): Expr => f.addN(g(j0), sub * KB);
    const ki = kIdx.slice(sub * KB, sub * KB + KB);
    if (s.mask === 'additive') {
      if (s.maskCol === 0) return f.splatLoad(row());
      if (full) return f.load(f.add(row(), f.mulN(j(), 4)));
      let vec = f.splat(f.loadF32(f.add(row(), f.mulN(g(ki[0]!), 4))));
      for (let c = 1; c < KB; c++) vec = m.f32x4.replace_lane(vec, c, f.loadF32(f.add(row(), f.mulN(g(ki[c]!), 4))));
      return vec;
    }
    let ints: Expr;
    if (s.maskCol === 0) ints = m.i32x4.splat(m.i32.load8_u(0, 1, row()));
    else if (full) ints = m.i32x4.extend_low_i16x8_u(m.i16x8.extend_low_i8x16_u(m.v128.load32_zero(0, 1, f.add(row(), j()))));
    else {
      ints = m.i32x4.splat(m.i32.load8_u(0, 1, f.add(row(), g(ki[0]!))));
      for (let c = 1; c < KB; c++) ints = m.i32x4.replace_lane(ints, c, m.i32.load8_u(0, 1, f.add(row(), g(ki[c]!))));
    }
    return m.i32x4.ne(ints, m.i32x4.splat(f.i32(0)));
  };

  /** One key block at j0 (KT keys) for a block of `rows` query rows; `full`: keys j0..j0+KT-1 all exist (< Sk). */
  const keyBlock = (rows: number, full: boolean): Expr[] => {
    const out: Expr[] = [];
    for (let c = 0; c < KT; c++) {
      const key = full ? f.addN(g(j0), c) : m.select(m.i32.lt_s(f.addN(g(j0), c), g(Sk)), f.addN(g(j0), c), g(skLast));
      out.push(f.set(kIdx[c]!, key));
      if (!(s.kT && full && s.strategy === 'keys')) out.push(f.set(kp[c]!, f.add(g(kB), f.mul(g(kIdx[c]!), g(kRow)))));
      out.push(f.set(vp[c]!, f.add(g(vB), f.mul(g(kIdx[c]!), g(vRow)))));
    }
    for (let sub = 0; sub < NS; sub++) {
      out.push(...scores(rows, full, sub));
      out.push(f.set(jv, m.i32x4.add(m.i32x4.splat(f.addN(g(j0), sub * KB)), m.v128.const([0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]))));
      for (let r = 0; r < rows; r++) {
        let x = f.fmul(g(sc[sub]![r]!), f.splatConst(Math.fround(s.scale)));
        if (s.mask === 'additive') x = f.fadd(x, maskVec(r, full, sub));
        else if (s.mask === 'keep') x = m.v128.bitselect(x, NEG(), maskVec(r, full, sub));
        else if (s.mask === 'drop') x = m.v128.bitselect(NEG(), x, maskVec(r, full, sub));
        out.push(f.set(sc[sub]![r]!, m.v128.bitselect(x, NEG(), m.i32x4.le_s(g(jv), m.i32x4.splat(g(lim[r]!))))));
      }
    }
    /** Per row: the sub-blocks' scores combined lane-wise (max or add); rows past `rows` give `fill`. */
    const rowsOf = (op: 'max' | 'add', fill: () => Expr): (() => Expr)[] =>
      [0, 1, 2, 3].map((r) => (r < rows ? () => sc.slice(1).reduce((a, x) => m.f32x4[op](a, g(x[r]!)), g(sc[0]![r]!)) : fill));
    out.push(
      f.set(mnew, m.f32x4.max(g(mv), reduce4('max', rowsOf('max', NEG)))),
      // The shift: m_new, or 0 while a row has seen only -inf (so that exp(-inf - shift) = 0, not NaN).
      f.set(ms, m.v128.bitselect(f.zero(), g(mnew), m.f32x4.eq(g(mnew), NEG()))),
      f.set(alpha, expF32x4(f, m.f32x4.sub(g(mv), g(ms)))),
      f.set(mv, g(mnew)),
    );
    for (let sub = 0; sub < NS; sub++) {
      for (let r = 0; r < rows; r++) out.push(f.set(sc[sub]![r]!, expF32x4(f, m.f32x4.sub(g(sc[sub]![r]!), splatLane(ms, r)))));
    }
    out.push(f.set(lv, f.madd(g(lv), g(alpha), reduce4('add', rowsOf('add', () => f.zero())))));
    for (let r = 0; r < rows; r++) {
      out.push(f.set(tmp, splatLane(alpha, r)));
      for (let c = 0; c < KT; c++) out.push(f.set(pc[c]!, splatLane(sc[c >> 2]![r]!, c & 3)));
      for (let d = 0; d < dvVecs; d++) {
        const lanes = lanesOf(s.dv, d);
        out.push(f.set(o, f.fmul(f.loadLanes(() => g(yr[r]!), d * 16, lanes), g(tmp))));
        for (let c = 0; c < KT; c++) out.push(f.set(o, f.madd(g(pc[c]!), f.loadLanes(() => g(vp[c]!), d * 16, lanes), g(o))));
        out.push(...f.storeLanes(() => g(yr[r]!), d * 16, () => g(o), lanes));
      }
    }
    return out;
  };

  /** A block of `rows` query rows starting at i0. */
  const queryBlock = (rows: number): Expr[] => {
    const out: Expr[] = [];
    for (let r = 0; r < rows; r++) {
      out.push(f.set(qr[r]!, f.add(g(qB), f.mul(f.addN(g(i0), r), g(qRow)))));
      out.push(f.set(yr[r]!, f.add(g(yB), f.mul(f.addN(g(i0), r), g(yRow)))));
      if (s.mask !== 'none') out.push(f.set(mr[r]!, f.add(g(mB), f.mul(f.addN(g(i0), r), g(mRow)))));
      const diag = (): Expr => f.add(f.addN(g(i0), r), g(off));
      out.push(f.set(lim[r]!, s.causal ? m.select(m.i32.lt_s(diag(), g(skLast)), diag(), g(skLast)) : g(skLast)));
      for (let d = 0; d < dvVecs; d++) out.push(...f.storeLanes(() => g(yr[r]!), d * 16, () => f.zero(), lanesOf(s.dv, d)));
    }
    out.push(f.set(mv, NEG()), f.set(lv, f.zero()));
    if (s.causal) {
      const end = (): Expr => f.add(f.addN(g(i0), rows), g(off)); // keys beyond the last row's diagonal are never visited
      out.push(f.set(jStop, m.select(m.i32.lt_s(end(), g(Sk)), end(), g(Sk))));
    } else out.push(f.set(jStop, g(Sk)));
    out.push(
      f.set(jFull, m.select(m.i32.lt_s(g(jStop), g(skFull)), g(jStop), g(skFull))),
      f.forRange(j0, f.i32(0), () => g(jFull), KT, keyBlock(rows, true)),
      f.if(m.i32.lt_s(g(j0), g(jStop)), keyBlock(rows, false)),
    );
    // O / l; rows that never saw a finite score are NaN (0/0 in the reference).
    for (let r = 0; r < rows; r++) {
      out.push(f.set(tmp, splatLane(lv, r)), f.set(red, m.f32x4.eq(splatLane(mv, r), NEG())));
      for (let d = 0; d < dvVecs; d++) {
        const lanes = lanesOf(s.dv, d);
        const y = m.f32x4.div(f.loadLanes(() => g(yr[r]!), d * 16, lanes), g(tmp));
        out.push(f.set(o, m.v128.bitselect(f.splatConst(NaN), y, g(red))));
        out.push(...f.storeLanes(() => g(yr[r]!), d * 16, () => g(o), lanes));
      }
    }
    return out;
  };

  // Per head: operand bases from the flat head index (a broadcast dim has stride 0).
  const bases: Expr[] = [f.set(rem, g(l))];
  for (const [base, p] of [[qB, pq], [kB, pk], [vB, pv], [yB, py], [mB, pm]] as const) bases.push(f.set(base, g(p!)));
  for (let e = s.nLead - 1; e >= 0; e--) {
    const ld = lead[e]!;
    bases.push(f.set(idx, m.i32.rem_u(g(rem), g(ld.size))), f.set(rem, m.i32.div_u(g(rem), g(ld.size))));
    for (const [base, stride] of [[qB, ld.q], [kB, ld.k], [vB, ld.v], [yB, ld.y], [mB, ld.m]] as const) bases.push(f.inc(base, f.mul(g(idx), g(stride))));
  }
  const body: Expr[] = [
    f.set(skLast, m.i32.sub(g(Sk), f.i32(1))),
    f.set(skFull, m.i32.and(g(Sk), f.i32(~(KT - 1)))),
    f.set(off, m.i32.sub(g(Sk), g(Sq))),
    f.set(total, f.i32(1)),
    ...lead.map((ld) => f.set(total, f.mul(g(total), g(ld.size)))),
    f.forRange(l, f.i32(0), () => g(total), 1, [
      ...bases,
      f.set(i0, f.i32(0)),
      m.block('qdone', [m.loop('qloop', f.block([
        m.br('qdone', m.i32.gt_s(f.addN(g(i0), MR), g(Sq))),
        ...queryBlock(MR),
        f.incN(i0, MR),
        m.br('qloop'),
      ]))]),
      ...[1, 2, 3].map((r) => f.if(m.i32.eq(m.i32.sub(g(Sq), g(i0)), f.i32(r)), queryBlock(r))),
    ]),
  ];
  return { vars: f.varTypes, body: f.block(body) };
}

// ---------------------------------------------------------------------------------------------------------
// Steps: operand strides per layout.

interface AttnAttrs {
  num_heads: number;
  scale: number;
  causal: number;
  mask_kind: string;
  layout: string;
  k_transposed: number;
}

const attrsOf = (step: Step): AttnAttrs => ({
  num_heads: (step.attrs.num_heads as number | undefined) ?? 0,
  scale: step.attrs.scale as number,
  causal: (step.attrs.causal as number | undefined) ?? 0,
  mask_kind: (step.attrs.mask_kind as string | undefined) ?? 'none',
  layout: (step.attrs.layout as string | undefined) ?? 'bsd',
  k_transposed: (step.attrs.k_transposed as number | undefined) ?? 0,
});

/** Byte strides of a contiguous tensor of `shape` (element size `bytes`), 0 along dims that are literally 1. */
function strides(shape: readonly Dim[], bytes: number): Dim[] {
  const out = new Array<Dim>(shape.length);
  let acc: Dim = bytes;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = shape[i] === 1 ? 0 : acc;
    acc = dimMul(acc, shape[i]!);
  }
  return out;
}

/** `shape`'s strides right-aligned to `rank` dims (missing leading dims broadcast: stride 0). */
function alignedStrides(shape: readonly Dim[], rank: number, bytes: number): Dim[] {
  return [...new Array<Dim>(rank - shape.length).fill(0), ...strides(shape, bytes)];
}

/** The call's dims and strides: Sq, Sk, Dk, Dv, row strides, lead sizes and per-operand lead strides (bytes). */
interface Layout {
  sq: Dim;
  sk: Dim;
  dk: Dim;
  dv: Dim;
  rows: { q: Dim; k: Dim; v: Dim; y: Dim };
  kD: Dim;
  lead: { size: Dim; q: Dim; k: Dim; v: Dim; y: Dim }[];
}

function layoutOf(step: Step, a: AttnAttrs): Layout {
  const [q, k, v] = step.inputs as [TensorRef, TensorRef, TensorRef];
  const y = step.outputs[0]!;
  if (a.layout === 'heads') {
    const [sq, dk] = q.shape.slice(-2) as [Dim, Dim];
    const kT = a.k_transposed === 1;
    const sk = k.shape[k.shape.length - (kT ? 1 : 2)]!;
    const dv = v.shape[v.shape.length - 1]!;
    const leadShape = y.shape.slice(0, -2);
    const r = Math.max(1, leadShape.length);
    const ls = leadShape.length ? leadShape : [1];
    const leadStrides = (t: TensorRef): Dim[] => {
      const st = alignedStrides(t.shape, r + 2, 4).slice(0, r);
      return leadShape.length ? st : [0];
    };
    const [qs, ks, vs, ys] = [leadStrides(q), leadStrides(k), leadStrides(v), leadStrides(y)];
    return {
      sq, sk, dk, dv,
      rows: { q: dimMul(dk, 4), k: kT ? 4 : dimMul(dk, 4), v: dimMul(dv, 4), y: dimMul(dv, 4) },
      kD: kT ? dimMul(sk, 4) : 4,
      lead: ls.map((size, e) => ({ size, q: qs[e]!, k: ks[e]!, v: vs[e]!, y: ys[e]! })),
    };
  }
  const h = a.num_heads;
  const seqFirst = a.layout === 'sbd';
  const [eq, ek, ev] = [q.shape[2]!, k.shape[2]!, v.shape[2]!];
  const dk = dimDiv(eq, h)!;
  const dv = dimDiv(ev, h)!;
  const [b, sq] = seqFirst ? [q.shape[1]!, q.shape[0]!] : [q.shape[0]!, q.shape[1]!];
  const sk = seqFirst ? k.shape[0]! : k.shape[1]!;
  /** Row (sequence) stride and batch stride of a [B, S, E] / [S, B, E] tensor, in bytes. */
  const rb = (s: Dim, e: Dim): { row: Dim; batch: Dim } =>
    seqFirst ? { row: dimMul(dimMul(b, e), 4), batch: dimMul(e, 4) } : { row: dimMul(e, 4), batch: dimMul(dimMul(s, e), 4) };
  const [Q, K, Vv, Y] = [rb(sq, eq), rb(sk, ek), rb(sk, ev), rb(sq, ev)];
  return {
    sq, sk, dk, dv,
    rows: { q: Q.row, k: K.row, v: Vv.row, y: Y.row },
    kD: 4,
    lead: [
      { size: b, q: Q.batch, k: K.batch, v: Vv.batch, y: Y.batch },
      { size: h, q: dimMul(dk, 4), k: dimMul(dk, 4), v: dimMul(dv, 4), y: dimMul(dv, 4) },
    ],
  };
}

function check(step: Step): string | undefined {
  const a = attrsOf(step);
  for (const [i, name] of [[0, 'Q'], [1, 'K'], [2, 'V']] as const) {
    if (step.inputs[i]?.dtype !== 'f32') return `only f32 attention is supported, ${name} is ${step.inputs[i]?.dtype}`;
  }
  const mask = step.inputs[3];
  if (mask && mask.dtype !== 'f32' && mask.dtype !== 'bool') return `the mask must be f32 or bool, got ${mask.dtype}`;
  const { dk, dv } = layoutOf(step, a);
  if (!isStaticDim(dk) || !isStaticDim(dv)) return `head sizes must be static, got Dk = ${dk}, Dv = ${dv}`;
  return undefined;
}

function emitAttention(ctx: KernelContext, step: Step): Expr {
  const a = attrsOf(step);
  const [q, k, v, mask] = step.inputs as [TensorRef, TensorRef, TensorRef, TensorRef | undefined];
  const y = step.outputs[0]!;
  const lay = layoutOf(step, a);
  const kT = a.layout === 'heads' && a.k_transposed === 1;
  const maskKind = (mask ? a.mask_kind : 'none') as MaskKind;
  // The mask right-aligned to the scores [lead..., Sq, Sk].
  const scoreRank = lay.lead.length + 2;
  const maskStrides = mask ? alignedStrides(mask.shape, scoreRank, mask.dtype === 'bool' ? 1 : 4) : new Array<Dim>(scoreRank).fill(0);
  const maskColStride = maskStrides[scoreRank - 1]!;
  const tuned = attentionTuning.strategy;
  const strategy: AttentionStrategy = kT ? 'keys' : tuned === 'auto' ? 'dot' : tuned;
  const spec: Spec = {
    dk: lay.dk as number,
    dv: lay.dv as number,
    strategy,
    rowGroup: strategy === 'dot' ? attentionTuning.rowGroup : 1,
    keySubs: attentionTuning.keySubs,
    kT,
    mask: maskKind,
    maskCol: maskColStride === 0 ? 0 : 1,
    causal: a.causal === 1,
    scale: a.scale,
    nLead: lay.lead.length,
  };
  const nParams = FIXED.length + PER_LEAD.length * spec.nLead;
  const name = ctx.fn(specName(spec, ctx.features), binaryen.createType(new Array<binaryen.Type>(nParams).fill(i32)), none,
    (m) => buildAttention(m, ctx.features, spec));
  const d = (x: Dim): Expr => ctx.dim(x);
  const args: Expr[] = [
    ctx.ptr(q), ctx.ptr(k), ctx.ptr(v), mask ? ctx.ptr(mask) : ctx.module.i32.const(0), ctx.ptr(y),
    d(lay.sq), d(lay.sk), d(lay.rows.q), d(lay.rows.k), d(lay.rows.v), d(lay.rows.y), d(maskStrides[scoreRank - 2]!), d(lay.kD),
  ];
  lay.lead.forEach((ld, e) => args.push(d(ld.size), d(ld.q), d(ld.k), d(ld.v), d(ld.y), d(maskStrides[e]!)));
  return ctx.module.call(name, args, none);
}

registerKernel({ op: 'Attention', check, emit: emitAttention });
