// Einsum, f32: one loop nest over the equation's labels (result labels, then summed labels), with the labels taken
// from the op's own plan (compiler/ops/matrix.ts's einsumPlan), products summed in f32 per result element.
//
// Every operand walks the nest by per-label byte strides (a label repeated in one operand, a diagonal, adds its
// axes' strides; a broadcast size-1 axis has stride 0), all passed at run time, so symbolic dims cost nothing
// and one function serves every equation of the same loop structure. Two layouts get four lanes at a time:
//  - 'axpy': the last result label is contiguous (stride 4) or broadcast (stride 0) in every operand: four
//    result elements are accumulated together (bhqk,bhkd->bhqd; bnd,hde->bhne; i,j->ij);
//  - 'dot': otherwise, the last summed label is contiguous or broadcast in every operand (contiguous in one at
//    least): four products are accumulated and summed horizontally at the end (bhqd,bhkd->bhqk; ij->).
// Anything else (transposes, diagonals) runs one element at a time through the same code on splats.

import binaryen from 'binaryen';
import { type Dim, dimAdd, isStaticDim } from '../../../compiler/ir/dim.js';
import { einsumPlan } from '../../../compiler/ops/matrix.js';
import type { Step, TensorRef } from '../../common/schedule.js';
import { type Expr, type KernelContext, registerKernel } from '../kernel.js';
import { Fn, type Local } from '../simd.js';
import { byteStrides } from './nd.js';

const { i32, v128, none } = binaryen;

type Mode = 'axpy' | 'dot' | 'scalar';

interface Nest {
  /** Loop extents: the result labels in order, then the summed labels. */
  readonly sizes: Dim[];
  readonly numOut: number;
  /** strides[j][k]: bytes pointer j (0 = the result, then the operands) advances per step of loop k. */
  readonly strides: Dim[][];
  readonly mode: Mode;
  /** Per operand, in the vectorized loop: contiguous (a v128 load) or broadcast (a splat). */
  readonly contiguous: boolean[];
}

function nestOf(step: Step): Nest {
  const inputs = step.inputs as TensorRef[];
  const y = step.outputs[0]!;
  // The node's type rule already ran this plan on the same shapes: it cannot fail here.
  const plan = einsumPlan({ fail: (m: string): never => { throw new Error(m); } }, step.attrs.equation as string, inputs.map((t) => t.shape));
  const sumLabels = [...plan.sizes.keys()].filter((l) => !plan.output.includes(l));
  const labels = [...plan.output, ...sumLabels];
  const operandStrides = inputs.map((t, j) => {
    const own = byteStrides(t.shape, 4);
    return labels.map((l) => plan.operands[j]!.reduce<Dim>((acc, ol, axis) => (ol === l && t.shape[axis] !== 1 ? dimAdd(acc, own[axis]!) : acc), 0));
  });
  const outOwn = byteStrides(y.shape, 4);
  const outStrides = labels.map((_, k) => (k < plan.output.length ? outOwn[k]! : 0));
  const sizes = labels.map((l) => plan.sizes.get(l)!);
  const numOut = plan.output.length;
  const unitOrZero = (k: number) => operandStrides.every((s) => s[k] === 4 || s[k] === 0);
  const worthIt = (k: number) => !(isStaticDim(sizes[k]!) && (sizes[k] as number) < 4);
  let mode: Mode = 'scalar';
  let vk = -1;
  if (numOut > 0 && outStrides[numOut - 1] === 4 && unitOrZero(numOut - 1) && worthIt(numOut - 1)) [mode, vk] = ['axpy', numOut - 1];
  else if (labels.length > numOut && unitOrZero(labels.length - 1) && operandStrides.some((s) => s[labels.length - 1] === 4) && worthIt(labels.length - 1)) {
    [mode, vk] = ['dot', labels.length - 1];
  }
  return { sizes, numOut, strides: [outStrides, ...operandStrides], mode, contiguous: operandStrides.map((s) => vk >= 0 && s[vk] === 4) };
}

function nestName(ctx: KernelContext, operands: number, nest: Nest): string {
  const flags = nest.mode === 'scalar' ? '' : `_${nest.contiguous.map((c) => (c ? 'c' : 'b')).join('')}`;
  return `xfc_einsum_n${operands}_o${nest.numOut}_s${nest.sizes.length - nest.numOut}_${nest.mode}${flags}_${ctx.features.relaxedSimd ? 'x' : 's'}`;
}

