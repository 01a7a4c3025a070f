/**
 * Benchmark: what an experiment report costs, and whether it slows another seller down
 * (issue 17). On a fresh local state, `wrangler dev` over it; seller A runs an experiment on the
 * basket surface, and through the public API (a publishable key) one visitor sends the
 * issue's case: `--clicks` clicks from recommendations and `--purchases` purchases of `--items`
 * items each (the clicked items are not the bought ones, so a join of clicks and purchases
 * compares every pair in full: the case that made the report quadratic); `--visitors` other visitors are exposed and
 * send about `--events` events in all (impressions, clicks, add-to-carts, purchases). Then,
 * `--reports` times, A's report is asked for while seller B lists its events one request after
 * another; B's latency during the reports is set against B's latency alone. Prints a table,
 * writes benchmarks/NAME.json and .md and the README section bench:NAME.
 *
 *   npm run bench:report -- [--clicks 250] [--purchases 250] [--items 100] [--visitors 2000]
 *                           [--events 100000] [--reports 5] [--root DIR] [--name report] [--no-readme]
 *
 * `--root DIR` serves another checkout of the project (its wrangler.toml, functions/ and
 * migrations/, built with `npm run build`), e.g. an export of main, to measure it the same way.
 */
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKey } from '../trainer/publish/api-keys.js';
import { ProxyStore } from '../trainer/publish/proxy-store.js';
import { PROJECT, median, updateReadme } from './bench-common.js';
import { startLocalEdge, wranglerCommand, type LocalEdge } from './local-edge.js';

/** The parts of the report's answer read here. */
interface ReportAnswer {
  arms: { arm: string; orders: number; attributed_orders: number; items_total: number }[];
  counting?: { rows_read: number; queries: number; max_rows_read: number; visitors_at_cap: number };
}

interface Timing {
  ms: number;
  status: number;
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r1 = (x: number) => Math.round(x * 10) / 10;

/** A request and its wall time; status 0 when the connection failed (the body is then the error). */
async function timed(url: string, init: RequestInit): Promise<Timing & { body: string }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, init);
    const body = await res.text();
    return { ms: performance.now() - t0, status: res.status, body };
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return { ms: performance.now() - t0, status: 0, body: `${(err as Error).message}${cause ? `: ${cause}` : ''}` };
  }
}

