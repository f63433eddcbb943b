// Pass-through ops: Identity, Dropout (inference: identity, mask of ones), and Cast.

import { defineOp, attr } from './registry.js';
import { Tensor } from '../ir/tensor.js';

export const Identity = defineOp({
  name: 'Identity',
  summary: 'returns its operand unchanged',
  inputs: [{ name: 'input' }],
  outputs: [{ name: 'output' }],
  attrs: {},
  infer: (ctx) => [ctx.input(0)],
  evaluate: (ctx) => [ctx.input(0)],
  symbolic: (ctx) => [ctx.symbolic(0)],
});

export const Dropout = defineOp({
  name: 'Dropout',
  summary: 'inference-mode dropout: the data unchanged, and an all-true mask when asked for',
  inputs: [{ name: 'data' }, { name: 'ratio', optional: true }, { name: 'training_mode', optional: true }],
  outputs: [{ name: 'output' }, { name: 'mask', optional: true }],
  attrs: { seed: attr.int(), ratio: attr.float() },
  infer(ctx) {
    const t = ctx.input(0);
    const training = ctx.constant(2);
    if (training && training.get(0) !== 0) ctx.fail('training_mode=true is not supported (inference only)');
    if (ctx.inputs[2] && !training) ctx.fail('training_mode must be a constant');
    return [t, { dtype: 'bool', shape: t.shape }];
  },
  evaluate(ctx) {
    const t = ctx.input(0);
    const mask = Tensor.fromNumbers('bool', t.shape, new Array<number>(t.size).fill(1));
    return [t, mask];
  },
});
