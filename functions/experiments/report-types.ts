/**
 * The shapes shared by the experiment store (D1 aggregates in) and the report (JSON out):
 * what {@link ArmTotals} and {@link DailyTotals} hold, and the {@link ExperimentReport} that
 * `buildReport` makes of them and of an {@link ExperimentDefinition} (./definition.ts).
 * Field by field in spec/experiment-report.md.
 */
import type { ArmModel, ExperimentDefinition } from './definition.js';

/** Σx and Σx² of a sample, enough for its mean and unbiased variance. */
export interface SumSq {
  sum: number;
  sum_sq: number;
}

/** One arm's totals over the whole experiment. */
export interface ArmTotals {
  arm: string;
  /** Distinct visitors of the arm (any event). */
  visitors: number;
  /** Impression events. */
  impressions: number;
  /** Click events. */
  clicks: number;
  /** Visitors with at least one add_to_cart. */
  cart_visitors: number;
  /** Visitors with at least one purchase. */
  buyers: number;
  /** Distinct orders (purchase events). */
  orders: number;
  /** Items per order, over orders. */
  items: SumSq;
  /** Orders with 2 or more items. */
  multi_item_orders: number;
  /** Revenue per visitor over all visitors of the arm (non-buyers add 0 to both sums). */
  revenue: SumSq;
  /** Orders holding an item from a rec_id the visitor clicked or added to cart within the window. */
  attributed_orders: number;
  attributed_revenue: number;
}

/** Cumulative totals per arm up to the end of one UTC day. */
export interface DailyTotals {
  /** YYYY-MM-DD, UTC. */
  day: string;
  arms: { arm: string; visitors: number; buyers: number; revenue: SumSq }[];
}

/** Options of `buildReport`. */
export interface ReportOptions {
  /** Significance level of the tests (default 0.05); intervals are at 1 - alpha. */
  alpha?: number;
  /** mSPRT mixing spread in units of the per-visitor standard deviation (default stats' DEFAULT_MSPRT_TAU). */
  tau?: number;
  /** ISO 8601 time of the report (default: the current time). */
  now?: string;
  /** ISO 4217 code of the revenue figures, when known. */
  currency?: string | null;
}

// ---------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------

/** A two-sided interval. */
export interface ReportInterval {
  lower: number;
  upper: number;
}

/** A rate or mean with its interval; value and ci are null when the denominator is too small. */
export interface Estimate {
  value: number | null;
  ci: ReportInterval | null;
  /** The denominator: impressions, visitors or orders. */
  n: number;
}

/** One arm's numbers. */
export interface ArmReport {
  arm: string;
  /** The slot the arm serves (null: an arm of a model). */
  slot: string | null;
  /** `popularity`, `none`, or (an experiment made before the slots) a model type; null for an arm of a slot. */
  model: ArmModel | null;
  is_control: boolean;
  visitors: number;
  impressions: number;
  clicks: number;
  cart_visitors: number;
  buyers: number;
  orders: number;
  items_total: number;
  multi_item_orders: number;
  revenue_total: number;
  /** clicks / impressions (Wilson interval). */
  ctr: Estimate;
  /** cart_visitors / visitors (Wilson). */
  add_to_cart_rate: Estimate;
  /** buyers / visitors (Wilson). */
  conversion_rate: Estimate;
  /** Mean items per order (t interval). */
  items_per_order: Estimate;
  /** multi_item_orders / orders (Wilson). */
  multi_item_share: Estimate;
  /** Mean revenue per visitor (t interval). */
  revenue_per_visitor: Estimate;
  attributed_orders: number;
  attributed_revenue: number;
  /** attributed_orders / orders (Wilson). */
  attributed_order_share: Estimate;
  /** attributed_revenue / revenue_total, null unless revenue_total > 0. */
  attributed_revenue_share: number | null;
}

/** The rate metrics, compared with a two-proportion z-test. */
export type RateMetric = 'ctr' | 'add_to_cart_rate' | 'conversion_rate' | 'multi_item_share';
/** The mean metrics, compared with Welch's t-test. */
export type MeanMetric = 'revenue_per_visitor' | 'items_per_order';
export type ComparedMetric = RateMetric | MeanMetric;

