// The importer: inputs, initializers, node order, Constant forms, opset-dependent Softmax, and all-at-once errors.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { interpret } from '../../compiler/interpreter.js';
import { isLazy, materialize } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { type ImportOptions, importOnnxBytes, importOnnxFile } from '../../compiler/onnx/import.js';
import { getOp } from '../../compiler/ops/registry.js';
import { randomTensor } from '../helpers.js';
import { type ModelSpec, attr, model, node, vi } from './build.js';

const load = (spec: ModelSpec, options?: ImportOptions) => importOnnxBytes(model(spec), options);

/** The diagnostics ("error XFCnnnn: ...") an import throws. */
function errorsOf(spec: ModelSpec): string[] {
  try {
    load(spec);
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => d.toString());
    throw e;
  }
  throw new Error('expected the import to fail');
}

describe('inputs and initializers', () => {
  it('declares inputs with dim_value, sanitized dim_param and fresh symbols for unnamed dims', () => {
    const r = load({
      inputs: [vi('x', 'f32', ['batch size', 3, null]), vi('ids', 'i64', [null, 'unk_0', '2d'])],
      outputs: [vi('x', 'f32', ['batch size', 3, null])],
    });
    const [x, ids] = r.graph.inputs;
    expect(x!.type).toEqual({ dtype: 'f32', shape: ['batch_size', 3, 'unk_1'] });
    expect(ids!.type).toEqual({ dtype: 'i64', shape: ['unk_2', 'unk_0', '_2d'] });
    expect(r.graph.outputs).toEqual([x]);
    expect(r.onnxNames.get('ids')).toBe(ids);
  });

  it('treats inputs that are also initializers as constants', () => {
    const w = Tensor.fromNumbers('f32', [3], [1, 2, 3]);
    const r = load({
      inputs: [vi('x', 'f32', [2, 3]), vi('w', 'f32', [3])],
      outputs: [vi('y', 'f32', [3])],
      initializers: [{ tensor: w, name: 'w' }],
      nodes: [node('Identity', ['w'], ['y'], { name: 'id' })],
    });
    expect(r.graph.inputs.map((v) => v.name)).toEqual(['x']);
    const wv = r.onnxNames.get('w')!;
    expect(wv.constant).toBeDefined();
    expect(materialize(wv.constant!).toNumbers()).toEqual([1, 2, 3]);
    // Identity of a constant folds: the output is a constant that keeps its ONNX name.
    expect(r.graph.nodes).toEqual([]);
    expect(r.graph.outputs[0]!.name).toBe('y');
    expect(materialize(r.graph.outputs[0]!.constant!).toNumbers()).toEqual([1, 2, 3]);
  });

  it('keeps the node when folding is off', () => {
    const r = load({
      outputs: [vi('y', 'f32', [3])],
      initializers: [{ tensor: Tensor.fromNumbers('f32', [3], [1, 2, 3]), name: 'w' }],
      nodes: [node('Identity', ['w'], ['y'], { name: 'id' })],
    }, { fold: false });
    expect(r.graph.nodes.map((n) => n.name)).toEqual(['id']);
    expect(r.graph.outputs[0]!.name).toBe('y');
  });

  it('reads external initializers lazily from the model folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-import-'));
    try {
      fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(Float32Array.from([4, 5, 6]).buffer));
      const bytes = model({
        inputs: [vi('x', 'f32', [3])],
        outputs: [vi('x', 'f32', [3]), vi('w', 'f32', [3])],
        initializers: [{ name: 'w', dims: [3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }],
      });
      fs.writeFileSync(path.join(dir, 'm.onnx'), bytes);
      const r = importOnnxFile(path.join(dir, 'm.onnx'));
      const w = r.onnxNames.get('w')!;
      expect(isLazy(w.constant!)).toBe(true);
      expect(materialize(w.constant!).toNumbers()).toEqual([4, 5, 6]);
      expect(r.graph.outputs.map((v) => v.name)).toEqual(['x', 'w']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports unsupported input types', () => {
    expect(errorsOf({ inputs: [vi('s', 8, [2]), vi('r', 'f32', null)], outputs: [vi('s', 8, [2])] })).toEqual([
      "error XFC0040: graph input 's': element type STRING is not supported",
      "error XFC0040: graph input 'r': the shape is not declared (inputs of unknown rank are not supported)",
    ]);
  });
});

