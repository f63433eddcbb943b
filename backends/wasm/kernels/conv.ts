// Conv (1-D and 2-D, f32): an implicit-GEMM SIMD kernel for unpadded, ungrouped convolutions with a constant
// weight (the ViT / patch-embedding case: stride = kernel), and a direct loop for everything else (pads,
// strides, dilations, groups, bias).
//
// Implicit GEMM: Y[n] (M x P, P = output pixels) = W (M x K, K = C kh kw) · patches (K x P), with W packed at
// compile time into pack.ts's NR = 8 column panels of Wᵀ and the patches read straight from X (no im2col copy):
// a 4-pixel x 8-channel register tile, per k one splat of X per pixel and two panel vectors; the kx loop is
// unrolled (static offsets), ky and c advance row pointers. Pixels go in chunks of 64 (their patches stay in L2
// while every panel streams past), the tile is transposed with shuffles so each channel's 4 pixels store as one
// v128 into NCHW, and the bias is added at the store.

import binaryen from 'binaryen';
import { type Dim, isStaticDim } from '../../../compiler/ir/dim.js';
import { type ConvAttrs, convGeometry } from '../../../compiler/ops/linalg.js';
import type { Node } from '../../../compiler/ir/graph.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { NR, PANEL_LAYOUT, packWeightTensor } from '../pack.js';
import { Fn, type Local } from '../simd.js';

const { i32, f32, v128, none } = binaryen;

/** The convolution as 2-D (1-D gets a unit leading spatial dim): static kernel geometry, possibly symbolic sizes. */
interface Conv2d {
  readonly C: number;
  readonly M: number;
  readonly group: number;
  readonly kh: number;
  readonly kw: number;
  readonly sy: number;
  readonly sx: number;
  readonly dy: number;
  readonly dx: number;
  readonly py: number;
  readonly px: number;
  readonly N: Dim;
  readonly H: Dim;
  readonly W: Dim;
  readonly OH: Dim;
  readonly OW: Dim;
  /** No padding is read and groups = 1: the implicit-GEMM path applies (given a packed weight). */
  readonly gemmable: boolean;
}

/** Pixels per chunk of the implicit GEMM. */
const PIXEL_CHUNK = 64;
/** Widest kernel row the implicit GEMM unrolls. */
const MAX_UNROLL = 32;

function geometry(x: readonly Dim[], w: readonly Dim[], attrs: Readonly<Record<string, unknown>>): Conv2d | undefined {
  if (x.length !== 3 && x.length !== 4) return undefined;
  const geo = convGeometry({ fail: (msg) => { throw new Error(msg); } }, x, w, attrs as unknown as ConvAttrs);
  const two = <T>(v: readonly T[], unit: T): [T, T] => (v.length === 1 ? [unit, v[0]!] : [v[0]!, v[1]!]);
  const [C, M] = [x[1]!, w[0]!];
  if (!isStaticDim(C) || !isStaticDim(M)) return undefined;
  const [kh, kw] = two(geo.kernel, 1);
  const [sy, sx] = two(geo.strides, 1);
  const [dy, dx] = two(geo.dilations, 1);
  const [py, px] = two(geo.padBegin, 0);
  const [H, W] = two(x.slice(2), 1 as Dim);
  const [OH, OW] = two(geo.out, 1 as Dim);
  const group = (attrs.group as number | undefined) ?? 1;
  // Windows stay inside the input: no begin padding, and the last window ends inside (static dims), or no end
  // padding was asked for at all (symbolic dims).
  const pads = (attrs.pads as number[] | undefined) ?? [];
  const inside = (o: Dim, s: number, d: number, k: number, size: Dim): boolean =>
    isStaticDim(o) && isStaticDim(size) ? (o - 1) * s + d * (k - 1) + 1 <= size : attrs.auto_pad === 'VALID' || (attrs.auto_pad === 'NOTSET' && pads.every((p) => p === 0));
  const gemmable = group === 1 && py === 0 && px === 0 && kw <= MAX_UNROLL && inside(OH, sy, dy, kh, H) && inside(OW, sx, dx, kw, W);
  return { C, M, group, kh, kw, sy, sx, dy, dx, py, px, N: x[0]!, H, W, OH, OW, gemmable };
}

const geometryOfNode = (node: Node): Conv2d | undefined => {
  const [x, w] = [node.inputs[0], node.inputs[1]];
  return x && w ? geometry(x.type.shape, w.type.shape, node.attrs) : undefined;
};

const key = (g: Conv2d): string => `C${g.C}_M${g.M}_g${g.group}_k${g.kh}x${g.kw}_s${g.sy}x${g.sx}_d${g.dy}x${g.dx}_p${g.py}x${g.px}`;

