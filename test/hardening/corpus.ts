// Shared by the corpus and regression tests: a scratch copy of fixtures/broken with its special files, and the
// checks that a CLI failure is clean (exit code, one line per problem, exact codes, names, no stack trace).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { main } from '../../cli/main.js';
import { memoryIo } from '../../cli/io.js';
import { FIXTURES } from '../fixtures.js';
import type { BrokenCase } from '../../scripts/make_broken.js';

export const BROKEN = path.join(FIXTURES, 'broken');

/** fixtures/broken/manifest.json: its entries' type comes from the script that writes it (type-only: nothing runs). */
export const manifest: { cases: BrokenCase[]; regressions: BrokenCase[] } =
  JSON.parse(fs.readFileSync(path.join(BROKEN, 'manifest.json'), 'utf8'));

export async function xfc(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** Whether this system can make FIFOs (mkfifo); FIFO cases are skipped where it cannot. */
export const canMakeFifo = process.platform !== 'win32' && spawnSync('mkfifo', ['--version']).status === 0;

/**
 * A scratch copy of fixtures/broken with the files no repository should hold: symlinks out of the folder and
 * to /dev/zero, a FIFO, a folder where a file is expected, and a secret next to the folder.
 */
export function scratchCorpus(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-broken-'));
  const dir = path.join(root, 'models');
  fs.cpSync(BROKEN, dir, { recursive: true });
  fs.writeFileSync(path.join(root, 'secret.bin'), new Uint8Array(24));
  fs.writeFileSync(path.join(root, 'outside.bin'), new Uint8Array(24));
  fs.symlinkSync(path.join(root, 'outside.bin'), path.join(dir, 'link-out.bin'));
  fs.symlinkSync('/dev/zero', path.join(dir, 'dev-zero.bin'));
  fs.symlinkSync('/dev/zero', path.join(dir, 'model-is-device.onnx'));
  fs.mkdirSync(path.join(dir, 'folder.bin'));
  if (canMakeFifo) {
    spawnSync('mkfifo', [path.join(dir, 'fifo.bin'), path.join(dir, 'model-is-fifo.onnx')]);
  }
  return dir;
}

/** Asserts a clean failure: the exit code, one `error XFCnnnn:` line per expected code, the names, no stack. */
export function expectCleanFailure(
  r: { code: number; stderr: string }, exit: number, codes: readonly string[], names: readonly string[],
): void {
  expect(r.code, r.stderr).toBe(exit);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/internal error/);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  if (codes.length > 0) {
    const errors = lines.filter((l) => /^error XFC\d{4}: /.test(l));
    expect(errors.map((l) => l.slice(6, 13)), r.stderr).toEqual(codes);
    // Nothing else but the count of errors when there are several.
    const rest = lines.filter((l) => !/^error XFC\d{4}: /.test(l));
    expect(rest).toEqual(codes.length > 1 ? [`${codes.length} errors`] : []);
  } else {
    // A usage error (exit 2): one line.
    expect(lines, r.stderr).toHaveLength(1);
  }
  for (const name of names) expect(r.stderr).toContain(name);
}
