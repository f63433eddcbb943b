// Writes fixtures/broken/: small broken and hostile models, their expected diagnostics (manifest.json), and the
// fuzzer's regressions. Deterministic: running it again rewrites the same bytes.
//
//   node --import tsx scripts/make_broken.ts [--check]     (--check: fail if a file would change)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx, encodeModel } from '../compiler/onnx/proto.js';
import { encodeNpy } from '../compiler/io/npy.js';
import { Tensor } from '../compiler/ir/tensor.js';

const ROOT = path.resolve(import.meta.dirname, '..', 'fixtures', 'broken');
const A = onnx.AttributeProto.AttributeType;
const F32 = 1;
const I64 = 7;

type INode = Parameters<typeof onnx.NodeProto.create>[0] & object;
type ITensor = Parameters<typeof onnx.TensorProto.create>[0] & object;
type IValueInfo = Parameters<typeof onnx.ValueInfoProto.create>[0] & object;
type Dim = number | string | { low: number; high: number };

/** What the corpus test expects of a file, for `xfc inspect` and `xfc run` alike (unless `run` says otherwise). */
export interface BrokenCase {
  file: string;
  what: string;
  /** Diagnostic codes, one line each, in the order printed. */
  codes: string[];
  /** Texts that must appear in the diagnostics (node, tensor or file names). */
  names: string[];
  /** Special files the test creates next to the models before running (symlinks, a FIFO, a folder). */
  setup?: string[];
  /** `xfc run` with these inputs fails differently (the model imports; running it does not). */
  run?: { inputs: Record<string, string>; exit: number; codes: string[]; names: string[] };
  /** For regressions: what the fuzzer found before the fix. */
  found?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Model construction

function vi(name: string, elemType: number, dims: Dim[] | null): IValueInfo {
  const dim = dims?.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d as number }));
  return { name, type: { tensorType: { elemType, shape: dim ? { dim } : undefined } } };
}

function node(op: string, inputs: string[], outputs: string[], name: string, attribute: INode['attribute'] = [], domain = ''): INode {
  return { opType: op, input: inputs, output: outputs, name, attribute, domain };
}

function floats(name: string, dims: Dim[], values: number[]): ITensor {
  return { name, dims: dims as number[], dataType: F32, rawData: new Uint8Array(new Float32Array(values).buffer) };
}

function ints(name: string, values: number[]): ITensor {
  return { name, dims: [values.length], dataType: I64, rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer) };
}

function external(name: string, dims: number[], entries: Record<string, string>): ITensor {
  return {
    name, dims, dataType: F32, dataLocation: 1,
    externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
  };
}

interface GraphSpec {
  nodes?: INode[];
  inputs?: IValueInfo[];
  outputs?: IValueInfo[];
  initializers?: ITensor[];
  opset?: number;
}

function model(g: GraphSpec): Uint8Array {
  return encodeModel({
    irVersion: 8,
    producerName: 'xfc make_broken',
    opsetImport: [{ domain: '', version: g.opset ?? 17 }],
    graph: { name: 'broken', node: g.nodes ?? [], input: g.inputs ?? [], output: g.outputs ?? [], initializer: g.initializers ?? [] },
  });
}

/** A small valid model: y = x @ W + b. */
function validModel(): Uint8Array {
  const w = Array.from({ length: 64 }, (_, i) => (i % 7) / 7);
  return model({
    inputs: [vi('x', F32, ['batch', 8])],
    outputs: [vi('y', F32, ['batch', 8])],
    initializers: [floats('W', [8, 8], w), floats('b', [8], w.slice(0, 8))],
    nodes: [node('MatMul', ['x', 'W'], ['xw'], 'matmul'), node('Add', ['xw', 'b'], ['y'], 'add_bias')],
  });
}

/** A model whose graph nests `depth` subgraph attributes (If.then_branch inside If.then_branch ...). */
function nestedModel(depth: number): Uint8Array {
  let g: InstanceType<typeof onnx.GraphProto> = onnx.GraphProto.create({ name: 'leaf' });
  for (let i = 0; i < depth; i++) {
    const n = onnx.NodeProto.create({ opType: 'If', name: `if_${i}`, attribute: [onnx.AttributeProto.create({ name: 'then_branch', type: A.GRAPH, g })] });
    g = onnx.GraphProto.create({ name: `g${i}`, node: [n] });
  }
  return encodeModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'nested', node: g.node, output: [vi('y', F32, [1])] } });
}

