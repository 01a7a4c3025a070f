import type { ExperimentDefinition } from './definition.js';
import type { ArmTotals, DailyTotals } from './report-types.js';

/**
 * Experiments in D1 (migrations/), the running ones mirrored in KV for the recommendation
 * path, and the aggregates of an experiment's events that the report is built from.
 */

/** What the recommendation path needs of a running experiment. */
export type RunningExperiment = Pick<ExperimentDefinition, 'id' | 'surface' | 'arms' | 'control'>;

/** KV key of a seller's running experiments (JSON RunningExperiment[]), written on start and stop. */
const runningKey = (seller: string) => `sellers/${seller}/experiments/running`;

interface ExperimentRow {
  id: string;
  seller: string;
  name: string;
  surface: ExperimentDefinition['surface'];
  arms: string;
  control: string;
  status: ExperimentDefinition['status'];
  created: number;
  started: number | null;
  stopped: number | null;
  attribution_window_hours: number;
  orders_per_year: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function fromRow(r: ExperimentRow): ExperimentDefinition {
  return {
    id: r.id,
    seller: r.seller,
    name: r.name,
    surface: r.surface,
    arms: JSON.parse(r.arms) as ExperimentDefinition['arms'],
    control: r.control,
    status: r.status,
    created: iso(r.created)!,
    started: iso(r.started),
    stopped: iso(r.stopped),
    attribution_window_hours: r.attribution_window_hours,
    orders_per_year: r.orders_per_year,
  };
}

export async function insertExperiment(db: D1Database, e: ExperimentDefinition): Promise<void> {
  await db
    .prepare(
      'INSERT INTO experiments (id, seller, name, surface, arms, control, status, created, attribution_window_hours, orders_per_year) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .bind(e.id, e.seller, e.name, e.surface, JSON.stringify(e.arms), e.control, e.status, Date.parse(e.created), e.attribution_window_hours, e.orders_per_year)
    .run();
}

export async function getExperiment(db: D1Database, seller: string, id: string): Promise<ExperimentDefinition | null> {
  const row = await db.prepare('SELECT * FROM experiments WHERE seller = ? AND id = ?').bind(seller, id).first<ExperimentRow>();
  return row === null ? null : fromRow(row);
}

export async function listExperiments(db: D1Database, seller: string, status?: ExperimentDefinition['status']): Promise<ExperimentDefinition[]> {
  const sql = `SELECT * FROM experiments WHERE seller = ?${status ? ' AND status = ?' : ''} ORDER BY created DESC, id`;
  const stmt = status ? db.prepare(sql).bind(seller, status) : db.prepare(sql).bind(seller);
  return (await stmt.all<ExperimentRow>()).results.map(fromRow);
}

/** How a status change went: done, refused because the experiment was not in `from` any more, or because its surface already runs another. */
export type StatusChange = 'changed' | 'changed_meanwhile' | 'surface_busy';

/**
 * Moves an experiment from one status to the next with one conditional UPDATE. Starting one
 * while another runs on the same surface fails on the unique index `experiments_one_running`
 * (migrations/0002), so of two starts at once only one wins, whatever the checks before said.
 */
export async function changeStatus(
  db: D1Database,
  seller: string,
  id: string,
  from: ExperimentDefinition['status'],
  to: ExperimentDefinition['status'],
  at: number | null,
): Promise<StatusChange> {
  // draft -> running sets started, running -> stopped sets stopped; running -> draft (a start undone) clears started.
  const column = to === 'stopped' ? 'stopped' : 'started';
  try {
    const r = await db
      .prepare(`UPDATE experiments SET status = ?, ${column} = ? WHERE seller = ? AND id = ? AND status = ?`)
      .bind(to, at, seller, id, from)
      .run();
    return (r.meta.changes ?? 0) === 1 ? 'changed' : 'changed_meanwhile';
  } catch (err) {
    if (/UNIQUE constraint failed/i.test(err instanceof Error ? err.message : String(err))) return 'surface_busy';
    throw err;
  }
}

/**
 * Rewrites the KV mirror of the seller's running experiments from D1. It reads D1 again after
 * writing and writes once more if a start or stop happened in between (at most three rounds),
 * so that of two syncs at once the last write is never the older list.
 */
export async function syncRunning(db: D1Database, kv: KVNamespace, seller: string): Promise<RunningExperiment[]> {
  const read = async () =>
    (await listExperiments(db, seller, 'running')).map((e): RunningExperiment => ({ id: e.id, surface: e.surface, arms: e.arms, control: e.control }));
  let running = await read();
  for (let round = 0; round < 3; round++) {
    const text = JSON.stringify(running);
    await kv.put(runningKey(seller), text);
    const again = await read();
    if (JSON.stringify(again) === text) break;
    running = again;
  }
  return running;
}

/**
 * The running experiments of a seller as the recommendation path sees them: read from KV
 * (with `cacheTtl`) and reused in the isolate for the memo period. A value that does not
 * parse counts as none (logged).
 */
export class RunningExperiments {
  private readonly memo = new Map<string, { list: RunningExperiment[]; at: number }>();

  constructor(private readonly log: (event: Record<string, unknown>) => void) {}

  async get(kv: KVNamespace, seller: string, options: { memoMs: number; cacheTtl: number; now: number }): Promise<RunningExperiment[]> {
    const hit = this.memo.get(seller);
    if (hit !== undefined && options.now - hit.at < options.memoMs) return hit.list;
    let list: RunningExperiment[] = [];
    const text = await kv.get(runningKey(seller), { type: 'text', cacheTtl: options.cacheTtl });
    if (text !== null) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (!Array.isArray(parsed)) throw new Error('not an array');
        list = parsed as RunningExperiment[];
      } catch (err) {
        this.log({ event: 'running_experiments_invalid', seller, error: (err as Error).message });
      }
    }
    if (this.memo.size >= 10_000) this.memo.delete(this.memo.keys().next().value as string);
    if (options.memoMs > 0) this.memo.set(seller, { list, at: options.now });
    return list;
  }
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Bounds of the report's work (spec/experiment-report.md, "Counting"): no statement takes more
 * than `rowsPerQuery` events (so reads at most about four times as many rows), and a visitor counts with at most `eventsPerVisitor`
 * purchases, add-to-carts and clicks each (the first ones of the window), so a report costs
 * what the experiment's own data costs, and no one report holds the database for long.
 */
export const REPORT_LIMITS = {
  /** Events of one type (purchase, add_to_cart, click) counted per visitor, the earliest first. */
  eventsPerVisitor: 1000,
  /** Events a statement takes at most (D1 counts up to four row reads for each: index entry, row, and a counted page read twice). */
  rowsPerQuery: 20_000,
  /** Visitors per statement in the first pass over their events (each with a third of rowsPerQuery / visitorsPerQuery per type). */
  visitorsPerQuery: 300,
} as const;

/** The report's statements (their plans are checked by test/worker/experiments.test.ts). */
export const REPORT_SQL = {
  /** One page of an experiment's events of one type: ?1 seller, ?2 experiment, ?3 type, ?4..?5 time, after (?6 ts, ?7 rowid), ?8 rows. */
  experimentEvents: (columns: string) =>
    `SELECT ${columns}, ts, rowid AS r FROM events WHERE seller = ?1 AND experiment_id = ?2 AND type = ?3 AND ts BETWEEN ?4 AND ?5 ` +
    'AND (ts, rowid) > (?6, ?7) ORDER BY ts, rowid LIMIT ?8',
  /**
   * One page of the same, counted per arm in D1 (a row per variant, `ts` and `r` null), and a
   * last row (variant null) with the page's size and where it ended: few rows back, whatever the page's size.
   */
  experimentCounts:
    'WITH page AS MATERIALIZED (SELECT variant, ts, rowid AS r FROM events WHERE seller = ?1 AND experiment_id = ?2 AND type = ?3 AND ts BETWEEN ?4 AND ?5 ' +
    'AND (ts, rowid) > (?6, ?7) ORDER BY ts, rowid LIMIT ?8) ' +
    'SELECT variant, COUNT(*) AS n, NULL AS ts, NULL AS r FROM page WHERE variant IS NOT NULL GROUP BY variant ' +
    'UNION ALL SELECT * FROM (SELECT NULL AS variant, (SELECT COUNT(*) FROM page) AS n, ts, r FROM page ORDER BY ts DESC, r DESC LIMIT 1)',
  /**
   * Visitors' purchases (from their first exposure), add-to-carts and clicks (from one
   * attribution window before it), at most ?5 of each type per visitor, the earliest first:
   * ?1 the visitors as JSON [[visitor, first exposure], …], ?2 seller, ?3 the window (ms), ?4 end.
   */
  visitorEvents: (() => {
    const columns = 'e.visitor_id AS visitor, e.type, e.event_id, e.rec_id, e.order_id, e.item_ids, e.item_count, e.value, e.ts';
    const ofType = (type: string, from: string) =>
      `SELECT ${columns} FROM x JOIN events e ON e.rowid IN ` +
      `(SELECT rowid FROM events WHERE seller = ?2 AND visitor_id = x.v AND type = '${type}' AND ts BETWEEN ${from} AND ?4 ORDER BY ts LIMIT ?5)`;
    return (
      "WITH x (v, t0) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)) " +
      [ofType('purchase', 'x.t0'), ofType('add_to_cart', 'x.t0 - ?3'), ofType('click', 'x.t0 - ?3')].join(' UNION ALL ')
    );
  })(),
} as const;

/** What a report's reads cost: statements, rows D1 read, rows it returned; and the visitors at the cap. */
export interface ReportWork {
  queries: number;
  rows_read: number;
  rows_returned: number;
  /** The most rows one statement read. */
  max_rows_read: number;
  /** Visitors with more events of a type than the cap: counted with the first `eventsPerVisitor` of each. */
  capped_visitors: number;
}

/** An experiment visitor: the arm and time of their first exposure. */
interface Exposed {
  arm: string;
  first: number;
}

interface VisitorEvent {
  visitor: string;
  type: 'purchase' | 'add_to_cart' | 'click';
  event_id: string;
  rec_id: string | null;
  order_id: string | null;
  item_ids: string;
  item_count: number;
  value: number | null;
  ts: number;
}

/** Counts the work of the statements a report runs. */
class Reads {
  readonly work: ReportWork = { queries: 0, rows_read: 0, rows_returned: 0, max_rows_read: 0, capped_visitors: 0 };

