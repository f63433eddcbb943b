// Symbolic dimensions: a Dim is a number or a canonical polynomial over named symbols ("batch*seq", "seq+1").
//
// Symbols stand for sizes known only at run time (ONNX dim_param). Arithmetic on dims keeps them exact
// polynomials with integer coefficients; every helper returns canonical text so that two equal dims are
// equal strings. Division is exact or undefined. Symbols are assumed to be >= 1.

export type Dim = number | string;

/** Polynomial: monomial key ('' for the constant term, else symbols sorted and joined by '*') -> coefficient. */
type Poly = Map<string, number>;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isSymbolName(s: string): boolean {
  return IDENT.test(s);
}

/** Turns any ONNX dim_param into a symbol name the IR text can carry ("batch size" -> "batch_size"). */
export function sanitizeSymbol(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(s)) s = `_${s}`;
  return s;
}

function polyOf(d: Dim): Poly {
  if (typeof d === 'number') return new Map(d === 0 ? [] : [['', d]]);
  return parsePoly(d);
}

function parsePoly(text: string): Poly {
  const src = text.replace(/\s+/g, '');
  let pos = 0;
  const poly: Poly = new Map();
  const fail = (): never => {
    throw new Error(`invalid dimension expression '${text}'`);
  };
  if (src.length === 0) fail();
  while (pos < src.length) {
    let sign = 1;
    if (src[pos] === '+' || src[pos] === '-') {
      if (src[pos] === '-') sign = -1;
      pos++;
    } else if (pos !== 0) fail();
    let coef = sign;
    const syms: string[] = [];
    for (;;) {
      const m = /^([0-9]+|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(pos));
      if (!m) fail();
      const tok = m![1]!;
      pos += tok.length;
      if (/^[0-9]/.test(tok)) coef *= Number(tok);
      else syms.push(tok);
      if (src[pos] === '*') pos++;
      else break;
    }
    addTerm(poly, syms.sort().join('*'), coef);
  }
  return poly;
}

function addTerm(poly: Poly, key: string, coef: number): void {
  const c = (poly.get(key) ?? 0) + coef;
  if (c === 0) poly.delete(key);
  else poly.set(key, c);
}

function degree(key: string): number {
  return key === '' ? 0 : key.split('*').length;
}

/**
 * Thrown when dim arithmetic leaves the integers (a coefficient that is infinite, NaN or fractional, e.g. from
 * hostile shape values multiplied together); the builder turns it into a shape diagnostic naming the node.
 */
export class DimArithmeticError extends Error {
  override name = 'DimArithmeticError';
}

/** A coefficient as digits that parse back to the same number (beyond 2^53, String() would use exponents). */
function coefText(c: number): string {
  if (Number.isSafeInteger(c)) return String(c);
  if (Number.isFinite(c) && Number.isInteger(c)) return BigInt(c).toString();
  throw new DimArithmeticError(`dimension arithmetic produced the coefficient ${c}, which is not an integer`);
}

function polyToDim(poly: Poly): Dim {
  if (poly.size === 0) return 0;
  if (poly.size === 1 && poly.has('')) return poly.get('')!;
  const keys = [...poly.keys()].sort((a, b) => degree(b) - degree(a) || (a < b ? -1 : a > b ? 1 : 0));
  let out = '';
  for (const key of keys) {
    const c = poly.get(key)!;
    const abs = Math.abs(c);
    const body = key === '' ? coefText(abs) : abs === 1 ? key : `${coefText(abs)}*${key}`;
    out += c < 0 ? `-${body}` : out === '' ? body : `+${body}`;
  }
  return out;
}

/** Canonical form of a dim (parses and re-prints symbolic text; numbers pass through). */
export function canonicalDim(d: Dim): Dim {
  return typeof d === 'number' ? d : polyToDim(parsePoly(d));
}

export function isStaticDim(d: Dim): d is number {
  return typeof d === 'number';
}

