// Typed WGSL builders: a kernel declares tensors, dims and helpers; bindings, params and helper functions are generated.
//
// Every tensor lives in a 32-bit-word storage buffer: the arena (one binding, read_write) or a chunk of the
// weights image (read-only). A tensor's base is a byte address: a constant for weights, a run-time param for
// arena tensors (the runtime's planner places buffers per call). Static dims are baked into the source;
// symbolic dims become u32 params read from one uniform. Helpers (erf, gelu, ...) are emitted only when used,
// and the cache key of a shader is a hash of its generated text (never hand-written).

import type { Dim } from '../../compiler/ir/dim.js';
import { canonicalDim, dimMul, isStaticDim } from '../../compiler/ir/dim.js';
import { dtypeInfo, type DType } from '../../compiler/ir/dtype.js';
import type { TensorRef } from '../common/schedule.js';
import type { ParamExpr, PlanBinding, WorkgroupFactor } from '../../runtime/webgpu.js';

/** Where the weights image is split into bindings (WeightChunks in plan.ts). */
export interface WeightPlacement {
  /** The chunk holding weight entry `id`, and the entry's byte offset inside that chunk. */
  locate(weight: number): { chunk: number; byteOffset: number };
}

/** The value types kernels compute in. f16 slots in here once shader-f16 kernels exist. */
export type ComputeType = 'f32' | 'i32' | 'u32';

/** A tensor as a shader sees it. */
export interface TensorVar {
  readonly ref: TensorRef;
  /** WGSL name of the storage binding ('arena' or 'w0', 'w1', ...). */
  readonly buffer: string;
  /** WGSL u32 expression: the byte address of element 0 inside that binding. */
  readonly base: string;
  /** The type loads return / stores accept. */
  readonly type: ComputeType;
}

export interface Shader {
  readonly source: string;
  /** sha-like hash of the source: equal keys mean equal shaders. */
  readonly key: string;
  readonly workgroupSize: number;
  readonly bindings: readonly PlanBinding[];
  readonly params: readonly ParamExpr[];
}

const HELPERS: Readonly<Record<string, string>> = {
  erf: `fn xfc_erf(x: f32) -> f32 {
  // Abramowitz-Stegun 7.1.26 is too coarse; use erf(x) = sign(x)(1 - t·exp(-x²+P(t))) (Numerical Recipes erfc, |err| < 1.2e-7).
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(1.0 - r, r - 1.0, x < 0.0);
}`,
  gelu: `fn xfc_gelu(x: f32) -> f32 { return 0.5 * x * (1.0 + xfc_erf(x * 0.70710678118654752)); }`,
  gelu_tanh: `fn xfc_gelu_tanh(x: f32) -> f32 {
  let u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + xfc_tanh(u));
}`,
  // WGSL's tanh overflows to NaN for large |x| on some drivers: clamp first.
  tanh: `fn xfc_tanh(x: f32) -> f32 { return tanh(clamp(x, -20.0, 20.0)); }`,
  sigmoid: `fn xfc_sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }`,
};
const HELPER_DEPS: Readonly<Record<string, readonly string[]>> = { gelu: ['erf'], gelu_tanh: ['tanh'] };

/** The compute type of a stored dtype, or undefined when the WebGPU backend cannot hold it yet. */
export function computeType(d: DType): ComputeType | undefined {
  if (d === 'f32') return 'f32';
  if (d === 'i32' || d === 'i64' || d === 'i8' || d === 'i16' || d === 'bool' || d === 'u8') return d === 'bool' || d === 'u8' ? 'u32' : 'i32';
  if (d === 'u32') return 'u32';
  return undefined;
}

/** 32-bit words per element for word-addressed dtypes; undefined for sub-word dtypes (bool, u8, i8, f16 ...). */
export function wordsPerElement(d: DType): number | undefined {
  const b = dtypeInfo(d).bytes;
  return b === 4 ? 1 : b === 8 ? 2 : undefined;
}

export class ShaderBuilder {
  private readonly bindingList: PlanBinding[] = [];
  private readonly bindingNames: string[] = [];
  private readonly paramList: ParamExpr[] = [];
  private readonly paramKeys: string[] = [];
  private readonly helpers = new Set<string>();
  private readonly decls: string[] = [];

  constructor(private readonly weights: WeightPlacement, readonly workgroupSize = 64) {}

  /**
   * Declares a tensor operand or result; the arena / weight chunk binding is added on first use. 'write' needs
   * a word-sized dtype; 'write-words' is for kernels that store whole words of a byte-sized dtype themselves.
   */
  tensor(ref: TensorRef, access: 'read' | 'write' | 'write-words' = 'read'): TensorVar {
    const type = computeType(ref.dtype);
    if (!type) throw new Error(`the WebGPU backend cannot hold dtype ${ref.dtype} yet`);
    if (access === 'write' && wordsPerElement(ref.dtype) === undefined) throw new Error(`the WebGPU backend cannot store dtype ${ref.dtype} yet (sub-word stores need atomics)`);
    if (ref.loc.kind === 'arena') {
      const buffer = this.binding({ kind: 'arena' }, 'arena');
      const base = this.param({ buffer: ref.loc.buffer, byteOffset: canonicalDim(ref.loc.byteOffset) });
      return { ref, buffer, base, type };
    }
    const { chunk, byteOffset } = this.weights.locate(ref.loc.weight);
    const buffer = this.binding({ kind: 'weights', chunk }, `w${chunk}`);
    return { ref, buffer, base: `${byteOffset + ref.loc.byteOffset}u`, type };
  }

