// The WebGPU runtime in a real browser: headless Chromium (--enable-unsafe-webgpu: its bundled SwiftShader) loads a
// page from 127.0.0.1 that imports the runtime bundled for the browser, loads a `--target all` bundle of
// examples/tiny-bert.onnx by URL with backend 'webgpu' (the device comes from navigator.gpu) and runs it twice;
// the outputs must match the reference interpreter (rel. L2 <= 1e-4), and the one weights.bin of the bundle must be
// fetched once. Then, in one more page, every committed PyTorch fixture (fixtures/models and fixtures/zoo/models,
// compiled to `--target all` bundles) loaded by URL with backend 'webgpu', run on its smallest case (fewest input
// elements) and compared with PyTorch's outputs (rel. L2 <= 1e-4): one table names every model's error. Models run
// one after another in the one page (SwiftShader compiles shaders slowly), each disposed after use. Skipped, saying
// why, when chromium is absent or has no WebGPU adapter.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeBundle } from '../../backends/bundle.js';
import { compileModel } from '../../cli/compile.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import { relL2 } from '../helpers.js';
import { labelledModels, smallestCases } from '../webgpu/cases.js';
import { CHROMIUM, EXAMPLE, HAS_CHROMIUM, READ_FEEDS_JS, type Site, buildRuntime, exampleCase, html, openPage, serve, siteDir } from './serve.js';

/**
 * A page script that leaves its result in window.__xfc (through `done`): after the declarations `prelude`, a skip
 * saying why when the browser has no WebGPU adapter, else what `body` reports (it runs with `adapter` and the
 * runtime's `loadModel` in scope), or the error it throws.
 */
const webgpuPageJs = (purpose: string, prelude: string, body: string): string => `// ${purpose}
const done = (result) => { window.__xfc = result; };
${prelude}try {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  if (!navigator.gpu) done({ skip: 'navigator.gpu is missing (is --enable-unsafe-webgpu honoured?)' });
  else if (!adapter) done({ skip: 'navigator.gpu.requestAdapter() found no adapter' });
  else {
    const { loadModel } = await import('./runtime.js');
${body}  }
} catch (e) {
  done({ ok: false, error: String(e && e.message || e) });
}
`;

const PAGE_JS = webgpuPageJs('Runs the bundle on WebGPU and leaves the result (or why it cannot) in window.__xfc.', READ_FEEDS_JS, `    const t0 = performance.now();
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
`);

/** A model of the page's run stops being waited for after this long (the rest of the page is then not run). */
const MODEL_TIMEOUT_MS = 60_000;

const FIXTURES_PAGE_JS = webgpuPageJs(`Runs every fixture bundle of fixtures/cases.json on WebGPU, one after another, and leaves the outputs (or each
// model's error) in window.__xfc.`, `const ARRAYS = {
  int64: (d) => BigInt64Array.from(d, (v) => BigInt(v)), int32: (d) => Int32Array.from(d),
  float32: (d) => Float32Array.from(d), bool: (d) => Uint8Array.from(d),
};
const timeout = (ms, what) => new Promise((_, reject) => setTimeout(() => reject(new Error(what + ': timed out after ' + ms + ' ms')), ms));
`, `    const cases = await (await fetch('./fixtures/cases.json')).json();
    const results = [];
    for (const c of cases) {
      const r = { label: c.label };
      results.push(r);
      let model;
      try {
        const t0 = performance.now();
        model = await Promise.race([loadModel(new URL(c.bundle, location.href), { backend: 'webgpu' }), timeout(${MODEL_TIMEOUT_MS}, 'load')]);
        const t1 = performance.now();
        const feeds = {};
        for (const spec of model.inputs) {
          const t = c.inputs[spec.name];
          if (!t) throw new Error('the case has no input ' + spec.name);
          if (!ARRAYS[spec.dtype]) throw new Error('no feed for dtype ' + spec.dtype + ' (input ' + spec.name + ')');
          feeds[spec.name] = { data: ARRAYS[spec.dtype](t.data), dims: t.dims };
        }
        const outputs = await Promise.race([model.run(feeds), timeout(${MODEL_TIMEOUT_MS}, 'run')]);
        r.backend = model.backend;
        r.loadMs = Math.round(t1 - t0);
        r.runMs = Math.round(performance.now() - t1);
        r.outputs = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, { dims: o.dims, dtype: o.dtype, data: Array.from(o.data, Number) }]));
      } catch (e) {
        r.error = String(e && e.message || e);
        if (/timed out/.test(r.error)) break; // the device may still be busy with it: the later models are not run
      } finally {
        model?.dispose();
      }
    }
    done({ ok: true, results });
`);

/** One fixture model: where its bundle is served, its smallest case, and PyTorch's outputs for it. */
interface FixtureRun {
  readonly label: string;
  readonly caseName: string;
  readonly expected: Record<string, Tensor>;
}

/** What the fixtures page reports per model. */
interface PageRun {
  readonly label: string;
  readonly error?: string;
  readonly backend?: string;
  readonly loadMs?: number;
  readonly runMs?: number;
  readonly outputs?: Record<string, { dims: number[]; dtype: string; data: number[] }>;
}

