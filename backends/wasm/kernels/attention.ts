// The fused Attention kernel: tiled online-softmax (flash-style) attention that never materializes the scores.
//
// Per head (the leading dims, each operand addressed through its own strides, zero on broadcast dims), K and V are
// first packed into the step's scratch memory: K as panels of 8 keys, d-major ([⌈Sk/8⌉][Dk][8], like GEMM weight
// panels), so that scores are a 4x8 register-tiled GEMM (per d, two K vectors times four splatted Q elements, the
// gemm.ts micro-kernel shape, no horizontal sums); V as panels of 8 columns, key-major ([⌈Dv/8⌉][Sk][8]), so that
// P·V reads 32 contiguous bytes per key (V rows of the bsd layout are a whole hidden row apart and would collide in
// a few L1 sets). Then per block of BQ query rows (copied to scratch, pre-scaled; the last block's missing rows
// repeat the last row and are never written out) and per block of BK keys:
//  1. S = Q_blk·K_blkᵀ (4x8 tiles) plus the mask (additive, or bool keep/drop, from the mask's own strides), and
//     -inf where a key is past Sk or (causal) past the row's diagonal (only tiles that reach those are checked);
//  2. online softmax per 4 rows: m_new = max(m, rowmax S), alpha = exp(m - m_new), P = exp(S - m_new) in place,
//     l = alpha·l + rowsum P; exp as 2^((S - m)·log2 e) (exp2NonPos: one clamp, no Cody-Waite split);
//  3. O = alpha·O + P·V_blk as 4 rows x 8 columns register tiles over the block's keys.
// O lives in scratch until the block's last key, then Y = O / l. Causal key blocks past the last row's diagonal
// are never visited. A row whose keys are all dropped (m = -inf) gives NaN, like the reference (softmax of -inf).
//
// Scratch (Step.scratch, see scratchLayout): Q block, score block, O block, m/l/alpha per row, packed K and V of one
// head: (Sk + 7)·Dk·4 + Sk·⌈Dv/8⌉·32 bytes plus a few KiB — instead of Sq·Sk·4 bytes per head for the unfused chain.
// Dk and Dv are baked in (static); batch, heads, Sq, Sk and every stride are run-time i32 params.

import binaryen from 'binaryen';
import { type Dim, dimAdd, dimDiv, dimMul, isStaticDim } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, type WasmFeatures, registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import { MAGIC, MAGIC_BITS } from '../math.js';

const { i32, v128, none } = binaryen;

/** Rows of a register tile. */
const MR = 4;
/** Keys of a score tile / columns of an output tile: two f32x4. */
const NR = 8;

/**
 * Knobs for measurement: `bq` query rows per block (a multiple of 4), `bk` keys per block (a multiple of 8),
 * `unroll` keys per iteration of the P·V loop. Read at lowering (scratch size) and codegen alike.
 */
export const attentionTuning: { bq: number; bk: number; unroll: 1 | 2 | 4; unrollD: 1 | 2 | 4 } = { bq: 32, bk: 64, unroll: 1, unrollD: 1 };

type MaskKind = 'none' | 'additive' | 'keep' | 'drop';

/** Everything the function body is specialized on. */
interface Spec {
  readonly dk: number;
  readonly dv: number;
  readonly bq: number;
  readonly bk: number;
  readonly unroll: number;
  /** d per iteration of the score loop (the largest of 4, 2, 1 up to this that divides Dk). */
  readonly unrollD: number;
  readonly mask: MaskKind;
  /** Element stride of the mask along keys: 0 (broadcast) or 1. */
  readonly maskCol: 0 | 1;
  readonly causal: boolean;
  readonly scale: number;
  /** Number of leading (head) dims, >= 1. */
  readonly nLead: number;
}

