// The IR's text form, printing side: graphs, types, attributes and constant data as MLIR-like text that parse.ts reads back.
//
//   opsets {"" = 17}
//   graph bert(%input_ids: i64[batch, seq]) {
//     %w = const f32[2, 3] [0.5, -1, 2.25, 3, 4, 5]
//     %big = const f32[64, 64] dense<hex:0000803f...>     (little-endian bytes; `dense<elided>` when elided)
//     %1: f32[batch, seq, 3] = MatMul(%x, %w) @"/encoder/MatMul"
//     %2: f32[batch, 3] = Gemm(%a, _, %c) {alpha = 0.5, transB = 1} @"Gemm_0"    (`_` = absent operand)
//     return %1, %2
//   }
//
// Names that are not bare ([A-Za-z0-9_.]+) are JSON-quoted: %"onnx::MatMul_12". Attributes equal to the op's
// declared default are left out. Numbers print exactly: float attributes are f64 values (`1.0`, `1e-7`; an f32
// value whose shortest f32 form is shorter is written `0.1f`, meaning the f32 nearest 0.1); integer attributes
// never carry a `.`. Constant data prints the shortest text that converts back to the same element (f32, f16,
// bf16 by their own rounding), i64/u64 exactly, bool as true/false, and NaN/Inf as nan/inf/-inf.

import { type Dim, canonicalDim } from './dim.js';
import type { DType } from './dtype.js';
import { bf16BitsToNumber, f16BitsToNumber, numberToBf16Bits, numberToF16Bits } from '../../runtime/half.js';
import { type AttrValue, type Graph, type Node, type TensorType, type Value, isLazy } from './graph.js';
import { Tensor } from './tensor.js';
import { type AttrKind, getOp } from '../ops/registry.js';

export interface PrintOptions {
  /** Constants with more elements than this print as `dense<elided>` (the text then does not round-trip). */
  elideLargeConstants?: number;
  /** Constants with more elements than this print as hex bytes instead of a list of numbers (default 64). */
  hexAbove?: number;
}

/** Names that print without quotes (value names, graph names). */
export const BARE_NAME = /^[A-Za-z0-9_.]+$/;

export function quoteName(name: string): string {
  return BARE_NAME.test(name) ? name : JSON.stringify(name);
}

export function valueRef(v: Value): string {
  return `%${quoteName(v.name)}`;
}

function dimText(d: Dim): string {
  try {
    return String(canonicalDim(d));
  } catch {
    return String(d);
  }
}

/** "f32[batch, seq, 3]"; a scalar is "f32[]". */
export function typeToString(t: TensorType): string {
  return `${t.dtype}[${t.shape.map(dimText).join(', ')}]`;
}

/** The shortest decimal text y such that `same(Number(y))`; nan/inf/-inf/-0 spelled out. */
function shortest(x: number, same: (y: number) => boolean): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  for (let p = 1; p < 17; p++) {
    const y = Number(x.toPrecision(p));
    if (same(y)) return String(y);
  }
  return String(x);
}

export function formatF64(x: number): string {
  return shortest(x, (y) => y === x);
}

export function formatF32(x: number): string {
  return shortest(x, (y) => Math.fround(y) === x);
}

function formatInt(x: number): string {
  if (!Number.isInteger(x)) return formatFloatAttr(x);
  return Number.isSafeInteger(x) ? String(x) : BigInt(x).toString();
}

/** A float attribute: exact f64 text, always marked as a float (`1.0`), or `<f32 text>f` when that is shorter. */
export function formatFloatAttr(x: number): string {
  let s = formatF64(x);
  if (Number.isFinite(x) && Math.fround(x) === x) {
    const f = formatF32(x);
    if (f.length < s.length) s = `${f}f`;
  }
  return /[.eEfn]/.test(s) ? s : `${s}.0`;
}

