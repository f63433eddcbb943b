// Resource limits for models from elsewhere: every size is checked against these before anything is allocated.
//
// The defaults admit any model a wasm32 or WebGPU bundle can hold (one tensor at most 4 GiB) and refuse files
// whose claimed sizes could only exhaust memory. Callers pass a partial object to tighten or relax them
// (ImportOptions.limits, InterpretOptions.maxElements); tests and the fuzzer run with small ones.

export interface Limits {
  /** Bytes of the model file itself (protobuf caps a message at 2 GiB; bigger models use external data). */
  readonly maxModelBytes: number;
  /** Nesting depth of protobuf messages and groups (subgraph attributes, nested TypeProtos). */
  readonly maxNestingDepth: number;
  /** Estimated memory the protobuf decoder may allocate for objects (messages, 64-bit ints, strings). */
  readonly maxDecodeBytes: number;
  /** Nodes in the model, all graphs together. */
  readonly maxNodes: number;
  /** Rank of any tensor: initializer, declared input, or a node's inferred result. */
  readonly maxRank: number;
  /** Bytes of any one tensor with a static shape: initializers, declared inputs, inferred results. */
  readonly maxTensorBytes: number;
  /** Bytes of all initializers together (inline and external). */
  readonly maxTotalInitializerBytes: number;
  /** Largest result, in elements, that constant folding may create at import. */
  readonly maxFoldElements: number;
  /** Largest result, in elements, that the reference interpreter computes (run time). */
  readonly maxRunElements: number;
}

const GiB = 2 ** 30;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxModelBytes: 2 * GiB,
  maxNestingDepth: 100,
  maxDecodeBytes: 2 * GiB,
  maxNodes: 1_000_000,
  maxRank: 64,
  maxTensorBytes: 4 * GiB,
  maxTotalInitializerBytes: 64 * GiB,
  maxFoldElements: 4 * 1024 * 1024,
  maxRunElements: 2 ** 28,
});

/**
 * The hard ceiling on the length of a shape operand that type rules accept, whatever the configured maxRank:
 * rules build per-dim arrays before the importer can check the result's rank.
 */
export const RANK_CEILING = 1024;

/** The defaults with the given overrides. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(overrides) as [keyof Limits, number | undefined][]) {
    if (v === undefined) continue;
    if (!(v >= 0)) throw new Error(`limit ${k} must be a non-negative number, got ${v}`);
    (out as Record<keyof Limits, number>)[k] = v;
  }
  return out;
}

/**
 * The element count of a static shape, or undefined when a dim is negative, not an integer or not exactly
 * representable, or when the product exceeds Number.MAX_SAFE_INTEGER (a zero dim makes any product 0).
 */
export function checkedElementCount(dims: readonly number[]): number | undefined {
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return undefined;
  if (dims.includes(0)) return 0;
  let n = 1;
  for (const d of dims) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return n;
}

/** A byte count for messages: "4294967296 bytes (4.0 GiB)". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${n} bytes (${v.toFixed(1)} ${units[u]})`;
}
