// The IR's text form, reading side: rebuilds a graph from print.ts's text through the GraphBuilder (type rules run).
//
// Every node is added with folding off, so its type rule runs; the types written in the text are then checked
// against the inferred ones. Errors are CompileErrors (irParse) that name the line and column.

import { CompileError } from '../diagnostics.js';
import { getOp } from '../ops/registry.js';
import '../ops/index.js';
import { GraphBuilder } from './builder.js';
import { type Dim, canonicalDim, dimSymbols, sanitizeSymbol } from './dim.js';
import { type DType, dtypeInfo, isDType } from './dtype.js';
import { numberToBf16Bits, numberToF16Bits } from '../../runtime/half.js';
import { type AttrValue, Graph, type TensorType, type Value } from './graph.js';
import { typeToString } from './print.js';
import { Tensor, shapeSize } from './tensor.js';
import { matchType } from './verify.js';

export interface ParseOptions {
  /** Accept `dense<elided>` constants (filled with zeros); by default they are an error. */
  allowElided?: boolean;
}

/** Parses the text of one graph (see print.ts for the syntax). */
export function parseGraph(text: string, options: ParseOptions = {}): Graph {
  return new Parser(text, options).graph();
}

const NUMBER = /-?(?:inf|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)f?/y;
const BARE = /[A-Za-z0-9_.]+/y;
const OP = /[A-Za-z_][A-Za-z0-9_.]*(?:::[A-Za-z_][A-Za-z0-9_.]*)?/y;
const STRING = /"(?:[^"\\\n]|\\.)*"/y;
const DIM = /[^,\]\n]+/y;

interface Literal {
  value: AttrValue;
  /** A number written as a float (`1.0`, `1e-5`, `0.1f`, `nan`). */
  float: boolean;
}

class Parser {
  private pos = 0;
  private readonly values = new Map<string, Value>();
  private readonly symbols = new Set<string>();
  private readonly freshNames = new Set<string>();
  private freshCounter = 0;

  constructor(
    private readonly src: string,
    private readonly options: ParseOptions,
  ) {}

  // ----------------------------------------------------------------------------------------------------- lexing

  private fail(detail: string, at = this.pos): never {
    const before = this.src.slice(0, at).split('\n');
    throw CompileError.of('irParse', { line: before.length, column: before[before.length - 1]!.length + 1, detail });
  }

  private skip(): void {
    for (;;) {
      const m = /(?:\s+|\/\/[^\n]*)+/y;
      m.lastIndex = this.pos;
      if (!m.exec(this.src)) return;
      this.pos = m.lastIndex;
    }
  }

  private match(re: RegExp): string | undefined {
    this.skip();
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (!m) return undefined;
    this.pos = re.lastIndex;
    return m[0];
  }

  private peek(s: string): boolean {
    this.skip();
    return this.src.startsWith(s, this.pos);
  }

  private eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  private expect(s: string, what = `'${s}'`): void {
    if (!this.eat(s)) this.fail(`expected ${what}, found ${this.found()}`);
  }

  private keyword(word: string): boolean {
    const m = this.match(new RegExp(`${word}(?![A-Za-z0-9_])`, 'y'));
    return m !== undefined;
  }

  private found(): string {
    this.skip();
    if (this.pos >= this.src.length) return 'the end of the text';
    return `'${/^\S{1,20}/.exec(this.src.slice(this.pos))?.[0] ?? this.src[this.pos]}'`;
  }

  private string(): string {
    const s = this.match(STRING);
    if (s === undefined) this.fail(`expected a string, found ${this.found()}`);
    return JSON.parse(s) as string;
  }

  /** A bare or JSON-quoted name. */
  private name(what: string): string {
    if (this.peek('"')) return this.string();
    const s = this.match(BARE);
    if (s === undefined) this.fail(`expected ${what}, found ${this.found()}`);
    return s;
  }

  private valueName(): { name: string; at: number } {
    this.skip();
    const at = this.pos;
    this.expect('%', 'a value (%name)');
    return { name: this.name('a value name after %'), at };
  }

  private int(): number {
    const at = this.pos;
    const s = this.match(/-?\d+/y);
    if (s === undefined) this.fail(`expected an integer, found ${this.found()}`, at);
    return Number(s);
  }

  // ------------------------------------------------------------------------------------------------ types, data

  private type(): TensorType {
    this.skip();
    const at = this.pos;
    const dt = this.match(/[a-z0-9]+/y);
    if (dt === undefined || !isDType(dt)) this.fail(`expected an element type (f32, i64, ...), found ${dt ? `'${dt}'` : this.found()}`, at);
    this.expect('[');
    const shape: Dim[] = [];
    while (!this.eat(']')) {
      if (shape.length > 0) this.expect(',', "',' or ']'");
      this.skip();
      const dimAt = this.pos;
      const text = this.match(DIM);
      if (text === undefined) this.fail(`expected a dimension, found ${this.found()}`);
      let d: Dim;
      try {
        d = canonicalDim(/^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim());
      } catch {
        this.fail(`invalid dimension '${text.trim()}'`, dimAt);
      }
      if (typeof d === 'number' && d < 0) this.fail(`invalid dimension '${text.trim()}'`, dimAt);
      for (const s of dimSymbols(d)) this.symbols.add(s);
      shape.push(d);
    }
    return { dtype: dt, shape };
  }

