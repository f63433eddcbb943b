// ONNX model -> IR graph: opsets, inputs, initializers, nodes (sorted, built through the registry), outputs.
//
// Every problem is collected (unsupported ops, undefined inputs, cycles, type-rule failures, duplicate names,
// output conflicts) and thrown at the end as one CompileError, in node order. A node that fails poisons its
// results, so the nodes that depend on it report nothing more.

import fs from 'node:fs';
import path from 'node:path';
import { CompileError, Diagnostic } from '../diagnostics.js';
import { readRegularFile } from '../io/file.js';
import { GraphBuilder } from '../ir/builder.js';
import { type Dim, sanitizeSymbol, shapeToString } from '../ir/dim.js';
import { type DType, dtypeFromOnnx, dtypeInfo, onnxDataTypeName } from '../ir/dtype.js';
import { type AttrValue, Graph, type OpsetImport, type TensorType, Value, isLazy, materialize } from '../ir/graph.js';
import { Tensor } from '../ir/tensor.js';
import { type Limits, checkedElementCount, formatBytes, resolveLimits } from '../limits.js';
import { type OpDef, getOp } from '../ops/registry.js';
import '../ops/index.js';
import { attributesOf } from './attributes.js';
import { type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto, decodeModel, toNumber } from './proto.js';
import { tensorFromProto } from './tensor.js';

export interface ImportOptions {
  /** Fold nodes whose operands are all constant (default true). */
  fold?: boolean;
  /** Overrides of the resource limits (compiler/limits.ts); maxFoldElements also bounds folding. */
  limits?: Partial<Limits>;
}

export interface BytesImportOptions extends ImportOptions {
  /** The model file's folder, for external data. */
  baseDir?: string;
  /** The file name diagnostics use. */
  fileName?: string;
}

export interface ImportResult {
  graph: Graph;
  /** Opset imports, the default domain written ''. */
  opsets: OpsetImport[];
  producer: string;
  irVersion: number;
  /** Each ONNX value name -> its IR value (names may differ where folding renamed a value). */
  onnxNames: Map<string, Value>;
}

export const SUPPORTED_OPSETS = { min: 7, max: 21 } as const;
/** Ops whose pre-13 semantics flatten the input at `axis` (the IR keeps only the opset-13 form). */
const SOFTMAX_FAMILY = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

export function normalizeDomain(domain: string | null | undefined): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}

export function importOnnxFile(file: string, options: ImportOptions = {}): ImportResult {
  return importOnnxBytes(readModelFile(file, options.limits), { ...options, baseDir: path.dirname(path.resolve(file)), fileName: file });
}

/** What a file is, when it is not a regular file (for notRegularFile). */
function fileKind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a plain file';
}

/**
 * The bytes of a model file. CompileErrors: fileNotFound when it cannot be read, notRegularFile for devices,
 * FIFOs and folders (read without blocking, so a FIFO cannot hang the import), modelTooLarge past the limit.
 */
export function readModelFile(file: string, limits: Partial<Limits> = {}): Uint8Array {
  const { maxModelBytes } = resolveLimits(limits);
  try {
    return readRegularFile(file, {
      maxBytes: maxModelBytes,
      notRegularFile: (st) => CompileError.of('notRegularFile', { file, kind: fileKind(st) }),
      tooLarge: (size) => CompileError.of('modelTooLarge', { file, size: formatBytes(size), limit: formatBytes(maxModelBytes) }),
    });
  } catch (e) {
    if (e instanceof CompileError) throw e;
    throw CompileError.of('fileNotFound', { file, reason: readFailure(e) });
  }
}

function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied' };
  return (code && known[code]) ?? (e instanceof Error ? e.message : String(e));
}

export function importOnnxBytes(bytes: Uint8Array, options: BytesImportOptions = {}): ImportResult {
  return importModel(decodeModel(bytes, options.fileName ?? '<bytes>', resolveLimits(options.limits)), options);
}

