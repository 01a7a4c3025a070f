/**
 * The A/B experiment report: per-arm rates and means with intervals, every treatment
 * against the control (fixed-horizon tests), the sample-ratio check, the always-valid
 * sequential verdict and the yearly revenue projection. Pure: aggregates in, JSON-safe
 * object out. The formulas of every field are in spec/experiment-report.md.
 */
import { checkDefinition, type ExperimentArm, type ExperimentDefinition } from './definition.js';
import type {
  ArmComparison,
  ArmProjection,
  ArmReport,
  ArmTotals,
  ComparedMetric,
  DailyTotals,
  Estimate,
  ExperimentReport,
  MetricComparison,
  ProjectionReport,
  ReportInterval,
  ReportOptions,
  SequentialMetric,
  SequentialReport,
  SrmReport,
  SumSq,
} from './report-types.js';
import {
  DEFAULT_MSPRT_TAU,
  meanCI,
  mixtureSprtPValue,
  projectedYearlyRevenueChange,
  proportionCI,
  srmChiSquare,
  twoProportionZTest,
  welchTTest,
  type Interval,
  type MeanSummary,
  type SequentialSnapshot,
} from '../../core/stats/stats.js';

/** A sample-ratio p-value below this flags a broken split. */
const SRM_THRESHOLD = 0.001;
/** Default significance level. */
const DEFAULT_ALPHA = 0.05;

const DAY_MS = 86_400_000;
const COUNT_FIELDS = ['visitors', 'impressions', 'clicks', 'cart_visitors', 'buyers', 'orders', 'multi_item_orders', 'attributed_orders'] as const;
type CountField = (typeof COUNT_FIELDS)[number];

/**
 * Builds the report of experiment `def` from its totals per arm and its cumulative daily
 * totals. Throws a RangeError naming the field when the inputs disagree with the definition
 * or with themselves (a count above its denominator, a series that is not cumulative).
 */
export function buildReport(def: ExperimentDefinition, totals: ArmTotals[], daily: DailyTotals[], options: ReportOptions = {}): ExperimentReport {
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const tau = options.tau ?? DEFAULT_MSPRT_TAU;
  const currency = options.currency ?? null;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`options.alpha must be in (0, 1), got ${alpha}`);
  if (!(Number.isFinite(tau) && tau > 0)) throw new RangeError(`options.tau must be finite and > 0, got ${tau}`);
  if (currency !== null && !/^[A-Z]{3}$/.test(currency))
    throw new RangeError(`options.currency must be an ISO 4217 code such as "EUR" or null, got ${JSON.stringify(currency)}`);
  const nowMs = options.now === undefined ? Date.now() : parseTime(options.now, 'options.now');

  checkDefinition(def);
  const byArm = validateTotals(def, totals);
  validateDaily(def, daily);

  const treatments = def.arms.filter((a) => a.name !== def.control).map((a) => a.name);
  const alphaPer = alpha / treatments.length;
  const level = 1 - alpha;
  const comparisonLevel = 1 - alphaPer;
  const control = byArm.get(def.control)!;
  const weightSum = def.arms.reduce((s, a) => s + a.weight, 0);
  const durationDays = duration(def, nowMs);
  const srm = srmReport(def, byArm);
  const comparisons = treatments.map((arm) => compareArms(def.control, control, byArm.get(arm)!, comparisonLevel, alphaPer));

  return {
    experiment: {
      id: def.id,
      seller: def.seller,
      name: def.name,
      surface: def.surface,
      status: def.status,
      control: def.control,
      arms: def.arms.map((a) => ({ ...a, share: a.weight / weightSum })),
      created: def.created,
      started: def.started,
      stopped: def.stopped,
      attribution_window_hours: def.attribution_window_hours,
      orders_per_year: def.orders_per_year,
    },
    generated_at: new Date(nowMs).toISOString(),
    days_of_data: daily.length,
    duration_days: durationDays,
    alpha,
    alpha_per_comparison: alphaPer,
    interval_level: level,
    comparison_interval_level: comparisonLevel,
    currency,
    arms: def.arms.map((a) => armReport(a, a.name === def.control, byArm.get(a.name)!, level)),
    comparisons,
    srm,
    sequential: treatments.map((arm) => sequentialReport(def.control, arm, daily, tau, alphaPer, srm.mismatch, currency)),
    projection: projection(def, byArm, comparisons, durationDays, daily.length, currency),
  };
}

