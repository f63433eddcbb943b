// Writing bundles: atomic replacement, refusal to clobber other directories, and byte-identical output.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { BundleWriteError, buildManifest, manifestText, sha256, stableJson, writeBundle } from '../backends/bundle.js';
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
    expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(manifestText(b.manifest));
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

/** Runs a TypeScript snippet in a fresh node process (tsx), from the repository root. */
function child(script: string): ChildProcess {
  const file = path.join(tmp(), 'child.mts');
  fs.writeFileSync(file, script);
  return spawn(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

const src = (rel: string) => JSON.stringify(pathToFileURL(path.join(ROOT, rel)).href);

function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Resolves when `test` holds, checking every 2 ms (rejects after `ms`). */
async function until(test: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('writeBundle killed mid-way (SIGKILL)', () => {
  /** A child that writes a large bundle (8 x 4 MiB files, each fsynced) into dir, slowly enough to be caught. */
  const bigWriter = (dir: string) => child(`
    import { fakeBundle } from ${src('test/runtime/fake-bundle.ts')};
    import { writeBundle } from ${src('backends/bundle.ts')};
    const b = fakeBundle(7);
    const files = { ...b.files };
    for (let i = 0; i < 8; i++) files['pad' + i + '.bin'] = new Uint8Array(4 << 20).fill(i);
    writeBundle(${JSON.stringify(dir)}, { manifest: b.manifest, files });
    console.log('written');
  `);

  it('leaves no bundle when it had none, and only a hidden staging directory that the next write removes', async () => {
    const parent = tmp();
    const dir = path.join(parent, 'out');
    const p = bigWriter(dir);
    const done = exited(p);
    await until(() => fs.readdirSync(parent).some((n) => n.startsWith('.out.tmp-')), 30_000);
    p.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const left = fs.readdirSync(parent);
    expect(left.filter((n) => !n.startsWith('.out.tmp-'))).toEqual([]);
    expect(left.length).toBe(1);
    writeBundle(dir, fakeBundle());
    expect(fs.readdirSync(parent)).toEqual(['out']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).symbols.n.max).toBe(1 << 20);
  }, 60_000);

  it('leaves the previous bundle intact', async () => {
    const parent = tmp();
    const dir = path.join(parent, 'out');
    writeBundle(dir, fakeBundle(3));
    const before = tree(dir);
    const p = bigWriter(dir);
    const done = exited(p);
    await until(() => fs.readdirSync(parent).some((n) => n.startsWith('.out.tmp-')), 30_000);
    p.kill('SIGKILL');
    await done;
    expect(tree(dir)).toEqual(before);
    writeBundle(dir, fakeBundle(5));
    expect(fs.readdirSync(parent)).toEqual(['out']);
  }, 60_000);

  it('puts a set-aside bundle back when its writer died between the two renames', () => {
    const parent = tmp();
    const dir = path.join(parent, 'out');
    writeBundle(dir, fakeBundle(3));
    const before = tree(dir);
    // What a writer killed after moving the old bundle aside leaves: no 'out', the old one hidden.
    const dead = 2 ** 22 + 12345; // above Linux's default pid_max of 2^22: never a live process
    fs.renameSync(dir, path.join(parent, `.out.old-${dead}-0badc0de`));
    fs.mkdirSync(path.join(parent, `.out.tmp-${dead}-0badc0de`));
    fs.writeFileSync(path.join(parent, 'other'), 'untouched');
    expect(() => writeBundle(dir, { manifest: fakeBundle().manifest, files: { ...fakeBundle().files, a: new Uint8Array(1), 'a/b': new Uint8Array(1) } })).toThrow(BundleWriteError);
    expect(fs.readdirSync(parent).sort()).toEqual(['other', 'out']);
    expect(tree(dir)).toEqual(before);
  });
});

describe.skipIf(!HAS_SPINE)('compiled bundles', () => {
  it('a failing compile leaves no directory, and leaves a previous bundle intact', async () => {
    const { main } = await import('../cli/main.js');
    const { memoryIo } = await import('../cli/io.js');
    const parent = tmp();
    const junk = path.join(parent, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model');
    const out = path.join(parent, 'out');
    expect(await main(['compile', junk, '-o', out], memoryIo())).toBe(1);
    expect(fs.readdirSync(parent)).toEqual(['junk.onnx']);

    expect(await main(['compile', EXAMPLE, '-o', out, '--max-shape', 'seq=8', '--max-shape', 'batch=1'], memoryIo())).toBe(0);
    const before = tree(out);
    expect(await main(['compile', junk, '-o', out], memoryIo())).toBe(1);
    const io = memoryIo();
    expect(await main(['compile', EXAMPLE, '-o', out, '--max-shape', 'seq=65536', '--max-shape', 'batch=65536'], io)).toBe(1);
    expect(io.stderr).toMatch(/^error XFC0112: at --max-shape batch=65536 seq=65536 the model needs/);
    expect(tree(out)).toEqual(before);
    expect(fs.readdirSync(parent).sort()).toEqual(['junk.onnx', 'out']);
  });

  it('a compile killed mid-way leaves no bundle and no temporary directory', async () => {
    const parent = tmp();
    const dir = path.join(parent, 'out');
    const p = child(`
      import { compileModel } from ${src('cli/compile.ts')};
      import { writeBundle } from ${src('backends/bundle.ts')};
      console.log('compiling');
      const c = await compileModel(${JSON.stringify(EXAMPLE)}, { report: true });
      writeBundle(${JSON.stringify(dir)}, c.contents);
      console.log('written');
    `);
    const done = exited(p);
    let said = '';
    p.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    await until(() => said.includes('compiling'), 30_000);
    await new Promise((r) => setTimeout(r, 300));
    p.kill('SIGKILL');
    const r = await done;
    expect(r.stdout).not.toContain('written');
    expect(fs.readdirSync(parent)).toEqual([]);
  }, 60_000);

  it('the same model and options give byte-identical bundles, in one process and across processes', async () => {
    const { compileModel } = await import('../cli/compile.js');
    const a = path.join(tmp(), 'a');
    const b = path.join(tmp(), 'b');
    const compileInChild = (dir: string) => exited(child(`
      import { main } from ${src('cli/main.ts')};
      process.exitCode = await main(['compile', ${JSON.stringify(EXAMPLE)}, '-o', ${JSON.stringify(dir)}, '--max-shape', 'seq=64', '--report']);
    `));
    const c = path.join(tmp(), 'c');
    const d = path.join(tmp(), 'd');
    const children = Promise.all([compileInChild(c), compileInChild(d)]);
    writeBundle(a, (await compileModel(EXAMPLE, { maxShape: { seq: 64 }, report: true })).contents);
    writeBundle(b, (await compileModel(EXAMPLE, { maxShape: { seq: 64 }, report: true })).contents);
    for (const r of await children) expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(tree(a)).sort()).toEqual(['manifest.json', 'model.relaxed.wasm', 'model.wasm', 'report.json', 'weights.bin']);
    expect(tree(a)).toEqual(tree(b));
    expect(tree(c)).toEqual(tree(a));
    expect(tree(d)).toEqual(tree(a));
    // The comparison can fail: another option changes the bytes.
    const e = path.join(tmp(), 'e');
    writeBundle(e, (await compileModel(EXAMPLE, { maxShape: { seq: 32 }, report: true })).contents);
    expect(tree(e)['manifest.json']).not.toEqual(tree(a)['manifest.json']);
  }, 120_000);
});
