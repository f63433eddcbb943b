// A pass over ModelProto bytes before decoding: nesting depth, node count and decoder memory, without recursion.
//
// protobufjs decodes recursively (one stack frame per nested message or group) and allocates an object per
// message, per 64-bit integer and per string, so a few hostile megabytes can overflow the stack or exhaust the
// heap. This scanner walks the same bytes the way onnx-proto's generated decoder does (fields chosen by number,
// not by wire type; packed and unpacked repeated scalars; unknown fields skipped as protobufjs skips them, groups
// included), keeping an explicit stack, and refuses the model when a limit would be passed. Bytes that protobufjs
// would reject anyway (truncated, bad wire type) end the scan quietly: the decoder then reports them as usual.

import { CompileError } from '../diagnostics.js';
import { type Limits, formatBytes } from '../limits.js';

type Scalar = 'int32' | 'int64' | 'float' | 'double';
type Field =
  | { readonly kind: 'message'; readonly type: string; readonly repeated: boolean }
  | { readonly kind: 'string' | 'bytes'; readonly repeated: boolean }
  | { readonly kind: Scalar; readonly repeated: boolean };

const msg = (type: string, repeated = false): Field => ({ kind: 'message', type, repeated });
const one = (kind: 'string' | 'bytes' | Scalar): Field => ({ kind, repeated: false });
const many = (kind: 'string' | 'bytes' | Scalar): Field => ({ kind, repeated: true });

/** onnx-proto's messages (ONNX 1.10) by field number, as its generated decoder reads them. */
const SCHEMA: Record<string, Record<number, Field>> = {
  ModelProto: {
    1: one('int64'), 8: msg('OperatorSetIdProto', true), 2: one('string'), 3: one('string'), 4: one('string'),
    5: one('int64'), 6: one('string'), 7: msg('GraphProto'), 14: msg('StringStringEntryProto', true),
    20: msg('TrainingInfoProto', true), 25: msg('FunctionProto', true),
  },
  GraphProto: {
    1: msg('NodeProto', true), 2: one('string'), 5: msg('TensorProto', true), 15: msg('SparseTensorProto', true),
    10: one('string'), 11: msg('ValueInfoProto', true), 12: msg('ValueInfoProto', true),
    13: msg('ValueInfoProto', true), 14: msg('TensorAnnotation', true),
  },
  NodeProto: {
    1: many('string'), 2: many('string'), 3: one('string'), 4: one('string'), 7: one('string'),
    5: msg('AttributeProto', true), 6: one('string'),
  },
  AttributeProto: {
    1: one('string'), 21: one('string'), 13: one('string'), 20: one('int32'), 2: one('float'), 3: one('int64'),
    4: one('bytes'), 5: msg('TensorProto'), 6: msg('GraphProto'), 22: msg('SparseTensorProto'), 14: msg('TypeProto'),
    7: many('float'), 8: many('int64'), 9: many('bytes'), 10: msg('TensorProto', true), 11: msg('GraphProto', true),
    23: msg('SparseTensorProto', true), 15: msg('TypeProto', true),
  },
  TensorProto: {
    1: many('int64'), 2: one('int32'), 3: msg('Segment'), 4: many('float'), 5: many('int32'), 6: many('bytes'),
    7: many('int64'), 8: one('string'), 12: one('string'), 9: one('bytes'), 13: msg('StringStringEntryProto', true),
    14: one('int32'), 10: many('double'), 11: many('int64'),
  },
  Segment: { 1: one('int64'), 2: one('int64') },
  SparseTensorProto: { 1: msg('TensorProto'), 2: msg('TensorProto'), 3: many('int64') },
  ValueInfoProto: { 1: one('string'), 2: msg('TypeProto'), 3: one('string') },
  TypeProto: {
    1: msg('TypeTensor'), 4: msg('TypeSequence'), 5: msg('TypeMap'), 9: msg('TypeOptional'), 8: msg('TypeTensor'),
    6: one('string'),
  },
  TypeTensor: { 1: one('int32'), 2: msg('TensorShapeProto') },
  TypeSequence: { 1: msg('TypeProto') },
  TypeMap: { 1: one('int32'), 2: msg('TypeProto') },
  TypeOptional: { 1: msg('TypeProto') },
  TensorShapeProto: { 1: msg('Dimension', true) },
  Dimension: { 1: one('int64'), 2: one('string'), 3: one('string') },
  TrainingInfoProto: {
    1: msg('GraphProto'), 2: msg('GraphProto'), 3: msg('StringStringEntryProto', true), 4: msg('StringStringEntryProto', true),
  },
  StringStringEntryProto: { 1: one('string'), 2: one('string') },
  TensorAnnotation: { 1: one('string'), 2: msg('StringStringEntryProto', true) },
  OperatorSetIdProto: { 1: one('string'), 2: one('int64') },
  FunctionProto: {
    1: one('string'), 4: many('string'), 5: many('string'), 6: many('string'), 7: msg('NodeProto', true),
    8: one('string'), 9: msg('OperatorSetIdProto', true), 10: one('string'),
  },
};

