// IEEE binary16 and bfloat16 conversions (bits in a Uint16, round to nearest even); the compiler's constants
// and the WebGPU runtime's f16 storage share them.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function numberToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export function bf16BitsToNumber(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

export function numberToBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if (Number.isNaN(value)) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Largest finite f16. */
export const F16_MAX = 65504;

/**
 * f32 values as f16 bits, the way the f16 WebGPU kernels store them: finite values beyond the f16 range
 * saturate to ±65504 (so a -1e9 or -3.4e38 mask value stays finite: 0 × it is 0, not NaN), ±inf too; NaN stays NaN.
 */
export function toF16Saturated(src: ArrayLike<number>, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    out[i] = numberToF16Bits(x > F16_MAX ? F16_MAX : x < -F16_MAX ? -F16_MAX : x);
  }
  return out;
}

/** f16 bits as f32 values (exact). */
export function fromF16(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = f16BitsToNumber(src[i]!);
  return out;
}
