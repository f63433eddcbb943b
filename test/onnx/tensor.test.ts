// TensorProto decoding: every storage form and dtype, half-float bits, size checks, external data and its guards.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { type DType, ALL_DTYPES, dtypeInfo } from '../../compiler/ir/dtype.js';
import { isLazy, materialize, type LazyTensor } from '../../compiler/ir/graph.js';
import { Tensor } from '../../compiler/ir/tensor.js';
import { onnx, type TensorProto } from '../../compiler/onnx/proto.js';
import { tensorFromProto, tensorToProto } from '../../compiler/onnx/tensor.js';

/** The messages of the CompileError `f` throws. */
function errorsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics.map((d) => d.message);
    throw e;
  }
  throw new Error('expected a CompileError');
}

/** A protobufjs-style 64-bit value (what the decoder returns and the encoder accepts) of a BigInt. */
function long(v: bigint, unsigned = false): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned };
}

/** Six values per dtype, including each type's extremes. */
const SAMPLES: Record<DType, number[] | bigint[]> = {
  f32: [0, 1.5, -0.1, 3.4e38, -Infinity, 1e-40],
  f16: [0, 1, -2, 65504, 0.333, 2 ** -24],
  bf16: [0, 1, -2, 3.14159, 1e30, -1e-30],
  f64: [0, 0.1, -1e300, 5e-324, Math.PI, -7],
  i8: [-128, 127, -1, 0, 5, 3],
  u8: [255, 0, 1, 128, 7, 9],
  i16: [-32768, 32767, -1, 0, 300, 2],
  u16: [65535, 0, 1, 40000, 7, 8],
  i32: [-(2 ** 31), 2 ** 31 - 1, -1, 0, 123456, 9],
  u32: [4294967295, 0, 1, 2 ** 31, 77, 5],
  i64: [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, -5n, 0n, 42n],
  u64: [2n ** 64n - 1n, 0n, 2n ** 53n + 1n, 2n ** 63n, 1n, 3n],
  bool: [1, 0, 0, 1, 1, 0],
};

function sampleTensor(dtype: DType): Tensor {
  const values = SAMPLES[dtype];
  if (typeof values[0] === 'bigint') {
    const data = new (dtypeInfo(dtype).storage)(6) as BigInt64Array | BigUint64Array;
    (values as bigint[]).forEach((v, i) => (data[i] = v));
    return new Tensor(dtype, [2, 3], data);
  }
  return Tensor.fromNumbers(dtype, [2, 3], values as number[]);
}

/** The same tensor written in the typed field ONNX assigns to its dtype (built independently of the importer). */
function typedProto(t: Tensor): TensorProto {
  const base = { name: 't', dims: [...t.shape], dataType: dtypeInfo(t.dtype).onnx };
  const nums = Array.from(t.data as ArrayLike<number>);
  switch (t.dtype) {
    case 'f32': return { ...base, floatData: nums };
    case 'f64': return { ...base, doubleData: nums };
    case 'i64': return { ...base, int64Data: Array.from(t.data as BigInt64Array, (v) => long(v)) };
    case 'u64': return { ...base, uint64Data: Array.from(t.data as BigUint64Array, (v) => long(v, true)) };
    case 'u32': return { ...base, uint64Data: nums };
    default: return { ...base, int32Data: nums }; // i32 i8 u8 i16 u16 bool, f16/bf16 bits
  }
}

/** Encodes and decodes a TensorProto, as a model file would carry it. */
function roundTrip(p: TensorProto): TensorProto {
  return onnx.TensorProto.decode(onnx.TensorProto.encode(p).finish());
}

