// The lowered program shared by every backend: kernel steps over tensors placed in weights or arena buffers.
//
// Lowering (lower.ts) turns an optimized IR graph into a Schedule. Shapes stay symbolic (Dim); a backend
// evaluates symbolic dims at run time from the symbol table. The arena offsets of buffers are decided per call
// by the runtime's planner (runtime/plan.ts) from `bytes` and the lifetimes, so one bundle serves every shape.

import type { Dim } from '../../compiler/ir/dim.js';
import type { DType } from '../../compiler/ir/dtype.js';
import type { Attrs, Node, Value } from '../../compiler/ir/graph.js';
import type { Tensor } from '../../compiler/ir/tensor.js';

/** A tensor as kernels see it: where its first element lives, its dtype and shape (contiguous, row-major). */
export interface TensorRef {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  readonly loc: Location;
}

export type Location =
  /** In the arena buffer `buffer`, `byteOffset` bytes from its start (views of a buffer share it). */
  | { readonly kind: 'arena'; readonly buffer: number; readonly byteOffset: Dim }
  /**
   * In the weights image: entry `weight`, `byteOffset` bytes from the entry's start. `layout` is set when the
   * entry holds the constant re-laid-out for a kernel (WeightEntry.layout); then `shape` is the logical shape.
   */
  | { readonly kind: 'weight'; readonly weight: number; readonly byteOffset: number; readonly layout?: string };

export interface ArenaBuffer {
  readonly id: number;
  /**
   * Byte size, possibly symbolic: elements × dtype bytes, rounded up to 16 when static. The planner
   * (runtime/plan.ts) rounds every evaluated size up to 16, so a kernel may store whole v128s up to that end.
   */
  readonly bytes: Dim;
  /** First and last step index that touch it (inclusive); graph inputs start at -1, outputs end at steps.length. */
  readonly firstStep: number;
  readonly lastStep: number;
  /** For diagnostics and reports: the IR value it was made for. */
  readonly label: string;
}

/** A constant placed in the weights image; `data` is what is written (possibly packed for a kernel). */
export interface WeightEntry {
  readonly id: number;
  readonly label: string;
  /** Byte offset in the weights image (64-byte aligned). */
  readonly byteOffset: number;
  readonly data: Tensor;
  /** Set when a kernel asked for a re-laid-out copy (e.g. 'gemm-panel-nr8'). */
  readonly layout?: string;
}

export interface Step {
  readonly index: number;
  /** The IR node this step computes (ops after passes, including fused ones). */
  readonly node: Node;
  readonly op: string;
  readonly attrs: Attrs;
  /** Operands as placed; undefined for absent optional operands and for operands kernels never read (shape operands). */
  readonly inputs: readonly (TensorRef | undefined)[];
  readonly outputs: readonly TensorRef[];
  /**
   * Operand contents the kernel may need as numbers at run time (Slice starts, Gather on shapes, ...):
   * for operand i, its known (possibly symbolic) element values, from Value.symbolic or a small constant.
   */
  readonly known: readonly (readonly Dim[] | undefined)[];
  /**
   * Working memory the step's kernel asked for (LowerOptions.scratchBytes): a u8 tensor [bytes] in an arena
   * buffer of its own, live only during this step (first = last = the step's index). Undefined when none.
   */
  readonly scratch?: TensorRef;
}

export interface ScheduleIO {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  readonly ref: TensorRef;
}

export interface Schedule {
  /** Every symbol the schedule's dims mention, in a fixed order (the symbol table's layout). */
  readonly symbols: readonly string[];
  readonly inputs: readonly ScheduleIO[];
  readonly outputs: readonly ScheduleIO[];
  readonly steps: readonly Step[];
  readonly buffers: readonly ArenaBuffer[];
  readonly weights: readonly WeightEntry[];
  /** Total bytes of the weights image. */
  readonly weightBytes: number;
}

/** Re-exported for kernel code: the IR value behind a step operand, when a kernel needs its constant data. */
export type { Value };