/** Deterministic pseudo-random bytes (mulberry32). */
function randomBytes(seed: number, n: number): Uint8Array {
  let a = seed >>> 0;
  return Uint8Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  });
}

// ---------------------------------------------------------------------------------------------------------
// The corpus

const out = new Map<string, Uint8Array>();
const cases: BrokenCase[] = [];

/** A case; `bytes` undefined when the test creates the file itself (a FIFO, a symlink to a device). */
function add(c: BrokenCase, bytes: Uint8Array | undefined): void {
  if (bytes) out.set(c.file, bytes);
  cases.push(c);
}

const XY = { inputs: [vi('x', F32, [2, 3])], outputs: [vi('y', F32, null)] };

add({ file: 'empty.onnx', what: 'an empty file', codes: ['XFC0002'], names: ['empty.onnx'] }, new Uint8Array());
add({ file: 'random.onnx', what: '4 KB of random bytes', codes: ['XFC0003'], names: ['random.onnx'] }, randomBytes(7, 4096));
add({ file: 'text.onnx', what: 'a text file', codes: ['XFC0003'], names: ['text.onnx'] }, new TextEncoder().encode('ir_version: 8\ngraph { name: "not a binary protobuf" }\n'));
{
  const valid = validModel();
  add({ file: 'truncated.onnx', what: 'a valid model cut in the middle of its weights', codes: ['XFC0004'], names: ['truncated.onnx'] }, valid.subarray(0, Math.floor(valid.length * 0.6)));
}
add({ file: 'no-graph.onnx', what: 'a ModelProto without a graph', codes: ['XFC0005'], names: ['no-graph.onnx'] },
  encodeModel({ irVersion: 8, producerName: 'nobody', opsetImport: [{ domain: '', version: 17 }] }));
add({
  file: 'cycle.onnx', what: 'two nodes that feed each other', codes: ['XFC0032'], names: ["Add node 'add_a'", "Mul node 'mul_b'"],
}, model({ ...XY, nodes: [node('Add', ['x', 'b_out'], ['a_out'], 'add_a'), node('Mul', ['a_out', 'x'], ['b_out'], 'mul_b'), node('Identity', ['b_out'], ['y'], 'id')] }));
add({
  file: 'undefined-input.onnx', what: 'a node reading a value nothing defines', codes: ['XFC0031'], names: ["Relu node 'relu'", "'ghost'"],
}, model({ ...XY, nodes: [node('Relu', ['ghost'], ['y'], 'relu')] }));
add({
  file: 'duplicate-names.onnx', what: 'two nodes defining the same value, and a duplicated initializer',
  codes: ['XFC0035', 'XFC0035'], names: ["value 'w'", "value 'h'", "Relu node 'relu_1'", "Neg node 'neg_1'"],
}, model({
  ...XY, initializers: [floats('w', [3], [1, 2, 3]), floats('w', [3], [4, 5, 6])],
  nodes: [node('Relu', ['x'], ['h'], 'relu_1'), node('Neg', ['x'], ['h'], 'neg_1'), node('Add', ['h', 'w'], ['y'], 'add')],
}));

// External data: every way out of the model's folder, and files that are not regular files.
const extModel = (name: string, entries: Record<string, string>, dims = [2, 3]) => model({
  ...XY, initializers: [external(name, dims, entries)], nodes: [node('Add', ['x', name], ['y'], 'add')],
});
add({ file: 'external-traversal.onnx', what: 'external data at ../secret.bin', codes: ['XFC0011'], names: ["tensor 'w_up'", '../secret.bin'] },
  extModel('w_up', { location: '../secret.bin' }));
add({ file: 'external-absolute.onnx', what: 'external data at an absolute path', codes: ['XFC0011'], names: ["tensor 'w_abs'", '/etc/passwd'] },
  extModel('w_abs', { location: '/etc/passwd' }));
