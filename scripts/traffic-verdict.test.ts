import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from '../core/stats/stats.js';
import { trafficVerdict } from './traffic-verdict.js';

const arm = (name: string, visitors: number, buyers: number) => ({ arm: name, visitors, buyers });

describe('the verdict of simulate:traffic', () => {
  it('names a clear winner with the measured difference, its confidence interval and p', () => {
    const v = trafficVerdict([arm('control', 1000, 100), arm('treatment', 1000, 150)], 'control');
    const z = twoProportionZTest(100, 1000, 150, 1000, 0.95);
    expect(z.pValue).toBeLessThan(0.001);
    expect(v).toBe(
      `verdict: treatment wins: converts 15.00% against 10.00% for control, +5.00 points (+50% relative), ` +
        `95% confidence interval +${(100 * z.ci.lower).toFixed(2)} to +${(100 * z.ci.upper).toFixed(2)} points, p = 0.00072 (two-proportion z-test, alpha 0.05)`,
    );
  });

  it('names the control when it beats the treatment', () => {
    expect(trafficVerdict([arm('control', 1000, 150), arm('treatment', 1000, 100)], 'control')).toMatch(
      /^verdict: control wins: converts 15\.00% against 10\.00% for treatment, \+5\.00 points/,
    );
  });

  it('says "no significant difference yet" for a too-small sample, with the visitors per arm it would need', () => {
    // 10% against 12% at alpha 0.05 and power 0.8: 3,841 per arm (the hand computation is in core/stats/stats.test.ts).
    const v = trafficVerdict([arm('control', 200, 20), arm('treatment', 200, 24)], 'control');
    expect(v).toBe(
      'verdict: no significant difference yet (treatment 12.00% against 10.00% for control, +2.00 points, p = 0.52): ' +
        'seeing that difference would take about 3,841 visitors per arm (alpha 0.05, power 0.8); this run had 200 for control and 200 for treatment',
    );
  });

  it('splits alpha over the treatments as the report does (3 arms: 0.025 each), for the test and for the sample size', () => {
    // 10% against 12% at alpha 0.025: z_0.9875 = 2.241403, (2.241403 × 0.442493 + 0.372221)² / 0.0004 = 4651.4, so 4,652.
    const v = trafficVerdict([arm('control', 200, 20), arm('a', 200, 24), arm('b', 200, 19)], 'control');
    expect(v).toMatch(
      /^verdict: no significant difference yet \(a 12\.00% against 10\.00% for control.*about 4,652 visitors per arm \(alpha 0\.025, power 0\.8\)/,
    );
    expect(trafficVerdict([arm('control', 2000, 200), arm('a', 2000, 240), arm('b', 2000, 300)], 'control')).toMatch(
      /^verdict: b wins: converts 15\.00% against 10\.00% for control, .*97\.5% confidence interval/,
    );
  });

  it('says when equal rates leave no sample size to aim for, when an arm has no visitors, and when the split is off', () => {
    expect(trafficVerdict([arm('control', 200, 20), arm('treatment', 210, 21)], 'control')).toContain('the observed rates are equal');
    expect(trafficVerdict([arm('control', 0, 0), arm('treatment', 10, 1)], 'control')).toBe('verdict: no significant difference yet: control has no visitors');
    expect(trafficVerdict([arm('control', 1000, 100), arm('treatment', 1000, 150)], 'control', { srmMismatch: true })).toMatch(/sample ratio mismatch/);
  });

  it('is always one line', () => {
    for (const buyers of [0, 50, 100, 150, 400]) {
      expect(trafficVerdict([arm('control', 1000, 100), arm('treatment', 1000, buyers)], 'control')).not.toContain('\n');
    }
  });
});
