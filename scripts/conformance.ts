// `npm run conformance`: the ONNX backend node tests through xfc's importer and interpreter, as a table.
//
// Usage: npm run conformance [-- --filter SUBSTRING] [--verbose] [--json FILE]

import * as fs from 'node:fs';
import { listNodeTests, runNodeTest, type Outcome, DEFAULT_NODE_TEST_DIR } from '../compiler/conformance.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = flag('--filter');
const verbose = args.includes('--verbose');
const jsonOut = flag('--json');

const dirs = listNodeTests().filter((d) => !filter || d.includes(filter));
if (dirs.length === 0) {
  console.error(`no ONNX node tests found under ${DEFAULT_NODE_TEST_DIR} (install Debian's libonnx-testdata)`);
  process.exit(2);
}
const outcomes: Outcome[] = [];
for (const dir of dirs) {
  let o: Outcome;
  try {
    o = runNodeTest(dir);
  } catch (e) {
    o = { test: dir.split('/').pop()!, status: 'failed', reason: `crash: ${(e as Error).stack ?? e}` };
  }
  outcomes.push(o);
  if (verbose || o.status === 'failed') {
    const detail = o.status === 'failed' ? o.reason : o.status === 'unsupported' ? o.ops.join(', ') : '';
    console.log(`${o.status.padEnd(11)} ${o.test}${detail ? `  ${detail.split('\n')[0]}` : ''}`);
  }
}
const count = (s: Outcome['status']) => outcomes.filter((o) => o.status === s).length;
const missing = new Map<string, number>();
for (const o of outcomes) if (o.status === 'unsupported') for (const op of o.ops) missing.set(op, (missing.get(op) ?? 0) + 1);

console.log('\nONNX backend node tests');
console.log('| result      | tests |');
console.log('|-------------|------:|');
for (const s of ['passed', 'failed', 'unsupported'] as const) console.log(`| ${s.padEnd(11)} | ${String(count(s)).padStart(5)} |`);
console.log(`| total       | ${String(outcomes.length).padStart(5)} |`);
const pinned = outcomes.filter((o) => o.status === 'passed' && o.pinned).length;
if (pinned > 0) console.log(`\n${pinned} of the passed tests feed shape operands (axes, starts, split, ...) as graph inputs; they ran with those inputs pinned to the test data, as an ahead-of-time compile of that model would.`);
const top = [...missing].sort((a, b) => b[1] - a[1]).slice(0, 25);
if (top.length > 0) console.log(`\nmost-needed unsupported ops: ${top.map(([op, n]) => `${op} (${n})`).join(', ')}`);
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(outcomes, null, 2));
process.exitCode = count('failed') > 0 ? 1 : 0;
