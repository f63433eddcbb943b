// Elementwise kernels: unary (accurate math helpers in wgsl.ts), binary (broadcasting), variadic, Where, Clip, Cast,
// Gelu, Mod, inference BatchNormalization: one generic map shader.
//
// Each invocation computes one output element (four for byte-sized results such as bool, so that it stores a
// whole word). Operands are read at their broadcast index; exact-shape and one-element operands need no index math.

import { dimsProduct } from '../../../compiler/ir/dim.js';
import { dtypeInfo } from '../../../compiler/ir/dtype.js';
import type { Step } from '../../common/schedule.js';
import { registerKernel, type WebGpuKernel } from '../kernel.js';
import { computeType, f32Literal, factor, type ShaderBuilder, type TensorVar, wordsPerElement } from '../wgsl.js';
import { broadcastOffset, coords, trivialBroadcast } from './indexing.js';

type Attrs = Step['attrs'];
/** The WGSL expression of an op over operand expressions (already loaded as their compute types). */
type MapFn = (b: ShaderBuilder, x: readonly string[], attrs: Attrs, t: 'f32' | 'i32' | 'u32') => string;

const unaryF32: Record<string, MapFn> = {
  Sqrt: (_, [x]) => `sqrt(${x})`, Exp: (_, [x]) => `exp(${x})`, Log: (b, [x]) => `${b.use('log')}(${x})`,
  Erf: (b, [x]) => `${b.use('erf')}(${x})`, Tanh: (b, [x]) => `${b.use('tanh')}(${x})`,
  Sigmoid: (b, [x]) => `${b.use('sigmoid')}(${x})`, Sin: (b, [x]) => `${b.use('sin')}(${x})`, Cos: (b, [x]) => `${b.use('cos')}(${x})`,
  Floor: (_, [x]) => `floor(${x})`, Ceil: (_, [x]) => `ceil(${x})`, Round: (_, [x]) => `round(${x})`,
  Reciprocal: (_, [x]) => `(1.0 / ${x})`, Softplus: (b, [x]) => `${b.use('softplus')}(${x})`,
  LeakyRelu: (_, [x], a) => `select(${f32Literal(a.alpha as number)} * ${x}, ${x}, ${x} >= 0.0)`,
  Elu: (_, [x], a) => `select(${f32Literal(a.alpha as number)} * (exp(${x}) - 1.0), ${x}, ${x} >= 0.0)`,
  HardSigmoid: (b, [x], a) => `${b.use('fmax')}(0.0, ${b.use('fmin')}(1.0, ${f32Literal(a.alpha as number)} * ${x} + ${f32Literal(a.beta as number)}))`,
  Gelu: (b, [x], a) => `${b.use(a.approximate === 'tanh' ? 'gelu_tanh' : 'gelu')}(${x})`,
  // SwiftShader's trigonometric and hyperbolic builtins are not accurate enough: wgsl.ts's helpers (Cephes).
  Tan: (b, [x]) => `${b.use('tan')}(${x})`, Sinh: (b, [x]) => `${b.use('sinh')}(${x})`, Cosh: (b, [x]) => `${b.use('cosh')}(${x})`,
  Asin: (b, [x]) => `${b.use('asin')}(${x})`, Acos: (b, [x]) => `${b.use('acos')}(${x})`, Atan: (b, [x]) => `${b.use('atan')}(${x})`,
};
const zero = (t: string): string => (t === 'f32' ? '0.0' : t === 'i32' ? '0i' : '0u');
/** Relu as the reference has it, x > 0 ? x : 0: NaN gives 0 whatever the driver's max does with it. */
export const reluExpr = (x: string, t: 'f32' | 'i32' | 'u32'): string => `select(${zero(t)}, ${x}, ${x} > ${zero(t)})`;
const numeric: Record<string, MapFn> = {
  Relu: (_, [x], _a, t) => reluExpr(x!, t), Neg: (_, [x]) => `(-${x})`, Abs: (_, [x]) => `abs(${x})`,
  Sign: (_, [x]) => `sign(${x})`,
  Add: (_, [a, b]) => `(${a} + ${b})`, Sub: (_, [a, b]) => `(${a} - ${b})`, Mul: (_, [a, b]) => `(${a} * ${b})`,
  Div: (_, [a, b]) => `(${a} / ${b})`,
  Pow: (b, [x, y], _a, t) => (t === 'f32' ? `${b.use('pow')}(${x}, ${y})` : `${b.use('ipow')}(${x}, ${y})`),
  Max: (b, xs, _a, t) => xs.reduce((acc, x) => `${t === 'f32' ? b.use('fmax') : 'max'}(${acc}, ${x})`),
  Min: (b, xs, _a, t) => xs.reduce((acc, x) => `${t === 'f32' ? b.use('fmin') : 'min'}(${acc}, ${x})`),
  Sum: (_, xs) => `(${xs.join(' + ')})`, Mean: (_, xs) => `((${xs.join(' + ')}) / ${xs.length}.0)`,
  Where: (_, [c, x, y]) => `select(${y}, ${x}, ${c} != 0u)`,
  Clip: (b, [x, lo, hi], _a, t) => {
    const [max, min] = t === 'f32' ? [b.use('fmax'), b.use('fmin')] : ['max', 'min'];
    const low = lo ? `${max}(${x}, ${lo})` : x!;
    return hi ? `${min}(${low}, ${hi})` : low;
  },
  PRelu: (_, [x, s], _a, t) => `select(${s} * ${x}, ${x}, ${x} >= ${zero(t)})`,
  // Floats: C fmod (the type rule requires fmod = 1); integers: truncated (fmod = 1) or floored (fmod = 0).
  Mod: (b, [x, y], a, t) => `${b.use(t === 'f32' ? 'fmod' : t === 'u32' ? 'umod' : a.fmod === 1 ? 'irem' : 'imod')}(${x}, ${y})`,
};
const compare: Record<string, (a: string, b: string) => string> = {
  Equal: (a, b) => `${a} == ${b}`, Less: (a, b) => `${a} < ${b}`, LessOrEqual: (a, b) => `${a} <= ${b}`,
  Greater: (a, b) => `${a} > ${b}`, GreaterOrEqual: (a, b) => `${a} >= ${b}`,
  And: (a, b) => `(${a} & ${b}) != 0u`, Or: (a, b) => `(${a} | ${b}) != 0u`, Xor: (a, b) => `(${a} ^ ${b}) != 0u`,
};

