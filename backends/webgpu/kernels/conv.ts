// Conv (any spatial rank, f32): direct convolution, one invocation per output element, with groups (depthwise
// included), strides, dilations, pads / auto_pad (the op's convGeometry) and bias.
//
// Per output (n, oc, o...): for each input channel of oc's group, a loop nest over the (static) kernel window sums
// x · w into a per-channel partial (shorter f32 sums), skipping taps in the padding: a tap's input coordinate is
// o·s + k·d - pad in u32, so a position before the start wraps around and fails the same `< size` test as one past
// the end. Dims whose windows provably stay inside the input (no begin padding, static sizes) skip the test.

import { type Dim, dimsProduct, isStaticDim } from '../../../compiler/ir/dim.js';
import { type ConvAttrs, convGeometry } from '../../../compiler/ops/linalg.js';
import { registerKernel } from '../kernel.js';
import { factor } from '../wgsl.js';
import { coords, strides } from './indexing.js';

const WG = 64;

registerKernel({
  op: 'Conv',
  check(step) {
    const [x, w] = [step.inputs[0]!, step.inputs[1]!];
    if ([...step.inputs, ...step.outputs].some((r) => r && r.dtype !== 'f32')) return `Conv on ${x.dtype} is not supported by the WebGPU backend yet (f32 only)`;
    if (!w.shape.every(isStaticDim)) return `the weight's shape must be static, got [${w.shape.join(', ')}]`;
    return undefined;
  },
  build(ctx, step) {
    const [x, w, bias] = step.inputs;
    const y = step.outputs[0]!;
    const geo = convGeometry({ fail: (m: string): never => { throw new Error(m); } }, x!.shape, w!.shape, step.attrs as unknown as ConvAttrs);
    const [M, Cg] = [w!.shape[0] as number, w!.shape[1] as number];
    const group = (step.attrs.group as number | undefined) ?? 1;
    const S = geo.kernel.length;
    const inSpatial = x!.shape.slice(2);
    const b = ctx.builder(WG);
    const [X, W, Y] = [b.tensor(x!), b.tensor(w!), b.tensor(y, 'write')];
    const xs = strides(inSpatial);
    const ks = strides(geo.kernel) as number[];
    const kSize = dimsProduct(geo.kernel) as number;
    const pads = (step.attrs.pads as number[] | undefined) ?? [];
    /** Windows of spatial dim i never leave the input: no begin padding and the last window ends inside. */
    const inside = (i: number): boolean => {
      const [o, d] = [geo.out[i]!, inSpatial[i]!];
      if (geo.padBegin[i] !== 0) return false;
      if (isStaticDim(o) && isStaticDim(d)) return (o - 1) * geo.strides[i]! + geo.dilations[i]! * (geo.kernel[i]! - 1) + 1 <= d;
      return step.attrs.auto_pad === 'VALID' || (step.attrs.auto_pad === 'NOTSET' && pads.every((p) => p === 0));
    };
    const term = (c: string, s: Dim): string => (s === 1 ? c : `${c} * ${b.dim(s)}`);
    // The window loop nest, outermost spatial dim first; the innermost statement accumulates one tap.
    let tap = `part = part + ${b.load(X, `xo + ${Array.from({ length: S }, (_, i) => term(`i${i}`, xs[i]!)).join(' + ')}`)} * ${b.load(W, `wo + ${Array.from({ length: S }, (_, i) => term(`k${i}`, ks[i]!)).join(' + ')}`)};`;
    for (let i = S - 1; i >= 0; i--) {
      const at = [geo.strides[i] === 1 ? `c${i + 2}` : `c${i + 2} * ${geo.strides[i]}u`, geo.dilations[i] === 1 ? `k${i}` : `k${i} * ${geo.dilations[i]}u`].join(' + ');
      const pos = geo.padBegin[i] ? `${at} - ${geo.padBegin[i]}u` : at;
      const guard = inside(i) ? '' : `  if (i${i} >= ${b.dim(inSpatial[i]!)}) { continue; }\n`;
      tap = `for (var k${i} = 0u; k${i} < ${geo.kernel[i]}u; k${i} = k${i} + 1u) {\n  let i${i} = ${pos};\n${guard}${tap.replace(/^/gm, '  ')}\n}`;
    }
    const Mg = M / group;
    const lines = [
      `let e = gid * ${WG}u + lid;`,
      `if (e >= ${b.size(y.shape)}) { return; }`,
      coords(b, 'c', 'e', y.shape),
      `let firstChannel = ${group === 1 ? '0u' : `${Mg === 1 ? 'c1' : `(c1 / ${Mg}u)`} * ${Cg}u`};`,
      'var acc = 0.0;',
      `for (var ci = 0u; ci < ${Cg}u; ci = ci + 1u) {`,
      `  let xo = (c0 * ${b.dim(x!.shape[1]!)} + firstChannel + ci) * ${b.size(inSpatial)};`,
      `  let wo = (c1 * ${Cg}u + ci) * ${kSize}u;`,
      '  var part = 0.0;',
      tap.replace(/^/gm, '  '),
      '  acc = acc + part;',
      '}',
    ];
    if (bias) lines.push(`acc = acc + ${b.load(b.tensor(bias), 'c1')};`);
    lines.push(b.store(Y, 'e', 'acc'));
    return [{ shader: b.build(lines.join('\n')), workgroups: [factor(dimsProduct(y.shape), WG)] }];
  },
});
