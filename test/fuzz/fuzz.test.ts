// The mutation fuzzer in CI: a fixed, seeded campaign over the committed fixture models. Every case must end in
// success or a clean diagnostic, within 5 s, without its worker's memory growing past 512 MiB; a smaller
// campaign in compile mode takes each mutant through the default passes and the wasm backend too. A longer campaign
// runs on demand: `npm run fuzz -- --cases N --seed S`.

import { describe, expect, it } from 'vitest';
import { runCampaign } from './campaign.js';
import { generateCase, loadSeeds } from './mutate.js';

const CASES = 1000;
const SEED = 20240601;
/** Compile mode costs ~1-4 s per mutant that imports (two wasm modules through binaryen): a few dozen in CI. */
const COMPILE_CASES = 20;

describe('mutation fuzzing', () => {
  it('generates the same case from the same seed and index, and different cases otherwise', () => {
    const seeds = loadSeeds();
    expect(seeds.length).toBeGreaterThanOrEqual(20);
    const a = generateCase(seeds, SEED, 17);
    const b = generateCase(seeds, SEED, 17);
    expect(Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes))).toBe(0);
    expect(a.mutations).toEqual(b.mutations);
    const others = [18, 19, 20, 21].map((i) => generateCase(seeds, SEED, i));
    expect(others.some((c) => Buffer.compare(Buffer.from(c.bytes), Buffer.from(a.bytes)) !== 0)).toBe(true);
  });

  it('finds a crash, a hang, a memory blow-up and a dead worker (the watchdog self-test)', async () => {
    const report = await runCampaign({ cases: 8, seed: SEED, workers: 2, caseTimeoutMs: 3000, maxRssGrowthMb: 256, selfTest: { crash: 1, hang: 2, grow: 5, die: 6 } });
    expect(report.findings.map((f) => [f.index, f.kind])).toEqual([[1, 'crash'], [2, 'hang'], [5, 'memory'], [6, 'died']]);
    expect(report.findings[0]!.detail).toMatch(/^TypeError: self-test crash/);
    // The cases after a hang or a death still run, in a new worker (the memory case runs to its end).
    expect((report.outcomes.ok ?? 0) + (report.outcomes.diagnostic ?? 0)).toBe(5);
  }, 60_000);

  it(`compile mode: ${COMPILE_CASES} seeded cases through import, the default passes and compileWasm, only diagnostics`, async () => {
    const report = await runCampaign({ cases: COMPILE_CASES, seed: SEED, workers: 2, caseTimeoutMs: 20_000, maxRssGrowthMb: 768, mode: 'compile' });
    console.log(`compile mode: ${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s; ${JSON.stringify(report.outcomes)}; slowest ${report.slowestMs.toFixed(0)} ms`);
    expect(report.findings.map((f) => `case ${f.index} ${f.kind} (${f.seed}: ${f.mutations?.join('; ')}): ${f.detail}`)).toEqual([]);
    expect((report.outcomes.ok ?? 0) + (report.outcomes.diagnostic ?? 0)).toBe(COMPILE_CASES);
    // Some mutants get through the whole pipeline to a bundle.
    expect(report.outcomes.ok ?? 0).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it(`${CASES} seeded cases: no crash, no hang, no memory blow-up`, async () => {
    const report = await runCampaign({ cases: CASES, seed: SEED, workers: 2, caseTimeoutMs: 5000, maxRssGrowthMb: 512 });
    const summary = `${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s; ${JSON.stringify(report.outcomes)}; `
      + `${report.interpreted} interpreted; slowest ${report.slowestMs.toFixed(0)} ms; peak ${report.maxRssMb.toFixed(0)} MiB`;
    console.log(summary);
    expect(report.findings.map((f) => `case ${f.index} ${f.kind} (${f.seed}: ${f.mutations?.join('; ')}): ${f.detail}`)).toEqual([]);
    expect((report.outcomes.ok ?? 0) + (report.outcomes.diagnostic ?? 0)).toBe(CASES);
    // The campaign reaches past the decoder: some mutants import, and some of those run.
    expect(report.outcomes.ok ?? 0).toBeGreaterThan(CASES / 20);
    expect(report.interpreted).toBeGreaterThan(CASES / 20);
  }, 180_000);
});