describe('storage forms', () => {
  for (const dtype of ALL_DTYPES) {
    it(`${dtype}: raw_data and the typed field give the same tensor`, () => {
      const ref = sampleTensor(dtype);
      const fromRaw = tensorFromProto(roundTrip(tensorToProto(ref, 't'))) as Tensor;
      const fromTyped = tensorFromProto(roundTrip(typedProto(ref))) as Tensor;
      for (const t of [fromRaw, fromTyped]) {
        expect(t).toBeInstanceOf(Tensor);
        expect(t.dtype).toBe(dtype);
        expect(t.shape).toEqual([2, 3]);
        expect(t.data).toBeInstanceOf(dtypeInfo(dtype).storage);
        expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(Array.from(ref.data as ArrayLike<unknown>));
      }
    });
  }

  it('keeps 64-bit integers exact in int64_data and uint64_data', () => {
    const i64 = tensorFromProto(roundTrip(typedProto(sampleTensor('i64')))) as Tensor;
    expect((i64.data as BigInt64Array)[1]).toBe(2n ** 63n - 1n);
    expect((i64.data as BigInt64Array)[2]).toBe(2n ** 53n + 1n);
    const u64 = tensorFromProto(roundTrip(typedProto(sampleTensor('u64')))) as Tensor;
    expect((u64.data as BigUint64Array)[0]).toBe(2n ** 64n - 1n);
  });

  it('accepts plain numbers in int64_data (as some writers produce)', () => {
    const t = tensorFromProto({ name: 'n', dims: [3], dataType: 7, int64Data: [-1, 0, 5] }) as Tensor;
    expect(Array.from(t.data as BigInt64Array)).toEqual([-1n, 0n, 5n]);
  });

  it('normalizes bool int32_data to 0/1', () => {
    const t = tensorFromProto({ name: 'b', dims: [3], dataType: 9, int32Data: [0, 2, 1] }) as Tensor;
    expect(Array.from(t.data as Uint8Array)).toEqual([0, 1, 1]);
  });

  it('decodes a scalar and an empty tensor', () => {
    const s = tensorFromProto({ name: 's', dims: [], dataType: 1, floatData: [2.5] }) as Tensor;
    expect(s.shape).toEqual([]);
    expect(s.get(0)).toBe(2.5);
    const e = tensorFromProto({ name: 'e', dims: [0, 3], dataType: 1 }) as Tensor;
    expect(e.shape).toEqual([0, 3]);
    expect(e.size).toBe(0);
  });
});

describe('half-precision bit patterns', () => {
  it('reads f16 raw bytes little-endian', () => {
    // 1.0 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff, 2^-24 = 0x0001, +inf = 0x7c00, 0.5 = 0x3800
    const raw = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c, 0x00, 0x38]);
    const t = tensorFromProto({ name: 'h', dims: [6], dataType: 10, rawData: raw }) as Tensor;
    expect(Array.from(t.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3800]);
    expect(t.toNumbers()).toEqual([1, -2, 65504, 2 ** -24, Infinity, 0.5]);
  });

  it('reads f16 bits from int32_data', () => {
    const t = tensorFromProto({ name: 'h', dims: [2], dataType: 10, int32Data: [0x3c00, 0xbc00] }) as Tensor;
    expect(t.toNumbers()).toEqual([1, -1]);
  });

  it('reads bf16 raw bytes and int32_data bits', () => {
    // 1.0 = 0x3f80, -2 = 0xc000, 3.140625 = 0x4049
    const raw = new Uint8Array([0x80, 0x3f, 0x00, 0xc0, 0x49, 0x40]);
    const a = tensorFromProto({ name: 'b', dims: [3], dataType: 16, rawData: raw }) as Tensor;
    const b = tensorFromProto({ name: 'b', dims: [3], dataType: 16, int32Data: [0x3f80, 0xc000, 0x4049] }) as Tensor;
    expect(a.toNumbers()).toEqual([1, -2, 3.140625]);
    expect(Array.from(b.data as Uint16Array)).toEqual(Array.from(a.data as Uint16Array));
  });
});

