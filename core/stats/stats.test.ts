import { describe, expect, it } from 'vitest';
import {
  chiSquareSf,
  logGamma,
  meanCI,
  mixtureLikelihoodRatio,
  mixtureSprtPValue,
  normalCdf,
  normalQuantile,
  projectedYearlyRevenueChange,
  proportionCI,
  regularizedBeta,
  srmChiSquare,
  studentTCdf,
  studentTQuantile,
  summarize,
  twoProportionSampleSize,
  twoProportionZTest,
  welchTTest,
  type SequentialSnapshot,
} from './stats.js';

describe('special functions', () => {
  it('logGamma matches factorials and Γ(½) = √π', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 11);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 11);
  });

  it('regularizedBeta has the closed forms I_x(1, b) = 1 - (1-x)^b and I_x(a, 1) = x^a', () => {
    expect(regularizedBeta(0.3, 1, 4)).toBeCloseTo(1 - 0.7 ** 4, 13);
    expect(regularizedBeta(0.8, 3, 1)).toBeCloseTo(0.8 ** 3, 13);
    expect(regularizedBeta(0.5, 2.5, 2.5)).toBeCloseTo(0.5, 13); // symmetry
    expect(regularizedBeta(0.3, 2.5, 4)).toBeCloseTo(0.3521975859067672, 10);
  });

  it('normalCdf and normalQuantile agree with table values and invert each other', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 13);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 13);
    // far tail keeps relative accuracy: Φ(-8) = 6.221e-16
    expect(normalCdf(-8) / 6.22096057427174e-16).toBeCloseTo(1, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.3)).toBeCloseTo(-0.5244005127080409, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9);
    for (const p of [0.001, 0.02, 0.2, 0.5, 0.77, 0.99, 0.9999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 13);
  });

  it('studentTCdf matches the t table: t = 2, df = 10 is two-sided p ≈ 0.0734', () => {
    expect(2 * (1 - studentTCdf(2, 10))).toBeCloseTo(0.0734, 4);
    expect(2 * studentTCdf(-2, 10)).toBeCloseTo(0.07338803477074037, 12);
    // df = 1 is Cauchy: F(t) = ½ + atan(t)/π
    expect(studentTCdf(1.3, 1)).toBeCloseTo(0.5 + Math.atan(1.3) / Math.PI, 13);
    // df = 2 has F(t) = ½ + t / (2√(2 + t²))
    expect(studentTCdf(-0.7, 2)).toBeCloseTo(0.5 - 0.7 / (2 * Math.sqrt(2.49)), 13);
    expect(studentTCdf(-1.5, 2.5)).toBeCloseTo(0.12391822654314809, 10);
    expect(studentTCdf(0, 7)).toBe(0.5);
  });

  it('studentTQuantile matches the t table', () => {
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262157162798205, 10);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174694, 9);
    expect(studentTQuantile(0.025, 9)).toBeCloseTo(-2.262157162798205, 10);
    expect(studentTQuantile(0.975, 1e9)).toBeCloseTo(1.96, 2);
  });

  it('chiSquareSf: df = 2 is exp(-x/2), df = 1 is 2(1 - Φ(√x))', () => {
    expect(chiSquareSf(3, 2)).toBeCloseTo(Math.exp(-1.5), 14);
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSf(7.3, 3)).toBeCloseTo(0.06292623645904312, 11);
    expect(chiSquareSf(100, 60)).toBeCloseTo(0.0009168288614560842, 12);
  });
});

describe('summaries and intervals', () => {
  it('summarize gives the mean and the n - 1 variance', () => {
    // mean 5; squared deviations 9+1+1+9 = 20 → s² = 20/3
    const s = summarize([2, 4, 6, 8]);
    expect(s.n).toBe(4);
    expect(s.mean).toBeCloseTo(5, 14);
    expect(s.variance).toBeCloseTo(20 / 3, 13);
    expect(summarize([3])).toEqual({ n: 1, mean: 3, variance: 0 });
  });

  it('proportionCI is the Wilson interval', () => {
    // 50/100: centre ½, half-width 1.96/1.0384 × √(0.0025 + 3.8415/40000) = 0.09617
    const a = proportionCI(50, 100);
    expect(a.lower).toBeCloseTo(0.4038315303659956, 12);
    expect(a.upper).toBeCloseTo(0.5961684696340044, 12);
    // 0/10: [0, (z²/n) / (1 + z²/n)] = [0, 0.27753]
    const b = proportionCI(0, 10);
    expect(b.lower).toBe(0);
    expect(b.upper).toBeCloseTo(0.2775327998628892, 12);
    const c = proportionCI(7, 40);
    expect(c.lower).toBeCloseTo(0.0874541374603592, 12);
    expect(c.upper).toBeCloseTo(0.31949990331787714, 12);
    expect(proportionCI(7, 40, 0.99).upper).toBeGreaterThan(c.upper);
  });

  it('meanCI is x̄ ± t(0.975, n-1) s/√n', () => {
    // n 10, mean 5, s² 4: 5 ± 2.262157 × 0.632456 = 5 ± 1.430714
    const ci = meanCI({ n: 10, mean: 5, variance: 4 });
    expect(ci.lower).toBeCloseTo(3.569286188058671, 10);
    expect(ci.upper).toBeCloseTo(6.430713811941329, 10);
  });

  it('rejects bad input and names it', () => {
    expect(() => proportionCI(11, 10)).toThrow(/successes must be an integer in \[0, n = 10\]/);
    expect(() => proportionCI(1, 10, 1.2)).toThrow(/level must be in \(0, 1\)/);
    expect(() => meanCI({ n: 1, mean: 0, variance: 0 })).toThrow(/n must be an integer >= 2/);
  });
});

