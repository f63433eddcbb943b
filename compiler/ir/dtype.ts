// Element types of IR tensors: one table with byte sizes, typed-array storage, ONNX and NumPy codes.

export type DType =
  | 'f32' | 'f16' | 'bf16' | 'f64'
  | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64'
  | 'bool';

export type TypedArray =
  | Float32Array | Float64Array
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

type TypedArrayCtor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

export interface DTypeInfo {
  readonly dtype: DType;
  /** Bytes per element. */
  readonly bytes: number;
  /** Typed array the data is stored in (f16/bf16 as raw bits in Uint16Array, bool as Uint8Array 0/1). */
  readonly storage: TypedArrayCtor;
  /** TensorProto.DataType enum value. */
  readonly onnx: number;
  /** NumPy `descr` in .npy headers (little-endian). */
  readonly numpy: string;
  readonly kind: 'float' | 'int' | 'uint' | 'bool';
  /** Stored as BigInt64Array/BigUint64Array. */
  readonly big: boolean;
}

const table: DTypeInfo[] = [
  { dtype: 'f32', bytes: 4, storage: Float32Array, onnx: 1, numpy: '<f4', kind: 'float', big: false },
  { dtype: 'u8', bytes: 1, storage: Uint8Array, onnx: 2, numpy: '|u1', kind: 'uint', big: false },
  { dtype: 'i8', bytes: 1, storage: Int8Array, onnx: 3, numpy: '|i1', kind: 'int', big: false },
  { dtype: 'u16', bytes: 2, storage: Uint16Array, onnx: 4, numpy: '<u2', kind: 'uint', big: false },
  { dtype: 'i16', bytes: 2, storage: Int16Array, onnx: 5, numpy: '<i2', kind: 'int', big: false },
  { dtype: 'i32', bytes: 4, storage: Int32Array, onnx: 6, numpy: '<i4', kind: 'int', big: false },
  { dtype: 'i64', bytes: 8, storage: BigInt64Array, onnx: 7, numpy: '<i8', kind: 'int', big: true },
  { dtype: 'bool', bytes: 1, storage: Uint8Array, onnx: 9, numpy: '|b1', kind: 'bool', big: false },
  { dtype: 'f16', bytes: 2, storage: Uint16Array, onnx: 10, numpy: '<f2', kind: 'float', big: false },
  { dtype: 'f64', bytes: 8, storage: Float64Array, onnx: 11, numpy: '<f8', kind: 'float', big: false },
  { dtype: 'u32', bytes: 4, storage: Uint32Array, onnx: 12, numpy: '<u4', kind: 'uint', big: false },
  { dtype: 'u64', bytes: 8, storage: BigUint64Array, onnx: 13, numpy: '<u8', kind: 'uint', big: true },
  { dtype: 'bf16', bytes: 2, storage: Uint16Array, onnx: 16, numpy: '<V2', kind: 'float', big: false },
];

const byName = new Map(table.map((t) => [t.dtype, t]));
const byOnnx = new Map(table.map((t) => [t.onnx, t]));
const byNumpy = new Map(table.filter((t) => t.dtype !== 'bf16').map((t) => [t.numpy, t]));

export const ALL_DTYPES: readonly DType[] = table.map((t) => t.dtype);

export function dtypeInfo(dtype: DType): DTypeInfo {
  const info = byName.get(dtype);
  if (!info) throw new Error(`unknown dtype '${dtype}'`);
  return info;
}

export function isDType(s: string): s is DType {
  return byName.has(s as DType);
}

/** The DType of an ONNX TensorProto.DataType code, or undefined when xfc has no such type. */
export function dtypeFromOnnx(code: number): DType | undefined {
  return byOnnx.get(code)?.dtype;
}

/** ONNX's own name of a TensorProto.DataType code, for diagnostics. */
export function onnxDataTypeName(code: number): string {
  const names = ['UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL',
    'FLOAT16', 'DOUBLE', 'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16', 'FLOAT8E4M3FN',
    'FLOAT8E4M3FNUZ', 'FLOAT8E5M2', 'FLOAT8E5M2FNUZ', 'UINT4', 'INT4', 'FLOAT4E2M1'];
  return names[code] ?? `type#${code}`;
}

/** The DType of a NumPy descr such as '<f4' or '|b1' (byte-order marks '=' and '<' accepted). */
export function dtypeFromNumpy(descr: string): DType | undefined {
  const normalized = descr.replace(/^=/, '<');
  return byNumpy.get(normalized)?.dtype ?? byNumpy.get(normalized.replace(/^</, '|'))?.dtype;
}

export const isFloat = (d: DType): boolean => dtypeInfo(d).kind === 'float';
export const isInteger = (d: DType): boolean => dtypeInfo(d).kind === 'int' || dtypeInfo(d).kind === 'uint';
