// A damaged bundle never runs: every file flipped, truncated, lengthened or deleted, an unknown format version and
// paths that leave the bundle each give a clear XfcError naming the file, from a directory, over http and in memory.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { BundleError, IntegrityError, XfcError, hasRelaxedSimd, loadModel } from '../../runtime/index.js';
import { Sha256, createHasher } from '../../runtime/sha256.js';
import { manifestText, writeBundle } from '../../backends/bundle.js';
import { expected, fakeBundle } from './fake-bundle.js';

const FILES = ['manifest.json', 'model.wasm', 'model.relaxed.wasm', 'weights.bin'] as const;

function bundleDir(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-integrity-')), 'bundle');
  const b = fakeBundle();
  writeBundle(dir, { manifest: b.manifest, files: b.files });
  return dir;
}

/** Loads and runs the fake model once; resolves to 'ok' or rejects with what loadModel/run threw. */
async function loadAndRun(source: Parameters<typeof loadModel>[0], relaxedSimd: boolean | 'auto' = false): Promise<'ok'> {
  const model = await loadModel(source, { relaxedSimd });
  const x = new Float32Array([1, 2, 3, 4]);
  const out = await model.run({ x: { data: x, dims: [1, 4] }, ids: { data: new BigInt64Array([2n]), dims: [1] } });
  expect(out.y!.data).toEqual(expected(x, [2n]));
  return 'ok';
}

async function failure(p: Promise<unknown>): Promise<XfcError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof XfcError)) throw new Error(`expected an XfcError, got ${(e as Error).stack}`);
    return e;
  }
  throw new Error('the damaged bundle loaded');
}

const edit = (file: string, f: (b: Buffer) => Buffer) => fs.writeFileSync(file, f(fs.readFileSync(file)));

describe('sha256', () => {
  it('the JS hasher equals node:crypto on lengths around the block and padding edges, fed in odd chunks', async () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 65_537]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 17) & 255);
      const want = createHash('sha256').update(data).digest('hex');
      for (const chunk of [1, 7, 64, 100, n || 1]) {
        const h = new Sha256();
        for (let p = 0; p < n; p += chunk) h.update(data.subarray(p, p + chunk));
        expect(h.hex(), `n=${n} chunk=${chunk}`).toBe(want);
      }
      const native = await createHasher();
      native.update(data);
      expect(native.hex()).toBe(want);
    }
    const abc = new Sha256();
    abc.update(new TextEncoder().encode('abc'));
    expect(abc.hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'); // FIPS 180-2 example
  });
});

