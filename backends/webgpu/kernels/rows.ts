// Row kernels: one workgroup per row, reductions in workgroup memory: Softmax, LayerNormalization, SkipLayerNormalization.

import { type Dim, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step } from '../../common/schedule.js';
import { type KernelDispatch, registerKernel } from '../kernel.js';
import { type ShaderBuilder, f32Literal, factor } from '../wgsl.js';

const WG = 64;

/** Statements reducing `v` (f32, one per invocation) over the workgroup with `op` into `${name}` (all lanes see it). */
function reduce(b: ShaderBuilder, name: string, v: string, op: 'max' | 'sum'): string {
  b.declare(`var<workgroup> red: array<f32, ${WG}>;`);
  const combine = op === 'max' ? 'max(red[lid], red[lid + s])' : 'red[lid] + red[lid + s]';
  return [`red[lid] = ${v};`, 'workgroupBarrier();',
    `for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) { if (lid < s) { red[lid] = ${combine}; } workgroupBarrier(); }`,
    `let ${name} = red[0];`, 'workgroupBarrier();'].join('\n');
}

const f32Only = (step: Step): string | undefined =>
  [...step.inputs, ...step.outputs].some((r) => r && r.dtype !== 'f32') ? 'only f32 operands are supported on WebGPU yet' : undefined;

registerKernel({
  op: 'Softmax',
  check(step) {
    const rank = step.inputs[0]!.shape.length;
    const axis = step.attrs.axis as number;
    return f32Only(step) ?? (axis !== -1 && axis !== rank - 1 ? 'only the last axis is supported on WebGPU yet' : undefined);
  },
  build(ctx, step) {
    const x = step.inputs[0]!;
    const b = ctx.builder(WG);
    const [X, Y] = [b.tensor(x), b.tensor(step.outputs[0]!, 'write')];
    const n = b.dim(x.shape[x.shape.length - 1]!);
    const body = [
      `let base = gid * ${n};`,
      'var m = -3.0e38;',
      `for (var j = lid; j < ${n}; j = j + ${WG}u) { m = max(m, ${b.load(X, 'base + j')}); }`,
      reduce(b, 'rowMax', 'm', 'max'),
      'var s = 0.0;',
      `for (var j = lid; j < ${n}; j = j + ${WG}u) { s = s + exp(${b.load(X, 'base + j')} - rowMax); }`,
      reduce(b, 'rowSum', 's', 'sum'),
      `for (var j = lid; j < ${n}; j = j + ${WG}u) { ${b.store(Y, 'base + j', `exp(${b.load(X, 'base + j')} - rowMax) / rowSum`)} }`,
    ];
    return [{ shader: b.build(body.join('\n')), workgroups: [factor(dimsProduct(x.shape.slice(0, -1)))], workgroupBytes: WG * 4 }];
  },
});

/** LayerNorm over rows of `hidden` elements; `value(j)` is element j of the row (x, or x + skip + bias). */
function normDispatch(b: ShaderBuilder, rows: Dim, hidden: Dim, value: (j: string) => string, epsilon: number,
  gamma: string, beta: string | undefined, store: (j: string, y: string) => string, storeSum?: (j: string, v: string) => string): KernelDispatch {
  const n = b.dim(hidden);
  const body = [
    `let base = gid * ${n};`,
    'var s = 0.0;',
    `for (var j = lid; j < ${n}; j = j + ${WG}u) { let v = ${value('j')}; s = s + v; ${storeSum ? storeSum('j', 'v') : ''} }`,
    reduce(b, 'total', 's', 'sum'),
    `let mean = total / f32(${n});`,
    'var q = 0.0;',
    `for (var j = lid; j < ${n}; j = j + ${WG}u) { let d = ${value('j')} - mean; q = q + d * d; }`,
    reduce(b, 'sq', 'q', 'sum'),
    `let inv = inverseSqrt(sq / f32(${n}) + ${f32Literal(epsilon)});`,
    `for (var j = lid; j < ${n}; j = j + ${WG}u) { ${store('j', `(${value('j')} - mean) * inv * ${gamma.replace(/\$j/g, 'j')}${beta ? ` + ${beta.replace(/\$j/g, 'j')}` : ''}`)} }`,
  ];
  return { shader: b.build(body.join('\n')), workgroups: [factor(rows)], workgroupBytes: WG * 4 };
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
    return [normDispatch(b, dimsProduct(x!.shape.slice(0, -1)), x!.shape[x!.shape.length - 1]!, (j) => b.load(X, `base + ${j}`),
      step.attrs.epsilon as number, b.load(G, '$j'), B && b.load(B, '$j'), (j, y) => b.store(Y, `base + ${j}`, y))];
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
    const skipRows = dimsProduct(skip!.shape.slice(0, -1));
    const skipIdx = (j: string): string => (skip!.shape.length === x!.shape.length && skip!.shape.every((d, i) => d === x!.shape[i]) ? `base + ${j}` : `(gid % ${b.dim(skipRows)}) * ${b.dim(hidden)} + ${j}`);
    const value = (j: string): string => `(${b.load(X, `base + ${j}`)} + ${b.load(S, skipIdx(j))}${Bias ? ` + ${b.load(Bias, j)}` : ''})`;
    return [normDispatch(b, rows, hidden, value, step.attrs.epsilon as number, b.load(G, '$j'), B && b.load(B, '$j'),
      (j, y) => b.store(Y, `base + ${j}`, y), sumOut && ((j, v) => b.store(sumOut, `base + ${j}`, v)))];
  },
});