export function dimEq(a: Dim, b: Dim): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return polyToDim(polyOf(a)) === polyToDim(polyOf(b));
}

export function dimAdd(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b + 0; // + 0: never -0
  const p = polyOf(a);
  for (const [k, c] of polyOf(b)) addTerm(p, k, c);
  return polyToDim(p);
}

export function dimSub(a: Dim, b: Dim): Dim {
  return dimAdd(a, dimMul(b, -1));
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b + 0;
  const out: Poly = new Map();
  for (const [ka, ca] of polyOf(a)) {
    for (const [kb, cb] of polyOf(b)) {
      const key = [...(ka ? ka.split('*') : []), ...(kb ? kb.split('*') : [])].sort().join('*');
      addTerm(out, key, ca * cb);
    }
  }
  return polyToDim(out);
}

/** Exact division a / b, or undefined when the quotient is not a polynomial with integer coefficients. */
export function dimDiv(a: Dim, b: Dim): Dim | undefined {
  b = canonicalDim(b);
  if (typeof b === 'number') {
    if (b === 0) return undefined;
    if (typeof a === 'number') return a % b === 0 ? a / b + 0 : undefined;
    const out: Poly = new Map();
    for (const [k, c] of polyOf(a)) {
      if (c % b !== 0) return undefined;
      out.set(k, c / b);
    }
    return polyToDim(out);
  }
  const pb = polyOf(b);
  if (pb.size !== 1) return dimEq(a, 0) ? 0 : dimEq(a, b) ? 1 : undefined;
  const [[kb, cb]] = [...pb] as [[string, number]];
  const out: Poly = new Map();
  for (const [ka, ca] of polyOf(a)) {
    const syms = ka ? ka.split('*') : [];
    for (const s of kb.split('*')) {
      const i = syms.indexOf(s);
      if (i < 0) return undefined;
      syms.splice(i, 1);
    }
    if (ca % cb !== 0) return undefined;
    addTerm(out, syms.join('*'), ca / cb);
  }
  return polyToDim(out);
}

export function dimsProduct(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

/** Symbols a dim mentions. */
export function dimSymbols(d: Dim): string[] {
  if (typeof d === 'number') return [];
  const out = new Set<string>();
  for (const k of polyOf(d).keys()) for (const s of k.split('*')) if (s) out.add(s);
  return [...out];
}

/** The value of a dim given values for its symbols; throws naming the first unbound symbol. */
export function evalDim(d: Dim, bindings: ReadonlyMap<string, number> | Record<string, number>): number {
  if (typeof d === 'number') return d;
  const get = (s: string): number => {
    const v = bindings instanceof Map ? bindings.get(s) : (bindings as Record<string, number>)[s];
    if (v === undefined) throw new Error(`no value for symbolic dimension '${s}'`);
    return v;
  };
  let total = 0;
  for (const [k, c] of polyOf(d)) total += c * (k ? k.split('*').reduce((acc, s) => acc * get(s), 1) : 1);
  return total;
}

/** The dim with symbols replaced by dims (symbols absent from `bindings` stay as they are). */
export function substituteDim(d: Dim, bindings: ReadonlyMap<string, Dim>): Dim {
  if (typeof d === 'number') return d;
  let total: Dim = 0;
  for (const [k, c] of polyOf(d)) {
    const factors = k ? k.split('*').map((s) => bindings.get(s) ?? s) : [];
    total = dimAdd(total, dimMul(c, dimsProduct(factors)));
  }
  return total;
}

/** True when the dim is certainly >= 1 given that every symbol is >= 1 (all coefficients positive). */
export function dimIsPositive(d: Dim): boolean {
  if (typeof d === 'number') return d >= 1;
  const coefs = [...polyOf(d).values()];
  return coefs.length > 0 && coefs.every((c) => c > 0);
}

export function shapeToString(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

export function shapesEqual(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]!));
}
