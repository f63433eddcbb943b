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

/** The first `n` primes. */
function primes(n: number): number[] {
  const out: number[] = [];
  for (let k = 2; out.length < n; k++) if (out.every((p) => k % p)) out.push(k);
  return out;
}

/** The first 32 bits of the fractional part of `root(p)` (FIPS 180-4 section 4.2.2 and 5.3.3's constants). In
 * float64 these roots are within a few ulps (2^-49) of exact, and no fraction lies within 2^-37 of a 2^-32 step
 * (checked once in Node), so every engine truncates to the published values; test/runtime checks the digests. */
const fraction32 = (root: (p: number) => number, n: number): Int32Array => Int32Array.from(primes(n), (p) => (root(p) % 1) * 2 ** 32);

const K = fraction32(Math.cbrt, 64);
const H0 = fraction32(Math.sqrt, 8);

/** Rotates a 32-bit word right by n. */
const ror = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** SHA-256 (FIPS 180-4) in plain JavaScript, incremental. */
export class Sha256 implements Hasher {
  private readonly h = H0.slice();
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
    const { w, h } = this;
    for (let p = from; p < to; p += 64) {
      for (let i = 0; i < 16; i++) {
        const q = p + 4 * i;
        w[i] = (data[q]! << 24) | (data[q + 1]! << 16) | (data[q + 2]! << 8) | data[q + 3]!;
      }
      for (let i = 16; i < 64; i++) {
        const a = w[i - 15]!, b = w[i - 2]!;
        w[i] = w[i - 16]! + (ror(a, 7) ^ ror(a, 18) ^ (a >>> 3)) + w[i - 7]! + (ror(b, 17) ^ ror(b, 19) ^ (b >>> 10));
      }
      let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
      for (let i = 0; i < 64; i++) {
        const t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!;
        const t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0]! += a; h[1]! += b; h[2]! += c; h[3]! += d; h[4]! += e; h[5]! += f; h[6]! += g; h[7]! += hh;
    }
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
