/**
 * The experiment report as a view: the tables and Chart.js charts of an experiment report
 * (spec/experiment-report.md), rendered into the report section that
 * functions/admin/report-markup.ts writes (its element ids). One design, two pages: the
 * standalone report page (report-page.ts, GET /admin/experiments/:id) and the console's
 * experiments page (web/console/) both render with it. Every value goes in through
 * textContent (never as HTML). Chart.js comes from its own cached asset (CHART_JS_PATH) as the
 * global `Chart`; without it the tables still show.
 */
import type { Chart as ChartJs, ChartConfiguration, ChartDataset, TooltipItem } from 'chart.js';
import { CHART_JS_PATH } from '../../functions/admin/chart-path.js';
import type { ComparedMetric, Estimate, ExperimentReport, ReportInterval } from '../../functions/experiments/report-types.js';

declare global {
  /** Chart.js's UMD build defines it; undefined when that script did not load. */
  var Chart: typeof ChartJs | undefined;
}

type ChartClass = typeof ChartJs;
type Cell = string | number | Node;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
let charts: { destroy(): void }[] = [];
/** One colour per arm, in arm order (an experiment has at most 10 arms): the same arm has the same colour in every chart. */
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
/** Above this many arms the interval charts lie on their side, one full-width row per chart, so every arm's name reads whole. */
const UPRIGHT_ARMS = 4;
/** Height of one arm's row in a horizontal interval chart, px. */
const ROW_PX = 34;

function el(tag: string, text?: string | number | null, className?: string): HTMLElement {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}
function table(target: string, headers: string[], rows: Cell[][]): void {
  const t = $(target);
  t.replaceChildren();
  const head = el('tr');
  headers.forEach((h) => head.appendChild(el('th', h)));
  t.appendChild(head);
  rows.forEach((cells) => {
    const tr = el('tr');
    cells.forEach((cell) => {
      if (cell instanceof Node) {
        const td = el('td');
        td.appendChild(cell);
        tr.appendChild(td);
      } else tr.appendChild(el('td', cell, typeof cell === 'number' ? 'num' : ''));
    });
    t.appendChild(tr);
  });
}

// ---- formatting ----
function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function fixed(v: number | null, digits?: number): string {
  return isNum(v) ? v.toFixed(digits) : '–';
}
function pct(v: number | null): string {
  return isNum(v) ? (v * 100).toFixed(2) + '%' : '–';
}
function signedPct(v: number | null): string {
  return isNum(v) ? (v > 0 ? '+' : '') + (v * 100).toFixed(2) + ' pp' : '–';
}
function level(v: number | null): string {
  return isNum(v) ? Number((v * 100).toPrecision(4)) + '%' : '–';
}
function pValue(p: number | null): string {
  return isNum(p) ? (p < 0.0001 ? '< 0.0001' : String(Number(p.toPrecision(2)))) : '–';
}
let moneyFormat: Intl.NumberFormat | null = null;
function money(v: number | null): string {
  if (!isNum(v)) return '–';
  if (moneyFormat) return moneyFormat.format(v);
  return v.toLocaleString(undefined, { maximumFractionDigits: 2 });
}
function interval(est: Estimate, format: (v: number) => string): string {
  if (!est || !isNum(est.value)) return '–';
  let text = format(est.value);
  if (est.ci) text += ' [' + format(est.ci.lower) + ', ' + format(est.ci.upper) + ']';
  return text;
}
function count(v: number | null): string {
  return isNum(v) ? v.toLocaleString() : '–';
}

