// NumPy .npy files (format versions 1-3): read any numeric dtype into a Tensor, write a Tensor.

import { type DType, dtypeFromNumpy, dtypeInfo } from '../ir/dtype.js';
import { Tensor } from '../ir/tensor.js';
import { DEFAULT_LIMITS, checkedElementCount } from '../limits.js';
import { readRegularFile } from './file.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses .npy bytes; throws an Error with a one-line reason for anything malformed or unsupported. */
export function parseNpy(bytes: Uint8Array): Tensor {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new Error('not a NumPy .npy file (bad magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error('truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new Error(`unsupported .npy format version ${major}`);
  }
  if (headerStart + headerLen > bytes.length) throw new Error('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new Error(`malformed .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const bigEndian = descr.startsWith('>');
  const dtype = dtypeFromNumpy(bigEndian ? `<${descr.slice(1)}` : descr);
  if (!dtype) throw new Error(`unsupported NumPy dtype '${descr}'`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const n = /^[0-9]+L?$/.test(s) ? Number(s.replace(/L$/, '')) : NaN;
    if (!Number.isSafeInteger(n)) throw new Error(`invalid dimension '${s.slice(0, 40)}' in .npy header`);
    return n;
  });
  // Sizes are checked against the bytes present before anything is allocated.
  if (shape.length > DEFAULT_LIMITS.maxRank) throw new Error(`shape of rank ${shape.length} in .npy header (at most ${DEFAULT_LIMITS.maxRank})`);
  const info = dtypeInfo(dtype);
  const count = checkedElementCount(shape);
  if (count === undefined) throw new Error(`shape (${shape.join(', ')}) in .npy header has more than 2^53 elements`);
  const dataStart = headerStart + headerLen;
  const byteLength = count * info.bytes;
  if (bytes.length - dataStart < byteLength) {
    throw new Error(`truncated data: shape (${shape.join(', ')}) of ${descr} needs ${byteLength} bytes, the file has ${bytes.length - dataStart}`);
  }
  // A fresh, aligned copy: Node's Buffer#slice is a view into pooled memory, so copy explicitly.
  const copy = new Uint8Array(bytes.subarray(dataStart, dataStart + byteLength));
  if (bigEndian && info.bytes > 1) {
    for (let i = 0; i < copy.length; i += info.bytes) copy.subarray(i, i + info.bytes).reverse();
  }
  return new Tensor(dtype, shape, new info.storage(copy.buffer, 0, count));
}

/**
 * Reads and parses a .npy file, refusing what is not a regular file (a FIFO or a device would block or never
 * end) and files larger than `maxBytes`; throws an Error with a one-line reason.
 */
export function readNpyFile(file: string, maxBytes = DEFAULT_LIMITS.maxTensorBytes + 65536): Tensor {
  return parseNpy(readRegularFile(file, {
    maxBytes,
    notRegularFile: () => new Error('not a regular file'),
    tooLarge: (size) => new Error(`${size} bytes, more than the limit of ${maxBytes}`),
  }));
}

/** Encodes a tensor as a version-1 .npy file (little-endian, C order). */
export function encodeNpy(t: Tensor): Uint8Array {
  if (t.dtype === 'bf16') throw new Error('NumPy has no bfloat16; cast to f32 before writing .npy');
  const descr = dtypeInfo(t.dtype).numpy;
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + t.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(t.bytes(), 10 + header.length);
  return out;
}

export type { DType };
