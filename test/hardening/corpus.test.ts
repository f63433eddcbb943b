// The broken-model corpus (fixtures/broken, written by scripts/make_broken.ts): `xfc inspect` and `xfc run`
// reject every model with exit code 1, the exact diagnostic codes, the node or tensor named, one line per
// problem and no stack trace; run-time bombs fail before they allocate.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKEN, canMakeFifo, expectCleanFailure, manifest, scratchCorpus, xfc } from './corpus.js';

let dir: string;
beforeAll(() => {
  dir = scratchCorpus();
});
afterAll(() => {
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

const needsFifo = (c: { setup?: string[] }) => (c.setup ?? []).some((s) => s.includes('fifo'));

describe('the corpus', () => {
  it('is what scripts/make_broken.ts writes, and covers every kind of problem the issue lists', () => {
    const files = new Set(manifest.cases.map((c) => c.file));
    for (const f of ['empty.onnx', 'random.onnx', 'truncated.onnx', 'cycle.onnx', 'undefined-input.onnx',
      'external-traversal.onnx', 'external-absolute.onnx', 'external-symlink-out.onnx', 'external-device.onnx',
      'huge-initializer.onnx', 'negative-dims.onnx', 'shape-conflict.onnx', 'short-raw-data.onnx',
      'unsupported-ops.onnx', 'wrong-dtype.onnx', 'duplicate-names.onnx']) {
      expect(files).toContain(f);
    }
    for (const c of manifest.cases) {
      if (!c.setup?.includes(c.file)) expect(fs.existsSync(path.join(BROKEN, c.file)), c.file).toBe(true);
    }
    // Commit-sized: kilobytes.
    const total = fs.readdirSync(BROKEN, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile()).reduce((a, e) => a + fs.statSync(path.join(e.parentPath, e.name)).size, 0);
    expect(total).toBeLessThan(256 * 1024);
  });
});

describe.each(manifest.cases.filter((c) => c.codes.length > 0))('$file ($what)', (c) => {
  it.skipIf(needsFifo(c) && !canMakeFifo)('xfc inspect fails cleanly', async () => {
    expectCleanFailure(await xfc('inspect', path.join(dir, c.file)), 1, c.codes, c.names);
  });

  it.skipIf(needsFifo(c) && !canMakeFifo)('xfc run fails cleanly', async () => {
    expectCleanFailure(await xfc('run', path.join(dir, c.file)), 1, c.codes, c.names);
  });

  it.skipIf(needsFifo(c) && !canMakeFifo)('--verbose adds the stack trace', async () => {
    const r = await xfc('--verbose', 'inspect', path.join(dir, c.file));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe.each(manifest.cases.filter((c) => c.run))('$file at run time ($what)', (c) => {
  it('imports (xfc inspect succeeds)', async () => {
    const r = await xfc('inspect', path.join(dir, c.file));
    expect(r.code, r.stderr).toBe(0);
  });

  it('xfc run fails cleanly, before allocating the result', async () => {
    const inputs = Object.entries(c.run!.inputs).flatMap(([name, file]) => ['-i', `${name}=${path.join(dir, file)}`]);
    const before = process.memoryUsage().rss;
    const r = await xfc('run', path.join(dir, c.file), ...inputs);
    expectCleanFailure(r, c.run!.exit, c.run!.codes, c.run!.names);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 2 ** 20);
  });
});
