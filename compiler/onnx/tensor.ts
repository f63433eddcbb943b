// ONNX TensorProto <-> IR tensors: every storage form, size checks, and lazily read external data.

import fs from 'node:fs';
import path from 'node:path';
import { CompileError } from '../diagnostics.js';
import { type DType, type TypedArray, dtypeFromOnnx, dtypeInfo, onnxDataTypeName } from '../ir/dtype.js';
import type { ConstantData, LazyTensor } from '../ir/graph.js';
import { Tensor, shapeSize } from '../ir/tensor.js';
import { DEFAULT_LIMITS, type Limits, checkedElementCount, formatBytes } from '../limits.js';
import { type TensorProto, type TensorProtoMessage, onnx, toBigInt, toNumber } from './proto.js';

export interface TensorContext {
  /** The model file's folder: external data is resolved relative to it (absent when the model came as bytes). */
  baseDir?: string;
  /** Rank and size limits (default DEFAULT_LIMITS). */
  limits?: Limits;
}

const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL

/**
 * The IR constant of a TensorProto: a Tensor, or a LazyTensor for external data. Throws a CompileError naming
 * the tensor (`name`, when given, replaces the proto's own for diagnostics: attribute tensors are often unnamed).
 */
export function tensorFromProto(p: TensorProto, ctx: TensorContext = {}, name = p.name ?? ''): ConstantData {
  const code = p.dataType ?? 0;
  const dtype = dtypeFromOnnx(code);
  if (!dtype) throw CompileError.of('tensorDtype', { tensor: name, dtype: onnxDataTypeName(code) });
  const dims = (p.dims ?? []).map(toNumber);
  checkTensorSize(name, dtype, dims, ctx.limits ?? DEFAULT_LIMITS);
  if (p.dataLocation === EXTERNAL) return externalTensor(p, name, dtype, dims, ctx);
  const count = shapeSize(dims);
  const raw = p.rawData;
  if (raw && raw.length > 0) return new Tensor(dtype, dims, fromRaw(raw, dtype, dims, name));
  return new Tensor(dtype, dims, fromTypedField(p, dtype, dims, count, name));
}

/**
 * Checks a tensor's declared dims before anything is allocated for it: each a non-negative safe integer, their
 * product safe, the rank and the byte size within the limits. Returns the byte size.
 */
export function checkTensorSize(name: string, dtype: DType, dims: readonly number[], limits: Limits): number {
  if (dims.length > limits.maxRank) throw CompileError.of('tensorRank', { tensor: name, rank: dims.length, limit: limits.maxRank });
  const count = checkedElementCount(dims);
  if (count === undefined) throw CompileError.of('tensorDims', { tensor: name, dims: `[${dims.join(', ')}]` });
  const bytes = count * dtypeInfo(dtype).bytes;
  if (bytes > limits.maxTensorBytes) {
    throw CompileError.of('tensorTooLarge', { tensor: name, type: typeText(dtype, dims), bytes: formatBytes(bytes), limit: formatBytes(limits.maxTensorBytes) });
  }
  // A zero dim makes any count 0; each dim is still held to the limit, since rules build per-dim plans.
  if (count === 0 && dims.some((d) => d > limits.maxTensorBytes)) throw CompileError.of('tensorDims', { tensor: name, dims: `[${dims.join(', ')}]` });
  return bytes;
}

function typeText(dtype: DType, dims: readonly number[]): string {
  return `${dtype}[${dims.join(', ')}]`;
}

function sizeError(name: string, dtype: DType, dims: number[], expected: string, field: string, actual: string): CompileError {
  return CompileError.of('tensorSize', { tensor: name, type: typeText(dtype, dims), expected, field, actual });
}

/** Little-endian raw bytes as the dtype's storage: a view when aligned, a copy otherwise. */
function fromRaw(raw: Uint8Array, dtype: DType, dims: number[], name: string): TypedArray {
  const info = dtypeInfo(dtype);
  const count = shapeSize(dims);
  if (raw.length !== count * info.bytes) {
    throw sizeError(name, dtype, dims, `${count * info.bytes} bytes`, 'raw_data', `${raw.length} bytes`);
  }
  const bytes = raw.byteOffset % info.bytes === 0 ? raw : new Uint8Array(raw);
  return new info.storage(bytes.buffer, bytes.byteOffset, count);
}

/** Which typed field holds each dtype's values (ONNX TensorProto comments). */
function fieldOf(dtype: DType): 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' {
  switch (dtype) {
    case 'f32': return 'float_data';
    case 'i64': return 'int64_data';
    case 'f64': return 'double_data';
    case 'u32': case 'u64': return 'uint64_data';
    default: return 'int32_data'; // i32 i8 u8 i16 u16 bool, and the bits of f16 / bf16
  }
}