describe('fixed-horizon tests', () => {
  it('twoProportionZTest: 100/1000 vs 130/1000', () => {
    // pooled p̄ = 0.115, SE₀ = √(0.115 × 0.885 × 0.002) = 0.0142671, z = 0.03 / SE₀ = 2.10274
    // unpooled SE = √(0.09/1000 + 0.1131/1000) = 0.0142513, CI = 0.03 ± 1.96 × SE
    const r = twoProportionZTest(100, 1000, 130, 1000);
    expect(r.diff).toBeCloseTo(0.03, 14);
    expect(r.z).toBeCloseTo(2.102740605622114, 12);
    expect(r.pValue).toBeCloseTo(0.03548845046647471, 12);
    expect(r.ci.lower).toBeCloseTo(0.0020679344393763656, 12);
    expect(r.ci.upper).toBeCloseTo(0.057932065560623636, 12);
    // swapping arms flips the sign, not the p-value
    const s = twoProportionZTest(130, 1000, 100, 1000);
    expect(s.z).toBeCloseTo(-r.z, 12);
    expect(s.pValue).toBeCloseTo(r.pValue, 14);
  });

  it('twoProportionZTest with no variation reports no evidence', () => {
    expect(twoProportionZTest(0, 50, 0, 60)).toMatchObject({ diff: 0, z: 0, pValue: 1 });
  });

  it('welchTTest: n 20, mean 10, s² 4 vs n 30, mean 11.5, s² 9', () => {
    // v_a = 0.2, v_b = 0.3: t = 1.5 / √0.5 = 2.12132;
    // df = 0.25 / (0.04/19 + 0.09/29) = 47.9965
    const r = welchTTest({ n: 20, mean: 10, variance: 4 }, { n: 30, mean: 11.5, variance: 9 });
    expect(r.diff).toBe(1.5);
    expect(r.t).toBeCloseTo(2.1213203435596424, 12);
    expect(r.df).toBeCloseTo(47.99651567944251, 10);
    expect(r.pValue).toBeCloseTo(0.039085876612922066, 10);
    expect(r.ci.lower).toBeCloseTo(0.07826386202235813, 9);
    expect(r.ci.upper).toBeCloseTo(2.921736137977642, 9);
  });

  it('srmChiSquare: 520/480 on a 50/50 split is χ² = 1.6, p = 0.2059', () => {
    const r = srmChiSquare([520, 480], [1, 1]);
    expect(r.chi2).toBeCloseTo(1.6, 12);
    expect(r.df).toBe(1);
    expect(r.pValue).toBeCloseTo(0.20590321073206466, 12);
    // three arms 20/30/50: χ² = 100/200 + 100/300 + 0 = 0.8333, df 2 → p = exp(-χ²/2)
    const s = srmChiSquare([210, 290, 500], [20, 30, 50]);
    expect(s.chi2).toBeCloseTo(5 / 6, 12);
    expect(s.pValue).toBeCloseTo(Math.exp(-5 / 12), 13);
    expect(() => srmChiSquare([1, 2], [1])).toThrow(/observed has 2 arms but weights has 1/);
    expect(() => srmChiSquare([1, 2], [1, 0])).toThrow(/weights\[1\]/);
  });
});