add({ file: 'external-symlink-out.onnx', what: 'external data through a symlink that leaves the folder', codes: ['XFC0011'], names: ["tensor 'w_link'", 'link-out.bin'], setup: ['link-out.bin'] },
  extModel('w_link', { location: 'link-out.bin' }));
add({ file: 'external-device.onnx', what: 'external data that is a symlink to /dev/zero', codes: ['XFC0011'], names: ["tensor 'w_dev'", 'dev-zero.bin'], setup: ['dev-zero.bin'] },
  extModel('w_dev', { location: 'dev-zero.bin', length: '24' }));
add({ file: 'external-fifo.onnx', what: 'external data that is a FIFO in the folder', codes: ['XFC0013'], names: ["tensor 'w_fifo'", 'fifo.bin'], setup: ['fifo.bin'] },
  extModel('w_fifo', { location: 'fifo.bin' }));
add({ file: 'external-folder.onnx', what: 'external data that is a folder', codes: ['XFC0013'], names: ["tensor 'w_dir'", 'folder.bin'], setup: ['folder.bin'] },
  extModel('w_dir', { location: 'folder.bin' }));
add({ file: 'external-missing.onnx', what: 'external data that does not exist', codes: ['XFC0010'], names: ["tensor 'w_gone'", 'gone.bin'] },
  extModel('w_gone', { location: 'gone.bin' }));
add({ file: 'external-offset.onnx', what: "an external-data offset that is not a number", codes: ['XFC0016'], names: ["tensor 'w_off'", "'offset'", '0x10'] },
  extModel('w_off', { location: 'weights.bin', offset: '0x10', length: '24' }));
add({ file: 'external-range.onnx', what: 'external data past the end of its file', codes: ['XFC0012'], names: ["tensor 'w_far'", 'weights.bin'] },
  extModel('w_far', { location: 'weights.bin', offset: '40', length: '24' }));
add({ file: 'external-short.onnx', what: 'external data shorter than the dims need', codes: ['XFC0020'], names: ["tensor 'w_short'", 'weights.bin'] },
  extModel('w_short', { location: 'weights.bin', offset: '0', length: '16' }));
out.set('weights.bin', new Uint8Array(new Float32Array(12).map((_, i) => i).buffer));

// Sizes: claimed dims against the bytes present and the limits; negative and overflowing dims.
add({ file: 'huge-initializer.onnx', what: 'an initializer claiming 2^20 x 2^20 floats with 16 bytes of data', codes: ['XFC0023'], names: ["tensor 'w_huge'"] },
  model({ ...XY, initializers: [{ name: 'w_huge', dims: [2 ** 20, 2 ** 20], dataType: F32, rawData: new Uint8Array(16) }], nodes: [node('Add', ['x', 'w_huge'], ['y'], 'add')] }));
add({ file: 'short-raw-data.onnx', what: 'raw_data shorter than the dims need', codes: ['XFC0020'], names: ["tensor 'w_short'", 'raw_data'] },
  model({ ...XY, initializers: [{ name: 'w_short', dims: [1000, 1000], dataType: F32, rawData: new Uint8Array(40) }], nodes: [node('Add', ['x', 'w_short'], ['y'], 'add')] }));
add({ file: 'negative-dims.onnx', what: 'an initializer and a graph input with negative dims', codes: ['XFC0022', 'XFC0040'], names: ["tensor 'w_neg'", "graph input 'x_neg'"] },
  model({
    inputs: [vi('x_neg', F32, [2, -3])], outputs: [vi('y', F32, null)],
    initializers: [{ name: 'w_neg', dims: [2, -3], dataType: F32, rawData: new Uint8Array() }],
    nodes: [node('Add', ['x_neg', 'w_neg'], ['y'], 'add')],
  }));
add({ file: 'dims-overflow.onnx', what: 'dims whose product passes 2^53', codes: ['XFC0022'], names: ["tensor 'w_over'"] },
  model({ ...XY, initializers: [{ name: 'w_over', dims: [2 ** 31, 2 ** 31, 2 ** 31], dataType: F32, rawData: new Uint8Array(8) }], nodes: [node('Add', ['x', 'w_over'], ['y'], 'add')] }));
