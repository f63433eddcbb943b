// Import limits and checks in-process: sizes checked before allocation, the protobuf prescan (nesting, nodes,
// decoder memory), folding bounded by maxFoldElements, external data re-checked at load, .npy headers, and
// diagnostics that stay on one line.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError, Diagnostic } from '../../compiler/diagnostics.js';
import { GraphBuilder } from '../../compiler/ir/builder.js';
import { DimArithmeticError, canonicalDim, dimMul } from '../../compiler/ir/dim.js';
import { Graph, type LazyTensor } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { parseNpy, readNpyFile } from '../../compiler/io/npy.js';
import { DEFAULT_LIMITS, type Limits, checkedElementCount, resolveLimits } from '../../compiler/limits.js';
import { importOnnxBytes, importOnnxFile } from '../../compiler/onnx/import.js';
import { prescanModel } from '../../compiler/onnx/prescan.js';
import { decodeModel, onnx } from '../../compiler/onnx/proto.js';
import { tensorFromProto } from '../../compiler/onnx/tensor.js';
import { fixtureModels, ZOO } from '../fixtures.js';
import { attr, model, node, vi } from '../onnx/build.js';

function codesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => `${d.code} ${d.message}`);
    throw e;
  }
  return [];
}

const importWith = (bytes: Uint8Array, limits: Partial<Limits>) => () => importOnnxBytes(bytes, { limits, fileName: 'm.onnx' });
const f32 = (name: string, dims: number[]) => ({ name, dims, dataType: 1, rawData: new Uint8Array(4 * dims.reduce((a, b) => a * b, 1)) });

describe('limits', () => {
  it('checkedElementCount rejects negative, fractional, unsafe dims and overflowing products', () => {
    expect(checkedElementCount([2, 3, 4])).toBe(24);
    expect(checkedElementCount([])).toBe(1);
    expect(checkedElementCount([0, 2 ** 40])).toBe(0);
    expect(checkedElementCount([2, -1])).toBeUndefined();
    expect(checkedElementCount([0, -1])).toBeUndefined();
    expect(checkedElementCount([1.5])).toBeUndefined();
    expect(checkedElementCount([2 ** 53])).toBeUndefined();
    expect(checkedElementCount([2 ** 31, 2 ** 31, 2 ** 31])).toBeUndefined();
  });

  it('resolveLimits overrides the defaults and refuses nonsense', () => {
    expect(resolveLimits({ maxRank: 8 })).toEqual({ ...DEFAULT_LIMITS, maxRank: 8 });
    expect(() => resolveLimits({ maxNodes: -1 })).toThrow(/maxNodes/);
  });
});

