// Integrity of bundle files: incremental SHA-256 (node:crypto in Node, plain JS elsewhere) and the checks against
// the manifest's sizes and hashes.
//
// The hash is incremental so that a weights file is verified while it streams into wasm memory, with no second
// copy of it anywhere (WebCrypto's digest() takes the whole input at once and copies it). The JS implementation
// also works where WebCrypto does not (plain-http origins) and uses no dynamic code.

import { IntegrityError } from './errors.js';
import type { FileEntry } from './manifest.js';

/** An incremental SHA-256: feed the bytes in order, then read the hex digest once. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  /** Lowercase hex; the hasher cannot be used afterwards. */
  hex(): string;
}

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 (FIPS 180-4) in plain JavaScript, incremental. */
export class Sha256 implements Hasher {
  private readonly h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  private readonly w = new Int32Array(64);
  /** A partial block carried between updates. */
  private readonly pending = new Uint8Array(64);
  private pendingLength = 0;
  private length = 0;
  private done = false;

  update(data: Uint8Array): void {
    if (this.done) throw new Error('Sha256: update() after hex()');
    this.length += data.length;
    let pos = 0;
    if (this.pendingLength > 0) {
      const take = Math.min(64 - this.pendingLength, data.length);
      this.pending.set(data.subarray(0, take), this.pendingLength);
      this.pendingLength += take;
      pos = take;
      if (this.pendingLength < 64) return;
      this.blocks(this.pending, 0, 64);
      this.pendingLength = 0;
    }
    const whole = pos + ((data.length - pos) & ~63);
    if (whole > pos) this.blocks(data, pos, whole);
    this.pending.set(data.subarray(whole), 0);
    this.pendingLength = data.length - whole;
  }

  hex(): string {
    if (this.done) throw new Error('Sha256: hex() called twice');
    const bits = this.length * 8;
    const tail = new Uint8Array(this.pendingLength + 9 <= 64 ? 64 : 128);
    tail.set(this.pending.subarray(0, this.pendingLength));
    tail[this.pendingLength] = 0x80;
    const view = new DataView(tail.buffer);
    view.setUint32(tail.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(tail.length - 4, bits >>> 0);
    this.blocks(tail, 0, tail.length);
    this.done = true;
    let out = '';
    for (const v of this.h) out += (v >>> 0).toString(16).padStart(8, '0');
    return out;
  }

  /** Compresses the 64-byte blocks of data[from, to). */
  private blocks(data: Uint8Array, from: number, to: number): void {
    const w = this.w;
    const h = this.h;
    let h0 = h[0]!, h1 = h[1]!, h2 = h[2]!, h3 = h[3]!, h4 = h[4]!, h5 = h[5]!, h6 = h[6]!, h7 = h[7]!;
    for (let p = from; p < to; p += 64) {
      for (let i = 0; i < 16; i++) {
        const q = p + 4 * i;
        w[i] = (data[q]! << 24) | (data[q + 1]! << 16) | (data[q + 2]! << 8) | data[q + 3]!;
      }
      for (let i = 16; i < 64; i++) {
        const a = w[i - 15]!, b = w[i - 2]!;
        const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
      }
      let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
      for (let i = 0; i < 64; i++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
      h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
    }
    h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
  }
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** A hasher: Node's native one where available (faster), else the JS one. `js: true` forces the JS one. */
export async function createHasher(options: { js?: boolean } = {}): Promise<Hasher> {
  if (!options.js && isNode()) {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256');
    return { update: (chunk) => void hash.update(chunk), hex: () => hash.digest('hex') };
  }
  return new Sha256();
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const h = await createHasher();
  h.update(data);
  return h.hex();
}

/** Throws an IntegrityError naming the file when its size differs from the manifest's (before reading it all). */
export function checkSize(entry: FileEntry, actual: number, where: string): void {
  if (actual !== entry.bytes) {
    const how = actual < entry.bytes ? 'truncated' : 'longer than expected';
    throw new IntegrityError(`${where} is ${how}: it holds ${actual} bytes, the manifest says ${entry.bytes}`);
  }
}

/** Throws an IntegrityError when a digest is not the one the manifest records. */
export function checkDigest(entry: FileEntry, actual: string, where: string): void {
  if (actual !== entry.sha256) {
    throw new IntegrityError(`${where} is corrupt or was modified: its sha256 is ${actual}, the manifest says ${entry.sha256}`);
  }
}

/** Throws an IntegrityError when `data` is not the file the manifest describes (truncated, changed, replaced). */
export async function verifyFile(entry: FileEntry, data: Uint8Array, where: string): Promise<void> {
  checkSize(entry, data.byteLength, where);
  checkDigest(entry, await sha256Hex(data), where);
}
