/**
 * Overview: the last 30 days of the seller's events (GET …/stats?days=30): what the
 * recommendations were shown and did, the orders and how many came from a recommendation,
 * items per order and the share of 2+ item orders, a chart per day, and the headline of each
 * running experiment (GET …/experiments, …/report).
 */
import type { ChartConfiguration } from 'chart.js';
import type { ExperimentReport } from '../../../functions/experiments/report-types.js';
import { append, el, formatCount, formatFixed, formatMoney, formatPct, formatTime, table } from '../dom.js';
import type { PageContext } from '../page.js';
import type { ExperimentDefinition, SellerStats } from '../types.js';

const DAYS = 30;
let charts: { destroy(): void }[] = [];

function figure(name: string, label: string, value: string, note?: string): HTMLElement {
  return el('div', {}, el('dt', {}, label), el('dd', { 'data-figure': name }, el('span', { className: 'value' }, value), note ? el('small', {}, note) : null));
}

function lineChart(canvas: HTMLCanvasElement, title: string, labels: string[], series: { label: string; data: number[]; color: string; axis?: string }[]) {
  if (typeof Chart !== 'function') return null;
  const config: ChartConfiguration<'line', number[], string> = {
    type: 'line',
    data: {
      labels,
      datasets: series.map((s) => ({
        label: s.label,
        data: s.data,
        borderColor: s.color,
        backgroundColor: s.color,
        tension: 0,
        pointRadius: 2,
        yAxisID: s.axis ?? 'y',
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        ...(series.some((s) => s.axis === 'y2') ? { y2: { beginAtZero: true, position: 'right' as const, grid: { drawOnChartArea: false } } } : {}),
      },
    },
  };
  return new Chart(canvas, config);
}

/**
 * One line about a running experiment: its verdict so far and the projected yearly change of
 * its best arm, once the projection stands on something (the seller's own yearly orders, or a
 * day of the experiment: a few minutes of orders × 365 says nothing).
 */
function headline(r: ExperimentReport): HTMLElement {
  const x = r.experiment;
  const visitors = r.arms.reduce((s, a) => s + a.visitors, 0);
  const verdicts = r.sequential.map((s) => s.verdict.replace(/([^.])$/, '$1.'));
  const grounded = r.projection.orders_per_year_source === 'definition' || (r.duration_days ?? 0) >= 1;
  const best = r.projection.arms
    .filter((a) => a.yearly_revenue_change !== null)
    .sort((a, b) => (b.yearly_revenue_change ?? 0) - (a.yearly_revenue_change ?? 0))[0];
  return el(
    'li',
    { 'data-experiment': x.id },
    el('a', { href: `#experiments/${x.id}` }, x.name || x.id),
    ` on the ${x.surface} surface, running since ${formatTime(x.started)}, ${formatCount(visitors)} visitors over ${r.arms.length} arms. `,
    el('span', { className: 'verdict' }, verdicts.join(' ') || 'No treatment arm to compare.'),
    best && grounded
      ? ` Projected yearly revenue change of ${best.arm} from items per order: ${formatMoney(best.yearly_revenue_change, r.projection.currency ?? r.currency)}.`
      : ' A revenue projection shows once it has run a day (or with the orders per year set in the experiment).',
  );
}

export async function renderOverview(ctx: PageContext): Promise<void> {
  charts.forEach((c) => c.destroy());
  charts = [];
  ctx.status('Loading the last 30 days…');
  const [stats, experiments] = await Promise.all([
    ctx.api.get<SellerStats>(`/stats?days=${DAYS}`),
    ctx.api.get<{ experiments: ExperimentDefinition[] }>('/experiments'),
  ]);
  if (!ctx.current()) return;
  const t = stats.totals;
  const currency = stats.currencies.length === 1 ? stats.currencies[0] : null;
  ctx.body.replaceChildren(
    el(
      'p',
      { className: 'help', id: 'overview-window' },
      `${formatTime(stats.from).slice(0, 10)} to ${formatTime(stats.to)}: the last ${stats.days} days of events. Orders are attributed to a recommendation when they hold an item the buyer clicked or added to cart from one within ${stats.attribution_window_hours} hours before.`,
      stats.currencies.length > 1 ? ` Purchases name several currencies (${stats.currencies.join(', ')}); revenue adds their values as they are.` : '',
    ),
    el(
      'dl',
      { className: 'figures', 'aria-label': `Figures of the last ${stats.days} days` },
      figure('impressions', 'Recommendation impressions', formatCount(t.impressions)),
      figure('clicks', 'Clicks', formatCount(t.clicks), `CTR ${formatPct(t.ctr, 2)}`),
      figure('add_to_carts', 'Add-to-carts', formatCount(t.add_to_carts)),
      figure('orders', 'Orders', formatCount(t.orders)),
      figure('attributed_orders', 'Attributed orders', formatCount(t.attributed_orders), `${formatPct(t.attributed_share)} of orders`),
      figure('attributed_revenue', 'Attributed revenue', formatMoney(t.attributed_revenue, currency), `of ${formatMoney(t.revenue, currency)} revenue`),
      figure('items_per_order', 'Items per order', formatFixed(t.items_per_order, 2)),
      figure('multi_item_share', 'Orders with 2+ items', formatPct(t.multi_item_share)),
    ),
  );
  if (t.impressions === 0 && t.orders === 0)
    append(ctx.body, el('p', { className: 'warn' }, 'No events in these days yet: install the widget (Install page) and send purchases to the events API.'));

  // Over time: what recommendations did, and the orders.
  const labels = stats.daily.map((d) => d.day);
  const activity = el('canvas', { id: 'overview-chart-activity', role: 'img', 'aria-label': 'Recommendation impressions, clicks and add-to-carts per day' });
  const orders = el('canvas', { id: 'overview-chart-orders', role: 'img', 'aria-label': 'Orders, attributed orders and items per order per day' });
  append(
    ctx.body,
    el('h2', {}, 'Per day'),
    typeof Chart === 'function' ? null : el('p', { className: 'warn' }, 'Charts are unavailable (Chart.js did not load); the table below has every figure.'),
    el('div', { className: 'two' }, el('div', { className: 'chart-box' }, activity), el('div', { className: 'chart-box' }, orders)),
    el(
      'details',
      {},
      el('summary', {}, 'The figures per day, as a table'),
      table(
        ['Day', 'Impressions', 'Clicks', 'Add-to-carts', 'Orders', 'Attributed orders', 'Items per order', 'Revenue'],
        stats.daily.map((d) => [
          d.day,
          d.impressions,
          d.clicks,
          d.add_to_carts,
          d.orders,
          d.attributed_orders,
          d.orders > 0 ? formatFixed(d.items / d.orders) : '–',
          formatMoney(d.revenue, currency),
        ]),
        { id: 'overview-daily' },
      ),
    ),
  );
  for (const c of [
    lineChart(activity, 'Recommendations', labels, [
      { label: 'Impressions', data: stats.daily.map((d) => d.impressions), color: '#0550ae' },
      { label: 'Clicks', data: stats.daily.map((d) => d.clicks), color: '#b42318' },
      { label: 'Add-to-carts', data: stats.daily.map((d) => d.add_to_carts), color: '#116329' },
    ]),
    lineChart(orders, 'Orders', labels, [
      { label: 'Orders', data: stats.daily.map((d) => d.orders), color: '#0550ae' },
      { label: 'Attributed orders', data: stats.daily.map((d) => d.attributed_orders), color: '#116329' },
      { label: 'Items per order', data: stats.daily.map((d) => (d.orders > 0 ? d.items / d.orders : 0)), color: '#8250df', axis: 'y2' },
    ]),
  ])
    if (c !== null) charts.push(c);

  // The running experiments' headlines.
  const running = experiments.experiments.filter((x) => x.status === 'running');
  const list = el('ul', { id: 'overview-experiments' });
  append(ctx.body, el('h2', {}, 'Running experiments'), list);
  if (running.length === 0) {
    append(list, el('li', {}, 'None is running. ', el('a', { href: '#experiments' }, 'Create and start one'), ' to compare models on a surface.'));
  } else {
    const reports = await Promise.all(running.map((x) => ctx.api.get<ExperimentReport>(`/experiments/${encodeURIComponent(x.id)}/report`)));
    if (!ctx.current()) return;
    for (const r of reports) append(list, headline(r));
  }
  ctx.status('');
}
