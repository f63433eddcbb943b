// Scatters: ScatterElements and ScatterND (reductions none/add/mul/max/min), deterministic without atomics.
//
// Each result element is computed by one invocation that starts from the data element and scans, in order,
// the updates that may target it, combining those that do: duplicate indices give the interpreter's result
// (the last write wins for 'none'; reductions apply in index order), never a race.

import { dimEq, dimsProduct } from '../../../compiler/ir/dim.js';
import type { Step } from '../../common/schedule.js';
import { registerKernel } from '../kernel.js';
import type { ShaderBuilder } from '../wgsl.js';
import { axisIndex, dtypeProblem, elementDispatch, flatIndex, normalizeAxis, rawLoad, rawType } from './copy.js';
import { arith } from './generate.js';
import { strides } from './indexing.js';

type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';
const REDUCTIONS: readonly string[] = ['none', 'add', 'mul', 'max', 'min'];

const reductionOf = (step: Step): Reduction => ((step.attrs.reduction as string | undefined) ?? 'none') as Reduction;

function checkScatter(step: Step): string | undefined {
  return REDUCTIONS.includes(reductionOf(step)) ? dtypeProblem(step) : `reduction '${reductionOf(step)}' is not supported`;
}

/** The accumulator of one result element: its declaration from the data's raw bits, one combining step, its raw bits. */
function combiner(b: ShaderBuilder, step: Step): { init: (raw: string) => string; combine: (raw: string) => string; raw: string } {
  const dtype = step.inputs[0]!.dtype;
  const reduction = reductionOf(step);
  if (reduction === 'none') return { init: (raw) => `var acc: ${rawType(dtype)} = ${raw};`, combine: (raw) => `acc = ${raw};`, raw: 'acc' };
  const a = arith(b, dtype);
  return { init: (raw) => `var acc = ${a.fromRaw(raw)};`, combine: (raw) => `acc = ${a[reduction]('acc', a.fromRaw(raw))};`, raw: a.toRaw('acc') };
}

registerKernel({
  op: 'ScatterElements',
  check: checkScatter,
  build(ctx, step) {
    // Update j targets j with its axis coordinate replaced by idx[j]: result element c scans the updates of its
    // line along the axis (the positions j that agree with c off the axis), when c lies within the indices' shape.
    const [data, indices, updates] = [step.inputs[0]!, step.inputs[1]!, step.inputs[2]!];
    const out = step.outputs[0]!;
    const rank = data.shape.length;
    const axis = normalizeAxis((step.attrs.axis as number | undefined) ?? 0, rank);
    return elementDispatch(ctx, out, (b) => {
      const [dv, iv, uv] = [b.tensor(data), b.tensor(indices), b.tensor(updates)];
      const acc = combiner(b, step);
      const within = indices.shape.flatMap((d, k) => (k === axis || dimEq(d, data.shape[k]!) ? [] : [`c${k} < ${b.dim(d)}`]));
      const line = flatIndex(b, indices.shape, indices.shape.map((_, k) => (k === axis ? '0u' : `c${k}`)));
      const stride = strides(indices.shape)[axis]!;
      const pre = [
        acc.init(rawLoad(dv, 'e')),
        `if (${within.length ? within.join(' && ') : 'true'}) {`,
        `  let line = ${line};`,
        `  for (var t = 0u; t < ${b.dim(indices.shape[axis]!)}; t++) {`,
        `    let at = line + t * ${b.dim(stride)};`,
        axisIndex(b, 'g', iv, 'at', data.shape[axis]!).replace(/^/gm, '    '),
        `    if (g == c${axis}) { ${acc.combine(rawLoad(uv, 'at'))} }`,
        '  }',
        '}',
      ];
      return { pre: pre.join('\n'), raw: acc.raw };
    });
  },
});

registerKernel({
  op: 'ScatterND',
  check: checkScatter,
  build(ctx, step) {
    // Index tuple i (the last axis of indices, q long) addresses a slice of the data: result element c takes
    // element (c's position inside its slice) of update slice i for every i whose tuple equals c's first q coordinates.
    const [data, indices, updates] = [step.inputs[0]!, step.inputs[1]!, step.inputs[2]!];
    const out = step.outputs[0]!;
    const q = indices.shape[indices.shape.length - 1] as number; // static (type rule)
    const count = dimsProduct(indices.shape.slice(0, -1));
    const slice = dimsProduct(data.shape.slice(q));
    return elementDispatch(ctx, out, (b) => {
      const [dv, iv, uv] = [b.tensor(data), b.tensor(indices), b.tensor(updates)];
      const acc = combiner(b, step);
      const tuple = Array.from({ length: q }, (_, a) => axisIndex(b, `g${a}`, iv, `i * ${q}u + ${a}u`, data.shape[a]!));
      const hit = Array.from({ length: q }, (_, a) => `g${a} == c${a}`);
      const inner = dimEq(slice, 1) ? '0u' : `e % ${b.dim(slice)}`;
      const upd = dimEq(slice, 1) ? 'i' : `i * ${b.dim(slice)} + inner`;
      const pre = [
        acc.init(rawLoad(dv, 'e')),
        `let inner = ${inner};`,
        `for (var i = 0u; i < ${b.dim(count)}; i++) {`,
        ...tuple.map((s) => s.replace(/^/gm, '  ')),
        `  if (${hit.length ? hit.join(' && ') : 'true'}) { ${acc.combine(rawLoad(uv, upd))} }`,
        '}',
      ];
      return { pre: pre.join('\n'), raw: acc.raw };
    });
  },
});
