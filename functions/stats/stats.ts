/**
 * A seller's figures over the last days, from the events in D1 (migrations/): what the
 * recommendations were shown and did (impressions, clicks, add-to-carts of answers, events with
 * a `rec_id`), the orders (purchase events, one order per `order_id`), how many of them are
 * attributed to a recommendation, items per order and the share of orders with 2+ items, per
 * UTC day and in total. `GET /v1/sellers/:seller/stats` (spec/edge-api.md, "Stats").
 *
 * Bounded work: three aggregate queries in one D1 batch (what was shown, the orders with their
 * attribution, the currencies), each one range scan of the seller's
 * events in the window over the index (seller, ts), the attribution an indexed lookup of the
 * buyer's clicks (seller, visitor_id, ts) per purchase; at most one row per day comes back
 * (days ≤ {@link MAX_STATS_DAYS}), never the events themselves.
 */

import { MAX_STATS_DAYS, STATS_WINDOW_HOURS, type SellerStats, type StatsCounts } from './stats-types.js';

const DAY_MS = 86_400_000;

const COUNT_FIELDS: (keyof StatsCounts)[] = [
  'impressions',
  'clicks',
  'add_to_carts',
  'orders',
  'items',
  'multi_item_orders',
  'revenue',
  'attributed_orders',
  'attributed_revenue',
];

const zero = (): StatsCounts => Object.fromEntries(COUNT_FIELDS.map((f) => [f, 0])) as unknown as StatsCounts;
/** Sums of money without the float noise of adding many decimals. */
const money = (v: number) => Math.round(v * 1e6) / 1e6;
const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/**
 * The seller's figures for the `days` UTC days up to `now` (today included), with orders
 * attributed over `windowHours`.
 */
export async function sellerStats(db: D1Database, seller: string, options: { days: number; now: number; windowHours?: number }): Promise<SellerStats> {
  const { days, now } = options;
  if (!Number.isInteger(days) || days < 1 || days > MAX_STATS_DAYS) throw new RangeError(`days must be an integer from 1 to ${MAX_STATS_DAYS}`);
  const windowHours = options.windowHours ?? STATS_WINDOW_HOURS;
  const firstDay = Math.floor(now / DAY_MS) - (days - 1);
  const from = firstDay * DAY_MS;
  const args = [seller, from, now] as const;
  const [shown, orders, currencies] = await db.batch([
    db
      .prepare(
        `SELECT ts / ${DAY_MS} AS day, SUM(type = 'impression') AS impressions, SUM(type = 'click') AS clicks, SUM(type = 'add_to_cart') AS add_to_carts ` +
          "FROM events WHERE seller = ?1 AND ts BETWEEN ?2 AND ?3 AND type IN ('impression', 'click', 'add_to_cart') AND rec_id IS NOT NULL GROUP BY day",
      )
      .bind(...args),
    db
      .prepare(
        'WITH p AS (SELECT event_id, COALESCE(order_id, event_id) AS ord, visitor_id, item_ids, item_count, COALESCE(value, 0) AS value, ts FROM events ' +
          "WHERE seller = ?1 AND type = 'purchase' AND ts BETWEEN ?2 AND ?3), " +
          // A purchase event is attributed when the buyer clicked or added to cart one of its items from an answer (rec_id) within the window before.
          'a AS (SELECT DISTINCT p.ord FROM p WHERE EXISTS (SELECT 1 FROM events c WHERE c.seller = ?1 AND c.visitor_id = p.visitor_id ' +
          "AND c.type IN ('click', 'add_to_cart') AND c.rec_id IS NOT NULL AND c.ts <= p.ts AND c.ts >= p.ts - ?4 " +
          'AND EXISTS (SELECT 1 FROM json_each(p.item_ids) pi JOIN json_each(c.item_ids) ci ON pi.value = ci.value))), ' +
          'o AS (SELECT ord, MIN(ts) AS ts, SUM(item_count) AS items, SUM(value) AS value, ord IN (SELECT ord FROM a) AS attributed FROM p GROUP BY ord) ' +
          `SELECT ts / ${DAY_MS} AS day, COUNT(*) AS orders, SUM(items) AS items, SUM(items >= 2) AS multi_item_orders, SUM(value) AS revenue, ` +
          'SUM(attributed) AS attributed_orders, SUM(CASE WHEN attributed THEN value ELSE 0 END) AS attributed_revenue FROM o GROUP BY day',
      )
      .bind(...args, windowHours * 3_600_000),
    db
      .prepare(
        "SELECT currency, COUNT(*) AS n FROM events WHERE seller = ?1 AND ts BETWEEN ?2 AND ?3 AND type = 'purchase' AND currency IS NOT NULL " +
          'GROUP BY currency ORDER BY n DESC, currency LIMIT 10',
      )
      .bind(...args),
  ]);

  const daily = Array.from({ length: days }, (_, k) => ({ day: new Date((firstDay + k) * DAY_MS).toISOString().slice(0, 10), ...zero() }));
  const add = (rows: Record<string, unknown>[]) => {
    for (const r of rows) {
      const k = Number(r.day) - firstDay;
      if (!(k >= 0 && k < days)) continue;
      for (const f of COUNT_FIELDS) if (typeof r[f] === 'number') daily[k][f] += r[f] as number;
    }
  };
  add(shown.results as Record<string, unknown>[]);
  add(orders.results as Record<string, unknown>[]);
  const totals = zero();
  for (const d of daily) {
    d.revenue = money(d.revenue);
    d.attributed_revenue = money(d.attributed_revenue);
    for (const f of COUNT_FIELDS) totals[f] += d[f];
  }
  totals.revenue = money(totals.revenue);
  totals.attributed_revenue = money(totals.attributed_revenue);
  return {
    seller,
    days,
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    attribution_window_hours: windowHours,
    currencies: (currencies.results as { currency: string }[]).map((r) => r.currency),
    totals: {
      ...totals,
      ctr: ratio(totals.clicks, totals.impressions),
      items_per_order: ratio(totals.items, totals.orders),
      multi_item_share: ratio(totals.multi_item_orders, totals.orders),
      attributed_share: ratio(totals.attributed_orders, totals.orders),
    },
    daily,
  };
}
