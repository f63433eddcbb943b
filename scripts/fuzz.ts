// `npm run fuzz -- --cases N --seed S [--workers W] [--out DIR] [--mode interpret|compile]`: a longer
// mutation-fuzzing campaign on demand (compile mode runs import → default passes → wasm codegen per case).
//
// Prints throughput and outcome counts; each finding (crash, hang, memory blow-up) is written to DIR as the
// mutated model and, for crashes, a minimized copy (add it to fixtures/broken/regressions/ with the fix).

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { runCampaign } from '../test/fuzz/campaign.js';
import { type FuzzMode, runFuzzCase } from '../test/fuzz/run-case.js';
import { extremeFeeds, generateCase, loadSeeds, prepareExternalDir } from '../test/fuzz/mutate.js';
import { minimize } from '../test/fuzz/minimize.js';


const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: String(Date.now() % 100000) },
    workers: { type: 'string', default: String(Math.max(1, os.availableParallelism() - 1)) },
    out: { type: 'string', default: '.xfc-tmp-fuzz-findings' },
    'timeout-ms': { type: 'string', default: '5000' },
    mode: { type: 'string', default: 'interpret' },
  },
});
const cases = Number(values.cases);
const seed = Number(values.seed);
console.log(`fuzzing ${cases} cases, seed ${seed}, ${values.workers} workers`);
let last = 0;
const report = await runCampaign({
  cases, seed, workers: Number(values.workers), caseTimeoutMs: Number(values['timeout-ms']), mode: values.mode as FuzzMode,
  onCase: (n) => {
    if (n - last >= 1000 || n === cases) {
      last = n;
      process.stdout.write(`  ${n}/${cases}\n`);
    }
  },
});
const perSecond = (report.cases / report.ms) * 1000;
console.log(`${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s (${perSecond.toFixed(0)} cases/s); outcomes ${JSON.stringify(report.outcomes)}; ` +
  `${report.interpreted} interpreted; slowest case ${report.slowestMs.toFixed(0)} ms; peak worker memory ${report.maxRssMb.toFixed(0)} MiB`);
if (report.findings.length === 0) {
  console.log('no findings');
  process.exit(0);
}

fs.mkdirSync(values.out!, { recursive: true });
const seeds = loadSeeds();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xfc-fuzz-min-'));
prepareExternalDir(dir);
for (const f of report.findings) {
  const c = generateCase(seeds, seed, f.index);
  const base = path.join(values.out!, `seed${seed}-case${f.index}-${f.kind}`);
  fs.writeFileSync(`${base}.onnx`, c.bytes);
  fs.writeFileSync(`${base}.txt`, `${f.kind} on ${c.seed}: ${c.mutations.join('; ')}\n${f.detail}\n`);
  console.log(`${f.kind} case ${f.index} (${c.seed}: ${c.mutations.join('; ')})\n  ${f.detail.split('\n').join('\n  ')}`);
  if (f.kind === 'crash') {
    const given = seeds.find((s) => s.name === c.seed)!.feeds;
    const feeds = c.feeds === 'extreme' ? extremeFeeds(given) : given;
    const firstLine = f.detail.split('\n')[0];
    const small = minimize(c.bytes, (b) => {
      const r = runFuzzCase(b, feeds, dir);
      return r.outcome === 'crash' && r.detail.split('\n')[0] === firstLine;
    });
    fs.writeFileSync(`${base}-min.onnx`, small);
    console.log(`  minimized ${c.bytes.length} -> ${small.length} bytes: ${base}-min.onnx`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
process.exit(1);
