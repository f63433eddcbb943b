// Row kernels over reduce.ts's group walker: Softmax, LogSoftmax, Hardmax along any axis; LayerNormalization and
// SkipLayerNormalization over the last axis. A row is a group: one workgroup each when long, one invocation when short.

import { type Dim, dimEq, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step } from '../../common/schedule.js';
import { type KernelDispatch, registerKernel } from '../kernel.js';
import { type ShaderBuilder, type TensorVar, f32Literal } from '../wgsl.js';
import { GroupWalk, WG, argFold, argResult, axisWalk, groupsOf, maxFold, sumFold } from './reduce.js';

const f32Only = (step: Step): string | undefined =>
  [...step.inputs, ...step.outputs].some((r) => r && r.dtype !== 'f32') ? 'only f32 operands are supported on WebGPU yet' : undefined;

/**
 * Statements after the walk's prologue. Softmax: e^(x - max) / sum; LogSoftmax: (x - max) - log(sum), or x - max
 * when max is not finite (the reference's x - logsumexp); Hardmax: 1 at the first largest member (a NaN never wins,
 * as in the reference's x > best).
 */
const ROW_OPS: Readonly<Record<string, (b: ShaderBuilder, walk: GroupWalk, X: TensorVar, store: (v: string) => string) => string[]>> = {
  Softmax: (b, walk, X, store) => [
    walk.fold(maxFold(b), 'm', (p) => b.load(X, p)),
    walk.fold(sumFold((x) => `exp(${x} - m0)`), 's', (p) => b.load(X, p)),
    // A NaN or +inf member, or none above -inf, makes every result NaN, as in the reference (x - m0 is NaN for some
    // member there; exp(NaN) is not NaN on every driver).
    walk.each(store(`select(${b.use('nan')}(), exp(${b.load(X, 'p')} - m0) / s0, ${b.use('isfinite')}(m0))`)),
  ],
  LogSoftmax: (b, walk, X, store) => [
    walk.fold(maxFold(b), 'm', (p) => b.load(X, p)),
    walk.fold(sumFold((x) => `exp(${x} - m0)`), 's', (p) => b.load(X, p)),
    `let ls = select(0.0, log(s0), ${b.use('isfinite')}(m0));`,
    walk.each(store(`(${b.load(X, 'p')} - m0) - ls`)),
  ],
  Hardmax: (b, walk, X, store) => {
    const arg = argFold(b, X, 'max', false);
    return [walk.fold(arg.fold, 'a', arg.value), argResult(arg, 'best'), walk.each(store('select(0.0, 1.0, j == best)'))];
  },
};

for (const [op, rowBody] of Object.entries(ROW_OPS)) {
  registerKernel({
    op,
    check: f32Only,
    build(ctx, step) {
      const [x, y] = [step.inputs[0]!, step.outputs[0]!];
      const b = ctx.builder(WG);
      const [X, Y] = [b.tensor(x), b.tensor(y, 'write')];
      const walk = axisWalk(b, x.shape, step.attrs.axis as number);
      const body = [walk.prologue(), ...rowBody(b, walk, X, (v) => b.store(Y, 'p', v))];
      return [{ shader: b.build(body.join('\n')), workgroups: walk.grid(), workgroupBytes: walk.workgroupBytes }];
    },
  });
}

/**
 * LayerNorm over rows of `hidden` elements: `value` is member j of the row at offset p (x, or x + skip + bias),
 * `gamma` / `beta` expressions of j; `storeSum` stores the value as it is first computed.
 */
function normDispatch(b: ShaderBuilder, rows: Dim, hidden: Dim, value: string, epsilon: number,
  gamma: string, beta: string | undefined, store: (y: string) => string, storeSum?: (v: string) => string): KernelDispatch {
  const walk = new GroupWalk(b, groupsOf([rows, hidden], [1]));
  const n = b.dim(hidden);
  const body = [
    walk.prologue(),
    walk.fold(sumFold(), 's', () => value, storeSum),
    `let mean = s0 / f32(${n});`,
    walk.fold(sumFold((d) => `(${d} - mean) * (${d} - mean)`), 'q', () => value),
    `let inv = inverseSqrt(q0 / f32(${n}) + ${f32Literal(epsilon)});`,
    walk.each(store(`(${value} - mean) * inv * ${gamma}${beta ? ` + ${beta}` : ''}`)),
  ];
  return { shader: b.build(body.join('\n')), workgroups: walk.grid(), workgroupBytes: walk.workgroupBytes };
}

registerKernel({
  op: 'LayerNormalization',
  check(step) {
    const rank = step.inputs[0]!.shape.length;
    const axis = step.attrs.axis as number;
    if (axis !== -1 && axis !== rank - 1) return 'only axis = -1 is supported on WebGPU yet';
    if (step.outputs.length > 1) return 'the Mean / InvStdDev results are not supported on WebGPU yet';
    if (step.inputs[1]!.shape.length !== 1 || (step.inputs[2] && step.inputs[2].shape.length !== 1)) return 'Scale and B must be 1-D on WebGPU yet';
    return f32Only(step);
  },
  build(ctx, step) {
    const [x, g, bt] = step.inputs;
    const b = ctx.builder(WG);
    const [X, G, Y] = [b.tensor(x!), b.tensor(g!), b.tensor(step.outputs[0]!, 'write')];
    const B = bt ? b.tensor(bt) : undefined;
    return [normDispatch(b, dimsProduct(x!.shape.slice(0, -1)), x!.shape[x!.shape.length - 1]!, b.load(X, 'p'),
      step.attrs.epsilon as number, b.load(G, 'j'), B && b.load(B, 'j'), (y) => b.store(Y, 'p', y))];
  },
});

registerKernel({
  op: 'SkipLayerNormalization',
  check: f32Only,
  build(ctx, step) {
    const [x, skip, g, bt, bias] = step.inputs;
    const b = ctx.builder(WG);
    const [X, S, G, Y] = [b.tensor(x!), b.tensor(skip!), b.tensor(g!), b.tensor(step.outputs[0]!, 'write')];
    const B = bt ? b.tensor(bt) : undefined;
    const Bias = bias ? b.tensor(bias) : undefined;
    const sumOut = step.outputs[1] ? b.tensor(step.outputs[1], 'write') : undefined;
    const hidden = x!.shape[x!.shape.length - 1]!;
    const rows = dimsProduct(x!.shape.slice(0, -1));
    // skip broadcasts to X: it repeats every prod(skip)/hidden rows.
    const same = skip!.shape.length === x!.shape.length && skip!.shape.every((d, i) => dimEq(d, x!.shape[i]!));
    const skipAt = same ? 'p' : `(row % ${b.dim(dimsProduct(skip!.shape.slice(0, -1)))}) * ${b.dim(hidden)} + j`;
    const value = `(${b.load(X, 'p')} + ${b.load(S, skipAt)}${Bias ? ` + ${b.load(Bias, 'j')}` : ''})`;
    return [normDispatch(b, rows, hidden, value, step.attrs.epsilon as number, b.load(G, 'j'), B && b.load(B, 'j'),
      (y) => b.store(Y, 'p', y), sumOut && ((v) => b.store(sumOut, 'p', v)))];
  },
});