const FIXTURE_MODELS = labelledModels();

/**
 * Compiles every fixture to a `--target all` bundle under site/fixtures/<label>/ (one at a time) and writes
 * site/fixtures/cases.json: per model its bundle's URL and its smallest case's inputs as plain arrays.
 */
async function writeFixtureBundles(site: string): Promise<FixtureRun[]> {
  const runs: FixtureRun[] = [];
  const pageCases: unknown[] = [];
  for (const m of FIXTURE_MODELS) {
    const compiled = await compileModel(m.file, { target: 'all' });
    const bundle = `fixtures/${m.label}/`;
    writeBundle(path.join(site, bundle), compiled.contents);
    const { inputs, outputs } = compiled.contents.manifest;
    const smallest = smallestCases(m.model, m.root, inputs.map((t) => t.name))[0]!;
    pageCases.push({
      label: m.label, bundle,
      inputs: Object.fromEntries(inputs.map((t) => {
        const x = smallest.tensors[t.name]!;
        return [t.name, { dims: x.shape, data: Array.from(x.toFloat64()) }];
      })),
    });
    runs.push({ label: m.label, caseName: smallest.name, expected: Object.fromEntries(outputs.map((t) => [t.name, smallest.tensors[t.name]!])) });
  }
  fs.writeFileSync(path.join(site, 'fixtures', 'cases.json'), JSON.stringify(pageCases));
  return runs;
}

/** One row per output (or per model that failed): its error against PyTorch and what is wrong, if anything. */
function compareRuns(runs: readonly FixtureRun[], results: readonly PageRun[]): { rows: string[]; failures: string[] } {
  const rows: string[] = [];
  const failures: string[] = [];
  const width = Math.max(...runs.map((r) => r.label.length));
  const row = (label: string, what: string, err: string, note: string) => `${label.padEnd(width)}  ${what.padEnd(28)} ${err.padStart(9)}  ${note}`;
  rows.push(row('model', 'case/output', 'rel. L2', 'load/run ms, problem'));
  for (const run of runs) {
    const got = results.find((r) => r.label === run.label);
    const problem = !got ? 'not run (an earlier model timed out or the page stopped)'
      : got.error !== undefined ? got.error
        : got.backend !== 'webgpu' ? `ran on backend ${String(got.backend)}, not webgpu` : undefined;
    if (problem !== undefined) {
      rows.push(row(run.label, run.caseName, '-', `FAIL: ${problem}`));
      failures.push(`${run.label}: ${problem}`);
      continue;
    }
    const times = `${String(got!.loadMs)}/${String(got!.runMs)}`;
    for (const [name, want] of Object.entries(run.expected)) {
      const out = got!.outputs?.[name];
      let fail: string | undefined;
      let err = NaN;
      if (!out) fail = 'output missing';
      else if (JSON.stringify(out.dims) !== JSON.stringify(want.shape)) fail = `dims [${out.dims.join(', ')}], PyTorch [${want.shape.join(', ')}]`;
      else {
        err = relL2(Float64Array.from(out.data), want.toFloat64());
        if (!(err <= 1e-4)) fail = 'rel. L2 > 1e-4';
      }
      rows.push(row(run.label, `${run.caseName}/${name}`, Number.isNaN(err) ? '-' : err.toExponential(2), fail ? `${times} FAIL: ${fail}` : times));
      if (fail) failures.push(`${run.label} ${run.caseName}/${name}: ${fail}`);
    }
  }
  return { rows, failures };
}

describe.skipIf(!HAS_CHROMIUM)(`the WebGPU runtime in headless Chromium${HAS_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let site: string;
  let server: Site | undefined;
  let expected: Float64Array;
  let expectedDims: number[];
  let fixtureRuns: FixtureRun[];

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
    fs.writeFileSync(path.join(site, 'fixtures.html'), html('fixtures.js', 'xfc webgpu fixtures'));
    fs.writeFileSync(path.join(site, 'fixtures.js'), FIXTURES_PAGE_JS);
    fixtureRuns = await writeFixtureBundles(site);
    server = await serve(site);
  }, 120_000);

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

  it(`runs every PyTorch fixture (${FIXTURE_MODELS.length} models, smallest case each) by URL with backend 'webgpu' and matches PyTorch (rel. L2 <= 1e-4)`, async (ctx) => {
    const { result, consoleErrors } = await openPage(`${server!.base}fixtures.html`, { args: ['--enable-unsafe-webgpu'], timeoutMs: 170_000 });
    if (result.skip) ctx.skip(`no WebGPU in this chromium: ${String(result.skip)}`);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    const { rows, failures } = compareRuns(fixtureRuns, result.results as PageRun[]);
    const table = rows.join('\n');
    ctx.annotate(table);
    expect(failures, `fixtures on WebGPU in Chromium:\n${table}\n`).toEqual([]);
    expect(consoleErrors).toEqual([]);
    const fetched = server!.requests.filter((r) => r.startsWith('fixtures/'));
    expect(fetched.some((r) => r.endsWith('.wasm'))).toBe(false);
  }, 180_000);
});