// ---------------------------------------------------------------------------------------
// Per arm
// ---------------------------------------------------------------------------------------

function armReport(a: ExperimentArm, isControl: boolean, t: ArmTotals, level: number): ArmReport {
  return {
    arm: t.arm,
    slot: a.slot ?? null,
    model: a.model ?? null,
    is_control: isControl,
    visitors: t.visitors,
    impressions: t.impressions,
    clicks: t.clicks,
    cart_visitors: t.cart_visitors,
    buyers: t.buyers,
    orders: t.orders,
    items_total: t.items.sum,
    multi_item_orders: t.multi_item_orders,
    revenue_total: t.revenue.sum,
    ctr: t.clicks <= t.impressions ? proportionEstimate(t.clicks, t.impressions, level) : { value: null, ci: null, n: t.impressions },
    add_to_cart_rate: proportionEstimate(t.cart_visitors, t.visitors, level),
    conversion_rate: proportionEstimate(t.buyers, t.visitors, level),
    items_per_order: meanEstimate(t.items, t.orders, level),
    multi_item_share: proportionEstimate(t.multi_item_orders, t.orders, level),
    revenue_per_visitor: meanEstimate(t.revenue, t.visitors, level),
    attributed_orders: t.attributed_orders,
    attributed_revenue: t.attributed_revenue,
    attributed_order_share: proportionEstimate(t.attributed_orders, t.orders, level),
    attributed_revenue_share: t.revenue.sum > 0 ? finite(t.attributed_revenue / t.revenue.sum) : null,
  };
}

/** x/n with its Wilson interval; nulls when n = 0. */
function proportionEstimate(successes: number, n: number, level: number): Estimate {
  if (n === 0) return { value: null, ci: null, n };
  return { value: finite(successes / n), ci: interval(proportionCI(successes, n, level)), n };
}

/** The mean with its t interval; the interval needs n >= 2. */
function meanEstimate(s: SumSq, n: number, level: number): Estimate {
  if (n === 0) return { value: null, ci: null, n };
  const summary = summaryOf(s, n);
  return { value: finite(summary.mean), ci: n >= 2 ? interval(meanCI(summary, level)) : null, n };
}

/** Mean and unbiased variance from Σx and Σx²: s² = (Σx² - (Σx)²/n) / (n - 1), clamped at 0 against rounding. */
function summaryOf(s: SumSq, n: number): MeanSummary {
  if (n === 0) return { n, mean: 0, variance: 0 };
  const mean = s.sum / n;
  const variance = n > 1 ? Math.max(0, (s.sum_sq - s.sum * mean) / (n - 1)) : 0;
  return { n, mean, variance };
}

// ---------------------------------------------------------------------------------------
// Treatment against control
// ---------------------------------------------------------------------------------------

interface RateSpec {
  kind: 'rate';
  successes: (t: ArmTotals) => number;
  n: (t: ArmTotals) => number;
  numerator: string;
  denominator: string;
}

interface MeanSpec {
  kind: 'mean';
  sums: (t: ArmTotals) => SumSq;
  n: (t: ArmTotals) => number;
  denominator: string;
}

const METRICS: Record<ComparedMetric, RateSpec | MeanSpec> = {
  ctr: { kind: 'rate', successes: (t) => t.clicks, n: (t) => t.impressions, numerator: 'clicks', denominator: 'impressions' },
  add_to_cart_rate: { kind: 'rate', successes: (t) => t.cart_visitors, n: (t) => t.visitors, numerator: 'cart visitors', denominator: 'visitors' },
  conversion_rate: { kind: 'rate', successes: (t) => t.buyers, n: (t) => t.visitors, numerator: 'buyers', denominator: 'visitors' },
  multi_item_share: { kind: 'rate', successes: (t) => t.multi_item_orders, n: (t) => t.orders, numerator: 'multi-item orders', denominator: 'orders' },
  revenue_per_visitor: { kind: 'mean', sums: (t) => t.revenue, n: (t) => t.visitors, denominator: 'visitors' },
  items_per_order: { kind: 'mean', sums: (t) => t.items, n: (t) => t.orders, denominator: 'orders' },
};