/** Imports a decoded model (decodeModel has checked that it has a graph). */
export function importModel(model: ModelProto, options: BytesImportOptions = {}): ImportResult {
  return new Importer(model, options).run();
}

/** Formats a declared or inferred type for diagnostics: f32[batch, 3]. */
function typeText(dtype: string, shape: readonly Dim[] | undefined): string {
  return shape ? `${dtype}${shapeToString(shape)}` : dtype;
}

class Importer {
  private readonly graph: Graph;
  private readonly builder: GraphBuilder;
  private readonly opsets: OpsetImport[];
  private readonly defaultOpset: number;
  private readonly onnxNames = new Map<string, Value>();
  /** Names whose producer failed: readers skip silently instead of cascading diagnostics. */
  private readonly poisoned = new Set<string>();
  /** Each defined name -> what defines it (for duplicate reports) and, for node results, the node index. */
  private readonly definedBy = new Map<string, { where: string; node?: number }>();
  private readonly found: { order: number; diagnostic: Diagnostic }[] = [];
  private readonly usedSymbols = new Set<string>();
  private unknownCounter = 0;
  private readonly limits: Limits;

  constructor(private readonly model: ModelProto, private readonly options: BytesImportOptions) {
    this.limits = resolveLimits(options.limits);
    this.graph = new Graph(model.graph?.name || 'main');
    this.builder = new GraphBuilder(this.graph, { fold: options.fold ?? true, maxFoldElements: this.limits.maxFoldElements });
    this.opsets = (model.opsetImport ?? []).map((o) => ({ domain: normalizeDomain(o.domain), version: toNumber(o.version) }));
    this.defaultOpset = this.opsets.find((o) => o.domain === '')?.version ?? 1;
    this.graph.opsets = this.opsets;
  }

