// The contract between the wasm code generator and its kernels: one kernel per op, keyed by op name.
//
// Codegen walks the Schedule and, for each step, asks the op's kernel to emit the statements that compute it
// inside the exported `run` function (usually one call of a function the kernel adds once per specialization).
// Kernels never compute shapes: they read dims from the step's TensorRefs (static numbers are baked in,
// symbolic dims are evaluated at run time through `ctx.dim`).

import type binaryen from 'binaryen';
import type { Dim } from '../../compiler/ir/dim.js';
import type { Tensor } from '../../compiler/ir/tensor.js';
import type { Step, TensorRef } from '../common/schedule.js';

export type Expr = binaryen.ExpressionRef;

export interface WasmFeatures {
  /** Emit relaxed-SIMD instructions (f32x4.relaxed_madd ...) in this module variant. */
  readonly relaxedSimd: boolean;
}

export interface KernelContext {
  readonly module: binaryen.Module;
  readonly features: WasmFeatures;
  /** An i32 expression for the address of a tensor's first element (in run()'s scope). */
  ptr(ref: TensorRef): Expr;
  /** An i32 expression for a dim: a constant when static, else computed from the symbol table at run time. */
  dim(d: Dim): Expr;
  /** An i32 expression for the number of elements of a shape. */
  size(shape: readonly Dim[]): Expr;
  /**
   * The function `name`, created by `build` the first time it is asked for. `name` must encode every
   * parameter the body is specialized on (static dims, attributes, dtypes, features) so that equal names mean
   * equal bodies. Returns the name to call.
   */
  fn(name: string, params: binaryen.Type, results: binaryen.Type, build: (m: binaryen.Module) => { vars: binaryen.Type[]; body: Expr }): string;
}

export interface WasmKernel {
  readonly op: string;
  /** Why this step cannot be compiled (unsupported dtype, attribute ...), or undefined when it can. Checked before codegen. */
  check?(step: Step): string | undefined;
  /** Statements (in run()) that compute the step. */
  emit(ctx: KernelContext, step: Step): Expr;
  /**
   * Bytes of scratch memory the step needs (asked during lowering, with the step's operands placed): lowering
   * adds an arena buffer live only for this step and sets Step.scratch (its address: `ctx.ptr(step.scratch)`).
   */
  scratchBytes?(step: Step): Dim | undefined;
}

/** A request to store a constant operand in a kernel-specific layout (e.g. GEMM panels), made during lowering. */
export interface WeightPacking {
  readonly layout: string;
  pack(t: Tensor): Tensor;
}

export interface WasmKernelWithPacking extends WasmKernel {
  /** For operand `index` of the node, when it is a constant: the layout the kernel wants it in. */
  packWeight?(step: Pick<Step, 'op' | 'attrs' | 'node'>, index: number, t: Tensor): WeightPacking | undefined;
}

const kernels = new Map<string, WasmKernelWithPacking>();

export function registerKernel(k: WasmKernelWithPacking): void {
  if (kernels.has(k.op)) throw new Error(`wasm kernel for ${k.op} registered twice`);
  kernels.set(k.op, k);
}

export function getKernel(op: string): WasmKernelWithPacking | undefined {
  return kernels.get(op);
}

export function kernelOps(): string[] {
  return [...kernels.keys()].sort();
}