/** Runs `jobs` with `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await job(items[next++]);
    }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clicks: { type: 'string', default: '250' },
      purchases: { type: 'string', default: '250' },
      items: { type: 'string', default: '100' },
      visitors: { type: 'string', default: '2000' },
      events: { type: 'string', default: '100000' },
      reports: { type: 'string', default: '5' },
      root: { type: 'string' },
      name: { type: 'string', default: 'report' },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const n = (name: keyof typeof values, min: number, max: number) => {
    const v = Number(values[name]);
    if (!(Number.isInteger(v) && v >= min && v <= max)) throw new RangeError(`--${name} must be an integer from ${min} to ${max}`);
    return v;
  };
  const clicks = n('clicks', 0, 5000);
  const purchases = n('purchases', 1, 5000);
  const itemCount = n('items', 1, 100);
  const visitors = n('visitors', 0, 100_000);
  const events = n('events', 0, 1_000_000);
  const reports = n('reports', 1, 50);
  const root = resolve(values.root ?? PROJECT);
  const A = 'shop-report-a';
  const B = 'shop-report-b';

  const work = await mkdtemp(join(tmpdir(), 'plusone-bench-report-'));
  const state = join(work, 'state');
  let edge: LocalEdge | null = null;
  try {
    console.log(`D1 migrations of ${root} on a fresh local state ...`);
    await wranglerCommand(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], root);
    const store = await ProxyStore.open({ persistTo: state, config: join(root, 'wrangler.toml') });
    const big = { rps: 1_000_000, burst: 1_000_000 };
    let pkA: string;
    let skA: string;
    let skB: string;
    try {
      pkA = (await createApiKey(store, { seller: A, type: 'publishable', ...big })).key;
      skA = (await createApiKey(store, { seller: A, type: 'secret', ...big })).key;
      skB = (await createApiKey(store, { seller: B, type: 'secret', ...big })).key;
    } finally {
      await store.dispose();
    }
    console.log('starting wrangler dev ...');
    edge = await startLocalEdge({ state, root });
    const url = edge.url;
    const json = async (path: string, key: string, init: RequestInit = {}) => {
      const res = await fetch(url + path, { ...init, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text);
    };

    // The experiment: two holdout arms, so no model is needed; every answer is an exposure.
    const created = await json(`/v1/sellers/${A}/experiments`, skA, {
      method: 'POST',
      body: JSON.stringify({
        surface: 'basket',
        arms: [
          { name: 'control', model: 'none' },
          { name: 'treatment', model: 'none' },
        ],
        attribution_window_hours: 720,
      }),
    });
    const id: string = created.experiment.id;
    await json(`/v1/sellers/${A}/experiments/${id}/start`, skA, { method: 'POST' });

    const expose = async (visitor: string) =>
      (await json(`/v1/sellers/${A}/recommendations/basket?items=sku-1&visitor=${encodeURIComponent(visitor)}`, pkA)) as { rec_id: string; variant: string };
    const post = async (list: Record<string, unknown>[]) => {
      const r = await json(`/v1/sellers/${A}/events`, pkA, { method: 'POST', body: JSON.stringify({ events: list }) });
      if (r.accepted + r.duplicates !== list.length) throw new Error(`intake answered ${JSON.stringify(r)} for ${list.length} events`);
    };

    // The issue's case: one visitor's clicks and purchases. Clicked and bought items differ, so a
    // join of clicks and purchases compares every pair in full.
    const heavy = await expose('heavy-visitor');
    const t0 = Date.now();
    const clicked = Array.from({ length: itemCount }, (_, i) => `clk-${String(i).padStart(4, '0')}`);
    const bought = Array.from({ length: itemCount }, (_, i) => `buy-${String(i).padStart(4, '0')}`);
    const heavyEvents: Record<string, unknown>[] = [];
    for (let k = 0; k < Math.max(clicks, purchases); k++) {
      const ts = t0 + 1 + k;
      if (k < clicks)
        heavyEvents.push({ event_id: crypto.randomUUID(), type: 'click', visitor_id: 'heavy-visitor', rec_id: heavy.rec_id, item_ids: clicked, ts });
      if (k < purchases)
        heavyEvents.push({
          event_id: crypto.randomUUID(),
          type: 'purchase',
          visitor_id: 'heavy-visitor',
          item_ids: bought,
          order_id: `heavy-${k}`,
          value: 100,
          ts,
        });
    }
    console.log(`seller A: ${heavyEvents.length} events of one visitor (${clicks} clicks x ${purchases} purchases of ${itemCount} items) ...`);
    for (let i = 0; i < heavyEvents.length; i += 40) await post(heavyEvents.slice(i, i + 40));

    // The rest of the data: exposed visitors with their events.
    let purchasesSent = purchases;
    if (visitors > 0 && events > 0) {
      console.log(`seller A: ${visitors} more visitors exposed, about ${events} events ...`);
      const perVisitor = Math.max(1, Math.round(events / visitors));
      const queue: Record<string, unknown>[][] = [];
      let pending: Record<string, unknown>[] = [];
      await pool(
        Array.from({ length: visitors }, (_, v) => v),
        8,
        async (v) => {
          const visitor = `visitor-${v}`;
          const answer = await expose(visitor);
          const tag = { rec_id: answer.rec_id, experiment_id: id, variant: answer.variant };
          const base = Date.now();
          for (let k = 0; k < perVisitor; k++) {
            const kind = k % 10;
            const item = [`sku-${(v * 7 + k) % 500}`];
            const e: Record<string, unknown> = { event_id: crypto.randomUUID(), visitor_id: visitor, ts: base + k };
            if (kind < 5) Object.assign(e, { type: 'impression', item_ids: [item[0], `sku-${(v + k) % 500}`], ...tag });
            else if (kind < 7) Object.assign(e, { type: 'click', item_ids: item, ...tag });
            else if (kind < 9) Object.assign(e, { type: 'add_to_cart', item_ids: item, ...tag });
            else {
              Object.assign(e, { type: 'purchase', item_ids: [item[0], `sku-${(v * 3 + k) % 500}`], order_id: `o-${v}-${k}`, value: 30 });
              purchasesSent++;
            }
            pending.push(e);
            if (pending.length === 100) {
              queue.push(pending);
              pending = [];
            }
          }
        },
      );
      if (pending.length > 0) queue.push(pending);
      await pool(queue, 8, post);
    }

    // Until D1 has every purchase (the queue consumer writes in batches).
    const deadline = Date.now() + 600_000;
    let stored = 0;
    while (Date.now() < deadline) {
      stored = 0;
      let after: string | null = null;
      do {
        const page: { events: unknown[]; next: string | null } = await json(
          `/v1/sellers/${A}/events?type=purchase&limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`,
          skA,
        );
        stored += page.events.length;
        after = page.next;
      } while (after !== null);
      if (stored >= purchasesSent) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    if (stored < purchasesSent)
      throw new Error(`only ${stored} of ${purchasesSent} purchases reached D1 in 10 minutes; wrangler dev said:\n${edge.log.slice(-40).join('\n')}`);
    console.log(`D1 holds the ${stored} purchases; measuring ...`);

    // Seller B alone, then during each report.
    const listB = () => timed(`${url}/v1/sellers/${B}/events?limit=10`, { headers: { Authorization: `Bearer ${skB}` } });
    const alone: number[] = [];
    for (let k = 0; k < 50; k++) alone.push((await listB()).ms);
    const during: number[] = [];
    const reportMs: number[] = [];
    const failures: string[] = [];
    let last: ReportAnswer | null = null;
    for (let k = 0; k < reports; k++) {
      let running = true;
      const mine: string[] = [];
      const sideline = (async () => {
        while (running) {
          const t = await listB();
          if (t.status !== 200) failures.push(`seller B: ${t.status === 0 ? 'connection failed' : t.status} ${t.body.slice(0, 120)}`);
          else during.push(t.ms);
          mine.push(t.status === 200 ? String(r1(t.ms)) : `failed ${t.status}`);
        }
      })();
      const r = await timed(`${url}/v1/sellers/${A}/experiments/${id}/report`, { headers: { Authorization: `Bearer ${skA}` } });
      running = false;
      await sideline;
      if (r.status !== 200) {
        failures.push(`report ${k + 1}: ${r.status === 0 ? 'connection failed' : r.status} after ${r1(r.ms)} ms ${r.body.slice(0, 200)}`);
        console.log(`report ${k + 1}: failed (${r.status}) after ${r1(r.ms)} ms: ${r.body.slice(0, 200)}; seller B meanwhile: ${mine.join(', ')} ms`);
        continue;
      }
      reportMs.push(r.ms);
      last = JSON.parse(r.body) as ReportAnswer;
      console.log(`report ${k + 1}: ${r1(r.ms)} ms; seller B meanwhile: ${mine.join(', ')} ms`);
    }
    const heavyArm = last?.arms.find((a) => a.orders >= purchases) ?? null;
    const stats = (xs: number[]) => ({ median: r1(median(xs)), p99: r1(percentile(xs, 99)), max: xs.length ? r1(Math.max(...xs)) : null, requests: xs.length });
    const result = {
      seller_a: {
        experiment: id,
        heavy_visitor: { clicks, purchases, items: itemCount },
        visitors: visitors + 1,
        events: heavyEvents.length + events,
        purchases: purchasesSent,
      },
      reports,
      report_ms: reportMs.map(r1),
      report_median_ms: reportMs.length ? r1(median(reportMs)) : null,
      report_max_ms: reportMs.length ? r1(Math.max(...reportMs)) : null,
      failures,
      counting: last?.counting ?? null,
      heavy_arm: heavyArm && { arm: heavyArm.arm, orders: heavyArm.orders, attributed_orders: heavyArm.attributed_orders, items_total: heavyArm.items_total },
      seller_b_alone_ms: stats(alone),
      seller_b_during_ms: stats(during),
      root,
      machine: `${availableParallelism()} x ${cpus()[0]?.model ?? 'cpu'}`,
      load_end: loadavg()[0].toFixed(1),
      date: new Date().toISOString().slice(0, 10),
    };
    const b = result.seller_b_during_ms;
    const delayMax = b.max === null ? null : r1(b.max - result.seller_b_alone_ms.median);
    const delayMedian = r1(b.median - result.seller_b_alone_ms.median);
    const cell = (x: number | null) => (x === null || Number.isNaN(x) ? '–' : String(x));
    const md = [
      `An experiment report on \`wrangler dev\` (local workerd and D1) on 127.0.0.1, a fresh local state; the data sent through the public API with a publishable key: one visitor with ${clicks} clicks and ${purchases} purchases of ${itemCount} items each (clicked and bought items differ, so a join compares every click x purchase pair in full: the quadratic case of issue 17), and ${visitors} other exposed visitors with ${events} events; ${purchasesSent} purchases in D1. Seller B lists its events (\`GET /v1/sellers/B/events?limit=10\`, one request after another) alone, then during each report. \`npm run bench:report\`${values.root ? ` (--root ${values.root})` : ''}.`,
      '',
      '| | median ms | p99 ms | max ms | requests |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| report of seller A | ${cell(result.report_median_ms)} | – | ${cell(result.report_max_ms)} | ${reportMs.length} of ${reports} answered |`,
      `| seller B's events listing alone | ${result.seller_b_alone_ms.median} | ${result.seller_b_alone_ms.p99} | ${cell(result.seller_b_alone_ms.max)} | ${alone.length} |`,
      `| seller B's events listing during the reports | ${cell(b.median)} | ${cell(b.p99)} | ${cell(b.max)} | ${b.requests} |`,
      '',
      (result.report_max_ms === null
        ? 'No report answered.'
        : `The report ${result.report_max_ms < 1000 && failures.length === 0 ? 'answered under 1 s every time ✓' : 'did not always answer under 1 s ✗'} (max ${result.report_max_ms} ms; the bar: under 1 s).`) +
        ` Seller B during the reports: median ${delayMedian} ms and slowest ${cell(delayMax)} ms above its median alone (the bar: at most 100 ms)${delayMax !== null && delayMax <= 100 ? ' ✓' : ' ✗'}.` +
        (failures.length > 0 ? ` ${failures.length} requests failed: ${failures.slice(0, 3).join('; ')}.` : '') +
        (result.counting
          ? ` The report read ${result.counting.rows_read} rows in ${result.counting.queries} statements (the largest ${result.counting.max_rows_read}).`
          : ''),
      `Machine: ${result.machine}, load average ${result.load_end} at the end (shared with other work), ${result.date}.`,
    ].join('\n');
    console.log(`\n${md}\n`);
    const out = join(PROJECT, 'benchmarks');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, `${values.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(out, `${values.name}.md`), `${md}\n`);
    if (!values['no-readme']) await updateReadme(values.name!, md);
  } finally {
    await edge?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