interface MetricRow {
  key: ComparedMetric;
  label: string;
  rate: boolean;
  digits?: number;
  money?: boolean;
}
const METRICS: MetricRow[] = [
  { key: 'conversion_rate', label: 'Conversion rate', rate: true },
  { key: 'add_to_cart_rate', label: 'Add-to-cart rate', rate: true },
  { key: 'ctr', label: 'CTR', rate: true },
  { key: 'multi_item_share', label: 'Orders with 2+ items', rate: true },
  { key: 'items_per_order', label: 'Items per order', rate: false, digits: 3 },
  { key: 'revenue_per_visitor', label: 'Revenue per visitor', rate: false, money: true },
];
function metricValue(m: MetricRow, v: number | null): string {
  return m.rate ? pct(v) : m.money ? money(v) : fixed(v, m.digits);
}
function metricDiff(m: MetricRow, v: number | null): string {
  if (m.rate) return signedPct(v);
  if (!isNum(v)) return '–';
  return (v > 0 ? '+' : '') + (m.money ? money(v) : v.toFixed(m.digits));
}

// ---- rendering ----
/** Renders a report into the report section (and shows it). */
export function renderReport(r: ExperimentReport): void {
  moneyFormat = null;
  if (r.currency) {
    try {
      moneyFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: r.currency });
    } catch {
      moneyFormat = null;
    }
  }
  const x = r.experiment;
  $('title').textContent = x.name || x.id;
  $('meta').textContent =
    'Experiment ' +
    x.id +
    ' of seller ' +
    x.seller +
    ' on the ' +
    x.surface +
    ' surface; ' +
    x.status +
    (x.started ? ', started ' + x.started : ', not started') +
    (x.stopped ? ', stopped ' + x.stopped : '') +
    '. ' +
    r.days_of_data +
    ' days of data' +
    (isNum(r.duration_days) ? ' over ' + r.duration_days.toFixed(1) + ' days' : '') +
    '. Generated ' +
    r.generated_at +
    '. Intervals at ' +
    level(r.interval_level) +
    ' per arm, ' +
    level(r.comparison_interval_level) +
    ' for differences; each comparison tested at α = ' +
    r.alpha_per_comparison +
    (r.comparisons.length > 1 ? ' (' + r.alpha + ' split over ' + r.comparisons.length + ' treatments)' : '') +
    '.';

  const verdicts = $('verdicts');
  verdicts.replaceChildren();
  r.sequential.forEach((s) => verdicts.appendChild(el('li', s.verdict, s.safe_to_stop ? 'ok' : '')));

  const srm = $('srm');
  srm.textContent = r.srm.verdict;
  srm.className = r.srm.mismatch ? 'error' : 'ok';

  table(
    'arms',
    [
      'Arm',
      'Serves',
      'Visitors',
      'Impressions',
      'CTR',
      'Add-to-cart',
      'Conversion',
      'Orders',
      'Items per order',
      '2+ items',
      'Revenue per visitor',
      'Attributed orders',
      'Attributed revenue',
    ],
    r.arms.map((a) => [
      a.arm + (a.is_control ? ' (control)' : ''),
      a.slot !== null ? 'slot ' + a.slot : (a.model ?? '–'),
      count(a.visitors),
      count(a.impressions),
      interval(a.ctr, pct),
      interval(a.add_to_cart_rate, pct),
      interval(a.conversion_rate, pct),
      count(a.orders),
      interval(a.items_per_order, (v) => fixed(v, 3)),
      interval(a.multi_item_share, pct),
      interval(a.revenue_per_visitor, money),
      count(a.attributed_orders),
      money(a.attributed_revenue),
    ]),
  );

  const rows: Cell[][] = [];
  r.comparisons.forEach((c) => {
    METRICS.forEach((m) => {
      const t = c.metrics[m.key];
      let diff = metricDiff(m, t.diff);
      if (t.ci) diff += ' [' + metricDiff(m, t.ci.lower) + ', ' + metricDiff(m, t.ci.upper) + ']';
      const verdict = t.note ? el('small', t.note) : el('span', t.significant ? 'yes' : 'no', t.significant ? 'yes' : '');
      rows.push([
        c.arm + ' vs ' + c.control,
        m.label,
        metricValue(m, t.control),
        metricValue(m, t.treatment),
        diff,
        isNum(t.relative_lift) ? (t.relative_lift > 0 ? '+' : '') + (t.relative_lift * 100).toFixed(1) + '%' : '–',
        pValue(t.p_value),
        verdict,
      ]);
    });
  });
  table('comparisons', ['Comparison', 'Metric', 'Control', 'Treatment', 'Difference [interval]', 'Lift', 'p-value', 'Significant'], rows);

  const pr = r.projection;
  $('projection-note').textContent =
    'Orders per year: ' +
    (isNum(pr.orders_per_year) ? Math.round(pr.orders_per_year).toLocaleString() : 'unknown') +
    ' (' +
    pr.orders_per_year_note +
    '). Average item value (control revenue / control items): ' +
    money(pr.average_item_value) +
    '.';
  table(
    'projection',
    ['Arm', 'Items per order (control → arm)', 'Yearly revenue change', 'Low', 'High', 'Note'],
    pr.arms.map((a) => [
      a.arm,
      fixed(a.items_per_order_control, 3) + ' → ' + fixed(a.items_per_order_treatment, 3),
      money(a.yearly_revenue_change),
      money(a.low),
      money(a.high),
      a.note || '',
    ]),
  );

  $('report').hidden = false;
  drawCharts(r);
}

