import { describe, expect, it } from 'vitest';
import { quantizeRowInt8 } from './quantize.js';

describe('quantizeRowInt8', () => {
  it('maps the largest magnitude to +-127 and keeps every value within scale / 2', () => {
    const src = Float32Array.of(0.5, -1.27, 0.004, 1.0, -0.3);
    const out = new Int8Array(5);
    const scale = quantizeRowInt8(src, 0, 5, out);
    expect(scale).toBe(Math.fround(1.27 / 127));
    expect(out[1]).toBe(-127);
    for (let j = 0; j < 5; j++) {
      expect(Math.abs(out[j] * scale - src[j])).toBeLessThanOrEqual(scale / 2);
    }
  });

  it('rounds ties away from zero', () => {
    const src = Float32Array.of(127, 0.5, -0.5, 1.5, -2.5);
    const out = new Int8Array(5);
    expect(quantizeRowInt8(src, 0, 5, out)).toBe(1);
    expect(Array.from(out)).toEqual([127, 1, -1, 2, -3]);
  });

  it('stores a zero row (and an empty one) with scale 0', () => {
    const out = new Int8Array(4).fill(9);
    expect(quantizeRowInt8(new Float32Array(4), 0, 4, out)).toBe(0);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    expect(quantizeRowInt8(new Float32Array(4), 2, 2, out)).toBe(0);
  });

  it('writes only its range', () => {
    const src = Float32Array.of(9, 9, 1, -1, 9);
    const out = new Int8Array(5);
    quantizeRowInt8(src, 2, 4, out);
    expect(Array.from(out)).toEqual([0, 0, 127, -127, 0]);
  });

  it('never writes -128, and handles rows of tiny subnormals', () => {
    const src = Float32Array.of(2 ** -149, -(2 ** -149));
    const out = new Int8Array(2);
    const scale = quantizeRowInt8(src, 0, 2, out);
    expect(scale).toBeGreaterThan(0);
    expect(Array.from(out)).toEqual([1, -1]);
  });
});
