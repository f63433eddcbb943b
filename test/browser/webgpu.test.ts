// The WebGPU runtime in a real browser: headless Chromium (--enable-unsafe-webgpu: its bundled SwiftShader) loads a
// page from 127.0.0.1 that imports the runtime bundled for the browser, loads a `--target all` bundle of
// examples/tiny-bert.onnx by URL with backend 'webgpu' (the device comes from navigator.gpu) and runs it twice;
// the outputs must match the reference interpreter (rel. L2 <= 1e-4), and the one weights.bin of the bundle must be
// fetched once. Skipped, saying why, when chromium is absent or has no WebGPU adapter.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeBundle } from '../../backends/bundle.js';
import { compileModel } from '../../cli/compile.js';
import { relL2 } from '../helpers.js';
import { CHROMIUM, EXAMPLE, HAS_CHROMIUM, READ_FEEDS_JS, type Site, buildRuntime, exampleCase, html, openPage, serve, siteDir } from './serve.js';

const PAGE_JS = `// Runs the bundle on WebGPU and leaves the result (or why it cannot) in window.__xfc.
const done = (result) => { window.__xfc = result; };
${READ_FEEDS_JS}
try {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  if (!navigator.gpu) done({ skip: 'navigator.gpu is missing (is --enable-unsafe-webgpu honoured?)' });
  else if (!adapter) done({ skip: 'navigator.gpu.requestAdapter() found no adapter' });
  else {
    const { loadModel } = await import('./runtime.js');
    const t0 = performance.now();
    const model = await loadModel(new URL('./bundle/', location.href), { backend: 'webgpu' });
    const t1 = performance.now();
    const feeds = await readFeeds();
    const first = (await model.run(feeds)).last_hidden_state;
    const again = (await model.run(feeds)).last_hidden_state;
    const t2 = performance.now();
    done({
      ok: true, backend: model.backend, adapter: adapter.info ? adapter.info.vendor + ' ' + adapter.info.architecture : '',
      dims: first.dims, data: Array.from(first.data), same: again.data.every((v, i) => v === first.data[i]),
      loadMs: Math.round(t1 - t0), runMs: Math.round(t2 - t1),
    });
    model.dispose();
  }
} catch (e) {
  done({ ok: false, error: String(e && e.message || e) });
}
`;

describe.skipIf(!HAS_CHROMIUM)(`the WebGPU runtime in headless Chromium${HAS_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let site: string;
  let server: Site | undefined;
  let expected: Float64Array;
  let expectedDims: number[];

  beforeAll(async () => {
    site = siteDir('xfc-webgpu-page-');
    await buildRuntime(site);
    fs.writeFileSync(path.join(site, 'page.js'), PAGE_JS);
    fs.writeFileSync(path.join(site, 'index.html'), html('page.js', 'xfc webgpu'));
    const compiled = await compileModel(EXAMPLE, { target: 'all', maxShape: { batch: 2, seq: 32 } });
    writeBundle(path.join(site, 'bundle'), compiled.contents);
    const example = exampleCase();
    fs.writeFileSync(path.join(site, 'inputs.json'), example.inputsJson);
    ({ expected, expectedDims } = example);
    server = await serve(site);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (site) fs.rmSync(site, { recursive: true, force: true });
  });

  it("loads a --target all bundle by URL with backend 'webgpu' and matches the interpreter (rel. L2 <= 1e-4)", async (ctx) => {
    const { result, consoleErrors } = await openPage(`${server!.base}index.html`, { args: ['--enable-unsafe-webgpu'], timeoutMs: 50_000 });
    if (result.skip) ctx.skip(`no WebGPU in this chromium: ${String(result.skip)}`);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.backend).toBe('webgpu');
    expect(consoleErrors).toEqual([]);
    expect(result.dims).toEqual(expectedDims);
    expect(relL2(Float64Array.from(result.data as number[]), expected)).toBeLessThanOrEqual(1e-4);
    expect(result.same).toBe(true); // a second run (cached shape: nothing allocated) gives the same bits
    // The bundle's one weights file, fetched once; the shaders and the plan from webgpu/; no wasm code.
    const fetched = server!.requests.filter((r) => r.startsWith('bundle/'));
    expect(fetched.filter((r) => r.endsWith('.bin'))).toEqual(['bundle/weights.bin']);
    expect(fetched).toContain('bundle/webgpu/plan.json');
    expect(fetched.some((r) => r.endsWith('.wasm'))).toBe(false);
    ctx.annotate(`${String(result.adapter)}: load ${String(result.loadMs)} ms, two runs ${String(result.runMs)} ms`);
  }, 60_000);
});
