// The ONNX backend node tests: every test whose ops xfc supports must pass, except the documented known failures.

import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listNodeTests, runNodeTest, type Outcome } from '../compiler/conformance.js';

/** Known failures, each with the reason; a test listed here that starts passing fails this suite (update the list). */
const KNOWN_FAILURES: Record<string, string> = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, 'conformance-known-failures.json'), 'utf8'),
);

const dirs = listNodeTests();

describe.skipIf(dirs.length === 0)('ONNX backend node tests (libonnx-testdata)', () => {
  const outcomes: Outcome[] = dirs.map((d) => runNodeTest(d));

  it('has the transformer op set covered', () => {
    const passed = new Set(outcomes.filter((o) => o.status === 'passed').map((o) => o.test));
    for (const t of ['test_matmul_4d', 'test_softmax_axis_1', 'test_layer_normalization_4d_axis_negative_1', 'test_gather_negative_indices',
      'test_reshape_allowzero_reordered', 'test_slice_neg_steps', 'test_split_variable_parts_2d_opset18', 'test_erf', 'test_where_long_example']) {
      if (outcomes.some((o) => o.test === t)) expect(passed.has(t), t).toBe(true);
    }
  });

  it('fails no supported test outside the known-failure list', () => {
    const failed = outcomes.filter((o): o is Extract<Outcome, { status: 'failed' }> => o.status === 'failed');
    const unexpected = failed.filter((o) => !(o.test in KNOWN_FAILURES)).map((o) => `${o.test}: ${o.reason}`);
    expect(unexpected).toEqual([]);
  });

  it('lists no known failure that now passes or no longer exists', () => {
    const byName = new Map(outcomes.map((o) => [o.test, o.status]));
    const stale = Object.keys(KNOWN_FAILURES).filter((t) => byName.get(t) !== 'failed');
    expect(stale).toEqual([]);
  });
});
