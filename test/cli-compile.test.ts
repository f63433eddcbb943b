// xfc compile / run --backend wasm / bench, in-process: the example model through the real runtime.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../cli/main.js';
import { memoryIo } from '../cli/io.js';
import { parseNpy } from '../compiler/io/npy.js';
import { relL2 } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'tiny-bert.onnx');
const INPUTS = ['-i', `input_ids=${path.join(ROOT, 'examples', 'input_ids.npy')}`, '-i', `attention_mask=${path.join(ROOT, 'examples', 'attention_mask.npy')}`];

async function xfc(...args: string[]) {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-compile-'));
}

function output(dir: string) {
  return parseNpy(fs.readFileSync(path.join(dir, 'last_hidden_state.npy'))).toFloat64();
}

describe('xfc compile', () => {
  it('writes a bundle and prints a summary; --report writes report.json', async () => {
    const dir = path.join(tmpdir(), 'bundle');
    const r = await xfc('compile', EXAMPLE, '-o', dir, '--max-shape', 'seq=64', '--max-shape', 'batch=2', '--report');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^compiled tiny-bert.onnx -> .* in [0-9.]+ s\n/);
    for (const f of ['model.wasm', 'model.relaxed.wasm', 'weights.bin', 'report.json', 'manifest.json']) expect(r.stdout).toContain(f);
    expect(r.stdout).toMatch(/weights: [0-9.]+ KiB, kernels \(steps\): \d+/);
    expect(r.stdout).toContain('symbols: batch in 1..2, seq in 1..64');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.inputs).toEqual([
      { name: 'input_ids', dtype: 'int64', shape: ['batch', 'seq'] },
      { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'seq'] },
    ]);
    expect(manifest.outputs).toEqual([{ name: 'last_hidden_state', dtype: 'float32', shape: ['batch', 'seq', 32] }]);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    expect(report.shape).toEqual({ batch: 2, seq: 64 });
    expect(report.nodes.before).toBeGreaterThan(50);
    expect(report.weightBytes).toBeGreaterThan(30_000);
    expect(report.peakArenaBytes).toBeGreaterThan(2 * 64 * 32 * 4);
    // Two layers of Q, K, V, output (32x32), FFN (32x64, 64x32) at 128 rows: 2*128*(4*32*32+2*32*64)*2 flops,
    // all in fused Linear steps after the default pipeline.
    expect(report.flopsByOp.Linear).toBeGreaterThanOrEqual(2 * 2 * 128 * (4 * 32 * 32 + 2 * 32 * 64));
    expect(report.fusions).toMatchObject({ attention: 2, layernorm: 5, gelu: 2, skip_layernorm: 5, linear: 12 });
  });

  it('refuses a bad --max-shape and a non-bundle output directory', async () => {
    const bad = await xfc('compile', EXAMPLE, '-o', path.join(tmpdir(), 'b'), '--max-shape', 'seq=0', '--max-shape', 'x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("error: --max-shape 'seq=0' must be SYMBOL=N with N >= 1\n       --max-shape 'x' must be SYMBOL=N with N >= 1\n");
    const unknown = await xfc('compile', EXAMPLE, '-o', path.join(tmpdir(), 'b'), '--max-shape', 'tokens=8');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--max-shape tokens: the model has no symbol 'tokens' (symbols: batch, seq)");
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    const r = await xfc('compile', EXAMPLE, '-o', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a non-empty directory that is not an xfc bundle; refusing to overwrite it/);
    expect(fs.readdirSync(dir)).toEqual(['notes.txt']);
  });
});

describe('xfc run --backend wasm', () => {
  it('runs a bundle and an .onnx compiled in memory, matching the interpreter', async () => {
    const bundle = path.join(tmpdir(), 'bundle');
    expect((await xfc('compile', EXAMPLE, '-o', bundle)).code).toBe(0);
    const [ref, fromBundle, fromOnnx] = [tmpdir(), tmpdir(), tmpdir()];
    const a = await xfc('run', EXAMPLE, ...INPUTS, '-o', ref);
    const b = await xfc('run', bundle, '--backend', 'wasm', ...INPUTS, '-o', fromBundle);
    const c = await xfc('run', EXAMPLE, '--backend', 'wasm', ...INPUTS, '-o', fromOnnx);
    for (const r of [a, b, c]) expect(r.stderr).toBe('');
    expect(b.stdout).toMatch(/^ran bundle with the wasm backend \((simd|relaxed-simd)\) in [0-9.]+ ms\n  last_hidden_state: f32\[1, 8, 32\]/);
    expect(relL2(output(fromBundle), output(ref))).toBeLessThanOrEqual(1e-5);
    expect(relL2(output(fromOnnx), output(ref))).toBeLessThanOrEqual(1e-5);
  });

  it('reports runtime problems as usage errors, not crashes', async () => {
    const bundle = path.join(tmpdir(), 'bundle');
    expect((await xfc('compile', EXAMPLE, '-o', bundle, '--max-shape', 'seq=4')).code).toBe(0);
    const r = await xfc('run', bundle, '--backend', 'wasm', ...INPUTS);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'seq' = 8 (from 'input_ids' dim 1) is outside the range the bundle was compiled for: 1..4");
    const i = await xfc('run', bundle, ...INPUTS);
    expect(i.code).toBe(2);
    expect(i.stderr).toContain('the interpreter runs .onnx models; run a bundle with --backend wasm');
  });
});

describe('xfc bench', () => {
  it('prints latency percentiles and throughput', async () => {
    const bundle = path.join(tmpdir(), 'bundle');
    expect((await xfc('compile', EXAMPLE, '-o', bundle)).code).toBe(0);
    const r = await xfc('bench', bundle, '--warmup', '2', '--runs', '5', '--shape', 'seq=16');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^bundle +.*\nvariant +wasm (simd|relaxed-simd)\nshape +batch=1, seq=16\n/);
    expect(r.stdout).toContain('inputs            input_ids[1, 16] (random), attention_mask[1, 16] (random)');
    expect(r.stdout).toMatch(/runs +5 after 2 warm-up\n/);
    for (const row of ['latency median', 'latency p10', 'latency p90']) expect(r.stdout).toMatch(new RegExp(`${row} +[0-9.]+ ms`));
    expect(r.stdout).toMatch(/throughput +[0-9.]+ runs\/s \([0-9.]+ samples\/s\)/);
  });

  it('rejects bad counts', async () => {
    const r = await xfc('bench', tmpdir(), '--runs', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --runs must be an integer >= 1, got '0'\n");
  });
});