function compareArms(controlName: string, control: ArmTotals, treatment: ArmTotals, level: number, alphaPer: number): ArmComparison {
  const metrics = {} as Record<ComparedMetric, MetricComparison>;
  for (const name of Object.keys(METRICS) as ComparedMetric[]) {
    const spec = METRICS[name];
    metrics[name] = spec.kind === 'rate' ? compareRates(spec, control, treatment, level, alphaPer) : compareMeans(spec, control, treatment, level, alphaPer);
  }
  return { arm: treatment.arm, control: controlName, metrics };
}

function compareRates(spec: RateSpec, a: ArmTotals, b: ArmTotals, level: number, alphaPer: number): MetricComparison {
  const na = spec.n(a);
  const nb = spec.n(b);
  const pa = na > 0 ? spec.successes(a) / na : null;
  const pb = nb > 0 ? spec.successes(b) / nb : null;
  const over = [a, b].find((t) => spec.successes(t) > spec.n(t));
  if (over !== undefined) {
    return untested(
      'two_proportion_z',
      null,
      null,
      `not tested: "${over.arm}" has more ${spec.numerator} (${spec.successes(over)}) than ${spec.denominator} (${spec.n(over)}); some ${spec.denominator} were not recorded`,
    );
  }
  const missing = tooFew([a, na], [b, nb], 1, spec.denominator);
  if (missing !== null) return untested('two_proportion_z', pa, pb, missing);
  const r = twoProportionZTest(spec.successes(a), na, spec.successes(b), nb, level);
  return tested('two_proportion_z', pa!, pb!, r.diff, r.ci, r.z, null, r.pValue, alphaPer);
}

function compareMeans(spec: MeanSpec, a: ArmTotals, b: ArmTotals, level: number, alphaPer: number): MetricComparison {
  const sa = summaryOf(spec.sums(a), spec.n(a));
  const sb = summaryOf(spec.sums(b), spec.n(b));
  const ma = sa.n > 0 ? sa.mean : null;
  const mb = sb.n > 0 ? sb.mean : null;
  const missing = tooFew([a, sa.n], [b, sb.n], 2, spec.denominator);
  if (missing !== null) return untested('welch_t', ma, mb, missing);
  const r = welchTTest(sa, sb, level);
  return tested('welch_t', sa.mean, sb.mean, r.diff, r.ci, r.t, r.df, r.pValue, alphaPer);
}

/** Why a test cannot run (an arm below `min` in its denominator), or null. */
function tooFew(a: [ArmTotals, number], b: [ArmTotals, number], min: number, denominator: string): string | null {
  const short = [a, b].filter(([, n]) => n < min).map(([t, n]) => `"${t.arm}" has ${n}`);
  if (short.length === 0) return null;
  return `not tested: ${short.join(' and ')} ${denominator}; the test needs at least ${min} in each arm`;
}

function untested(test: MetricComparison['test'], control: number | null, treatment: number | null, note: string): MetricComparison {
  const diff = control !== null && treatment !== null ? finite(treatment - control) : null;
  return {
    test,
    control: control === null ? null : finite(control),
    treatment: treatment === null ? null : finite(treatment),
    diff,
    relative_lift: diff !== null && control !== null && control > 0 ? finite(diff / control) : null,
    ci: null,
    statistic: null,
    df: null,
    p_value: null,
    significant: false,
    note,
  };
}

function tested(
  test: MetricComparison['test'],
  control: number,
  treatment: number,
  diff: number,
  ci: Interval,
  statistic: number,
  df: number | null,
  pValue: number,
  alphaPer: number,
): MetricComparison {
  return {
    test,
    control: finite(control),
    treatment: finite(treatment),
    diff: finite(diff),
    relative_lift: control > 0 ? finite(diff / control) : null,
    ci: interval(ci),
    statistic: finite(statistic),
    df: df === null ? null : finite(df),
    p_value: finite(pValue),
    significant: pValue < alphaPer,
    note: null,
  };
}

// ---------------------------------------------------------------------------------------
// Sample ratio
// ---------------------------------------------------------------------------------------