const PARAMS = [i32, i32, i32, i32, i32, i32, i32, i32, i32]; // x, w, bias, y, N, H, W, OH, OW

const lanes32 = (l: readonly number[]): number[] => l.flatMap((v) => [4 * v, 4 * v + 1, 4 * v + 2, 4 * v + 3]);

// ---------------------------------------------------------------------------------------------------------
// Implicit GEMM over packed Wᵀ panels

function gemmFunction(ctx: KernelContext, g: Conv2d, bias: boolean): string {
  const name = `xfc_conv_igemm_${key(g)}${bias ? '_b' : ''}_${ctx.features.relaxedSimd ? 'x' : 's'}`;
  return ctx.fn(name, binaryen.createType(PARAMS), none, (m) => {
    const f = new Fn(m, ctx.features, PARAMS);
    const [px, pw, pb, py, N, H, W, OH, OW] = f.params as Local[];
    const K = g.C * g.kh * g.kw;
    const panelB = K * NR * 4;
    const nFull = Math.floor(g.M / NR);
    const edge = g.M % NR;
    const [n, P, P4, HW4, rowStep, xn, yn, q0, qEnd, q, p, bp0, bptr, c, ky, pix, yTile] = Array.from({ length: 17 }, () => f.local(i32)) as Local[];
    const base = [0, 1, 2, 3].map(() => f.local(i32));
    const rp = [0, 1, 2, 3].map(() => f.local(i32));
    const acc = Array.from({ length: 8 }, () => f.local(v128));
    const [vb0, vb1, vs] = [f.local(v128), f.local(v128), f.local(v128)];
    const tr = Array.from({ length: 4 }, () => f.local(v128));
    const col = Array.from({ length: 8 }, () => f.local(v128));

    /** One tile: `rows` pixels from q, the panel at bp0 (`lanes` valid channels from channel NR p). */
    const tile = (rows: number, lanes: number): Expr[] => {
      const out: Expr[] = [];
      for (let r = 0; r < rows; r++) {
        // pixel q + r at (oy, ox): X offset (oy sy W + ox sx) * 4
        out.push(f.set(pix!, f.addN(f.get(q!), r)));
        out.push(f.set(base[r]!, f.add(f.get(xn!), m.i32.shl(f.add(
          f.mulN(f.mul(m.i32.div_u(f.get(pix!), f.get(OW!)), f.get(W!)), g.sy),
          f.mulN(m.i32.rem_u(f.get(pix!), f.get(OW!)), g.sx)), f.i32(2)))));
      }
      out.push(...acc.map((a) => f.set(a, f.zero())), f.set(bptr!, f.get(bp0!)));
      const kStep: Expr[] = [];
      for (let kx = 0; kx < g.kw; kx++) {
        kStep.push(f.set(vb0, f.load(f.get(bptr!), kx * NR * 4)), f.set(vb1, f.load(f.get(bptr!), kx * NR * 4 + 16)));
        for (let r = 0; r < rows; r++) {
          kStep.push(f.set(vs, f.splatLoad(f.get(rp[r]!), kx * g.dx * 4)));
          kStep.push(f.set(acc[2 * r]!, f.madd(f.get(vs), f.get(vb0), f.get(acc[2 * r]!))));
          kStep.push(f.set(acc[2 * r + 1]!, f.madd(f.get(vs), f.get(vb1), f.get(acc[2 * r + 1]!))));
        }
      }
      kStep.push(f.incN(bptr!, g.kw * NR * 4), ...rp.slice(0, rows).map((l) => f.inc(l, f.get(rowStep!))));
      out.push(f.forRange(c!, f.i32(0), () => f.i32(g.C), 1, [
        ...rp.slice(0, rows).map((l, r) => f.set(l, f.get(base[r]!))),
        f.forRange(ky!, f.i32(0), () => f.i32(g.kh), 1, kStep),
        ...base.slice(0, rows).map((l) => f.inc(l, f.get(HW4!))),
      ]));
      // Transpose each 4x4 (pixels x channels) block: col[4v + j] holds channel NR p + 4v + j for the 4 pixels.
      const shuf = (a: Local, b: Local, l: number[]): Expr => m.i8x16.shuffle(f.get(a), f.get(b), lanes32(l));
      for (let v = 0; v < 2 && 4 * v < lanes; v++) {
        const rowsV = [0, 1, 2, 3].map((r) => acc[2 * r + v]!);
        out.push(
          f.set(tr[0]!, shuf(rowsV[0]!, rowsV[1]!, [0, 4, 1, 5])), f.set(tr[1]!, shuf(rowsV[0]!, rowsV[1]!, [2, 6, 3, 7])),
          f.set(tr[2]!, shuf(rowsV[2]!, rowsV[3]!, [0, 4, 1, 5])), f.set(tr[3]!, shuf(rowsV[2]!, rowsV[3]!, [2, 6, 3, 7])),
          f.set(col[4 * v]!, shuf(tr[0]!, tr[2]!, [0, 1, 4, 5])), f.set(col[4 * v + 1]!, shuf(tr[0]!, tr[2]!, [2, 3, 6, 7])),
          f.set(col[4 * v + 2]!, shuf(tr[1]!, tr[3]!, [0, 1, 4, 5])), f.set(col[4 * v + 3]!, shuf(tr[1]!, tr[3]!, [2, 3, 6, 7])),
        );
      }
      // Y[n, NR p + j, q .. q + rows): yTile = yn + (NR p P + q) * 4.
      out.push(f.set(yTile!, f.add(f.get(yn!), m.i32.shl(f.add(f.mulN(f.mul(f.get(p!), f.get(P!)), NR), f.get(q!)), f.i32(2)))));
      for (let j = 0; j < lanes; j++) {
        // (pb points at the panel's first bias value.)
        if (bias) out.push(f.set(col[j]!, f.fadd(f.get(col[j]!), f.splatLoad(f.get(pb!), j * 4))));
        const addr = (): Expr => f.add(f.get(yTile!), f.mulN(f.get(P4!), j));
        out.push(...f.storeLanes(addr, 0, () => f.get(col[j]!), rows));
      }
      return out;
    };

    /** Every tile of the chunk [q0, qEnd) for the panel at bp0. */
    const chunkTiles = (lanes: number): Expr[] => [
      f.set(q!, f.get(q0!)),
      m.block(`tiles${lanes}`, [m.loop(`tilel${lanes}`, f.block([
        m.br(`tiles${lanes}`, m.i32.gt_s(f.addN(f.get(q!), 4), f.get(qEnd!))),
        ...tile(4, lanes),
        f.incN(q!, 4),
        m.br(`tilel${lanes}`),
      ]))]),
      ...[1, 2, 3].map((r) => f.if(m.i32.eq(m.i32.sub(f.get(qEnd!), f.get(q!)), f.i32(r)), tile(r, lanes))),
    ];
    const panelAt = (): Expr[] => [f.set(bp0!, f.add(f.get(pw!), f.mulN(f.get(p!), panelB)))];
    const bias0 = f.local(i32);
    const body = f.block([
      f.set(P!, f.mul(f.get(OH!), f.get(OW!))),
      f.set(P4!, f.mulN(f.get(P!), 4)),
      f.set(HW4!, f.mulN(f.mul(f.get(H!), f.get(W!)), 4)),
      f.set(rowStep!, f.mulN(f.get(W!), g.dy * 4)),
      f.set(bias0, f.get(pb!)),
      f.set(xn!, f.get(px!)),
      f.set(yn!, f.get(py!)),
      f.forRange(n!, f.i32(0), () => f.get(N!), 1, [
        f.forRange(q0!, f.i32(0), () => f.get(P!), PIXEL_CHUNK, [
          f.set(qEnd!, f.addN(f.get(q0!), PIXEL_CHUNK)),
          f.if(m.i32.gt_s(f.get(qEnd!), f.get(P!)), [f.set(qEnd!, f.get(P!))]),
          f.set(pb!, f.get(bias0)),
          f.forRange(p!, f.i32(0), () => f.i32(nFull), 1, [...panelAt(), ...chunkTiles(NR), f.incN(pb!, NR * 4)]),
          ...(edge ? [f.set(p!, f.i32(nFull)), ...panelAt(), ...chunkTiles(edge)] : []),
        ]),
        f.inc(xn!, f.mul(f.get(HW4!), f.i32(g.C))),
        f.inc(yn!, f.mul(f.get(P4!), f.i32(g.M))),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Direct loop: any pads, strides, dilations, groups

function directFunction(ctx: KernelContext, g: Conv2d, bias: boolean): string {
  const name = `xfc_conv_direct_${key(g)}${bias ? '_b' : ''}`;
  return ctx.fn(name, binaryen.createType(PARAMS), none, (m) => {
    const f = new Fn(m, ctx.features, PARAMS);
    const [px, pw, pb, py, N, H, W, OH, OW] = f.params as Local[];
    const [Cg, Mg] = [g.C / g.group, g.M / g.group];
    const [n, oc, oy, ox, ci, ky, kx, iy, ix, xc, wp, yp, HW4] = Array.from({ length: 13 }, () => f.local(i32)) as Local[];
    const acc = f.local(f32);
    const body = f.block([
      f.set(HW4!, f.mulN(f.mul(f.get(H!), f.get(W!)), 4)),
      f.set(yp!, f.get(py!)),
      f.forRange(n!, f.i32(0), () => f.get(N!), 1, [
        f.forRange(oc!, f.i32(0), () => f.i32(g.M), 1, [
          f.forRange(oy!, f.i32(0), () => f.get(OH!), 1, [
            f.forRange(ox!, f.i32(0), () => f.get(OW!), 1, [
              f.set(acc, bias ? f.loadF32(f.add(f.get(pb!), f.mulN(f.get(oc!), 4))) : m.f32.const(0)),
              f.forRange(ci!, f.i32(0), () => f.i32(Cg), 1, [
                // X plane of channel (oc / Mg) Cg + ci of image n; W row (oc, ci).
                f.set(xc!, f.add(f.get(px!), f.mul(f.get(HW4!), f.add(f.mulN(f.get(n!), g.C), f.add(f.mulN(m.i32.div_u(f.get(oc!), f.i32(Mg)), Cg), f.get(ci!)))))),
                f.set(wp!, f.add(f.get(pw!), f.mulN(f.add(f.mulN(f.get(oc!), Cg), f.get(ci!)), g.kh * g.kw * 4))),
                f.forRange(ky!, f.i32(0), () => f.i32(g.kh), 1, [
                  f.set(iy!, f.addN(f.add(f.mulN(f.get(oy!), g.sy), f.mulN(f.get(ky!), g.dy)), -g.py)),
                  f.if(m.i32.lt_u(f.get(iy!), f.get(H!)), [
                    f.forRange(kx!, f.i32(0), () => f.i32(g.kw), 1, [
                      f.set(ix!, f.addN(f.add(f.mulN(f.get(ox!), g.sx), f.mulN(f.get(kx!), g.dx)), -g.px)),
                      f.if(m.i32.lt_u(f.get(ix!), f.get(W!)), [
                        f.set(acc, m.f32.add(f.get(acc), m.f32.mul(
                          f.loadF32(f.add(f.get(xc!), m.i32.shl(f.add(f.mul(f.get(iy!), f.get(W!)), f.get(ix!)), f.i32(2)))),
                          f.loadF32(f.add(f.get(wp!), m.i32.shl(f.add(f.mulN(f.get(ky!), g.kw), f.get(kx!)), f.i32(2))))))),
                      ]),
                    ]),
                  ]),
                ]),
              ]),
              f.storeF32(f.get(yp!), 0, f.get(acc)),
              f.incN(yp!, 4),
            ]),
          ]),
        ]),
      ]),
    ]);
    return { vars: f.varTypes, body };
  });
}

// ---------------------------------------------------------------------------------------------------------

function emitConv(ctx: KernelContext, step: Step): Expr {
  const [x, w, b] = step.inputs as [TensorRef, TensorRef, TensorRef | undefined];
  const g = geometry(x.shape, w.shape, step.attrs)!;
  const packed = w.loc.kind === 'weight' && w.loc.layout === PANEL_LAYOUT;
  const fn = packed ? gemmFunction(ctx, g, b !== undefined) : directFunction(ctx, g, b !== undefined);
  const m = ctx.module;
  return m.call(fn, [ctx.ptr(x), ctx.ptr(w), b ? ctx.ptr(b) : m.i32.const(0), ctx.ptr(step.outputs[0]!),
    ...[g.N, g.H, g.W, g.OH, g.OW].map((d) => ctx.dim(d))], none);
}

registerKernel({
  op: 'Conv',
  check(step) {
    const x = step.inputs[0]!;
    if (x.dtype !== 'f32') return `Conv on ${x.dtype} is not supported by the wasm backend (f32 only)`;
    if (x.shape.length !== 3 && x.shape.length !== 4) return `only 1-D and 2-D convolutions are supported, got input of rank ${x.shape.length}`;
    if (!geometry(x.shape, step.inputs[1]!.shape, step.attrs)) return 'the channel counts must be static';
    return undefined;
  },
  packWeight(step, index, t) {
    if (index !== 1 || t.dtype !== 'f32') return undefined;
    const g = geometryOfNode(step.node);
    if (!g?.gemmable) return undefined;
    return { layout: PANEL_LAYOUT, pack: (wt) => packWeightTensor(wt.reshape([g.M, g.C * g.kh * g.kw]), true) };
  },
  emit: emitConv,
});

