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
import * as path from 'node:path';
import { writeBundle } from '../../backends/bundle.js';
import { compileModel } from '../../cli/compile.js';
import { relL2 } from '../helpers.js';
import { CHROMIUM, EXAMPLE, HAS_CHROMIUM, READ_FEEDS_JS, ROOT, type Site, buildRuntime, exampleCase, html, openPage, serve, siteDir } from './serve.js';

const STRICT = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const NO_WASM = "default-src 'self'; script-src 'self'";

/** Text that would mean dynamic code: eval(, new Function, Function(, setTimeout with a string. */
const DYNAMIC_CODE = [/\beval\s*\(/, /\bnew\s+Function\b/, /(?<![.\w])Function\s*\(/, /\bset(?:Timeout|Interval)\s*\(\s*['"`]/];

const PAGE_JS = `// Runs the bundle under the page's CSP and leaves the result in window.__xfc.
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
const done = (result) => { window.__xfc = { ...result, violations }; };
${READ_FEEDS_JS}
try {
  const { loadModel } = await import('./runtime.js');
  const model = await loadModel(new URL('./bundle/', location.href), { backend: 'wasm' });
  const out = await model.run(await readFeeds());
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

describe.skipIf(!HAS_CHROMIUM)(`the runtime under a strict CSP in headless Chromium${HAS_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let site: string;
  let server: Site | undefined;
  let base: string;
  let expected: Float64Array;
  let expectedDims: number[];
  let jsFiles: string[] = [];
  let lazyChunks: string[] = [];

  beforeAll(async () => {
    site = siteDir('xfc-csp-');
    ({ jsFiles, lazyChunks } = await buildRuntime(site));
    // The chunks only a dynamic import reaches: the page imports them too, to show they load under the CSP.
    fs.writeFileSync(path.join(site, 'chunks.json'), JSON.stringify(lazyChunks));
    fs.writeFileSync(path.join(site, 'page.js'), PAGE_JS);
    fs.writeFileSync(path.join(site, 'control.js'), CONTROL_JS);
    fs.writeFileSync(path.join(site, 'index.html'), html('page.js', 'xfc csp'));
    fs.writeFileSync(path.join(site, 'nowasm.html'), html('page.js', 'xfc csp'));
    fs.writeFileSync(path.join(site, 'control.html'), html('control.js', 'xfc csp'));

    const compiled = await compileModel(EXAMPLE, { maxShape: { batch: 2, seq: 32 } });
    writeBundle(path.join(site, 'bundle'), compiled.contents);
    const example = exampleCase();
    fs.writeFileSync(path.join(site, 'inputs.json'), example.inputsJson);
    ({ expected, expectedDims } = example);
    server = await serve(site, (name) => ({ 'Content-Security-Policy': name === 'nowasm.html' ? NO_WASM : STRICT }));
    base = server.base;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (site) fs.rmSync(site, { recursive: true, force: true });
  });

  /** Opens a page in a fresh headless Chromium (no GPU); returns window.__xfc and the console errors. */
  const open = (page: string) => openPage(base + page, { args: ['--disable-gpu'] });

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