function srmReport(def: ExperimentDefinition, byArm: Map<string, ArmTotals>): SrmReport {
  const weightSum = def.arms.reduce((s, a) => s + a.weight, 0);
  const total = def.arms.reduce((s, a) => s + byArm.get(a.name)!.visitors, 0);
  const arms = def.arms.map((a) => {
    const visitors = byArm.get(a.name)!.visitors;
    const share = a.weight / weightSum;
    return {
      arm: a.name,
      weight: a.weight,
      expected_share: share,
      visitors,
      expected_visitors: total * share,
      observed_share: total > 0 ? visitors / total : null,
    };
  });
  // Arms with weight 0 get no visitors by design; the χ² runs over the live ones.
  const live = def.arms.filter((a) => a.weight > 0);
  const stray = arms.filter((a) => a.weight === 0 && a.visitors > 0);
  const chi =
    live.length >= 2
      ? srmChiSquare(
          live.map((a) => byArm.get(a.name)!.visitors),
          live.map((a) => a.weight),
        )
      : null;
  const pValue = chi === null ? null : finite(chi.pValue);
  const mismatch = stray.length > 0 || (pValue !== null && pValue < SRM_THRESHOLD);
  const split = arms.map((a) => `${a.visitors} in "${a.arm}" (expected ${percent(a.expected_share)})`).join(', ');
  let verdict: string;
  if (stray.length > 0) {
    verdict = `sample ratio mismatch: ${stray.map((a) => `"${a.arm}" has weight 0 but ${a.visitors} visitors`).join('; ')}; assignment does not follow the weights, so fix it before trusting any comparison`;
  } else if (total === 0) {
    verdict = 'no visitors yet';
  } else if (chi === null) {
    verdict = 'only one arm has a weight above 0, so there is no split to check';
  } else if (mismatch) {
    verdict = `sample ratio mismatch (${pText('p', pValue!)}, below ${SRM_THRESHOLD}): ${split}; assignment or event logging is broken, so the comparisons cannot be trusted until it is fixed`;
  } else {
    verdict = `visitors split as the weights say (${pText('p', pValue!)}): ${split}`;
  }
  return { chi2: chi === null ? null : finite(chi.chi2), df: chi === null ? null : chi.df, p_value: pValue, threshold: SRM_THRESHOLD, mismatch, arms, verdict };
}

// ---------------------------------------------------------------------------------------
// Sequential
// ---------------------------------------------------------------------------------------

function sequentialReport(
  controlName: string,
  arm: string,
  daily: DailyTotals[],
  tau: number,
  alphaPer: number,
  srmMismatch: boolean,
  currency: string | null,
): SequentialReport {
  const zero = { visitors: 0, buyers: 0, revenue: { sum: 0, sum_sq: 0 } };
  const looks = daily.map((d) => ({
    day: d.day,
    a: d.arms.find((x) => x.arm === controlName) ?? zero,
    b: d.arms.find((x) => x.arm === arm) ?? zero,
  }));
  const conversion = sequentialMetric(
    looks,
    looks.map((l) => ({ a: { successes: l.a.buyers, n: l.a.visitors }, b: { successes: l.b.buyers, n: l.b.visitors } })),
    (x) => x.buyers / x.visitors,
    tau,
    alphaPer,
  );
  const revenue = sequentialMetric(
    looks,
    looks.map((l) => ({ a: summaryOf(l.a.revenue, l.a.visitors), b: summaryOf(l.b.revenue, l.b.visitors) })),
    (x) => x.revenue.sum / x.visitors,
    tau,
    alphaPer,
  );
  const hasData = looks.some((l) => l.a.visitors > 0 && l.b.visitors > 0);
  const signs = [conversion, revenue].filter((m) => m.significant && m.diff !== null && m.diff !== 0).map((m) => Math.sign(m.diff!));
  let outcome: SequentialReport['outcome'];
  if (!hasData) outcome = 'no_data';
  else if (signs.length === 0) outcome = 'no_difference_yet';
  else if (signs.every((s) => s > 0)) outcome = 'better';
  else if (signs.every((s) => s < 0)) outcome = 'worse';
  else outcome = 'mixed';
  const significant = outcome === 'better' || outcome === 'worse' || outcome === 'mixed';
  return {
    arm,
    control: controlName,
    conversion_rate: conversion,
    revenue_per_visitor: revenue,
    outcome,
    safe_to_stop: significant && !srmMismatch,
    verdict: sequentialVerdict(controlName, arm, outcome, conversion, revenue, alphaPer, srmMismatch, currency),
  };
}

interface Look {
  day: string;
  a: { visitors: number; buyers: number; revenue: SumSq };
  b: { visitors: number; buyers: number; revenue: SumSq };
}

