// The runtime in a real browser under a strict Content-Security-Policy: headless Chromium loads a page served with
// `script-src 'self' 'wasm-unsafe-eval'` (no 'unsafe-eval'), which imports the runtime bundled for the browser,
// fetches a compiled bundle of examples/tiny-bert.onnx by URL and runs it; the outputs must match the reference
// interpreter and no CSP violation may be reported. Two control pages show the check can fail: one that calls
// `new Function` (a violation must be seen) and the same page without 'wasm-unsafe-eval' (compiling wasm must fail).
//
// Needs Debian's chromium at /usr/bin/chromium (CI: `apt-get install -y --no-install-recommends chromium`) and
// the playwright-core devDependency (its own browser downloads are never used).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { writeBundle } from '../../backends/bundle.js';
import { compileModel } from '../../cli/compile.js';
import { interpret } from '../../compiler/interpreter.js';
import { readNpyFile } from '../../compiler/io/npy.js';
import { importOnnxBytes, readModelFile } from '../../compiler/onnx/import.js';
import { relL2 } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'tiny-bert.onnx');
const STRICT = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const NO_WASM = "default-src 'self'; script-src 'self'";
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);

/** Text that would mean dynamic code: eval(, new Function, Function(, setTimeout with a string. */
const DYNAMIC_CODE = [/\beval\s*\(/, /\bnew\s+Function\b/, /(?<![.\w])Function\s*\(/, /\bset(?:Timeout|Interval)\s*\(\s*['"`]/];

const PAGE_JS = `// Runs the bundle under the page's CSP and leaves the result in window.__xfc.
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
const done = (result) => { window.__xfc = { ...result, violations }; };
try {
  const { loadModel } = await import('./runtime.js');
  const inputs = await (await fetch('./inputs.json')).json();
  const model = await loadModel(new URL('./bundle/', location.href), { backend: 'wasm' });
  const feeds = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = { data: BigInt64Array.from(t.data, (v) => BigInt(v)), dims: t.dims };
  const out = await model.run(feeds);
  const y = out.last_hidden_state;
  // The lazily loaded chunks (the WebGPU executor) must load under the same CSP.
  const lazy = [];
  for (const chunk of await (await fetch('./chunks.json')).json()) lazy.push(Object.keys(await import('./' + chunk)).length);
  // Let a violation report (they are dispatched asynchronously) arrive before finishing.
  await new Promise((r) => setTimeout(r, 100));
  done({ ok: true, variant: model.variant, dims: y.dims, data: Array.from(y.data), lazy });
} catch (e) {
  await new Promise((r) => setTimeout(r, 100));
  done({ ok: false, error: String(e && e.message || e) });
}
`;

const CONTROL_JS = `const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
let blocked = false;
try { new Function('return 1')(); } catch { blocked = true; }
setTimeout(() => { window.__xfc = { ok: true, blocked, violations }; }, 100);
`;

const html = (script: string) => `<!doctype html><meta charset="utf-8"><title>xfc csp</title><script type="module" src="./${script}"></script>\n`;

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

describe.skipIf(!HAS_CHROMIUM)(`the runtime under a strict CSP in headless Chromium${HAS_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let site: string;
  let server: http.Server;
  let base: string;
  let expected: Float64Array;
  let expectedDims: number[];
  let jsFiles: string[] = [];
  let lazyChunks: string[] = [];

  beforeAll(async () => {
    site = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-csp-'));
    // The runtime as a browser gets it: ESM, code-split (the WebGPU executor is a chunk loaded by dynamic import),
    // node: imports left dynamic (never reached in a browser).
    const { build } = await import('esbuild');
    const built = await build({
      entryPoints: { runtime: path.join(ROOT, 'runtime', 'index.ts') }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
      external: ['node:*'], splitting: true, outdir: site, metafile: true, logLevel: 'silent',
    });
    const outputs = built.metafile.outputs;
    jsFiles = Object.keys(outputs).filter((k) => k.endsWith('.js')).map((k) => path.resolve(k));
    // The chunks only a dynamic import reaches: the page imports them too, to show they load under the CSP.
    lazyChunks = Object.values(outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import' && !i.external))
      .map((i) => path.basename(i.path));
    fs.writeFileSync(path.join(site, 'chunks.json'), JSON.stringify([...new Set(lazyChunks)]));
    fs.writeFileSync(path.join(site, 'page.js'), PAGE_JS);
    fs.writeFileSync(path.join(site, 'control.js'), CONTROL_JS);
    fs.writeFileSync(path.join(site, 'index.html'), html('page.js'));
    fs.writeFileSync(path.join(site, 'nowasm.html'), html('page.js'));
    fs.writeFileSync(path.join(site, 'control.html'), html('control.js'));

    const compiled = await compileModel(EXAMPLE, { maxShape: { batch: 2, seq: 32 } });
    writeBundle(path.join(site, 'bundle'), compiled.contents);
    const feeds = {
      input_ids: readNpyFile(path.join(ROOT, 'examples', 'input_ids.npy')),
      attention_mask: readNpyFile(path.join(ROOT, 'examples', 'attention_mask.npy')),
    };
    fs.writeFileSync(path.join(site, 'inputs.json'), JSON.stringify(Object.fromEntries(Object.entries(feeds).map(([k, t]) =>
      [k, { dims: t.shape, data: Array.from(t.data as BigInt64Array, (v) => Number(v)) }]))));
    const { graph } = importOnnxBytes(readModelFile(EXAMPLE), { baseDir: path.dirname(EXAMPLE), fileName: EXAMPLE });
    const ref = interpret(graph, feeds).last_hidden_state!;
    expected = ref.toFloat64();
    expectedDims = ref.shape as number[];

    server = http.createServer((req, res) => {
      const name = decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
      const file = path.resolve(site, name);
      if (name === 'favicon.ico') return void res.writeHead(204).end();
      if (!file.startsWith(`${site}/`) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
      res.setHeader('Content-Security-Policy', name === 'nowasm.html' ? NO_WASM : STRICT);
      res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
      res.writeHead(200).end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 60_000);

  afterAll(() => {
    server?.close();
    if (site) fs.rmSync(site, { recursive: true, force: true });
  });

  /** Opens a page in a fresh headless Chromium; returns window.__xfc and the console errors. */
  async function open(page: string): Promise<{ result: Record<string, unknown>; consoleErrors: string[] }> {
    const { chromium } = await import('playwright-core');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const tab = context.pages()[0] ?? await context.newPage();
      const consoleErrors: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      tab.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      await tab.goto(base + page);
      await tab.waitForFunction(() => (globalThis as { __xfc?: unknown }).__xfc !== undefined, undefined, { timeout: 20_000 });
      const result = await tab.evaluate(() => (globalThis as unknown as { __xfc: Record<string, unknown> }).__xfc);
      return { result, consoleErrors };
    } finally {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  }

  it('the browser bundle of the runtime has no dynamic code', () => {
    expect(jsFiles.map((f) => path.basename(f))).toContain('runtime.js');
    for (const file of jsFiles) {
      const text = fs.readFileSync(file, 'utf8');
      for (const re of DYNAMIC_CODE) expect(text, `${file}: ${re}`).not.toMatch(re);
      // ... and no static import of a node: module (only the dynamic ones, used in Node alone).
      expect(text).not.toMatch(/^\s*import\b[^;(]*from\s*['"]node:/m);
    }
    const text = fs.readFileSync(path.join(site, 'runtime.js'), 'utf8');
    expect(text).toMatch(/import\(\s*["']node:fs\/promises["']\s*\)/);
    // The WebGPU executor is split off: a chunk the runtime imports dynamically.
    expect(lazyChunks.some((c) => c.startsWith('webgpu'))).toBe(true);
  });

  it('runs tiny-bert by URL, matching the interpreter, with no CSP violation', async () => {
    const { result, consoleErrors } = await open('index.html');
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.violations).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(result.dims).toEqual(expectedDims);
    expect(relL2(Float64Array.from(result.data as number[]), expected)).toBeLessThanOrEqual(1e-5);
    expect(['simd', 'relaxed-simd']).toContain(result.variant);
    // Each lazy chunk loaded and exported something (the WebGPU executor's chunk exports WebGpuExecutor).
    expect((result.lazy as number[]).length).toBe(new Set(lazyChunks).size);
    for (const n of result.lazy as number[]) expect(n).toBeGreaterThan(0);
  }, 60_000);

  it('the controls: new Function is reported as a violation, and wasm does not compile without wasm-unsafe-eval', async () => {
    const control = await open('control.html');
    expect(control.result.blocked).toBe(true);
    expect(control.result.violations).toEqual(['script-src']);
    const nowasm = await open('nowasm.html');
    expect(nowasm.result.ok).toBe(false);
    expect(String(nowasm.result.error)).toMatch(/cannot instantiate model(\.relaxed)?\.wasm: .*(Content Security Policy|unsafe-eval)/i);
    expect((nowasm.result.violations as string[]).length).toBeGreaterThan(0);
  }, 60_000);
});

describe('runtime sources and the built runtime (dist/runtime)', () => {
  const strip = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const dirs = [path.join(ROOT, 'runtime'), path.join(ROOT, 'dist', 'runtime')].filter((d) => fs.existsSync(d));

  it('have no eval, new Function or string timers', () => {
    const files = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts')).map((f) => path.join(d, f)));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) for (const re of DYNAMIC_CODE) expect(strip(fs.readFileSync(f, 'utf8')), `${f}: ${re}`).not.toMatch(re);
  });
});
