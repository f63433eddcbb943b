// Integrity of bundle files: size and sha256 (WebCrypto, in browsers and Node 20) against the manifest.

import { IntegrityError } from './errors.js';
import type { FileEntry } from './manifest.js';

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new IntegrityError('cannot verify bundle files: WebCrypto (crypto.subtle) is not available here (browsers expose it only on secure origins: https or localhost)');
  const digest = new Uint8Array(await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Throws an IntegrityError when `data` is not the file the manifest describes (truncated, changed, replaced). */
export async function verifyFile(entry: FileEntry, data: Uint8Array, where: string): Promise<void> {
  if (data.byteLength !== entry.bytes) {
    const how = data.byteLength < entry.bytes ? 'truncated' : 'longer than expected';
    throw new IntegrityError(`${where} is ${how}: it holds ${data.byteLength} bytes, the manifest says ${entry.bytes}`);
  }
  const actual = await sha256Hex(data);
  if (actual !== entry.sha256) {
    throw new IntegrityError(`${where} is corrupt or was modified: its sha256 is ${actual}, the manifest says ${entry.sha256}`);
  }
}