function sequentialMetric(looks: Look[], snapshots: SequentialSnapshot[], metric: (x: Look['a']) => number, tau: number, alphaPer: number): SequentialMetric {
  const pValues = mixtureSprtPValue(snapshots, { tau });
  const series = looks.map((l, i) => ({
    day: l.day,
    p_value: finite(pValues[i]) ?? 0,
    diff: l.a.visitors > 0 && l.b.visitors > 0 ? finite(metric(l.b) - metric(l.a)) : null,
    control_visitors: l.a.visitors,
    treatment_visitors: l.b.visitors,
  }));
  const last = series.at(-1);
  const pValue = last?.p_value ?? 1;
  // Always-valid p-values may be acted on the first time they reach the level: ≤, not <.
  return { p_value: pValue, diff: last?.diff ?? null, significant: pValue <= alphaPer, series };
}

function sequentialVerdict(
  controlName: string,
  arm: string,
  outcome: SequentialReport['outcome'],
  conversion: SequentialMetric,
  revenue: SequentialMetric,
  alphaPer: number,
  srmMismatch: boolean,
  currency: string | null,
): string {
  const a = `"${arm}"`;
  const c = `"${controlName}"`;
  if (outcome === 'no_data') return `no data yet: no day has visitors in both ${a} and ${c}`;
  if (outcome === 'no_difference_yet') {
    return `no difference detected yet between ${a} and ${c} (${pText('p_seq', conversion.p_value)} for conversion, ${pText('p_seq', revenue.p_value)} for revenue per visitor); keep running until one reaches ${alphaPer}`;
  }
  const parts: string[] = [];
  if (conversion.significant && conversion.diff !== null && conversion.diff !== 0) {
    const word = conversion.diff > 0 ? 'better' : 'worse';
    parts.push(`converts ${word} than ${c} (${signed(conversion.diff * 100, 2)} pp, ${pText('p_seq', conversion.p_value)})`);
  }
  if (revenue.significant && revenue.diff !== null && revenue.diff !== 0) {
    const word = revenue.diff > 0 ? 'more' : 'less';
    parts.push(
      `earns ${word} per visitor than ${c} (${signed(revenue.diff, 2)}${currency === null ? '' : ` ${currency}`}, ${pText('p_seq', revenue.p_value)})`,
    );
  }
  const finding = `${a} ${parts.join(' and ')}`;
  if (srmMismatch) return `${finding}, but the sample ratio is off (see srm): fix the split before acting on this`;
  if (outcome === 'mixed') return `${finding}: the two metrics disagree, weigh them before choosing — safe to stop`;
  return `${finding} — safe to stop`;
}

// ---------------------------------------------------------------------------------------
// Revenue projection
// ---------------------------------------------------------------------------------------

function projection(
  def: ExperimentDefinition,
  byArm: Map<string, ArmTotals>,
  comparisons: ArmComparison[],
  durationDays: number | null,
  daysOfData: number,
  currency: string | null,
): ProjectionReport {
  const control = byArm.get(def.control)!;
  let ordersPerYear: number | null = null;
  let source: ProjectionReport['orders_per_year_source'] = null;
  let note: string;
  if (def.orders_per_year !== null) {
    ordersPerYear = def.orders_per_year;
    source = 'definition';
    note = 'orders per year as set in the experiment definition';
  } else {
    const orders = def.arms.reduce((s, a) => s + byArm.get(a.name)!.orders, 0);
    // Elapsed time when known; otherwise the number of days in the daily series.
    const days = durationDays !== null && durationDays > 0 ? durationDays : daysOfData;
    if (days > 0) {
      ordersPerYear = finite((orders / days) * 365);
      source = 'estimated';
      note = `estimated: ${orders} orders over all arms in ${round(days, 2)} days of the experiment, × 365; set orders_per_year in the experiment for the seller's real volume`;
    } else {
      note = "no estimate: the experiment has not run yet; set orders_per_year in the experiment for the seller's volume";
    }
  }
  const averageItemValue = control.items.sum > 0 && control.revenue.sum > 0 ? finite(control.revenue.sum / control.items.sum) : null;
  const arms = comparisons.map((cmp): ArmProjection => {
    const treatment = byArm.get(cmp.arm)!;
    const ipoC = control.orders > 0 ? control.items.sum / control.orders : null;
    const ipoT = treatment.orders > 0 ? treatment.items.sum / treatment.orders : null;
    const ci = cmp.metrics.items_per_order.ci;
    const base = {
      arm: cmp.arm,
      items_per_order_control: ipoC === null ? null : finite(ipoC),
      items_per_order_treatment: ipoT === null ? null : finite(ipoT),
      items_per_order_diff: ipoC === null || ipoT === null ? null : finite(ipoT - ipoC),
      items_per_order_diff_ci: ci,
    };
    const why =
      ipoC === null || ipoT === null
        ? `no projection: ${ipoC === null ? `"${def.control}"` : `"${cmp.arm}"`} has no orders yet`
        : averageItemValue === null
          ? `no projection: the control has no revenue or no items yet, so the average item value is unknown`
          : ordersPerYear === null
            ? 'no projection: orders per year unknown'
            : null;
    if (why !== null) return { ...base, yearly_revenue_change: null, low: null, high: null, note: why };
    const change = (treatmentIpo: number) =>
      finite(
        projectedYearlyRevenueChange({
          ordersPerYear: ordersPerYear!,
          averageItemValue: averageItemValue!,
          itemsPerOrderControl: ipoC!,
          itemsPerOrderTreatment: Math.max(0, treatmentIpo),
        }),
      );
    return {
      ...base,
      yearly_revenue_change: change(ipoT!),
      // Items per order cannot go below 0, hence the clamp inside change().
      low: ci === null ? null : change(ipoC! + ci.lower),
      high: ci === null ? null : change(ipoC! + ci.upper),
      note: ci === null ? 'no interval: each arm needs at least 2 orders' : null,
    };
  });
  return { orders_per_year: ordersPerYear, orders_per_year_source: source, orders_per_year_note: note, average_item_value: averageItemValue, currency, arms };
}

