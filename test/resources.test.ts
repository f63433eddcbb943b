// Compile-time memory accounting (backends/resources.ts): symbol ranges that fit wasm32's 4 GiB at their maxima,
// derived when not declared, and diagnostics naming the bytes needed when nothing fits.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type MemoryModel, WASM32_MEMORY_LIMIT, memoryAt, planSymbolRanges } from '../backends/resources.js';
import { CompileError } from '../compiler/diagnostics.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'tiny-bert.onnx');

/** A model with the layout the wasm codegen writes (weights at 64, table, arena) and the given buffers. */
function model(buffers: { bytes: number | string; first: number; last: number }[], symbols: string[], weights = 64): MemoryModel {
  const tableBase = 64 + weights;
  return { weightsBase: 64, tableBase, arenaBase: tableBase + 64, symbols, buffers };
}

function diagnostic(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    return (e as CompileError).diagnostics.map((d) => d.toString()).join('\n');
  }
  throw new Error('no diagnostic');
}

describe('memoryAt', () => {
  it('is arenaBase plus the planned arena: overlapping lifetimes add up, disjoint ones share', () => {
    const m = model([{ bytes: '16*n', first: 0, last: 1 }, { bytes: '32*n', first: 1, last: 2 }, { bytes: '32*n', first: 3, last: 4 }], ['n']);
    // Buffers 0 and 1 overlap at step 1 (16n + 32n, each at a 64-aligned offset); buffer 2 reuses the space.
    expect(memoryAt(m, { n: 4 })).toEqual({ shape: { n: 4 }, peakArenaBytes: 128 + 64, totalBytes: 192 + 192 });
    expect(memoryAt(m, { n: 1000 }).peakArenaBytes).toBe(32_000 + 16_000);
  });
});

describe('planSymbolRanges', () => {
  it('keeps 4096 where memory at 4096 fits', () => {
    const r = planSymbolRanges(model([{ bytes: '64*seq', first: 0, last: 1 }], ['seq']), ['seq']);
    expect(r.ranges).toEqual({ seq: { min: 1, max: 4096 } });
    expect(r.derived).toEqual(['seq']);
    expect(r.atMaxima.totalBytes).toBe(192 + 64 * 4096);
    expect(r.limitBytes).toBe(2 ** 32);
  });

  it('halves an undeclared maximum until memory at the maximum fits (1 GiB at 1024; 4 GiB + 192 B at 2048 does not)', () => {
    const r = planSymbolRanges(model([{ bytes: '1024*seq*seq', first: 0, last: 1 }], ['seq']), ['seq']);
    expect(r.ranges.seq).toEqual({ min: 1, max: 1024 });
    expect(r.atMaxima).toEqual({ shape: { seq: 1024 }, peakArenaBytes: 2 ** 30, totalBytes: 2 ** 30 + 192 });
  });

  it('halves the largest undeclared maximum first, ties by name, and keeps declared maxima', () => {
    const m = model([{ bytes: '256*batch*seq', first: 0, last: 1 }], ['batch', 'seq']);
    expect(planSymbolRanges(m, ['batch', 'seq']).ranges).toEqual({ batch: { min: 1, max: 2048 }, seq: { min: 1, max: 4096 } });
    const declared = planSymbolRanges(m, ['batch', 'seq'], { batch: 4096 });
    expect(declared.ranges).toEqual({ batch: { min: 1, max: 4096 }, seq: { min: 1, max: 2048 } });
    expect(declared.derived).toEqual(['seq']);
    // Symbols of the interface that no buffer uses keep the default.
    expect(planSymbolRanges(m, ['batch', 'seq', 'past']).ranges.past).toEqual({ min: 1, max: 4096 });
  });

  it('refuses a declared maximum that does not fit, naming the memory and the limit', () => {
    const m = model([{ bytes: '1024*seq*seq', first: 0, last: 1 }], ['seq']);
    expect(diagnostic(() => planSymbolRanges(m, ['seq'], { seq: 2048 }))).toBe(
      'error XFC0112: at --max-shape seq=2048 the model needs 4.00 GiB (4294967488 bytes) of wasm memory (seq=2048: weights and run table 192 B, ' +
      'arena 4.00 GiB (4294967296 bytes)), more than the 4.00 GiB (4294967296 bytes) a wasm32 module can address; lower --max-shape');
    expect(planSymbolRanges(m, ['seq'], { seq: 2047 }).ranges.seq!.max).toBe(2047);
  });

  it('refuses a model that does not fit even with every symbol at 1, or whose weights alone do not', () => {
    const m = model([{ bytes: 3 * 2 ** 30, first: 0, last: 2 }, { bytes: '2147483648*n', first: 1, last: 2 }], ['n']);
    expect(diagnostic(() => planSymbolRanges(m, ['n']))).toBe(
      'error XFC0111: the model needs 5.00 GiB (5368709312 bytes) of wasm memory even at the smallest shape (n=1: weights and run table 192 B, ' +
      'arena 5.00 GiB (5368709120 bytes)), more than the 4.00 GiB (4294967296 bytes) a wasm32 module can address');
    expect(diagnostic(() => planSymbolRanges(model([], [], 2 ** 32), []))).toBe(
      'error XFC0110: the weights and run table need 4.00 GiB (4294967424 bytes) of wasm memory, more than the 4.00 GiB (4294967296 bytes) a wasm32 module can address');
  });

  it('treats sizes past 2^52 as not fitting instead of failing', () => {
    const r = planSymbolRanges(model([{ bytes: 'a*a*a*a*a*a*a', first: 0, last: 1 }], ['a']), ['a']);
    expect(r.ranges.a!.max).toBe(16); // 16^7 = 2^28; 32^7 = 2^35
    expect(r.atMaxima.totalBytes).toBeLessThanOrEqual(WASM32_MEMORY_LIMIT);
  });
});

