// `xfc inspect`: a plain description of an ONNX model (I/O, parameters, ops, unsupported ops, diagnostics).

import path from 'node:path';
import { CompileError, type Diagnostic } from '../diagnostics.js';
import { dtypeFromOnnx, dtypeInfo, onnxDataTypeName } from '../ir/dtype.js';
import { getOp } from '../ops/registry.js';
import '../ops/index.js';
import { checkedElementCount, resolveLimits } from '../limits.js';
import { type BytesImportOptions, type ImportOptions, importModel, normalizeDomain, readModelFile } from './import.js';
import { type ValueInfoProto, decodeModel, toNumber } from './proto.js';

export interface IoSummary {
  name: string;
  /** xfc's dtype name, or ONNX's name for types xfc lacks. */
  dtype: string;
  /** dim_value, dim_param, or '?' for an unnamed dimension; null when the rank is unknown. */
  shape: (number | string)[] | null;
}

export interface OnnxSummary {
  file: string;
  producer: string;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  inputs: IoSummary[];
  outputs: IoSummary[];
  parameters: { count: number; bytes: number; tensors: number; external: number };
  nodes: number;
  /** Op -> node count, most frequent first; ops of other domains written `domain::Op`. */
  ops: Record<string, number>;
  unsupported: { op: string; domain: string; nodes: string[] }[];
  /** What the importer reported (empty when the model imports). */
  diagnostics: Diagnostic[];
}

/** Describes a model even when it does not import; throws only when the file is not a readable ONNX model. */
export function summarizeOnnx(file: string, options: ImportOptions = {}): OnnxSummary {
  return summarizeOnnxBytes(readModelFile(file, options.limits), { ...options, fileName: file, baseDir: path.dirname(path.resolve(file)) });
}

/** The same for model bytes (`fileName` names them; `baseDir` is where external data is looked up). */
export function summarizeOnnxBytes(bytes: Uint8Array, options: BytesImportOptions = {}): OnnxSummary {
  const file = options.fileName ?? '<bytes>';
  const model = decodeModel(bytes, file, resolveLimits(options.limits));
  const g = model.graph!;
  const initializers = g.initializer ?? [];
  const initNames = new Set(initializers.map((t) => t.name ?? ''));

  const parameters = { count: 0, bytes: 0, tensors: initializers.length, external: 0 };
  for (const t of initializers) {
    // From the dims, so external weights are counted without being read (invalid dims count 0: the import says why).
    const count = checkedElementCount((t.dims ?? []).map(toNumber)) ?? 0;
    const dtype = dtypeFromOnnx(t.dataType ?? 0);
    parameters.count += count;
    parameters.bytes += dtype ? count * dtypeInfo(dtype).bytes : (t.rawData?.length ?? 0);
    if (t.dataLocation === 1) parameters.external++;
  }

  const ops = new Map<string, number>();
  const unsupported = new Map<string, { op: string; domain: string; nodes: string[] }>();
  (g.node ?? []).forEach((n, i) => {
    const op = n.opType ?? '';
    const domain = normalizeDomain(n.domain);
    const key = domain ? `${domain}::${op}` : op;
    ops.set(key, (ops.get(key) ?? 0) + 1);
    if ((op === 'Constant' && domain === '') || getOp(op, domain)) return;
    const entry = unsupported.get(key) ?? { op, domain: domain || 'ai.onnx', nodes: [] };
    entry.nodes.push(n.name || `${op}_${i}`);
    unsupported.set(key, entry);
  });

  let diagnostics: Diagnostic[] = [];
  try {
    importModel(model, { ...options, fileName: file });
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    diagnostics = e.diagnostics;
  }

  return {
    file,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    irVersion: toNumber(model.irVersion),
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: toNumber(o.version) })),
    inputs: (g.input ?? []).filter((vi) => !initNames.has(vi.name ?? '')).map(ioSummary),
    outputs: (g.output ?? []).map(ioSummary),
    parameters,
    nodes: g.node?.length ?? 0,
    ops: Object.fromEntries([...ops].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
    unsupported: [...unsupported.values()],
    diagnostics,
  };
}

function ioSummary(vi: ValueInfoProto): IoSummary {
  const tt = vi.type?.tensorType;
  const code = tt?.elemType ?? 0;
  const dtype = tt ? (dtypeFromOnnx(code) ?? onnxDataTypeName(code)) : 'non-tensor';
  const shape = tt?.shape
    ? (tt.shape.dim ?? []).map((d) => (d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : d.dimParam || '?'))
    : null;
  return { name: vi.name ?? '', dtype, shape };
}

/** Columns padded to their widest cell. */
function table(rows: string[][], indent = '  '): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let u = 0;
  let v = n;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The human form of a summary. */
export function formatSummary(s: OnnxSummary): string {
  const shape = (io: IoSummary): string => (io.shape ? `[${io.shape.join(', ')}]` : '(unknown rank)');
  const p = s.parameters;
  const lines = [
    `model ${s.file}`,
    ...table([
      ['producer', s.producer || '(unknown)'],
      ['ir_version', String(s.irVersion)],
      ['opsets', s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')],
      ['parameters', `${p.count.toLocaleString('en-US')} (${humanBytes(p.bytes)} in ${p.tensors} tensors${p.external ? `, ${p.external} external` : ''})`],
      ['nodes', String(s.nodes)],
    ]),
    '',
    `inputs (${s.inputs.length})`,
    ...table(s.inputs.map((io) => [io.name, io.dtype, shape(io)])),
    `outputs (${s.outputs.length})`,
    ...table(s.outputs.map((io) => [io.name, io.dtype, shape(io)])),
    '',
    `ops (${Object.keys(s.ops).length} kinds)`,
    ...table(Object.entries(s.ops).map(([op, n]) => [op, String(n).padStart(5)])),
  ];
  if (s.unsupported.length > 0) {
    lines.push('', `unsupported ops (${s.unsupported.length})`);
    lines.push(...table(s.unsupported.map((u) => [u.domain === 'ai.onnx' ? u.op : `${u.domain}::${u.op}`, u.nodes.map((n) => `'${n}'`).join(', ')])));
  }
  if (s.diagnostics.length > 0) {
    lines.push('', `diagnostics (${s.diagnostics.length})`);
    lines.push(...s.diagnostics.map((d) => `  ${d.toString()}`));
  } else {
    lines.push('', 'xfc can import this model');
  }
  return `${lines.join('\n')}\n`;
}