/** Element i of a tensor as text that parse.ts converts back to the same stored element. */
function formatElement(dtype: DType, data: Tensor['data'], i: number): string {
  const v = data[i]!;
  switch (dtype) {
    case 'f32': return formatF32(v as number);
    case 'f64': return formatF64(v as number);
    case 'f16': return shortest(f16BitsToNumber(v as number), (y) => numberToF16Bits(y) === v);
    case 'bf16': return shortest(bf16BitsToNumber(v as number), (y) => numberToBf16Bits(y) === v);
    case 'bool': return v ? 'true' : 'false';
    default: return String(v);
  }
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** The data part of a constant: `[1, 2, 3]`, `dense<hex:...>` or `dense<elided>`. */
export function formatData(t: Tensor, options: PrintOptions = {}): string {
  if (options.elideLargeConstants !== undefined && t.size > options.elideLargeConstants) return 'dense<elided>';
  if (t.size > (options.hexAbove ?? 64)) return `dense<hex:${hex(t.bytes())}>`;
  const parts: string[] = [];
  for (let i = 0; i < t.size; i++) parts.push(formatElement(t.dtype, t.data, i));
  return `[${parts.join(', ')}]`;
}

export function formatTensorAttr(t: Tensor, options: PrintOptions = {}): string {
  return `tensor<${typeToString(t)} ${formatData(t, options)}>`;
}

/** An attribute value; `kind` (from the op's schema) decides how numbers are marked. */
export function formatAttr(v: AttrValue, kind: AttrKind | undefined, options: PrintOptions = {}): string {
  const num = (x: number, float: boolean): string => (float ? formatFloatAttr(x) : formatInt(x));
  if (v instanceof Tensor) return formatTensorAttr(v, options);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return num(v, kind ? kind === 'float' : !Number.isInteger(v));
  const list = v as (number | string)[];
  const float = kind ? kind === 'floats' : !list.every((x) => typeof x !== 'number' || Number.isInteger(x));
  return `[${list.map((x) => (typeof x === 'string' ? JSON.stringify(x) : num(x, float))).join(', ')}]`;
}

function sameAttr(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  return Object.is(a, b);
}

/** `{axis = -1, split = [1, 2]}` with defaults left out, in the schema's order; '' when there is nothing to print. */
function formatAttrs(node: Node, options: PrintOptions): string {
  const schema = getOp(node.op)?.attrs ?? {};
  const names = Object.keys(node.attrs).filter((k) => node.attrs[k] !== undefined);
  const order = Object.keys(schema);
  names.sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    if (ia >= 0 || ib >= 0) return ia < 0 ? 1 : ib < 0 ? -1 : ia - ib;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const parts: string[] = [];
  for (const k of names) {
    const spec = schema[k];
    const v = node.attrs[k]!;
    if (spec?.default !== undefined && sameAttr(v, spec.default)) continue;
    parts.push(`${quoteName(k)} = ${formatAttr(v, spec?.kind, options)}`);
  }
  return parts.length ? ` {${parts.join(', ')}}` : '';
}

export function printNode(node: Node, options: PrintOptions = {}): string {
  const results = node.outputs.map((v) => `${valueRef(v)}: ${typeToString(v.type)}`).join(', ');
  const operands = node.inputs.map((v) => (v ? valueRef(v) : '_')).join(', ');
  return `${results} = ${node.op}(${operands})${formatAttrs(node, options)} @${JSON.stringify(node.name)}`;
}

function printConstant(v: Value, options: PrintOptions): string {
  const c = v.constant!;
  const elided = options.elideLargeConstants !== undefined && c.shape.reduce((a, b) => a * b, 1) > options.elideLargeConstants;
  const data = elided ? 'dense<elided>' : formatData(isLazy(c) ? c.load() : c, options);
  return `${valueRef(v)} = const ${typeToString(c)} ${data}`;
}

/** The whole graph as text (see the header of this file for the syntax). */
export function printGraph(graph: Graph, options: PrintOptions = {}): string {
  const lines: string[] = [];
  if (graph.opsets.length > 0) {
    lines.push(`opsets {${graph.opsets.map((o) => `${JSON.stringify(o.domain)} = ${o.version}`).join(', ')}}`);
  }
  const params = graph.inputs.map((v) => `${valueRef(v)}: ${typeToString(v.type)}`).join(', ');
  lines.push(`graph ${quoteName(graph.name)}(${params}) {`);
  for (const c of graph.constants) lines.push(`  ${printConstant(c, options)}`);
  for (const n of graph.nodes) lines.push(`  ${printNode(n, options)}`);
  lines.push(`  return${graph.outputs.length ? ' ' : ''}${graph.outputs.map(valueRef).join(', ')}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
