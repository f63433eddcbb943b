// Reductions: Reduce{Sum,Mean,Max,Min,Prod,L1,L2,SumSquare,LogSum,LogSumExp} over any axes, ArgMax / ArgMin, and
// the group walker that rows.ts's Softmax family and LayerNorms share.
//
// A tensor is viewed as groups (one per result element, or per softmax row): the kept dims number the groups, the
// reduced dims their members, each as runs of merged adjacent dims with element strides (size-1 dims dropped), so
// any axes — contiguous or not — are one loop. Long groups (symbolic, or more than WG members) get one workgroup
// each: members strided over the lanes, partial results merged in workgroup memory; short ones one invocation each.
// A fold is accumulator components with initial values, an element step and a merge; a reduction is one or two
// folds (LogSumExp: max, then the sum of e^(x - max)) and a final map (mean, sqrt, log).

import { type Dim, dimEq, dimMul, dimsProduct, isStaticDim } from '../../../compiler/ir/dim.js';
import { dtypeInfo } from '../../../compiler/ir/dtype.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { reducedAxes } from '../../common/axes.js';
import type { WorkgroupFactor } from '../../../runtime/webgpu.js';
import { registerKernel } from '../kernel.js';
import { type ShaderBuilder, type TensorVar, computeType, factor, wordsPerElement } from '../wgsl.js';
import { coords, strides } from './indexing.js';

/** Lanes of a group's workgroup, and the largest static group one invocation walks alone. */
export const WG = 64;

/** Merged adjacent dims of one kind: their product and the element stride of the innermost. */
interface Run {
  readonly d: Dim;
  readonly stride: Dim;
}

export interface Groups {
  readonly rows: Dim;
  readonly count: Dim;
  /** Runs of kept dims (numbering the groups, row-major) and of reduced dims (numbering the members). */
  readonly kept: readonly Run[];
  readonly red: readonly Run[];
}

/** The groups of `shape` reduced over `axes` (normalized). */
export function groupsOf(shape: readonly Dim[], axes: readonly number[]): Groups {
  const st = strides(shape);
  const kept: Run[] = [];
  const red: Run[] = [];
  let last: Run[] | undefined;
  shape.forEach((d, i) => {
    if (dimEq(d, 1)) return;
    const list = axes.includes(i) ? red : kept;
    if (last === list) list[list.length - 1] = { d: dimMul(list[list.length - 1]!.d, d), stride: st[i]! };
    else list.push({ d, stride: st[i]! });
    last = list;
  });
  return { rows: dimsProduct(kept.map((r) => r.d)), count: dimsProduct(red.map((r) => r.d)), kept, red };
}

/** The element offset of flat index `flat` over `runs`: statements (coordinates) and the expression. */
function offsetOf(b: ShaderBuilder, name: string, flat: string, runs: readonly Run[]): { pre: string; expr: string } {
  const term = (c: string, r: Run): string => (dimEq(r.stride, 1) ? c : `${c} * ${b.dim(r.stride)}`);
  if (runs.length === 0) return { pre: '', expr: '0u' };
  if (runs.length === 1) return { pre: '', expr: term(flat, runs[0]!) };
  return { pre: coords(b, name, flat, runs.map((r) => r.d)), expr: runs.map((r, k) => term(`${name}${k}`, r)).join(' + ') };
}

const indent = (lines: readonly string[]): string => lines.filter(Boolean).join('\n').replace(/^(?=.)/gm, '  ');

/** Accumulator components, their element step and the merge of two partial results. */
export interface Fold {
  readonly acc: readonly { readonly type: string; readonly init: string }[];
  /** Statements folding member value `x` (index `j`) into the accumulator variables `a`. */
  step(a: readonly string[], x: string, j: string): string;
  /** Expressions: the components of the merge of partial results `a` (the earlier lanes) and `b`. */
  merge(a: readonly string[], b: readonly string[]): readonly string[];
}

/** A one-component fold: `comb` of the mapped members, starting from `init`. */
export function combFold(init: string, comb: (a: string, b: string) => string, map: (x: string) => string = (x) => x): Fold {
  return {
    acc: [{ type: 'f32', init }],
    step: ([a], x) => `${a} = ${comb(a!, map(x))};`,
    merge: ([a], [c]) => [comb(a!, c!)],
  };
}

