// Tests of symbolic dimensions: canonical text, arithmetic, exact division, evaluation and substitution.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalDim, dimAdd, dimDiv, dimEq, dimIsPositive, dimMul, dimSub, dimSymbols, dimsProduct, evalDim,
  isStaticDim, isSymbolName, sanitizeSymbol, shapeToString, shapesEqual, substituteDim, type Dim,
} from '../../compiler/ir/dim.js';

describe('canonical text', () => {
  it('orders terms by degree, then by name, with coefficients first', () => {
    expect(canonicalDim('seq + batch*seq + 1')).toBe('batch*seq+seq+1');
    expect(canonicalDim('seq*batch')).toBe('batch*seq');
    expect(canonicalDim('seq*2')).toBe('2*seq');
    expect(canonicalDim('1 - seq')).toBe('-seq+1');
    expect(canonicalDim('b*a*a')).toBe('a*a*b');
  });
  it('collapses constant-only text to a number and cancels terms', () => {
    expect(canonicalDim('2*3+1')).toBe(7);
    expect(canonicalDim('seq - seq')).toBe(0);
    expect(canonicalDim('seq+1-1')).toBe('seq');
    expect(canonicalDim(5)).toBe(5);
  });
  it('rejects malformed text', () => {
    for (const bad of ['', 'seq+', '2seq', 'seq**2', '(seq)', 'a/b', '1.5']) {
      expect(() => canonicalDim(bad), bad).toThrow(`invalid dimension expression '${bad}'`);
    }
  });
  it('is idempotent', () => {
    for (const d of ['batch*seq', '-seq+2', '3*a*b-a+7', 'x']) expect(canonicalDim(canonicalDim(d))).toBe(canonicalDim(d));
  });
});

describe('arithmetic', () => {
  it('adds, subtracts and multiplies polynomials', () => {
    expect(dimAdd('seq', 1)).toBe('seq+1');
    expect(dimAdd(2, 3)).toBe(5);
    expect(dimAdd('seq', 'seq')).toBe('2*seq');
    expect(dimSub('seq+1', 1)).toBe('seq');
    expect(dimSub('seq', 'seq')).toBe(0);
    expect(dimMul('batch', 'seq')).toBe('batch*seq');
    expect(dimMul('seq+1', 'seq-1')).toBe('seq*seq-1');
    expect(dimMul('seq', 0)).toBe(0);
    expect(dimMul(3, 4)).toBe(12);
    expect(dimsProduct(['batch', 'seq', 12])).toBe('12*batch*seq');
    expect(dimsProduct([])).toBe(1);
  });
  it('compares by value, whatever the spelling', () => {
    expect(dimEq('seq*batch', 'batch*seq')).toBe(true);
    expect(dimEq('seq+seq', '2*seq')).toBe(true);
    expect(dimEq('3', 3)).toBe(true);
    expect(dimEq('seq', 'batch')).toBe(false);
    expect(dimEq('seq', 1)).toBe(false);
    expect(shapesEqual(['a*b', 2], ['b*a', 2])).toBe(true);
    expect(shapesEqual(['a'], ['a', 1])).toBe(false);
  });
  it('divides exactly or not at all', () => {
    expect(dimDiv(12, 4)).toBe(3);
    expect(dimDiv(12, 5)).toBeUndefined();
    expect(dimDiv(1, 0)).toBeUndefined();
    expect(dimDiv('12*batch*seq', 12)).toBe('batch*seq');
    expect(dimDiv('4*seq+2', 2)).toBe('2*seq+1');
    expect(dimDiv('4*seq+2', 4)).toBeUndefined();
    expect(dimDiv('batch*seq', 'seq')).toBe('batch');
    expect(dimDiv('6*batch*seq+3*seq', '3*seq')).toBe('2*batch+1');
    expect(dimDiv('batch', 'seq')).toBeUndefined();
    expect(dimDiv(6, 'seq')).toBeUndefined();
    expect(dimDiv('seq+1', 'seq+1')).toBe(1);
    expect(dimDiv('2*seq+2', 'seq+1')).toBeUndefined();
  });
  it('divides by a divisor written as a numeric string and divides zero by anything (bug fixes)', () => {
    expect(dimDiv('6*seq', '3')).toBe('2*seq');
    expect(dimDiv(6, '3')).toBe(2);
    expect(dimDiv(0, 'seq+1')).toBe(0);
    expect(dimDiv(0, 'seq')).toBe(0);
  });
  it('agrees with evaluation on random polynomials (property)', () => {
    const sym = fc.constantFrom('a', 'b', 'c');
    const mono = fc.tuple(fc.integer({ min: -5, max: 5 }), fc.array(sym, { maxLength: 2 }))
      .map(([c, s]) => (s.length ? dimMul(c, dimsProduct(s)) : c));
    const poly = fc.array(mono, { maxLength: 3 }).map((ms) => ms.reduce<Dim>((x, m) => dimAdd(x, m), 0));
    const env = fc.record({ a: fc.integer({ min: 1, max: 9 }), b: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 9 }) });
    fc.assert(fc.property(poly, poly, env, (p, q, e) => {
      expect(evalDim(dimAdd(p, q), e)).toBe(evalDim(p, e) + evalDim(q, e));
      expect(evalDim(dimSub(p, q), e)).toBe(evalDim(p, e) - evalDim(q, e));
      expect(evalDim(dimMul(p, q), e)).toBe(evalDim(p, e) * evalDim(q, e) + 0);
      expect(canonicalDim(String(p))).toEqual(p);
      const d = dimDiv(dimMul(p, q), q);
      if (d !== undefined && evalDim(q, e) !== 0) expect(evalDim(d, e)).toBe(evalDim(p, e));
    }), { numRuns: 200 });
  });
});