describe('raw_data alignment', () => {
  const values = [1, -2.5, 3.25];
  const bytes = new Uint8Array(Float32Array.from(values).buffer);

  it('views aligned raw_data without copying', () => {
    const buf = new Uint8Array(16);
    buf.set(bytes, 4);
    const raw = buf.subarray(4, 16);
    const t = tensorFromProto({ name: 'a', dims: [3], dataType: 1, rawData: raw }) as Tensor;
    expect(t.data.buffer).toBe(buf.buffer);
    expect(t.toNumbers()).toEqual(values);
  });

  it('copies misaligned raw_data', () => {
    const buf = new Uint8Array(16);
    buf.set(bytes, 1);
    const raw = buf.subarray(1, 13);
    const t = tensorFromProto({ name: 'a', dims: [3], dataType: 1, rawData: raw }) as Tensor;
    expect(t.data.buffer).not.toBe(buf.buffer);
    expect(t.toNumbers()).toEqual(values);
  });
});

describe('tensor errors', () => {
  it('checks raw_data length against the dims', () => {
    const p = { name: 'w', dims: [2, 3], dataType: 1, rawData: new Uint8Array(20) };
    expect(errorsOf(() => tensorFromProto(p))).toEqual(["tensor 'w': f32[2, 3] needs 24 bytes, but its raw_data holds 20 bytes"]);
  });

  it('checks the typed field length against the dims', () => {
    const p = { name: 'w', dims: [4], dataType: 7, int64Data: [1, 2, 3] };
    expect(errorsOf(() => tensorFromProto(p))).toEqual(["tensor 'w': i64[4] needs 4 elements, but its int64_data holds 3 elements"]);
  });

  it('names the field the dtype needs when the data is in another one', () => {
    const p = { name: 'w', dims: [2], dataType: 10, floatData: [1, 2] };
    expect(errorsOf(() => tensorFromProto(p))).toEqual(["tensor 'w': f16[2] needs 2 elements, but its int32_data holds 0 elements"]);
  });

  it('refuses negative dims', () => {
    const p = { name: 'w', dims: [2, -1], dataType: 1 };
    expect(errorsOf(() => tensorFromProto(p))).toEqual(["tensor 'w': invalid dimensions [2, -1]"]);
  });

  it('refuses string, complex and float8 tensors', () => {
    expect(errorsOf(() => tensorFromProto({ name: 's', dims: [1], dataType: 8, stringData: [new Uint8Array([65])] })))
      .toEqual(["tensor 's': data type STRING is not supported"]);
    expect(errorsOf(() => tensorFromProto({ name: 'c', dims: [1], dataType: 14, floatData: [1, 2] })))
      .toEqual(["tensor 'c': data type COMPLEX64 is not supported"]);
    expect(errorsOf(() => tensorFromProto({ name: 'q', dims: [1], dataType: 17, rawData: new Uint8Array(1) })))
      .toEqual(["tensor 'q': data type FLOAT8E4M3FN is not supported"]);
  });
});

