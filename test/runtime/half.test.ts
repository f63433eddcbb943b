// f16 conversions of the WebGPU runtime's f16 storage (runtime/half.ts): exact widening, round-to-nearest-even
// narrowing, and saturation of out-of-range values the way the f16 shaders store them.

import { describe, expect, it } from 'vitest';
import { F16_MAX, f16BitsToNumber, fromF16, numberToF16Bits, toF16Saturated } from '../../runtime/half.js';

describe('f16 conversions', () => {
  it('every f16 bit pattern widens exactly and narrows back to itself (NaNs stay NaN)', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const wide = fromF16(all);
    const back = toF16Saturated(wide);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) {
        expect(Number.isNaN(wide[h]!)).toBe(true);
        expect(Number.isNaN(f16BitsToNumber(back[h]!))).toBe(true);
      } else if ((h & 0x7fff) === 0x7c00) {
        expect(back[h]).toBe(h === 0x7c00 ? 0x7bff : 0xfbff); // ±inf saturate, like the shaders' stores
      } else {
        expect(back[h], `0x${h.toString(16)}`).toBe(h);
      }
    }
    expect(wide[0x3c00]).toBe(1);
    expect(wide[0x0001]).toBe(2 ** -24);
    expect(wide[0x7bff]).toBe(F16_MAX);
  });
  it('rounds to nearest, ties to even, in normal and subnormal ranges', () => {
    const ulp = 2 ** -10;
    expect(numberToF16Bits(1 + ulp / 2)).toBe(0x3c00); // tie: to even (1.0)
    expect(numberToF16Bits(1 + (3 * ulp) / 2)).toBe(0x3c02); // tie: to even (1 + 2 ulp)
    expect(numberToF16Bits(1 + ulp / 2 + 2 ** -20)).toBe(0x3c01);
    expect(numberToF16Bits(2 ** -25)).toBe(0); // half the smallest subnormal: tie to even (0)
    expect(numberToF16Bits(3 * 2 ** -25)).toBe(2);
    expect(Array.from(fromF16(toF16Saturated([0.1, -2.5, 65519, 65520]))).map((x) => x.toPrecision(6))).toEqual(['0.0999756', '-2.50000', '65504.0', '65504.0']);
  });
  it('saturates finite values beyond ±65504 (a float-min mask stays finite), keeps -0 and NaN', () => {
    const out = toF16Saturated(new Float32Array([1e9, -3.4028234663852886e38, -Infinity, -0, NaN]));
    expect(Array.from(out.slice(0, 4))).toEqual([0x7bff, 0xfbff, 0xfbff, 0x8000]);
    expect(Number.isNaN(f16BitsToNumber(out[4]!))).toBe(true);
  });
});
