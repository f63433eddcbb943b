// Seeded mutations of ONNX models: byte-level (bit flips, inserts, deletes, truncation) and field-level edits of
// the decoded protobuf (dims, dtypes, attributes, op types, input names, initializers, external data).
//
// A case is a pure function of (campaign seed, case index): any failure can be regenerated from its index.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onnx } from '../../compiler/onnx/proto.js';
import { allOps } from '../../compiler/ops/registry.js';
import '../../compiler/ops/index.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { FIXTURES, ZOO, fixtureCases, fixtureModels } from '../fixtures.js';
import { rng } from '../helpers.js';

type Model = InstanceType<typeof onnx.ModelProto>;
type Rand = () => number;

/** A committed model to mutate, with the inputs of its smallest fixture case. */
export interface FuzzSeed {
  name: string;
  bytes: Uint8Array;
  feeds: Record<string, Tensor>;
}

export interface FuzzCase {
  index: number;
  seed: string;
  mutations: string[];
  bytes: Uint8Array;
  /** Run on the seed's inputs as they are, or with extreme values (negative and huge indices, NaN, infinities). */
  feeds: 'as-is' | 'extreme';
}

const EXTREME_INTS = [-1, 0, 2 ** 31 - 1, -(2 ** 31), 1e12, -1e12, 7];
const EXTREME_FLOATS = [Number.NaN, Infinity, -Infinity, 0, -0, 3e38, -1];

/** The seed's inputs with every element replaced by an extreme value of its kind (deterministic). */
export function extremeFeeds(feeds: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const pool = t.dtype === 'f32' || t.dtype === 'f64' || t.dtype === 'f16' ? EXTREME_FLOATS : EXTREME_INTS;
    out[name] = Tensor.fromNumbers(t.dtype, t.shape, Array.from({ length: t.size }, (_, i) => pool[i % pool.length]!));
  }
  return out;
}

/** Every committed fixture model (fixtures/models and fixtures/zoo/models), in a fixed order. */
export function loadSeeds(): FuzzSeed[] {
  const seeds: FuzzSeed[] = [];
  for (const root of [FIXTURES, ZOO]) {
    if (!fs.existsSync(path.join(root, 'models'))) continue;
    for (const m of fixtureModels(root)) {
      const cases = fixtureCases(m.model, root);
      const size = (c: (typeof cases)[number]) => Object.values(c.tensors).reduce((a, t) => a + t.size, 0);
      const smallest = cases.reduce((a, b) => (size(b) < size(a) ? b : a));
      seeds.push({ name: `${m.model}-opset${m.opset}`, bytes: fs.readFileSync(m.file), feeds: smallest.tensors });
    }
  }
  return seeds;
}

// ---------------------------------------------------------------------------------------------------------
// Random choices

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, n: number): number => Math.floor(r() * n);

/** 64-bit values that break size arithmetic: negative, 2^31, 2^32, beyond 2^53, INT64_MAX. */
const INTERESTING_INTS: readonly (number | { low: number; high: number })[] = [
  -1, 0, 1, 2, 3, 7, 255, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53 + 2, -(2 ** 31),
  { low: -1, high: 0x7fffffff }, { low: 0, high: -0x80000000 }, { low: 0, high: 0x00100000 },
];
const INTERESTING_FLOATS = [Number.NaN, Infinity, -Infinity, 0, -0, 1e38, -1, 0.5];
const OP_NAMES = [...new Set(allOps().map((d) => d.name)), 'Loop', 'If', 'Scan', 'NonZero', 'Foo', ''];
const EXTERNAL_LOCATIONS = [
  'weights.bin', '../weights.bin', '/etc/hostname', 'link-out', 'dev-zero', 'fifo', 'subdir', 'missing.bin',
  'sub/../weights.bin', 'a\0b', '', 'weights.bin/x',
];
const EXTERNAL_COUNTS = ['0', '4', '8', '16', '-1', 'abc', '0x10', '1e3', '', '99999999999999999999', '4294967296'];