add({ file: 'huge-input.onnx', what: 'a graph input declared f32[2^40]', codes: ['XFC0040'], names: ["graph input 'x_big'", '1099511627776'] },
  model({ inputs: [vi('x_big', F32, [2 ** 40])], outputs: [vi('y', F32, null)], nodes: [node('Relu', ['x_big'], ['y'], 'relu')] }));
add({
  file: 'expand-bomb.onnx', what: 'Expand of a constant to [1000000, 1000000]', codes: ['XFC0041'], names: ["Expand node 'expand'", "'y'"],
}, model({
  inputs: [], outputs: [vi('y', F32, null)],
  initializers: [floats('one', [1], [1]), ints('shape', [1_000_000, 1_000_000])],
  nodes: [node('Expand', ['one', 'shape'], ['y'], 'expand')],
}));
add({
  file: 'range-bomb.onnx', what: 'Range(0, n, 1) with n a run-time input', codes: [], names: [],
  run: { inputs: { n: 'inputs/n-1e10.npy' }, exit: 1, codes: ['XFC0061'], names: ["Range node 'range'", '10000000000'] },
}, model({
  inputs: [vi('n', I64, [])], outputs: [vi('y', I64, null)],
  initializers: [ints('zero', [0]), ints('step', [1])].map((t) => ({ ...t, dims: [] })),
  nodes: [node('Range', ['zero', 'n', 'step'], ['y'], 'range')],
}));
add({
  file: 'fill-bomb.onnx', what: 'ConstantOfShape of a run-time shape', codes: [], names: [],
  run: { inputs: { shape: 'inputs/shape-1e5x1e5.npy' }, exit: 1, codes: ['XFC0061'], names: ["ConstantOfShape node 'fill'", '[100000, 100000]'] },
}, model({ inputs: [vi('shape', I64, [2])], outputs: [vi('y', F32, null)], nodes: [node('ConstantOfShape', ['shape'], ['y'], 'fill')] }));
add({
  file: 'npy-huge-header.onnx', what: 'a valid model; its input .npy claims shape (2^40,)', codes: [], names: [],
  run: { inputs: { x: 'inputs/huge-header.npy' }, exit: 2, codes: [], names: ['huge-header.npy', '1099511627776'] },
}, model({ inputs: [vi('x', F32, ['n'])], outputs: [vi('y', F32, ['n'])], nodes: [node('Relu', ['x'], ['y'], 'relu')] }));
out.set('inputs/n-1e10.npy', encodeNpy(Tensor.fromNumbers('i64', [], [1e10])));
out.set('inputs/shape-1e5x1e5.npy', encodeNpy(Tensor.fromNumbers('i64', [2], [100000, 100000])));
{
  // A real header claiming 2^40 floats, followed by 16 bytes.
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776,), }";
  const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const bytes = new Uint8Array(10 + padded.length + 16);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
  for (let i = 0; i < padded.length; i++) bytes[10 + i] = padded.charCodeAt(i);
  out.set('inputs/huge-header.npy', bytes);
}