function drawCharts(r: ExperimentReport): void {
  charts.forEach((c) => c.destroy());
  charts = [];
  const chart = typeof Chart === 'function' ? Chart : null;
  if (chart === null) {
    $('charts-note').textContent = 'Charts are unavailable: ' + CHART_JS_PATH + ' did not load.';
    return;
  }
  $('charts-note').textContent = '';
  const names = r.arms.map((a) => a.arm);
  const colors = names.map((_, i) => COLORS[i % COLORS.length]);
  // Many arms: horizontal bars, a full row each, as tall as the arms need.
  const sideways = names.length > UPRIGHT_ARMS;
  $('charts').className = sideways ? 'charts sideways' : 'charts';
  for (const id of ['chart-conversion', 'chart-items', 'chart-revenue']) {
    $(id).parentElement!.style.height = sideways ? Math.max(288, 80 + ROW_PX * names.length) + 'px' : '';
  }
  const interval = (id: string, title: string, pick: (a: ExperimentReport['arms'][number]) => Estimate, scale: number, unit: string) =>
    intervalChart(chart, id, title, names, r.arms.map(pick), scale, unit, colors, sideways);
  charts.push(interval('chart-conversion', 'Conversion rate (' + level(r.interval_level) + ' interval)', (a) => a.conversion_rate, 100, '%'));
  charts.push(interval('chart-items', 'Items per order', (a) => a.items_per_order, 1, ''));
  charts.push(interval('chart-revenue', 'Revenue per visitor' + (r.currency ? ' (' + r.currency + ')' : ''), (a) => a.revenue_per_visitor, 1, ''));
  // One chart per metric: one line per treatment, in its arm's colour.
  const color = (arm: string) => colors[names.indexOf(arm)] ?? COLORS[0];
  charts.push(sequentialChart(chart, r, 'chart-sequential', 'conversion', color));
  charts.push(sequentialChart(chart, r, 'chart-sequential-revenue', 'revenue per visitor', color));
}