describe('nodes', () => {
  it('passes empty input names as absent optional operands', () => {
    const r = load({
      inputs: [vi('x', 'f32', [4])],
      outputs: [vi('y', 'f32', [4])],
      initializers: [{ tensor: Tensor.scalar('f32', 0.5), name: 'hi' }],
      nodes: [node('Clip', ['x', '', 'hi'], ['y'], { name: 'clip' })],
    });
    const clip = r.graph.nodes[0]!;
    expect(clip.inputs.length).toBe(3);
    expect(clip.inputs[1]).toBeUndefined();
    expect(clip.inputs[2]).toBe(r.onnxNames.get('hi'));
    const out = interpret(r.graph, { x: Tensor.fromNumbers('f32', [4], [-1, 0.25, 0.5, 2]) });
    expect(out.y!.toNumbers()).toEqual([-1, 0.25, 0.5, 0.5]);
  });

  it('sorts unsorted nodes and leaves sorted ones in file order', () => {
    const r = load({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('d', 'f32', [2]), vi('e', 'f32', [2])],
      nodes: [
        node('Relu', ['c'], ['d'], { name: 'relu' }),
        node('Abs', ['x'], ['e'], { name: 'abs' }),
        node('Neg', ['b'], ['c'], { name: 'neg' }),
        node('Exp', ['x'], ['b'], { name: 'exp' }),
      ],
    });
    expect(r.graph.nodes.map((n) => n.name)).toEqual(['exp', 'neg', 'relu', 'abs']);
    const sorted = load({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('c', 'f32', [2])],
      nodes: [node('Abs', ['x'], ['a'], { name: 'n0' }), node('Neg', ['x'], ['b'], { name: 'n1' }), node('Add', ['a', 'b'], ['c'], { name: 'n2' })],
    });
    expect(sorted.graph.nodes.map((n) => n.name)).toEqual(['n0', 'n1', 'n2']);
  });

  it('names unnamed nodes <op>_<index>', () => {
    const r = load({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('z', 'f32', [2])],
      nodes: [node('Neg', ['x'], ['y']), node('Abs', ['y'], ['z'])],
    });
    expect(r.graph.nodes.map((n) => n.name)).toEqual(['Neg_0', 'Abs_1']);
  });

  it('moves constant inputs marked constantToAttr into the attribute', () => {
    const ports = getOp('Unsqueeze')?.inputs ?? [];
    const attrName = ports[1]?.constantToAttr;
    expect(attrName).toBe('axes');
    const r = load({
      inputs: [vi('x', 'f32', ['n', 3])],
      outputs: [vi('y', 'f32', [1, 'n', 3])],
      initializers: [{ tensor: Tensor.fromNumbers('i64', [1], [0]), name: 'axes' }],
      nodes: [node('Unsqueeze', ['x', 'axes'], ['y'], { name: 'unsq' })],
    });
    const n = r.graph.nodes[0]!;
    expect(n.inputs.filter(Boolean)).toEqual([r.onnxNames.get('x')]);
    expect(n.attrs.axes).toEqual([0]);
    expect(n.outputs[0]!.type.shape).toEqual([1, 'n', 3]);
  });

  it('builds a graph the interpreter runs', () => {
    const r = load({
      inputs: [vi('a', 'f32', ['n', 3]), vi('b', 'f32', [3])],
      outputs: [vi('y', 'f32', ['n', 3])],
      nodes: [node('Add', ['a', 'b'], ['s'], { name: 'add' }), node('Mul', ['s', 's'], ['y'], { name: 'sq' })],
    });
    const a = Tensor.fromNumbers('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const b = Tensor.fromNumbers('f32', [3], [1, 0, -1]);
    expect(interpret(r.graph, { a, b }).y!.toNumbers()).toEqual([4, 4, 4, 25, 25, 25]);
  });
});

