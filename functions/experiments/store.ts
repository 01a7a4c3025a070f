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

/** Moves an experiment from one status to the next; false when it was not in `from` (a concurrent change). */
export async function changeStatus(
  db: D1Database,
  seller: string,
  id: string,
  from: ExperimentDefinition['status'],
  to: ExperimentDefinition['status'],
  at: number,
): Promise<boolean> {
  const column = to === 'running' ? 'started' : 'stopped';
  const r = await db
    .prepare(`UPDATE experiments SET status = ?, ${column} = ? WHERE seller = ? AND id = ? AND status = ?`)
    .bind(to, at, seller, id, from)
    .run();
  return (r.meta.changes ?? 0) === 1;
}

/** Rewrites the KV mirror of the seller's running experiments from D1. */
export async function syncRunning(db: D1Database, kv: KVNamespace, seller: string): Promise<RunningExperiment[]> {
  const running = (await listExperiments(db, seller, 'running')).map((e) => ({ id: e.id, surface: e.surface, arms: e.arms, control: e.control }));
  await kv.put(runningKey(seller), JSON.stringify(running));
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
 * The experiment's events summed per arm, and the daily cumulative series, as the report
 * takes them (functions/experiments/report-types.ts). A visitor belongs to the arm of their
 * first exposure (the edge answered them inside the experiment); everything they did from
 * that moment to the end of the experiment counts for that arm: add-to-carts, purchases
 * (intent to treat). Impressions and clicks count when tagged with the experiment (the
 * widget tags them). An order is attributed when it holds an item that the visitor clicked
 * or added to cart from a recommendation (an event with a rec_id) within the attribution
 * window before the purchase.
 */
export async function experimentAggregates(db: D1Database, e: ExperimentDefinition, now: number): Promise<{ totals: ArmTotals[]; daily: DailyTotals[] }> {
  const start = e.started === null ? now : Date.parse(e.started);
  const end = e.stopped === null ? now : Date.parse(e.stopped);
  const exposed =
    'WITH x AS (SELECT visitor_id, MIN(variant) AS arm, MIN(ts) AS first_ts FROM events ' +
    "WHERE experiment_id = ?1 AND seller = ?2 AND type = 'exposure' AND ts BETWEEN ?3 AND ?4 GROUP BY visitor_id) ";
  const args = [e.id, e.seller, start, end] as const;
  const window = e.attribution_window_hours * 3_600_000;
  const [visitors, views, carts, orders, attributed] = await db.batch([
    db.prepare(`${exposed}SELECT arm, first_ts / ${DAY_MS} AS day, COUNT(*) AS n FROM x GROUP BY arm, day`).bind(...args),
    db
      .prepare(
        "SELECT variant AS arm, SUM(type = 'impression') AS impressions, SUM(type = 'click') AS clicks FROM events " +
          "WHERE experiment_id = ?1 AND seller = ?2 AND type IN ('impression', 'click') AND ts BETWEEN ?3 AND ?4 GROUP BY variant",
      )
      .bind(...args),
    db
      .prepare(
        `${exposed}SELECT x.arm AS arm, COUNT(DISTINCT e.visitor_id) AS n FROM events e JOIN x ON e.visitor_id = x.visitor_id ` +
          "WHERE e.seller = ?2 AND e.type = 'add_to_cart' AND e.ts >= x.first_ts AND e.ts <= ?4 GROUP BY x.arm",
      )
      .bind(...args),
    db
      .prepare(
        `${exposed}SELECT x.arm AS arm, e.visitor_id AS visitor, COALESCE(e.order_id, e.event_id) AS ord, SUM(e.item_count) AS items, ` +
          'SUM(COALESCE(e.value, 0)) AS value, MIN(e.ts) AS ts FROM events e JOIN x ON e.visitor_id = x.visitor_id ' +
          "WHERE e.seller = ?2 AND e.type = 'purchase' AND e.ts >= x.first_ts AND e.ts <= ?4 GROUP BY x.arm, e.visitor_id, ord ORDER BY ts",
      )
      .bind(...args),
    db
      .prepare(
        `${exposed}SELECT DISTINCT x.arm AS arm, COALESCE(p.order_id, p.event_id) AS ord FROM events p JOIN x ON p.visitor_id = x.visitor_id ` +
          "JOIN events c ON c.seller = p.seller AND c.visitor_id = p.visitor_id AND c.type IN ('click', 'add_to_cart') AND c.rec_id IS NOT NULL " +
          'AND c.ts <= p.ts AND c.ts >= p.ts - ?5 ' +
          "WHERE p.seller = ?2 AND p.type = 'purchase' AND p.ts >= x.first_ts AND p.ts <= ?4 " +
          'AND EXISTS (SELECT 1 FROM json_each(p.item_ids) pi JOIN json_each(c.item_ids) ci ON pi.value = ci.value)',
      )
      .bind(...args, window),
  ]);

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
  const newVisitors = new Map<string, Float64Array>([...totals.keys()].map((a) => [a, new Float64Array(days)]));
  for (const r of visitors.results as { arm: string; day: number; n: number }[]) {
    const t = arm(r.arm);
    if (t === undefined) continue;
    t.visitors += r.n;
    newVisitors.get(t.arm)![Math.min(days - 1, Math.max(0, r.day - firstDay))] += r.n;
  }
  for (const r of views.results as { arm: string; impressions: number; clicks: number }[]) {
    const t = arm(r.arm);
    if (t === undefined) continue;
    t.impressions += r.impressions;
    t.clicks += r.clicks;
  }
  for (const r of carts.results as { arm: string; n: number }[]) {
    const t = arm(r.arm);
    if (t !== undefined) t.cart_visitors += r.n;
  }

  const attributedOrders = new Set((attributed.results as { arm: string; ord: string }[]).map((r) => `${r.arm}\u0000${r.ord}`));
  // Per visitor: revenue so far; per arm and day: buyers new that day, Σ revenue and Σ revenue².
  const perVisitor = new Map<string, number>();
  const daily = new Map<string, { buyers: Float64Array; sum: Float64Array; sumSq: Float64Array }>(
    [...totals.keys()].map((a) => [a, { buyers: new Float64Array(days), sum: new Float64Array(days), sumSq: new Float64Array(days) }]),
  );
  for (const r of orders.results as { arm: string; visitor: string; ord: string; items: number; value: number; ts: number }[]) {
    const t = arm(r.arm);
    if (t === undefined) continue;
    t.orders++;
    t.items.sum += r.items;
    t.items.sum_sq += r.items * r.items;
    if (r.items >= 2) t.multi_item_orders++;
    if (attributedOrders.has(`${r.arm}\u0000${r.ord}`)) {
      t.attributed_orders++;
      t.attributed_revenue += r.value;
    }
    const key = `${r.arm}\u0000${r.visitor}`;
    const before = perVisitor.get(key);
    const after = (before ?? 0) + r.value;
    perVisitor.set(key, after);
    const d = daily.get(t.arm)!;
    const k = Math.min(days - 1, Math.max(0, Math.floor(r.ts / DAY_MS) - firstDay));
    if (before === undefined) d.buyers[k]++;
    d.sum[k] += r.value;
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
  return { totals: [...totals.values()], daily: series };
}