// Graph problems found by the type rules, several at once.
add({
  file: 'shape-conflict.onnx', what: 'MatMul of [2, 3] by [4, 5]', codes: ['XFC0033'], names: ["MatMul node 'mm'", '[2, 3]', '[4, 5]'],
}, model({ ...XY, initializers: [floats('w', [4, 5], new Array(20).fill(0.5))], nodes: [node('MatMul', ['x', 'w'], ['y'], 'mm')] }));
add({
  file: 'wrong-dtype.onnx', what: 'MatMul(i64, f32) and Gather with f32 indices', codes: ['XFC0033', 'XFC0033'],
  names: ["MatMul node 'mm_int'", 'i64', "Gather node 'gather_f'", 'indices must be i32 or i64, got f32'],
}, model({
  inputs: [vi('x', F32, [2, 3]), vi('k', I64, [3, 2])], outputs: [vi('y', F32, null), vi('z', F32, null)],
  initializers: [floats('idx', [2], [0, 1])],
  nodes: [node('MatMul', ['k', 'x'], ['y'], 'mm_int'), node('Gather', ['x', 'idx'], ['z'], 'gather_f')],
}));
add({
  file: 'unsupported-ops.onnx', what: 'three unsupported ops, reported together',
  codes: ['XFC0030', 'XFC0030', 'XFC0030'], names: ["Loop node 'loop'", "NonMaxSuppression node 'nms'", "FusedThing node 'custom'", "'com.example'"],
}, model({
  ...XY, outputs: [vi('y', F32, null), vi('a', F32, null), vi('b', F32, null)],
  nodes: [
    node('Loop', ['x'], ['y'], 'loop'), node('NonMaxSuppression', ['x', 'x'], ['a'], 'nms'),
    node('FusedThing', ['x'], ['b'], 'custom', [], 'com.example'),
  ],
}));
add({
  file: 'many-problems.onnx', what: 'an undefined input, an unsupported op and a shape conflict at once',
  codes: ['XFC0031', 'XFC0030', 'XFC0033'], names: ["Relu node 'r'", "Loop node 'l'", "Add node 'bad_add'"],
}, model({
  ...XY, outputs: [vi('y', F32, null), vi('u', F32, null), vi('v', F32, null)],
  initializers: [floats('w', [4], [1, 2, 3, 4])],
  nodes: [node('Relu', ['missing'], ['u'], 'r'), node('Loop', ['x'], ['v'], 'l'), node('Add', ['x', 'w'], ['y'], 'bad_add')],
}));
add({ file: 'string-initializer.onnx', what: 'a STRING initializer', codes: ['XFC0021'], names: ["tensor 'names'", 'STRING'] },
  model({ ...XY, initializers: [{ name: 'names', dims: [1], dataType: 8, stringData: [new TextEncoder().encode('a')] }], nodes: [node('Identity', ['x'], ['y'], 'id')] }));
add({ file: 'old-opset.onnx', what: 'opset 3', codes: ['XFC0036'], names: ['opset 3'] },
  model({ ...XY, opset: 3, nodes: [node('Relu', ['x'], ['y'], 'relu')] }));
add({ file: 'nested-subgraphs.onnx', what: 'subgraph attributes nested 300 deep', codes: ['XFC0008'], names: ['nested-subgraphs.onnx', '100 levels'] },
  nestedModel(300));
{
  // 20 000 nested protobuf groups in an unknown field: protobufjs would recurse once per group.
  const depth = 20_000;
  const bytes = new Uint8Array(depth * 2 + 2);
  for (let i = 0; i < depth; i++) bytes[i] = (15 << 3) | 3; // start group, field 15 (unknown to ModelProto)
  for (let i = 0; i < depth; i++) bytes[depth + i] = (15 << 3) | 4; // end group
  add({ file: 'group-bomb.onnx', what: '20 000 nested protobuf groups', codes: ['XFC0008'], names: ['group-bomb.onnx'] }, bytes);
}
add({ file: 'model-is-fifo.onnx', what: 'the model path is a FIFO (would block a plain read)', codes: ['XFC0006'], names: ['model-is-fifo.onnx', 'FIFO'], setup: ['model-is-fifo.onnx'] }, undefined);
add({ file: 'model-is-device.onnx', what: 'the model path is a symlink to /dev/zero', codes: ['XFC0006'], names: ['model-is-device.onnx', 'device'], setup: ['model-is-device.onnx'] }, undefined);

// ---------------------------------------------------------------------------------------------------------
// Regressions: minimized inputs the fuzzer crashed on (each fixed), with the diagnostic now expected.

