import { describe, expect, it } from 'vitest';
import { buildReport } from './report.js';
import type { ExperimentDefinition } from './definition.js';
import type { ArmTotals, DailyTotals, ExperimentReport } from './report-types.js';
import { mixtureSprtPValue } from '../../core/stats/stats.js';

// ---------------------------------------------------------------------------------------
// The worked example (every expected number below is computed by hand in the comments and
// was cross-checked with scipy.stats):
//
//   control:   1000 visitors, 100 buyers; 5000 impressions, 250 clicks; 200 cart visitors;
//              100 orders: 80 of 1 item, 20 of 2 → Σitems = 120, Σitems² = 80 + 20·4 = 160;
//              every buyer spent 50 → revenue Σ = 5000, Σ² = 100 · 50² = 250 000.
//   treatment: 1000 visitors, 130 buyers; 5000 impressions, 300 clicks; 240 cart visitors;
//              130 orders: 91 of 1 item, 39 of 2 → Σitems = 169, Σitems² = 91 + 39·4 = 247;
//              revenue Σ = 6500, Σ² = 130 · 2500 = 325 000.
// ---------------------------------------------------------------------------------------

const CONTROL: ArmTotals = {
  arm: 'control',
  visitors: 1000,
  impressions: 5000,
  clicks: 250,
  cart_visitors: 200,
  buyers: 100,
  orders: 100,
  items: { sum: 120, sum_sq: 160 },
  multi_item_orders: 20,
  revenue: { sum: 5000, sum_sq: 250_000 },
  attributed_orders: 10,
  attributed_revenue: 500,
};

const TREATMENT: ArmTotals = {
  arm: 'lightfm',
  visitors: 1000,
  impressions: 5000,
  clicks: 300,
  cart_visitors: 240,
  buyers: 130,
  orders: 130,
  items: { sum: 169, sum_sq: 247 },
  multi_item_orders: 39,
  revenue: { sum: 6500, sum_sq: 325_000 },
  attributed_orders: 40,
  attributed_revenue: 2000,
};

function definition(overrides: Partial<ExperimentDefinition> = {}): ExperimentDefinition {
  return {
    id: 'exp1',
    seller: 'shop1',
    name: 'LightFM vs popularity on the basket',
    surface: 'basket',
    arms: [
      { name: 'control', model: 'popularity', weight: 1 },
      { name: 'lightfm', model: 'lightfm', weight: 1 },
    ],
    control: 'control',
    status: 'running',
    created: '2026-01-01T00:00:00Z',
    started: '2026-01-01T00:00:00Z',
    stopped: null,
    attribution_window_hours: 24,
    orders_per_year: 100_000,
    ...overrides,
  };
}

const NOW = '2026-01-11T00:00:00.000Z';

/** One daily look equal to the totals. */
const ONE_DAY: DailyTotals[] = [
  {
    day: '2026-01-10',
    arms: [CONTROL, TREATMENT].map((t) => ({ arm: t.arm, visitors: t.visitors, buyers: t.buyers, revenue: t.revenue })),
  },
];

/** `days` cumulative looks with `perDay` visitors per arm per day and the given conversion rates (revenue 50 per buyer). */
function series(days: number, perDay: number, rates: Record<string, number>): DailyTotals[] {
  const out: DailyTotals[] = [];
  for (let d = 1; d <= days; d++) {
    out.push({
      day: `2026-02-${String(d).padStart(2, '0')}`,
      arms: Object.entries(rates).map(([arm, rate]) => {
        const visitors = perDay * d;
        const buyers = Math.round(visitors * rate);
        return { arm, visitors, buyers, revenue: { sum: 50 * buyers, sum_sq: 2500 * buyers } };
      }),
    });
  }
  return out;
}

function zeroTotals(arm: string): ArmTotals {
  return {
    arm,
    visitors: 0,
    impressions: 0,
    clicks: 0,
    cart_visitors: 0,
    buyers: 0,
    orders: 0,
    items: { sum: 0, sum_sq: 0 },
    multi_item_orders: 0,
    revenue: { sum: 0, sum_sq: 0 },
    attributed_orders: 0,
    attributed_revenue: 0,
  };
}