  constructor(private readonly db: D1Database) {}

  async all<T>(sql: string, ...args: unknown[]): Promise<T[]> {
    const r = await this.db
      .prepare(sql)
      .bind(...args)
      .all<T>();
    const read = r.meta.rows_read ?? 0;
    // Back to the event loop before the next statement, so that other requests of this isolate
    // run between a report's statements (against a local D1 the answers come back at once, and
    // the report would otherwise hold the isolate until its last statement).
    await new Promise((r) => setTimeout(r, 0));
    this.work.queries++;
    this.work.rows_read += read;
    this.work.rows_returned += r.results.length;
    this.work.max_rows_read = Math.max(this.work.max_rows_read, read);
    return r.results;
  }

  /**
   * The rows of one experiment event type in [from, to], in time order, a page of
   * `rowsPerQuery` at a time (index events_by_experiment; each page starts where the last
   * one ended, so no statement reads more than a page).
   */
  async *experimentEvents<T extends { ts: number; r: number }>(
    columns: string,
    e: ExperimentDefinition,
    type: string,
    from: number,
    to: number,
  ): AsyncGenerator<T[]> {
    let after: [number, number] = [from - 1, 0];
    for (;;) {
      const page = await this.all<T>(REPORT_SQL.experimentEvents(columns), e.seller, e.id, type, from, to, after[0], after[1], REPORT_LIMITS.rowsPerQuery);
      if (page.length > 0) yield page;
      if (page.length < REPORT_LIMITS.rowsPerQuery) return;
      const last = page[page.length - 1];
      after = [last.ts, last.r];
    }
  }