/** The loop-nest function: params (result and operand pointers, loop extents, strides[j][k] row by row). */
function nestFunction(ctx: KernelContext, operands: number, nest: Nest): string {
  const P = operands + 1;
  const L = nest.sizes.length;
  const types = new Array<binaryen.Type>(P + L + P * L).fill(i32);
  return ctx.fn(nestName(ctx, operands, nest), binaryen.createType(types), none, (m) => {
    const f = new Fn(m, ctx.features, types);
    const dim = (k: number) => f.params[P + k]!;
    const stride = (j: number, k: number) => f.params[P + L + j * L + k]!;
    // base[k][j]: pointer j at the start of loop k (base[L]: at the innermost body).
    const base: Local[][] = [f.params.slice(0, P)];
    for (let k = 1; k <= L; k++) base.push(Array.from({ length: P }, () => f.local(i32)));
    const [acc, tail] = [f.local(v128), f.local(v128)];
    const { mode, numOut } = nest;
    const vecLoop = mode === 'axpy' ? numOut - 1 : mode === 'dot' ? L - 1 : -1;

    /** Loop k around body(lanes); the vectorized loop runs four at a time, then one at a time. */
    const loop = (k: number, lanes: 4 | 1, body: (lanes: 4 | 1) => Expr[]): Expr => {
      const i = f.local(i32);
      const iteration = (l: 4 | 1) => [
        ...base[k + 1]!.map((b, j) => f.set(b, f.get(base[k]![j]!))),
        ...body(l),
        ...base[k]!.map((b, j) => f.inc(b, l === 4 ? m.i32.shl(f.get(stride(j, k)), f.i32(2)) : f.get(stride(j, k)))),
      ];
      if (k !== vecLoop) return f.forRange(i, f.i32(0), () => f.get(dim(k)), 1, iteration(lanes));
      const end = f.local(i32);
      return f.block([
        f.set(end, m.i32.and(f.get(dim(k)), f.i32(-4))),
        f.forRange(i, f.i32(0), () => f.get(end), 4, iteration(4)),
        f.forRange(i, f.get(end), () => f.get(dim(k)), 1, iteration(1)),
      ]);
    };

    /** Innermost body: acc (or the dot tail) += the product of the operands' elements. */
    const accumulate = (lanes: 4 | 1, target: Local): Expr => {
      const ptrs = base[L]!.slice(1);
      const loads = ptrs.map((p, j) => (lanes === 4 && nest.contiguous[j] ? f.load(f.get(p)) : f.splatLoad(f.get(p))));
      const value = loads.length === 1 ? f.fadd(f.get(target), loads[0]!)
        : f.madd(loads.slice(0, -1).reduce((a, b) => f.fmul(a, b)), loads[loads.length - 1]!, f.get(target));
      return f.set(target, value);
    };

    /** Summed loops from k on, inside result lanes `outLanes`. */
    const sums = (k: number, outLanes: 4 | 1, sumLanes: 4 | 1): Expr[] => {
      if (k === L) return [accumulate(mode === 'axpy' ? outLanes : sumLanes, mode === 'dot' && sumLanes === 1 ? tail : acc)];
      return [loop(k, sumLanes, (l) => sums(k + 1, outLanes, l))];
    };

    const outs = (k: number, lanes: 4 | 1): Expr[] => {
      if (k < numOut) return [loop(k, lanes, (l) => outs(k + 1, l))];
      const y = base[numOut]![0]!;
      let store: Expr;
      if (mode === 'dot') store = f.storeF32(f.get(y), 0, m.f32.add(f.hsum(acc), f.lane(f.get(tail), 0)));
      else store = lanes === 4 ? f.store(f.get(y), 0, f.get(acc)) : f.storeF32(f.get(y), 0, f.lane(f.get(acc), 0));
      return [f.set(acc, f.zero()), f.set(tail, f.zero()), ...sums(numOut, lanes, 1), store];
    };

    const body = f.block(outs(0, 1));
    return { vars: f.varTypes, body };
  });
}

registerKernel({
  op: 'Einsum',
  check: (step) => (step.outputs[0]!.dtype === 'f32' ? undefined : `Einsum on ${step.outputs[0]!.dtype} is not supported by the wasm backend (f32 only)`),
  emit(ctx, step) {
    const inputs = step.inputs as TensorRef[];
    const nest = nestOf(step);
    const name = nestFunction(ctx, inputs.length, nest);
    const args = [ctx.ptr(step.outputs[0]!), ...inputs.map((t) => ctx.ptr(t)), ...nest.sizes.map((d) => ctx.dim(d)),
      ...nest.strides.flatMap((s) => s.map((d) => ctx.dim(d)))];
    return ctx.module.call(name, args, none);
  },
});
