// Writing bundles: atomic replacement, refusal to clobber other directories, and byte-identical output.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BundleWriteError, buildManifest, sha256, stableJson, writeBundle } from '../backends/bundle.js';
import { fakeBundle } from './runtime/fake-bundle.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'tiny-bert.onnx');
const HAS_SPINE = fs.existsSync(path.join(ROOT, 'backends', 'wasm', 'index.ts'));

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-bundle-'));
}

/** Every file under dir, relative path -> bytes. */
function tree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = fs.readFileSync(path.join(e.parentPath, e.name));
  }
  return out;
}

describe('stableJson', () => {
  it('sorts keys at every level and ends with a newline', () => {
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{\n  "a": {\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n');
  });
});

describe('buildManifest', () => {
  it('records every file with its size and sha256, sorted by path', () => {
    const { manifest, files } = fakeBundle();
    expect(manifest.files.map((f) => f.path)).toEqual(['model.relaxed.wasm', 'model.wasm', 'weights.bin']);
    for (const f of manifest.files) {
      expect(f.bytes).toBe(files[f.path as keyof typeof files].byteLength);
      expect(f.sha256).toBe(sha256(files[f.path as keyof typeof files]));
    }
    expect(manifest.source).toEqual({ name: 'fake.onnx', sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81' });
    expect(manifest.features).toEqual({ required: ['simd128'], optional: ['relaxed-simd'] });
  });

  it('rejects --max-shape of a symbol the model does not have', () => {
    const { manifest, files } = fakeBundle();
    expect(() => buildManifest({
      schedule: { inputs: [], outputs: [] }, wasm: manifest.wasm!, source: { name: 'm', bytes: new Uint8Array() },
      files, options: {}, maxShape: { seq: 8 }, generator: 'x',
    })).toThrow("--max-shape seq: the model has no symbol 'seq' (symbols: n)");
  });
});

describe('writeBundle', () => {
  it('writes every file and the manifest, and nothing else in the parent', () => {
    const parent = tmp();
    const dir = path.join(parent, 'out');
    const b = fakeBundle();
    writeBundle(dir, b);
    expect(Object.keys(tree(dir)).sort()).toEqual(['manifest.json', 'model.relaxed.wasm', 'model.wasm', 'weights.bin']);
    expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(stableJson(b.manifest));
    expect(fs.readdirSync(parent)).toEqual(['out']);
  });

  it('is deterministic: the same contents give byte-identical bundles', () => {
    const a = path.join(tmp(), 'a');
    const b = path.join(tmp(), 'b');
    writeBundle(a, fakeBundle());
    writeBundle(b, fakeBundle());
    expect(tree(a)).toEqual(tree(b));
  });

  it('replaces an existing bundle in place, leaving no stale files or temporaries', () => {
    const parent = tmp();
    const dir = path.join(parent, 'out');
    writeBundle(dir, fakeBundle());
    fs.writeFileSync(path.join(dir, 'report.json'), '{}');
    const b = fakeBundle(64);
    writeBundle(dir, b);
    expect(Object.keys(tree(dir)).sort()).toEqual(['manifest.json', 'model.relaxed.wasm', 'model.wasm', 'weights.bin']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).symbols.n.max).toBe(64);
    expect(fs.readdirSync(parent)).toEqual(['out']);
  });

  it('writes into an existing empty directory', () => {
    const dir = tmp();
    writeBundle(dir, fakeBundle());
    expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(true);
  });

  it('refuses to overwrite a non-empty directory that is not a bundle, or a file', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'thesis.tex'), 'precious');
    expect(() => writeBundle(dir, fakeBundle())).toThrow(BundleWriteError);
    expect(() => writeBundle(dir, fakeBundle())).toThrow(/is a non-empty directory that is not an xfc bundle; refusing to overwrite it/);
    expect(fs.readdirSync(dir)).toEqual(['thesis.tex']);
    const file = path.join(tmp(), 'f');
    fs.writeFileSync(file, 'x');
    expect(() => writeBundle(file, fakeBundle())).toThrow(/exists and is not a directory; refusing to overwrite it/);
  });

  it('leaves nothing behind when writing fails half-way, and keeps the old bundle', () => {
    const parent = tmp();
    const dir = path.join(parent, 'out');
    const { manifest, files } = fakeBundle();
    // 'a' as a file, then 'a/b' needs 'a' to be a directory: the second write fails after the first succeeded.
    const broken = { manifest, files: { ...files, a: new Uint8Array([1]), 'a/b': new Uint8Array([2]) } };
    expect(() => writeBundle(dir, broken)).toThrow(/cannot write the bundle to/);
    expect(fs.readdirSync(parent)).toEqual([]);

    writeBundle(dir, { manifest, files });
    const before = tree(dir);
    expect(() => writeBundle(dir, broken)).toThrow(BundleWriteError);
    expect(tree(dir)).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual(['out']);
  });

  it('refuses file paths that leave the bundle', () => {
    const { manifest, files } = fakeBundle();
    const parent = tmp();
    for (const bad of ['../evil', '/abs', 'manifest.json', 'a//b']) {
      expect(() => writeBundle(path.join(parent, 'out'), { manifest, files: { ...files, [bad]: new Uint8Array(1) } })).toThrow(/paths must be relative/);
    }
    expect(fs.readdirSync(parent)).toEqual([]);
  });
});

describe.skipIf(!HAS_SPINE)('compiled bundles', () => {
  it('a failing compile leaves no directory', async () => {
    const { main } = await import('../cli/main.js');
    const { memoryIo } = await import('../cli/io.js');
    const parent = tmp();
    const junk = path.join(parent, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model');
    const io = memoryIo();
    expect(await main(['compile', junk, '-o', path.join(parent, 'out')], io)).toBe(1);
    expect(fs.readdirSync(parent)).toEqual(['junk.onnx']);
  });

  it('the same model and options give byte-identical bundles', async () => {
    const { compileModel } = await import('../cli/compile.js');
    const a = path.join(tmp(), 'a');
    const b = path.join(tmp(), 'b');
    writeBundle(a, (await compileModel(EXAMPLE, { maxShape: { seq: 64 }, report: true })).contents);
    writeBundle(b, (await compileModel(EXAMPLE, { maxShape: { seq: 64 }, report: true })).contents);
    expect(Object.keys(tree(a)).sort()).toEqual(['manifest.json', 'model.relaxed.wasm', 'model.wasm', 'report.json', 'weights.bin']);
    expect(tree(a)).toEqual(tree(b));
  });
});
