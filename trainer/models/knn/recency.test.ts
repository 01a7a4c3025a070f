import { describe, expect, it } from 'vitest';
import { recencyWeights } from './recency.js';

const DAY = 86_400_000;

describe('recencyWeights', () => {
  it('halves the weight every half-life, counting back from the latest timestamp', () => {
    const t0 = Date.UTC(2011, 9, 1);
    const w = recencyWeights(Float64Array.of(t0, t0 - 30 * DAY, t0 - 60 * DAY, t0 - 15 * DAY), 30);
    expect(w[0]).toBe(1);
    expect(w[1]).toBeCloseTo(0.5, 6);
    expect(w[2]).toBeCloseTo(0.25, 6);
    expect(w[3]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('takes an explicit now, and gives 1 to anything after it', () => {
    const now = 100 * DAY;
    const w = recencyWeights(Float64Array.of(90 * DAY, 120 * DAY), 10, now);
    expect(w[0]).toBeCloseTo(0.5, 6);
    expect(w[1]).toBe(1);
  });

  it('names a bad half-life or a missing timestamp', () => {
    expect(() => recencyWeights(Float64Array.of(0), 0)).toThrow(/halfLifeDays must be a finite number > 0/);
    expect(() => recencyWeights(Float64Array.of(0, Number.NaN), 7)).toThrow(/timestamps\[1\] is NaN/);
  });
});
