import { describe, expect, it } from 'vitest';
import { F16_MAX, f16Fits, f16Table, fromF16, toF16 } from './f16.js';

describe('f16', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [F16_MAX, 0x7bff],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [1 + 2 ** -11, 0x3c00], // tie: to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie: to even (up)
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal: to even
    [3 * 2 ** -26, 0x0001],
    [65519, 0x7bff], // below the rounding boundary to infinity
    [65520, 0x7c00], // at it: rounds to infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [1e-10, 0x0000],
  ])('encodes %d as %i', (x, h) => {
    expect(toF16(x)).toBe(h);
  });

  it('encodes NaN as a quiet NaN', () => {
    expect(toF16(NaN) & 0x7e00).toBe(0x7e00);
    expect(Number.isNaN(fromF16(toF16(NaN)))).toBe(true);
  });

  it('round-trips every finite half exactly, and the table agrees with fromF16', () => {
    const table = f16Table();
    const wrong: number[] = [];
    for (let h = 0; h < 65536; h++) {
      const x = fromF16(h);
      if (Number.isNaN(x)) continue;
      if (toF16(x) !== h || table[h] !== x) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('keeps the relative error within 2^-11 for normal values', () => {
    for (const x of [0.1, -0.3333, 2.71, 1234.567, -60000.5, 7e-5]) {
      const back = fromF16(toF16(x));
      expect(Math.abs(back - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11);
    }
  });

  it('says which values fit', () => {
    expect(f16Fits(65504)).toBe(true);
    expect(f16Fits(-65519)).toBe(true);
    expect(f16Fits(65520)).toBe(false);
    expect(f16Fits(NaN)).toBe(false);
    expect(f16Fits(Infinity)).toBe(false);
  });
});
