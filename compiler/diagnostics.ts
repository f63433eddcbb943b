// Every user-facing error of the compiler, in one table with stable codes; errors carry all problems at once.

import type { NodeRef } from './ops/registry.js';

type Args = Record<string, string | number>;

interface Message {
  readonly code: string;
  readonly text: string;
}

/**
 * The message table. `{name}` placeholders are filled from the arguments. Tests assert exact texts; change a
 * text only together with its tests, and never reuse a code.
 */
export const messages = {
  fileNotFound: { code: 'XFC0001', text: "cannot read '{file}': {reason}" },
  emptyFile: { code: 'XFC0002', text: "'{file}' is empty: not an ONNX model" },
  notProtobuf: { code: 'XFC0003', text: "'{file}' is not an ONNX model: the protobuf could not be decoded ({reason})" },
  truncatedFile: { code: 'XFC0004', text: "'{file}' is truncated: the protobuf ends in the middle of a field ({reason})" },
  noGraph: { code: 'XFC0005', text: "'{file}' has no graph: not an ONNX model" },
  externalMissing: { code: 'XFC0010', text: "tensor '{tensor}': external data file '{location}' not found (looked for {path})" },
  externalOutside: { code: 'XFC0011', text: "tensor '{tensor}': external data location '{location}' is outside the model's folder; refusing to read it" },
  externalRange: { code: 'XFC0012', text: "tensor '{tensor}': external data '{location}' holds {size} bytes, but offset {offset} + length {length} goes past its end" },
  externalNotFile: { code: 'XFC0013', text: "tensor '{tensor}': external data location '{location}' is not a regular file" },
  externalNoBase: { code: 'XFC0014', text: "tensor '{tensor}': external data needs the model's folder, but the model was given as bytes" },
  tensorSize: { code: 'XFC0020', text: "tensor '{tensor}': {type} needs {expected}, but its {field} holds {actual}" },
  tensorDtype: { code: 'XFC0021', text: "tensor '{tensor}': data type {dtype} is not supported" },
  tensorDims: { code: 'XFC0022', text: "tensor '{tensor}': invalid dimensions {dims}" },
  unsupportedOp: { code: 'XFC0030', text: "{op} node '{node}': op '{op}' of domain '{domain}' (opset {version}) is not supported" },
  undefinedInput: { code: 'XFC0031', text: "{op} node '{node}': input '{value}' is not produced by any node, initializer or graph input" },
  cycle: { code: 'XFC0032', text: 'the graph has a cycle through {nodes}' },
  shapeError: { code: 'XFC0033', text: "{op} node '{node}': {detail}" },
  attrError: { code: 'XFC0034', text: "{op} node '{node}': {detail}" },
  duplicateName: { code: 'XFC0035', text: "value '{value}' is defined more than once ({where})" },
  unsupportedOpset: { code: 'XFC0036', text: "opset {version} of domain '{domain}' is not supported (xfc supports {supported})" },
  outputConflict: { code: 'XFC0037', text: "graph output '{value}': the model declares {declared}, but xfc infers {inferred}" },
  arityError: { code: 'XFC0038', text: "{op} node '{node}': {detail}" },
  missingOutput: { code: 'XFC0039', text: "graph output '{value}' is not produced by any node, initializer or graph input" },
  inputType: { code: 'XFC0040', text: "graph input '{value}': {detail}" },
  runInput: { code: 'XFC0050', text: "input '{input}': {detail}" },
  npyError: { code: 'XFC0051', text: "'{file}': {detail}" },
  evalError: { code: 'XFC0060', text: "{op} node '{node}': {detail}" },
  irParse: { code: 'XFC0090', text: 'IR text {line}:{column}: {detail}' },
  useBeforeDef: { code: 'XFC0091', text: "{op} node '{node}': operand '{value}' is used before the node that computes it ({producer})" },
  typeMismatch: { code: 'XFC0092', text: "{op} node '{node}': result '{value}' is stored as {stored}, but the type rule infers {inferred}" },
  irInvariant: { code: 'XFC0093', text: '{detail}' },
  unknownPass: { code: 'XFC0200', text: "unknown pass '{pass}' (known passes: {known})" },
  passFailed: { code: 'XFC0201', text: "pass '{pass}' failed: {detail} (reproducer: {reproducer})" },
  passBrokeGraph: { code: 'XFC0202', text: "pass '{pass}' left an invalid graph ({count} problems, listed below) (reproducer: {reproducer})" },
  patternNoConvergence: { code: 'XFC0203', text: 'pattern rewriting did not converge after {iterations} iterations; still firing: {patterns}' },
  lowerDynamicShape: { code: 'XFC0100', text: "{op} node '{node}': result '{value}' has shape {shape}; '{symbol}' is not a dimension of a graph input, so its size would depend on data (backends need every size from the input shapes)" },
  missingKernel: { code: 'XFC0101', text: "{op} node '{node}': the {backend} backend has no kernel for op '{op}'" },
  kernelUnsupported: { code: 'XFC0102', text: "{op} node '{node}': the {backend} backend cannot compile this node: {detail}" },
  backendInternal: { code: 'XFC0103', text: 'internal error in the {backend} backend: {detail}' },
  // Hardening: limits and checks on models from elsewhere (compiler/limits.ts).
  notRegularFile: { code: 'XFC0006', text: "'{file}' is not a regular file ({kind}); refusing to read it" },
  modelTooLarge: { code: 'XFC0007', text: "'{file}' is {size}, more than the limit of {limit} for a model file" },
  nestingTooDeep: { code: 'XFC0008', text: "'{file}': protobuf messages nest deeper than {limit} levels ({where}); refusing to decode it" },
  decodeTooLarge: { code: 'XFC0009', text: "'{file}': decoding its {what} would take about {estimate} of memory, more than the limit of {limit}" },
  tooManyNodes: { code: 'XFC0015', text: "'{file}' has more than {limit} nodes, the limit" },
  externalEntry: { code: 'XFC0016', text: "tensor '{tensor}': external data entry '{key}' is '{value}', not a byte count" },
  tensorTooLarge: { code: 'XFC0023', text: "tensor '{tensor}': {type} takes {bytes}, more than the limit of {limit}" },
  tensorRank: { code: 'XFC0024', text: "tensor '{tensor}': rank {rank} is more than the limit of {limit}" },
  initializersTooLarge: { code: 'XFC0025', text: 'the initializers take {bytes} together, more than the limit of {limit}' },
  resultTooLarge: { code: 'XFC0041', text: "{op} node '{node}': result '{value}' {type} {detail}" },
  runResultTooLarge: { code: 'XFC0061', text: "{op} node '{node}': result '{value}' of shape {shape} has {elements} elements, more than the limit of {limit}" },
  // Resources: wasm linear memory at the declared symbol maxima (backends/resources.ts).
  memoryWeightsTooLarge: { code: 'XFC0110', text: 'the weights and run table need {needed} of wasm memory, more than the {limit} a wasm32 module can address' },
  memoryNoFit: { code: 'XFC0111', text: 'the model needs {needed} of wasm memory even at the smallest shape ({shape}: {parts}), more than the {limit} a wasm32 module can address' },
  memoryMaxShape: { code: 'XFC0112', text: 'at --max-shape {flags} the model needs {needed} of wasm memory ({shape}: {parts}), more than the {limit} a wasm32 module can address; lower --max-shape' },
} as const satisfies Record<string, Message>;