const regressions: BrokenCase[] = [];
function regression(r: Omit<BrokenCase, 'what'> & { found: string }, bytes: Uint8Array): void {
  out.set(`regressions/${r.file}`, bytes);
  regressions.push({ ...r, what: r.found });
}
regression({
  file: 'constant-value-int.onnx', found: "TypeError 'data.shape is not iterable': a Constant whose 'value' attribute had type INT",
  codes: ['XFC0034'], names: ["Constant node 'c'", "attribute 'value' must be a tensor"],
}, model({ ...XY, nodes: [node('Constant', [], ['k'], 'c', [{ name: 'value', type: A.INT, i: 3 }]), node('Add', ['x', 'k'], ['y'], 'add')] }));
regression({
  file: 'constant-value-floats-type.onnx', found: "TypeError: a Constant whose 'value_ints' attribute was declared FLOATS",
  codes: ['XFC0034'], names: ["Constant node 'c'", "attribute 'value_ints' must be a list of ints"],
}, model({ ...XY, nodes: [node('Constant', [], ['k'], 'c', [{ name: 'value_ints', type: A.FLOATS, floats: [0.5] }]), node('Add', ['x', 'k'], ['y'], 'add')] }));
regression({
  file: 'name-with-newline.onnx', found: 'a multi-line diagnostic: protobuf bytes (newlines) spliced into a value name',
  codes: ['XFC0031'], names: ["Relu node 'relu\\nnext'", "'in\\n\\u0012put'"],
}, model({ ...XY, nodes: [node('Relu', ['in\n\u0012put'], ['y'], 'relu\nnext')] }));
regression({
  file: 'expand-negative-runtime.onnx', found: "RangeError 'Invalid typed array length: -6': Expand to a run-time shape with a negative dim",
  codes: [], names: [],
  run: { inputs: { x: 'inputs/x-3.npy', shape: 'inputs/shape-minus-6.npy' }, exit: 1, codes: ['XFC0060'], names: ["Expand node 'expand'", '[-6]'] },
}, model({ inputs: [vi('x', F32, [3]), vi('shape', I64, [1])], outputs: [vi('y', F32, null)], nodes: [node('Expand', ['x', 'shape'], ['y'], 'expand')] }));
regression({
  file: 'dim-coefficient-overflow.onnx', found: "Error 'invalid dimension expression 1.66e+21*batch': a symbolic dim times 2^62 printed in exponent notation",
  codes: ['XFC0033'], names: ["Reshape node 'reshape'", '4611686018427387904*batch'],
}, model({
  inputs: [vi('x', F32, ['batch', 1024])], outputs: [vi('y', F32, null)],
  initializers: [{ ...ints('k', [0, 1]), rawData: new Uint8Array(new BigInt64Array([2n ** 62n, 1n]).buffer) }],
  nodes: [node('Shape', ['x'], ['s'], 'shape'), node('Mul', ['s', 'k'], ['t'], 'scale'), node('Reshape', ['x', 't'], ['y'], 'reshape')],
}));
regression({
  file: 'pad-huge-constant.onnx', found: "RangeError 'Invalid typed array length: 4294967297': Pad's type rule built the index map of a 2^32-wide axis",
  codes: ['XFC0041'], names: ["Pad node 'pad'", 'f32[1, 4294967297]'],
}, model({
  inputs: [vi('x', F32, [1, 3])], outputs: [vi('y', F32, null)],
  initializers: [ints('pads', [0, 2 ** 31 - 1, 0, 2 ** 31 - 1])],
  nodes: [node('Pad', ['x', 'pads'], ['y'], 'pad')],
}));
out.set('regressions/inputs/shape-minus-6.npy', encodeNpy(Tensor.fromNumbers('i64', [1], [-6])));
out.set('regressions/inputs/x-3.npy', encodeNpy(Tensor.fromNumbers('f32', [3], [1, 2, 3])));

// ---------------------------------------------------------------------------------------------------------
// Write (or check)

const manifest = { note: 'written by scripts/make_broken.ts; the corpus test (test/hardening/corpus.test.ts) runs every entry', cases, regressions };
out.set('manifest.json', new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));

const check = process.argv.includes('--check');
let changed = 0;
for (const [file, bytes] of out) {
  const target = path.join(ROOT, file);
  const same = fs.existsSync(target) && Buffer.compare(fs.readFileSync(target), Buffer.from(bytes)) === 0;
  if (same) continue;
  changed++;
  if (check) console.log(`would change: ${file}`);
  else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytes);
  }
}
console.log(`${out.size} files, ${changed} ${check ? 'out of date' : 'written'} (${ROOT})`);
if (check && changed > 0) process.exit(1);