describe('Constant nodes', () => {
  const constantOf = (...attrs: ReturnType<typeof attr>[]) =>
    load({ outputs: [vi('c', 0, null)], nodes: [node('Constant', [], ['c'], { name: 'k', attrs })] }).graph.outputs[0]!;

  it('accepts every value attribute form', () => {
    const cases: [ReturnType<typeof attr>, string, number[], number[]][] = [
      [attr('value', Tensor.fromNumbers('i32', [2, 2], [1, 2, 3, 4])), 'i32', [2, 2], [1, 2, 3, 4]],
      [attr('value', { dims: [2], dataType: 1, floatData: [0.5, -1] }), 'f32', [2], [0.5, -1]],
      [attr('value_float', 2, 'float'), 'f32', [], [2]],
      [attr('value_floats', [1, 2.5], 'floats'), 'f32', [2], [1, 2.5]],
      [attr('value_int', 7), 'i64', [], [7]],
      [attr('value_ints', [3, -4, 5]), 'i64', [3], [3, -4, 5]],
    ];
    for (const [a, dtype, shape, values] of cases) {
      const c = constantOf(a);
      expect(c.name).toBe('c');
      expect(c.type).toEqual({ dtype, shape });
      expect(materialize(c.constant!).toNumbers()).toEqual(values);
    }
  });

  it('reports strings, several values, and sparse values', () => {
    const spec = (attrs: ReturnType<typeof attr>[]): ModelSpec => ({ outputs: [vi('c', 1, [1])], nodes: [node('Constant', [], ['c'], { name: 'k', attrs })] });
    expect(errorsOf(spec([attr('value_string', 'hi')]))).toEqual(["error XFC0034: Constant node 'k': string constants are not supported"]);
    expect(errorsOf(spec([attr('value_int', 1), attr('value_float', 1, 'float')])))
      .toEqual(["error XFC0034: Constant node 'k': exactly one value attribute is required, got value_int, value_float"]);
    const sparse = { name: 'sparse_value', type: 11, sparseTensor: { dims: [2] } };
    expect(errorsOf(spec([sparse as never]))).toEqual(["error XFC0034: Constant node 'k': attribute 'sparse_value' of type SPARSE_TENSOR is not supported"]);
  });
});