  /** The experiment's events of one type in [from, to] counted per arm, a page of `rowsPerQuery` at a time (index events_by_experiment). */
  async countExperimentEvents(e: ExperimentDefinition, type: string, from: number, to: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let after: [number, number] = [from - 1, 0];
    for (;;) {
      const rows = await this.all<{ variant: string | null; n: number; ts: number | null; r: number | null }>(
        REPORT_SQL.experimentCounts,
        e.seller,
        e.id,
        type,
        from,
        to,
        after[0],
        after[1],
        REPORT_LIMITS.rowsPerQuery,
      );
      let end: { n: number; ts: number; r: number } | null = null;
      for (const row of rows) {
        if (row.ts !== null && row.r !== null) end = { n: row.n, ts: row.ts, r: row.r };
        else if (row.variant !== null) counts.set(row.variant, (counts.get(row.variant) ?? 0) + row.n);
      }
      if (end === null || end.n < REPORT_LIMITS.rowsPerQuery) return counts;
      after = [end.ts, end.r];
    }
  }

  /**
   * The purchases, add-to-carts and clicks of `visitors` (with their first exposure), at most
   * `cap` of each type per visitor, the earliest first: purchases from the first exposure to
   * `end`, add-to-carts and clicks from one attribution window before it (they attribute the
   * purchases; index events_by_visitor_type: each visitor's read stops at the cap). One statement.
   */
  async visitorEvents(seller: string, visitors: [string, Exposed][], end: number, window: number, cap: number): Promise<VisitorEvent[]> {
    return this.all<VisitorEvent>(REPORT_SQL.visitorEvents, JSON.stringify(visitors.map(([v, x]) => [v, x.first])), seller, window, end, cap);
  }
}

/**
 * The experiment's events of its visitors, each visitor's capped at
 * {@link REPORT_LIMITS.eventsPerVisitor} per type. A first pass reads `visitorsPerQuery`
 * visitors a statement with a smaller cap, so that a statement stays within `rowsPerQuery`; the
 * visitors who reach it are read again, fewer at a time, with the full cap.
 */
async function eventsOfVisitors(
  reads: Reads,
  seller: string,
  exposed: Map<string, Exposed>,
  end: number,
  window: number,
): Promise<Map<string, VisitorEvent[]>> {
  const { eventsPerVisitor, rowsPerQuery, visitorsPerQuery } = REPORT_LIMITS;
  const byVisitor = new Map<string, VisitorEvent[]>();
  const all = [...exposed];
  // Three types per visitor in each statement.
  const firstCap = Math.max(1, Math.min(eventsPerVisitor, Math.floor(rowsPerQuery / (3 * visitorsPerQuery))));
  const heavy: [string, Exposed][] = [];
  for (let i = 0; i < all.length; i += visitorsPerQuery) {
    const chunk = all.slice(i, i + visitorsPerQuery);
    const rows = await reads.visitorEvents(seller, chunk, end, window, firstCap);
    const counts = new Map<string, number>();
    for (const r of rows) {
      const k = `${r.visitor}\u0000${r.type}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const full = new Set<string>();
    for (const [k, n] of counts) if (n >= firstCap && firstCap < eventsPerVisitor) full.add(k.slice(0, k.indexOf('\u0000')));
    for (const r of rows) {
      if (full.has(r.visitor)) continue;
      const list = byVisitor.get(r.visitor);
      if (list === undefined) byVisitor.set(r.visitor, [r]);
      else list.push(r);
    }
    for (const [v, x] of chunk) if (full.has(v)) heavy.push([v, x]);
  }
  const heavyPerQuery = Math.max(1, Math.floor(rowsPerQuery / (3 * eventsPerVisitor)));
  for (let i = 0; i < heavy.length; i += heavyPerQuery) {
    const rows = await reads.visitorEvents(seller, heavy.slice(i, i + heavyPerQuery), end, window, eventsPerVisitor);
    const counts = new Map<string, number>();
    for (const r of rows) {
      const k = `${r.visitor}\u0000${r.type}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      const list = byVisitor.get(r.visitor);
      if (list === undefined) byVisitor.set(r.visitor, [r]);
      else list.push(r);
    }
    const capped = new Set([...counts].filter(([, n]) => n >= eventsPerVisitor).map(([k]) => k.slice(0, k.indexOf('\u0000'))));
    reads.work.capped_visitors += capped.size;
  }
  return byVisitor;
}

/** An order as the report counts it: its first purchase event. */
interface Order {
  arm: string;
  visitor: string;
  items: number;
  value: number;
  ts: number;
  attributed: boolean;
}

/**
 * The experiment's events summed per arm, and the daily cumulative series, as the report
 * takes them (functions/experiments/report-types.ts), with what the reads cost. A visitor
 * belongs to the arm of their first exposure (the edge answered them inside the experiment);
 * everything they did from that moment to the end of the experiment counts for that arm:
 * add-to-carts, purchases (intent to treat). Impressions and clicks count when tagged with the
 * experiment (the widget tags them). An order is one order id of the seller (a purchase without
 * one is its own order): the first purchase event with that id counts, however often the order
 * was sent again. It is attributed when it holds an item that the visitor clicked or added to
 * cart from a recommendation (an event with a rec_id) within the attribution window before the
 * purchase. Every statement is bounded (REPORT_LIMITS).
 */
export async function experimentAggregates(
  db: D1Database,
  e: ExperimentDefinition,
  now: number,
): Promise<{ totals: ArmTotals[]; daily: DailyTotals[]; work: ReportWork }> {
  const start = e.started === null ? now : Date.parse(e.started);
  const end = e.stopped === null ? now : Date.parse(e.stopped);
  const window = e.attribution_window_hours * 3_600_000;
  const reads = new Reads(db);

  const totals = new Map<string, ArmTotals>();
  for (const arm of e.arms) {
    totals.set(arm.name, {
      arm: arm.name,
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
    });
  }
  // Events tagged with an arm the definition does not have (a hand-made event) are left out.
  const arm = (name: unknown) => (typeof name === 'string' ? totals.get(name) : undefined);

  const firstDay = Math.floor(start / DAY_MS);
  const lastDay = Math.max(firstDay, Math.floor(end / DAY_MS));
  const days = lastDay - firstDay + 1;
  const dayIndex = (ms: number) => Math.min(days - 1, Math.max(0, Math.floor(ms / DAY_MS) - firstDay));

  // 1. Visitors: the arm of each one's first exposure.
  const exposed = new Map<string, Exposed>();
  const newVisitors = new Map<string, Float64Array>([...totals.keys()].map((a) => [a, new Float64Array(days)]));
  for await (const page of reads.experimentEvents<{ visitor_id: string; variant: string | null; ts: number; r: number }>(
    'visitor_id, variant',
    e,
    'exposure',
    start,
    end,
  )) {
    for (const r of page) {
      if (exposed.has(r.visitor_id)) continue;
      const t = arm(r.variant);
      if (t === undefined) continue;
      exposed.set(r.visitor_id, { arm: t.arm, first: r.ts });
      t.visitors++;
      newVisitors.get(t.arm)![dayIndex(r.ts)]++;
    }
  }

  // 2. Impressions and clicks tagged with the experiment, counted in D1.
  for (const type of ['impression', 'click'] as const) {
    for (const [variant, n] of await reads.countExperimentEvents(e, type, start, end)) {
      const t = arm(variant);
      if (t === undefined) continue;
      if (type === 'impression') t.impressions += n;
      else t.clicks += n;
    }
  }

  // 3. Each visitor's add-to-carts, purchases and the clicks that attribute them.
  const byVisitor = await eventsOfVisitors(reads, e.seller, exposed, end, window);
  const purchases: (VisitorEvent & { arm: string })[] = [];
  const attributedIds = new Set<string>();
  for (const [visitor, events] of byVisitor) {
    const x = exposed.get(visitor)!;
    const own: VisitorEvent[] = [];
    const clicks: VisitorEvent[] = [];
    let cart = false;
    for (const ev of events) {
      if (ev.type === 'purchase') own.push(ev);
      else {
        if (ev.type === 'add_to_cart' && ev.ts >= x.first) cart = true;
        if (ev.rec_id !== null) clicks.push(ev);
      }
    }
    if (cart) totals.get(x.arm)!.cart_visitors++;
    for (const p of own) purchases.push({ ...p, arm: x.arm });
    for (const id of attributedPurchases(own, clicks, window)) attributedIds.add(id);
  }

  // One order per order id: its first event (by time, then event id) counts.
  purchases.sort((a, b) => a.ts - b.ts || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
  const seen = new Set<string>();
  const orders: Order[] = [];
  for (const p of purchases) {
    const key = p.order_id === null ? `event\u0000${p.event_id}` : `order\u0000${p.order_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    orders.push({ arm: p.arm, visitor: p.visitor, items: p.item_count, value: p.value ?? 0, ts: p.ts, attributed: attributedIds.has(p.event_id) });
  }

  // Per visitor: revenue so far; per arm and day: buyers new that day, Σ revenue and Σ revenue².
  const perVisitor = new Map<string, number>();
  const daily = new Map<string, { buyers: Float64Array; sum: Float64Array; sumSq: Float64Array }>(
    [...totals.keys()].map((a) => [a, { buyers: new Float64Array(days), sum: new Float64Array(days), sumSq: new Float64Array(days) }]),
  );
  for (const o of orders) {
    const t = totals.get(o.arm)!;
    t.orders++;
    t.items.sum += o.items;
    t.items.sum_sq += o.items * o.items;
    if (o.items >= 2) t.multi_item_orders++;
    if (o.attributed) {
      t.attributed_orders++;
      t.attributed_revenue += o.value;
    }
    const key = `${o.arm}\u0000${o.visitor}`;
    const before = perVisitor.get(key);
    const after = (before ?? 0) + o.value;
    perVisitor.set(key, after);
    const d = daily.get(t.arm)!;
    const k = dayIndex(o.ts);
    if (before === undefined) d.buyers[k]++;
    d.sum[k] += o.value;
    d.sumSq[k] += after * after - (before ?? 0) * (before ?? 0);
  }
  for (const [key, revenue] of perVisitor) {
    const t = totals.get(key.slice(0, key.indexOf('\u0000')))!;
    t.buyers++;
    t.revenue.sum += revenue;
    t.revenue.sum_sq += revenue * revenue;
  }

  const series: DailyTotals[] = [];
  const running = new Map([...totals.keys()].map((a) => [a, { visitors: 0, buyers: 0, sum: 0, sumSq: 0 }]));
  for (let k = 0; k < days; k++) {
    series.push({
      day: dayOf((firstDay + k) * DAY_MS),
      arms: [...totals.keys()].map((a) => {
        const c = running.get(a)!;
        const d = daily.get(a)!;
        c.visitors += newVisitors.get(a)![k];
        c.buyers += d.buyers[k];
        c.sum += d.sum[k];
        c.sumSq += d.sumSq[k];
        return { arm: a, visitors: c.visitors, buyers: c.buyers, revenue: { sum: c.sum, sum_sq: c.sumSq } };
      }),
    });
  }
  return { totals: [...totals.values()], daily: series, work: reads.work };
}

/**
 * The purchases of one visitor that hold an item the visitor clicked or added to cart from a
 * recommendation within `window` ms before (their event ids). One pass in time order keeps the
 * items of the clicks inside the window in a count map, so the cost is the items involved
 * (each click's added and removed once, each purchase's looked up once), not clicks × purchases.
 */
function attributedPurchases(purchases: VisitorEvent[], clicks: VisitorEvent[], window: number): Set<string> {
  const out = new Set<string>();
  if (purchases.length === 0 || clicks.length === 0) return out;
  const byTime = (a: VisitorEvent, b: VisitorEvent) => a.ts - b.ts;
  const ps = [...purchases].sort(byTime);
  const cs = clicks.map((c) => ({ ts: c.ts, items: JSON.parse(c.item_ids) as string[] })).sort((a, b) => a.ts - b.ts);
  const inWindow = new Map<string, number>();
  const change = (items: string[], by: number) => {
    for (const item of new Set(items)) {
      const n = (inWindow.get(item) ?? 0) + by;
      if (n === 0) inWindow.delete(item);
      else inWindow.set(item, n);
    }
  };
  let added = 0;
  let removed = 0;
  for (const p of ps) {
    while (added < cs.length && cs[added].ts <= p.ts) change(cs[added++].items, 1);
    while (removed < added && cs[removed].ts < p.ts - window) change(cs[removed++].items, -1);
    if (inWindow.size === 0) continue;
    if ((JSON.parse(p.item_ids) as string[]).some((item) => inWindow.has(item))) out.add(p.event_id);
  }
  return out;
}
