// Shared setup of the browser tests: the runtime bundled for the browser (esbuild), a static server on 127.0.0.1
// (a secure context, which WebGPU needs), the example model's inputs and reference outputs, and a page opened in
// a fresh headless Chromium that leaves its result in window.__xfc.
//
// Needs Debian's chromium at /usr/bin/chromium (CI: `apt-get install -y --no-install-recommends chromium`) and
// the playwright-core devDependency (its own browser downloads are never used).

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { interpret } from '../../compiler/interpreter.js';
import { readNpyFile } from '../../compiler/io/npy.js';
import { importOnnxBytes, readModelFile } from '../../compiler/onnx/import.js';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const EXAMPLE = path.join(ROOT, 'examples', 'tiny-bert.onnx');

/** Flags every test browser gets (no network chatter, no first-run UI); add '--disable-gpu' or '--enable-unsafe-webgpu'. */
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

/** A page that runs one module script. */
export const html = (script: string, title = 'xfc'): string =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><script type="module" src="./${script}"></script>\n`;

export interface BuiltRuntime {
  /** Every .js file written (absolute paths). */
  readonly jsFiles: string[];
  /** File names of the chunks only a dynamic import reaches (the WebGPU executor). */
  readonly lazyChunks: string[];
}

/**
 * Writes the runtime as a browser gets it into `site`: runtime.js, ESM, code-split (the WebGPU executor is a chunk
 * loaded by dynamic import), node: imports left dynamic (never reached in a browser).
 */
export async function buildRuntime(site: string): Promise<BuiltRuntime> {
  const { build } = await import('esbuild');
  const built = await build({
    entryPoints: { runtime: path.join(ROOT, 'runtime', 'index.ts') }, bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    external: ['node:*'], splitting: true, outdir: site, metafile: true, logLevel: 'silent',
  });
  const outputs = built.metafile.outputs;
  const jsFiles = Object.keys(outputs).filter((k) => k.endsWith('.js')).map((k) => path.resolve(k));
  const lazyChunks = Object.values(outputs).flatMap((o) => o.imports.filter((i) => i.kind === 'dynamic-import' && !i.external))
    .map((i) => path.basename(i.path));
  return { jsFiles, lazyChunks: [...new Set(lazyChunks)] };
}

/** The example's inputs (input_ids, attention_mask) as JSON a page can read, and the interpreter's last_hidden_state. */
export function exampleCase(): { inputsJson: string; expected: Float64Array; expectedDims: number[] } {
  const feeds = {
    input_ids: readNpyFile(path.join(ROOT, 'examples', 'input_ids.npy')),
    attention_mask: readNpyFile(path.join(ROOT, 'examples', 'attention_mask.npy')),
  };
  const inputsJson = JSON.stringify(Object.fromEntries(Object.entries(feeds).map(([k, t]) =>
    [k, { dims: t.shape, data: Array.from(t.data as BigInt64Array, (v) => Number(v)) }])));
  const { graph } = importOnnxBytes(readModelFile(EXAMPLE), { baseDir: path.dirname(EXAMPLE), fileName: EXAMPLE });
  const ref = interpret(graph, feeds).last_hidden_state!;
  return { inputsJson, expected: ref.toFloat64(), expectedDims: ref.shape as number[] };
}

/** Page code that turns inputs.json into feeds (int64 as BigInt64Array). */
export const READ_FEEDS_JS = `async function readFeeds() {
  const inputs = await (await fetch('./inputs.json')).json();
  const feeds = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = { data: BigInt64Array.from(t.data, (v) => BigInt(v)), dims: t.dims };
  return feeds;
}
`;

export interface Site {
  /** http://127.0.0.1:PORT/ */
  readonly base: string;
  /** The path of every request served so far, in order (without the leading '/'). */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves the files under `site` on 127.0.0.1 (a free port); `headers(name)` adds response headers per file. */
export async function serve(site: string, headers: (name: string) => Record<string, string> = () => ({})): Promise<Site> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    requests.push(name);
    const file = path.resolve(site, name);
    if (name === 'favicon.ico') return void res.writeHead(204).end();
    if (!file.startsWith(`${site}/`) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
    for (const [k, v] of Object.entries(headers(name))) res.setHeader(k, v);
    res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface PageResult {
  /** What the page left in window.__xfc. */
  readonly result: Record<string, unknown>;
  /** console.error messages and uncaught page errors. */
  readonly consoleErrors: string[];
}

/** Opens `url` in a fresh headless Chromium (its own profile, removed after) and waits for window.__xfc. */
export async function openPage(url: string, options: { args?: readonly string[]; timeoutMs?: number } = {}): Promise<PageResult> {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, ...(options.args ?? [])] });
  try {
    const tab = context.pages()[0] ?? await context.newPage();
    const consoleErrors: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    tab.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await tab.goto(url);
    await tab.waitForFunction(() => (globalThis as { __xfc?: unknown }).__xfc !== undefined, undefined, { timeout: options.timeoutMs ?? 20_000 });
    const result = await tab.evaluate(() => (globalThis as unknown as { __xfc: Record<string, unknown> }).__xfc);
    return { result, consoleErrors };
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** A fresh temporary directory for a site. */
export function siteDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