describe('mixtureSprtPValue', () => {
  it('Λ matches the formula by hand', () => {
    // V = 1, τ² = 3: Λ = √(1/4) exp(3 × 4 / (2 × 1 × 4)) = ½ e^1.5
    expect(mixtureLikelihoodRatio(2, 1, Math.sqrt(3))).toBeCloseTo(0.5 * Math.exp(1.5), 12);
    expect(mixtureLikelihoodRatio(2, 0, 1)).toBe(1);
  });

  it('gives running p-values that never increase, and small ones under a real effect', () => {
    const snapshots: SequentialSnapshot[] = [];
    for (let day = 1; day <= 28; day++) {
      const n = 1000 * day;
      // a wobbling difference: the p-value must still only go down
      const lift = day % 3 === 0 ? 0.002 : 0.02;
      snapshots.push({ a: { successes: Math.round(0.1 * n), n }, b: { successes: Math.round((0.1 + lift) * n), n } });
    }
    const p = mixtureSprtPValue(snapshots);
    expect(p).toHaveLength(28);
    for (let i = 1; i < p.length; i++) expect(p[i]).toBeLessThanOrEqual(p[i - 1]);
    expect(p[0]).toBeLessThanOrEqual(1);
    expect(p[27]).toBeLessThan(1e-6);
  });

  it('stays at 1 with no data and with no difference, and accepts mean summaries', () => {
    const empty = { successes: 0, n: 0 };
    expect(mixtureSprtPValue([{ a: empty, b: empty }])).toEqual([1]);
    // identical arms: Λ = √(V/(V+τ²)) < 1, so p stays at 1
    expect(mixtureSprtPValue([{ a: { n: 500, mean: 3, variance: 4 }, b: { n: 500, mean: 3, variance: 4 } }])).toEqual([1]);
    const means = mixtureSprtPValue(
      [1, 2, 4].map((k) => ({ a: { n: 1000 * k, mean: 3, variance: 4 }, b: { n: 1000 * k, mean: 3.3, variance: 4 } })),
      { tau: 0.1 },
    );
    expect(means[2]).toBeLessThan(0.001);
    expect(() => mixtureSprtPValue([], { tau: 0 })).toThrow(/tau must be finite and > 0/);
  });
});

describe('projectedYearlyRevenueChange', () => {
  it('is orders × item value × extra items per order', () => {
    // 100,000 orders × 25 × (2.06 - 2.00) = 150,000
    const r = projectedYearlyRevenueChange({ ordersPerYear: 100_000, averageItemValue: 25, itemsPerOrderControl: 2, itemsPerOrderTreatment: 2.06 });
    expect(r).toBeCloseTo(150_000, 6);
    expect(() => projectedYearlyRevenueChange({ ordersPerYear: -1, averageItemValue: 1, itemsPerOrderControl: 1, itemsPerOrderTreatment: 1 })).toThrow(
      /ordersPerYear/,
    );
  });
});

describe('twoProportionSampleSize', () => {
  it('is the textbook figure for 10% against 12% at alpha 0.05 and power 0.8: 3,841 per arm', () => {
    // By hand: z_0.975 = 1.959964, z_0.8 = 0.841621, p̄ = 0.11;
    // 1.959964 × √(2 × 0.11 × 0.89) = 0.867270, 0.841621 × √(0.10 × 0.90 + 0.12 × 0.88) = 0.372221;
    // (0.867270 + 0.372221)² / 0.02² = 1.536339 / 0.0004 = 3840.85, rounded up to 3841.
    expect(twoProportionSampleSize(0.1, 0.12)).toBe(3841);
    expect(twoProportionSampleSize(0.12, 0.1, 0.05, 0.8)).toBe(3841);
    // 10% against 13%: (0.884267 + 0.379290)² / 0.03² = 1773.98.
    expect(twoProportionSampleSize(0.1, 0.13)).toBe(1774);
  });

  it('is the smallest n whose power reaches the target', () => {
    const power = (p1: number, p2: number, n: number) => {
      const mean = (p1 + p2) / 2;
      const z = (Math.abs(p1 - p2) * Math.sqrt(n) - normalQuantile(0.975) * Math.sqrt(2 * mean * (1 - mean))) / Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
      return normalCdf(z);
    };
    for (const [p1, p2] of [
      [0.1, 0.11],
      [0.05, 0.055],
      [0.3, 0.2],
      [0, 0.02],
    ]) {
      const n = twoProportionSampleSize(p1, p2);
      expect(power(p1, p2, n), `${p1} vs ${p2}`).toBeGreaterThanOrEqual(0.8);
      expect(power(p1, p2, n - 1), `${p1} vs ${p2}`).toBeLessThan(0.8);
    }
  });

  it('grows with a stricter alpha or a higher power, and is infinite for equal rates', () => {
    const base = twoProportionSampleSize(0.1, 0.12);
    expect(twoProportionSampleSize(0.1, 0.12, 0.025)).toBeGreaterThan(base);
    expect(twoProportionSampleSize(0.1, 0.12, 0.05, 0.9)).toBeGreaterThan(base);
    expect(twoProportionSampleSize(0.1, 0.1)).toBe(Infinity);
  });

  it('refuses rates outside [0, 1] and levels outside (0, 1)', () => {
    expect(() => twoProportionSampleSize(-0.1, 0.1)).toThrow(RangeError);
    expect(() => twoProportionSampleSize(0.1, Number.NaN)).toThrow(RangeError);
    expect(() => twoProportionSampleSize(0.1, 0.2, 0)).toThrow(RangeError);
    expect(() => twoProportionSampleSize(0.1, 0.2, 0.05, 1)).toThrow(RangeError);
  });
});
