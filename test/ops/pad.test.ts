// Pad: constant/reflect/edge/wrap against hand-computed values and a naive reference, negative pads, axes,
// the opset-2 attribute form, symbolic shapes, errors.

import { describe, expect, it } from 'vitest';
import { randomTensor, runOp, t } from '../helpers.js';
import { Graph } from '../../compiler/ir/graph.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import type { Tensor } from '../../compiler/ir/tensor.js';

const pads = (values: number[]) => ({ constant: t('i64', [values.length], values) });
const pad = (x: Tensor, p: number[], mode = 'constant', value?: Tensor) =>
  runOp('Pad', [x, pads(p), ...(value ? [value] : [])], { mode }).outputs[0]!;

/** numpy.pad's index rule for one axis (reflect without the edge, symmetric periodicity). */
function source(o: number, n: number, mode: string): number {
  if (o >= 0 && o < n) return o;
  switch (mode) {
    case 'edge': return o < 0 ? 0 : n - 1;
    case 'wrap': return ((o % n) + n) % n;
    case 'reflect': {
      const period = 2 * (n - 1);
      const r = ((o % period) + period) % period;
      return r < n ? r : period - r;
    }
    default: return -1;
  }
}

describe('Pad', () => {
  const v = t('f32', [4], [1, 2, 3, 4]);
  it('pads a vector in each mode (hand-computed, the ONNX examples)', () => {
    expect(pad(v, [2, 1]).toNumbers()).toEqual([0, 0, 1, 2, 3, 4, 0]);
    expect(pad(v, [2, 1], 'constant', t('f32', [], [9])).toNumbers()).toEqual([9, 9, 1, 2, 3, 4, 9]);
    expect(pad(v, [2, 1], 'reflect').toNumbers()).toEqual([3, 2, 1, 2, 3, 4, 3]);
    // Pads beyond len - 1 keep reflecting (numpy): ... 2 3 4 3 2 1 2 3 4 3 2 1 ...
    expect(pad(v, [5, 4], 'reflect').toNumbers()).toEqual([2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2]);
    expect(pad(t('f32', [1], [7]), [2, 1], 'reflect').toNumbers()).toEqual([7, 7, 7, 7]);
    expect(pad(v, [2, 1], 'edge').toNumbers()).toEqual([1, 1, 1, 2, 3, 4, 4]);
    expect(pad(v, [2, 1], 'wrap').toNumbers()).toEqual([3, 4, 1, 2, 3, 4, 1]);
    const m = t('f32', [3, 2], [1, 1.2, 2.3, 3.4, 4.5, 5.7]);
    expect(pad(m, [0, 2, 0, 0], 'reflect').toNumbers()).toEqual([1, 1.2, 1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7].map(Math.fround));
  });
  it('matches a naive numpy-style reference in 3-D for every mode', () => {
    const x = randomTensor('f32', [2, 3, 4], 3);
    const p = [1, 0, 2, 0, 2, 3];
    for (const mode of ['constant', 'edge', 'wrap', 'reflect']) {
      const out = pad(x, p, mode);
      expect(out.shape).toEqual([3, 5, 9]);
      const xv = x.toNumbers();
      const naive: number[] = [];
      for (let i = 0; i < 3; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 9; k++) {
        const s = [source(i - 1, 2, mode), source(j, 3, mode), source(k - 2, 4, mode)];
        naive.push(s.some((c) => c < 0) ? 0 : xv[(s[0]! * 3 + s[1]!) * 4 + s[2]!]!);
      }
      expect(out.toNumbers()).toEqual(naive);
    }
  });
  it('crops with negative pads, before padding the cropped range', () => {
    expect(pad(v, [-1, 2]).toNumbers()).toEqual([2, 3, 4, 0, 0]);
    expect(pad(v, [-1, 1], 'reflect').toNumbers()).toEqual([2, 3, 4, 3]);
    // Crop 2 at the front then edge-pad 2 at the end: the edge is the cropped array's last element.
    expect(pad(v, [-2, 2], 'edge').toNumbers()).toEqual([3, 4, 4, 4]);
    // Over-cropping leaves only constants, which constant mode allows.
    expect(pad(v, [-5, 3], 'constant', t('f32', [], [7])).toNumbers()).toEqual([7, 7]);
    expect(pad(v, [-4, 0]).shape).toEqual([0]);
  });
  it('pads only the listed axes (opset 18), negative axes too', () => {
    const m = t('i64', [2, 2], [1, 2, 3, 4]);
    const out = runOp('Pad', [m, pads([1, 0]), null, { constant: t('i64', [1], [-1]) }]).outputs[0]!;
    expect(out.shape).toEqual([2, 3]);
    expect(out.toNumbers()).toEqual([0, 1, 2, 0, 3, 4]);
  });
  it('keeps the dtype (i64, bool) and accepts the opset-2 attribute form', () => {
    const b = runOp('Pad', [t('bool', [2], [1, 1]), pads([1, 1]), { constant: t('bool', [], [0]) }]).outputs[0]!;
    expect(b.dtype).toBe('bool');
    expect(b.toNumbers()).toEqual([0, 1, 1, 0]);
    expect(runOp('Pad', [v], { pads: [1, 0], value: 5 }).outputs[0]!.toNumbers()).toEqual([5, 1, 2, 3, 4]);
  });
  it('takes pads from a graph input at run time; unknown amounts give new dims', () => {
    const { outputs, types } = runOp('Pad', [v, t('i64', [2], [0, 2])], { mode: 'edge' });
    expect(outputs[0]!.toNumbers()).toEqual([1, 2, 3, 4, 4, 4]);
    expect(types[0]!.shape).toEqual([expect.stringMatching(/^pad_/)]);
  });
  it('infers symbolic shapes, with symbolic pads (computed from a shape) too', () => {
    const { types } = runOp('Pad', [randomTensor('f32', [2, 5], 1), pads([0, 1, 0, -1])], {},
      { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq'] }] });
    expect(types[0]!.shape).toEqual(['batch', 'seq']);
    expect(runOp('Pad', [randomTensor('f32', [2, 5], 1), pads([0, 0, 0, 3])], {},
      { symbolicInputs: [{ dtype: 'f32', shape: ['batch', 'seq'] }] }).types[0]!.shape).toEqual(['batch', 'seq+3']);
    const g = new Graph();
    const b = new GraphBuilder(g);
    const x = g.addInput('x', { dtype: 'f32', shape: ['batch', 'seq'] });
    const [shape] = b.add('Shape', [x]);
    const [zeros] = b.add('Sub', [shape!, shape!]);
    const [p] = b.add('Concat', [zeros!, shape!], { axis: 0 }); // [0, 0, batch, seq]
    const [y] = b.add('Pad', [x, p!]);
    expect(y!.type.shape).toEqual(['2*batch', '2*seq']);
  });
  it('rejects wrong pads, modes, values and impossible reflections', () => {
    const m = t('f32', [2, 2], [1, 2, 3, 4]);
    expect(() => pad(m, [1, 1])).toThrow("Pad node 'test_Pad': pads has 2 elements [1, 1], expected 4 (2 per axis of the rank-2 input)");
    expect(() => pad(v, [1, 1], 'mirror')).toThrow("mode 'mirror' is not one of constant, reflect, edge, wrap");
    expect(() => pad(v, [-3, -2])).toThrow('pads (-3, -2) on axis 0 of size 4 give a negative size -1');
    expect(() => pad(v, [-4, 1], 'edge')).toThrow('edge padding of axis 0 needs at least one element after cropping, the axis has 0');
    expect(() => pad(v, [1, 1], 'constant', t('f64', [], [1]))).toThrow('constant_value has dtype f64, the data has f32');
    expect(() => runOp('Pad', [v])).toThrow("'pads' is required");
  });
});
