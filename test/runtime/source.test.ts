// Node file source: readInto streams a file of several read chunks into the target in order (the next chunk's
// read overlaps the previous chunk's onChunk) and reports a file shorter or longer than the target.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openSource } from '../../runtime/source.js';

/** A directory holding `w.bin` of n pseudo-random bytes. */
function fileOf(n: number): { dir: string; bytes: Uint8Array } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-source-'));
  let s = 12345;
  const bytes = Uint8Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24));
  fs.writeFileSync(path.join(dir, 'w.bin'), bytes);
  return { dir, bytes };
}

describe('file source readInto', () => {
  it('streams a 3.3 MB file (four 1 MiB chunks) into the target, chunks contiguous and in order', async () => {
    const { dir, bytes } = fileOf(3_300_001);
    const target = new Uint8Array(bytes.length);
    const sizes: number[] = [];
    const chunks: [number, number][] = [];
    // Each chunk is copied when handed over: the bytes must already be final then.
    const seen = new Uint8Array(bytes.length);
    await openSource(dir).readInto('w.bin', target, (n) => sizes.push(n), (c) => {
      const at = c.byteOffset - target.byteOffset;
      chunks.push([at, c.length]);
      seen.set(c, at);
    });
    expect(sizes).toEqual([bytes.length]);
    expect(chunks.map(([at]) => at)).toEqual([0, 1 << 20, 2 << 20, 3 << 20]);
    expect(chunks.reduce((a, [, n]) => a + n, 0)).toBe(bytes.length);
    expect(Buffer.compare(Buffer.from(target), Buffer.from(bytes))).toBe(0);
    expect(Buffer.compare(Buffer.from(seen), Buffer.from(bytes))).toBe(0);
  });

  it('reports a file longer than the target by one byte read past its end, and a shorter one by its length', async () => {
    const { dir, bytes } = fileOf(2_100_000);
    const sizes: number[] = [];
    await openSource(dir).readInto('w.bin', new Uint8Array(bytes.length - 5), (n) => sizes.push(n), () => undefined);
    expect(sizes).toEqual([bytes.length, bytes.length - 5 + 1]);
    const shortSizes: number[] = [];
    await openSource(dir).readInto('w.bin', new Uint8Array(bytes.length + 7), (n) => shortSizes.push(n), () => undefined);
    expect(shortSizes).toEqual([bytes.length, bytes.length]);
  });

  it('lets a read in flight finish before closing when onChunk throws', async () => {
    const { dir, bytes } = fileOf(2_500_000);
    const failing = openSource(dir).readInto('w.bin', new Uint8Array(bytes.length), () => undefined, () => {
      throw new Error('hash failed');
    });
    await expect(failing).rejects.toThrow();
  });
});
