// The runtime's element types: manifest dtype names, byte sizes and the typed arrays users pass and receive.

export type RuntimeDType =
  | 'float32' | 'float16' | 'float64'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool';

export type RuntimeTypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

interface Ctor {
  new (length: number): RuntimeTypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): RuntimeTypedArray;
  readonly name: string;
}

export interface RuntimeDTypeInfo {
  readonly bytes: number;
  /** The typed array outputs of this dtype come back in (float16 as raw bits in Uint16Array, bool as 0/1 bytes). */
  readonly array: Ctor;
  /** Other arrays accepted as input and widened on the way in (int64 given as Int32Array). */
  readonly widenFrom?: Ctor;
}

export const DTYPES: Readonly<Record<RuntimeDType, RuntimeDTypeInfo>> = {
  float32: { bytes: 4, array: Float32Array },
  float16: { bytes: 2, array: Uint16Array },
  float64: { bytes: 8, array: Float64Array },
  int8: { bytes: 1, array: Int8Array },
  uint8: { bytes: 1, array: Uint8Array },
  int16: { bytes: 2, array: Int16Array },
  uint16: { bytes: 2, array: Uint16Array },
  int32: { bytes: 4, array: Int32Array },
  uint32: { bytes: 4, array: Uint32Array },
  int64: { bytes: 8, array: BigInt64Array, widenFrom: Int32Array },
  uint64: { bytes: 8, array: BigUint64Array, widenFrom: Uint32Array },
  bool: { bytes: 1, array: Uint8Array },
};

export function isRuntimeDType(s: unknown): s is RuntimeDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, s);
}

/**
 * The bytes of an input as the model stores it: the array's own bytes, or, for a 64-bit dtype given as a
 * 32-bit array (DTYPES' widenFrom), each value followed by its sign (Int32Array) or zero extension, little-endian.
 */
export function storedBytes(dtype: RuntimeDType, data: RuntimeTypedArray): Uint8Array {
  if (data.BYTES_PER_ELEMENT === DTYPES[dtype].bytes) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const words = new Int32Array(data.length * 2);
  const signed = data instanceof Int32Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    words[2 * i] = v;
    words[2 * i + 1] = signed && v < 0 ? -1 : 0;
  }
  return new Uint8Array(words.buffer);
}
