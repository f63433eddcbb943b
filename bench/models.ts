// `npm run bench`: xfc wasm (SIMD128 and relaxed SIMD) against onnxruntime-web's wasm backend (1 thread),
// interleaved in one process after warm-up, on MiniLM-L6-size and BERT-mini-size encoders (random weights,
// bench/export_minilm.py) and the BERT, GPT-2 and ViT fixtures: ms, ratio, GFLOP/s and % of the SIMD ceiling of
// the same variant (bench/ceiling.ts, measured in this run; ORT's rows against the SIMD128 ceiling), cold start
// (bench/cold.ts), compile time and sizes; then the 1024³ GEMM (bench/gemm.ts).
//
//   npm run bench                       # everything
//   npm run bench -- --quick            # fewer runs
//   npm run bench -- --only minilm      # the models whose name starts with it (then no GEMM line)
//   npm run bench -- --only gemm        # only the 1024³ GEMM line
//   npm run bench -- --only fusion      # only the fused-vs-unfused table
//
// Then fused vs unfused attention (issue 4), own wasm only: the MiniLM-size encoder with its position tables
// widened to 2048 (bench/export_minilm.py's model, rows repeated: same weights otherwise), compiled with the
// default pipeline and with the default pipeline minus 'fuse-attention', at seq 128, 512 and 2048: median time
// (interleaved runs, relaxed SIMD when available) and peak arena bytes at that shape (planArena over the schedule,
// like report.json's peakArenaBytes).
//
// Node 20 runs relaxed SIMD only with --experimental-wasm-relaxed-simd: this script re-runs itself with it.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { relL2 } from '../test/helpers.js';