function fromTypedField(p: TensorProto, dtype: DType, dims: number[], count: number, name: string): TypedArray {
  const field = fieldOf(dtype);
  const values = {
    float_data: p.floatData, int32_data: p.int32Data, int64_data: p.int64Data,
    double_data: p.doubleData, uint64_data: p.uint64Data,
  }[field] ?? [];
  if (values.length !== count) {
    throw sizeError(name, dtype, dims, `${count} elements`, field, `${values.length} elements`);
  }
  const info = dtypeInfo(dtype);
  const out = new info.storage(count);
  switch (dtype) {
    case 'i64': case 'u64': {
      const big = out as BigInt64Array | BigUint64Array;
      for (let i = 0; i < count; i++) big[i] = toBigInt(values[i]);
      break;
    }
    case 'u32':
      for (let i = 0; i < count; i++) out[i] = toNumber(values[i]);
      break;
    case 'f16': case 'bf16':
      for (let i = 0; i < count; i++) out[i] = (values[i] as number) & 0xffff;
      break;
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = values[i] ? 1 : 0;
      break;
    default:
      for (let i = 0; i < count; i++) out[i] = values[i] as number;
  }
  return out;
}

/** Is `child` (an absolute, normalized path) inside the folder `dir`? */
function inside(dir: string, child: string): boolean {
  const rel = path.relative(dir, child);
  return rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** An external-data `offset` or `length` entry: decimal digits only (Number() would take '', '0x10', '1e3'). */
function byteCount(name: string, key: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw CompileError.of('externalEntry', { tensor: name, key, value });
  return n;
}

function externalTensor(p: TensorProto, name: string, dtype: DType, dims: number[], ctx: TensorContext): LazyTensor {
  const entries = new Map((p.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location') ?? '';
  if (ctx.baseDir === undefined) throw CompileError.of('externalNoBase', { tensor: name });
  const lookedFor = path.resolve(ctx.baseDir, location);
  // Refuse absolute locations and any that leave the model's folder, lexically and after resolving symlinks.
  if (location === '' || location.includes('\0') || path.isAbsolute(location) || !inside(path.resolve(ctx.baseDir), lookedFor)) {
    throw CompileError.of('externalOutside', { tensor: name, location });
  }
  let real: string;
  try {
    real = fs.realpathSync(lookedFor);
  } catch {
    throw CompileError.of('externalMissing', { tensor: name, location, path: lookedFor });
  }
  if (!inside(fs.realpathSync(ctx.baseDir), real)) throw CompileError.of('externalOutside', { tensor: name, location });
  // stat, not open: opening a FIFO would block. Devices, sockets, FIFOs and folders are all refused here.
  const stat = fs.statSync(real);
  if (!stat.isFile()) throw CompileError.of('externalNotFile', { tensor: name, location });

  const info = dtypeInfo(dtype);
  const count = shapeSize(dims);
  const offset = byteCount(name, 'offset', entries.get('offset')) ?? 0;
  const length = byteCount(name, 'length', entries.get('length')) ?? stat.size - offset;
  const rangeError = (size: number) => CompileError.of('externalRange', {
    tensor: name, location, size, offset: entries.get('offset') ?? 0, length: entries.get('length') ?? length,
  });
  if (length < 0 || offset + length > stat.size) throw rangeError(stat.size);
  if (length !== count * info.bytes) {
    throw sizeError(name, dtype, dims, `${count * info.bytes} bytes`, `external data '${location}'`, `${length} bytes`);
  }
  return {
    dtype,
    shape: dims,
    byteLength: length,
    source: `${location} (offset ${offset}, ${length} bytes)`,
    load(): Tensor {
      // The file may have changed since the import looked at it: open without blocking (a FIFO put in its
      // place) and check again that it is a regular file that still holds the bytes.
      const fd = fs.openSync(real, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
      try {
        const now = fs.fstatSync(fd);
        if (!now.isFile()) throw CompileError.of('externalNotFile', { tensor: name, location });
        if (offset + length > now.size) throw rangeError(now.size);
        // One allocation, filled in place: the weights are never held twice.
        const data = new info.storage(count);
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const CHUNK = 1 << 30;
        for (let done = 0; done < length;) {
          const n = fs.readSync(fd, bytes, done, Math.min(CHUNK, length - done), offset + done);
          if (n === 0) throw rangeError(fs.fstatSync(fd).size);
          done += n;
        }
        return new Tensor(dtype, dims, data);
      } finally {
        fs.closeSync(fd);
      }
    },
  };
}

/** Encodes a tensor as a TensorProto with raw_data (a copy of the bytes), for tests and tools. */
export function tensorToProto(t: Tensor, name: string): TensorProtoMessage {
  return onnx.TensorProto.create({
    name,
    dims: [...t.shape],
    dataType: dtypeInfo(t.dtype).onnx,
    rawData: new Uint8Array(t.bytes()),
  });
}
