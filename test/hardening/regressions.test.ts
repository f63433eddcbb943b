// Every file in fixtures/broken/regressions (inputs the fuzzer once crashed on, minimized) is rejected with a
// clean diagnostic: in-process import, `xfc inspect` and `xfc run`; entries of the manifest with their codes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompileError } from '../../compiler/diagnostics.js';
import { importOnnxFile } from '../../compiler/onnx/import.js';
import { BROKEN, expectCleanFailure, manifest, scratchCorpus, xfc } from './corpus.js';

const REGRESSIONS = path.join(BROKEN, 'regressions');
const files = fs.readdirSync(REGRESSIONS).filter((f) => f.endsWith('.onnx')).sort();

let dir: string;
beforeAll(() => {
  dir = path.join(scratchCorpus(), 'regressions');
});
afterAll(() => {
  fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
});

describe.each(files)('regressions/%s', (file) => {
  const entry = manifest.regressions.find((r) => r.file === file);

  it('has a manifest entry saying what was found', () => {
    expect(entry?.found).toBeTruthy();
  });

  it('imports or fails with one-line diagnostics, nothing else', () => {
    try {
      importOnnxFile(path.join(dir, file));
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      for (const d of (e as CompileError).diagnostics) expect(d.message).not.toMatch(/[\n\r]/);
      if (entry && entry.codes.length > 0) expect((e as CompileError).diagnostics.map((d) => d.code)).toEqual(entry.codes);
      return;
    }
    expect(entry?.codes ?? []).toEqual([]);
  });

  it('xfc inspect and xfc run fail cleanly', async () => {
    if (!entry) return;
    if (entry.codes.length > 0) {
      expectCleanFailure(await xfc('inspect', path.join(dir, file)), 1, entry.codes, entry.names);
      expectCleanFailure(await xfc('run', path.join(dir, file)), 1, entry.codes, entry.names);
    }
    if (entry.run) {
      const inputs = Object.entries(entry.run.inputs).flatMap(([name, f]) => ['-i', `${name}=${path.join(dir, f)}`]);
      expectCleanFailure(await xfc('run', path.join(dir, file), ...inputs), entry.run.exit, entry.run.codes, entry.run.names);
    }
  });
});