function specName(s: Spec, features: WasmFeatures): string {
  return ['xfc_attn', `dk${s.dk}`, `dv${s.dv}`, `q${s.bq}`, `k${s.bk}`, `u${s.unroll}`, `ud${s.unrollD}`, `m${s.mask}${s.maskCol}`,
    s.causal ? 'causal' : 'full', `s${s.scale}`, `l${s.nLead}`, features.relaxedSimd ? 'x' : 's'].join('_').replace(/[.\-+]/g, 'p');
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Byte offsets in the scratch memory; the packed K and V (sizes depend on Sk) come last. */
function scratchLayout(s: Pick<Spec, 'dk' | 'dv' | 'bq' | 'bk'>) {
  const dkp = roundUp(s.dk, 4);
  const dvp = roundUp(s.dv, NR);
  const qp = 0;
  const st = qp + s.bq * dkp * 4;
  const op = st + s.bq * s.bk * 4;
  const mm = op + s.bq * dvp * 4;
  const ll = mm + s.bq * 4;
  const al = ll + s.bq * 4;
  const kp = al + s.bq * 4;
  /** dkp, dvp: row lengths (floats) of the Q and O blocks. */
  return { dkp, dvp, qp, st, op, mm, ll, al, kp };
}

/** 2^f = 1 + f Q(f) on [-1/2, 1/2]: weighted least-squares fit of the relative error (2e-9), 0.93 ulp with f32 Horner. */
const EXP2_Q = [0.6931471824645996, 0.24022647738456726, 0.055503323674201965, 0.009618437848985195, 0.0013398852897807956, 0.00015353296475950629];
/** Base-2 arguments below this give exactly 0 (2^-125 < 2.4e-38, absolute error against a softmax sum >= 1); above, 2^t stays normal. */
const T_MIN = -125;

/**
 * 2^t for the base-2 softmax arguments t <= 0 (and -inf) of this kernel: tc = max(t, T_MIN) (pmax: one
 * instruction), n = round(tc) by the 1.5·2^23 trick, f = tc - n (exact, in [-1/2, 1/2]), 2^t = (1 + f Q(f))·2^n
 * with 2^n built from n's bits; lanes below T_MIN (and -inf) give exactly 0 (no subnormal products downstream).
 */
function exp2NonPos(f: Fn, t: Expr): Expr {
  const m = f.m;
  const c = (v: number): Expr => f.splatConst(Math.fround(v));
  const [tv, tc, z, fr] = Array.from({ length: 4 }, () => f.local(v128));
  let poly = c(EXP2_Q[EXP2_Q.length - 1]!);
  for (let k = EXP2_Q.length - 2; k >= 0; k--) poly = f.madd(poly, f.get(fr), c(EXP2_Q[k]!));
  return m.block(null, [
    f.set(tv, t),
    f.set(tc, m.f32x4.pmax(f.get(tv), c(T_MIN))),
    f.set(z, f.fadd(f.get(tc), c(MAGIC))),
    f.set(fr, m.f32x4.sub(f.get(tc), m.f32x4.sub(f.get(z), c(MAGIC)))),
    // 2^n: bits (n + 127) << 23 = (bits(z) - MAGIC_BITS + 127) << 23, n in [-125, 0].
    m.v128.and(
      f.fmul(f.madd(poly, f.get(fr), c(1)), m.i32x4.shl(m.i32x4.add(f.get(z), m.i32x4.splat(f.i32(127 - MAGIC_BITS))), f.i32(23))),
      m.f32x4.gt(f.get(tv), c(T_MIN)),
    ),
  ], v128);
}

/** Fixed params before the per-lead-dim ones. */
const FIXED = ['q', 'k', 'v', 'mask', 'y', 'scratch', 'sq', 'sk', 'qRow', 'kRow', 'vRow', 'yRow', 'mRow', 'kD'] as const;
/** Per leading dim: its size and each operand's byte stride along it. */
const PER_LEAD = ['size', 'q', 'k', 'v', 'y', 'm'] as const;

/** lanes32([a, b, c, d]) as byte indices for i8x16.shuffle over two vectors (lanes 0..7). */
const lanes32 = (l: readonly number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

/** Builds the attention function body; params as FIXED then PER_LEAD per leading dim (all i32). */
function buildAttention(m: binaryen.Module, features: WasmFeatures, s: Spec): { vars: binaryen.Type[]; body: Expr } {
  const f = new Fn(m, features, new Array<binaryen.Type>(FIXED.length + PER_LEAD.length * s.nLead).fill(i32));
  const P = f.params;
  const [pq, pk, pvIn, pm, py, scr, Sq, Sk, qRow, kRow, vRow, yRow, mRow, kD] = P as Local[];
  const lead = Array.from({ length: s.nLead }, (_, e) => {
    const at = (k: number): Local => P[FIXED.length + PER_LEAD.length * e + k]!;
    return { size: at(0), q: at(1), k: at(2), v: at(3), y: at(4), m: at(5) };
  });
  const L = (): Local => f.local(i32);
  const V = (): Local => f.local(v128);
  const g = (l: Local): Expr => f.get(l);
  const lay = scratchLayout(s);
  const at = (off: number): Expr => f.addN(g(scr), off);
  const min = (a: () => Expr, b: () => Expr): Expr => m.select(m.i32.lt_s(a(), b()), a(), b());

  const [total, hd, rem, idx, qB, kB, vB, yB, mB, skLast, sqLast, off, i0, rows, ng, nr, jStop, j0, kn, np, gi, pi, j, r, d, src, dst, t, sp, vp, kc, vPk, vCg] =
    Array.from({ length: 33 }, L) as Local[];
  const ks = Array.from({ length: NR }, L);
  const mr = Array.from({ length: MR }, L);
  const lim = Array.from({ length: MR }, L);
  const acc = Array.from({ length: MR }, () => [V(), V()] as const);
  const [b0, b1, splat, mx, mold, mnew, shift, alpha, tmp, red] = Array.from({ length: 10 }, V) as Local[];
  const rv = Array.from({ length: MR }, V);
  const NEG = (): Expr => f.splatConst(-Infinity);
  const dkVecs = Math.ceil(s.dk / 4);
  const dvVecs = Math.ceil(s.dv / 4);
  const lanesOf = (dd: number, vec: number): number => Math.min(4, dd - 4 * vec);

  /** [op(a), op(b), op(c), op(d)] lane-wise totals of four vectors (4x4 transpose-reduce); inputs read twice. */
  const reduce4 = (op: 'add' | 'max', xs: readonly Local[]): Expr => {
    const c = (a: Expr, b: Expr): Expr => m.f32x4[op](a, b);
    const half = (a: Local, b: Local): Expr => c(m.i8x16.shuffle(g(a), g(b), lanes32([0, 1, 4, 5])), m.i8x16.shuffle(g(a), g(b), lanes32([2, 3, 6, 7])));
    return m.block(null, [
      f.set(red, half(xs[0]!, xs[1]!)),
      f.set(tmp, half(xs[2]!, xs[3]!)),
      c(m.i8x16.shuffle(g(red), g(tmp), lanes32([0, 2, 4, 6])), m.i8x16.shuffle(g(red), g(tmp), lanes32([1, 3, 5, 7]))),
    ], v128);
  };
  /** Lane `i` of a vector local in all four lanes. */
  const splatLane = (x: Local, i: number): Expr => m.i8x16.shuffle(g(x), g(x), lanes32([i, i, i, i]));

  // ---- K panels of the head: KP[p][d][c] = K[min(8p + c, Sk - 1), d] (repeated last key: finite, masked later).
  const packK = f.forRange(j0, f.i32(0), () => g(Sk), NR, [
    f.set(dst, f.add(at(lay.kp), f.mulN(g(j0), s.dk * 4))),
    ...ks.map((k, c) => f.set(k, f.add(g(kB), f.mul(min(() => f.addN(g(j0), c), () => g(skLast)), g(kRow))))),
    f.forRange(d, f.i32(0), () => f.i32(s.dk), 1, [
      ...ks.map((k, c) => f.storeF32(g(dst), c * 4, f.loadF32(g(k)))),
      ...ks.map((k) => f.inc(k, g(kD))),
      f.incN(dst, NR * 4),
    ]),
  ]);

  // ---- V panels of the head: VP[cg][j][c] = V[j, 8cg + c] (columns past Dv: zeros or unused), after K's panels.
  const packV = f.forRange(j, f.i32(0), () => g(Sk), 1, [
    f.set(src, f.add(g(vB), f.mul(g(j), g(vRow)))),
    f.set(dst, f.add(g(vPk), m.i32.shl(g(j), f.i32(5)))),
    ...Array.from({ length: lay.dvp / NR }, (_, cg) => [
      ...[0, 1].filter((h) => lanesOf(s.dv, 2 * cg + h) > 0)
        .map((h) => f.store(g(dst), h * 16, f.loadLanes(() => g(src), cg * 32 + h * 16, lanesOf(s.dv, 2 * cg + h)))),
      ...(cg + 1 < lay.dvp / NR ? [f.inc(dst, g(vCg))] : []),
    ]).flat(),
  ]);

  // ---- 1. scores of row group gi (4 rows) x key panel pi (8 keys at j = j0 + 8 pi) into the score block.
  const keyVec = (c0: number): Expr => m.i32x4.add(m.i32x4.splat(g(j)), m.v128.const([c0, 0, 0, 0, c0 + 1, 0, 0, 0, c0 + 2, 0, 0, 0, c0 + 3, 0, 0, 0]));
  /** The mask of row ri for keys j + 4h + [0, 4): f32 (additive) or an i32x4 lane mask of true elements (bool); `full`: all 8 keys exist. */
  const maskVec = (ri: number, h: number, full: boolean): Expr => {
    const row = (): Expr => g(mr[ri]!);
    if (s.mask === 'additive') {
      if (s.maskCol === 0) return f.splatLoad(row());
      if (full) return f.load(f.add(row(), m.i32.shl(g(j), f.i32(2))), h * 16);
      let vec = f.splat(f.loadF32(f.add(row(), m.i32.shl(g(ks[4 * h]!), f.i32(2)))));
      for (let c = 1; c < 4; c++) vec = m.f32x4.replace_lane(vec, c, f.loadF32(f.add(row(), m.i32.shl(g(ks[4 * h + c]!), f.i32(2)))));
      return vec;
    }
    let ints: Expr;
    if (s.maskCol === 0) ints = m.i32x4.splat(m.i32.load8_u(0, 1, row()));
    else if (full) {
      const bytes = m.i16x8.extend_low_i8x16_u(m.v128.load64_zero(0, 1, f.add(row(), g(j))));
      ints = h === 0 ? m.i32x4.extend_low_i16x8_u(bytes) : m.i32x4.extend_high_i16x8_u(bytes);
    } else {
      ints = m.i32x4.splat(m.i32.load8_u(0, 1, f.add(row(), g(ks[4 * h]!))));
      for (let c = 1; c < 4; c++) ints = m.i32x4.replace_lane(ints, c, m.i32.load8_u(0, 1, f.add(row(), g(ks[4 * h + c]!))));
    }
    return m.i32x4.ne(ints, m.i32x4.splat(f.i32(0)));
  };
  const applyMask = (full: boolean): Expr[] => {
    const out: Expr[] = [];
    if (!full) ks.forEach((k, c) => out.push(f.set(k, min(() => f.addN(g(j), c), () => g(skLast)))));
    for (let ri = 0; ri < MR; ri++) {
      for (let h = 0; h < 2; h++) {
        const a = acc[ri]![h]!;
        if (s.mask === 'additive') out.push(f.set(a, f.fadd(g(a), maskVec(ri, h, full))));
        else if (s.mask === 'keep') out.push(f.set(a, m.v128.bitselect(g(a), NEG(), maskVec(ri, h, full))));
        else out.push(f.set(a, m.v128.bitselect(NEG(), g(a), maskVec(ri, h, full))));
      }
    }
    return out;
  };
  const scoreTile: Expr[] = [
    f.set(j, f.add(g(j0), m.i32.shl(g(pi), f.i32(3)))),
    f.set(src, f.add(at(lay.kp), f.mulN(g(j), s.dk * 4))), // the panel
    ...acc.flatMap(([a0, a1]) => [f.set(a0, f.zero()), f.set(a1, f.zero())]),
  ];
  // Over d in steps of ud (a divisor of Dk): like gemm.ts, a counted loop keeps the 8 accumulators in registers.
  const ud = [4, 2, 1].find((u) => u <= s.unrollD && s.dk % u === 0)!;
  const dStep: Expr[] = [];
  for (let u = 0; u < ud; u++) {
    dStep.push(f.set(b0, f.load(g(src), u * 32)), f.set(b1, f.load(g(src), u * 32 + 16)));
    for (let ri = 0; ri < MR; ri++) {
      const [a0, a1] = acc[ri]!;
      dStep.push(
        f.set(splat, f.splatLoad(g(t), (ri * lay.dkp + u) * 4)),
        f.set(a0, f.madd(g(splat), g(b0), g(a0))),
        f.set(a1, f.madd(g(splat), g(b1), g(a1))),
      );
    }
  }
  scoreTile.push(f.set(t, g(dst)), f.set(kc, f.i32(s.dk / ud)), f.countDown(kc, [...dStep, f.incN(src, 32 * ud), f.incN(t, 4 * ud)]));
  if (s.mask !== 'none') {
    scoreTile.push(s.maskCol === 0 ? f.block(applyMask(true)) : m.if(m.i32.le_s(f.addN(g(j), NR), g(Sk)), f.block(applyMask(true)), f.block(applyMask(false))));
  }
  // Keys past the row's last visible key (Sk - 1, or the diagonal): -inf; lim is non-decreasing over the rows.
  scoreTile.push(f.if(m.i32.gt_s(f.addN(g(j), NR - 1), g(lim[0]!)), [
    f.set(b0, keyVec(0)),
    f.set(b1, keyVec(4)),
    ...acc.flatMap(([a0, a1], ri) => [
      f.set(splat, m.i32x4.splat(g(lim[ri]!))),
      f.set(a0, m.v128.bitselect(g(a0), NEG(), m.i32x4.le_s(g(b0), g(splat)))),
      f.set(a1, m.v128.bitselect(g(a1), NEG(), m.i32x4.le_s(g(b1), g(splat)))),
    ]),
  ]));
  scoreTile.push(f.set(sp, f.add(g(vp), m.i32.shl(g(pi), f.i32(5)))));
  acc.forEach(([a0, a1], ri) => scoreTile.push(f.store(g(sp), ri * s.bk * 4, g(a0)), f.store(g(sp), ri * s.bk * 4 + 16, g(a1))));

  const scores = f.forRange(gi, f.i32(0), () => g(ng), 1, [
    f.set(dst, f.add(at(lay.qp), f.mulN(g(gi), MR * lay.dkp * 4))), // Q rows of the group
    f.set(vp, f.add(at(lay.st), f.mulN(g(gi), MR * s.bk * 4))), // their score rows
    ...mr.flatMap((x, ri) => {
      const row = (): Expr => f.add(g(i0), f.addN(m.i32.shl(g(gi), f.i32(2)), ri));
      const out = [f.set(lim[ri]!, s.causal ? min(() => f.add(row(), g(off)), () => g(skLast)) : g(skLast))];
      if (s.mask !== 'none') out.push(f.set(x, f.add(g(mB), f.mul(min(row, () => g(sqLast)), g(mRow)))));
      return out;
    }),
    f.forRange(pi, f.i32(0), () => g(np), 1, scoreTile),
  ]);

  // ---- 2. online softmax of row group gi over the block's np panels.
  const panels = (body: (ri: number, h: number, ptr: () => Expr, offset: number) => Expr[]): Expr =>
    f.forRange(pi, f.i32(0), () => g(np), 1, [
      f.set(sp, f.add(g(vp), m.i32.shl(g(pi), f.i32(5)))),
      ...acc.flatMap((_, ri) => [0, 1].flatMap((h) => body(ri, h, () => g(sp), ri * s.bk * 4 + h * 16))),
    ]);
  const LOG2E = (): Expr => f.splatConst(Math.fround(Math.LOG2E));
  /** (s - shift)·log2 e: one FMA with -shift·log2 e (relaxed; its rounding shifts a whole row alike), else exact s - shift first. */
  const base2 = (sv: Expr, sh: Expr): Expr => (f.features.relaxedSimd ? f.madd(sv, LOG2E(), sh) : f.fmul(m.f32x4.sub(sv, sh), LOG2E()));
  const softmax = f.forRange(gi, f.i32(0), () => g(ng), 1, [
    f.set(vp, f.add(at(lay.st), f.mulN(g(gi), MR * s.bk * 4))),
    f.set(dst, f.add(g(scr), m.i32.shl(g(gi), f.i32(4)))), // + mm / ll / al: this group's 4 rows
    ...rv.map((x) => f.set(x, NEG())),
    panels((ri, _h, ptr, o) => [f.set(rv[ri]!, m.f32x4.pmax(g(rv[ri]!), f.load(ptr(), o)))]),
    f.set(mx, reduce4('max', rv)),
    f.set(mold, f.load(g(dst), lay.mm)),
    f.set(mnew, f.fmax(g(mold), g(mx))),
    // The shift: m_new, or 0 while a row has seen only -inf (so that exp(-inf - shift) = 0, not NaN).
    f.set(shift, m.v128.bitselect(f.zero(), g(mnew), m.f32x4.eq(g(mnew), NEG()))),
    f.set(alpha, exp2NonPos(f, f.fmul(m.f32x4.sub(g(mold), g(shift)), LOG2E()))),
    f.store(g(dst), lay.mm, g(mnew)),
    f.store(g(dst), lay.al, g(alpha)),
    ...acc.flatMap(([a0], ri) => [f.set(a0, f.features.relaxedSimd ? f.fmul(splatLane(shift, ri), f.splatConst(-Math.fround(Math.LOG2E))) : splatLane(shift, ri)), f.set(rv[ri]!, f.zero())]),
    panels((ri, _h, ptr, o) => [
      f.set(splat, exp2NonPos(f, base2(f.load(ptr(), o), g(acc[ri]![0]!)))),
      f.store(ptr(), o, g(splat)),
      f.set(rv[ri]!, f.fadd(g(rv[ri]!), g(splat))),
    ]),
    f.store(g(dst), lay.ll, f.madd(f.load(g(dst), lay.ll), g(alpha), reduce4('add', rv))),
  ]);

  // ---- 3. O = alpha O + P V for row group gi: 4 rows x 8 columns tiles over the block's kn keys.
  const pvTiles: Expr[] = [];
  for (let cg = 0; cg < lay.dvp / NR; cg++) {
    const lanes = [lanesOf(s.dv, 2 * cg), lanesOf(s.dv, 2 * cg + 1)];
    /** One key: its V row (at vp) times the 4 rows' probabilities (at sp + 4k). */
    const key = (k: number): Expr[] => {
      const out: Expr[] = [];
      lanes.forEach((ln, h) => { if (ln > 0) out.push(f.set(h ? b1 : b0, f.load(g(vp), k * 32 + h * 16))); });
      for (let ri = 0; ri < MR; ri++) {
        out.push(f.set(splat, f.splatLoad(g(sp), ri * s.bk * 4 + k * 4)));
        lanes.forEach((ln, h) => { if (ln > 0) out.push(f.set(acc[ri]![h]!, f.madd(g(splat), g(h ? b1 : b0), g(acc[ri]![h]!)))); });
      }
      return out;
    };
    const oAt = (ri: number, h: number): number => ri * lay.dvp * 4 + cg * 32 + h * 16;
    pvTiles.push(
      ...acc.flatMap(([a0, a1], ri) => [
        f.set(splat, f.splatLoad(g(dst), lay.al + ri * 4)),
        f.set(a0, f.fmul(f.load(g(src), oAt(ri, 0)), g(splat))),
        f.set(a1, f.fmul(f.load(g(src), oAt(ri, 1)), g(splat))),
      ]),
      f.set(vp, f.add(f.add(g(vPk), f.mulN(g(vCg), cg)), m.i32.shl(g(j0), f.i32(5)))),
      f.set(sp, g(t)),
      f.set(kc, g(kn)),
    );
    if (s.unroll > 1) {
      pvTiles.push(m.block(`pv${cg}`, [m.loop(`pvl${cg}`, f.block([
        m.br(`pv${cg}`, m.i32.lt_s(g(kc), f.i32(s.unroll))),
        ...Array.from({ length: s.unroll }, (_, k) => key(k)).flat(),
        f.incN(sp, 4 * s.unroll),
        f.incN(vp, 32 * s.unroll),
        f.set(kc, m.i32.sub(g(kc), f.i32(s.unroll))),
        m.br(`pvl${cg}`),
      ]))]));
    }
    pvTiles.push(f.if(m.i32.gt_s(g(kc), f.i32(0)), [f.countDown(kc, [...key(0), f.incN(sp, 4), f.incN(vp, 32)])]));
    acc.forEach(([a0, a1], ri) => pvTiles.push(f.store(g(src), oAt(ri, 0), g(a0)), f.store(g(src), oAt(ri, 1), g(a1))));
  }
  const pvLoop = f.forRange(gi, f.i32(0), () => g(ng), 1, [
    f.set(dst, f.add(g(scr), m.i32.shl(g(gi), f.i32(4)))), // + al: this group's alphas
    f.set(src, f.add(at(lay.op), f.mulN(g(gi), MR * lay.dvp * 4))), // its O rows
    f.set(t, f.add(at(lay.st), f.mulN(g(gi), MR * s.bk * 4))), // its probabilities
    ...pvTiles,
  ]);

  // ---- Per query block.
  const scaleVec = (): Expr => f.splatConst(Math.fround(s.scale));
  const queryBlock: Expr[] = [
    f.set(rows, min(() => m.i32.sub(g(Sq), g(i0)), () => f.i32(s.bq))),
    f.set(ng, m.i32.shr_u(f.addN(g(rows), MR - 1), f.i32(2))),
    f.set(nr, m.i32.shl(g(ng), f.i32(2))),
    // Q rows (the missing rows of the last group repeat the last row), pre-scaled.
    f.forRange(r, f.i32(0), () => g(nr), 1, [
      f.set(src, f.add(g(qB), f.mul(min(() => f.add(g(i0), g(r)), () => g(sqLast)), g(qRow)))),
      f.set(dst, f.add(at(lay.qp), f.mulN(g(r), lay.dkp * 4))),
      ...Array.from({ length: dkVecs }, (_, dd) => f.store(g(dst), dd * 16, f.fmul(f.loadLanes(() => g(src), dd * 16, lanesOf(s.dk, dd)), scaleVec()))),
    ]),
    // O = 0, m = -inf, l = 0 for the whole block.
    f.forRange(t, f.i32(0), () => f.i32(s.bq * lay.dvp * 4), 16, [f.store(f.add(g(scr), g(t)), lay.op, f.zero())]),
    f.forRange(t, f.i32(0), () => f.i32(s.bq * 4), 16, [f.store(f.add(g(scr), g(t)), lay.mm, NEG()), f.store(f.add(g(scr), g(t)), lay.ll, f.zero())]),
    f.set(jStop, s.causal ? min(() => f.add(f.add(g(i0), g(rows)), g(off)), () => g(Sk)) : g(Sk)),
    f.forRange(j0, f.i32(0), () => g(jStop), s.bk, [
      f.set(kn, min(() => m.i32.sub(g(jStop), g(j0)), () => f.i32(s.bk))),
      f.set(np, m.i32.shr_u(f.addN(g(kn), NR - 1), f.i32(3))),
      scores,
      softmax,
      pvLoop,
    ]),
    // Y = O / l; rows that never saw a finite score are NaN (0/0 in the reference).
    f.forRange(r, f.i32(0), () => g(rows), 1, [
      f.set(dst, f.add(g(yB), f.mul(f.add(g(i0), g(r)), g(yRow)))),
      f.set(src, f.add(g(scr), m.i32.shl(g(r), f.i32(2)))),
      f.set(tmp, f.splatLoad(g(src), lay.ll)),
      f.set(red, m.f32x4.eq(f.splatLoad(g(src), lay.mm), NEG())),
      f.set(src, f.add(at(lay.op), f.mulN(g(r), lay.dvp * 4))),
      ...Array.from({ length: dvVecs }, (_, dd) => [
        f.set(splat, m.v128.bitselect(f.splatConst(NaN), m.f32x4.div(f.load(g(src), dd * 16), g(tmp)), g(red))),
        ...f.storeLanes(() => g(dst), dd * 16, () => g(splat), lanesOf(s.dv, dd)),
      ]).flat(),
    ]),
  ];

  // Per head: operand bases from the flat head index (a broadcast dim has stride 0).
  const bases: Expr[] = [f.set(rem, g(hd))];
  for (const [base, p] of [[qB, pq], [kB, pk], [vB, pvIn], [yB, py], [mB, pm]] as const) bases.push(f.set(base, g(p!)));
  for (let e = s.nLead - 1; e >= 0; e--) {
    const ld = lead[e]!;
    bases.push(f.set(idx, m.i32.rem_u(g(rem), g(ld.size))), f.set(rem, m.i32.div_u(g(rem), g(ld.size))));
    for (const [base, stride] of [[qB, ld.q], [kB, ld.k], [vB, ld.v], [yB, ld.y], [mB, ld.m]] as const) bases.push(f.inc(base, f.mul(g(idx), g(stride))));
  }
  const body: Expr[] = [
    f.set(skLast, m.i32.sub(g(Sk), f.i32(1))),
    f.set(sqLast, m.i32.sub(g(Sq), f.i32(1))),
    f.set(off, m.i32.sub(g(Sk), g(Sq))),
    f.set(total, f.i32(1)),
    // V panels after K's (⌈Sk/8⌉·8·Dk floats), each Sk keys x 8 floats.
    f.set(vPk, f.add(at(lay.kp), f.mulN(m.i32.shl(m.i32.shr_u(f.addN(g(Sk), NR - 1), f.i32(3)), f.i32(3)), s.dk * 4))),
    f.set(vCg, m.i32.shl(g(Sk), f.i32(5))),
    ...lead.map((ld) => f.set(total, f.mul(g(total), g(ld.size)))),
    f.forRange(hd, f.i32(0), () => g(total), 1, [
      ...bases,
      packK,
      packV,
      f.forRange(i0, f.i32(0), () => g(Sq), s.bq, queryBlock),
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
  const maskKind = (mask ? a.mask_kind : 'none') as MaskKind;
  // The mask right-aligned to the scores [lead..., Sq, Sk].
  const scoreRank = lay.lead.length + 2;
  const maskStrides = mask ? alignedStrides(mask.shape, scoreRank, mask.dtype === 'bool' ? 1 : 4) : new Array<Dim>(scoreRank).fill(0);
  const maskColStride = maskStrides[scoreRank - 1]!;
  const spec: Spec = {
    dk: lay.dk as number,
    dv: lay.dv as number,
    ...tuning(),
    mask: maskKind,
    maskCol: maskColStride === 0 ? 0 : 1,
    causal: a.causal === 1,
    scale: a.scale,
    nLead: lay.lead.length,
  };
  if (!step.scratch) throw new Error('the Attention step has no scratch memory (lowered without the kernel\'s scratchBytes)');
  const nParams = FIXED.length + PER_LEAD.length * spec.nLead;
  const name = ctx.fn(specName(spec, ctx.features), binaryen.createType(new Array<binaryen.Type>(nParams).fill(i32)), none,
    (m) => buildAttention(m, ctx.features, spec));
  const d = (x: Dim): Expr => ctx.dim(x);
  const args: Expr[] = [
    ctx.ptr(q), ctx.ptr(k), ctx.ptr(v), mask ? ctx.ptr(mask) : ctx.module.i32.const(0), ctx.ptr(y), ctx.ptr(step.scratch),
    d(lay.sq), d(lay.sk), d(lay.rows.q), d(lay.rows.k), d(lay.rows.v), d(lay.rows.y), d(maskStrides[scoreRank - 2]!), d(lay.kD),
  ];
  lay.lead.forEach((ld, e) => args.push(d(ld.size), d(ld.q), d(ld.k), d(ld.v), d(ld.y), d(maskStrides[e]!)));
  return ctx.module.call(name, args, none);
}

/** The blocking in use (attentionTuning, checked). */
function tuning(): { bq: number; bk: number; unroll: number; unrollD: number } {
  const { bq, bk, unroll, unrollD } = attentionTuning;
  if (bq < MR || bq % MR !== 0 || bk < NR || bk % NR !== 0) throw new Error(`attentionTuning: bq must be a multiple of ${MR} and bk of ${NR}, got ${bq}, ${bk}`);
  return { bq, bk, unroll, unrollD };
}

/** Scratch bytes: the fixed blocks, K of one head in panels of 8 keys ((Sk + 7)·Dk floats bound ⌈Sk/8⌉·8·Dk), V in panels of 8 columns. */
function scratchBytes(step: Step): Dim | undefined {
  const lay = layoutOf(step, attrsOf(step));
  if (!isStaticDim(lay.dk) || !isStaticDim(lay.dv)) return undefined; // check() reports it
  const { bq, bk } = tuning();
  return dimAdd(scratchLayout({ dk: lay.dk, dv: lay.dv, bq, bk }).kp, dimAdd(dimMul(dimAdd(lay.sk, NR - 1), lay.dk * 4), dimMul(lay.sk, roundUp(lay.dv, NR) * 4)));
}

registerKernel({ op: 'Attention', check, emit: emitAttention, scratchBytes });