  /** A WGSL u32 expression for a dim: a literal when static, else a param evaluated per call. */
  dim(d: Dim): string {
    return isStaticDim(d) ? `${d}u` : this.param(canonicalDim(d));
  }

  /** A WGSL u32 expression for the product of dims. */
  size(shape: readonly Dim[]): string {
    return this.dim(shape.reduce<Dim>((a, d) => dimMul(a, d), 1));
  }

  /** Marks a helper function as used; returns its WGSL name. */
  use(helper: keyof typeof HELPERS | string): string {
    if (!(helper in HELPERS)) throw new Error(`unknown WGSL helper '${helper}'`);
    for (const dep of HELPER_DEPS[helper] ?? []) this.use(dep);
    this.helpers.add(helper);
    return `xfc_${helper}`;
  }

  /** Module-scope declarations (workgroup arrays ...), emitted once each in order. */
  declare(text: string): void {
    if (!this.decls.includes(text)) this.decls.push(text);
  }

  /** Element i of tensor t as t.type (i64 reads the low word as i32; bool/u8 read a byte). */
  load(t: TensorVar, i: string): string {
    const words = wordsPerElement(t.ref.dtype);
    if (words === undefined) {
      const bytes = dtypeInfo(t.ref.dtype).bytes;
      if (bytes !== 1) throw new Error(`cannot load dtype ${t.ref.dtype}`);
      const addr = `(${t.base} + (${i}))`;
      const byte = `((${t.buffer}[${addr} >> 2u] >> ((${addr} & 3u) * 8u)) & 0xffu)`;
      return t.ref.dtype === 'i8' ? `((bitcast<i32>(${byte} << 24u)) >> 24u)` : byte;
    }
    const word = `${t.buffer}[(${t.base} >> 2u) + ${words === 2 ? `2u * (${i})` : `(${i})`}]`;
    return t.type === 'u32' ? word : `bitcast<${t.type}>(${word})`;
  }

  /** A statement storing v (of t.type) as element i of t (i64 gets its sign-extended high word). */
  store(t: TensorVar, i: string, v: string): string {
    const words = wordsPerElement(t.ref.dtype)!;
    const at = `(${t.base} >> 2u) + ${words === 2 ? `2u * (${i})` : `(${i})`}`;
    const bits = t.type === 'u32' ? `(${v})` : `bitcast<u32>(${v})`;
    if (words === 1) return `${t.buffer}[${at}] = ${bits};`;
    return `{ let xw = ${at}; let xv = ${bits}; ${t.buffer}[xw] = xv; ${t.buffer}[xw + 1u] = select(0u, 0xffffffffu, ${t.type === 'i32' ? '(xv >> 31u) == 1u' : 'false'}); }`;
  }

  /** Raw 32-bit word w of element i (copies move words, whatever the dtype). */
  word(t: TensorVar, i: string, w: number): string {
    const words = wordsPerElement(t.ref.dtype)!;
    return `${t.buffer}[(${t.base} >> 2u) + ${words}u * (${i}) + ${w}u]`;
  }

  /** Generates the shader around `body`, a compute entry point body where `gid` (u32) is the linear workgroup id and `lid` the local index. */
  build(body: string): Shader {
    const lines: string[] = [];
    this.bindingList.forEach((b, i) => {
      const access = b.kind === 'arena' ? 'read_write' : 'read';
      lines.push(`@group(0) @binding(${i}) var<storage, ${access}> ${this.bindingNames[i]}: array<u32>;`);
    });
    if (this.paramList.length > 0) {
      lines.push(`struct Params { v: array<vec4<u32>, ${Math.ceil(this.paramList.length / 4)}> }`);
      lines.push(`@group(0) @binding(${this.bindingList.length}) var<uniform> params: Params;`);
    }
    lines.push(...this.decls);
    for (const h of Object.keys(HELPERS)) if (this.helpers.has(h)) lines.push(HELPERS[h]!);
    lines.push(`@compute @workgroup_size(${this.workgroupSize})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = wg.x + wg.y * nwg.x;
${body.replace(/^(?=.)/gm, '  ')}
}
`);
    const source = lines.join('\n');
    return { source, key: hashText(source), workgroupSize: this.workgroupSize, bindings: [...this.bindingList], params: [...this.paramList] };
  }

  private binding(b: PlanBinding, name: string): string {
    const i = this.bindingNames.indexOf(name);
    if (i < 0) {
      this.bindingList.push(b);
      this.bindingNames.push(name);
    }
    return name;
  }

  private param(p: ParamExpr): string {
    const key = JSON.stringify(p);
    let i = this.paramKeys.indexOf(key);
    if (i < 0) {
      i = this.paramList.length;
      this.paramList.push(p);
      this.paramKeys.push(key);
    }
    return `params.v[${i >> 2}].${'xyzw'[i & 3]}`;
  }
}

/** One grid factor: ceil(count / per) workgroups along the (linearized) grid. */
export function factor(count: Dim, per = 1): WorkgroupFactor {
  return { count: canonicalDim(count), per };
}

/** A 64-bit FNV-1a hash of text, as 16 hex digits (cache keys and file names). */
export function hashText(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** A float literal WGSL accepts for f32 (finite only). */
export function f32Literal(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`non-finite constant ${x}`);
  const s = Math.fround(x).toString();
  return /[.e]/.test(s) ? s : `${s}.0`;
}