/**
 * Files the external-data mutations point at, in the folder given as the model's: a small regular file, a
 * symlink out of the folder, a symlink to a device, a FIFO and a folder.
 */
export function prepareExternalDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(64).map((_, i) => i));
  const link = (target: string, name: string) => {
    try {
      fs.symlinkSync(target, path.join(dir, name));
    } catch { /* exists already */ }
  };
  link('/etc/hostname', 'link-out');
  link('/dev/zero', 'dev-zero');
  fs.mkdirSync(path.join(dir, 'subdir'), { recursive: true });
  // mkfifo is not in node's fs; without the tool the case finds a missing file, which is fine too.
  if (!fs.existsSync(path.join(dir, 'fifo'))) spawnSync('mkfifo', [path.join(dir, 'fifo')]);
}

// ---------------------------------------------------------------------------------------------------------
// Byte-level mutations

function byteMutation(r: Rand, bytes: Uint8Array, other: Uint8Array): [Uint8Array, string] {
  const n = bytes.length;
  const at = int(r, Math.max(1, n));
  switch (int(r, 7)) {
    case 0: {
      const out = new Uint8Array(bytes);
      const flips = 1 + int(r, 8);
      for (let k = 0; k < flips; k++) out[int(r, n)] ^= 1 << int(r, 8);
      return [out, `flip ${flips} bits`];
    }
    case 1: {
      const out = new Uint8Array(bytes);
      const v = pick(r, [0x00, 0xff, 0x7f, 0x80, 0x01, int(r, 256)]);
      out[at] = v;
      return [out, `set byte ${at} to ${v}`];
    }
    case 2: {
      const len = 1 + int(r, 16);
      const ins = Uint8Array.from({ length: len }, () => pick(r, [0x00, 0xff, 0x80, int(r, 256)]));
      return [concat(bytes.subarray(0, at), ins, bytes.subarray(at)), `insert ${len} bytes at ${at}`];
    }
    case 3: {
      const len = 1 + int(r, Math.min(64, n - at));
      return [concat(bytes.subarray(0, at), bytes.subarray(at + len)), `delete ${len} bytes at ${at}`];
    }
    case 4:
      return [bytes.slice(0, at), `truncate to ${at} bytes`];
    case 5: {
      const len = 1 + int(r, Math.min(256, n - at));
      const to = int(r, n);
      return [concat(bytes.subarray(0, to), bytes.subarray(at, at + len), bytes.subarray(to)), `copy ${len} bytes from ${at} to ${to}`];
    }
    default: {
      const from = int(r, Math.max(1, other.length));
      const len = 1 + int(r, Math.min(512, Math.max(1, other.length - from)));
      return [concat(bytes.subarray(0, at), other.subarray(from, from + len), bytes.subarray(at + len)), `splice ${len} bytes of another model at ${at}`];
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Field-level mutations of the decoded ModelProto

type FieldMutation = (r: Rand, m: Model) => string | undefined;

const graphOf = (m: Model) => m.graph!;

function someNode(r: Rand, m: Model) {
  const nodes = graphOf(m).node ?? [];
  return nodes.length ? { node: nodes[int(r, nodes.length)]!, nodes } : undefined;
}

function someInitializer(r: Rand, m: Model) {
  const list = graphOf(m).initializer ?? [];
  return list.length ? list[int(r, list.length)]! : undefined;
}

/** Every tensor-typed ValueInfo dim list of the graph (inputs, outputs, value_info). */
function someDims(r: Rand, m: Model) {
  const g = graphOf(m);
  const vis = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])];
  const vi = vis.length ? vis[int(r, vis.length)]! : undefined;
  return vi?.type?.tensorType ? { vi, tt: vi.type.tensorType } : undefined;
}

