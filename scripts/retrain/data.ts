import { writeFile } from 'node:fs/promises';
import { deletedIdsSql } from '../../core/storage/events-sql.js';
import { readOrders } from '../../trainer/data/orders.js';
import { wranglerCommand } from '../local-edge.js';

/**
 * The retrain pipeline's data: order lines from an orders file and/or the purchase events
 * in D1, less deleted customers, split by time into training and holdout.
 */

/** One order line. */
export interface OrderLine {
  order: string;
  customer: string;
  item: string;
  quantity: number;
  price: number;
  /** Epoch ms. */
  ts: number;
}

/** Reads an orders file (the trainer's reader: cancellations and bad lines are left out and counted). */
export async function ordersFromFile(path: string, columns?: Record<string, string>): Promise<{ lines: OrderLine[]; skipped: number }> {
  const rows = await readOrders(path, columns ? { columns } : {});
  if (rows.timestamps === null) throw new Error(`${path} has no timestamp column: the retrain pipeline holds out the most recent orders`);
  const lines: OrderLine[] = rows.orderIds.map((order, i) => ({
    order,
    customer: rows.customers[i],
    item: rows.items[i],
    quantity: rows.quantities[i],
    price: rows.unitPrices?.[i] ?? 1,
    ts: rows.timestamps![i],
  }));
  return { lines, skipped: Object.values(rows.skipped).reduce((a, b) => a + b, 0) };
}

/** Where D1 is: wrangler's local state (with its folder) or the account. */
export interface D1Location {
  mode: 'local' | 'remote';
  persistTo?: string | undefined;
  config?: string | undefined;
}

/** Runs one SQL query on the D1 database `DB` through wrangler and returns its rows. */
async function d1Query<T>(sql: string, where: D1Location): Promise<T[]> {
  const args = ['d1', 'execute', 'DB', `--${where.mode}`, '--json', '--command', sql];
  if (where.mode === 'local' && where.persistTo) args.push('--persist-to', where.persistTo);
  if (where.config) args.push('--config', where.config);
  const stdout = await wranglerCommand(args);
  try {
    return (JSON.parse(stdout) as { results: T[] }[]).flatMap((r) => r.results);
  } catch {
    throw new Error(`wrangler d1 execute printed no JSON: ${stdout.slice(0, 200)}`);
  }
}

/**
 * The seller's purchase events as order lines (one line per item; the order's value split
 * evenly). A purchase event describes its whole order: an order id sent again (a reloaded
 * confirmation page, the storefront and a server both reporting it) counts once, from its
 * first event (by time, then event id).
 */
export async function ordersFromEvents(seller: string, where: D1Location): Promise<OrderLine[]> {
  // The seller id is checked (letters, digits, - and _) before it gets here.
  const rows = await d1Query<{
    event_id: string;
    order_id: string | null;
    customer_id: string | null;
    visitor_id: string;
    item_ids: string;
    value: number | null;
    ts: number;
  }>(
    `SELECT event_id, order_id, customer_id, visitor_id, item_ids, value, ts FROM events WHERE seller = '${seller}' AND type = 'purchase' ORDER BY ts, event_id`,
    where,
  );
  return linesOfPurchases(rows);
}

/** Order lines of purchase events in time order: each order id once (its first event). */
export function linesOfPurchases(
  rows: readonly {
    event_id: string;
    order_id: string | null;
    customer_id: string | null;
    visitor_id: string;
    item_ids: string;
    value: number | null;
    ts: number;
  }[],
): OrderLine[] {
  const seen = new Set<string>();
  const lines: OrderLine[] = [];
  for (const r of rows) {
    const order = r.order_id ?? r.event_id;
    if (seen.has(order)) continue;
    seen.add(order);
    const items = JSON.parse(r.item_ids) as string[];
    for (const item of items) {
      lines.push({
        order,
        customer: r.customer_id ?? `visitor:${r.visitor_id}`,
        item,
        quantity: 1,
        price: r.value !== null && items.length > 0 ? r.value / items.length : 1,
        ts: r.ts,
      });
    }
  }
  return lines;
}

/**
 * Customers the seller deleted (DELETE /v1/sellers/:seller/customers/:customer), and the
 * visitor ids they used as `visitor:<id>` (how anonymous purchase events name their customer).
 */
export async function deletedCustomers(seller: string, where: D1Location): Promise<Set<string>> {
  const rows = await d1Query<{ id: string }>(deletedIdsSql([seller]), where);
  return new Set(rows.map((r) => r.id));
}

/**
 * Customers deleted by each of `sellers` (and their visitor ids, as in {@link deletedCustomers}),
 * in one query per 100 sellers (a seller with none has an empty set): a run over many sellers
 * starts one wrangler per 100, not one per seller.
 */
export async function deletedCustomersOf(sellers: readonly string[], where: D1Location): Promise<Map<string, Set<string>>> {
  const out = new Map(sellers.map((s): [string, Set<string>] => [s, new Set()]));
  for (let s = 0; s < sellers.length; s += 100) {
    const rows = await d1Query<{ seller: string; id: string }>(deletedIdsSql(sellers.slice(s, s + 100)), where);
    for (const r of rows) out.get(r.seller)?.add(r.id);
  }
  return out;
}

/** The sellers with purchase events in D1, sorted: the sellers a run over D1 alone can retrain. */
export async function sellersWithEvents(where: D1Location): Promise<string[]> {
  const rows = await d1Query<{ seller: string }>(`SELECT DISTINCT seller FROM events WHERE type = 'purchase' ORDER BY seller`, where);
  return rows.map((r) => r.seller);
}

/**
 * Lines of the last `days` calendar days (UTC) up to the day of the latest line are the
 * holdout; the rest trains. The cut is at a UTC midnight, as the demo marketplace's own
 * holdout is (`npm start` evaluates on the same orders the retrain pipeline holds out).
 */
export function splitByTime(lines: OrderLine[], days: number): { train: OrderLine[]; test: OrderLine[]; cutoff: number; from: number; to: number } {
  if (lines.length === 0) throw new Error('there are no orders to train on');
  let from = Infinity;
  let to = -Infinity;
  for (const l of lines) {
    if (l.ts < from) from = l.ts;
    if (l.ts > to) to = l.ts;
  }
  const DAY = 86_400_000;
  const cutoff = (Math.floor(to / DAY) + 1 - days) * DAY;
  return { train: lines.filter((l) => l.ts < cutoff), test: lines.filter((l) => l.ts >= cutoff), cutoff, from, to };
}

const csvCell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Writes lines as the trainer's orders CSV. */
export async function writeOrdersCsv(path: string, lines: OrderLine[]): Promise<void> {
  const out = ['order_id,customer_id,item_id,quantity,unit_price,timestamp'];
  for (const l of lines)
    out.push([csvCell(l.order), csvCell(l.customer), csvCell(l.item), String(l.quantity), String(l.price), new Date(l.ts).toISOString()].join(','));
  await writeFile(path, `${out.join('\n')}\n`);
}
