/**
 * The experiment report page in Chromium against a local edge (`wrangler dev` over the
 * widget's state: an item-knn model in several slots, keys, the D1 schema). Two experiments
 * are seeded through the public API, as a storefront and its server would: created and
 * started with the secret key, visitors answered by the recommendations endpoint (their
 * exposures), then their impressions, clicks, add-to-carts and purchases posted to the
 * events intake, which the queue consumer writes to D1: one of three arms on the basket
 * surface, made as before the slots (arms of model types), and one of six arms over slots on
 * the similar surface. The page must show what the report JSON holds, draw every chart
 * readably (one colour per arm, every arm's name on its own row when there are many), and
 * log nothing.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArmReport, Estimate, ExperimentReport } from '../../functions/experiments/report-types.js';
import { projectRoot } from '../../scripts/bench-common.js';
import { startLocalEdge, type LocalEdge } from '../../scripts/local-edge.js';
import { prepareWidgetState, type WidgetState } from '../../scripts/widget-fixture.js';
import { launchChromium, skipReason, watchProblems } from './harness.js';

const skip = skipReason();
if (skip) console.warn(`skipping the report page test: ${skip}`);

/** Slots the widget's model is also published into, for the six-arm experiment. */
const EXTRA_SLOTS = ['ease-b', 'ease-c', 'ease-d'];

interface Case {
  title: string;
  surface: 'basket' | 'similar';
  visitors: number;
  arms: ({ name: string; model: string } | { name: string; slot: string })[];
  /** The arm that clicks and buys more (a fixed rule), and the holdout's name. */
  better: string;
  holdout: string;
  screenshot: string;
}

const CASES: Case[] = [
  {
    title: 'Basket: item-knn against popularity',
    surface: 'basket',
    visitors: 90,
    arms: [
      { name: 'control', model: 'popularity' },
      { name: 'treatment', model: 'item-knn' },
      { name: 'holdout', model: 'none' },
    ],
    better: 'treatment',
    holdout: 'holdout',
    screenshot: 'report-page.png',
  },
  {
    title: 'Similar items: six arms over slots',
    surface: 'similar',
    visitors: 180,
    arms: [
      { name: 'ease', slot: 'item-knn' },
      ...EXTRA_SLOTS.map((slot) => ({ name: slot, slot })),
      { name: 'popular', model: 'popularity' },
      { name: 'holdout', model: 'none' },
    ],
    better: 'ease-c',
    holdout: 'holdout',
    screenshot: 'report-page-6-arms.png',
  },
];
const CHARTS = ['chart-conversion', 'chart-items', 'chart-revenue', 'chart-sequential', 'chart-sequential-revenue'];

interface RecAnswer {
  items: { id: string; price: number | null }[];
  variant: string | null;
  experiment: string | null;
  rec_id: string;
}