const FIELD_MUTATIONS: Record<string, FieldMutation> = {
  initializerDims(r, m) {
    const t = someInitializer(r, m);
    if (!t) return undefined;
    const dims = [...(t.dims ?? [])];
    const k = int(r, dims.length + 1);
    const v = pick(r, INTERESTING_INTS);
    if (r() < 0.2) dims.push(v as number);
    else if (r() < 0.2 && dims.length) dims.pop();
    else dims[Math.min(k, Math.max(0, dims.length - 1))] = v as number;
    t.dims = dims;
    return `initializer '${t.name}' dims -> [${dims.map((d) => JSON.stringify(d)).join(', ')}]`;
  },
  initializerDtype(r, m) {
    const t = someInitializer(r, m);
    if (!t) return undefined;
    t.dataType = int(r, 24);
    return `initializer '${t.name}' data_type -> ${t.dataType}`;
  },
  initializerData(r, m) {
    const t = someInitializer(r, m);
    if (!t) return undefined;
    const raw = t.rawData ?? new Uint8Array();
    switch (int(r, 4)) {
      case 0: t.rawData = raw.subarray(0, int(r, raw.length + 1)); return `initializer '${t.name}' raw_data cut to ${t.rawData.length} bytes`;
      case 1: t.rawData = concat(raw, new Uint8Array(1 + int(r, 9))); return `initializer '${t.name}' raw_data extended`;
      case 2: t.rawData = new Uint8Array(); t.floatData = Array.from({ length: int(r, 5) }, () => pick(r, INTERESTING_FLOATS)); return `initializer '${t.name}' float_data instead of raw_data`;
      default: t.rawData = new Uint8Array(); t.int64Data = [pick(r, INTERESTING_INTS) as number]; return `initializer '${t.name}' int64_data instead of raw_data`;
    }
  },
  initializerDrop(r, m) {
    const list = graphOf(m).initializer ?? [];
    if (!list.length) return undefined;
    const [t] = list.splice(int(r, list.length), 1);
    return `drop initializer '${t!.name}'`;
  },
  initializerDuplicate(r, m) {
    const t = someInitializer(r, m);
    if (!t) return undefined;
    graphOf(m).initializer!.push(onnx.TensorProto.decode(onnx.TensorProto.encode(t).finish()));
    return `duplicate initializer '${t.name}'`;
  },
  externalData(r, m) {
    const t = someInitializer(r, m);
    if (!t) return undefined;
    const entries = [{ key: 'location', value: pick(r, EXTERNAL_LOCATIONS) }];
    if (r() < 0.6) entries.push({ key: 'offset', value: pick(r, EXTERNAL_COUNTS) });
    if (r() < 0.6) entries.push({ key: 'length', value: pick(r, EXTERNAL_COUNTS) });
    t.dataLocation = r() < 0.9 ? 1 : int(r, 4);
    t.externalData = entries.map((e) => onnx.StringStringEntryProto.create(e));
    t.rawData = new Uint8Array();
    return `initializer '${t.name}' external data ${JSON.stringify(entries)}`;
  },
  valueInfoDims(r, m) {
    const d = someDims(r, m);
    if (!d) return undefined;
    if (r() < 0.1) {
      d.tt.shape = null;
      return `value '${d.vi.name}' shape removed`;
    }
    const dims = d.tt.shape?.dim ?? [];
    if (r() < 0.15) {
      dims.push(onnx.TensorShapeProto.Dimension.create({ dimValue: pick(r, INTERESTING_INTS) as number }));
    } else if (dims.length) {
      const dim = dims[int(r, dims.length)]!;
      if (r() < 0.7) {
        dim.dimParam = '';
        dim.dimValue = pick(r, INTERESTING_INTS) as number;
      } else {
        dim.dimValue = null;
        dim.dimParam = pick(r, ['batch', 'seq', '', '1x', 'a b', 'N']);
      }
    }
    if (d.tt.shape) d.tt.shape.dim = dims;
    return `value '${d.vi.name}' dims changed`;
  },
  valueInfoDtype(r, m) {
    const d = someDims(r, m);
    if (!d) return undefined;
    d.tt.elemType = int(r, 24);
    return `value '${d.vi.name}' elem_type -> ${d.tt.elemType}`;
  },
  graphInputs(r, m) {
    const g = graphOf(m);
    const list = g.input ?? [];
    if (!list.length) return undefined;
    const k = int(r, list.length);
    if (r() < 0.5) {
      const [vi] = list.splice(k, 1);
      return `drop graph input '${vi!.name}'`;
    }
    list.push(onnx.ValueInfoProto.decode(onnx.ValueInfoProto.encode(list[k]!).finish()));
    return `duplicate graph input '${list[k]!.name}'`;
  },
  graphOutputs(r, m) {
    const list = graphOf(m).output ?? [];
    if (!list.length) return undefined;
    const vi = list[int(r, list.length)]!;
    vi.name = pick(r, ['nope', '', vi.name + '_x', (graphOf(m).input ?? [])[0]?.name ?? 'x']);
    return `graph output renamed to '${vi.name}'`;
  },
  nodeOpType(r, m) {
    const s = someNode(r, m);
    if (!s) return undefined;
    const before = s.node.opType;
    if (r() < 0.2) s.node.domain = pick(r, ['com.microsoft', 'ai.onnx.ml', 'xfc', 'bogus']);
    else s.node.opType = pick(r, OP_NAMES);
    return `node '${s.node.name}' ${before} -> ${s.node.domain || ''}${s.node.domain ? '::' : ''}${s.node.opType}`;
  },
  nodeInput(r, m) {
    const s = someNode(r, m);
    if (!s || !(s.node.input ?? []).length) return undefined;
    const inputs = s.node.input!;
    const k = int(r, inputs.length);
    const later = s.nodes[int(r, s.nodes.length)]!.output?.[0] ?? 'x';
    const values = [...(graphOf(m).initializer ?? []).map((t) => t.name ?? ''), ...(graphOf(m).input ?? []).map((v) => v.name ?? '')];
    const choice = pick(r, ['undefined', 'later', 'self', 'absent', 'other', 'drop', 'extra']);
    switch (choice) {
      case 'undefined': inputs[k] = 'no_such_value'; break;
      case 'later': inputs[k] = later; break;
      case 'self': inputs[k] = s.node.output?.[0] ?? 'x'; break;
      case 'absent': inputs[k] = ''; break;
      case 'other': inputs[k] = values.length ? pick(r, values) : 'x'; break;
      case 'drop': inputs.splice(k, 1); break;
      default: inputs.push(values.length ? pick(r, values) : later);
    }
    return `node '${s.node.name}' input ${k} (${choice})`;
  },
  nodeOutput(r, m) {
    const s = someNode(r, m);
    if (!s || !(s.node.output ?? []).length) return undefined;
    const other = s.nodes[int(r, s.nodes.length)]!;
    const choice = pick(r, ['duplicate', 'empty', 'input', 'extra']);
    if (choice === 'duplicate') s.node.output![0] = other.output?.[0] ?? 'x';
    else if (choice === 'empty') s.node.output![0] = '';
    else if (choice === 'input') s.node.output![0] = (graphOf(m).input ?? [])[0]?.name ?? 'x';
    else s.node.output!.push(`extra_${int(r, 5)}`);
    return `node '${s.node.name}' output (${choice})`;
  },
  nodeAttribute(r, m) {
    const s = someNode(r, m);
    if (!s) return undefined;
    const attrs = s.node.attribute ?? [];
    const T = onnx.AttributeProto.AttributeType;
    if (!attrs.length || r() < 0.2) {
      const name = pick(r, ['axis', 'axes', 'perm', 'to', 'value', 'equation', 'epsilon', 'bogus', 'keepdims', 'mode']);
      const a = onnx.AttributeProto.create({ name, type: pick(r, [T.INT, T.INTS, T.FLOAT, T.STRING, T.TENSOR, T.GRAPH]) });
      a.i = pick(r, INTERESTING_INTS) as number;
      a.ints = [pick(r, INTERESTING_INTS) as number, int(r, 4)];
      a.f = pick(r, INTERESTING_FLOATS);
      a.s = new TextEncoder().encode(pick(r, ['', 'ij,jk->ik', 'NOTSET', 'x']));
      if (a.type === T.TENSOR) a.t = onnx.TensorProto.create({ dims: [pick(r, INTERESTING_INTS) as number], dataType: 1 + int(r, 16) });
      if (a.type === T.GRAPH) a.g = onnx.GraphProto.create({ name: 'sub' });
      attrs.push(a);
      s.node.attribute = attrs;
      return `node '${s.node.name}' new attribute '${name}' of type ${a.type}`;
    }
    const a = attrs[int(r, attrs.length)]!;
    switch (int(r, 7)) {
      case 0: a.type = int(r, 15); return `node '${s.node.name}' attribute '${a.name}' type -> ${a.type}`;
      case 1: a.i = pick(r, INTERESTING_INTS) as number; return `node '${s.node.name}' attribute '${a.name}' i changed`;
      case 2: a.f = pick(r, INTERESTING_FLOATS); return `node '${s.node.name}' attribute '${a.name}' f changed`;
      case 3: {
        const ints = [...(a.ints ?? [])];
        if (ints.length && r() < 0.7) ints[int(r, ints.length)] = pick(r, INTERESTING_INTS) as number;
        else ints.push(pick(r, INTERESTING_INTS) as number);
        a.ints = ints;
        return `node '${s.node.name}' attribute '${a.name}' ints changed`;
      }
      case 4:
        if (a.t) {
          a.t.dims = [...(a.t.dims ?? []), pick(r, INTERESTING_INTS) as number].slice(-1 - int(r, 3));
          return `node '${s.node.name}' attribute '${a.name}' tensor dims changed`;
        }
        a.s = new TextEncoder().encode(pick(r, ['', 'i,i->', 'ii->i', '...', 'SAME_UPPER', 'bogus']));
        return `node '${s.node.name}' attribute '${a.name}' s changed`;
      case 5: attrs.splice(attrs.indexOf(a), 1); return `node '${s.node.name}' attribute '${a.name}' dropped`;
      default: a.name = pick(r, ['axis', 'bogus', '', a.name + 'x']); return `node '${s.node.name}' attribute renamed '${a.name}'`;
    }
  },
  nodeStructure(r, m) {
    const g = graphOf(m);
    const nodes = g.node ?? [];
    if (!nodes.length) return undefined;
    const k = int(r, nodes.length);
    switch (int(r, 3)) {
      case 0: nodes.splice(k, 1); return `drop node ${k}`;
      case 1: nodes.push(onnx.NodeProto.decode(onnx.NodeProto.encode(nodes[k]!).finish())); return `duplicate node ${k}`;
      default: {
        const j = int(r, nodes.length);
        [nodes[k], nodes[j]] = [nodes[j]!, nodes[k]!];
        return `swap nodes ${k} and ${j}`;
      }
    }
  },
  constantValues(r, m) {
    // Small integer tensors are shapes, axes, indices and repeats: odd values there stress the type rules.
    const g = graphOf(m);
    const tensors = [
      ...(g.initializer ?? []),
      ...(g.node ?? []).flatMap((n) => (n.attribute ?? []).map((a) => a.t).filter((t): t is NonNullable<typeof t> => !!t)),
    ].filter((t) => (t.dataType === 7 || t.dataType === 6) && (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1) <= 16);
    if (!tensors.length) return undefined;
    const t = tensors[int(r, tensors.length)]!;
    const v = pick(r, [-1, 0, 1, 2, -2, 3, 64, 1000, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), 2 ** 62]);
    const width = t.dataType === 7 ? 8 : 4;
    if (t.rawData && t.rawData.length >= width) {
      const raw = new Uint8Array(t.rawData);
      const k = int(r, Math.floor(raw.length / width));
      const view = new DataView(raw.buffer);
      if (width === 8) view.setBigInt64(k * width, BigInt(v), true);
      else view.setInt32(k * width, v, true);
      t.rawData = raw;
    } else if (t.int64Data?.length) t.int64Data[int(r, t.int64Data.length)] = v;
    else if (t.int32Data?.length) t.int32Data[int(r, t.int32Data.length)] = v | 0;
    else return undefined;
    return `tensor '${t.name}' element -> ${v}`;
  },
  opset(r, m) {
    const o = (m.opsetImport ?? [])[0];
    if (!o) return undefined;
    o.version = pick(r, [1, 6, 7, 11, 12, 13, 18, 21, 22, 2 ** 40]);
    return `opset -> ${o.version}`;
  },
  nestedGraphs(r, m) {
    // A subgraph attribute nested `depth` levels deep (the importer refuses graphs; the decoder must survive).
    const depth = pick(r, [2, 20, 200, 2000]);
    let g = onnx.GraphProto.create({ name: 'leaf' });
    for (let i = 0; i < depth; i++) {
      const n = onnx.NodeProto.create({ opType: 'If', attribute: [onnx.AttributeProto.create({ name: 'then_branch', type: 5, g })] });
      g = onnx.GraphProto.create({ name: `g${i}`, node: [n] });
    }
    graphOf(m).node!.push(onnx.NodeProto.create({ opType: 'If', name: 'nested', input: [], output: ['nested_out'], attribute: [onnx.AttributeProto.create({ name: 'then_branch', type: 5, g })] }));
    return `subgraph attribute nested ${depth} deep`;
  },
};