export type MessageId = keyof typeof messages;

/** Longest argument text a message carries (names from hostile models can be megabytes long). */
const MAX_ARG_CHARS = 1000;

/**
 * An argument as it goes into a one-line message: control characters (newlines in a node name read from a
 * model) escaped as in JSON, and very long texts cut.
 */
function oneLine(text: string): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_ARG_CHARS ? `${escaped.slice(0, MAX_ARG_CHARS)}... (${escaped.length} characters)` : escaped;
}

export class Diagnostic {
  readonly code: string;
  readonly id: MessageId;
  readonly message: string;

  constructor(id: MessageId, args: Args) {
    const m = messages[id];
    this.id = id;
    this.code = m.code;
    this.message = m.text.replace(/\{(\w+)\}/g, (_, k: string) => (k in args ? oneLine(String(args[k])) : `{${k}}`));
  }

  toString(): string {
    return `error ${this.code}: ${this.message}`;
  }
}

/** A failure that carries every problem found, each a Diagnostic; the CLI prints them without a stack trace. */
export class CompileError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.toString()).join('\n'));
    this.name = 'CompileError';
    this.diagnostics = diagnostics;
  }

  static of(id: MessageId, args: Args): CompileError {
    return new CompileError([new Diagnostic(id, args)]);
  }
}

/** Throws a shape diagnostic for a node; used by type rules through their context. */
export function shapeError(node: NodeRef, detail: string): CompileError {
  return CompileError.of('shapeError', { op: node.op, node: node.name, detail });
}

/** Collects diagnostics while work goes on, then throws them all at once. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  add(id: MessageId, args: Args): void {
    this.items.push(new Diagnostic(id, args));
  }

  addError(e: unknown): void {
    if (e instanceof CompileError) this.items.push(...e.diagnostics);
    else throw e;
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  throwIfAny(): void {
    if (this.items.length > 0) throw new CompileError(this.items);
  }
}