const FLAG = '--experimental-wasm-relaxed-simd';
if (!process.execArgv.includes(FLAG)) {
  const r = spawnSync(process.execPath, [FLAG, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { compileModel, formatSize } = await import('../cli/compile.js');
const { bundleFiles, writeBundle } = await import('../backends/bundle.js');
const { buildReport } = await import('../backends/report.js');
const { summarizeTimes } = await import('../cli/bench.js');
const { loadModel, hasRelaxedSimd } = await import('../runtime/index.js');
const { DEFAULT_PIPELINE } = await import('../passes/index.js');
const { peakArenaBytes } = await import('../backends/resources.js');
const { onnx } = await import('../compiler/onnx/proto.js');
const { simdCeiling } = await import('./ceiling.js');
const { gemmGflops } = await import('./gemm.js');
type Feed = import('../runtime/index.js').Feed;
type Timing = import('../cli/bench.js').Timing;
type TensorSpec = import('../runtime/manifest.js').TensorSpec;

const ROOT = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

interface BenchModel {
  readonly name: string;
  readonly file: string | undefined;
  /** The seq values to run; empty for a model without a seq dim (ViT: fixed image size). */
  readonly seqs: readonly number[];
  readonly skip?: string;
}

/** An encoder of bench/export_minilm.py's `--size`, exported once to tmp. */
function exported(name: string, size: 'minilm' | 'bert-mini', fileName: string): BenchModel {
  const file = path.join(os.tmpdir(), fileName);
  const python = '/usr/bin/python3';
  if (!fs.existsSync(file)) {
    const r = spawnSync(python, [path.join(ROOT, 'bench', 'export_minilm.py'), file, '--size', size], { encoding: 'utf8' });
    if (r.status !== 0) {
      return { name, file: undefined, seqs: [], skip: `could not export it with ${python} bench/export_minilm.py (needs torch + onnx): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
    }
  }
  return { name, file, seqs: [128, 512] };
}
const minilm = (): BenchModel => exported('minilm-l6 (random)', 'minilm', 'xfc-bench-minilm-l6.onnx');
const fixture = (name: string): string => path.join(ROOT, 'fixtures', 'models', `${name}-opset17.onnx`);

const models: BenchModel[] = [
  minilm(),
  exported('bert-mini (random)', 'bert-mini', 'xfc-bench-bert-mini.onnx'),
  // The BERT and GPT-2 fixtures have 160 positions: seq 512 does not fit them. ViT: one 32×32 image.
  { name: 'bert fixture (tiny)', file: fixture('bert'), seqs: [128] },
  { name: 'gpt2 fixture (tiny)', file: fixture('gpt2'), seqs: [128] },
  { name: 'vit fixture (tiny)', file: fixture('vit'), seqs: [] },
].filter((m) => !only || m.name.startsWith(only));
const fusionTable = !only || only === 'fusion' || 'minilm'.startsWith(only);
const gemmLine = !only || only === 'gemm';

/** Inputs at batch 1 and this seq: token ids below every bench model's vocab (the fixtures' is 100), masks of
 * ones, floats (pixels) uniform in [-1, 1]. */
function feedsFor(inputs: readonly TensorSpec[], seq: number | undefined): Record<string, Feed> {
  const feeds: Record<string, Feed> = {};
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  for (const t of inputs) {
    const dims = t.shape.map((d) => (d === 'batch' ? 1 : d === 'seq' && seq !== undefined ? seq : Number(d)));
    if (dims.some((d) => !Number.isInteger(d))) throw new Error(`bench feeds: ${t.name} has shape [${t.shape.join(', ')}]`);
    const n = dims.reduce((a, b) => a * b, 1);
    if (t.dtype === 'int64') feeds[t.name] = { data: BigInt64Array.from({ length: n }, () => (/mask/.test(t.name) ? 1n : BigInt(1 + (next() % 99)))), dims };
    else if (t.dtype === 'float32') feeds[t.name] = { data: Float32Array.from({ length: n }, () => next() / 1073741824 - 1), dims };
    else throw new Error(`bench feeds: ${t.name} is ${t.dtype}`);
  }
  return feeds;
}


interface Engine {
  readonly name: string;
  run(): Promise<Float32Array>;
}

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
const ortWasm = path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.wasm');

async function ortEngine(file: string, feeds: Record<string, Feed>): Promise<Engine> {
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, f]) =>
    [k, f.data instanceof Float32Array ? new ort.Tensor('float32', f.data, f.dims as number[]) : new ort.Tensor('int64', f.data as BigInt64Array, f.dims as number[])]));
  const run = async () => (await session.run(tensors))[session.outputNames[0]!]!.data as Float32Array;
  await run();
  return { name: 'onnxruntime-web', run };
}

async function xfcEngine(files: Record<string, Uint8Array>, relaxed: boolean, feeds: Record<string, Feed>): Promise<Engine> {
  const model = await loadModel(files, { backend: 'wasm', relaxedSimd: relaxed });
  const run = async () => (await model.run(feeds))[model.outputs[0]!.name]!.data as Float32Array;
  await run();
  return { name: relaxed ? 'xfc relaxed-simd' : 'xfc simd128', run };
}

/** Warm-up then timed runs, the engines interleaved round by round; bounded by a time budget per engine. */
async function measure(engines: Engine[]): Promise<Timing[]> {
  return quick ? measureFor(engines, 5, 10, 3000) : measureFor(engines, 30, 30, 15000);
}

async function measureFor(engines: Engine[], warmup: number, runs: number, budgetMs = 15000): Promise<Timing[]> {
  const times: number[][] = engines.map(() => []);
  const started = performance.now();
  for (let i = 0; i < warmup && performance.now() - started < budgetMs * engines.length / 2; i++) for (const e of engines) await e.run();
  const timedStart = performance.now();
  for (let i = 0; i < runs; i++) {
    for (const [k, e] of engines.entries()) {
      const t0 = performance.now();
      await e.run();
      times[k]!.push(performance.now() - t0);
    }
    if (i >= Math.min(4, runs - 1) && performance.now() - timedStart > budgetMs * engines.length) break;
  }
  return times.map(summarizeTimes);
}

/** Load-to-first-result in a fresh node process (bench/cold.ts, these feeds), median of 3. */
function coldStart(engine: 'ort' | 'xfc' | 'xfc-simd', source: string, feeds: Record<string, Feed>): number {
  const feedFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-bench-feeds-')), 'feeds.json');
  fs.writeFileSync(feedFile, JSON.stringify(Object.fromEntries(Object.entries(feeds).map(([k, f]) =>
    [k, { dtype: f.data instanceof Float32Array ? 'float32' : 'int64', dims: f.dims, data: Array.from(f.data as ArrayLike<number | bigint>, Number) }]))));
  const times: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, [...process.execArgv, path.join(ROOT, 'bench', 'cold.ts'), engine, source, feedFile], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bench/cold.ts ${engine} failed: ${r.stderr}`);
      times.push((JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number }).ms);
    }
  } finally {
    fs.rmSync(path.dirname(feedFile), { recursive: true, force: true });
  }
  return times.sort((a, b) => a - b)[1]!;
}

/** GFLOP/s of the register-only multiply-add loops (bench/ceiling.ts): the best of the measurements in this run
 * (at the start, after the GEMM, at the end), as load from other processes only lowers it. */
const ceiling = { simd: simdCeiling(false)!, relaxed: simdCeiling(true) };
function remeasureCeiling(): void {
  ceiling.simd = Math.max(ceiling.simd, simdCeiling(false)!);
  if (ceiling.relaxed !== undefined) ceiling.relaxed = Math.max(ceiling.relaxed, simdCeiling(true)!);
}
const pct = (gflops: number, ceil: number | undefined): string => (ceil ? `${((100 * gflops) / ceil).toFixed(0)}%` : '-');

const rows: string[][] = [['model', 'seq', 'engine', 'median ms', 'p10', 'p90', 'GFLOP/s', '% ceil', 'vs ORT', 'cold ms', 'rel L2 vs ORT']];
const sizes: string[][] = [['model', 'compile s', 'model.wasm', 'model.relaxed.wasm', 'weights.bin', 'ORT: model.onnx']];
for (const m of models) {
  if (!m.file) {
    console.log(`skipping ${m.name}: ${m.skip}`);
    continue;
  }
  const t0 = performance.now();
  let compiled;
  try {
    compiled = await compileModel(m.file, { maxShape: { batch: 1, ...(m.seqs.length ? { seq: Math.max(...m.seqs) } : {}) } });
  } catch (e) {
    console.log(`skipping ${m.name}: xfc cannot compile it yet:\n${(e as Error).message.split('\n').slice(0, 5).join('\n')}`);
    continue;
  }
  const compileMs = performance.now() - t0;
  const files = bundleFiles(compiled.contents);
  const bundleDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-bench-')), 'bundle');
  process.on('exit', () => fs.rmSync(path.dirname(bundleDir), { recursive: true, force: true }));
  writeBundle(bundleDir, compiled.contents);
  const f = compiled.contents.files;
  sizes.push([m.name, (compileMs / 1000).toFixed(2), formatSize(f['model.wasm']!.byteLength), formatSize(f['model.relaxed.wasm']?.byteLength ?? 0),
    formatSize(f['weights.bin']!.byteLength), formatSize(fs.statSync(m.file).size)]);
  const seqs = m.seqs.length ? m.seqs : [undefined];
  for (const seq of seqs) {
    const feeds = feedsFor(compiled.contents.manifest.inputs, seq);
    const flops = buildReport({ schedule: compiled.schedule, nodesBefore: 0, nodesAfter: 0, shape: { batch: 1, ...(seq === undefined ? {} : { seq }) } }).totalFlops;
    const engines = [await ortEngine(m.file, feeds), await xfcEngine(files, false, feeds)];
    if (hasRelaxedSimd()) engines.push(await xfcEngine(files, true, feeds));
    const reference = await engines[0]!.run();
    const errors = await Promise.all(engines.map(async (e) => relL2(await e.run(), reference)));
    const timings = await measure(engines);
    const cold = seq === seqs[0]
      ? [coldStart('ort', m.file, feeds), coldStart('xfc-simd', bundleDir, feeds), ...(engines.length > 2 ? [coldStart('xfc', bundleDir, feeds)] : [])]
      : [];
    const ortMs = timings[0]!.medianMs;
    engines.forEach((e, k) => {
      const t = timings[k]!;
      const gflops = flops / t.medianMs / 1e6;
      rows.push([m.name, seq === undefined ? '-' : String(seq), e.name, t.medianMs.toFixed(2), t.p10Ms.toFixed(2), t.p90Ms.toFixed(2),
        gflops.toFixed(1), pct(gflops, k === 2 ? ceiling.relaxed : ceiling.simd), k === 0 ? '1.00' : (t.medianMs / ortMs).toFixed(2),
        cold[k] === undefined ? '-' : cold[k]!.toFixed(0), k === 0 ? '-' : errors[k]!.toExponential(1)]);
    });
    console.log(`measured ${m.name}${seq === undefined ? '' : ` seq ${seq}`} (${(flops / 1e9).toFixed(3)} GFLOP)`);
  }
}

// ---- 1024³ GEMM (bench/gemm.ts) ------------------------------------------------------------------------

let gemm: Awaited<ReturnType<typeof gemmGflops>> | undefined;
if (gemmLine) {
  gemm = await gemmGflops(1024, 1024, 1024);
  remeasureCeiling(); // right after the GEMM, under the same machine load
  console.log('measured 1024³ GEMM');
}

// ---- fused vs unfused attention ------------------------------------------------------------------------

const FUSION_SEQS = [128, 512, 2048];

/**
 * The bench MiniLM with 2048 positions: its [1, 512] position/token-type id tables become [1, 2048] (arange, or
 * the repeated constant) and its [512, E] position embeddings [2048, E] (rows repeated). Written once to tmp.
 */
function widenPositions(src: string, positions: number): string {
  const out = src.replace(/\.onnx$/, `-pos${positions}.onnx`);
  if (fs.existsSync(out)) return out;
  const model = onnx.ModelProto.decode(fs.readFileSync(src));
  const tensors = [...model.graph!.initializer!, ...model.graph!.node!.flatMap((n) => n.attribute!.flatMap((a) => (a.t ? [a.t] : [])))];
  let widened = 0;
  for (const t of tensors) {
    const dims = (t.dims ?? []).map(Number);
    if (dims.length !== 2 || !dims.includes(512)) continue;
    if (!t.rawData?.length) throw new Error(`widenPositions: ${t.name} has no raw data`);
    const raw = t.rawData;
    if (dims[0] === 1 && t.dataType === onnx.TensorProto.DataType.INT64) {
      const ids = new BigInt64Array(new Uint8Array(raw).buffer);
      const arange = ids.every((x, i) => x === BigInt(i));
      if (!arange && !ids.every((x) => x === ids[0])) throw new Error(`widenPositions: ${t.name} is neither an arange nor constant`);
      t.rawData = new Uint8Array(BigInt64Array.from({ length: positions }, (_, i) => (arange ? BigInt(i) : ids[0]!)).buffer);
      t.dims = [1, positions];
    } else if (dims[0] === 512 && t.dataType === onnx.TensorProto.DataType.FLOAT) {
      const row = dims[1]! * 4;
      const data = new Uint8Array(positions * row);
      for (let p = 0; p < positions; p++) data.set(raw.subarray((p % 512) * row, (p % 512 + 1) * row), p * row);
      t.rawData = data;
      t.dims = [positions, dims[1]!];
    } else continue;
    widened++;
  }
  if (widened === 0) throw new Error(`widenPositions: no 512-position table in ${src}`);
  fs.writeFileSync(out, onnx.ModelProto.encode(model).finish());
  return out;
}

const fusionRows: string[][] = [['seq', 'attention', 'median ms', 'p10', 'p90', 'runs', 'fused / unfused', 'peak arena', 'rel L2 vs unfused']];
const minilmModel = fusionTable ? (models.find((m) => m.name.startsWith('minilm')) ?? minilm()) : undefined;
if (minilmModel && !minilmModel.file) console.log(`skipping fused vs unfused: ${minilmModel.skip}`);
if (minilmModel?.file) {
  const file = widenPositions(minilmModel.file, Math.max(...FUSION_SEQS));
  const maxShape = { batch: 1, seq: Math.max(...FUSION_SEQS) };
  const unfusedPasses = DEFAULT_PIPELINE.filter((p) => p !== 'fuse-attention');
  const variants = [
    { name: 'fused', bundle: await compileModel(file, { maxShape, report: true }) },
    { name: 'unfused', bundle: await compileModel(file, { maxShape, report: true, passes: unfusedPasses }) },
  ];
  const relaxed = hasRelaxedSimd();
  for (const seq of FUSION_SEQS) {
    const feeds = feedsFor(variants[0]!.bundle.contents.manifest.inputs, seq);
    const engines = await Promise.all(variants.map((v) => xfcEngine(bundleFiles(v.bundle.contents), relaxed, feeds)));
    const outputs = await Promise.all(engines.map((e) => e.run()));
    // Fewer runs at 2048 (seconds per run for the unfused model).
    const timings = seq >= 2048 ? await measureFor(engines, 1, 5) : await measure(engines);
    variants.forEach((v, k) => {
      const t = timings[k]!;
      const buffers = v.bundle.schedule.buffers.map((b) => ({ bytes: b.bytes, first: b.firstStep, last: b.lastStep }));
      const peak = peakArenaBytes(buffers, { batch: 1, seq });
      fusionRows.push([String(seq), `${v.name} (${v.bundle.report?.fusions?.attention ?? 0} Attention)`, t.medianMs.toFixed(1), t.p10Ms.toFixed(1), t.p90Ms.toFixed(1),
        String(t.runs), k === 0 ? (t.medianMs / timings[1]!.medianMs).toFixed(2) : '1.00', formatSize(peak),
        k === 0 ? relL2(outputs[0]!, outputs[1]!).toExponential(1) : '-']);
    });
    console.log(`measured fused vs unfused at seq ${seq}`);
  }
}

/** Bytes of the runtime as a browser gets it: runtime/index.ts bundled, code-split and minified by esbuild (node:
 * imports left out). `entry`: what every user loads (the entry and the chunks it imports statically); `lazy`: the
 * chunks loaded only by dynamic import (the WebGPU executor, fetched on backend 'webgpu'). */
async function runtimeJsBytes(): Promise<{ entry: number; lazy: number }> {
  const { build } = await import('esbuild');
  const out = await build({ entryPoints: [path.join(ROOT, 'runtime', 'index.ts')], bundle: true, minify: true, format: 'esm', platform: 'browser',
    target: 'es2022', external: ['node:*'], splitting: true, outdir: path.join(os.tmpdir(), 'xfc-runtime-size'), write: false, metafile: true, logLevel: 'silent' });
  const bytes = new Map(out.outputFiles.map((f) => [f.path, f.contents.byteLength]));
  const outputs = out.metafile.outputs;
  const entryName = Object.keys(outputs).find((k) => outputs[k]!.entryPoint !== undefined)!;
  const eager = new Set<string>();
  const visit = (k: string): void => {
    if (eager.has(k)) return;
    eager.add(k);
    for (const i of outputs[k]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entryName);
  const size = (k: string): number => bytes.get(path.resolve(k))!; // metafile paths are relative to the cwd
  const all = Object.keys(outputs).filter((k) => !k.endsWith('.map'));
  return { entry: [...eager].reduce((n, k) => n + size(k), 0), lazy: all.filter((k) => !eager.has(k)).reduce((n, k) => n + size(k), 0) };
}

function printTable(table: string[][], leftCols: number): void {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const [i, r] of table.entries()) {
    console.log(r.map((cell, c) => (c < leftCols ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

const ortVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8')) as { version: string }).version;
remeasureCeiling();
const gf = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(1));
console.log(`\nSIMD ceiling (bench/ceiling.ts: register-only loops of independent f32x4 mul+add / relaxed_madd chains, 8 flops per step, best of 2-3 measurements in this run):` +
  ` SIMD128 mul+add ${gf(ceiling.simd)} GFLOP/s, relaxed madd ${gf(ceiling.relaxed)} GFLOP/s${ceiling.relaxed === undefined ? ' (relaxed SIMD unavailable)' : ''}`);
if (rows.length > 1) {
  console.log(`\nxfc vs onnxruntime-web ${ortVersion} (wasm, 1 thread), node ${process.version}, batch 1, medians after warm-up; 'vs ORT' = xfc time / ORT time;`);
  console.log(`'% ceil' = GFLOP/s / the ceiling of the same variant (onnxruntime-web and xfc simd128: SIMD128; xfc relaxed-simd: relaxed)\n`);
  printTable(rows, 3);
  console.log(`\ncold ms: load to first result in a fresh process (bench/cold.ts), median of 3, at the first seq of each model.`);
  console.log(`\ncompile time and sizes:\n`);
  printTable(sizes, 1);
  const ortDist = path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  const ortJs = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs'].reduce((n, name) => n + fs.statSync(path.join(ortDist, name)).size, 0);
  const js = await runtimeJsBytes();
  console.log(`\nruntime: xfc runtime JS ${formatSize(js.entry)} minified (esbuild, browser ESM, code-split; what a wasm user loads)` +
    ` + ${formatSize(js.lazy)} loaded lazily for backend 'webgpu';` +
    ` onnxruntime-web: ort.wasm.min.mjs + ort-wasm-simd-threaded.mjs ${formatSize(ortJs)}, ort-wasm-simd-threaded.wasm ${formatSize(fs.statSync(ortWasm).size)}`);
}
if (gemm) {
  console.log(`\n1024³ GEMM (bench/gemm.ts, packed B, medians of interleaved runs): xfc simd128 ${gf(gemm.simd)} GFLOP/s (${pct(gemm.simd, ceiling.simd)} of ceiling),` +
    ` xfc relaxed ${gf(gemm.relaxed)} GFLOP/s (${gemm.relaxed === undefined ? '-' : pct(gemm.relaxed, ceiling.relaxed)}), onnxruntime-web ${gf(gemm.ort)} GFLOP/s (${pct(gemm.ort, ceiling.simd)})`);
}
if (fusionRows.length > 1) {
  console.log(`\nfused vs unfused attention: minilm-l6 (random, 2048 positions), xfc ${hasRelaxedSimd() ? 'relaxed-simd' : 'simd128'}, batch 1, interleaved runs after warm-up;`);
  console.log(`'unfused' = default pipeline minus fuse-attention; peak arena = planArena over the schedule at that seq\n`);
  printTable(fusionRows, 2);
}
