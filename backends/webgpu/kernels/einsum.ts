// Einsum (f32): one invocation per result element, a loop nest over the summed labels, the labels taken from the
// op's own plan (compiler/ops/matrix.ts's einsumPlan).
//
// Each operand is addressed by per-label element strides: a label repeated in one operand (a diagonal) adds its
// axes' strides, a broadcast size-1 axis has stride 0. Products are summed in f32 per result element.

import { type Dim, dimAdd, dimEq, dimsProduct } from '../../../compiler/ir/dim.js';
import { einsumPlan } from '../../../compiler/ops/matrix.js';
import type { TensorRef } from '../../common/schedule.js';
import { registerKernel } from '../kernel.js';
import { factor } from '../wgsl.js';
import { coords, strides } from './indexing.js';

const WG = 64;

registerKernel({
  op: 'Einsum',
  check: (step) => ([...step.inputs, ...step.outputs].some((r) => r && r.dtype !== 'f32')
    ? `Einsum on ${step.outputs[0]!.dtype} is not supported by the WebGPU backend yet (f32 only)` : undefined),
  build(ctx, step) {
    const inputs = step.inputs as TensorRef[];
    const y = step.outputs[0]!;
    // The node's type rule already ran this plan on the same shapes: it cannot fail here.
    const plan = einsumPlan({ fail: (m: string): never => { throw new Error(m); } }, step.attrs.equation as string, inputs.map((t) => t.shape));
    const summed = [...plan.sizes.keys()].filter((l) => !plan.output.includes(l));
    /** The loop variable of each label: result coordinates c0.., then summed indices s0... */
    const varOf = new Map<string, string>([...plan.output.map((l, k) => [l, `c${k}`] as const), ...summed.map((l, k) => [l, `s${k}`] as const)]);
    const b = ctx.builder(WG);
    const Y = b.tensor(y, 'write');
    const product = inputs.map((t, j) => {
      const own = strides(t.shape);
      const per = new Map<string, Dim>();
      plan.operands[j]!.forEach((l, axis) => {
        if (!dimEq(t.shape[axis]!, 1)) per.set(l, dimAdd(per.get(l) ?? 0, own[axis]!));
      });
      const terms = [...per].map(([l, s]) => (dimEq(s, 1) ? varOf.get(l)! : `${varOf.get(l)!} * ${b.dim(s)}`));
      return b.load(b.tensor(t), terms.length ? terms.join(' + ') : '0u');
    }).join(' * ');
    let inner = `acc = acc + ${product};`;
    for (let k = summed.length - 1; k >= 0; k--) {
      inner = `for (var s${k} = 0u; s${k} < ${b.dim(plan.sizes.get(summed[k]!)!)}; s${k} = s${k} + 1u) {\n${inner.replace(/^/gm, '  ')}\n}`;
    }
    const lines = [
      `let e = gid * ${WG}u + lid;`,
      `if (e >= ${b.size(y.shape)}) { return; }`,
      coords(b, 'c', 'e', y.shape),
      'var acc = 0.0;',
      inner,
      b.store(Y, 'e', 'acc'),
    ];
    return [{ shader: b.build(lines.filter(Boolean).join('\n')), workgroups: [factor(dimsProduct(y.shape), WG)] }];
  },
});