describe('xfc compile and the symbol ranges', () => {
  it('derives ranges that fit 4 GiB when no --max-shape is given, prints them, and the runtime enforces them', async () => {
    const { main } = await import('../cli/main.js');
    const { memoryIo } = await import('../cli/io.js');
    const { loadModel, InputError } = await import('../runtime/index.js');
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-resources-')), 'out');
    const io = memoryIo();
    expect(await main(['compile', EXAMPLE, '-o', dir, '--report'], io), io.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    const { batch, seq } = manifest.symbols;
    expect(batch.max).toBeLessThan(4096);
    expect(report.memory.ranges).toEqual(manifest.symbols);
    expect(report.memory.atMaxima.shape).toEqual({ batch: batch.max, seq: seq.max });
    expect(report.memory.atMaxima.totalBytes).toBeLessThanOrEqual(2 ** 32);
    expect(report.memory.weightBytes).toBeGreaterThanOrEqual(report.weightBytes);
    expect(io.stdout).toContain(`symbols: batch in 1..${batch.max}, seq in 1..${seq.max}\n`);
    expect(io.stdout).toMatch(new RegExp(`\\nmemory: [0-9.]+ GiB \\([0-9]+ bytes\\) at batch=${batch.max}, seq=${seq.max} \\(weights [0-9.]+ KiB, arena .*\\) of 4.00 GiB \\(4294967296 bytes\\); derived batch <= ${batch.max}, seq <= ${seq.max} \\(set --max-shape to choose\\)\\n`));
    // The range is the contract: one past it is refused before any memory is touched.
    const model = await loadModel(dir);
    const ids = new BigInt64Array(batch.max + 1);
    await expect(model.run({ input_ids: { data: ids, dims: [batch.max + 1, 1] }, attention_mask: { data: ids.slice(), dims: [batch.max + 1, 1] } }))
      .rejects.toThrow(InputError);
  }, 60_000);
});