/** One shader walking groups: one workgroup per group (long groups) or one invocation per group (short ones). */
export class GroupWalk {
  readonly mode: 'workgroup' | 'invocation';
  private readonly arrays = new Map<string, number>();

  constructor(private readonly b: ShaderBuilder, readonly g: Groups) {
    this.mode = isStaticDim(g.count) && g.count <= WG ? 'invocation' : 'workgroup';
  }

  /** Statements defining `row` (the group) and `base` (the offset of its first member); past the last group, returns. */
  prologue(): string {
    const row = this.mode === 'workgroup' ? 'gid' : `gid * ${WG}u + lid`;
    const k = offsetOf(this.b, 'kc', 'row', this.g.kept);
    return [`let row = ${row};`, `if (row >= ${this.b.dim(this.g.rows)}) { return; }`, k.pre, `let base = ${k.expr};`].filter(Boolean).join('\n');
  }

  /** A loop over this invocation's members of the group: `body` sees `j` (the member) and `p` (its element offset). */
  each(body: string): string {
    const r = offsetOf(this.b, 'rc', 'j', this.g.red);
    const [from, by] = this.mode === 'workgroup' ? ['lid', `${WG}u`] : ['0u', '1u'];
    return `for (var j = ${from}; j < ${this.b.dim(this.g.count)}; j = j + ${by}) {\n${indent([r.pre, `let p = base + ${r.expr};`, body])}\n}`;
  }

  /**
   * Statements folding `value(p)` over the group into variables `${name}0`, `${name}1` ... that every invocation of
   * the group then holds; `after(x)` are statements run per member once its value `x` is known (a side store).
   */
  fold(f: Fold, name: string, value: (p: string) => string, after?: (x: string) => string): string {
    const a = f.acc.map((_, k) => `${name}${k}`);
    const lines = f.acc.map((c, k) => `var ${a[k]}: ${c.type} = ${c.init};`);
    lines.push(this.each([`let x = ${value('p')};`, after ? after('x') : '', f.step(a, 'x', 'j')].filter(Boolean).join('\n')));
    if (this.mode === 'invocation') return lines.join('\n');
    const arrays = f.acc.map((c, k) => this.array(k, c.type));
    const merged = f.merge(arrays.map((r) => `${r}[lid]`), arrays.map((r) => `${r}[lid + s]`));
    lines.push(
      ...arrays.map((r, k) => `${r}[lid] = ${a[k]};`),
      'workgroupBarrier();',
      `for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {`,
      '  if (lid < s) {',
      ...merged.map((m, k) => `    let m${k} = ${m};`),
      ...arrays.map((r, k) => `    ${r}[lid] = m${k};`),
      '  }',
      '  workgroupBarrier();',
      '}',
      ...arrays.map((r, k) => `${a[k]} = ${r}[0];`),
      'workgroupBarrier();',
    );
    return lines.join('\n');
  }

  /** `stmt` run once per group (by lane 0 of a group's workgroup). */
  once(stmt: string): string {
    return this.mode === 'workgroup' ? `if (lid == 0u) { ${stmt} }` : stmt;
  }

  grid(): WorkgroupFactor[] {
    return [factor(this.g.rows, this.mode === 'workgroup' ? 1 : WG)];
  }

  /** Bytes of workgroup memory the folds declared. */
  get workgroupBytes(): number {
    return [...this.arrays.values()].reduce((a, n) => a + n, 0);
  }

