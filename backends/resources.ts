// Compile-time memory accounting of the wasm target: linear memory at the symbol maxima against wasm32's 4 GiB.
//
// A wasm32 module addresses at most 4 GiB. Its linear memory holds, from address 0 (docs/bundle.md):
//   [0, weightsBase)  reserved  | weights image | run table (symbols, buffer addresses) | arena (aligned)
// so the memory a call needs is arenaBase + peak arena(symbol values). The arena's peak is computed exactly as the
// runtime computes it per call (planArena over the buffer sizes evaluated at the symbol values).
//
// The symbol ranges written into the manifest are the contract that every call inside them fits: a declared
// maximum (`--max-shape seq=512`) is checked, and a symbol without one gets the largest of 4096, 2048, ..., 1 such
// that memory with every symbol at its maximum fits (the undeclared symbol with the largest maximum is halved
// first; ties by name). A model that does not fit even with every undeclared symbol at 1 is a compile-time
// diagnostic naming the bytes needed and the limit, never a load-time surprise.
//
// Buffer sizes are polynomials in the symbols that grow with them (products of dims), so memory at the maxima
// bounds memory inside the ranges; the runtime still checks every call's memory before touching it.

import type { Dim } from '../compiler/ir/dim.js';
import { evalDim } from '../compiler/ir/dim.js';
import { CompileError, Diagnostic } from '../compiler/diagnostics.js';
import { planArena } from '../runtime/plan.js';

/** wasm32: 65536 pages of 64 KiB. */
export const WASM32_MEMORY_LIMIT = 2 ** 32;
/** The largest maximum given to a symbol without --max-shape (halved until memory fits). */
export const DEFAULT_SYMBOL_MAX = 4096;

/** What memory accounting needs of a compiled wasm model (the manifest's `wasm` section has all of it). */
export interface MemoryModel {
  readonly weightsBase: number;
  readonly tableBase: number;
  readonly arenaBase: number;
  /** Symbols the buffer sizes use (the run table's symbols). */
  readonly symbols: readonly string[];
  readonly buffers: readonly { readonly bytes: Dim; readonly first: number; readonly last: number }[];
}

export interface MemoryAt {
  /** Symbol values. */
  readonly shape: Readonly<Record<string, number>>;
  /** Peak arena bytes at that shape (Infinity when a size overflows). */
  readonly peakArenaBytes: number;
  /** arenaBase + peak arena: the linear memory a call at that shape needs. */
  readonly totalBytes: number;
}

/** The memory part of report.json and of the compile summary. */
export interface MemoryReport {
  readonly limitBytes: number;
  /** Bytes below the weights, of the weights image, and of the run table (aligned as laid out). */
  readonly reservedBytes: number;
  readonly weightBytes: number;
  readonly tableBytes: number;
  /** Memory with every symbol at the maximum written into the manifest. */
  readonly atMaxima: MemoryAt;
  /** The symbol ranges written into the manifest, and which maxima were derived (not declared by --max-shape). */
  readonly ranges: Readonly<Record<string, { readonly min: number; readonly max: number }>>;
  readonly derived: readonly string[];
}

/** Peak arena bytes with the buffer sizes evaluated at `shape` (Infinity when a size is not a safe integer). */
export function peakArenaBytes(buffers: MemoryModel['buffers'], shape: Readonly<Record<string, number>>): number {
  const sizes = buffers.map((b) => evalDim(b.bytes, shape));
  if (sizes.some((s) => !Number.isSafeInteger(s) || s < 0 || s > 2 ** 52)) return Infinity;
  return planArena(buffers.map((b, i) => ({ bytes: sizes[i]!, first: b.first, last: b.last }))).total;
}

/** The linear memory a call with these symbol values needs. */
export function memoryAt(model: MemoryModel, shape: Readonly<Record<string, number>>): MemoryAt {
  const peak = peakArenaBytes(model.buffers, shape);
  return { shape: { ...shape }, peakArenaBytes: peak, totalBytes: model.arenaBase + peak };
}

/**
 * The symbol ranges to declare in the manifest: declared maxima as given (checked), the others derived as the
 * header says. `names` are every symbol of the model's interface (those the buffers do not use keep 4096).
 * Throws a CompileError when the memory at the maxima cannot fit in `limit` bytes.
 */
export function planSymbolRanges(
  model: MemoryModel, names: readonly string[], declared: Readonly<Record<string, number>> = {},
  limit = WASM32_MEMORY_LIMIT,
): MemoryReport {
  const all = [...new Set([...names, ...model.symbols])].sort();
  const max: Record<string, number> = {};
  for (const s of all) max[s] = declared[s] ?? DEFAULT_SYMBOL_MAX;
  const free = all.filter((s) => declared[s] === undefined);
  const weightBytes = model.tableBase - model.weightsBase;
  const fixed = { reservedBytes: model.weightsBase, weightBytes, tableBytes: model.arenaBase - model.tableBase };
  const parts = (at: MemoryAt) => `weights and run table ${formatBytes(model.arenaBase)}, arena ${formatBytes(at.peakArenaBytes)}`;

  if (model.arenaBase > limit) {
    throw CompileError.of('memoryWeightsTooLarge', { needed: formatBytes(model.arenaBase), limit: formatBytes(limit) });
  }
  let at = memoryAt(model, max);
  while (at.totalBytes > limit) {
    // Halve the undeclared symbol with the largest maximum (that is still above 1).
    const next = free.filter((s) => max[s]! > 1).sort((a, b) => max[b]! - max[a]! || (a < b ? -1 : 1))[0];
    if (next === undefined) break;
    max[next] = Math.floor(max[next]! / 2);
    at = memoryAt(model, max);
  }
  if (at.totalBytes > limit) {
    const shape = shapeText(at.shape);
    const declaredNames = Object.keys(declared).filter((s) => all.includes(s)).sort();
    throw declaredNames.length > 0
      ? CompileError.of('memoryMaxShape', {
        shape, needed: formatBytes(at.totalBytes), parts: parts(at), limit: formatBytes(limit),
        flags: declaredNames.map((s) => `${s}=${declared[s]}`).join(' '),
      })
      : CompileError.of('memoryNoFit', { shape, needed: formatBytes(at.totalBytes), parts: parts(at), limit: formatBytes(limit) });
  }
  const ranges = Object.fromEntries(all.map((s) => [s, { min: 1, max: max[s]! }]));
  return { limitBytes: limit, ...fixed, atMaxima: at, ranges, derived: free };
}

/** One line for the compile summary: memory at the maxima against the limit, and which maxima were derived. */
export function describeMemory(m: MemoryReport): string {
  const shape = Object.keys(m.atMaxima.shape).length > 0 ? ` at ${shapeText(m.atMaxima.shape)}` : '';
  const derived = m.derived.length > 0 ? `; derived ${m.derived.map((s) => `${s} <= ${m.ranges[s]!.max}`).join(', ')} (set --max-shape to choose)` : '';
  return `memory: ${formatBytes(m.atMaxima.totalBytes)}${shape} (weights ${formatBytes(m.weightBytes)}, arena ${formatBytes(m.atMaxima.peakArenaBytes)}) of ${formatBytes(m.limitBytes)}${derived}`;
}

function shapeText(shape: Readonly<Record<string, number>>): string {
  const s = Object.keys(shape).sort().map((k) => `${k}=${shape[k]}`).join(', ');
  return s === '' ? 'the static shape' : s;
}

/** Bytes as B / KiB / MiB / GiB with the exact count when large ("4.50 GiB (4831838208 bytes)"). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'more than 2^52 bytes';
  if (n < 1024) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(2)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB (${n} bytes)`;
}