describe('tensors: claimed sizes are checked before allocation', () => {
  it('against maxTensorBytes, maxRank and the total of the initializers', () => {
    const bytes = model({
      inputs: [vi('x', 'f32', [4])], outputs: [vi('y', 'f32', [4])],
      initializers: [f32('a', [100]), f32('b', [200]), f32('r', [1, 1, 1, 1, 1])],
      nodes: [node('Identity', ['x'], ['y'])],
    });
    expect(codesOf(importWith(bytes, { maxTensorBytes: 600 }))).toEqual([
      "XFC0023 tensor 'b': f32[200] takes 800 bytes, more than the limit of 600 bytes",
    ]);
    expect(codesOf(importWith(bytes, { maxRank: 4 }))).toEqual(["XFC0024 tensor 'r': rank 5 is more than the limit of 4"]);
    expect(codesOf(importWith(bytes, { maxTotalInitializerBytes: 1000 }))).toEqual([
      'XFC0025 the initializers take 1204 bytes (1.2 KiB) together, more than the limit of 1000 bytes',
    ]);
    expect(codesOf(importWith(bytes, {}))).toEqual([]);
  });

  it('a huge claimed tensor with typed-field data is refused without allocating', () => {
    const p = onnx.TensorProto.create({ name: 'w', dims: [2 ** 26, 2 ** 20], dataType: 7, int64Data: [1, 2, 3] });
    expect(codesOf(() => tensorFromProto(p))).toEqual([
      "XFC0023 tensor 'w': i64[67108864, 1048576] takes 562949953421312 bytes (512.0 TiB), more than the limit of 4294967296 bytes (4.0 GiB)",
    ]);
    const zeroButHuge = onnx.TensorProto.create({ name: 'z', dims: [0, 2 ** 40], dataType: 1 });
    expect(codesOf(() => tensorFromProto(zeroButHuge))).toEqual(["XFC0022 tensor 'z': invalid dimensions [0, 1099511627776]"]);
  });

  it('declared inputs: rank, exact dims, and the bytes of their static part', () => {
    const make = (dims: (number | string)[]) => model({ inputs: [vi('x', 'f32', dims)], outputs: [vi('y', 'f32', null)], nodes: [node('Relu', ['x'], ['y'], { name: 'r' })] });
    expect(codesOf(importWith(make(['batch', 2 ** 31]), {}))).toEqual([
      "XFC0040 graph input 'x': f32[batch, 2147483648] would take at least 8589934592 bytes (8.0 GiB), more than the limit of 4294967296 bytes (4.0 GiB)",
    ]);
    expect(codesOf(importWith(make([1, 1, 1]), { maxRank: 2 }))).toEqual(["XFC0040 graph input 'x': rank 3 is more than the limit of 2"]);
    const unsafe = model({
      inputs: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: { low: 0, high: 0x7fffffff } as never }] } } } }],
      outputs: [vi('y', 'f32', null)], nodes: [node('Relu', ['x'], ['y'])],
    });
    expect(codesOf(importWith(unsafe, {}))[0]).toMatch(/^XFC0040 graph input 'x': dimension 0 \(\d+\) is not an exact integer$/);
  });

  it('a shape operand longer than any shape is refused before a symbol is made per element', () => {
    const bytes = model({
      inputs: [vi('x', 'f32', [4]), vi('s', 'i64', [2 ** 28])], outputs: [vi('y', 'f32', null)],
      nodes: [node('Reshape', ['x', 's'], ['y'], { name: 'reshape' })],
    });
    expect(codesOf(importWith(bytes, {}))).toEqual([
      "XFC0033 Reshape node 'reshape': the target shape (operand 1) has 268435456 elements, more than the 1024 dims a shape may have",
    ]);
  });

  it('node results: static sizes and ranks past the limits are refused with the node named', () => {
    const bytes = model({
      inputs: [vi('x', 'f32', [2, 3])], outputs: [vi('y', 'f32', null)],
      initializers: [{ name: 'axes', dims: [6], dataType: 7, int64Data: [0, 1, 2, 3, 4, 5] }],
      nodes: [node('Unsqueeze', ['x', 'axes'], ['y'], { name: 'unsq' })],
    });
    expect(codesOf(importWith(bytes, { maxRank: 6 }))).toEqual([
      "XFC0041 Unsqueeze node 'unsq': result 'y' f32[1, 1, 1, 1, 1, 1, 2, 3] has rank 8, more than the limit of 6",
    ]);
  });
});