/** The numbers in a cell as the page writes them ("12.50% [5.00%, 25.00%]", "1,234", "–"). */
function numbersIn(text: string): number[] {
  return [...text.replace(/,(?=\d{3})/g, '').matchAll(/[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g)].map((m) => Number(m[0]));
}

describe.skipIf(skip !== null)('the experiment report page in Chromium', () => {
  let work: string;
  let fx: WidgetState;
  let edge: LocalEdge;
  let browser: Browser;
  const experiments = new Map<Case, string>();

  async function api<T>(path: string, key: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(`${edge.url}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  /** Creates and starts the case's experiment, sends its visitors and their events, and waits until the report counts them all. */
  async function seed(c: Case): Promise<string> {
    const base = `/v1/sellers/${fx.seller}`;
    const created = await api<{ experiment: { id: string } }>(`${base}/experiments`, fx.secretKey, {
      method: 'POST',
      body: JSON.stringify({ name: c.title, surface: c.surface, arms: c.arms, control: c.arms[0].name, orders_per_year: 50_000 }),
    });
    const experiment = created.experiment.id;
    await api(`${base}/experiments/${experiment}/start`, fx.secretKey, { method: 'POST' });
    const sent = { visitors: 0, orders: 0 };

    // Each visitor gets recommendations (the edge records the exposure), then acts on them by a fixed rule.
    const events: Record<string, unknown>[] = [];
    for (let v = 0; v < c.visitors; v++) {
      const visitor = `report-visitor-${c.surface}-${v}`;
      const cart = fx.items[(v * 7) % fx.items.length];
      const query = c.surface === 'basket' ? `items=${cart}` : `item=${cart}`;
      const rec = await api<RecAnswer>(`${base}/recommendations/${c.surface}?${query}&n=4&visitor=${visitor}`, fx.publishableKey);
      expect(rec.experiment).toBe(experiment);
      const event = (type: string, extra: Record<string, unknown>) =>
        events.push({ event_id: crypto.randomUUID(), type, visitor_id: visitor, surface: c.surface, ts: Date.now(), ...extra });
      const tag = { rec_id: rec.rec_id, experiment_id: experiment, variant: rec.variant };
      const order = [cart];
      let value = 10 + (v % 5);
      if (rec.items.length > 0) {
        event('impression', { ...tag, item_ids: rec.items.map((i) => i.id) });
        if (v % 3 === 0 || (rec.variant === c.better && v % 3 === 1)) {
          event('click', { ...tag, item_ids: [rec.items[0].id] });
          if (v % 2 === 0) {
            event('add_to_cart', { ...tag, item_ids: [rec.items[0].id] });
            order.push(rec.items[0].id);
            value += rec.items[0].price ?? 5;
          }
        }
      }
      if (v % 4 === 0 || (rec.variant === c.better && v % 4 === 1) || (rec.variant === c.holdout && v % 8 === 2)) {
        event('purchase', { order_id: `${visitor}-order`, item_ids: order, value: Math.round(value * 100) / 100, currency: 'EUR' });
        sent.orders++;
      }
      sent.visitors++;
    }
    for (let i = 0; i < events.length; i += 50) {
      await api(`${base}/events`, fx.secretKey, { method: 'POST', body: JSON.stringify({ events: events.slice(i, i + 50) }) });
    }
    // The queue consumer writes in batches: wait until the report counts everything sent.
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await api<ExperimentReport>(`${base}/experiments/${experiment}/report`, fx.secretKey);
      const total = (k: 'visitors' | 'orders') => r.arms.reduce((s, a) => s + a[k], 0);
      if (total('visitors') === sent.visitors && total('orders') === sent.orders) break;
      if (Date.now() > until)
        throw new Error(`the report counts ${total('visitors')} visitors and ${total('orders')} orders of ${sent.visitors} and ${sent.orders} sent`);
      await new Promise((ok) => setTimeout(ok, 500));
    }
    return experiment;
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'plusone-report-page-'));
    fx = await prepareWidgetState(work, 'report-shop', EXTRA_SLOTS);
    // MEMO_SECONDS 0: the second experiment's start is seen by the next answer, not 5 s later.
    [edge, browser] = await Promise.all([startLocalEdge({ state: fx.state, vars: { MEMO_SECONDS: '0' } }), launchChromium()]);
    for (const c of CASES) experiments.set(c, await seed(c));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it.each(CASES)(
    "$arms.length arms: shows every arm's numbers from the report JSON, draws every chart readably, and logs nothing (screenshot in test-artifacts/)",
    async (c) => {
      const experiment = experiments.get(c)!;
      const VISITORS = c.visitors;
      const ARMS = c.arms;
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
      const page = await context.newPage();
      const problems = await watchProblems(page);
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.url()}: ${r.status()}`);
      });
      const reportAnswer = page.waitForResponse((r) => r.url().endsWith(`/experiments/${experiment}/report`));
      const chartJs = page.waitForResponse((r) => r.url().includes('/admin/assets/chart.umd.min.js'));
      await page.goto(`${edge.url}/admin/experiments/${experiment}?seller=${fx.seller}#key=${fx.secretKey}`);

      // What the page was given: the report JSON, fetched by the page itself with the key.
      const answer = await reportAnswer;
      expect(answer.status()).toBe(200);
      expect(answer.request().headers().authorization).toBe(`Bearer ${fx.secretKey}`);
      const r = (await answer.json()) as ExperimentReport;
      expect((await chartJs).status()).toBe(200);
      await expect.poll(() => page.locator('#report').isVisible(), { timeout: 10_000 }).toBe(true);
      // The key left the address bar for this tab's storage.
      expect(page.url()).not.toContain('key=');
      expect(await page.evaluate(`sessionStorage.getItem('plusone.secretKey.${fx.seller}')`)).toBe(fx.secretKey);

      expect(r.arms.map((a) => a.arm)).toEqual(ARMS.map((a) => a.name));
      expect(r.arms.reduce((s, a) => s + a.visitors, 0)).toBe(VISITORS);
      for (const a of r.arms) expect(a.visitors, `arm ${a.arm} has visitors`).toBeGreaterThan(5);
      expect(await page.locator('#heading').textContent()).toBe(`Experiment ${experiment} (seller ${fx.seller})`);
      expect(await page.locator('#title').textContent()).toBe(c.title);
      expect(await page.locator('#status').textContent()).toBe('');
      expect(await page.locator('#srm').textContent()).toBe(r.srm.verdict);
      expect(await page.locator('#verdicts li').allTextContents()).toEqual(r.sequential.map((s) => s.verdict));

      // The arms table: one row per arm, every figure as the report holds it (to the digits shown).
      const header = await page.locator('#arms tr').first().locator('th').allTextContents();
      expect(header).toEqual([
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
      ]);
      const rows = await page
        .locator('#arms tr')
        .evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      expect(rows).toHaveLength(r.arms.length);
      const close = (shown: number[], expected: (number | null)[], tolerance: number, what: string) => {
        expect(shown.length, `${what}: ${shown.join(' ')}`).toBe(expected.length);
        shown.forEach((x, k) => expect(Math.abs(x - expected[k]!), `${what}: shown ${x}, report ${expected[k]}`).toBeLessThanOrEqual(tolerance));
      };
      const estimate = (cell: string, e: Estimate, scale: number, tolerance: number, what: string) => {
        if (e.value === null) return expect(cell, what).toBe('–');
        close(numbersIn(cell), e.ci ? [e.value * scale, e.ci.lower * scale, e.ci.upper * scale] : [e.value * scale], tolerance, what);
      };
      r.arms.forEach((a, k) => {
        const cells = rows[k];
        const what = (column: string) => `arm ${a.arm}, ${column}`;
        expect(cells[0]).toBe(a.arm + (a.is_control ? ' (control)' : ''));
        expect(cells[1]).toBe(a.slot !== null ? `slot ${a.slot}` : a.model);
        const defined = ARMS.find((x) => x.name === a.arm)!;
        expect([a.slot, a.model]).toEqual('slot' in defined ? [defined.slot, null] : [null, defined.model]);
        for (const [column, value] of [
          [2, a.visitors],
          [3, a.impressions],
          [7, a.orders],
          [11, a.attributed_orders],
        ] as const) {
          expect(numbersIn(cells[column]), what(header[column])).toEqual([value]);
        }
        estimate(cells[4], a.ctr, 100, 0.00501, what('CTR'));
        estimate(cells[5], a.add_to_cart_rate, 100, 0.00501, what('add-to-cart'));
        estimate(cells[6], a.conversion_rate, 100, 0.00501, what('conversion'));
        estimate(cells[8], a.items_per_order, 1, 0.000501, what('items per order'));
        estimate(cells[9], a.multi_item_share, 100, 0.00501, what('2+ items'));
        estimate(cells[10], a.revenue_per_visitor, 1, 0.00501, what('revenue per visitor'));
        close(numbersIn(cells[12]), [a.attributed_revenue], 0.00501, what('attributed revenue'));
      });
      // The holdout shows nothing, so it has no impressions and no CTR.
      expect(rows[r.arms.findIndex((a) => a.arm === c.holdout)][4]).toBe('–');

      // Against the control: six metrics per treatment arm, control and treatment values as reported.
      const comparisons = await page
        .locator('#comparisons tr')
        .evaluateAll((trs) => trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      expect(comparisons).toHaveLength(r.comparisons.length * 6);
      for (const c of r.comparisons) {
        const conversion = comparisons.find((row) => row[0] === `${c.arm} vs ${c.control}` && row[1] === 'Conversion rate')!;
        close(
          [...numbersIn(conversion[2]), ...numbersIn(conversion[3])],
          [c.metrics.conversion_rate.control! * 100, c.metrics.conversion_rate.treatment! * 100],
          0.00501,
          `${c.arm} conversion`,
        );
        expect(conversion[7]).toBe(c.metrics.conversion_rate.note ?? (c.metrics.conversion_rate.significant ? 'yes' : 'no'));
      }
      expect(await page.locator('#projection tr td:first-child').allTextContents()).toEqual(r.projection.arms.map((a) => a.arm));

      // Every chart exists as a Chart.js instance with the report's data, and has drawn something.
      expect(await page.locator('#charts-note').textContent()).toBe('');
      const charts = (await page.evaluate(`${JSON.stringify(CHARTS)}.map((id) => {
      const chart = Chart.getChart(id);
      const canvas = document.getElementById(id);
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
      return { id, type: chart ? chart.config.type : null,
        datasets: chart ? chart.data.datasets.map((d) => ({ label: d.label, data: d.data, color: d.borderColor })) : [],
        labels: chart ? chart.data.labels : [], painted, area: canvas.width * canvas.height,
        indexAxis: chart ? chart.options.indexAxis : null, cssHeight: canvas.getBoundingClientRect().height,
        ticks: chart ? chart.scales[chart.options.indexAxis === 'y' ? 'y' : 'x'].ticks.map((t) => t.label) : [] };
    })`)) as {
        id: string;
        type: string | null;
        datasets: { label: string; data: unknown[]; color: unknown }[];
        labels: string[];
        painted: number;
        area: number;
        indexAxis: string | null;
        cssHeight: number;
        ticks: unknown[];
      }[];
      for (const c of charts) {
        expect(c.type, `${c.id} is a chart`).not.toBeNull();
        expect(c.area, `${c.id} has a size`).toBeGreaterThan(10_000);
        expect(c.painted / c.area, `${c.id} is not blank`).toBeGreaterThan(0.01);
      }
      // The interval charts: a floating bar per arm (the interval) and a point (the estimate), on the page's scale.
      const intervalCharts: [string, (a: ArmReport) => Estimate, number][] = [
        ['chart-conversion', (a) => a.conversion_rate, 100],
        ['chart-items', (a) => a.items_per_order, 1],
        ['chart-revenue', (a) => a.revenue_per_visitor, 1],
      ];
      const many = r.arms.length > 4;
      for (const [id, pick, scale] of intervalCharts) {
        const chart = charts.find((x) => x.id === id)!;
        expect(chart.labels).toEqual(r.arms.map((a) => a.arm));
        expect(chart.datasets.map((d) => d.label)).toEqual(['interval', 'estimate']);
        expect(chart.datasets[0].data).toEqual(
          r.arms.map((a) => pick(a).ci).map((ci) => (ci === null ? null : [expect.closeTo(ci.lower * scale, 9), expect.closeTo(ci.upper * scale, 9)])),
        );
        expect(chart.datasets[1].data).toEqual(r.arms.map((a) => pick(a).value).map((v) => (v === null ? null : expect.closeTo(v * scale, 9))));
        // Readable: one colour per arm, every arm's name written on the category axis; many arms lie on their side, a row each.
        const colors = chart.datasets[0].color as string[];
        expect(new Set(colors).size, `${id}: a colour per arm`).toBe(r.arms.length);
        expect(chart.ticks, `${id}: every arm named`).toEqual(r.arms.map((a) => a.arm));
        expect(chart.indexAxis).toBe(many ? 'y' : 'x');
        if (many) expect(chart.cssHeight / r.arms.length, `${id}: room per arm`).toBeGreaterThanOrEqual(30);
      }
      const armColors = charts.find((x) => x.id === 'chart-conversion')!.datasets[1].color as string[];
      for (const [id, metric] of [
        ['chart-sequential', 'conversion'],
        ['chart-sequential-revenue', 'revenue per visitor'],
      ] as const) {
        const sequential = charts.find((x) => x.id === id)!;
        expect(sequential.type).toBe('line');
        expect(sequential.labels).toEqual(r.sequential[0].conversion_rate.series.map((p) => p.day));
        expect(sequential.datasets.map((d) => d.label)).toEqual([...r.sequential.map((s) => `${s.arm}: ${metric}`), `α = ${r.alpha_per_comparison}`]);
        // A treatment's line has its arm's colour in the interval charts.
        r.sequential.forEach((s, k) => expect(sequential.datasets[k].color, `${id} ${s.arm}`).toBe(armColors[r.arms.findIndex((a) => a.arm === s.arm)]));
      }

      const dir = join(projectRoot(), 'test-artifacts');
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, c.screenshot), fullPage: true });
      expect(problems.console).toEqual([]);
      expect(problems.network).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
      expect(await problems.inPage()).toEqual([]);
      expect(failed).toEqual([]);
      await context.close();
    },
    60_000,
  );
});