describe('Softmax before opset 13', () => {
  /** Softmax over the trailing block of `inner` elements of each row (the opset < 13 definition). */
  function flattenedSoftmax(x: number[], inner: number, log = false): number[] {
    const out: number[] = [];
    for (let r = 0; r < x.length; r += inner) {
      const row = x.slice(r, r + inner);
      const m = Math.max(...row);
      const s = row.reduce((acc, v) => acc + Math.exp(v - m), 0);
      out.push(...row.map((v) => (log ? v - m - Math.log(s) : Math.exp(v - m) / s)));
    }
    return out;
  }

  const softmaxModel = (op: string, opset: number, axis: number | undefined, shape: (number | string)[]): ModelSpec => ({
    opset,
    inputs: [vi('x', 'f32', shape)],
    outputs: [vi('y', 'f32', shape)],
    nodes: [node(op, ['x'], ['y'], { name: 'sm', attrs: axis === undefined ? [] : [attr('axis', axis)] })],
  });

  it('flattens at a middle axis (opset 12) and matches the reference', () => {
    const x = randomTensor('f32', [2, 3, 4], 7, -3, 3);
    const r = load(softmaxModel('Softmax', 12, 1, [2, 3, 4]));
    expect(r.graph.nodes.map((n) => n.op)).toEqual(['Flatten', 'Softmax', 'Reshape']);
    const y = interpret(r.graph, { x }).y!;
    expect(y.shape).toEqual([2, 3, 4]);
    const expected = flattenedSoftmax(x.toNumbers(), 12);
    y.toNumbers().forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('uses the default axis 1 and keeps symbolic shapes', () => {
    const r = load(softmaxModel('LogSoftmax', 11, undefined, ['batch', 3, 4]));
    expect(r.graph.outputs[0]!.type).toEqual({ dtype: 'f32', shape: ['batch', 3, 4] });
    const x = randomTensor('f32', [5, 3, 4], 3);
    const expected = flattenedSoftmax(x.toNumbers(), 12, true);
    interpret(r.graph, { x }).y!.toNumbers().forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('accepts a negative axis', () => {
    const r = load(softmaxModel('Softmax', 12, -2, [2, 3, 4]));
    const x = randomTensor('f32', [2, 3, 4], 5);
    const expected = flattenedSoftmax(x.toNumbers(), 12);
    interpret(r.graph, { x }).y!.toNumbers().forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('is a plain Softmax when the axis is the last one', () => {
    const r = load(softmaxModel('Softmax', 12, 2, [2, 3, 4]));
    expect(r.graph.nodes.map((n) => `${n.op}(axis=${n.attrs.axis})`)).toEqual(['Softmax(axis=2)']);
    const r2 = load(softmaxModel('Softmax', 12, undefined, [6, 4]));
    expect(r2.graph.nodes.map((n) => `${n.op}(axis=${n.attrs.axis})`)).toEqual(['Softmax(axis=1)']);
  });

  it('follows opset 13 semantics (one axis) from opset 13 on', () => {
    const r = load(softmaxModel('Softmax', 13, 1, [2, 3, 4]));
    expect(r.graph.nodes.map((n) => n.op)).toEqual(['Softmax']);
    const x = randomTensor('f32', [2, 3, 4], 9);
    const xs = x.toNumbers();
    const y = interpret(r.graph, { x }).y!.toNumbers();
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 4; k++) {
        const idx = [0, 1, 2].map((j) => b * 12 + j * 4 + k);
        const s = idx.reduce((acc, i) => acc + Math.exp(xs[i]!), 0);
        for (const i of idx) expect(y[i]).toBeCloseTo(Math.exp(xs[i]!) / s, 6);
      }
    }
  });
});

describe('all problems at once', () => {
  it('reports every unsupported op with its node name, without cascades', () => {
    expect(errorsOf({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('z', 'f32', [2])],
      extraOpsets: [{ domain: 'com.microsoft', version: 1 }],
      nodes: [
        node('FancyOp', ['x'], ['a'], { name: 'fancy1' }),
        node('Neg', ['a'], ['b'], { name: 'neg' }),
        node('BiasGeluX', ['b'], ['c'], { name: 'gelu', domain: 'com.microsoft' }),
        node('FancyOp', ['c'], ['z']),
      ],
    })).toEqual([
      "error XFC0030: FancyOp node 'fancy1': op 'FancyOp' of domain 'ai.onnx' (opset 17) is not supported",
      "error XFC0030: BiasGeluX node 'gelu': op 'BiasGeluX' of domain 'com.microsoft' (opset 1) is not supported",
      "error XFC0030: FancyOp node 'FancyOp_3': op 'FancyOp' of domain 'ai.onnx' (opset 17) is not supported",
    ]);
  });

  it('reports undefined inputs and cycles, in node order', () => {
    expect(errorsOf({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('e', 'f32', [2]), vi('u', 'f32', [2])],
      nodes: [
        node('Add', ['x', 'd'], ['c'], { name: 'a' }),
        node('Abs', ['nope'], ['u'], { name: 'abs' }),
        node('Neg', ['c'], ['d'], { name: 'n' }),
        node('Relu', ['d'], ['e'], { name: 'r' }),
        node('Mul', ['x', 'w'], ['w'], { name: 'self' }),
      ],
    })).toEqual([
      "error XFC0032: the graph has a cycle through Add node 'a' -> Neg node 'n' -> Add node 'a'",
      "error XFC0031: Abs node 'abs': input 'nope' is not produced by any node, initializer or graph input",
      "error XFC0032: the graph has a cycle through Mul node 'self' -> Mul node 'self'",
    ]);
  });

  it('names a three-node cycle in data-flow order', () => {
    expect(errorsOf({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('p', 'f32', [2])],
      nodes: [
        node('Add', ['x', 'r'], ['p'], { name: 'p' }),
        node('Neg', ['q'], ['r'], { name: 'r' }),
        node('Abs', ['p'], ['q'], { name: 'q' }),
      ],
    })).toEqual(["error XFC0032: the graph has a cycle through Add node 'p' -> Abs node 'q' -> Neg node 'r' -> Add node 'p'"]);
  });

  it('records type-rule failures and poisons their results', () => {
    const errors = errorsOf({
      inputs: [vi('a', 'f32', [2, 3]), vi('b', 'f32', [4, 5])],
      outputs: [vi('z', 'f32', [2, 3])],
      nodes: [
        node('Add', ['a', 'b'], ['s'], { name: 'bad' }),
        node('Neg', ['s'], ['t'], { name: 'after' }),
        node('Nope', ['t'], ['z'], { name: 'nope' }),
      ],
    });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^error XFC0033: Add node 'bad': /);
    expect(errors[1]).toBe("error XFC0030: Nope node 'nope': op 'Nope' of domain 'ai.onnx' (opset 17) is not supported");
  });

  it('reports duplicate value names', () => {
    expect(errorsOf({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('y', 'f32', [2])],
      initializers: [{ tensor: Tensor.fromNumbers('f32', [2], [1, 2]), name: 'x' }, { tensor: Tensor.fromNumbers('f32', [2], [1, 2]), name: 'k' }],
      nodes: [node('Neg', ['x'], ['y'], { name: 'n1' }), node('Relu', ['x'], ['y'], { name: 'n2' }), node('Abs', ['x'], ['k'], { name: 'n3' })],
    })).toEqual([
      "error XFC0035: value 'y' is defined more than once (result of Neg node 'n1' and result of Relu node 'n2')",
      "error XFC0035: value 'k' is defined more than once (initializer and result of Abs node 'n3')",
    ]);
  });

  it('reports unsupported opsets', () => {
    const spec = (opset: number): ModelSpec => ({ opset, inputs: [vi('x', 'f32', [2])], outputs: [vi('x', 'f32', [2])] });
    expect(errorsOf(spec(6))).toEqual(["error XFC0036: opset 6 of domain 'ai.onnx' is not supported (xfc supports opsets 7 to 21)"]);
    expect(errorsOf(spec(22))).toEqual(["error XFC0036: opset 22 of domain 'ai.onnx' is not supported (xfc supports opsets 7 to 21)"]);
    expect(load(spec(7)).opsets).toEqual([{ domain: '', version: 7 }]);
    expect(load(spec(21)).opsets).toEqual([{ domain: '', version: 21 }]);
  });

  it('checks declared output types', () => {
    const spec = (out: ReturnType<typeof vi>): ModelSpec => ({
      inputs: [vi('x', 'f32', ['n', 3]), vi('s', 'f32', [2, 3])],
      outputs: [out],
      nodes: [node('Neg', [out.name!.startsWith('y') ? 'x' : 's'], [out.name!], { name: 'neg' })],
    });
    expect(errorsOf(spec(vi('y', 'f16', ['n', 3])))).toEqual(["error XFC0037: graph output 'y': the model declares f16[n, 3], but xfc infers f32[n, 3]"]);
    expect(errorsOf(spec(vi('z', 'f32', [2, 4])))).toEqual(["error XFC0037: graph output 'z': the model declares f32[2, 4], but xfc infers f32[2, 3]"]);
    // Symbols, unnamed dims and undeclared types are not conflicts.
    expect(() => load(spec(vi('y', 'f32', ['batch', null])))).not.toThrow();
    expect(() => load(spec(vi('z', 'f32', ['a', 'b'])))).not.toThrow();
    expect(() => load(spec(vi('z', 0, null)))).not.toThrow();
  });

  it('reports outputs nobody produces', () => {
    expect(errorsOf({ inputs: [vi('x', 'f32', [2])], outputs: [vi('x', 'f32', [2]), vi('gone', 'f32', [2])] }))
      .toEqual(["error XFC0039: graph output 'gone' is not produced by any node, initializer or graph input"]);
  });

  it('reports bad initializers and attributes together with node problems', () => {
    const errors = errorsOf({
      inputs: [vi('x', 'f32', [2])],
      outputs: [vi('y', 'f32', [2]), vi('z', 'f32', [2])],
      initializers: [{ name: 'w', dims: [3], dataType: 1, floatData: [1, 2] }],
      nodes: [
        node('Add', ['x', 'w'], ['y'], { name: 'uses_w' }),
        node('Neg', ['x'], ['z'], { name: 'neg', attrs: [{ name: 'body', type: 5, g: { name: 'sub' } } as never] }),
      ],
    });
    expect(errors).toEqual([
      "error XFC0020: tensor 'w': f32[3] needs 3 elements, but its float_data holds 2 elements",
      "error XFC0034: Neg node 'neg': attribute 'body' of type GRAPH is not supported",
    ]);
  });
});