describe('a damaged bundle directory', () => {
  it('loads when intact (the control)', async () => {
    expect(await loadAndRun(bundleDir())).toBe('ok');
    expect(await loadAndRun(bundleDir(), 'auto')).toBe('ok');
  });

  it.each(['model.wasm', 'weights.bin'])('refuses %s with one byte flipped, naming it', async (name) => {
    const dir = bundleDir();
    edit(path.join(dir, name), (b) => {
      b[Math.floor(b.length / 2)]! ^= 0x10;
      return b;
    });
    const e = await failure(loadAndRun(dir));
    expect(e).toBeInstanceOf(IntegrityError);
    expect(e.message).toMatch(new RegExp(`^'${dir}/${name}' is corrupt or was modified: its sha256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}$`));
  });

  it('refuses model.relaxed.wasm with one byte flipped when it picks that variant', async () => {
    const dir = bundleDir();
    edit(path.join(dir, 'model.relaxed.wasm'), (b) => {
      b[b.length - 3]! ^= 1;
      return b;
    });
    expect(await loadAndRun(dir, false)).toBe('ok'); // the SIMD module is intact
    if (hasRelaxedSimd()) expect((await failure(loadAndRun(dir, true))).message).toMatch(/model.relaxed.wasm' is corrupt or was modified/);
  });

  it.each(['model.wasm', 'weights.bin'])('refuses %s truncated or lengthened, before reading it whole', async (name) => {
    const dir = bundleDir();
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1));
    expect((await failure(loadAndRun(dir))).message).toBe(`'${file}' is truncated: it holds ${bytes.length - 1} bytes, the manifest says ${bytes.length}`);
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from([0])]));
    expect((await failure(loadAndRun(dir))).message).toBe(`'${file}' is longer than expected: it holds ${bytes.length + 1} bytes, the manifest says ${bytes.length}`);
    fs.writeFileSync(file, new Uint8Array(0));
    expect(await failure(loadAndRun(dir))).toBeInstanceOf(IntegrityError);
  });

  it('refuses a truncated or hand-edited manifest.json', async () => {
    const dir = bundleDir();
    const file = path.join(dir, 'manifest.json');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length >> 1));
    const e = await failure(loadAndRun(dir));
    expect(e).toBeInstanceOf(IntegrityError);
    expect(e.message).toMatch(new RegExp(`^'${file}' is corrupt or was modified: its checksum is [0-9a-f]{64}, its content hashes to [0-9a-f]{64}$`));
    fs.writeFileSync(file, text.slice(0, 40));
    expect((await failure(loadAndRun(dir))).message).toMatch(/is not valid JSON \(.*\); is this an xfc bundle\?$/);
    fs.writeFileSync(file, '');
    expect((await failure(loadAndRun(dir))).message).toMatch(/is not valid JSON/);
    // Edited by hand and re-serialized: the checksum line is gone.
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(text), generator: 'me' }));
    expect((await failure(loadAndRun(dir))).message).toBe(`'${file}' has no "checksum" line (a bundle written by xfc always has one); it was edited or damaged`);
    fs.writeFileSync(file, text.replace('"generator": "xfc test"', '"generator": "xfc tesT"'));
    expect(await failure(loadAndRun(dir))).toBeInstanceOf(IntegrityError);
    fs.writeFileSync(file, text);
    expect(await loadAndRun(dir)).toBe('ok');
  });

  it('refuses manifest.json with any one byte flipped, or loads a model that still runs correctly', async () => {
    const dir = bundleDir();
    const file = path.join(dir, 'manifest.json');
    const original = fs.readFileSync(file);
    const files = memoryFiles(dir);
    const outcomes: Record<string, number> = {};
    // Every byte, its lowest bit flipped: a digit becomes another digit, a letter another letter, '"' becomes '#'.
    for (let i = 0; i < original.length; i++) {
      const bytes = Buffer.from(original);
      bytes[i]! ^= 1;
      let kind: string;
      try {
        kind = await loadAndRun({ ...files, 'manifest.json': new Uint8Array(bytes) });
      } catch (e) {
        if (!(e instanceof XfcError)) throw new Error(`flipping byte ${i} (${JSON.stringify(String.fromCharCode(original[i]!))}) gave ${(e as Error).stack}`);
        kind = e.name;
      }
      outcomes[kind] = (outcomes[kind] ?? 0) + 1;
    }
    // The manifest's own checksum catches every flip; a flip that breaks the checksum line itself leaves a
    // manifest without one (or not JSON), which is refused too.
    expect(outcomes.ok, JSON.stringify(outcomes)).toBeUndefined();
    expect(outcomes.IntegrityError).toBeGreaterThan(original.length * 0.9);
    expect(Object.keys(outcomes).sort()).toEqual(['BundleError', 'IntegrityError']);
  }, 60_000);

  it.each(FILES)('refuses a bundle whose %s was deleted, naming it', async (name) => {
    const dir = bundleDir();
    fs.rmSync(path.join(dir, name));
    // model.relaxed.wasm is read only where the engine runs it.
    if (name === 'model.relaxed.wasm' && !hasRelaxedSimd()) return void expect(await loadAndRun(dir, 'auto')).toBe('ok');
    const e = await failure(loadAndRun(dir, name === 'model.relaxed.wasm' ? true : false));
    expect(e).toBeInstanceOf(BundleError);
    expect(e.message).toBe(name === 'manifest.json'
      ? `'${dir}' is not an xfc bundle: it has no manifest.json (compile one with \`xfc compile MODEL -o DIR\`)`
      : `the bundle is incomplete: '${dir}/${name}' is missing (the manifest lists it)`);
  });

  it('refuses an unknown formatVersion', async () => {
    const dir = bundleDir();
    const file = path.join(dir, 'manifest.json');
    for (const v of [0, 2, '1', null]) {
      const m = JSON.parse(fs.readFileSync(file, 'utf8'));
      m.formatVersion = v;
      fs.writeFileSync(file, manifestText(m));
      expect((await failure(loadAndRun(dir))).message).toBe(`'${file}': formatVersion ${JSON.stringify(v)} is not supported by this runtime ` +
        '(it reads version 1); use a runtime from the same xfc release as the compiler that wrote the bundle');
    }
  });

  it("refuses a manifest naming files outside the bundle ('../x', '/etc/passwd', 'C:x', '%2e%2e/x') without opening them", async () => {
    const dir = bundleDir();
    const file = path.join(dir, 'manifest.json');
    // A FIFO next to the bundle: opening it for reading would block, so the test would time out if it were read.
    const fifo = path.join(path.dirname(dir), 'x');
    execFileSync('mkfifo', [fifo]);
    const original = fs.readFileSync(file, 'utf8');
    for (const bad of ['../x', '/etc/passwd', 'C:x', '%2e%2e/x', 'a/../../x', '.hidden', 'a\\b']) {
      const m = JSON.parse(original);
      const weights = m.files.find((f: { path: string }) => f.path === 'weights.bin');
      weights.path = bad;
      m.wasm.weights = bad;
      fs.writeFileSync(file, manifestText(m));
      const e = await failure(loadAndRun(dir));
      expect(e).toBeInstanceOf(BundleError);
      expect(e.message).toContain(`path ${JSON.stringify(bad)} must be relative and stay inside the bundle`);
    }
  }, 20_000);

  it('refuses a manifest whose layout or bindings contradict themselves, before touching memory', async () => {
    const b = fakeBundle();
    const m = JSON.parse(new TextDecoder().decode(b.all['manifest.json']));
    const with_ = (f: (m: any) => void) => {
      const c = structuredClone(m);
      f(c);
      return { ...b.all, 'manifest.json': new TextEncoder().encode(manifestText(c)) };
    };
    const msg = async (f: (m: any) => void) => (await failure(loadAndRun(with_(f)))).message;
    expect(await msg((c) => (c.wasm.tableBase = 130))).toMatch(/wasm layout must be weightsBase <= tableBase \(a multiple of 4\)/);
    expect(await msg((c) => (c.wasm.arenaBase = 130))).toMatch(/tableBase \+ 4 \* \(symbols \+ buffers\) <= arenaBase/);
    expect(await msg((c) => (c.wasm.inputs[1].name = 'x'))).toContain('wasm.inputs must bind each of "inputs" exactly once');
    expect(await msg((c) => c.wasm.outputs.pop())).toContain('wasm.outputs must bind each of "outputs" exactly once');
    expect(await msg((c) => (c.wasm.buffers[0].bytes = '8*n'))).toBe(
      "manifest.json: input 'x' (16 bytes at offset 0) does not fit in its buffer of 8 bytes at n=1; the bundle is corrupt");
    expect(await msg((c) => (c.wasm.buffers[2].bytes = '16*n-32'))).toBe(
      'manifest.json: wasm.buffers[2].bytes "16*n-32" is -16, not a byte count at n=1; the bundle is corrupt');
    expect(await msg((c) => (c.wasm.weightsBase = 120))).toBe('weights.bin (16 bytes) does not fit between weightsBase 120 and tableBase 128');
  });
});