describe('symbols and evaluation', () => {
  it('lists symbols and evaluates with Map or record bindings', () => {
    expect(dimSymbols('batch*seq+seq+1').sort()).toEqual(['batch', 'seq']);
    expect(dimSymbols(4)).toEqual([]);
    expect(evalDim('batch*seq+seq+1', { batch: 2, seq: 5 })).toBe(16);
    expect(evalDim('-seq+10', new Map([['seq', 3]]))).toBe(7);
    expect(() => evalDim('batch*seq', { batch: 2 })).toThrow("no value for symbolic dimension 'seq'");
  });
  it('substitutes dims for symbols', () => {
    expect(substituteDim('n*seq+1', new Map<string, Dim>([['n', 4]]))).toBe('4*seq+1');
    expect(substituteDim('n+1', new Map<string, Dim>([['n', 'batch*seq']]))).toBe('batch*seq+1');
    expect(substituteDim('n*n', new Map<string, Dim>([['n', 'a+1']]))).toBe('a*a+2*a+1');
    expect(substituteDim('n', new Map<string, Dim>([['n', 7]]))).toBe(7);
    expect(substituteDim('seq', new Map())).toBe('seq');
    expect(substituteDim(3, new Map<string, Dim>([['n', 7]]))).toBe(3);
  });
  it('knows when a dim is certainly positive', () => {
    expect(dimIsPositive('seq')).toBe(true);
    expect(dimIsPositive('batch*seq+1')).toBe(true);
    expect(dimIsPositive('seq-1')).toBe(false);
    expect(dimIsPositive(0)).toBe(false);
    expect(dimIsPositive(1)).toBe(true);
    // Bug fix: a symbolic text that cancels to zero is not positive.
    expect(dimIsPositive('seq-seq')).toBe(false);
  });
  it('names symbols', () => {
    expect(isSymbolName('batch_size')).toBe(true);
    expect(isSymbolName('2x')).toBe(false);
    expect(sanitizeSymbol('batch size')).toBe('batch_size');
    expect(sanitizeSymbol('2x')).toBe('_2x');
    expect(sanitizeSymbol('')).toBe('_');
    expect(isStaticDim(3)).toBe(true);
    expect(isStaticDim('3')).toBe(false);
    expect(shapeToString(['batch', 3])).toBe('[batch, 3]');
    expect(shapeToString([])).toBe('[]');
  });
});