  private array(k: number, type: string): string {
    const name = `xfc_red${k}_${type.replace(/\W/g, '')}`;
    this.b.declare(`var<workgroup> ${name}: array<${type}, ${WG}>;`);
    this.arrays.set(name, WG * (type.startsWith('vec2') ? 8 : 4));
    return name;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reduce*

interface ReduceSpec {
  readonly folds: readonly Fold[];
  /** The result from the folds' results (`r0`, `r1` ...) and the member count (a u32 expression). */
  readonly final?: (res: readonly string[], count: string) => string;
}

/** The sum of map(member). */
export const sumFold = (map?: (x: string) => string): Fold => combFold('0.0', (a, c) => `${a} + ${c}`, map);
/** The largest member; NaN if any member is NaN (as the reference's max). */
export const maxFold = (b: ShaderBuilder): Fold => combFold(`-${b.use('inf')}()`, (a, c) => `${b.use('fmax')}(${a}, ${c})`);

const SPECS: Readonly<Record<string, (b: ShaderBuilder) => ReduceSpec>> = {
  ReduceSum: () => ({ folds: [sumFold()] }),
  ReduceMean: () => ({ folds: [sumFold()], final: ([s], n) => `${s} / f32(${n})` }),
  ReduceMax: (b) => ({ folds: [maxFold(b)] }),
  ReduceMin: (b) => ({ folds: [combFold(`${b.use('inf')}()`, (a, c) => `${b.use('fmin')}(${a}, ${c})`)] }),
  ReduceProd: () => ({ folds: [combFold('1.0', (a, c) => `${a} * ${c}`)] }),
  ReduceL1: () => ({ folds: [sumFold((x) => `abs(${x})`)] }),
  ReduceL2: () => ({ folds: [sumFold((x) => `${x} * ${x}`)], final: ([s]) => `sqrt(${s})` }),
  ReduceSumSquare: () => ({ folds: [sumFold((x) => `${x} * ${x}`)] }),
  ReduceLogSum: () => ({ folds: [sumFold()], final: ([s]) => `log(${s})` }),
  // max + log(sum e^(x - max)); a non-finite max is the result itself (as in the reference).
  ReduceLogSumExp: (b) => ({
    folds: [maxFold(b), sumFold((x) => `exp(${x} - r00)`)],
    final: ([m, s]) => `select(${m}, ${m} + log(${s}), ${b.use('isfinite')}(${m}))`,
  }),
};

/** One invocation per element: y[e] = x[e]. */
function copyBody(b: ShaderBuilder, x: TensorVar, y: TensorVar): string {
  return [`let e = gid * ${WG}u + lid;`, `if (e >= ${b.size(x.ref.shape)}) { return; }`, b.store(y, 'e', b.load(x, 'e'))].join('\n');
}

for (const op of Object.keys(SPECS)) {
  registerKernel({
    op,
    check(step) {
      const dtype = step.inputs[0]!.dtype;
      if (dtype !== 'f32') return `${op} on ${dtype} is not supported by the WebGPU backend yet (f32 only)`;
      if (reducedAxes(step) === undefined) return 'the axes operand must be known at compile time';
      return undefined;
    },
    build(ctx, step) {
      const [x, y] = [step.inputs[0]!, step.outputs[0]!];
      const b = ctx.builder(WG);
      const [X, Y] = [b.tensor(x), b.tensor(y, 'write')];
      const axes = reducedAxes(step)!;
      if (axes === 'identity') return [{ shader: b.build(copyBody(b, X, Y)), workgroups: [factor(dimsProduct(x.shape), WG)] }];
      const walk = new GroupWalk(b, groupsOf(x.shape, axes));
      const spec = SPECS[op]!(b);
      const res = spec.folds.map((_, k) => `r${k}0`);
      const value = spec.final ? spec.final(res, b.dim(walk.g.count)) : res[res.length - 1]!;
      const body = [walk.prologue(), ...spec.folds.map((f, k) => walk.fold(f, `r${k}`, (p) => b.load(X, p))), walk.once(b.store(Y, 'row', value))];
      return [{ shader: b.build(body.join('\n')), workgroups: walk.grid(), workgroupBytes: walk.workgroupBytes }];
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// ArgMax, ArgMin (and Hardmax's best index): the first (or last) best member; a NaN never wins (the reference's
// x > best), except at member 0, which nothing then beats.

const NONE = '0xffffffffu';

/** The walk over the lines along one `axis` of `shape` (negative counts from the end): ArgMax/ArgMin and the row ops. */
export function axisWalk(b: ShaderBuilder, shape: readonly Dim[], axis: number): GroupWalk {
  return new GroupWalk(b, groupsOf(shape, [axis < 0 ? axis + shape.length : axis]));
}

/** Why the arg fold cannot compare `dtype`, or undefined. */
export function argCheck(dtype: TensorRef['dtype']): string | undefined {
  const loadable = wordsPerElement(dtype) !== undefined || dtypeInfo(dtype).bytes === 1;
  const wide = dtypeInfo(dtype).bytes === 8 && dtype !== 'i64';
  return computeType(dtype) && loadable && !wide ? undefined : `dtype ${dtype} is not supported by the WebGPU backend yet`;
}

/**
 * The (best value, best index) fold over members of X, `value` the member's comparable value at offset p. i64
 * compares (high word signed, low word unsigned) pairs; other dtypes their compute type.
 */
export function argFold(b: ShaderBuilder, X: TensorVar, kind: 'max' | 'min', last: boolean): { fold: Fold; value: (p: string) => string; isNan?: (v: string) => string } {
  const wide = X.ref.dtype === 'i64';
  const type = wide ? 'vec2<u32>' : X.type;
  const init = wide ? 'vec2<u32>()' : X.type === 'f32' ? '0.0' : X.type === 'i32' ? '0i' : '0u';
  const gt = (a: string, c: string): string => (wide ? `(bitcast<i32>(${a}.y) > bitcast<i32>(${c}.y) || (${a}.y == ${c}.y && ${a}.x > ${c}.x))` : `${a} > ${c}`);
  const eq = (a: string, c: string): string => (wide ? `all(${a} == ${c})` : `${a} == ${c}`);
  const isNan = X.type === 'f32' && !wide ? (v: string) => `${b.use('isnan')}(${v})` : undefined;
  b.declare([
    `fn xfc_arg_better(av: ${type}, ai: u32, bv: ${type}, bi: u32) -> bool {`,
    `  if (ai == ${NONE}) { return false; }`,
    `  if (bi == ${NONE}) { return true; }`,
    ...(isNan ? [`  if (${isNan('av')}) { return false; }`, `  if (${isNan('bv')}) { return true; }`] : []),
    `  if (${kind === 'max' ? gt('av', 'bv') : gt('bv', 'av')}) { return true; }`,
    `  return ${eq('av', 'bv')} && ai ${last ? '>' : '<'} bi;`,
    '}',
  ].join('\n'));
  const fold: Fold = {
    acc: [{ type, init }, { type: 'u32', init: NONE }],
    step: ([v, i], x, j) => `if (xfc_arg_better(${x}, ${j}, ${v}, ${i})) { ${v} = ${x}; ${i} = ${j}; }`,
    merge: ([av, ai], [bv, bi]) => {
      const take = `xfc_arg_better(${bv}, ${bi}, ${av}, ${ai})`;
      return [`select(${av}, ${bv}, ${take})`, `select(${ai}, ${bi}, ${take})`];
    },
  };
  const value = (p: string): string => (wide ? `vec2<u32>(${b.word(X, p, 0)}, ${b.word(X, p, 1)})` : b.load(X, p));
  return { fold, value, ...(isNan ? { isNan } : {}) };
}

/** Statements: `let ${name} = ` the best member index of the group after `walk.fold(arg.fold, 'a', ...)`. */
export function argResult(arg: ReturnType<typeof argFold>, name: string): string {
  const first = arg.isNan ? `select(a1, 0u, ${arg.isNan(arg.value('base'))})` : 'a1';
  return `let ${name} = select(${first}, 0u, a1 == ${NONE});`;
}

for (const op of ['ArgMax', 'ArgMin']) {
  registerKernel({
    op,
    check: (step) => argCheck(step.inputs[0]!.dtype),
    build(ctx, step) {
      const [x, y] = [step.inputs[0]!, step.outputs[0]!];
      const b = ctx.builder(WG);
      const [X, Y] = [b.tensor(x), b.tensor(y, 'write')];
      const walk = axisWalk(b, x.shape, step.attrs.axis as number);
      const arg = argFold(b, X, op === 'ArgMax' ? 'max' : 'min', step.attrs.select_last_index === 1);
      const body = [walk.prologue(), walk.fold(arg.fold, 'a', arg.value), argResult(arg, 'best'), walk.once(b.store(Y, 'row', 'i32(best)'))];
      return [{ shader: b.build(body.join('\n')), workgroups: walk.grid(), workgroupBytes: walk.workgroupBytes }];
    },
  });
}