/** Rough heap bytes the decoder spends (V8 objects and array slots; bytes fields are views, not copies). */
const COST = { message: 160, long: 48, number: 16, bytes: 112, stringBase: 40 } as const;

export interface ScanStats {
  nodes: number;
  /** Estimated decoder allocations, bytes. */
  decodeBytes: number;
  /** Deepest nesting of messages and groups seen. */
  depth: number;
}

/** Thrown inside the scanner where protobufjs would throw: the scan stops and the decoder reports the error. */
class Malformed extends Error {}

class Scanner {
  pos = 0;
  readonly stats: ScanStats = { nodes: 0, decodeBytes: 0, depth: 0 };
  /** Open messages: type and end offset (protobufjs does not check a nested end against its parent's). */
  private readonly stack: { type: string; end: number }[] = [];

  constructor(private readonly buf: Uint8Array, private readonly limits: Limits, private readonly file: string) {}

  /** protobufjs Reader#uint32: at most 5 bytes; a 5th byte with its high bit set skips 5 more unread bytes. */
  private uint32(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.pos < this.buf.length ? this.buf[this.pos]! : 0x80; // reading past the end never stops
      this.pos++;
      value = (value | ((b & (i === 4 ? 15 : 127)) << (7 * i))) >>> 0;
      if (b < 128) {
        if (this.pos > this.buf.length) throw new Malformed();
        return value;
      }
    }
    this.pos += 5;
    if (this.pos > this.buf.length) throw new Malformed();
    return value;
  }

  /** readLongVarint: at most 10 bytes, all in range. */
  private longVarint(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Malformed();
      if (this.buf[this.pos++]! < 128) return;
    }
    throw new Malformed();
  }

  private skip(n: number): void {
    if (this.pos + n > this.buf.length) throw new Malformed();
    this.pos += n;
  }

  /** Reader#skip() without a length: a varint of any length. */
  private skipVarint(): void {
    do {
      if (this.pos >= this.buf.length) throw new Malformed();
    } while (this.buf[this.pos++]! & 128);
  }

  private readScalar(kind: Scalar): void {
    switch (kind) {
      case 'int32': this.uint32(); break;
      case 'int64': this.longVarint(); break;
      case 'float': this.skip(4); break;
      case 'double': this.skip(8); break;
    }
  }

  private charge(bytes: number, what: string): void {
    this.stats.decodeBytes += bytes;
    if (this.stats.decodeBytes > this.limits.maxDecodeBytes) {
      throw CompileError.of('decodeTooLarge', {
        file: this.file, what, estimate: formatBytes(this.stats.decodeBytes), limit: formatBytes(this.limits.maxDecodeBytes),
      });
    }
  }

  private enter(depth: number, where: string): void {
    this.stats.depth = Math.max(this.stats.depth, depth);
    if (depth > this.limits.maxNestingDepth) {
      throw CompileError.of('nestingTooDeep', { file: this.file, limit: this.limits.maxNestingDepth, where });
    }
  }

  /** Reader#skipType for a field the schema does not know; groups (wire type 3) nest without recursion. */
  private skipUnknown(wireType: number): void {
    let groups = 0;
    for (;;) {
      switch (wireType) {
        case 0: this.skipVarint(); break;
        case 1: this.skip(8); break;
        case 2: this.skip(this.uint32()); break;
        case 5: this.skip(4); break;
        case 3:
          groups++;
          this.enter(this.stack.length + groups, `a group inside ${this.stack[this.stack.length - 1]!.type}`);
          break;
        case 4:
          if (groups === 0) throw new Malformed(); // an end-group tag outside a group: "invalid wire type 4"
          groups--;
          break;
        default:
          throw new Malformed();
      }
      if (groups === 0) return;
      wireType = this.uint32() & 7;
    }
  }

  /** Where the scan is, for diagnostics: "ModelProto > GraphProto > ... > NodeProto > AttributeProto". */
  private path(): string {
    const types = this.stack.map((f) => f.type);
    return (types.length > 6 ? [...types.slice(0, 2), '...', ...types.slice(-3)] : types).join(' > ');
  }

  private readField(field: Field, wireType: number): void {
    switch (field.kind) {
      case 'message': {
        const length = this.uint32();
        this.stack.push({ type: field.type, end: this.pos + length });
        this.enter(this.stack.length, this.path());
        if (field.type === 'NodeProto') {
          this.stats.nodes++;
          if (this.stats.nodes > this.limits.maxNodes) {
            throw CompileError.of('tooManyNodes', { file: this.file, limit: this.limits.maxNodes });
          }
        }
        this.charge(COST.message, `${field.type} messages`);
        return;
      }
      case 'string':
      case 'bytes': {
        const length = this.uint32();
        this.skip(length);
        this.charge(field.kind === 'bytes' ? COST.bytes : COST.stringBase + 2 * length, field.kind === 'bytes' ? 'byte fields' : 'strings');
        return;
      }
      default: {
        const cost = field.kind === 'int64' ? COST.long : COST.number;
        const what = field.kind === 'int64' ? '64-bit integers' : 'numbers';
        if (!field.repeated || wireType !== 2) {
          this.readScalar(field.kind);
          this.charge(cost, what);
          return;
        }
        const end = this.uint32() + this.pos;
        if (field.kind === 'float' || field.kind === 'double') {
          // Fixed-size elements: read until at or past `end`, each one wholly inside the buffer.
          const size = field.kind === 'float' ? 4 : 8;
          const wanted = Math.max(0, Math.ceil((end - this.pos) / size));
          const present = Math.floor((this.buf.length - this.pos) / size);
          this.charge(Math.min(wanted, present) * cost, what);
          if (wanted > present) throw new Malformed();
          this.pos += wanted * size;
          return;
        }
        let count = 0;
        while (this.pos < end) {
          this.readScalar(field.kind);
          count++;
          if ((count & 1023) === 0) this.charge(1024 * cost, what);
        }
        this.charge((count & 1023) * cost, what);
      }
    }
  }

  run(): void {
    this.stack.push({ type: 'ModelProto', end: this.buf.length });
    this.stats.depth = 1;
    while (this.stack.length > 0) {
      const top = this.stack[this.stack.length - 1]!;
      if (this.pos >= top.end) {
        this.stack.pop();
        continue;
      }
      const tag = this.uint32();
      const field = SCHEMA[top.type]![tag >>> 3];
      if (field) this.readField(field, tag & 7);
      else this.skipUnknown(tag & 7);
    }
  }
}

/**
 * Checks ModelProto bytes against the limits before protobufjs decodes them. Throws a CompileError
 * (nestingTooDeep, tooManyNodes, decodeTooLarge) naming the file; returns what it counted otherwise, also for
 * malformed bytes (the decoder reports those).
 */
export function prescanModel(bytes: Uint8Array, limits: Limits, file: string): ScanStats {
  const scanner = new Scanner(bytes, limits, file);
  try {
    scanner.run();
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
  }
  return scanner.stats;
}