/** The expression computing element `i` of the result, its operands loaded at their broadcast indices. */
function mapKernel(op: string, expr: (b: ShaderBuilder, x: readonly string[], attrs: Attrs, step: Step) => string): WebGpuKernel {
  return {
    op,
    check(step) {
      for (const r of [...step.inputs, ...step.outputs]) if (r && !computeType(r.dtype)) return `dtype ${r.dtype} is not supported by the WebGPU backend yet`;
      const out = step.outputs[0]!;
      if (wordsPerElement(out.dtype) === undefined && dtypeInfo(out.dtype).bytes !== 1) return `result dtype ${out.dtype} is not supported yet`;
      return undefined;
    },
    build(ctx, step) {
      const b = ctx.builder(64);
      const out = step.outputs[0]!;
      const perWord = wordsPerElement(out.dtype) === undefined ? 4 : 1;
      const y = b.tensor(out, perWord === 1 ? 'write' : 'write-words');
      const ins = step.inputs.map((r) => (r ? b.tensor(r) : undefined));
      const n = b.size(out.shape);
      const needCoords = ins.some((t) => t && !trivialBroadcast(t.ref.shape, out.shape));
      const load = (t: TensorVar | undefined): string | undefined => {
        if (!t) return undefined;
        const tb = trivialBroadcast(t.ref.shape, out.shape);
        return b.load(t, tb === 'same' ? 'e' : tb === 'scalar' ? '0u' : broadcastOffset(b, 'c', t.ref.shape, out.shape));
      };
      const elem = (): string => {
        return expr(b, ins.map((t) => load(t) ?? ''), step.attrs, step);
      };
      const body = (idx: string): string => [`let e = ${idx};`, needCoords ? coords(b, 'c', 'e', out.shape) : '', `let v = ${elem()};`].filter(Boolean).join('\n');
      if (perWord === 1) {
        return [{ shader: b.build(`let e0 = gid * 64u + lid;\nif (e0 >= ${n}) { return; }\n{\n${body('e0')}\n${b.store(y, 'e', 'v')}\n}`), workgroups: [factor(dimsProduct(out.shape), 64)] }];
      }
      const word = `${y.buffer}[(${y.base} >> 2u) + w]`;
      return [{
        shader: b.build(`let w = gid * 64u + lid;\nif (w * 4u >= ${n}) { return; }\nvar packed = 0u;\nfor (var j = 0u; j < 4u; j++) {\n  if (w * 4u + j < ${n}) {\n${body('w * 4u + j').replace(/^/gm, '    ')}\n    packed = packed | ((u32(v) & 0xffu) << (8u * j));\n  }\n}\n${word} = packed;`),
        workgroups: [factor(dimsProduct(out.shape), 256)],
      }];
    },
  };
}