describe('the prescan: nesting, node count and decoder memory before protobufjs runs', () => {
  /** A ModelProto encoded by hand, message tags with wire type `wt` (protobufjs decodes by field number alone). */
  function nested(depth: number, wt: 0 | 2): Uint8Array {
    const varint = (n: number) => {
      const out: number[] = [];
      while (n > 127) {
        out.push((n & 127) | 128);
        n >>>= 7;
      }
      out.push(n);
      return out;
    };
    const field = (num: number, body: number[]) => [...varint((num << 3) | wt), ...varint(body.length), ...body];
    let graph: number[] = [];
    for (let i = 0; i < depth; i++) {
      const attribute = [...field(1, [0x67]), 0xa0, 0x01, 0x05, ...field(6, graph)]; // name 'g', type GRAPH, g
      graph = field(1, [...field(4, [...new TextEncoder().encode('If')]), ...field(5, attribute)]); // node { op_type, attribute }
    }
    return Uint8Array.from(field(7, graph));
  }

  it('measures the nesting protobufjs would recurse through, whatever the wire types say', () => {
    for (const wt of [2, 0] as const) {
      const stats = prescanModel(nested(5, wt), DEFAULT_LIMITS, 'm');
      expect(stats.depth).toBe(1 + 5 * 3 + 1); // Model > (Graph > Node > Attribute) x 5 > the empty leaf Graph
      expect(stats.nodes).toBe(5);
      // protobufjs indeed decodes the same five levels.
      let g = onnx.ModelProto.decode(nested(5, wt)).graph;
      let levels = 0;
      while (g?.node?.[0]) {
        levels++;
        g = g.node[0].attribute?.[0]?.g;
      }
      expect(levels).toBe(5);
      expect(codesOf(() => decodeModel(nested(300, wt), 'deep.onnx'))[0]).toMatch(/^XFC0008 'deep\.onnx': protobuf messages nest deeper than 100 levels \(ModelProto > GraphProto > \.\.\. > /);
    }
    expect(codesOf(() => decodeModel(nested(20, 2), 'm', resolveLimits({ maxNestingDepth: 30 })))[0]).toMatch(/^XFC0008 /);
  });

  it('refuses nested groups of an unknown field (protobufjs skips them recursively)', () => {
    const depth = 50_000;
    const bytes = new Uint8Array(2 * depth).fill((15 << 3) | 3, 0, depth).fill((15 << 3) | 4, depth);
    expect(codesOf(() => decodeModel(bytes, 'g.onnx'))).toEqual([
      "XFC0008 'g.onnx': protobuf messages nest deeper than 100 levels (a group inside ModelProto); refusing to decode it",
    ]);
  });

  it('counts nodes, and the memory packed 64-bit integers and strings would take', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => node('Relu', [i === 0 ? 'x' : `h${i - 1}`], [i === 19 ? 'y' : `h${i}`]));
    const twenty = model({ inputs: [vi('x', 'f32', [2])], outputs: [vi('y', 'f32', [2])], nodes });
    expect(codesOf(importWith(twenty, { maxNodes: 10 }))).toEqual(["XFC0015 'm.onnx' has more than 10 nodes, the limit"]);
    expect(codesOf(importWith(twenty, { maxNodes: 20 }))).toEqual([]);

    // 1 MB of one-byte varints: a million Long objects for protobufjs.
    const ints = onnx.TensorProto.encode({ name: 'w', dims: [1_000_000], dataType: 7, int64Data: new Array(1_000_000).fill(1) }).finish();
    const bomb = model({ inputs: [vi('x', 'f32', [2])], outputs: [vi('x', 'f32', [2])], initializers: [onnx.TensorProto.decode(ints)] });
    expect(codesOf(importWith(bomb, { maxDecodeBytes: 16 * 2 ** 20 }))).toEqual([
      expect.stringMatching(/^XFC0009 'm\.onnx': decoding its 64-bit integers would take about \d+ bytes \(16\.0 MiB\) of memory, more than the limit of 16777216 bytes \(16\.0 MiB\)$/),
    ]);
    expect(codesOf(importWith(bomb, {}))).toEqual([]);
    const names = model({ inputs: [vi('x', 'f32', [2])], outputs: [vi('y', 'f32', [2])], nodes: [node('Sum', new Array(100_000).fill('x'), ['y'])] });
    expect(codesOf(importWith(names, { maxDecodeBytes: 2 ** 20 }))[0]).toMatch(/^XFC0009 'm\.onnx': decoding its strings would take about/);
  });

  it('agrees with the decoder on every committed fixture', () => {
    for (const m of [...fixtureModels(), ...fixtureModels(ZOO)]) {
      const bytes = fs.readFileSync(m.file);
      const stats = prescanModel(bytes, DEFAULT_LIMITS, m.file);
      const decoded = onnx.ModelProto.decode(bytes);
      expect(stats.nodes, m.file).toBe(decoded.graph!.node!.length);
      expect(stats.depth).toBeLessThan(12);
      expect(stats.decodeBytes).toBeLessThan(64 * 2 ** 20);
    }
  });

  it('refuses a model file past maxModelBytes, and files that are not regular files', () => {
    const bytes = model({ inputs: [vi('x', 'f32', [2])], outputs: [vi('x', 'f32', [2])] });
    expect(codesOf(importWith(bytes, { maxModelBytes: 10 }))[0]).toMatch(/^XFC0007 'm\.onnx' is \d+ bytes, more than the limit of 10 bytes for a model file$/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-limits-'));
    expect(codesOf(() => importOnnxFile(dir))).toEqual([`XFC0006 '${dir}' is not a regular file (a directory); refusing to read it`]);
    expect(codesOf(() => importOnnxFile('/dev/null'))).toEqual(["XFC0006 '/dev/null' is not a regular file (a device); refusing to read it"]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('folding respects maxFoldElements, also where sizes come from operand values', () => {
  const i64 = (name: string, values: number[]) => ({ name, dims: [values.length], dataType: 7, int64Data: values });
  const scalar = (name: string, v: number) => ({ name, dims: [], dataType: 7, int64Data: [v] });
  const cases: [string, ReturnType<typeof node>, object[]][] = [
    ['ConstantOfShape', node('ConstantOfShape', ['s'], ['y'], { name: 'n' }), [i64('s', [100, 100])]],
    ['Expand', node('Expand', ['one', 's'], ['y'], { name: 'n' }), [{ name: 'one', dims: [1], dataType: 7, int64Data: [1] }, i64('s', [100, 100])]],
    ['Tile', node('Tile', ['one', 's'], ['y'], { name: 'n' }), [{ name: 'one', dims: [1, 1], dataType: 7, int64Data: [1] }, i64('s', [100, 100])]],
    ['Range', node('Range', ['a', 'b', 'c'], ['y'], { name: 'n' }), [scalar('a', 0), scalar('b', 10_000), scalar('c', 1)]],
  ];
  it.each(cases)('%s of 10 000 elements stays a node under a limit of 1000, folds under the default', (_, n, inits) => {
    const bytes = model({ outputs: [{ name: 'y' }], initializers: inits as never, nodes: [n] });
    const small = importOnnxBytes(bytes, { limits: { maxFoldElements: 1000 } });
    expect(small.graph.nodes.map((x) => x.op)).toEqual([n.opType]);
    const big = importOnnxBytes(bytes);
    expect(big.graph.nodes).toEqual([]);
    expect(big.graph.outputs[0]!.constant!.shape.reduce((a, b) => a * b, 1)).toBe(10_000);
  });

  it('symbolic contents are not tracked for huge static results (no per-element plan of 2^40)', () => {
    const graph = new Graph('t');
    const b = new GraphBuilder(graph);
    const [shape] = b.add('Shape', [graph.addInput('x', { dtype: 'f32', shape: ['n'] })]);
    const target = b.constant(Tensor.fromNumbers('i64', [2], [2 ** 20, 2 ** 20]));
    const [y] = b.add('Expand', [shape!, target]);
    expect(y!.type.shape).toEqual([2 ** 20, 2 ** 20]);
    expect(y!.symbolic).toBeUndefined();
  });

  it('dim arithmetic past 2^53 keeps exact digits; non-integers become a shape diagnostic', () => {
    const d = dimMul('batch', 2 ** 62 * 1024);
    expect(d).toBe('4722366482869645213696*batch');
    expect(canonicalDim(d)).toBe(d);
    expect(() => dimMul('batch', Infinity)).toThrow(DimArithmeticError);
    const graph = new Graph('t');
    const b = new GraphBuilder(graph);
    const x = graph.addInput('x', { dtype: 'f32', shape: ['n', 2] });
    const [s] = b.add('Shape', [x]);
    const k = b.constant(Tensor.fromNumbers('i64', [2], [2 ** 62, 1]));
    // [2^62 n, 2] squared: 2^124, 2^248, 2^496, 2^992 (exact digits throughout), then 2^1984: Infinity as a float.
    let [t] = b.add('Mul', [s!, k]);
    for (let i = 0; i < 4; i++) [t] = b.add('Mul', [t!, t!]);
    expect(t!.symbolic![0]).toBe(`${BigInt(2 ** 992)}*${new Array(16).fill('n').join('*')}`);
    expect(codesOf(() => b.add('Mul', [t!, t!], {}, { name: 'square' }))).toEqual([
      expect.stringMatching(/^XFC0033 Mul node 'square': dimension arithmetic produced the coefficient Infinity, which is not an integer$/),
    ]);
  });
});

describe('external data is checked again when it is read', () => {
  it('a file swapped for a FIFO after the import is refused, not read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-ext-'));
    fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(24));
    const p = onnx.TensorProto.create({ name: 'w', dims: [6], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] });
    const lazy = tensorFromProto(p, { baseDir: dir }) as LazyTensor;
    fs.rmSync(path.join(dir, 'w.bin'));
    if (spawnSync('mkfifo', [path.join(dir, 'w.bin')]).status === 0) {
      expect(codesOf(() => lazy.load())).toEqual(["XFC0013 tensor 'w': external data location 'w.bin' is not a regular file"]);
    }
    fs.rmSync(dir, { recursive: true });
  });

  it('a device inside the model folder is not read (the folder /dev, the location zero)', () => {
    const p = onnx.TensorProto.create({ name: 'w', dims: [6], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'zero' }] });
    expect(codesOf(() => tensorFromProto(p, { baseDir: '/dev' }))).toEqual(["XFC0013 tensor 'w': external data location 'zero' is not a regular file"]);
  });

  it('offset and length must be plain byte counts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-ext-'));
    fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(2000));
    for (const [key, value] of [['offset', '1e3'], ['length', ''], ['offset', '-0'], ['length', '24.0'], ['offset', '99999999999999999']]) {
      const entries = [{ key: 'location', value: 'w.bin' }, { key: key!, value: value! }];
      const p = onnx.TensorProto.create({ name: 'w', dims: [6], dataType: 1, dataLocation: 1, externalData: entries });
      expect(codesOf(() => tensorFromProto(p, { baseDir: dir }))).toEqual([`XFC0016 tensor 'w': external data entry '${key}' is '${value}', not a byte count`]);
    }
    fs.rmSync(dir, { recursive: true });
  });
});