  private staticShape(t: TensorType, at: number): number[] {
    if (!t.shape.every((d) => typeof d === 'number')) this.fail(`constant data needs a static shape, got ${typeToString(t)}`, at);
    return t.shape as number[];
  }

  /** `[1, 2, 3]`, `dense<hex:...>` or `dense<elided>` for a tensor of the given type. */
  private data(dtype: DType, shape: number[]): Tensor {
    const t = Tensor.zeros(dtype, shape);
    this.skip();
    const at = this.pos;
    if (this.eat('dense<')) {
      if (this.eat('elided')) {
        if (!this.options.allowElided) this.fail('constant data is elided; the text cannot be rebuilt (print without elideLargeConstants)', at);
      } else {
        this.expect('hex:');
        const h = this.match(/[0-9a-fA-F]*/y)!;
        if (h.length !== 2 * t.bytes().length) this.fail(`hex data of ${typeToString(t)} needs ${t.bytes().length} bytes, got ${h.length / 2}`, at);
        const bytes = t.bytes();
        for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
      }
      this.expect('>');
      return t;
    }
    this.expect('[', "'[' or 'dense<'");
    let i = 0;
    while (!this.eat(']')) {
      if (i > 0) this.expect(',', "',' or ']'");
      this.skip();
      const elemAt = this.pos;
      const tok = this.match(/true|false/y) ?? this.match(NUMBER);
      if (tok === undefined) this.fail(`expected a number, found ${this.found()}`);
      if (i >= t.size) this.fail(`${typeToString(t)} holds ${t.size} elements, the list has more`, elemAt);
      this.store(t, i++, tok, elemAt);
    }
    if (i !== t.size) this.fail(`${typeToString(t)} holds ${t.size} elements, the list has ${i}`, at);
    return t;
  }

  private store(t: Tensor, i: number, tok: string, at: number): void {
    const { dtype, data } = t;
    const info = dtypeInfo(dtype);
    if (dtype === 'bool') {
      if (tok !== 'true' && tok !== 'false') this.fail(`bool data is true or false, got '${tok}'`, at);
      data[i] = tok === 'true' ? 1 : 0;
      return;
    }
    if (info.kind !== 'float') {
      if (!/^-?\d+$/.test(tok)) this.fail(`${dtype} data must be integers, got '${tok}'`, at);
      const bits = BigInt(info.bytes * 8);
      const [lo, hi] = info.kind === 'int' ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
      const v = BigInt(tok);
      if (v < lo || v > hi) this.fail(`${tok} is out of the range of ${dtype}`, at);
      data[i] = info.big ? v : Number(v);
      return;
    }
    if (tok === 'true' || tok === 'false' || tok.endsWith('f') && !tok.endsWith('inf')) this.fail(`expected a number, got '${tok}'`, at);
    const x = floatOf(tok);
    data[i] = dtype === 'f16' ? numberToF16Bits(x) : dtype === 'bf16' ? numberToBf16Bits(x) : x;
  }

  // ------------------------------------------------------------------------------------------------ attributes

  private literal(): Literal {
    this.skip();
    const at = this.pos;
    if (this.peek('"')) return { value: this.string(), float: false };
    if (this.eat('tensor<')) {
      const typeAt = this.pos;
      const type = this.type();
      const value = this.data(type.dtype, this.staticShape(type, typeAt));
      this.expect('>');
      return { value, float: false };
    }
    if (this.keyword('true')) return { value: true, float: false };
    if (this.keyword('false')) return { value: false, float: false };
    if (this.eat('[')) {
      const items: Literal[] = [];
      while (!this.eat(']')) {
        if (items.length > 0) this.expect(',', "',' or ']'");
        const item = this.literal();
        if (typeof item.value !== 'number' && typeof item.value !== 'string') this.fail('list attributes hold numbers or strings', at);
        items.push(item);
      }
      if (new Set(items.map((x) => typeof x.value)).size > 1) this.fail('a list attribute mixes numbers and strings', at);
      return { value: items.map((x) => x.value) as number[] | string[], float: items.some((x) => x.float) };
    }
    const tok = this.match(NUMBER);
    if (tok === undefined) this.fail(`expected an attribute value, found ${this.found()}`);
    const float = !/^-?\d+$/.test(tok);
    return { value: float ? floatOf(tok) : Number(tok) + 0, float };
  }