// NaN in, NaN out, as in the reference: drivers' builtins may not keep it (SwiftShader's exp(NaN) is +inf).
for (const [op, f] of Object.entries(unaryF32)) {
  registerKernel(mapKernel(op, (b, x, a) => `select(${f(b, x, a, 'f32')}, ${x[0]}, ${b.use('isnan')}(${x[0]}))`));
}
for (const [op, f] of Object.entries(numeric)) {
  registerKernel(mapKernel(op, (b, x, a, step) => f(b, x, a, computeType(step.outputs[0]!.dtype)!)));
}
for (const [op, f] of Object.entries(compare)) registerKernel(mapKernel(op, (_b, [a, c]) => `select(0u, 1u, ${f(a!, c!)})`));
registerKernel(mapKernel('Not', (_b, [x]) => `select(1u, 0u, ${x} != 0u)`));
registerKernel(mapKernel('Cast', (_b, [x], _a, step) => {
  const to = computeType(step.outputs[0]!.dtype)!;
  const from = computeType(step.inputs[0]!.dtype)!;
  if (step.outputs[0]!.dtype === 'bool') return `select(0u, 1u, ${x} != ${zero(from)})`;
  return to === from ? x! : `${to}(${x})`;
}));

// BatchNormalization (inference): the [C] operands are read as [C, 1, ...] so that they broadcast along dim 1;
// the optional running-statistics results are the given statistics (copies).
const batchNorm = mapKernel('BatchNormalization', (_b, [x, s, bias, mean, v], a) =>
  `((${x} - ${mean}) / sqrt(${v} + ${f32Literal(a.epsilon as number)}) * ${s} + ${bias})`);
const statCopy = mapKernel('BatchNormalization', (_b, [x]) => x!);
registerKernel({
  op: 'BatchNormalization',
  check: batchNorm.check!,
  build(ctx, step) {
    const rank = step.inputs[0]!.shape.length;
    const perChannel = step.inputs.map((r, i) => (r && i > 0 ? { ...r, shape: [r.shape[0]!, ...new Array<number>(rank - 2).fill(1)] } : r));
    const out = batchNorm.build(ctx, { ...step, inputs: perChannel, outputs: step.outputs.slice(0, 1) });
    step.outputs.slice(1).forEach((o, k) => out.push(...statCopy.build(ctx, { ...step, inputs: [step.inputs[3 + k]], outputs: [o] })));
    return out;
  },
});
