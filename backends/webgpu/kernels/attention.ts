// Flash-style Attention (layouts bsd, sbd, heads): one workgroup per (head, block of BQ query rows); keys in
// tiles of BK staged in workgroup memory; online softmax, so the score matrix is never stored.
//
// Per workgroup: the Q block (pre-scaled) goes to workgroup memory once. Per key tile:
//  1. K tile -> workgroup memory; S = Q_blk·K_tileᵀ (BQ x BK, spread over the invocations), plus the mask
//     (additive; bool keep / drop) — a dropped score (mask, causal, key past Sk, additive -inf) is stored as -inf;
//  2. V tile -> the same workgroup memory (K is no longer needed); one invocation per row updates the running max
//     m and sum l, turns its row of S into P = exp(S - m_new) (0 where dropped) and keeps alpha = exp(m_old - m_new);
//  3. O = alpha·O + P·V_tile, O in registers (each invocation owns BQ·Dv/64 outputs).
// Finally Y = O / l; a row whose keys were all dropped (l = 0) is NaN, like the reference (softmax over -inf).
// Causal: the key tiles past the block's last row's diagonal (key j > i + Sk - Sq, signed) are never loaded.
// Dropped scores are recognized by their bits (-inf), never by arithmetic on infinities.
//
// Template parameters (typed, part of the generated source and so of the cache key): BQ and BK (chooseAttentionTile:
// the largest blocks whose workgroup memory fits in 16 KiB, the portable minimum), W = 4 (vec4 dot products and
// outputs) when Dk and Dv are multiples of 4, else 1. Dk and Dv are baked in (static, at most MAX_HEAD); batch,
// heads, Sq, Sk and the leading dims of layout 'heads' may be symbolic (run-time params).

import { type Dim, dimEq, dimMul, dimsProduct, isStaticDim } from '../../../compiler/ir/dim.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { registerKernel } from '../kernel.js';
import { type ShaderBuilder, type TensorVar, f32Literal, factor } from '../wgsl.js';
import { broadcastOffset, coords, strides } from './indexing.js';

export const MAX_HEAD = 256;
/** Invocations per workgroup. */
const WG = 64;
/** Workgroup memory budget in f32s: 16 KiB. */
const BUDGET = 4096;
const NEG_INF_BITS = '0xff800000u';

export interface AttentionTile {
  readonly bq: number;
  readonly bk: number;
}

/** f32s of workgroup memory: Q block, one K-or-V tile, the score tile, and m / l / alpha per row. */
export const attentionFloats = (t: AttentionTile, dk: number, dv: number): number => t.bq * dk + t.bk * Math.max(dk, dv) + t.bq * t.bk + 3 * t.bq;

const nextPow2 = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, x)));

/** The largest BQ (then BK), powers of two up to 32 and no larger than a static Sq / Sk needs, within 16 KiB. */
export function chooseAttentionTile(dk: number, dv: number, sq: Dim, sk: Dim): AttentionTile {
  const cap = (d: Dim): number => (isStaticDim(d) ? Math.min(32, nextPow2(d)) : 32);
  for (let bq = cap(sq); bq >= 1; bq /= 2) {
    for (let bk = cap(sk); bk >= 1; bk /= 2) if (attentionFloats({ bq, bk }, dk, dv) <= BUDGET) return { bq, bk };
  }
  throw new Error(`no attention tile fits head sizes ${dk}, ${dv}`);
}

/** Where row `pos`, column d of a head's matrix lives: base (per workgroup) + pos·posStride + d·dStride. */
interface Addressing {
  readonly t: TensorVar;
  readonly base: string;
  readonly posStride: string;
  readonly dStride: string;
}

interface Geometry {
  readonly lead: readonly Dim[];
  readonly sq: Dim;
  readonly sk: Dim;
  readonly dk: Dim;
  readonly dv: Dim;
}

function geometry(step: Step): Geometry {
  const [q, k, v] = step.inputs as [TensorRef, TensorRef, TensorRef];
  const y = step.outputs[0]!;
  const a = step.attrs;
  if (a.layout === 'heads') {
    const kt = k.shape.slice(-2);
    return { lead: y.shape.slice(0, -2), sq: q.shape[q.shape.length - 2]!, sk: kt[a.k_transposed ? 1 : 0]!, dk: q.shape[q.shape.length - 1]!, dv: v.shape[v.shape.length - 1]! };
  }
  const h = a.num_heads as number;
  const per = (d: Dim): Dim => (isStaticDim(d) ? d / h : d);
  const sbd = a.layout === 'sbd';
  return { lead: [q.shape[sbd ? 1 : 0]!, h], sq: q.shape[sbd ? 0 : 1]!, sk: k.shape[sbd ? 0 : 1]!, dk: per(q.shape[2]!), dv: per(v.shape[2]!) };
}