  private attrs(op: string): Record<string, AttrValue> {
    const out: Record<string, AttrValue> = {};
    if (!this.eat('{')) return out;
    const schema = getOp(op)!.attrs;
    while (!this.eat('}')) {
      if (Object.keys(out).length > 0) this.expect(',', "',' or '}'");
      this.skip();
      const at = this.pos;
      const name = this.name('an attribute name');
      if (name in out) this.fail(`attribute '${name}' is given twice`, at);
      this.expect('=');
      const lit = this.literal();
      const kind = schema[name]?.kind;
      if ((kind === 'int' || kind === 'ints') && lit.float) {
        this.fail(`attribute '${name}' of ${op} is ${kind}, but is written as a float`, at);
      }
      out[name] = lit.value;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------ statements

  private defineName(name: string, at: number): void {
    if (this.values.has(name)) this.fail(`value %${name} is defined twice`, at);
  }

  private operand(): Value | undefined {
    this.skip();
    if (this.match(/_(?![A-Za-z0-9_.])/y) !== undefined) return undefined;
    const { name, at } = this.valueName();
    const v = this.values.get(name);
    if (!v) this.fail(`undefined value %${name}`, at);
    return v;
  }

  graph(): Graph {
    const opsets: { domain: string; version: number }[] = [];
    if (this.keyword('opsets')) {
      this.expect('{');
      while (!this.eat('}')) {
        if (opsets.length > 0) this.expect(',', "',' or '}'");
        const domain = this.string();
        this.expect('=');
        opsets.push({ domain, version: this.int() });
      }
    }
    if (!this.keyword('graph')) this.fail(`expected 'graph', found ${this.found()}`);
    const graph = new Graph(this.name('a graph name'));
    graph.opsets = opsets;
    const b = new GraphBuilder(graph, { fold: false });
    b.freshDim = (hint) => this.freshDim(hint);

    this.expect('(');
    while (!this.eat(')')) {
      if (graph.inputs.length > 0) this.expect(',', "',' or ')'");
      const { name, at } = this.valueName();
      this.defineName(name, at);
      this.expect(':');
      this.values.set(name, graph.addInput(name, this.type()));
    }
    this.expect('{');
    while (!this.keyword('return')) {
      if (this.pos >= this.src.length || this.peek('}')) this.fail(`expected a statement or 'return', found ${this.found()}`);
      this.statement(graph, b);
    }
    const outputs: Value[] = [];
    if (!this.peek('}')) {
      do outputs.push(this.operand() ?? this.fail('a graph output cannot be absent')); while (this.eat(','));
    }
    graph.outputs = outputs;
    this.expect('}', "'}' after return");
    this.skip();
    if (this.pos < this.src.length) this.fail(`unexpected text after the graph: ${this.found()}`);
    return graph;
  }

  private freshDim(hint: string): string {
    let s: string;
    do s = `${sanitizeSymbol(hint)}_${this.freshCounter++}`; while (this.symbols.has(s));
    this.freshNames.add(s);
    return s;
  }

  private statement(graph: Graph, b: GraphBuilder): void {
    const results: { name: string; at: number; type?: TensorType }[] = [];
    do {
      const r: { name: string; at: number; type?: TensorType } = this.valueName();
      this.defineName(r.name, r.at);
      if (results.some((x) => x.name === r.name)) this.fail(`value %${r.name} is defined twice`, r.at);
      if (this.eat(':')) r.type = this.type();
      results.push(r);
    } while (this.eat(','));
    this.expect('=');

    if (this.keyword('const')) {
      const r = results[0]!;
      if (results.length > 1 || r.type) this.fail('a constant defines one value and has its type after const', r.at);
      this.skip();
      const typeAt = this.pos;
      const type = this.type();
      const data = this.data(type.dtype, this.staticShape(type, typeAt));
      this.values.set(r.name, graph.addConstant(r.name, data));
      return;
    }

    this.skip();
    const opAt = this.pos;
    const op = this.match(OP);
    if (op === undefined) this.fail(`expected an op name or const, found ${this.found()}`);
    if (!getOp(op)) this.fail(`unknown op '${op}'`, opAt);
    this.expect('(');
    const operands: (Value | undefined)[] = [];
    while (!this.eat(')')) {
      if (operands.length > 0) this.expect(',', "',' or ')'");
      operands.push(this.operand());
    }
    const attrs = this.attrs(op);
    const name = this.eat('@') ? this.string() : undefined;

    let outs: Value[];
    try {
      outs = b.add(op, operands, attrs, { name, outputNames: results.map((r) => r.name), numOutputs: results.length });
    } catch (e) {
      if (!(e instanceof CompileError)) throw e;
      this.fail(e.diagnostics.map((d) => d.message).join('; '), opAt);
    }
    const bindings = new Map<string, Dim>();
    results.forEach((r, i) => {
      const v = outs[i]!;
      if (r.type) {
        if (!matchType(v.type, r.type, (s) => this.freshNames.has(s), bindings)) {
          this.fail(`%${r.name} is written as ${typeToString(r.type)}, but ${op} infers ${typeToString(v.type)}`, r.at);
        }
        v.type = r.type;
      }
      this.values.set(r.name, v);
    });
  }
}

function floatOf(tok: string): number {
  const body = tok.endsWith('f') && !tok.endsWith('inf') ? tok.slice(0, -1) : tok;
  const neg = body.startsWith('-');
  const abs = neg ? body.slice(1) : body;
  const x = abs === 'inf' ? Infinity : abs === 'nan' ? NaN : Number(abs);
  const v = neg ? -x : x;
  return body === tok ? v : Math.fround(v);
}
