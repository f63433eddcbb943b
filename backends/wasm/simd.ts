// Thin typed helpers over binaryen's JS API for SIMD kernel bodies: locals, counted loops, v128 loads/stores
// with static offsets, f32x4 multiply-add (relaxed FMA when the module variant allows it), horizontal sums.
//
// A kernel builds one function body with an `Fn`: `const f = new Fn(m, features, [i32, i32]); ... f.finish(body)`.
// Every helper returns a binaryen expression; nothing is emitted until the caller places it in a block.

import binaryen from 'binaryen';
import type { Expr, WasmFeatures } from './kernel.js';

export type { Expr };

const { i32, f32, v128, none } = binaryen;

/** binaryen.js exposes relaxed-SIMD ternaries only through its C API (its typings omit it). */
interface RelaxedApi {
  _BinaryenSIMDTernary(module: number, op: number, a: Expr, b: Expr, c: Expr): Expr;
}

/** A local variable of a function under construction. */
export interface Local {
  readonly index: number;
  readonly type: binaryen.Type;
}

/** The body of one function under construction: its params, the locals it adds, and expression helpers. */
export class Fn {
  private readonly vars: binaryen.Type[] = [];
  private labels = 0;
  /** The params as locals, in order. */
  readonly params: readonly Local[];

  constructor(
    readonly m: binaryen.Module,
    readonly features: WasmFeatures,
    paramTypes: readonly binaryen.Type[],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  /** A fresh local of `type`. */
  local(type: binaryen.Type): Local {
    this.vars.push(type);
    return { index: this.params.length + this.vars.length - 1, type };
  }

  /** The extra locals, for `module.addFunction`. */
  get varTypes(): binaryen.Type[] {
    return [...this.vars];
  }

  get(l: Local): Expr {
    return this.m.local.get(l.index, l.type);
  }

  set(l: Local, value: Expr): Expr {
    return this.m.local.set(l.index, value);
  }

  tee(l: Local, value: Expr): Expr {
    return this.m.local.tee(l.index, value, l.type);
  }

  /** A statement list (a block with no result). */
  block(stmts: readonly Expr[]): Expr {
    return this.m.block(null, [...stmts], none);
  }

  // ---- i32 arithmetic -----------------------------------------------------------------------------------

  i32(n: number): Expr {
    return this.m.i32.const(n | 0);
  }

  // binaryen expression refs are JS numbers too, so constants get their own helpers (…N) rather than overloads.
  add(a: Expr, b: Expr): Expr {
    return this.m.i32.add(a, b);
  }

  addN(a: Expr, n: number): Expr {
    return n === 0 ? a : this.m.i32.add(a, this.i32(n));
  }

  mul(a: Expr, b: Expr): Expr {
    return this.m.i32.mul(a, b);
  }

  mulN(a: Expr, n: number): Expr {
    return this.m.i32.mul(a, this.i32(n));
  }

  /** `l += by` as a statement. */
  inc(l: Local, by: Expr): Expr {
    return this.set(l, this.add(this.get(l), by));
  }

  incN(l: Local, n: number): Expr {
    return this.set(l, this.addN(this.get(l), n));
  }

  /**
   * `for (i = from; i < to; i += step) body` (signed compare), evaluated as a do-while behind a guard so the
   * loop head costs one compare and branch per iteration. `to` is evaluated every iteration: pass a local.
   */
  forRange(i: Local, from: Expr, to: () => Expr, step: number, body: readonly Expr[]): Expr {
    const id = this.labels++;
    const loop = `L${id}`;
    const m = this.m;
    return this.block([
      this.set(i, from),
      m.if(
        m.i32.lt_s(this.get(i), to()),
        m.loop(loop, this.block([...body, this.incN(i, step), m.br(loop, m.i32.lt_s(this.get(i), to()))])),
      ),
    ]);
  }

  /** `while (n-- > 0) body`-style counted loop of a known positive trip count held in `count` (decremented). */
  countDown(count: Local, body: readonly Expr[]): Expr {
    const id = this.labels++;
    const loop = `C${id}`;
    const m = this.m;
    return m.loop(
      loop,
      this.block([...body, m.br(loop, this.tee(count, m.i32.sub(this.get(count), this.i32(1))))]),
    );
  }

  /** `if (cond) then [else otherwise]` as a statement. */
  if(cond: Expr, then: readonly Expr[], otherwise?: readonly Expr[]): Expr {
    return this.m.if(cond, this.block(then), otherwise ? this.block(otherwise) : undefined);
  }

  // ---- memory ---------------------------------------------------------------------------------------------

  /** v128 load of 16 bytes at `ptr + offset` (offset static, non-negative). */
  load(ptr: Expr, offset = 0): Expr {
    return this.m.v128.load(offset, 4, ptr);
  }

  store(ptr: Expr, offset: number, value: Expr): Expr {
    return this.m.v128.store(offset, 4, ptr, value);
  }

  /** One f32 at `ptr + offset` broadcast to all four lanes. */
  splatLoad(ptr: Expr, offset = 0): Expr {
    return this.m.v128.load32_splat(offset, 4, ptr);
  }

  /**
   * The first `lanes` (1..4) f32 at `ptr + offset` in the low lanes, zeros above, reading no byte past them
   * (for tensor edges). `ptr` must be side-effect free when lanes is 3 (read twice).
   */
  loadLanes(ptr: () => Expr, offset: number, lanes: number): Expr {
    const m = this.m;
    if (lanes >= 4) return this.load(ptr(), offset);
    if (lanes === 1) return m.v128.load32_zero(offset, 4, ptr());
    const two = m.v128.load64_zero(offset, 4, ptr());
    return lanes === 2 ? two : m.v128.load32_lane(offset + 8, 4, 2, ptr(), two);
  }

  loadF32(ptr: Expr, offset = 0): Expr {
    return this.m.f32.load(offset, 4, ptr);
  }

  storeF32(ptr: Expr, offset: number, value: Expr): Expr {
    return this.m.f32.store(offset, 4, ptr, value);
  }

  /**
   * Stores the first `lanes` (0..4) f32 lanes of `vec` at `ptr + offset`; `vec` must be side-effect free
   * (a local.get) since it may be read twice.
   */
  storeLanes(ptr: () => Expr, offset: number, vec: () => Expr, lanes: number): Expr[] {
    const m = this.m;
    if (lanes >= 4) return [this.store(ptr(), offset, vec())];
    const out: Expr[] = [];
    if (lanes >= 2) out.push(m.v128.store64_lane(offset, 4, 0, ptr(), vec()));
    if (lanes === 1 || lanes === 3) out.push(m.v128.store32_lane(offset + (lanes - 1) * 4, 4, lanes - 1, ptr(), vec()));
    return out;
  }

  // ---- f32x4 ----------------------------------------------------------------------------------------------

  splat(x: Expr): Expr {
    return this.m.f32x4.splat(x);
  }

  splatConst(x: number): Expr {
    return this.m.f32x4.splat(this.m.f32.const(x));
  }

  zero(): Expr {
    return this.m.v128.const([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  }

  fadd(a: Expr, b: Expr): Expr {
    return this.m.f32x4.add(a, b);
  }

  fmul(a: Expr, b: Expr): Expr {
    return this.m.f32x4.mul(a, b);
  }

  fmax(a: Expr, b: Expr): Expr {
    return this.m.f32x4.max(a, b);
  }

  /** a * b + c: `f32x4.relaxed_madd` (a fused multiply-add on FMA hardware) in the relaxed variant, else mul+add. */
  madd(a: Expr, b: Expr, c: Expr): Expr {
    if (this.features.relaxedSimd) {
      return (binaryen as unknown as RelaxedApi)._BinaryenSIMDTernary(this.m.ptr, binaryen.RelaxedMaddVecF32x4, a, b, c);
    }
    return this.m.f32x4.add(this.m.f32x4.mul(a, b), c);
  }

  lane(vec: Expr, i: number): Expr {
    return this.m.f32x4.extract_lane(vec, i);
  }

  /** The f32 sum of the four lanes of `v` (a local, read twice): (v0 + v2) + (v1 + v3). */
  hsum(v: Local): Expr {
    const m = this.m;
    const swapped = m.i8x16.shuffle(this.get(v), this.get(v), [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]);
    const pair = this.local(v128);
    return m.block(null, [
      this.set(pair, this.fadd(this.get(v), swapped)),
      m.f32.add(this.lane(this.get(pair), 0), this.lane(this.get(pair), 1)),
    ], f32);
  }

  /** Adds the finished function to the module (no export) and returns its name. */
  finish(name: string, results: binaryen.Type, body: Expr): string {
    this.m.addFunction(name, binaryen.createType(this.params.map((p) => p.type)), results, this.varTypes, body);
    return name;
  }
}

export const types = { i32, f32, v128, none };
