// The runtime end to end on a hand-written bundle: loading from memory, a directory and a file URL, feed
// validation, int64 widening, integrity checks, memory growth, backend selection.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadModel, BundleError, InputError, IntegrityError, UnsupportedError, hasRelaxedSimd } from '../../runtime/index.js';
import { manifestText, writeBundle } from '../../backends/bundle.js';
import { expected, fakeBundle } from './fake-bundle.js';

function inputs(n: number) {
  const x = Float32Array.from({ length: 4 * n }, (_, i) => Math.sin(i * 1.7) * 3);
  const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7) % 11) - 5n);
  return { x, ids };
}

function bundleDir(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-rt-')), 'bundle');
  const b = fakeBundle();
  writeBundle(dir, { manifest: b.manifest, files: b.files });
  return dir;
}

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('run() accepted the feeds');
}

describe('loadModel + run', () => {
  it('runs a bundle given in memory, at several symbol values', async () => {
    const model = await loadModel(fakeBundle().all, { backend: 'wasm' });
    expect(model.inputs.map((t) => `${t.name}:${t.dtype}[${t.shape.join(',')}]`)).toEqual(['x:float32[n,4]', 'ids:int64[n]']);
    expect(model.outputs).toEqual([{ name: 'y', dtype: 'float32', shape: ['n', 4] }]);
    for (const n of [1, 3, 17, 1000]) {
      const { x, ids } = inputs(n);
      const out = await model.run({ x: { data: x, dims: [n, 4] }, ids: { data: ids, dims: [n] } });
      expect(out.y!.dims).toEqual([n, 4]);
      expect(out.y!.dtype).toBe('float32');
      expect(out.y!.data).toEqual(expected(x, ids));
    }
  });

  it('reads a bundle directory (path and file: URL)', async () => {
    const dir = bundleDir();
    const { x, ids } = inputs(5);
    for (const source of [dir, `${dir}/`, pathToFileURL(dir), pathToFileURL(dir).href]) {
      const model = await loadModel(source);
      const out = await model.run({ x: { data: x, dims: [5, 4] }, ids: { data: ids, dims: [5] } });
      expect(out.y!.data).toEqual(expected(x, ids));
    }
  });

  it('fetches a bundle over http (as a browser would)', async () => {
    const dir = bundleDir();
    const server = http.createServer((req, res) => {
      const file = path.join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname.replace(/^\/models\/tiny\//, '')));
      if (!file.startsWith(dir) || !fs.existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200).end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models`;
      const model = await loadModel(`${base}/tiny`);
      const { x, ids } = inputs(3);
      expect((await model.run({ x: { data: x, dims: [3, 4] }, ids: { data: ids, dims: [3] } })).y!.data).toEqual(expected(x, ids));
      await expect(loadModel(new URL(`${base}/missing/`))).rejects.toThrow(`cannot fetch bundle file '${base}/missing/manifest.json': HTTP 404 Not Found`);
    } finally {
      server.close();
    }
  });

  it('takes int64 inputs as Int32Array and widens them (negative values too)', async () => {
    const model = await loadModel(fakeBundle().all);
    const { x, ids } = inputs(9);
    const ids32 = Int32Array.from(ids, (v) => Number(v));
    expect(ids32.some((v) => v < 0)).toBe(true);
    const out = await model.run({ x: { data: x, dims: [9, 4] }, ids: { data: ids32, dims: [9] } });
    expect(out.y!.data).toEqual(expected(x, ids));
  });

  it('returns fresh arrays that later runs do not overwrite, and grows memory for large inputs', async () => {
    const model = await loadModel(fakeBundle().all);
    const a = inputs(2);
    const first = await model.run({ x: { data: a.x, dims: [2, 4] }, ids: { data: a.ids, dims: [2] } });
    const snapshot = first.y!.data.slice();
    const n = 100_000; // 1.6 MB per float buffer: past the module's initial 64 KiB memory
    const b = inputs(n);
    const big = await model.run({ x: { data: b.x, dims: [n, 4] }, ids: { data: b.ids, dims: [n] } });
    const want = expected(b.x, b.ids);
    expect(big.y!.data.length).toBe(want.length);
    expect(big.y!.data.every((v, k) => v === want[k])).toBe(true);
    expect(first.y!.data).toEqual(snapshot);
    const again = await model.run({ x: { data: a.x, dims: [2, 4] }, ids: { data: a.ids, dims: [2] } });
    expect(again.y!.data).toEqual(snapshot);
  });

  it('refuses a call that needs more than 4 GiB of memory, and still runs smaller ones', async () => {
    const b = fakeBundle();
    const manifest = JSON.parse(new TextDecoder().decode(b.all['manifest.json'])) as { wasm: { buffers: { bytes: string }[] } };
    manifest.wasm.buffers[2]!.bytes = '2147483648*n-2147483632'; // 16 bytes at n = 1, 8 GiB at n = 5
    const model = await loadModel({ ...b.all, 'manifest.json': new TextEncoder().encode(manifestText(manifest as never)) });
    const { x, ids } = inputs(5);
    await expect(model.run({ x: { data: x, dims: [5, 4] }, ids: { data: ids, dims: [5] } })).rejects.toThrow(
      'this call needs 8.00 GiB of wasm memory, more than the 4 GiB a wasm32 module can address; use smaller inputs');
    await expect(model.run({ x: { data: x.subarray(0, 4), dims: [1, 4] }, ids: { data: ids.subarray(0, 1), dims: [1] } })).resolves.toBeDefined();
  });

  it('reports every feed problem in one error', async () => {
    const model = await loadModel(fakeBundle(8).all);
    const e = await inputError(model.run({
      x: { data: new Float64Array(12), dims: [3, 4] },
      ids: { data: new BigInt64Array(2), dims: [2] },
      mask: { data: new Uint8Array(1), dims: [1] },
    }));
    expect(e.problems).toEqual([
      "unknown input 'mask' (the model takes: x, ids)",
      "input 'x': dtype float32 must be given as Float32Array, got Float64Array",
      "input 'ids': dim 0 is 'n' = 2, but 'x' dim 0 gave 'n' = 3",
    ]);
    expect(e.message).toMatch(/^invalid inputs \(3 problems\):\n  - unknown input 'mask'/);

    const e2 = await inputError(model.run({ x: { data: new Float32Array(45), dims: [9, 5] } } as never));
    expect(e2.problems).toEqual([
      "input 'x': dim 1 must be 4, got 5",
      "missing input 'ids' (int64[n])",
      "'n' = 9 (from 'x' dim 0) is outside the range the bundle was compiled for: 1..8",
    ]);

    const e3 = await inputError(model.run({ x: { data: new Float32Array(8), dims: [2, 4, 1] }, ids: { data: new BigInt64Array(3), dims: [2] } }));
    expect(e3.problems).toEqual([
      "input 'x': expected rank 2 [n, 4], got dims [2, 4, 1] (rank 3)",
      "input 'ids': dims [2] need 2 elements, data holds 3",
    ]);
    expect(e3.message).toMatch(/^invalid inputs \(2 problems\)/);

    const e4 = await inputError(model.run({ x: { data: new Float32Array(0), dims: [0, 4] }, ids: { data: new BigInt64Array(0), dims: [0] } }));
    expect(e4.problems).toEqual(["'n' = 0 (from 'x' dim 0) is outside the range the bundle was compiled for: 1..8"]);
    expect(e4.message).toBe("invalid input: 'n' = 0 (from 'x' dim 0) is outside the range the bundle was compiled for: 1..8");
  });

  it('refuses feeds that are not { data, dims } objects, and does not read inherited properties', async () => {
    const model = await loadModel(fakeBundle(8).all);
    const x = { data: new Float32Array(4), dims: [1, 4] };
    const e = await inputError(model.run({ x: null, ids: 7 } as never));
    expect(e.problems).toEqual(["input 'x' must be { data, dims }, got null", "input 'ids' must be { data, dims }, got number"]);
    const e2 = await inputError(model.run({ x, ids: { data: new BigInt64Array(1) } } as never));
    expect(e2.problems).toEqual(['input \'ids\' must be { data, dims }, got an object with keys ["data"]']);
    const inherited = Object.assign(Object.create({ ids: { data: new BigInt64Array(1), dims: [1] } }), { x });
    expect((await inputError(model.run(inherited))).problems).toEqual(["missing input 'ids' (int64[n])"]);
    const e3 = await inputError(model.run({ x: { data: new Float32Array(4), dims: [1, 4.5] }, ids: { data: new BigInt64Array(1), dims: [2 ** 60] } }));
    expect(e3.problems).toEqual([
      "input 'x': dims must be an array of non-negative integers, got [1,4.5]",
      "input 'ids': dims must be an array of non-negative integers, got [1152921504606847000]",
    ]);
  });

  it('refuses a modified file by its sha256', async () => {
    const b = fakeBundle();
    const weights = b.all['weights.bin']!.slice();
    weights[3] ^= 1;
    await expect(loadModel({ ...b.all, 'weights.bin': weights })).rejects.toThrow(IntegrityError);
    await expect(loadModel({ ...b.all, 'weights.bin': weights })).rejects.toThrow(
      /^'weights.bin' \(in memory\) is corrupt or was modified: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}$/);
  });

  it('refuses a truncated file, naming it', async () => {
    const dir = bundleDir();
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 10));
    await expect(loadModel(dir)).rejects.toThrow(new RegExp(`^'${dir}/weights.bin' is truncated: it holds ${bytes.length - 10} bytes, the manifest says ${bytes.length}$`));
    fs.writeFileSync(file, bytes);
    const code = path.join(dir, 'model.wasm');
    fs.writeFileSync(code, fs.readFileSync(code).subarray(0, 20));
    await expect(loadModel(dir, { relaxedSimd: false })).rejects.toThrow(`'${dir}/model.wasm' is truncated: it holds 20 bytes`);
  });

  it('refuses a manifest of an unknown formatVersion, and a directory that is not a bundle', async () => {
    const b = fakeBundle();
    const manifest = JSON.parse(new TextDecoder().decode(b.all['manifest.json'])) as Record<string, unknown>;
    manifest.formatVersion = 99;
    const files = { ...b.all, 'manifest.json': new TextEncoder().encode(manifestText(manifest as never)) };
    await expect(loadModel(files)).rejects.toThrow(BundleError);
    await expect(loadModel(files)).rejects.toThrow(/formatVersion 99 is not supported by this runtime/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-rt-'));
    await expect(loadModel(empty)).rejects.toThrow(`'${empty}' is not an xfc bundle: it has no manifest.json`);
    await expect(loadModel({ 'manifest.json': b.all['manifest.json']! })).rejects.toThrow(/the bundle has no file 'model(\.relaxed)?\.wasm'/);
  });

  it("picks the backend: 'auto' is wasm for a wasm-only bundle, 'webgpu' needs a webgpu target (test/webgpu/bundle.test.ts)", async () => {
    const b = fakeBundle();
    expect((await loadModel(b.all, { backend: 'auto' })).backend).toBe('wasm');
    expect((await loadModel(b.all)).backend).toBe('wasm');
    await expect(loadModel(b.all, { backend: 'webgpu' })).rejects.toThrow(BundleError);
    await expect(loadModel(b.all, { backend: 'webgpu' })).rejects.toThrow(/this bundle has no webgpu target \(targets: wasm\); compile it with --target webgpu or --target all/);
    await expect(loadModel(b.all, { backend: 'cuda' as never })).rejects.toThrow(/unknown backend "cuda"/);
  });

  it('picks the relaxed-SIMD module only where the engine has it', async () => {
    const b = fakeBundle();
    expect((await loadModel(b.all, { relaxedSimd: false })).variant).toBe('simd');
    expect((await loadModel(b.all)).variant).toBe(hasRelaxedSimd() ? 'relaxed-simd' : 'simd');
    if (hasRelaxedSimd()) expect((await loadModel(b.all, { relaxedSimd: true })).variant).toBe('relaxed-simd');
    else await expect(loadModel(b.all, { relaxedSimd: true })).rejects.toThrow(/does not support relaxed SIMD \(Node 20 needs --experimental-wasm-relaxed-simd\)/);
  });

  it('picks model.relaxed.wasm under --experimental-wasm-relaxed-simd (a child node process)', () => {
    const dir = bundleDir();
    const script = `import { loadModel } from ${JSON.stringify(pathToFileURL(path.resolve(import.meta.dirname, '../../runtime/index.ts')).href)};
      const m = await loadModel(${JSON.stringify(dir)});
      const out = await m.run({ x: { data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] }, ids: { data: new Int32Array([-3]), dims: [1] } });
      console.log(m.variant, Array.from(out.y.data).join(','));`;
    const file = path.join(path.dirname(dir), 'probe.mts');
    fs.writeFileSync(file, script);
    const run = (flags: string[]) => execFileSync(process.execPath, [...flags, '--import', 'tsx', file], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..') }).trim();
    expect(run(['--experimental-wasm-relaxed-simd'])).toBe('relaxed-simd -1.5,-2,2,101');
    expect(run([])).toBe('simd -1.5,-2,2,101');
  });

  it('refuses to run after dispose', async () => {
    const model = await loadModel(fakeBundle().all);
    model.dispose();
    const { x, ids } = inputs(1);
    await expect(model.run({ x: { data: x, dims: [1, 4] }, ids: { data: ids, dims: [1] } })).rejects.toThrow(/disposed/);
  });
});
