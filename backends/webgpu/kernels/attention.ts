// Attention (layouts bsd / sbd): one invocation per (batch, head, query row), online softmax over the keys, so
// the score matrix is never stored; causal rows stop at their last visible key. Masks broadcast to [B, H, Sq, Sk].
//
// Not yet the block-tiled flash kernel (keys staged in workgroup memory, causal block skipping per tile): this
// is the correct baseline the tiled version must match.

import { type Dim, dimsProduct, dimSub, isStaticDim } from '../../../compiler/ir/dim.js';
import { registerKernel } from '../kernel.js';
import { f32Literal, factor } from '../wgsl.js';
import { strides } from './indexing.js';

const MAX_HEAD = 256;

registerKernel({
  op: 'Attention',
  check(step) {
    const a = step.attrs;
    if (a.layout !== 'bsd' && a.layout !== 'sbd') return `layout '${String(a.layout)}' is not supported on WebGPU yet`;
    if ([...step.inputs, ...step.outputs].some((r) => r && r.dtype !== 'f32' && r !== step.inputs[3])) return 'only f32 Q/K/V are supported on WebGPU yet';
    const v = step.inputs[2]!;
    const dv = v.shape[2]!;
    if (!isStaticDim(dv) || dv / (a.num_heads as number) > MAX_HEAD) return `the head size must be static and at most ${MAX_HEAD}`;
    return undefined;
  },
  build(ctx, step) {
    const [q, k, v, mask] = step.inputs;
    const y = step.outputs[0]!;
    const a = step.attrs;
    const H = a.num_heads as number;
    const bsd = a.layout === 'bsd';
    const [B, Sq] = bsd ? [q!.shape[0]!, q!.shape[1]!] : [q!.shape[1]!, q!.shape[0]!];
    const Sk = bsd ? k!.shape[1]! : k!.shape[0]!;
    const dk = (q!.shape[2] as number) / H;
    const dv = (v!.shape[2] as number) / H;
    const b = ctx.builder(64);
    const [Q, K, V, Y] = [b.tensor(q!), b.tensor(k!), b.tensor(v!), b.tensor(y, 'write')];
    /** Row offset of (batch bi, position s) in a [B, S, H·D] or [S, B, H·D] tensor. */
    const rowOf = (s: string, width: number, seq: Dim): string => (bsd ? `((bi * ${b.dim(seq)} + ${s}) * ${width}u)` : `((${s} * ${b.dim(B)} + bi) * ${width}u)`);
    const lines = [
      `let t = gid * 64u + lid;`,
      `if (t >= ${b.size([B, H, Sq])}) { return; }`,
      `let i = t % ${b.dim(Sq)};`,
      `let h = (t / ${b.dim(Sq)}) % ${H}u;`,
      `let bi = t / (${b.dim(Sq)} * ${H}u);`,
      `let qo = ${rowOf('i', H * dk, Sq)} + h * ${dk}u;`,
      `var acc: array<f32, ${dv}>;`,
      'var m = -3.0e38;',
      'var l = 0.0;',
      `var kEnd = ${b.dim(Sk)};`,
    ];
    if (a.causal) lines.push(`kEnd = min(kEnd, i + ${b.dim(dimSub(Sk, Sq))} + 1u);`);
    lines.push('for (var j = 0u; j < kEnd; j = j + 1u) {', `  let ko = ${rowOf('j', H * dk, Sk)} + h * ${dk}u;`, '  var s = 0.0;',
      `  for (var d = 0u; d < ${dk}u; d = d + 1u) { s = s + ${b.load(Q, 'qo + d')} * ${b.load(K, 'ko + d')}; }`,
      `  s = s * ${f32Literal(a.scale as number)};`);
    if (mask) {
      const M = b.tensor(mask);
      const ms = strides(mask.shape);
      const shift = 4 - mask.shape.length;
      const names = ['bi', 'h', 'i', 'j'];
      const idx = mask.shape.map((d, ax) => (d === 1 ? '' : `${names[ax + shift]} * ${b.dim(ms[ax]!)}`)).filter(Boolean).join(' + ') || '0u';
      if (a.mask_kind === 'additive') lines.push(`  s = s + ${b.load(M, idx)};`);
      else lines.push(`  if ((${b.load(M, idx)} != 0u) == ${a.mask_kind === 'drop' ? 'true' : 'false'}) { continue; }`);
    }
    lines.push('  let mNew = max(m, s);', '  let corr = exp(m - mNew);', '  let p = exp(s - mNew);', '  l = l * corr + p;',
      `  let vo = ${rowOf('j', H * dv, Sk)} + h * ${dv}u;`,
      `  for (var d = 0u; d < ${dv}u; d = d + 1u) { acc[d] = acc[d] * corr + p * ${b.load(V, 'vo + d')}; }`, '  m = mNew;', '}',
      `let yo = ${rowOf('i', H * dv, Sq)} + h * ${dv}u;`,
      `for (var d = 0u; d < ${dv}u; d = d + 1u) { ${b.store(Y, 'yo + d', 'acc[d] / l')} }`);
    return [{ shader: b.build(lines.join('\n')), workgroups: [factor(dimsProduct([B, H, Sq]), 64)] }];
  },
});