/** One metric of one treatment arm against the control: treatment - control. */
export interface MetricComparison {
  test: 'two_proportion_z' | 'welch_t';
  control: number | null;
  treatment: number | null;
  diff: number | null;
  /** diff / control, null unless control > 0. */
  relative_lift: number | null;
  /** Interval of diff at 1 - alpha. */
  ci: ReportInterval | null;
  /** z or t; null when not computable or infinite (both samples constant and different). */
  statistic: number | null;
  /** Welch–Satterthwaite degrees of freedom (t-test only). */
  df: number | null;
  p_value: number | null;
  /** p_value < alpha_per_comparison. */
  significant: boolean;
  /** Why the test could not run, else null. */
  note: string | null;
}

/** A treatment arm against the control. */
export interface ArmComparison {
  arm: string;
  control: string;
  metrics: Record<ComparedMetric, MetricComparison>;
}

/** The sample-ratio-mismatch check. */
export interface SrmReport {
  chi2: number | null;
  df: number | null;
  p_value: number | null;
  /** A p-value below this flags a mismatch (0.001). */
  threshold: number;
  mismatch: boolean;
  arms: { arm: string; weight: number; expected_share: number; visitors: number; expected_visitors: number; observed_share: number | null }[];
  verdict: string;
}

/** One daily look of the sequential test. */
export interface SequentialPoint {
  day: string;
  /** Always-valid p-value after this day (non-increasing). */
  p_value: number;
  /** treatment - control of the cumulative metric, null while an arm has no visitors. */
  diff: number | null;
  control_visitors: number;
  treatment_visitors: number;
}

/** The sequential test of one metric. */
export interface SequentialMetric {
  /** The latest always-valid p-value (1 before any data). */
  p_value: number;
  /** treatment - control at the latest day. */
  diff: number | null;
  significant: boolean;
  series: SequentialPoint[];
}

/** The sequential (mSPRT) verdict for one treatment arm. */
export interface SequentialReport {
  arm: string;
  control: string;
  conversion_rate: SequentialMetric;
  revenue_per_visitor: SequentialMetric;
  outcome: 'better' | 'worse' | 'mixed' | 'no_difference_yet' | 'no_data';
  safe_to_stop: boolean;
  verdict: string;
}

/** The yearly revenue projection of one treatment arm. */
export interface ArmProjection {
  arm: string;
  items_per_order_control: number | null;
  items_per_order_treatment: number | null;
  items_per_order_diff: number | null;
  items_per_order_diff_ci: ReportInterval | null;
  yearly_revenue_change: number | null;
  /** The change at the interval's ends. */
  low: number | null;
  high: number | null;
  note: string | null;
}

/** Yearly revenue change if a treatment shipped to every order. */
export interface ProjectionReport {
  orders_per_year: number | null;
  orders_per_year_source: 'definition' | 'estimated' | null;
  orders_per_year_note: string;
  /** Control revenue / control items. */
  average_item_value: number | null;
  currency: string | null;
  arms: ArmProjection[];
}

/** The whole report: JSON-safe (no NaN or Infinity; null where a value is undefined). */
export interface ExperimentReport {
  /** The definition, each arm with its share of the traffic (weight / Σ weights). */
  experiment: Omit<ExperimentDefinition, 'arms'> & { arms: (ExperimentDefinition['arms'][number] & { share: number })[] };
  generated_at: string;
  /** Days in the daily series. */
  days_of_data: number;
  /** Days from started to stopped (or generated_at), null if never started. */
  duration_days: number | null;
  alpha: number;
  /** alpha / number of treatment arms (Bonferroni), the level each comparison is held to. */
  alpha_per_comparison: number;
  /** Level of the per-arm intervals, 1 - alpha. */
  interval_level: number;
  /** Level of the difference intervals, 1 - alpha_per_comparison (agrees with the significant flags). */
  comparison_interval_level: number;
  currency: string | null;
  arms: ArmReport[];
  comparisons: ArmComparison[];
  srm: SrmReport;
  sequential: SequentialReport[];
  projection: ProjectionReport;
}