// ---------------------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------------------

function validateTotals(def: ExperimentDefinition, totals: ArmTotals[]): Map<string, ArmTotals> {
  if (!Array.isArray(totals)) throw new RangeError('totals must be a list with one entry per arm');
  const names = new Set(def.arms.map((a) => a.name));
  const byArm = new Map<string, ArmTotals>();
  totals.forEach((t, i) => {
    const at = `totals[${i}]`;
    if (!names.has(t.arm)) throw new RangeError(`${at}.arm ${JSON.stringify(t.arm)} is not an arm of experiment "${def.id}" (arms: ${[...names].join(', ')})`);
    if (byArm.has(t.arm)) throw new RangeError(`${at}.arm "${t.arm}" appears twice in totals`);
    for (const key of COUNT_FIELDS) checkCount(t[key], `${at}.${key}`);
    // clicks > impressions is not checked: impression events can be lost (ad blockers,
    // closed tabs) while the click arrives; the CTR of such an arm is reported as unknown.
    checkAtMost(t, at, 'cart_visitors', 'visitors');
    checkAtMost(t, at, 'buyers', 'visitors');
    checkAtMost(t, at, 'buyers', 'orders');
    checkAtMost(t, at, 'multi_item_orders', 'orders');
    checkAtMost(t, at, 'attributed_orders', 'orders');
    checkSumSq(t.items, t.orders, `${at}.items`, 'orders');
    if (t.items.sum < 0) throw new RangeError(`${at}.items.sum must be >= 0, got ${t.items.sum}`);
    checkSumSq(t.revenue, t.visitors, `${at}.revenue`, 'visitors');
    if (!Number.isFinite(t.attributed_revenue)) throw new RangeError(`${at}.attributed_revenue must be a finite number, got ${t.attributed_revenue}`);
    byArm.set(t.arm, t);
  });
  for (const name of names) {
    if (!byArm.has(name)) throw new RangeError(`totals has no entry for arm "${name}"; give every arm of the definition, with zeros when it had no traffic`);
  }
  return byArm;
}