describe('.npy inputs', () => {
  const header = (shape: string, descr = '<f4') => {
    const h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }\n`;
    return Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8, ...new TextEncoder().encode(h), 0, 0, 0, 0]);
  };

  it('a header claiming a huge, overflowing, negative or odd shape is refused before allocation', () => {
    expect(() => parseNpy(header('(1099511627776,)'))).toThrow(/truncated data: shape \(1099511627776\) of <f4 needs 4398046511104 bytes, the file has 4/);
    expect(() => parseNpy(header('(4294967296, 4294967296, 4294967296)'))).toThrow(/has more than 2\^53 elements/);
    expect(() => parseNpy(header('(-1,)'))).toThrow(/invalid dimension '-1'/);
    expect(() => parseNpy(header('(1e3,)'))).toThrow(/invalid dimension '1e3'/);
    expect(() => parseNpy(header(`(${new Array(70).fill(1).join(', ')})`))).toThrow(/rank 70/);
    expect(parseNpy(header('(1,)')).toNumbers()).toEqual([0]);
  });

  it('readNpyFile refuses devices and FIFOs', () => {
    expect(() => readNpyFile('/dev/zero')).toThrow(/not a regular file/);
  });
});

describe('diagnostics stay on one line', () => {
  it('escapes control characters from names and cuts very long ones', () => {
    expect(new Diagnostic('undefinedInput', { op: 'Relu', node: 'a\nb', value: 'x\u0000\ty' }).message)
      .toBe("Relu node 'a\\nb': input 'x\\u0000\\ty' is not produced by any node, initializer or graph input");
    const long = new Diagnostic('cycle', { nodes: 'n'.repeat(5000) }).message;
    expect(long.length).toBeLessThan(1100);
    expect(long).toMatch(/\.\.\. \(5000 characters\)$/);
  });
});

describe('attributes in a Constant node must have the kind their name calls for', () => {
  it.each([
    ['value', attr('value', 3), "attribute 'value' must be a tensor, got number 3"],
    ['value_int', attr('value_int', 2.5), "attribute 'value_int' must be an int, got number 2.5"],
    ['value_floats', attr('value_floats', 'x'), "attribute 'value_floats' must be a list of floats, got string \"x\""],
  ])('%s', (_, a, detail) => {
    const bytes = model({ outputs: [vi('y', 'f32', null)], nodes: [node('Constant', [], ['y'], { name: 'c', attrs: [a] })] });
    expect(codesOf(importWith(bytes, {}))).toEqual([`XFC0034 Constant node 'c': ${detail}`]);
  });
});
