import type { EventType, StoredEvent } from './event.js';

/**
 * The events table in D1 (migrations/): batched idempotent writes, paged reads, and the
 * deletion of a customer. Plain functions over a `D1Database`.
 */

const COLUMNS = [
  'event_id',
  'seller',
  'type',
  'visitor_id',
  'customer_id',
  'rec_id',
  'experiment_id',
  'variant',
  'surface',
  'item_ids',
  'item_count',
  'order_id',
  'value',
  'currency',
  'ts',
  'received',
] as const;

/** D1 binds at most 100 parameters per statement: 6 rows of 16 columns. */
const ROWS_PER_STATEMENT = Math.floor(100 / COLUMNS.length);
/** Statements per D1 batch (one transaction each). */
const STATEMENTS_PER_BATCH = 50;

function row(e: StoredEvent): (string | number | null)[] {
  return [
    e.event_id,
    e.seller,
    e.type,
    e.visitor_id,
    e.customer_id,
    e.rec_id,
    e.experiment_id,
    e.variant,
    e.surface,
    JSON.stringify(e.item_ids),
    e.item_ids.length,
    e.order_id,
    e.value,
    e.currency,
    e.ts,
    e.received,
  ];
}

/**
 * Writes events, ignoring any whose `event_id` is already stored (so a redelivered queue
 * message or a client's retry changes nothing) and any of a deleted customer. Returns the
 * number of rows inserted.
 */
export async function insertEvents(db: D1Database, events: readonly StoredEvent[]): Promise<number> {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const chunk = events.slice(i, i + ROWS_PER_STATEMENT);
    const values = chunk.map(() => `(${COLUMNS.map(() => '?').join(', ')})`).join(', ');
    // The deleted-customer check sits in the insert itself: an event still on the queue
    // when its customer was deleted never lands. (A multi-row VALUES, not a UNION: D1 keeps
    // compound SELECTs short.)
    const sql =
      `WITH n (${COLUMNS.join(', ')}) AS (VALUES ${values}) ` +
      `INSERT OR IGNORE INTO events (${COLUMNS.join(', ')}) ` +
      'SELECT * FROM n WHERE n.customer_id IS NULL OR NOT EXISTS ' +
      '(SELECT 1 FROM deleted_customers d WHERE d.seller = n.seller AND d.customer_id = n.customer_id)';
    statements.push(db.prepare(sql).bind(...chunk.flatMap(row)));
  }
  let inserted = 0;
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    const results = await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH));
    for (const r of results) inserted += r.meta.changes ?? 0;
  }
  return inserted;
}

/** A page of a seller's events, oldest first. */
interface EventQuery {
  visitor?: string | undefined;
  customer?: string | undefined;
  type?: EventType | undefined;
  experiment?: string | undefined;
  /** Events at or after this time (epoch ms). */
  since?: number | undefined;
  /** Continue after this cursor (from the previous page's `next`). */
  after?: { ts: number; eventId: string } | undefined;
  limit: number;
}

/** A row as D1 returns it: the item ids still JSON text. */
type EventRow = Omit<StoredEvent, 'item_ids'> & { item_ids: string };

function fromRow(r: EventRow): StoredEvent {
  return { ...r, item_ids: JSON.parse(r.item_ids) as string[] };
}

/** Reads events of a seller, oldest first; `next` continues the listing (null at the end). */
export async function listEvents(db: D1Database, seller: string, q: EventQuery): Promise<{ events: StoredEvent[]; next: string | null }> {
  const where = ['seller = ?'];
  const args: (string | number)[] = [seller];
  const add = (clause: string, ...values: (string | number)[]) => {
    where.push(clause);
    args.push(...values);
  };
  if (q.visitor !== undefined) add('visitor_id = ?', q.visitor);
  if (q.customer !== undefined) add('customer_id = ?', q.customer);
  if (q.type !== undefined) add('type = ?', q.type);
  if (q.experiment !== undefined) add('experiment_id = ?', q.experiment);
  if (q.since !== undefined) add('ts >= ?', q.since);
  if (q.after !== undefined) add('(ts > ? OR (ts = ? AND event_id > ?))', q.after.ts, q.after.ts, q.after.eventId);
  const sql = `SELECT ${COLUMNS.filter((c) => c !== 'item_count').join(', ')} FROM events WHERE ${where.join(' AND ')} ORDER BY ts, event_id LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...args, q.limit + 1)
    .all<EventRow>();
  const page = results.slice(0, q.limit).map(fromRow);
  const last = page[page.length - 1];
  return { events: page, next: results.length > q.limit && last !== undefined ? `${last.ts}:${last.event_id}` : null };
}

/** Parses a listing cursor `ts:event_id`; null when malformed. */
export function parseCursor(text: string): { ts: number; eventId: string } | null {
  const m = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(text);
  return m === null ? null : { ts: Number(m[1]), eventId: m[2] };
}

/**
 * Forgets a customer: records the deletion (later events of theirs are dropped, training
 * leaves them out) and deletes their events and those of the visitor ids they used.
 * Returns the number of events deleted.
 */
export async function deleteCustomerEvents(db: D1Database, seller: string, customer: string, now: number): Promise<number> {
  const [, deleted] = await db.batch([
    db.prepare('INSERT OR REPLACE INTO deleted_customers (seller, customer_id, deleted) VALUES (?, ?, ?)').bind(seller, customer, now),
    db
      .prepare(
        'DELETE FROM events WHERE seller = ?1 AND (customer_id = ?2 OR visitor_id IN ' +
          '(SELECT DISTINCT visitor_id FROM events WHERE seller = ?1 AND customer_id = ?2))',
      )
      .bind(seller, customer),
  ]);
  return deleted.meta.changes ?? 0;
}

/** Customers of a seller who were deleted (the retrain pipeline leaves them out). */
export async function deletedCustomers(db: D1Database, seller: string): Promise<{ customer_id: string; deleted: number }[]> {
  const { results } = await db
    .prepare('SELECT customer_id, deleted FROM deleted_customers WHERE seller = ? ORDER BY deleted')
    .bind(seller)
    .all<{ customer_id: string; deleted: number }>();
  return results;
}