/** A floating bar per arm (the interval) with a point on it (the estimate), each arm in its colour; lying on its side for many arms. */
function intervalChart(
  chart: ChartClass,
  id: string,
  title: string,
  names: string[],
  estimates: Estimate[],
  scale: number,
  unit: string,
  colors: string[],
  sideways: boolean,
) {
  const v = (x: number | null): number | null => (isNum(x) ? x * scale : null);
  // A floating bar needs both ends; the report's intervals always have them (it holds no NaN or Infinity).
  const span = (ci: ReportInterval): [number, number] | null => {
    const lower = v(ci.lower);
    const upper = v(ci.upper);
    return lower !== null && upper !== null ? [lower, upper] : null;
  };
  const valueAxis = { beginAtZero: true, ticks: { callback: (t: number | string) => Number(Number(t).toPrecision(4)) + unit } };
  const config: ChartConfiguration<'bar' | 'line', (number | [number, number] | null)[], string> = {
    type: 'bar',
    data: {
      labels: names,
      datasets: [
        {
          type: 'bar',
          label: 'interval',
          data: estimates.map((e) => (e.ci ? span(e.ci) : null)),
          backgroundColor: colors.map((c) => c + '40'),
          borderColor: colors,
          borderWidth: 1,
          barPercentage: sideways ? 0.6 : 0.35,
        },
        {
          type: 'line',
          label: 'estimate',
          data: estimates.map((e) => v(e.value)),
          showLine: false,
          pointRadius: 6,
          pointStyle: 'rectRot',
          backgroundColor: colors,
          borderColor: colors,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: sideways ? 'y' : 'x',
      plugins: { title: { display: true, text: title }, legend: { display: false } },
      scales: sideways ? { x: valueAxis, y: { ticks: { autoSkip: false } } } : { y: valueAxis, x: { ticks: { autoSkip: false } } },
    },
  };
  return new chart($<HTMLCanvasElement>(id), config);
}

/** The always-valid p-values per day of one metric, one line per treatment arm, log scale, with the α line. */
function sequentialChart(chart: ChartClass, r: ExperimentReport, id: string, metric: 'conversion' | 'revenue per visitor', color: (arm: string) => string) {
  const days = r.sequential.length ? r.sequential[0].conversion_rate.series.map((p) => p.day) : [];
  const datasets: ChartDataset<'line', number[]>[] = [];
  const floor = 1e-12;
  const series = (s: ExperimentReport['sequential'][number]) => (metric === 'conversion' ? s.conversion_rate.series : s.revenue_per_visitor.series);
  // The axis reaches one decade below the smallest of α and every p-value, so the α line always shows.
  let lowest = r.alpha_per_comparison;
  r.sequential.forEach((s) => {
    series(s).forEach((p) => {
      lowest = Math.min(lowest, Math.max(floor, p.p_value));
    });
  });
  const axisMin = 10 ** (Math.floor(Math.log10(lowest)) - 1);
  r.sequential.forEach((s) => {
    datasets.push({
      label: s.arm + ': ' + metric,
      data: series(s).map((p) => Math.max(floor, p.p_value)),
      borderColor: color(s.arm),
      backgroundColor: color(s.arm),
      tension: 0,
      pointRadius: 2,
    });
  });
  datasets.push({
    label: 'α = ' + r.alpha_per_comparison,
    data: days.map(() => r.alpha_per_comparison),
    borderColor: '#a00',
    backgroundColor: '#a00',
    borderDash: [2, 2],
    pointRadius: 0,
    borderWidth: 1,
  });
  const logTick = (value: number | string): string => {
    const v = Number(value);
    const l = Math.log10(v);
    return Math.abs(l - Math.round(l)) < 1e-9 ? (v >= 0.001 ? String(v) : '1e' + Math.round(l)) : '';
  };
  const config: ChartConfiguration<'line', number[], string> = {
    type: 'line',
    data: { labels: days, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        title: { display: true, text: 'Always-valid p-value (mSPRT) of ' + metric + ' by day, log scale: safe to stop once a line is under α' },
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            label: (ctx: TooltipItem<'line'>) =>
              ctx.dataset.label + ': p = ' + (ctx.parsed.y === null || ctx.parsed.y <= floor ? '< ' + floor : pValue(ctx.parsed.y)),
          },
        },
      },
      scales: { y: { type: 'logarithmic', min: axisMin, max: 1, title: { display: true, text: 'p-value' }, ticks: { callback: logTick } } },
    },
  };
  return new chart($<HTMLCanvasElement>(id), config);
}

/** Hides the report section and frees its charts. */
export function clearReport(): void {
  $('report').hidden = true;
  charts.forEach((c) => c.destroy());
  charts = [];
}
