// Concrete tensors: a dtype, a static shape and little-endian element storage; conversions to and from numbers.

import { type DType, type TypedArray, dtypeInfo } from './dtype.js';
import { bf16BitsToNumber, f16BitsToNumber, numberToBf16Bits, numberToF16Bits } from '../../runtime/half.js';

export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;

  constructor(dtype: DType, shape: readonly number[], data: TypedArray) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new Error(`tensor of shape [${shape.join(', ')}] needs ${size} elements, got ${data.length}`);
    }
    if (!(data instanceof dtypeInfo(dtype).storage)) {
      throw new Error(`tensor of dtype ${dtype} needs ${dtypeInfo(dtype).storage.name} storage, got ${data.constructor.name}`);
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  static zeros(dtype: DType, shape: readonly number[]): Tensor {
    return new Tensor(dtype, shape, new (dtypeInfo(dtype).storage)(shapeSize(shape)));
  }

  /** Builds a tensor from numbers, converting each to the dtype (round to nearest for floats, truncate for ints). */
  static fromNumbers(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
    const t = Tensor.zeros(dtype, shape);
    writeNumbers(t, values);
    return t;
  }

  static scalar(dtype: DType, value: number): Tensor {
    return Tensor.fromNumbers(dtype, [], [value]);
  }

  /** Element i as a JS number (i64 beyond 2^53 loses precision; bool is 0/1). */
  get(i: number): number {
    return readNumber(this.dtype, this.data, i);
  }

  /** All elements as float64 (exact for every dtype but 64-bit integers beyond 2^53). */
  toFloat64(): Float64Array {
    if (this.data instanceof Float64Array) return this.data;
    const out = new Float64Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = readNumber(this.dtype, this.data, i);
    return out;
  }

  toNumbers(): number[] {
    return Array.from(this.toFloat64());
  }

  /** Same data, another static shape of the same size (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.dtype, shape, this.data);
  }

  /** The raw little-endian bytes of the data (a view, no copy). */
  bytes(): Uint8Array {
    return new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a static shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

function readNumber(dtype: DType, data: TypedArray, i: number): number {
  switch (dtype) {
    case 'f16': return f16BitsToNumber(data[i] as number);
    case 'bf16': return bf16BitsToNumber(data[i] as number);
    case 'i64': case 'u64': return Number(data[i] as bigint);
    default: return data[i] as number;
  }
}

/** Writes numbers into a tensor's storage with the dtype's conversion. */
export function writeNumbers(t: Tensor, values: ArrayLike<number>): void {
  const { dtype, data } = t;
  const n = data.length;
  switch (dtype) {
    case 'f16': for (let i = 0; i < n; i++) data[i] = numberToF16Bits(values[i]!); break;
    case 'bf16': for (let i = 0; i < n; i++) data[i] = numberToBf16Bits(values[i]!); break;
    case 'bool': for (let i = 0; i < n; i++) data[i] = values[i] ? 1 : 0; break;
    case 'i64': case 'u64': {
      const big = data as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) big[i] = toBigIntegral(values[i]!, dtype);
      break;
    }
    case 'f32': case 'f64':
      for (let i = 0; i < n; i++) data[i] = values[i]!;
      break;
    default:
      // Integer storage: typed arrays truncate toward zero and wrap, as C casts do; NaN/inf become 0.
      for (let i = 0; i < n; i++) data[i] = Number.isFinite(values[i]!) ? Math.trunc(values[i]!) : 0;
  }
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** Saturating conversion to a 64-bit integer (so INT64_MAX read as 2^63 in float stays INT64_MAX). */
function toBigIntegral(v: number, dtype: DType): bigint {
  if (!Number.isFinite(v)) return 0n;
  const t = BigInt(Math.trunc(v));
  const [lo, hi] = dtype === 'i64' ? [I64_MIN, I64_MAX] : [0n, U64_MAX];
  return t < lo ? lo : t > hi ? hi : t;
}