const FIELD_NAMES = Object.keys(FIELD_MUTATIONS);

/** The bytes and description of case `index` of a campaign. */
export function generateCase(seeds: readonly FuzzSeed[], campaignSeed: number, index: number): FuzzCase {
  const r = rng((campaignSeed * 1_000_003 + index * 7919) >>> 0);
  const seed = seeds[int(r, seeds.length)]!;
  const other = seeds[int(r, seeds.length)]!;
  const mutations: string[] = [];
  let bytes = seed.bytes;
  const count = 1 + int(r, 3);
  const mild = r() < 0.3;
  if (mild) {
    // One gentle edit that usually keeps the model importable, so that type rules and the interpreter run.
    const m = onnx.ModelProto.decode(bytes);
    const what = FIELD_MUTATIONS[pick(r, ['constantValues', 'constantValues', 'nodeAttribute', 'valueInfoDims'])]!(r, m);
    if (what) mutations.push(what);
    bytes = onnx.ModelProto.encode(m).finish();
  } else if (r() < 0.55) {
    // Field-level first (on the decoded model), then maybe one byte-level mutation on top.
    const m = onnx.ModelProto.decode(bytes);
    for (let k = 0; k < count; k++) {
      const name = pick(r, FIELD_NAMES);
      const what = FIELD_MUTATIONS[name]!(r, m);
      if (what) mutations.push(what);
    }
    bytes = onnx.ModelProto.encode(m).finish();
    if (r() < 0.15) {
      const [b, what] = byteMutation(r, bytes, other.bytes);
      bytes = b;
      mutations.push(what);
    }
  } else {
    for (let k = 0; k < count; k++) {
      const [b, what] = byteMutation(r, bytes, other.bytes);
      bytes = b;
      mutations.push(what);
    }
  }
  const feeds = r() < 0.2 ? 'extreme' : 'as-is';
  if (feeds === 'extreme') mutations.push('extreme input values');
  return { index, seed: seed.name, mutations, bytes, feeds };
}
