// Arena placement and dim-expression evaluation, shared by the runtime and the compiler (imports nothing).
//
// The compiler's schedule gives every arena buffer a byte size (a number or a symbolic polynomial such as
// "128*batch*seq+64") and a lifetime [first, last] in steps. Per call, the runtime evaluates the sizes with the
// bound symbols and places the buffers with `planArena`; the compiler's reports use the same two functions.

export interface BufferLifetime {
  /** Byte size (already evaluated); rounded up to 16 by the planner. */
  readonly bytes: number;
  /** First and last step that touch the buffer, inclusive (graph inputs: -1, graph outputs: the step count). */
  readonly first: number;
  readonly last: number;
}

export interface ArenaPlan {
  /** Byte offset of each buffer from the arena's start (a multiple of 64). */
  readonly offsets: number[];
  /** Bytes the arena needs (end of the highest placed buffer). */
  readonly total: number;
}

/** Offsets are aligned to a cache line; each buffer owns its size rounded up to 16 (a whole v128). */
export const ARENA_ALIGN = 64;
const SIZE_ALIGN = 16;

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * Places buffers so that two whose lifetimes overlap never share bytes. Deterministic greedy best fit: buffers
 * are placed largest first (ties: earlier `first`, then lower index); each goes into the smallest gap between
 * the already placed buffers it conflicts with that can hold it (ties: the lowest offset), else after them all.
 */
export function planArena(buffers: readonly BufferLifetime[]): ArenaPlan {
  const sizes = buffers.map((b, i) => {
    if (!Number.isSafeInteger(b.bytes) || b.bytes < 0) throw new Error(`arena buffer ${i}: invalid byte size ${b.bytes}`);
    if (b.last < b.first) throw new Error(`arena buffer ${i}: lifetime [${b.first}, ${b.last}] is empty`);
    return roundUp(b.bytes, SIZE_ALIGN);
  });
  const order = buffers.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || buffers[a]!.first - buffers[b]!.first || a - b);
  const offsets = new Array<number>(buffers.length).fill(0);
  const placed: number[] = [];
  let total = 0;
  for (const i of order) {
    const size = sizes[i]!;
    const { first, last } = buffers[i]!;
    const busy = placed
      .filter((j) => buffers[j]!.first <= last && first <= buffers[j]!.last && sizes[j]! > 0)
      .map((j) => [offsets[j]!, offsets[j]! + sizes[j]!] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let best = -1;
    let bestGap = Infinity;
    let cursor = 0; // lowest aligned offset not covered by the busy intervals seen so far
    for (const [start, end] of busy) {
      if (start >= cursor + size && start - cursor < bestGap) {
        best = cursor;
        bestGap = start - cursor;
      }
      cursor = Math.max(cursor, roundUp(end, ARENA_ALIGN));
    }
    offsets[i] = best >= 0 ? best : cursor;
    placed.push(i);
    total = Math.max(total, offsets[i]! + size);
  }
  return { offsets, total };
}

// ---------------------------------------------------------------------------------------------------------
// Dim expressions: integers, symbol names, '*', '+', '-' (canonical polynomial text); no eval.

/** One monomial: coef times the product of the named symbols (a symbol may repeat). */
export interface DimTerm {
  readonly coef: number;
  readonly symbols: readonly string[];
}

/** Parses "128*batch*seq+64" into its monomials; throws on anything that is not such a polynomial. */
export function parseDimExpr(text: string): DimTerm[] {
  const src = text; // canonical text has no spaces
  const fail = (): never => {
    throw new Error(`invalid dimension expression '${text}'`);
  };
  if (src.length === 0) fail();
  const terms: DimTerm[] = [];
  let pos = 0;
  while (pos < src.length) {
    let coef = 1;
    if (src[pos] === '+' || src[pos] === '-') {
      if (src[pos] === '-') coef = -1;
      pos++;
    } else if (pos !== 0) fail();
    const symbols: string[] = [];
    for (;;) {
      const m = /^([0-9]+|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(pos));
      if (!m) return fail();
      const tok = m[1]!;
      pos += tok.length;
      if (/^[0-9]/.test(tok)) coef *= Number(tok);
      else symbols.push(tok);
      if (src[pos] === '*') pos++;
      else break;
    }
    terms.push({ coef, symbols });
  }
  return terms;
}

/** The value of a dim (a number, or polynomial text) with the given symbol values; throws on unbound symbols. */
export function evalDimExpr(dim: string | number, symbols: Readonly<Record<string, number>>): number {
  if (typeof dim === 'number') return dim;
  let total = 0;
  for (const { coef, symbols: names } of parseDimExpr(dim)) {
    let v = coef;
    for (const s of names) {
      const x = Object.prototype.hasOwnProperty.call(symbols, s) ? symbols[s] : undefined;
      if (x === undefined) throw new Error(`no value for symbol '${s}' in '${dim}'`);
      v *= x;
    }
    total += v;
  }
  if (!Number.isSafeInteger(total)) throw new Error(`'${dim}' evaluates to ${total}, not a safe integer`);
  return total;
}