registerKernel({
  op: 'Attention',
  check(step) {
    const a = step.attrs;
    if (a.layout !== 'bsd' && a.layout !== 'sbd' && a.layout !== 'heads') return `layout '${String(a.layout)}' is not supported on WebGPU`;
    const [q, k, v, mask] = step.inputs;
    for (const [name, r] of [['Q', q], ['K', k], ['V', v], ['Y', step.outputs[0]]] as const) {
      if (r!.dtype !== 'f32') return `only f32 attention is supported on WebGPU yet, ${name} is ${r!.dtype}`;
    }
    if (mask && mask.dtype !== (a.mask_kind === 'additive' ? 'f32' : 'bool')) return `a '${String(a.mask_kind)}' mask of dtype ${mask.dtype} is not supported on WebGPU`;
    if (step.inputs.some((r) => r?.loc.kind === 'weight' && r.loc.layout !== undefined)) return 'an operand is stored in a packed layout the WebGPU attention cannot read';
    const { dk, dv } = geometry(step);
    if (!isStaticDim(dk) || !isStaticDim(dv) || dk > MAX_HEAD || dv > MAX_HEAD) return `head sizes must be static and at most ${MAX_HEAD}, got Dk = ${dk}, Dv = ${dv}`;
    return undefined;
  },
  build(ctx, step) {
    const [q, k, v, mask] = step.inputs as [TensorRef, TensorRef, TensorRef, TensorRef | undefined];
    const y = step.outputs[0]!;
    const a = step.attrs;
    const g = geometry(step);
    const [dk, dv] = [g.dk as number, g.dv as number];
    const tile = chooseAttentionTile(dk, dv, g.sq, g.sk);
    const { bq, bk } = tile;
    const W = dk % 4 === 0 && dv % 4 === 0 ? 4 : 1;
    const vt = W === 4 ? 'vec4<f32>' : 'f32';
    const [dkW, dvW, kvW] = [dk / W, dv / W, Math.max(dk, dv) / W];
    const b = ctx.builder(WG);
    const [Sq, Sk] = [b.dim(g.sq), b.dim(g.sk)];
    b.declare(`var<workgroup> Qs: array<${vt}, ${bq * dkW}>;`);
    b.declare(`var<workgroup> KV: array<${vt}, ${bk * kvW}>;`);
    b.declare(`var<workgroup> Ss: array<f32, ${bq * bk}>;`);
    b.declare(`var<workgroup> ms: array<f32, ${bq}>;`);
    b.declare(`var<workgroup> ls: array<f32, ${bq}>;`);
    b.declare(`var<workgroup> als: array<f32, ${bq}>;`);

    // Operand addressing per layout; `ld0..` are the coordinates of the workgroup's head in g.lead.
    const [Q, K, V, Y] = [b.tensor(q), b.tensor(k), b.tensor(v), b.tensor(y, 'write')];
    let at: { q: Addressing; k: Addressing; v: Addressing; y: Addressing };
    if (a.layout === 'heads') {
      const mat = (t: TensorVar, rows: Dim, cols: Dim, transposed = false): Addressing => {
        const lead = t.ref.shape.slice(0, -2);
        const off = lead.length === 0 || dimEq(dimsProduct(lead), 1) ? '0u' : `(${broadcastOffset(b, 'ld', lead, g.lead)}) * ${b.dim(dimMul(rows, cols))}`;
        return transposed ? { t, base: off, posStride: '1u', dStride: b.dim(rows) } : { t, base: off, posStride: b.dim(cols), dStride: '1u' };
      };
      at = { q: mat(Q, g.sq, dk), k: a.k_transposed ? mat(K, g.sk, dk, true) : mat(K, g.sk, dk), v: mat(V, g.sk, dv), y: mat(Y, g.sq, dv) };
    } else {
      // [B, S, H·D] (bsd) or [S, B, H·D] (sbd): head h of batch b, position s at (b·S + s)·H·D + h·D or (s·B + b)·H·D + h·D.
      const h = a.num_heads as number;
      const rows = (t: TensorVar, seq: Dim, d: number): Addressing => {
        const width = h * d;
        return a.layout === 'bsd'
          ? { t, base: `ld0 * ${b.dim(dimMul(seq, width))} + ld1 * ${d}u`, posStride: `${width}u`, dStride: '1u' }
          : { t, base: `ld0 * ${width}u + ld1 * ${d}u`, posStride: b.dim(dimMul(g.lead[0]!, width)), dStride: '1u' };
      };
      at = { q: rows(Q, g.sq, dk), k: rows(K, g.sk, dk), v: rows(V, g.sk, dv), y: rows(Y, g.sq, dv) };
    }
    /** A W-vector of row `pos`, columns d·W.. of an operand. */
    const vload = (x: Addressing, pos: string, d: string): string => {
      const row = `${x.base} + (${pos}) * ${x.posStride}`;
      const el = (c: number): string => b.load(x.t, `${row} + (${W === 1 ? d : `${d} * 4u + ${c}u`}) * ${x.dStride}`);
      return W === 1 ? el(0) : `vec4<f32>(${[0, 1, 2, 3].map(el).join(', ')})`;
    };
    const per = (n: number): number => Math.ceil(n / WG);
    /** A loop over the flat indices e < n spread over the invocations (`t` = this invocation's round). */
    const spread = (n: number, body: string[]): string[] => [
      per(n) === 1 ? '{' : `for (var t = 0u; t < ${per(n)}u; t = t + 1u) {`,
      per(n) === 1 ? '  let t = 0u;\n  let e = lid;' : `  let e = lid + t * ${WG}u;`,
      ...(n % WG === 0 ? body.map((l) => `  ${l}`) : [`  if (e < ${n}u) {`, ...body.map((l) => `    ${l}`), '  }']),
      '}',
    ];
    const nqb = isStaticDim(g.sq) ? `${Math.ceil(g.sq / bq)}u` : `((${Sq} + ${bq - 1}u) / ${bq}u)`;
    const nLead = g.lead.length;
    const lines = [
      `if (gid >= ${b.size(g.lead)} * ${nqb}) { return; }`,
      `let negInf = -${b.use('inf')}();`,
      `let q0 = (gid % ${nqb}) * ${bq}u;`,
      `let l = gid / ${nqb};`,
      nLead ? coords(b, 'ld', 'l', g.lead) : '',
      `let qBase = ${at.q.base};`,
      `let kBase = ${at.k.base};`,
      `let vBase = ${at.v.base};`,
      `let yBase = ${at.y.base};`,
      ...spread(bq * dkW, [
        `let r = e / ${dkW}u;`,
        'let i = q0 + r;',
        `var x = ${vt}(0.0);`,
        `if (i < ${Sq}) { x = ${vload({ ...at.q, base: 'qBase' }, 'i', `e % ${dkW}u`)} * ${f32Literal(a.scale as number)}; }`,
        'Qs[e] = x;',
      ]),
      `if (lid < ${bq}u) { ms[lid] = 0.0; ls[lid] = 0.0; }`,
      `var acc: array<${vt}, ${per(bq * dvW)}>;`,
      // Causal: keys past the diagonal of the block's last row are never visited.
      a.causal
        ? `let kEnd = u32(clamp(i32(min(q0 + ${bq}u, ${Sq})) + i32(${Sk}) - i32(${Sq}), 0, i32(${Sk})));`
        : `let kEnd = ${Sk};`,
      'workgroupBarrier();',
      `for (var k0 = 0u; k0 < kEnd; k0 = k0 + ${bk}u) {`,
    ];
    const body: string[] = [];
    // 1. K tile (coalesced along the contiguous axis of K), then scores.
    const kAlongKeys = a.k_transposed === 1;
    body.push(...spread(bk * dkW, [
      `let j = ${kAlongKeys ? `e % ${bk}u` : `e / ${dkW}u`};`,
      `let d = ${kAlongKeys ? `e / ${bk}u` : `e % ${dkW}u`};`,
      `var x = ${vt}(0.0);`,
      `if (k0 + j < ${Sk}) { x = ${vload({ ...at.k, base: 'kBase' }, 'k0 + j', 'd')}; }`,
      `KV[j * ${dkW}u + d] = x;`,
    ]), 'workgroupBarrier();');
    const scoreLines = [
      `let r = e / ${bk}u;`,
      `let j = e % ${bk}u;`,
      'let i = q0 + r;',
      'let kj = k0 + j;',
      'var s = 0.0;',
      `for (var d = 0u; d < ${dkW}u; d = d + 1u) { s = s + ${W === 4 ? `dot(Qs[r * ${dkW}u + d], KV[j * ${dkW}u + d])` : `Qs[r * ${dkW}u + d] * KV[j * ${dkW}u + d]`}; }`,
      `var dropped = kj >= ${Sk} || i >= ${Sq};`,
    ];
    if (a.causal) scoreLines.push(`dropped = dropped || i32(kj) > i32(i) + i32(${Sk}) - i32(${Sq});`);
    if (mask) scoreLines.push(...maskLines(b, mask, g, a.mask_kind as string));
    scoreLines.push('Ss[e] = select(s, negInf, dropped);');
    body.push(...spread(bq * bk, scoreLines), 'workgroupBarrier();');
    // 2. V tile into the same memory; online softmax, one invocation per row.
    body.push(...spread(bk * dvW, [
      `let j = e / ${dvW}u;`,
      `var x = ${vt}(0.0);`,
      `if (k0 + j < ${Sk}) { x = ${vload({ ...at.v, base: 'vBase' }, 'k0 + j', `e % ${dvW}u`)}; }`,
      'KV[e] = x;',
    ]));
    body.push(
      `if (lid < ${bq}u) {`,
      '  let mOld = ms[lid];',
      '  let lOld = ls[lid];',
      '  var mx = mOld;',
      '  var seen = lOld > 0.0;',
      `  for (var j = 0u; j < ${bk}u; j = j + 1u) {`,
      `    let s = Ss[lid * ${bk}u + j];`,
      `    if (bitcast<u32>(s) != ${NEG_INF_BITS}) { mx = select(s, max(mx, s), seen); seen = true; }`,
      '  }',
      '  var sum = 0.0;',
      `  for (var j = 0u; j < ${bk}u; j = j + 1u) {`,
      `    let s = Ss[lid * ${bk}u + j];`,
      '    var p = 0.0;',
      `    if (seen && bitcast<u32>(s) != ${NEG_INF_BITS}) { p = exp(s - mx); }`,
      `    Ss[lid * ${bk}u + j] = p;`,
      '    sum = sum + p;',
      '  }',
      // Before the first visible key l = 0 and O = 0: alpha is then irrelevant (1).
      '  let alpha = select(1.0, exp(mOld - mx), lOld > 0.0);',
      '  ms[lid] = mx;',
      '  ls[lid] = lOld * alpha + sum;',
      '  als[lid] = alpha;',
      '}',
      'workgroupBarrier();',
    );
    // 3. O = alpha·O + P·V.
    body.push(...spread(bq * dvW, [
      `let r = e / ${dvW}u;`,
      `let d = e % ${dvW}u;`,
      'var o = acc[t] * als[r];',
      `for (var j = 0u; j < ${bk}u; j = j + 1u) { o = o + Ss[r * ${bk}u + j] * KV[j * ${dvW}u + d]; }`,
      'acc[t] = o;',
    ]), 'workgroupBarrier();');
    lines.push(...body.map((l) => `  ${l}`), '}');
    // Y = O / l (NaN where every key was dropped).
    const yRow = `yBase + i * ${at.y.posStride}`;
    const stores = W === 1
      ? [b.store(Y, `${yRow} + d * ${at.y.dStride}`, 'o')]
      : [0, 1, 2, 3].map((c) => b.store(Y, `${yRow} + (d * 4u + ${c}u) * ${at.y.dStride}`, `o.${'xyzw'[c]}`));
    lines.push(...spread(bq * dvW, [
      `let r = e / ${dvW}u;`,
      `let d = e % ${dvW}u;`,
      'let i = q0 + r;',
      `if (i < ${Sq}) {`,
      '  let lr = ls[r];',
      `  let o = select(acc[t] / lr, ${vt}(${b.use('nan')}()), lr == 0.0);`,
      ...stores.map((s) => `  ${s}`),
      '}',
    ]));
    return [{
      shader: b.build(lines.filter(Boolean).join('\n')),
      workgroups: [factor(dimsProduct(g.lead)), factor(g.sq, bq)],
      workgroupBytes: attentionFloats(tile, dk, dv) * 4,
    }];
  },
});

/** Score statements applying the mask at (lead coords ld.., row i, key kj), right-aligned to the scores [...lead, Sq, Sk]. */
function maskLines(b: ShaderBuilder, mask: TensorRef, g: Geometry, kind: string): string[] {
  const M = b.tensor(mask);
  const st = strides(mask.shape);
  const names = [...g.lead.map((_, i) => `ld${i}`), 'i', 'kj'];
  const shift = names.length - mask.shape.length;
  const terms = mask.shape.flatMap((d, ax) => (dimEq(d, 1) ? [] : [dimEq(st[ax]!, 1) ? names[ax + shift]! : `${names[ax + shift]} * ${b.dim(st[ax]!)}`]));
  const mv = b.load(M, terms.join(' + ') || '0u');
  // Rows past Sq and keys past Sk are dropped already: only in-range mask elements are read.
  if (kind === 'additive') {
    return ['if (!dropped) {', `  let mv = ${mv};`, `  dropped = bitcast<u32>(mv) == ${NEG_INF_BITS};`, '  s = s + mv;', '}'];
  }
  return [`if (!dropped) { dropped = ${mv} ${kind === 'keep' ? '==' : '!='} 0u; }`];
}
