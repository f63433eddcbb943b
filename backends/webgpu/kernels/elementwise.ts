// Elementwise kernels: unary, binary (broadcasting), variadic, Where, Clip, Cast, Gelu: one generic map shader.
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
  Sqrt: (_, [x]) => `sqrt(${x})`, Exp: (_, [x]) => `exp(${x})`, Log: (_, [x]) => `log(${x})`,
  Erf: (b, [x]) => `${b.use('erf')}(${x})`, Tanh: (b, [x]) => `${b.use('tanh')}(${x})`,
  Sigmoid: (b, [x]) => `${b.use('sigmoid')}(${x})`, Sin: (_, [x]) => `sin(${x})`, Cos: (_, [x]) => `cos(${x})`,
  Floor: (_, [x]) => `floor(${x})`, Ceil: (_, [x]) => `ceil(${x})`, Round: (_, [x]) => `round(${x})`,
  Reciprocal: (_, [x]) => `(1.0 / ${x})`, Softplus: (_, [x]) => `log(1.0 + exp(${x}))`,
  LeakyRelu: (_, [x], a) => `select(${f32Literal(a.alpha as number)} * ${x}, ${x}, ${x} >= 0.0)`,
  Elu: (_, [x], a) => `select(${f32Literal(a.alpha as number)} * (exp(${x}) - 1.0), ${x}, ${x} >= 0.0)`,
  HardSigmoid: (_, [x], a) => `clamp(${f32Literal(a.alpha as number)} * ${x} + ${f32Literal(a.beta as number)}, 0.0, 1.0)`,
  Gelu: (b, [x], a) => `${b.use(a.approximate === 'tanh' ? 'gelu_tanh' : 'gelu')}(${x})`,
};
const zero = (t: string): string => (t === 'f32' ? '0.0' : t === 'i32' ? '0i' : '0u');
const numeric: Record<string, MapFn> = {
  Relu: (_, [x], _a, t) => `max(${x}, ${zero(t)})`, Neg: (_, [x]) => `(-${x})`, Abs: (_, [x]) => `abs(${x})`,
  Sign: (_, [x]) => `sign(${x})`,
  Add: (_, [a, b]) => `(${a} + ${b})`, Sub: (_, [a, b]) => `(${a} - ${b})`, Mul: (_, [a, b]) => `(${a} * ${b})`,
  Div: (_, [a, b]) => `(${a} / ${b})`, Pow: (_, [a, b]) => `pow(${a}, ${b})`,
  Max: (_, xs) => xs.reduce((acc, x) => `max(${acc}, ${x})`), Min: (_, xs) => xs.reduce((acc, x) => `min(${acc}, ${x})`),
  Sum: (_, xs) => `(${xs.join(' + ')})`, Mean: (_, xs) => `((${xs.join(' + ')}) / ${xs.length}.0)`,
  Where: (_, [c, x, y]) => `select(${y}, ${x}, ${c} != 0u)`,
  Clip: (_, [x, lo, hi]) => { const low = lo ? `max(${x}, ${lo})` : x!; return hi ? `min(${low}, ${hi})` : low; },
  PRelu: (_, [x, s], _a, t) => `select(${s} * ${x}, ${x}, ${x} >= ${zero(t)})`,
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


for (const [op, f] of Object.entries(unaryF32)) registerKernel(mapKernel(op, (b, x, a) => f(b, x, a, 'f32')));
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
registerKernel(mapKernel('Identity', (_b, [x]) => x!));
registerKernel(mapKernel('Expand', (_b, [x]) => x!));