  run(): ImportResult {
    const g = this.model.graph!;
    const { min, max } = SUPPORTED_OPSETS;
    if (this.defaultOpset < min || this.defaultOpset > max) {
      this.report(-1, 'unsupportedOpset', { version: this.defaultOpset, domain: 'ai.onnx', supported: `opsets ${min} to ${max}` });
    }
    const initializerNames = new Set((g.initializer ?? []).map((t) => t.name ?? ''));
    this.importInitializers(g.initializer ?? []);
    this.importInputs((g.input ?? []).filter((vi) => !initializerNames.has(vi.name ?? '')));
    const nodes = g.node ?? [];
    nodes.forEach((n, i) => {
      for (const out of n.output ?? []) if (out) this.define(out, `result of ${n.opType} node '${this.nodeName(n, i)}'`, i);
    });
    for (const i of this.sortNodes(nodes)) this.importNode(nodes[i]!, i);
    this.importOutputs(g.output ?? []);
    this.restoreNames();

    if (this.found.length > 0) {
      const sorted = this.found.map((f, k) => ({ ...f, k })).sort((a, b) => a.order - b.order || a.k - b.k);
      throw new CompileError(sorted.map((f) => f.diagnostic));
    }
    const producer = [this.model.producerName, this.model.producerVersion].filter(Boolean).join(' ');
    return { graph: this.graph, opsets: this.opsets, producer, irVersion: toNumber(this.model.irVersion), onnxNames: this.onnxNames };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Diagnostics and names

  private report(order: number, id: ConstructorParameters<typeof Diagnostic>[0], args: Record<string, string | number>): void {
    this.found.push({ order, diagnostic: new Diagnostic(id, args) });
  }

  private record(order: number, e: unknown): void {
    if (!(e instanceof CompileError)) throw e;
    for (const diagnostic of e.diagnostics) this.found.push({ order, diagnostic });
  }

  /** Records who defines a name; a second definition is a diagnostic and is not used. */
  private define(name: string, where: string, node?: number): boolean {
    const prev = this.definedBy.get(name);
    if (prev) {
      this.report(node ?? -1, 'duplicateName', { value: name, where: `${prev.where} and ${where}` });
      return false;
    }
    this.definedBy.set(name, { where, node });
    return true;
  }

  private nodeName(n: NodeProto, index: number): string {
    return n.name || `${n.opType}_${index}`;
  }

  private poison(names: readonly string[]): void {
    for (const n of names) if (n) this.poisoned.add(n);
  }

  /** Folding may have renamed values (e.g. `x_c`); give each back its ONNX name where no other value holds it. */
  private restoreNames(): void {
    const taken = new Set<string>();
    for (const v of this.graph.values()) taken.add(v.name);
    for (const [name, v] of this.onnxNames) {
      if (v.name === name || taken.has(name)) continue;
      taken.delete(v.name);
      v.name = name;
      taken.add(name);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Initializers, inputs, outputs

  private importInitializers(list: readonly TensorProto[]): void {
    let total = 0;
    for (const t of list) {
      const name = t.name ?? '';
      if (!this.define(name, 'initializer')) continue;
      try {
        const data = tensorFromProto(t, { baseDir: this.options.baseDir, limits: this.limits });
        total += isLazy(data) ? data.byteLength : data.data.byteLength;
        this.onnxNames.set(name, this.graph.addConstant(name, data));
      } catch (e) {
        this.record(-1, e);
        this.poison([name]);
      }
    }
    if (total > this.limits.maxTotalInitializerBytes) {
      this.report(-1, 'initializersTooLarge', { bytes: formatBytes(total), limit: formatBytes(this.limits.maxTotalInitializerBytes) });
    }
  }

  private importInputs(list: readonly ValueInfoProto[]): void {
    for (const vi of list) {
      for (const d of vi.type?.tensorType?.shape?.dim ?? []) if (d.dimParam) this.usedSymbols.add(sanitizeSymbol(d.dimParam));
    }
    for (const vi of list) {
      const name = vi.name ?? '';
      if (!this.define(name, 'graph input')) continue;
      const declared = this.declaredType(vi);
      if (typeof declared === 'string') {
        this.report(-1, 'inputType', { value: name, detail: declared });
        this.poison([name]);
        continue;
      }
      this.onnxNames.set(name, this.graph.addInput(name, declared));
    }
  }

  private freshSymbol(): string {
    let s: string;
    do s = `unk_${this.unknownCounter++}`; while (this.usedSymbols.has(s));
    this.usedSymbols.add(s);
    return s;
  }

  /** The TensorType a ValueInfo declares, or what is wrong with it. */
  private declaredType(vi: ValueInfoProto): TensorType | string {
    const tt = vi.type?.tensorType;
    if (!tt) return 'only tensors are supported (not sequences, maps, optionals or sparse tensors)';
    const dtype = dtypeFromOnnx(tt.elemType ?? 0);
    if (!dtype) return `element type ${onnxDataTypeName(tt.elemType ?? 0)} is not supported`;
    if (!tt.shape) return 'the shape is not declared (inputs of unknown rank are not supported)';
    const dims = tt.shape.dim ?? [];
    if (dims.length > this.limits.maxRank) return `rank ${dims.length} is more than the limit of ${this.limits.maxRank}`;
    const shape: Dim[] = [];
    for (const d of dims) {
      if (d.dimValue !== null && d.dimValue !== undefined) {
        const n = toNumber(d.dimValue);
        if (n < 0) return `dimension ${shape.length} is negative (${n})`;
        if (!Number.isSafeInteger(n)) return `dimension ${shape.length} (${n}) is not an exact integer`;
        shape.push(n);
      } else if (d.dimParam) shape.push(sanitizeSymbol(d.dimParam));
      else shape.push(this.freshSymbol());
    }
    const tooLarge = this.sizeProblem(dtype, shape);
    return tooLarge ? `${typeText(dtype, shape)} ${tooLarge}` : { dtype, shape };
  }

  /**
   * What is wrong with the size of a type, or undefined: the rank, or the bytes of its static dims (a lower
   * bound when some dims are symbolic, since symbols are >= 1) against the limits.
   */
  private sizeProblem(dtype: DType, shape: readonly Dim[]): string | undefined {
    const { maxRank, maxTensorBytes } = this.limits;
    if (shape.length > maxRank) return `has rank ${shape.length}, more than the limit of ${maxRank}`;
    const staticDims = shape.filter((d): d is number => typeof d === 'number');
    const bad = staticDims.find((d) => !Number.isSafeInteger(d) || d < 0);
    if (bad !== undefined) return `has an invalid dimension (${bad})`;
    const count = checkedElementCount(staticDims);
    const bytes = count === undefined ? undefined : count * dtypeInfo(dtype).bytes;
    const huge = staticDims.find((d) => d > maxTensorBytes);
    if (huge !== undefined && bytes === 0) return `has the dimension ${huge}, more than the limit of ${maxTensorBytes} (even with no elements)`;
    if (bytes !== undefined && bytes <= maxTensorBytes) return undefined;
    const atLeast = staticDims.length < shape.length ? 'at least ' : '';
    return `would take ${atLeast}${bytes === undefined ? 'more than 2^53 elements' : formatBytes(bytes)}, more than the limit of ${formatBytes(maxTensorBytes)}`;
  }

  private importOutputs(list: readonly ValueInfoProto[]): void {
    const END = Number.MAX_SAFE_INTEGER;
    for (const vi of list) {
      const name = vi.name ?? '';
      if (this.poisoned.has(name)) continue;
      const v = this.onnxNames.get(name);
      if (!v) {
        this.report(END, 'missingOutput', { value: name });
        continue;
      }
      this.graph.outputs.push(v);
      const tt = vi.type?.tensorType;
      if (!tt) continue;
      const declaredDtype: DType | undefined = dtypeFromOnnx(tt.elemType ?? 0);
      const declaredShape = tt.shape ? (tt.shape.dim ?? []).map((d) =>
        d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : d.dimParam || '?') : undefined;
      const dtypeConflict = !!tt.elemType && declaredDtype !== v.type.dtype;
      const inferred = v.type.shape;
      const bothStatic = declaredShape?.every((d) => typeof d === 'number') && inferred.every((d) => typeof d === 'number');
      const shapeConflict = !!bothStatic && (declaredShape!.length !== inferred.length || declaredShape!.some((d, k) => d !== inferred[k]));
      if (dtypeConflict || shapeConflict) {
        this.report(END, 'outputConflict', {
          value: name,
          declared: typeText(declaredDtype ?? onnxDataTypeName(tt.elemType ?? 0), declaredShape),
          inferred: typeText(v.type.dtype, inferred),
        });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Nodes

  /**
   * A topological order of the nodes, as close to the file's order as possible (a sorted list stays as it is);
   * each cycle is reported and its nodes poisoned.
   */
  private sortNodes(nodes: readonly NodeProto[]): number[] {
    const producer = new Map<string, number>();
    for (const [name, d] of this.definedBy) if (d.node !== undefined) producer.set(name, d.node);
    const deps = nodes.map((n) => [...new Set((n.input ?? []).filter((x) => producer.has(x)).map((x) => producer.get(x)!))]);
    const state = new Uint8Array(nodes.length); // 0 unvisited, 1 on the stack, 2 done
    const order: number[] = [];
    const inCycle = new Set<number>();
    const seenCycles = new Set<string>();
    for (let root = 0; root < nodes.length; root++) {
      if (state[root]) continue;
      const stack = [{ node: root, next: 0 }];
      state[root] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const ds = deps[top.node]!;
        if (top.next < ds.length) {
          const d = ds[top.next++]!;
          if (state[d] === 0) {
            state[d] = 1;
            stack.push({ node: d, next: 0 });
          } else if (state[d] === 1) {
            // Data flows from the top of the stack down to d and back: report it in that order.
            const cyc = stack.slice(stack.findIndex((f) => f.node === d)).map((f) => f.node).reverse();
            const key = [...cyc].sort((a, b) => a - b).join(',');
            if (!seenCycles.has(key)) {
              seenCycles.add(key);
              const first = cyc.indexOf(cyc.reduce((a, b) => Math.min(a, b)));
              const loop = [...cyc.slice(first), ...cyc.slice(0, first)];
              const text = [...loop, loop[0]!].map((k) => `${nodes[k]!.opType} node '${this.nodeName(nodes[k]!, k)}'`).join(' -> ');
              this.report(loop[0]!, 'cycle', { nodes: text });
            }
            for (const k of cyc) inCycle.add(k);
          }
        } else {
          state[top.node] = 2;
          order.push(top.node);
          stack.pop();
        }
      }
    }
    for (const k of inCycle) this.poison(nodes[k]!.output ?? []);
    return order.filter((k) => !inCycle.has(k));
  }

  private opsetOf(domain: string): number | undefined {
    return this.opsets.find((o) => o.domain === domain)?.version;
  }

  private importNode(n: NodeProto, index: number): void {
    const op = n.opType ?? '';
    const domain = normalizeDomain(n.domain);
    const name = this.nodeName(n, index);
    const outNames = n.output ?? [];
    const failed = (e?: unknown): void => {
      if (e !== undefined) this.record(index, e);
      this.poison(outNames);
    };

    const isConstant = op === 'Constant' && domain === '';
    const def = isConstant ? undefined : getOp(op, domain);
    if (!isConstant && !def) {
      this.report(index, 'unsupportedOp', { op, node: name, domain: domain || 'ai.onnx', version: this.opsetOf(domain) ?? '-' });
      return failed();
    }
    let attrs: Record<string, AttrValue>;
    try {
      attrs = attributesOf(n.attribute ?? [], { op, name }, { baseDir: this.options.baseDir, limits: this.limits });
    } catch (e) {
      return failed(e);
    }

    const inputs: (Value | undefined)[] = [];
    let blocked = false;
    for (const inName of n.input ?? []) {
      if (inName === '') inputs.push(undefined);
      else if (this.poisoned.has(inName)) {
        blocked = true;
        inputs.push(undefined);
      } else {
        const v = this.onnxNames.get(inName);
        if (!v) {
          this.report(index, 'undefinedInput', { op, node: name, value: inName });
          blocked = true;
        }
        inputs.push(v);
      }
    }
    if (blocked) return failed();

    try {
      const results = isConstant
        ? [this.graph.addConstant(outNames[0] ?? '', constantValue(attrs, { op, name }))]
        : this.buildNode(def!, domain, inputs, attrs, name, outNames);
      const oversized = results.map((v) => [v, this.sizeProblem(v.type.dtype, v.type.shape)] as const).filter(([, p]) => p);
      for (const [v, problem] of oversized) {
        this.report(index, 'resultTooLarge', { op, node: name, value: v.name, type: typeText(v.type.dtype, v.type.shape), detail: problem! });
      }
      if (oversized.length > 0) return failed();
      results.forEach((v, k) => {
        const out = outNames[k];
        if (out && this.definedBy.get(out)?.node === index) this.onnxNames.set(out, v);
      });
    } catch (e) {
      failed(e);
    }
  }

  private buildNode(
    def: OpDef, domain: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue>, name: string, outNames: string[],
  ): Value[] {
    // Inputs that newer opsets added in place of attributes (axes, split, ...) become the attribute when constant.
    def.inputs.forEach((port, k) => {
      const v = inputs[k];
      if (!port.constantToAttr || port.variadic || !v?.constant) return;
      const converted = tensorToAttr(materialize(v.constant), def.attrs[port.constantToAttr]?.kind);
      if (converted === undefined) return;
      attrs[port.constantToAttr] = converted;
      inputs[k] = undefined;
    });
    let numOutputs = outNames.length;
    while (numOutputs > 1 && !outNames[numOutputs - 1]) numOutputs--;
    const add = (op: string, args: (Value | undefined)[], a: Record<string, AttrValue>, nodeName: string, outs: string[], count = 1) =>
      this.builder.add(op, args, a, { name: nodeName, outputNames: outs, numOutputs: count, domain });

    if (domain === '' && SOFTMAX_FAMILY.has(def.name) && this.defaultOpset < 13 && inputs[0]) {
      // Before opset 13 these ops flatten the input to 2-D at `axis` (default 1) and normalize over the rows.
      const x = inputs[0];
      const rank = x.type.shape.length;
      const given = typeof attrs.axis === 'number' ? attrs.axis : 1;
      const axis = given < 0 ? given + rank : given;
      if (axis >= 0 && axis < rank - 1) {
        const out = outNames[0] ?? '';
        const [flat] = add('Flatten', [x], { axis }, `${name}/flatten`, [`${out}/flat`]);
        const [y] = add(def.name, [flat], { axis: 1 }, name, [`${out}/2d`]);
        const [shape] = add('Shape', [x], {}, `${name}/shape`, [`${out}/shape`]);
        return add('Reshape', [y, shape], {}, `${name}/reshape`, [out]);
      }
      attrs = { ...attrs, axis: given };
    }
    return add(def.name, inputs, attrs, name, outNames.slice(0, numOutputs), numOutputs);
  }
}

/** A constant input turned into the attribute kind the op declares; undefined when it does not fit. */
function tensorToAttr(t: Tensor, kind: string | undefined): AttrValue | undefined {
  switch (kind) {
    case 'ints': case 'floats': return t.toNumbers();
    case 'int': case 'float': return t.size === 1 ? t.get(0) : undefined;
    case 'tensor': return t;
    default: return undefined;
  }
}

/** An attribute value, briefly, for diagnostics. */
function describeValue(v: AttrValue): string {
  if (v instanceof Tensor) return `a tensor ${v.dtype}[${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return `a list of ${v.length} ${v.length > 0 ? typeof v[0] : 'values'}s`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** The tensor of a Constant node, from whichever of its value attributes is set. */
function constantValue(attrs: Record<string, AttrValue>, node: { op: string; name: string }): Tensor {
  const given = Object.keys(attrs);
  const fail = (detail: string): never => {
    throw CompileError.of('attrError', { op: node.op, node: node.name, detail });
  };
  if (given.length !== 1) fail(`exactly one value attribute is required, got ${given.length === 0 ? 'none' : given.join(', ')}`);
  const key = given[0]!;
  const v = attrs[key]!;
  // The attribute's declared type decides its value's kind, which need not be the one the name calls for.
  const isNumbers = (x: AttrValue): x is number[] => Array.isArray(x) && x.every((e) => typeof e === 'number');
  const wrongKind = (kind: string): never => fail(`attribute '${key}' must be ${kind}, got ${describeValue(v)}`);
  switch (key) {
    case 'value': return v instanceof Tensor ? v : wrongKind('a tensor');
    case 'value_float': return typeof v === 'number' ? Tensor.scalar('f32', v) : wrongKind('a float');
    case 'value_floats': return isNumbers(v) ? Tensor.fromNumbers('f32', [v.length], v) : wrongKind('a list of floats');
    case 'value_int': return typeof v === 'number' && Number.isInteger(v) ? Tensor.scalar('i64', v) : wrongKind('an int');
    case 'value_ints': return isNumbers(v) && v.every(Number.isInteger) ? Tensor.fromNumbers('i64', [v.length], v) : wrongKind('a list of ints');
    case 'value_string': case 'value_strings': return fail('string constants are not supported');
    default: return fail(`unknown attribute '${key}'`);
  }
}