describe('external data', () => {
  let tmp: string;
  let dir: string;
  const values = [1, 2, 3, 4, 5, 6];

  /** weights.bin: 16 bytes of header, then six f32 values (24 bytes). */
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-ext-'));
    dir = path.join(tmp, 'model');
    fs.mkdirSync(dir);
    const file = new Uint8Array(40);
    file.set(new Uint8Array(Float32Array.from(values).buffer), 16);
    fs.writeFileSync(path.join(dir, 'weights.bin'), file);
    fs.writeFileSync(path.join(tmp, 'secret.bin'), file);
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.symlinkSync(path.join(tmp, 'secret.bin'), path.join(dir, 'escape.bin'));
    fs.symlinkSync(path.join(dir, 'weights.bin'), path.join(dir, 'alias.bin'));
    fs.symlinkSync(dir, path.join(tmp, 'linked-model'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function ext(location: string, offset?: number, length?: number, dims = [2, 3]): TensorProto {
    const entries = [{ key: 'location', value: location }];
    if (offset !== undefined) entries.push({ key: 'offset', value: String(offset) });
    if (length !== undefined) entries.push({ key: 'length', value: String(length) });
    return roundTrip({ name: 'w', dims, dataType: 1, dataLocation: 1, externalData: entries });
  }

  it('reads a byte range lazily', () => {
    const c = tensorFromProto(ext('weights.bin', 16, 24), { baseDir: dir });
    expect(isLazy(c)).toBe(true);
    const lazy = c as LazyTensor;
    expect(lazy.dtype).toBe('f32');
    expect(lazy.shape).toEqual([2, 3]);
    expect(lazy.byteLength).toBe(24);
    expect(lazy.load().toNumbers()).toEqual(values);
    expect(materialize(lazy).shape).toEqual([2, 3]);
  });

  it('reads the bytes only when load() is called', () => {
    const file = path.join(dir, 'late.bin');
    fs.writeFileSync(file, new Uint8Array(8));
    const lazy = tensorFromProto(ext('late.bin', 0, 8, [2]), { baseDir: dir }) as LazyTensor;
    fs.writeFileSync(file, new Uint8Array(Float32Array.from([7, 8]).buffer));
    expect(lazy.load().toNumbers()).toEqual([7, 8]);
  });

  it('defaults offset to 0 and length to the rest of the file', () => {
    const lazy = tensorFromProto(ext('weights.bin', undefined, undefined, [10]), { baseDir: dir }) as LazyTensor;
    expect(lazy.byteLength).toBe(40);
    expect(lazy.load().toNumbers().slice(4)).toEqual(values);
  });

  it('follows a symlink that stays inside the folder, and a model folder reached through a symlink', () => {
    expect((tensorFromProto(ext('alias.bin', 16, 24), { baseDir: dir }) as LazyTensor).load().toNumbers()).toEqual(values);
    const viaLink = path.join(tmp, 'linked-model');
    expect((tensorFromProto(ext('weights.bin', 16, 24), { baseDir: viaLink }) as LazyTensor).load().toNumbers()).toEqual(values);
  });

  it('refuses locations outside the model folder', () => {
    const outside = (loc: string) =>
      `tensor 'w': external data location '${loc}' is outside the model's folder; refusing to read it`;
    expect(errorsOf(() => tensorFromProto(ext('../secret.bin', 16, 24), { baseDir: dir }))).toEqual([outside('../secret.bin')]);
    expect(errorsOf(() => tensorFromProto(ext('sub/../../secret.bin', 16, 24), { baseDir: dir }))).toEqual([outside('sub/../../secret.bin')]);
    const abs = path.join(tmp, 'secret.bin');
    expect(errorsOf(() => tensorFromProto(ext(abs, 16, 24), { baseDir: dir }))).toEqual([outside(abs)]);
    expect(errorsOf(() => tensorFromProto(ext('escape.bin', 16, 24), { baseDir: dir }))).toEqual([outside('escape.bin')]);
  });

  it('reports a missing file, a directory, a short file and a wrong length', () => {
    expect(errorsOf(() => tensorFromProto(ext('nope.bin', 0, 24), { baseDir: dir })))
      .toEqual([`tensor 'w': external data file 'nope.bin' not found (looked for ${path.join(dir, 'nope.bin')})`]);
    expect(errorsOf(() => tensorFromProto(ext('sub', 0, 24), { baseDir: dir })))
      .toEqual(["tensor 'w': external data location 'sub' is not a regular file"]);
    expect(errorsOf(() => tensorFromProto(ext('weights.bin', 32, 24), { baseDir: dir })))
      .toEqual(["tensor 'w': external data 'weights.bin' holds 40 bytes, but offset 32 + length 24 goes past its end"]);
    expect(errorsOf(() => tensorFromProto(ext('weights.bin', 16, 16), { baseDir: dir })))
      .toEqual(["tensor 'w': f32[2, 3] needs 24 bytes, but its external data 'weights.bin' holds 16 bytes"]);
  });

  it('needs the model folder', () => {
    expect(errorsOf(() => tensorFromProto(ext('weights.bin', 16, 24))))
      .toEqual(["tensor 'w': external data needs the model's folder, but the model was given as bytes"]);
  });
});