/** A report survives JSON unchanged: no NaN, no ±Infinity, no -0, no undefined. */
function expectJsonSafe(report: ExperimentReport): void {
  expect(JSON.parse(JSON.stringify(report))).toStrictEqual(report);
}

describe('buildReport: the worked example', () => {
  const report = buildReport(definition(), [CONTROL, TREATMENT], ONE_DAY, { now: NOW, currency: 'EUR' });
  const [control, treatment] = report.arms;
  const cmp = report.comparisons[0].metrics;

  it('summarises the definition and the run', () => {
    expect(report.experiment.id).toBe('exp1');
    expect(report.experiment.arms.map((a) => a.share)).toEqual([0.5, 0.5]);
    expect(report.generated_at).toBe(NOW);
    expect(report.days_of_data).toBe(1);
    expect(report.duration_days).toBe(10);
    expect(report.alpha).toBe(0.05);
    expect(report.alpha_per_comparison).toBe(0.05);
    expect(report.interval_level).toBe(0.95);
    expect(report.currency).toBe('EUR');
    expectJsonSafe(report);
  });

  it('conversion rate with its Wilson interval', () => {
    // 100/1000, z = 1.959964, z²/n = 0.0038415:
    // centre = (0.1 + 0.0019207) / 1.0038415 = 0.1015306
    // half   = 1.959964 / 1.0038415 · √(0.1·0.9/1000 + 0.0038415/4000) = 1.952464 · 0.0095373 = 0.0186212
    // → [0.0829094, 0.1201520]
    expect(control.conversion_rate.value).toBe(0.1);
    expect(control.conversion_rate.n).toBe(1000);
    expect(control.conversion_rate.ci!.lower).toBeCloseTo(0.0829094, 6);
    expect(control.conversion_rate.ci!.upper).toBeCloseTo(0.120152, 6);
    // 130/1000 → [0.1105638, 0.1522680]
    expect(treatment.conversion_rate.ci!.lower).toBeCloseTo(0.1105638, 6);
    expect(treatment.conversion_rate.ci!.upper).toBeCloseTo(0.152268, 6);
  });

  it('the other per-arm rates and means', () => {
    expect(control.ctr.value).toBe(0.05);
    expect(control.add_to_cart_rate.value).toBe(0.2);
    expect(control.multi_item_share.value).toBe(0.2);
    expect(treatment.multi_item_share.value).toBe(0.3);
    expect(control.attributed_order_share.value).toBe(0.1);
    expect(control.attributed_revenue_share).toBe(0.1);
    expect(control.items_total).toBe(120);
    expect(control.revenue_total).toBe(5000);
    // Items per order: mean 120/100 = 1.2, s² = (160 - 120²/100)/99 = 16/99 = 0.1616162.
    // Revenue per visitor: mean 5, s² = (250000 - 5000²/1000)/999 = 225000/999 = 225.2252;
    // t_{0.975, 999} = 1.962341, half = 1.962341 · √(225.2252/1000) = 0.931286 → [4.068714, 5.931286].
    expect(control.items_per_order.value).toBe(1.2);
    expect(control.revenue_per_visitor.value).toBe(5);
    expect(control.revenue_per_visitor.ci!.lower).toBeCloseTo(4.068714, 5);
    expect(control.revenue_per_visitor.ci!.upper).toBeCloseTo(5.931286, 5);
  });

  it('conversion: two-proportion z-test', () => {
    // diff = 0.13 - 0.10 = 0.03; pooled p̄ = 230/2000 = 0.115;
    // se₀ = √(0.115 · 0.885 · (1/1000 + 1/1000)) = √0.00020355 = 0.0142671;
    // z = 0.03 / 0.0142671 = 2.10274; p = 2 (1 - Φ(2.10274)) = 0.035488.
    // Interval (unpooled): se = √(0.09/1000 + 0.1131/1000) = 0.0142513;
    // 0.03 ± 1.959964 · 0.0142513 = 0.03 ± 0.0279321 → [0.0020679, 0.0579321].
    const c = cmp.conversion_rate;
    expect(c.test).toBe('two_proportion_z');
    expect(c.diff).toBeCloseTo(0.03, 12);
    expect(c.relative_lift).toBeCloseTo(0.3, 12);
    expect(c.statistic).toBeCloseTo(2.10274, 5);
    expect(c.p_value).toBeCloseTo(0.035488, 6);
    expect(c.ci!.lower).toBeCloseTo(0.0020679, 7);
    expect(c.ci!.upper).toBeCloseTo(0.0579321, 7);
    expect(c.significant).toBe(true);
    expect(c.df).toBeNull();
    expect(c.note).toBeNull();
  });

  it('CTR, add-to-cart and multi-item share', () => {
    // CTR: 250/5000 vs 300/5000; p̄ = 0.055, se₀ = √(0.055·0.945·0.0004) = 0.0045596, z = 0.01/0.0045596 = 2.19317, p = 0.028295.
    expect(cmp.ctr.statistic).toBeCloseTo(2.19317, 5);
    expect(cmp.ctr.p_value).toBeCloseTo(0.028295, 6);
    // Add to cart: 200/1000 vs 240/1000; p̄ = 0.22, se₀ = √(0.22·0.78·0.002) = 0.0185257, z = 0.04/0.0185257 = 2.15917, p = 0.030837.
    expect(cmp.add_to_cart_rate.statistic).toBeCloseTo(2.15917, 5);
    expect(cmp.add_to_cart_rate.p_value).toBeCloseTo(0.030837, 6);
    // 2+ items: 20/100 vs 39/130; p̄ = 59/230 = 0.256522, se₀ = √(0.256522·0.743478·(1/100 + 1/130)) = 0.0580883,
    // z = 0.1/0.0580883 = 1.72152, p = 0.085157: not significant.
    expect(cmp.multi_item_share.statistic).toBeCloseTo(1.72152, 5);
    expect(cmp.multi_item_share.p_value).toBeCloseTo(0.085157, 6);
    expect(cmp.multi_item_share.significant).toBe(false);
  });

  it("revenue per visitor and items per order: Welch's t-test", () => {
    // Revenue: s²_a/n_a = 225.2252/1000 = 0.2252252, s²_b/n_b = 283.0330/1000 = 0.2830330;
    // se = √0.5082583 = 0.7129224, t = 1.5/0.7129224 = 2.10402;
    // df = 0.5082583² / (0.2252252²/999 + 0.2830330²/999) = 1972.48; p = 0.035503.
    const r = cmp.revenue_per_visitor;
    expect(r.test).toBe('welch_t');
    expect(r.diff).toBeCloseTo(1.5, 12);
    expect(r.relative_lift).toBeCloseTo(0.3, 12);
    expect(r.statistic).toBeCloseTo(2.10402, 5);
    expect(r.df).toBeCloseTo(1972.48, 2);
    expect(r.p_value).toBeCloseTo(0.035503, 6);
    expect(r.ci!.lower).toBeCloseTo(0.10184, 5);
    expect(r.ci!.upper).toBeCloseTo(2.89816, 5);
    // Items: s²_b = (247 - 169²/130)/129 = 27.3/129 = 0.2116279; v_a = 0.1616162/100, v_b = 0.2116279/130;
    // se = √(0.00161616 + 0.00162791) = 0.0569568, t = 0.1/0.0569568 = 1.75572, df = 224.263, p = 0.080502;
    // t_{0.975, 224.26} = 1.970633 → 0.1 ± 0.112239 → [-0.012239, 0.212239].
    const i = cmp.items_per_order;
    expect(i.statistic).toBeCloseTo(1.75572, 5);
    expect(i.df).toBeCloseTo(224.263, 3);
    expect(i.p_value).toBeCloseTo(0.080502, 6);
    expect(i.ci!.lower).toBeCloseTo(-0.012239, 6);
    expect(i.ci!.upper).toBeCloseTo(0.212239, 6);
    expect(i.significant).toBe(false);
  });

  it('projects the yearly revenue change from items per order', () => {
    // Average item value = 5000 / 120 = 41.6667; change = 100000 · 41.6667 · (1.3 - 1.2) = 416 666.67;
    // low/high = 100000 · 41.6667 · [-0.012239, 0.212239] = [-50 995.1, 884 328.5].
    const p = report.projection;
    expect(p.orders_per_year).toBe(100_000);
    expect(p.orders_per_year_source).toBe('definition');
    expect(p.average_item_value).toBeCloseTo(41.666667, 5);
    expect(p.currency).toBe('EUR');
    const arm = p.arms[0];
    expect(arm.arm).toBe('lightfm');
    expect(arm.items_per_order_diff).toBeCloseTo(0.1, 12);
    expect(arm.yearly_revenue_change).toBeCloseTo(416_666.67, 1);
    expect(arm.low).toBeCloseTo(-50_995.1, 0);
    expect(arm.high).toBeCloseTo(884_328.5, 0);
  });

  it('SRM: an even split passes', () => {
    expect(report.srm.chi2).toBe(0);
    expect(report.srm.p_value).toBe(1);
    expect(report.srm.mismatch).toBe(false);
    expect(report.srm.verdict).toMatch(/^visitors split as the weights say/);
    expect(report.srm.arms.map((a) => a.expected_visitors)).toEqual([1000, 1000]);
  });

  it('sequential: one look at the totals is not yet enough', () => {
    // V = 0.09/1000 + 0.1131/1000 = 0.0002031; pooled σ² = (1000·0.09 + 1000·0.1131)/2000 = 0.10155;
    // τ_abs = 0.025 · √0.10155 = 0.00796673, τ² = 6.34688e-5;
    // Λ = √(V/(V+τ²)) · exp(τ² θ̂² / (2V(V+τ²))) = √(0.0002031/0.000266569) · exp(5.71219e-8/1.08280e-7)
    //   = 0.872864 · 1.694742 = 1.479302 → p_seq = 1/Λ = 0.675994.
    const s = report.sequential[0];
    expect(s.arm).toBe('lightfm');
    expect(s.conversion_rate.p_value).toBeCloseTo(0.675994, 6);
    expect(s.conversion_rate.series).toHaveLength(1);
    expect(s.conversion_rate.series[0]).toMatchObject({ day: '2026-01-10', control_visitors: 1000, treatment_visitors: 1000 });
    expect(s.conversion_rate.diff).toBeCloseTo(0.03, 12);
    expect(s.revenue_per_visitor.diff).toBeCloseTo(1.5, 12);
    expect(s.outcome).toBe('no_difference_yet');
    expect(s.safe_to_stop).toBe(false);
    expect(s.verdict).toMatch(/^no difference detected yet between "lightfm" and "control" \(p_seq = 0\.68 for conversion/);
  });
});

describe('buildReport: sequential verdicts', () => {
  it('a clear winner over 14 days: safe to stop, and the series is the mSPRT of the daily snapshots', () => {
    const daily = series(14, 1000, { control: 0.1, lightfm: 0.13 });
    const report = buildReport(definition(), [CONTROL, TREATMENT], daily, { now: NOW });
    const s = report.sequential[0];
    const expected = mixtureSprtPValue(
      daily.map((d) => ({ a: { successes: d.arms[0].buyers, n: d.arms[0].visitors }, b: { successes: d.arms[1].buyers, n: d.arms[1].visitors } })),
    );
    expect(s.conversion_rate.series.map((p) => p.p_value)).toEqual(expected);
    const ps = s.conversion_rate.series.map((p) => p.p_value);
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeLessThanOrEqual(ps[i - 1]);
    expect(s.conversion_rate.p_value).toBeLessThan(0.05);
    expect(s.outcome).toBe('better');
    expect(s.safe_to_stop).toBe(true);
    expect(s.verdict).toMatch(/^"lightfm" converts better than "control" \(\+3\.00 pp, p_seq (=|<) [0-9.]+\)/);
    expect(s.verdict).toMatch(/safe to stop$/);
    expect(report.days_of_data).toBe(14);
    expectJsonSafe(report);
  });

  it('a clear loser: worse', () => {
    const report = buildReport(definition(), [CONTROL, TREATMENT], series(14, 1000, { control: 0.13, lightfm: 0.1 }), { now: NOW });
    const s = report.sequential[0];
    expect(s.outcome).toBe('worse');
    expect(s.verdict).toMatch(/^"lightfm" converts worse than "control" \(-3\.00 pp/);
    expect(s.verdict).toMatch(/earns less per visitor/);
  });

  it('equal arms: no difference yet', () => {
    const report = buildReport(definition(), [CONTROL, TREATMENT], series(14, 1000, { control: 0.1, lightfm: 0.1 }), { now: NOW });
    expect(report.sequential[0].outcome).toBe('no_difference_yet');
    expect(report.sequential[0].conversion_rate.p_value).toBe(1);
  });

  it('a day without one arm counts as 0 visitors; a day with neither says no data', () => {
    const daily: DailyTotals[] = [{ day: '2026-01-01', arms: [{ arm: 'control', visitors: 10, buyers: 1, revenue: { sum: 50, sum_sq: 2500 } }] }];
    const report = buildReport(definition(), [CONTROL, TREATMENT], daily, { now: NOW });
    const s = report.sequential[0];
    expect(s.outcome).toBe('no_data');
    expect(s.conversion_rate.series[0]).toStrictEqual({ day: '2026-01-01', p_value: 1, diff: null, control_visitors: 10, treatment_visitors: 0 });
    expect(s.verdict).toBe('no data yet: no day has visitors in both "lightfm" and "control"');
  });
});

describe('buildReport: zero traffic', () => {
  it('an arm with no traffic gives nulls, never NaN', () => {
    const report = buildReport(
      definition(),
      [CONTROL, zeroTotals('lightfm')],
      ONE_DAY.map((d) => ({ ...d, arms: d.arms.slice(0, 1) })),
      { now: NOW },
    );
    expectJsonSafe(report);
    const t = report.arms[1];
    expect(t.conversion_rate).toStrictEqual({ value: null, ci: null, n: 0 });
    expect(t.items_per_order).toStrictEqual({ value: null, ci: null, n: 0 });
    expect(t.attributed_revenue_share).toBeNull();
    const c = report.comparisons[0].metrics.conversion_rate;
    expect(c).toMatchObject({ control: 0.1, treatment: null, diff: null, p_value: null, significant: false });
    expect(c.note).toBe('not tested: "lightfm" has 0 visitors; the test needs at least 1 in each arm');
    expect(report.projection.arms[0].yearly_revenue_change).toBeNull();
    expect(report.projection.arms[0].note).toMatch(/"lightfm" has no orders yet/);
    // All visitors went to control: that is a mismatch.
    expect(report.srm.mismatch).toBe(true);
  });

  it('a draft with no traffic at all: a complete report of nulls', () => {
    const def = definition({ status: 'draft', started: null, orders_per_year: null });
    const report = buildReport(def, [zeroTotals('control'), zeroTotals('lightfm')], [], { now: NOW });
    expectJsonSafe(report);
    expect(report.duration_days).toBeNull();
    expect(report.days_of_data).toBe(0);
    expect(report.srm).toMatchObject({ chi2: 0, p_value: 1, mismatch: false, verdict: 'no visitors yet' });
    expect(report.sequential[0]).toMatchObject({ outcome: 'no_data', safe_to_stop: false });
    expect(report.sequential[0].conversion_rate).toStrictEqual({ p_value: 1, diff: null, significant: false, series: [] });
    expect(report.projection).toMatchObject({ orders_per_year: null, orders_per_year_source: null, average_item_value: null });
    for (const m of Object.values(report.comparisons[0].metrics)) expect(m.p_value).toBeNull();
  });

  it('one order per arm: means without intervals, projection without low/high', () => {
    const one = (arm: string, items: number): ArmTotals => ({
      ...zeroTotals(arm),
      visitors: 1,
      buyers: 1,
      orders: 1,
      items: { sum: items, sum_sq: items * items },
      revenue: { sum: 20, sum_sq: 400 },
    });
    const report = buildReport(definition(), [one('control', 1), one('lightfm', 2)], [], { now: NOW });
    expectJsonSafe(report);
    expect(report.arms[0].items_per_order).toStrictEqual({ value: 1, ci: null, n: 1 });
    expect(report.comparisons[0].metrics.items_per_order.note).toMatch(/needs at least 2 in each arm/);
    // 100000 orders · (20/1) per item · (2 - 1) items.
    expect(report.projection.arms[0]).toMatchObject({ yearly_revenue_change: 2_000_000, low: null, high: null });
  });

  it('constant samples that differ: Welch has no finite t, reported as null with p = 0', () => {
    const arm = (name: string, items: number): ArmTotals => ({
      ...zeroTotals(name),
      visitors: 10,
      buyers: 10,
      orders: 10,
      items: { sum: 10 * items, sum_sq: 10 * items * items },
      multi_item_orders: items >= 2 ? 10 : 0,
      revenue: { sum: 100, sum_sq: 1000 },
    });
    const report = buildReport(definition(), [arm('control', 1), arm('lightfm', 2)], [], { now: NOW });
    expectJsonSafe(report);
    expect(report.comparisons[0].metrics.items_per_order).toMatchObject({
      diff: 1,
      statistic: null,
      p_value: 0,
      significant: true,
      ci: { lower: 1, upper: 1 },
    });
  });
});

describe('buildReport: three arms', () => {
  const def = definition({
    arms: [
      { name: 'control', model: 'popularity', weight: 1 },
      { name: 'lightfm', model: 'lightfm', weight: 1 },
      { name: 'knn', model: 'item-knn', weight: 2 },
    ],
  });
  const knn: ArmTotals = {
    ...TREATMENT,
    arm: 'knn',
    visitors: 2000,
    buyers: 200,
    orders: 200,
    multi_item_orders: 40,
    items: { sum: 240, sum_sq: 320 },
    revenue: { sum: 10_000, sum_sq: 500_000 },
    cart_visitors: 400,
  };

  it('compares each treatment with the control, at alpha / 2', () => {
    const control = { ...CONTROL, visitors: 1000 };
    const report = buildReport(def, [control, TREATMENT, knn], [], { now: NOW });
    expectJsonSafe(report);
    expect(report.alpha_per_comparison).toBe(0.025);
    expect(report.comparison_interval_level).toBe(0.975);
    expect(report.comparisons.map((c) => c.arm)).toEqual(['lightfm', 'knn']);
    expect(report.sequential.map((s) => s.arm)).toEqual(['lightfm', 'knn']);
    expect(report.projection.arms.map((a) => a.arm)).toEqual(['lightfm', 'knn']);
    // lightfm's conversion p = 0.035488 is below 0.05 but not below 0.025.
    expect(report.comparisons[0].metrics.conversion_rate.p_value).toBeCloseTo(0.035488, 6);
    expect(report.comparisons[0].metrics.conversion_rate.significant).toBe(false);
    // knn converts exactly like control (200/2000 = 100/1000): z = 0, p = 1.
    expect(report.comparisons[1].metrics.conversion_rate).toMatchObject({ diff: 0, statistic: 0, p_value: 1, significant: false });
    // Weights 1:1:2 and visitors 1000:1000:2000: χ² = 0.
    expect(report.srm).toMatchObject({ chi2: 0, df: 2, p_value: 1, mismatch: false });
    expect(report.experiment.arms.map((a) => a.share)).toEqual([0.25, 0.25, 0.5]);
  });

  it('SRM over three arms: 500:520:980 against 1:1:2', () => {
    // Expected 500, 500, 1000: χ² = 0 + 400/500 + 400/1000 = 1.2, df = 2, p = e^{-0.6} = 0.548812.
    const report = buildReport(
      def,
      [
        { ...CONTROL, visitors: 500 },
        { ...TREATMENT, visitors: 520 },
        { ...knn, visitors: 980 },
      ],
      [],
      { now: NOW },
    );
    expect(report.srm.chi2).toBeCloseTo(1.2, 12);
    expect(report.srm.p_value).toBeCloseTo(Math.exp(-0.6), 12);
    expect(report.srm.mismatch).toBe(false);
  });
});

describe('buildReport: sample ratio mismatch', () => {
  it('1000 against 1200 on a 50/50 split is flagged', () => {
    // Expected 1100 each: χ² = 2 · 100²/1100 = 18.1818, df = 1, p = 2.0079e-5 < 0.001.
    const report = buildReport(definition(), [CONTROL, { ...TREATMENT, visitors: 1200 }], series(14, 1000, { control: 0.1, lightfm: 0.13 }), { now: NOW });
    expect(report.srm.chi2).toBeCloseTo(18.181818, 5);
    expect(report.srm.p_value).toBeCloseTo(2.0079e-5, 8);
    expect(report.srm.mismatch).toBe(true);
    expect(report.srm.verdict).toMatch(/^sample ratio mismatch \(p < 0\.0001, below 0\.001\)/);
    // The sequential test is significant, but nobody should act on it.
    expect(report.sequential[0].conversion_rate.significant).toBe(true);
    expect(report.sequential[0].safe_to_stop).toBe(false);
    expect(report.sequential[0].verdict).toMatch(/but the sample ratio is off/);
  });

  it('1000 against 1130 is within chance at the 0.001 threshold', () => {
    // χ² = 2 · 65²/1065 = 7.93427, p = 0.0048507.
    const report = buildReport(definition(), [CONTROL, { ...TREATMENT, visitors: 1130 }], [], { now: NOW });
    expect(report.srm.chi2).toBeCloseTo(7.93427, 5);
    expect(report.srm.p_value).toBeCloseTo(0.0048507, 7);
    expect(report.srm.mismatch).toBe(false);
  });

  it('visitors in an arm of weight 0 are a mismatch', () => {
    const def = definition({
      arms: [
        { name: 'control', model: 'popularity', weight: 1 },
        { name: 'lightfm', model: 'lightfm', weight: 1 },
        { name: 'paused', model: 'none', weight: 0 },
      ],
    });
    const report = buildReport(def, [CONTROL, TREATMENT, { ...zeroTotals('paused'), visitors: 3 }], [], { now: NOW });
    expect(report.srm.mismatch).toBe(true);
    expect(report.srm.verdict).toMatch(/"paused" has weight 0 but 3 visitors/);
    expect(report.srm.p_value).toBe(1);
  });
});

describe('buildReport: orders per year', () => {
  it('is estimated from the experiment when the definition has none', () => {
    // 100 + 130 = 230 orders in 10 days → 23/day × 365 = 8395 orders per year.
    const report = buildReport(definition({ orders_per_year: null }), [CONTROL, TREATMENT], ONE_DAY, { now: NOW });
    expect(report.projection.orders_per_year).toBeCloseTo(8395, 9);
    expect(report.projection.orders_per_year_source).toBe('estimated');
    expect(report.projection.orders_per_year_note).toMatch(/^estimated: 230 orders over all arms in 10 days/);
    // 8395 · 41.6667 · 0.1 = 34 979.17
    expect(report.projection.arms[0].yearly_revenue_change).toBeCloseTo(34_979.17, 1);
  });

  it('a stopped experiment is measured from start to stop', () => {
    const report = buildReport(definition({ status: 'stopped', stopped: '2026-01-06T12:00:00Z', orders_per_year: null }), [CONTROL, TREATMENT], ONE_DAY, {
      now: NOW,
    });
    expect(report.duration_days).toBe(5.5);
    expect(report.projection.orders_per_year).toBeCloseTo((230 / 5.5) * 365, 9);
  });
});

describe('buildReport: lost impression events', () => {
  it('more clicks than impressions makes the CTR unknown instead of failing the report', () => {
    const report = buildReport(definition(), [CONTROL, { ...TREATMENT, clicks: 6000 }], [], { now: NOW });
    expectJsonSafe(report);
    expect(report.arms[1].ctr).toStrictEqual({ value: null, ci: null, n: 5000 });
    expect(report.comparisons[0].metrics.ctr).toMatchObject({ diff: null, p_value: null, significant: false });
    expect(report.comparisons[0].metrics.ctr.note).toBe(
      'not tested: "lightfm" has more clicks (6000) than impressions (5000); some impressions were not recorded',
    );
    expect(report.comparisons[0].metrics.conversion_rate.p_value).toBeCloseTo(0.035488, 6);
  });
});

describe('buildReport: input checks', () => {
  const bad = (fn: () => unknown, message: RegExp) => expect(fn).toThrow(message);

  it('totals must match the arms of the definition', () => {
    bad(() => buildReport(definition(), [CONTROL], []), /totals has no entry for arm "lightfm"/);
    bad(() => buildReport(definition(), [CONTROL, TREATMENT, { ...TREATMENT, arm: 'x' }], []), /totals\[2\]\.arm "x" is not an arm of experiment "exp1"/);
    bad(() => buildReport(definition(), [CONTROL, CONTROL], []), /totals\[1\]\.arm "control" appears twice/);
    expect(() => buildReport(definition(), [CONTROL], [])).toThrow(RangeError);
  });

  it('counts must be consistent', () => {
    bad(() => buildReport(definition(), [CONTROL, { ...TREATMENT, buyers: 1001 }], []), /totals\[1\]\.buyers \(1001\) exceeds visitors/);
    bad(() => buildReport(definition(), [{ ...CONTROL, visitors: 10.5 }, TREATMENT], []), /totals\[0\]\.visitors must be an integer >= 0, got 10\.5/);
    bad(
      () => buildReport(definition(), [{ ...CONTROL, revenue: { sum: 5000, sum_sq: 5000 } }, TREATMENT], []),
      /totals\[0\]\.revenue\.sum_sq \(5000\) is below sum²\/visitors/,
    );
    bad(() => buildReport(definition(), [{ ...CONTROL, items: { sum: NaN, sum_sq: 1 } }, TREATMENT], []), /totals\[0\]\.items\.sum must be a finite number/);
    bad(
      () => buildReport(definition(), [{ ...zeroTotals('control'), revenue: { sum: 1, sum_sq: 1 } }, TREATMENT], []),
      /totals\[0\]\.revenue must be \{sum: 0, sum_sq: 0\} when visitors is 0/,
    );
  });

  it('daily totals must be ordered, known and cumulative', () => {
    const day = (d: string, visitors: number) => ({ day: d, arms: [{ arm: 'control', visitors, buyers: 0, revenue: { sum: 0, sum_sq: 0 } }] });
    bad(
      () => buildReport(definition(), [CONTROL, TREATMENT], [day('2026-01-02', 5), day('2026-01-01', 6)]),
      /daily\[1\]\.day 2026-01-01 does not come after 2026-01-02/,
    );
    bad(
      () => buildReport(definition(), [CONTROL, TREATMENT], [day('2026-01-01', 5), day('2026-01-02', 4)]),
      /daily\[1\] \(2026-01-02\): visitors of arm "control" fell from 5 to 4; daily totals must be cumulative/,
    );
    bad(() => buildReport(definition(), [CONTROL, TREATMENT], [day('2026-1-1', 5)]), /daily\[0\]\.day must be a UTC date YYYY-MM-DD/);
    bad(
      () =>
        buildReport(definition(), [CONTROL, TREATMENT], [{ day: '2026-01-01', arms: [{ arm: 'y', visitors: 1, buyers: 0, revenue: { sum: 0, sum_sq: 0 } }] }]),
      /daily\[0\]\.arms\[0\]\.arm "y" is not an arm/,
    );
  });

  it('the definition and the options are checked', () => {
    bad(() => buildReport(definition({ control: 'nope' }), [CONTROL, TREATMENT], []), /definition\.control "nope" is not one of the arms \(control, lightfm\)/);
    bad(
      () => buildReport(definition({ arms: [{ name: 'control', model: 'popularity', weight: 1 }] }), [CONTROL], []),
      /definition\.arms must list a control and at least one treatment/,
    );
    bad(
      () =>
        buildReport(
          definition({
            arms: [
              { name: 'control', model: 'popularity', weight: -1 },
              { name: 'lightfm', model: 'lightfm', weight: 1 },
            ],
          }),
          [CONTROL, TREATMENT],
          [],
        ),
      /definition\.arms\[0\]\.weight/,
    );
    bad(
      () =>
        buildReport(
          definition({
            arms: [
              { name: 'control', model: 'popularity', weight: 1 },
              { name: 'lightfm', model: 'gpt' as 'lightfm', weight: 1 },
            ],
          }),
          [CONTROL, TREATMENT],
          [],
        ),
      /definition\.arms\[1\]\.model must be one of/,
    );
    bad(() => buildReport(definition({ started: 'yesterday' }), [CONTROL, TREATMENT], []), /definition\.started must be an ISO 8601 time/);
    bad(() => buildReport(definition(), [CONTROL, TREATMENT], [], { alpha: 1 }), /options\.alpha must be in \(0, 1\)/);
    bad(() => buildReport(definition(), [CONTROL, TREATMENT], [], { tau: 0 }), /options\.tau must be finite and > 0/);
    bad(() => buildReport(definition(), [CONTROL, TREATMENT], [], { currency: 'euro' }), /options\.currency must be an ISO 4217 code/);
  });
});
