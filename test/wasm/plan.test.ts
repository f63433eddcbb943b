// The arena planner and dim-expression evaluator of runtime/plan.ts.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ARENA_ALIGN, evalDimExpr, parseDimExpr, planArena } from '../../runtime/plan.js';
import { evalDim } from '../../compiler/ir/dim.js';

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

const buffers = fc.array(
  fc.record({
    bytes: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 1 << 20 })),
    first: fc.integer({ min: -1, max: 30 }),
    len: fc.integer({ min: 0, max: 12 }),
  }).map(({ bytes, first, len }) => ({ bytes, first, last: first + len })),
  { maxLength: 40 },
);

describe('planArena', () => {
  it('never lets buffers with overlapping lifetimes share bytes; aligned offsets; total <= sum of sizes', () => {
    fc.assert(fc.property(buffers, (bs) => {
      const { offsets, total } = planArena(bs);
      expect(offsets).toHaveLength(bs.length);
      for (let i = 0; i < bs.length; i++) {
        expect(offsets[i]! % ARENA_ALIGN).toBe(0);
        expect(offsets[i]! + roundUp(bs[i]!.bytes, 16)).toBeLessThanOrEqual(total);
        for (let j = i + 1; j < bs.length; j++) {
          const [a, b] = [bs[i]!, bs[j]!];
          if (a.first > b.last || b.first > a.last || a.bytes === 0 || b.bytes === 0) continue;
          const disjoint = offsets[i]! + roundUp(a.bytes, 16) <= offsets[j]! || offsets[j]! + roundUp(b.bytes, 16) <= offsets[i]!;
          expect(disjoint, `buffers ${i} and ${j} overlap`).toBe(true);
        }
      }
      expect(total).toBeLessThanOrEqual(bs.reduce((acc, b) => acc + roundUp(b.bytes, ARENA_ALIGN), 0));
    }), { numRuns: 500 });
  });

  it('is deterministic', () => {
    fc.assert(fc.property(buffers, (bs) => {
      expect(planArena(bs)).toEqual(planArena(bs.map((b) => ({ ...b }))));
    }), { numRuns: 100 });
  });

  it('reuses the bytes of a buffer whose lifetime has ended', () => {
    // a: steps 0-1, b: steps 2-3 -> same offset; c overlaps both -> elsewhere.
    const plan = planArena([
      { bytes: 1000, first: 0, last: 1 },
      { bytes: 1000, first: 2, last: 3 },
      { bytes: 100, first: 1, last: 2 },
    ]);
    expect(plan.offsets[0]).toBe(plan.offsets[1]);
    expect(plan.offsets[2]).toBe(1024);
    expect(plan.total).toBe(1024 + 112);
  });

  it('places into the smallest gap that fits (best fit), largest buffers first', () => {
    // Live at step 5: x [0, 4096), gap [4096, 4224) of 128 bytes (from a dead buffer), y after it.
    const plan = planArena([
      { bytes: 4096, first: 0, last: 9 }, // x
      { bytes: 128, first: 0, last: 1 }, // dead by step 5
      { bytes: 4096, first: 0, last: 9 }, // y
      { bytes: 64, first: 5, last: 6 }, // fits the gap only if the 128 is there... it is free at 5
    ]);
    expect(plan.offsets[0]).toBe(0);
    expect(plan.offsets[2]).toBe(4096);
    expect(plan.offsets[1]).toBe(8192);
    expect(plan.offsets[3]).toBe(8192); // the dead buffer's bytes, not a new region
    expect(plan.total).toBe(8192 + 128);
  });

  it('rejects invalid sizes and lifetimes', () => {
    expect(() => planArena([{ bytes: -1, first: 0, last: 0 }])).toThrow('arena buffer 0: invalid byte size -1');
    expect(() => planArena([{ bytes: 4, first: 3, last: 2 }])).toThrow('arena buffer 0: lifetime [3, 2] is empty');
  });
});

describe('evalDimExpr', () => {
  it('evaluates canonical polynomial text', () => {
    const s = { batch: 3, seq: 7 };
    expect(evalDimExpr(12, s)).toBe(12);
    expect(evalDimExpr('seq', s)).toBe(7);
    expect(evalDimExpr('128*batch*seq+64', s)).toBe(128 * 21 + 64);
    expect(evalDimExpr('batch*seq-seq-1', s)).toBe(21 - 7 - 1);
    expect(evalDimExpr('-seq+10', s)).toBe(3);
    expect(evalDimExpr('seq*seq', s)).toBe(49);
  });

  it('agrees with the compiler on random polynomials', () => {
    const term = fc.tuple(fc.integer({ min: -50, max: 50 }), fc.subarray(['a', 'b', 'c', 'a']));
    fc.assert(fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9 }), (terms, a, b, c) => {
      const text = terms.map(([k, syms], i) => `${k < 0 ? '-' : i > 0 ? '+' : ''}${[String(Math.abs(k)), ...syms].join('*')}`).join('');
      expect(evalDimExpr(text, { a, b, c })).toBe(evalDim(text, { a, b, c }));
    }));
  });

  it('fails on unbound symbols and on text that is not a polynomial', () => {
    expect(() => evalDimExpr('batch*seq', { batch: 1 })).toThrow("no value for symbol 'seq' in 'batch*seq'");
    for (const bad of ['', 'seq+', '2**seq', 'seq/2', '(seq)', 'alert(1)', 'seq seq']) {
      expect(() => parseDimExpr(bad), bad).toThrow('invalid dimension expression');
    }
    expect(() => evalDimExpr('toString', {})).toThrow("no value for symbol 'toString'");
  });
});