/** The files of a bundle directory, in memory. */
function memoryFiles(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, new Uint8Array(fs.readFileSync(path.join(dir, f)))]));
}

describe('a damaged bundle over http', () => {
  /** Serves dir; `lie` changes what is sent for a path (body, and whether Content-Length is sent). */
  async function serve(dir: string, lie: (name: string, body: Buffer) => { body: Buffer; length?: boolean } = (_, body) => ({ body })) {
    const server = http.createServer((req, res) => {
      const name = decodeURIComponent(new URL(req.url!, 'http://x').pathname.replace(/^\/b\//, ''));
      const file = path.join(dir, name);
      if (!file.startsWith(`${dir}/`) || !fs.existsSync(file)) return void res.writeHead(404).end();
      const { body, length = true } = lie(name, fs.readFileSync(file));
      if (length) res.setHeader('Content-Length', body.length);
      res.writeHead(200);
      // Two writes: the runtime sees the body in more than one chunk.
      res.write(body.subarray(0, body.length >> 1));
      res.end(body.subarray(body.length >> 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/b/`, close: () => server.close() };
  }

  it('streams and verifies the weights in chunks (the control), and refuses flipped, short and long ones', async () => {
    const dir = bundleDir();
    const n = fs.statSync(path.join(dir, 'weights.bin')).size;
    const cases: [string, (name: string, body: Buffer) => { body: Buffer; length?: boolean }, RegExp | undefined][] = [
      ['intact', (_, body) => ({ body }), undefined],
      ['intact, no Content-Length', (_, body) => ({ body, length: false }), undefined],
      ['flipped', (name, body) => ({ body: name === 'weights.bin' ? Buffer.from(body.map((v, i) => (i === 5 ? v ^ 4 : v))) : body }), /weights.bin' is corrupt or was modified/],
      ['short', (name, body) => ({ body: name === 'weights.bin' ? body.subarray(0, 9) : body }), new RegExp(`weights.bin' is truncated: it holds 9 bytes, the manifest says ${n}$`)],
      ['short, no Content-Length', (name, body) => ({ body: name === 'weights.bin' ? body.subarray(0, 9) : body, length: false }), /weights.bin' is truncated: it holds 9 bytes/],
      ['long, no Content-Length', (name, body) => ({ body: name === 'weights.bin' ? Buffer.concat([body, body]) : body, length: false }), /weights.bin' is longer than expected/],
    ];
    for (const [what, lie, want] of cases) {
      const s = await serve(dir, lie);
      try {
        if (!want) expect(await loadAndRun(s.url), what).toBe('ok');
        else expect((await failure(loadAndRun(s.url))).message, what).toMatch(want);
      } finally {
        s.close();
      }
    }
  });
});