function validateDaily(def: ExperimentDefinition, daily: DailyTotals[]): void {
  if (!Array.isArray(daily)) throw new RangeError('daily must be a list of days');
  const names = new Set(def.arms.map((a) => a.name));
  const previous = new Map<string, { visitors: number; buyers: number }>();
  let lastDay = '';
  daily.forEach((d, i) => {
    const at = `daily[${i}]`;
    if (typeof d.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d.day) || Number.isNaN(Date.parse(`${d.day}T00:00:00Z`))) {
      throw new RangeError(`${at}.day must be a UTC date YYYY-MM-DD, got ${JSON.stringify(d.day)}`);
    }
    if (d.day <= lastDay) throw new RangeError(`${at}.day ${d.day} does not come after ${lastDay}; days must be in increasing order, each once`);
    lastDay = d.day;
    if (!Array.isArray(d.arms)) throw new RangeError(`${at}.arms must be a list`);
    const seen = new Set<string>();
    d.arms.forEach((x, j) => {
      const where = `${at}.arms[${j}]`;
      if (!names.has(x.arm)) throw new RangeError(`${where}.arm ${JSON.stringify(x.arm)} is not an arm of experiment "${def.id}"`);
      if (seen.has(x.arm)) throw new RangeError(`${where}.arm "${x.arm}" appears twice on ${d.day}`);
      seen.add(x.arm);
      checkCount(x.visitors, `${where}.visitors`);
      checkCount(x.buyers, `${where}.buyers`);
      if (x.buyers > x.visitors) throw new RangeError(`${where}.buyers (${x.buyers}) exceeds visitors (${x.visitors})`);
      checkSumSq(x.revenue, x.visitors, `${where}.revenue`, 'visitors');
    });
    // An arm missing from a day counts as 0, which the cumulative check then catches if it had visitors before.
    for (const name of names) {
      const x = d.arms.find((y) => y.arm === name);
      const now = { visitors: x?.visitors ?? 0, buyers: x?.buyers ?? 0 };
      const before = previous.get(name);
      if (before !== undefined) {
        for (const key of ['visitors', 'buyers'] as const) {
          if (now[key] < before[key]) {
            throw new RangeError(
              `${at} (${d.day}): ${key} of arm "${name}" fell from ${before[key]} to ${now[key]}; daily totals must be cumulative (an arm missing from a day counts as 0)`,
            );
          }
        }
      }
      previous.set(name, now);
    }
  });
}

function checkCount(v: number, where: string): void {
  if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`${where} must be an integer >= 0, got ${v}`);
}

function checkAtMost(t: ArmTotals, at: string, part: CountField, whole: CountField): void {
  if (t[part] > t[whole]) throw new RangeError(`${at}.${part} (${t[part]}) exceeds ${whole} (${t[whole]}) for arm "${t.arm}"`);
}

/** Finite sums, Σx² >= 0, both 0 when n = 0, and Σx² ≥ (Σx)²/n (Cauchy–Schwarz; catches sums taken over the wrong rows). */
function checkSumSq(s: SumSq, n: number, where: string, nName: string): void {
  if (s === null || typeof s !== 'object') throw new RangeError(`${where} must be {sum, sum_sq}`);
  if (!Number.isFinite(s.sum)) throw new RangeError(`${where}.sum must be a finite number, got ${s.sum}`);
  if (!(Number.isFinite(s.sum_sq) && s.sum_sq >= 0)) throw new RangeError(`${where}.sum_sq must be a finite number >= 0, got ${s.sum_sq}`);
  if (n === 0 && (s.sum !== 0 || s.sum_sq !== 0)) throw new RangeError(`${where} must be {sum: 0, sum_sq: 0} when ${nName} is 0, got ${JSON.stringify(s)}`);
  if (n > 0 && s.sum_sq * n < s.sum * s.sum * (1 - 1e-9)) {
    throw new RangeError(
      `${where}.sum_sq (${s.sum_sq}) is below sum²/${nName} (${(s.sum * s.sum) / n}); it must be the sum of squares over the same ${n} ${nName}`,
    );
  }
}

function parseTime(text: string, where: string): number {
  const ms = typeof text === 'string' ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${where} must be an ISO 8601 time, got ${JSON.stringify(text)}`);
  return ms;
}

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

function duration(def: ExperimentDefinition, nowMs: number): number | null {
  if (def.started === null) return null;
  const end = def.stopped === null ? nowMs : Date.parse(def.stopped);
  return round(Math.max(0, (end - Date.parse(def.started)) / DAY_MS), 4);
}

/** x when finite (with -0 made 0), else null: what JSON can carry. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x + 0 : null;
}

function interval(ci: Interval): ReportInterval | null {
  const lower = finite(ci.lower);
  const upper = finite(ci.upper);
  return lower === null || upper === null ? null : { lower, upper };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f + 0;
}

/** `name = p` with two significant digits, or `name < 0.0001` below that. */
function pText(name: string, p: number): string {
  return p < 0.0001 ? `${name} < 0.0001` : `${name} = ${Number(p.toPrecision(2))}`;
}

function signed(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return x > 0 ? `+${s}` : s;
}

function percent(share: number): string {
  return `${String(round(share * 100, 1))}%`;
}
