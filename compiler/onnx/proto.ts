// Decodes ONNX ModelProto bytes (onnx-proto, a protobufjs static module) into messages, with clear diagnostics.

import onnxPkg from 'onnx-proto';
import { CompileError } from '../diagnostics.js';
import { DEFAULT_LIMITS, type Limits, formatBytes } from '../limits.js';
import { prescanModel } from './prescan.js';

export const { onnx } = onnxPkg;

export type ModelProto = onnxPkg.onnx.ModelProto;
export type GraphProto = onnxPkg.onnx.IGraphProto;
export type NodeProto = onnxPkg.onnx.INodeProto;
export type TensorProto = onnxPkg.onnx.ITensorProto;
export type TensorProtoMessage = onnxPkg.onnx.TensorProto;
export type AttributeProto = onnxPkg.onnx.IAttributeProto;
export type ValueInfoProto = onnxPkg.onnx.IValueInfoProto;

/** A protobufjs 64-bit integer as decoded (a `Long`), or a plain number when the encoder was given one. */
export type LongLike = number | { low: number; high: number; unsigned?: boolean } | null | undefined;

/** An int64/uint64 field as a JS number (exact up to 2^53; absent = 0). */
export function toNumber(v: LongLike): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  const high = v.unsigned ? v.high >>> 0 : v.high | 0;
  return high * 4294967296 + (v.low >>> 0);
}

/** An int64/uint64 field as an exact BigInt. */
export function toBigInt(v: LongLike): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const high = v.unsigned ? BigInt(v.high >>> 0) : BigInt(v.high | 0);
  return (high << 32n) + BigInt(v.low >>> 0);
}

/** Wire types of ModelProto's fields (field number -> wire type), to tell a cut-off model from other bytes. */
const MODEL_FIELDS = new Map<number, number>([[1, 0], [2, 2], [3, 2], [4, 2], [5, 0], [6, 2], [7, 2], [8, 2], [14, 2], [20, 2], [25, 2]]);

function startsLikeModel(bytes: Uint8Array): boolean {
  const tag = bytes[0]!;
  if (tag & 0x80) return false; // every ModelProto field number fits a one-byte tag
  return MODEL_FIELDS.get(tag >> 3) === (tag & 7);
}

/**
 * Decodes a ModelProto. Throws a CompileError for an empty buffer, a truncated protobuf, bytes that are not a
 * protobuf, or a message without a graph (random bytes sometimes decode "successfully" into junk); and, before
 * decoding, for bytes that would pass a limit (size, nesting depth, node count, decoder memory: see prescan.ts).
 */
export function decodeModel(bytes: Uint8Array, file: string, limits: Limits = DEFAULT_LIMITS): ModelProto {
  if (bytes.length === 0) throw CompileError.of('emptyFile', { file });
  if (bytes.length > limits.maxModelBytes) {
    throw CompileError.of('modelTooLarge', { file, size: formatBytes(bytes.length), limit: formatBytes(limits.maxModelBytes) });
  }
  prescanModel(bytes, limits, file);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    // protobufjs throws RangeError('index out of range: ...') when a field runs past the end of the buffer.
    if (e instanceof RangeError && /index out of range/.test(reason) && startsLikeModel(bytes)) {
      throw CompileError.of('truncatedFile', { file, reason });
    }
    // The prescan bounds the nesting; should the stack still run out, say so rather than "not a model".
    if (e instanceof RangeError && /call stack/i.test(reason)) {
      throw CompileError.of('nestingTooDeep', { file, limit: limits.maxNestingDepth, where: 'the stack ran out while decoding' });
    }
    throw CompileError.of('notProtobuf', { file, reason });
  }
  const g = model.graph;
  const empty = !g || ((g.node?.length ?? 0) === 0 && (g.output?.length ?? 0) === 0);
  if (empty) throw CompileError.of('noGraph', { file });
  return model;
}

/** Encodes a ModelProto (tests and tools). */
export function encodeModel(model: onnxPkg.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
