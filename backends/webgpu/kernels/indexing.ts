// Index helpers for kernels: coordinates of a flat index, broadcast and strided offsets (emitted only when needed).

import { type Dim, dimEq, dimMul } from '../../../compiler/ir/dim.js';
import type { ShaderBuilder } from '../wgsl.js';

/** Row-major strides of a shape (as dims). */
export function strides(shape: readonly Dim[]): Dim[] {
  const out: Dim[] = new Array<Dim>(shape.length);
  let acc: Dim = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = acc;
    acc = dimMul(acc, shape[i]!);
  }
  return out;
}

/** Statements declaring `${name}0..` = the coordinates of flat index `flat` in `shape`. */
export function coords(b: ShaderBuilder, name: string, flat: string, shape: readonly Dim[]): string {
  if (shape.length === 0) return '';
  const lines = [`var ${name}_r = ${flat};`];
  for (let a = shape.length - 1; a > 0; a--) {
    lines.push(`let ${name}${a} = ${name}_r % ${b.dim(shape[a]!)}; ${name}_r = ${name}_r / ${b.dim(shape[a]!)};`);
  }
  lines.push(`let ${name}0 = ${name}_r;`);
  return lines.join('\n');
}

/** The flat index into `inShape` (broadcast to outShape, right-aligned) of the output coords `${name}k`. */
export function broadcastOffset(b: ShaderBuilder, name: string, inShape: readonly Dim[], outShape: readonly Dim[]): string {
  const st = strides(inShape);
  const shift = outShape.length - inShape.length;
  const terms: string[] = [];
  inShape.forEach((d, a) => {
    if (dimEq(d, 1)) return;
    const s = st[a]!;
    terms.push(dimEq(s, 1) ? `${name}${a + shift}` : `${name}${a + shift} * ${b.dim(s)}`);
  });
  return terms.length === 0 ? '0u' : terms.join(' + ');
}

/** True when reading `inShape` at output flat index i is just element i (same shape) or element 0 (one element). */
export function trivialBroadcast(inShape: readonly Dim[], outShape: readonly Dim[]): 'same' | 'scalar' | undefined {
  if (inShape.every((d) => dimEq(d, 1))) return 'scalar';
  const shift = outShape.length - inShape.length;
  if (inShape.every((d, a) => dimEq(d, outShape[a + shift]!)) && outShape.slice(0, shift).every((d) => dimEq(d, 1))) return 'same';
  return undefined;
}
