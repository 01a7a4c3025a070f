import {
  DEAD_LETTER_ROWS_PER_STATEMENT,
  EVENT_COLUMNS,
  EVENT_ROWS_PER_STATEMENT,
  insertDeadLettersSql,
  insertEventsSql,
} from '../../core/storage/events-sql.js';
import type { EventType, StoredEvent } from './event.js';

/**
 * The events table in D1 (migrations/): batched idempotent writes, paged reads, and the
 * deletion of a customer. Plain functions over a `D1Database`.
 */

/** Statements per D1 batch (one transaction each). */
const STATEMENTS_PER_BATCH = 50;

/** One event's values, in {@link EVENT_COLUMNS} order. */
export function eventRow(e: StoredEvent): (string | number | null)[] {
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

/** Runs statements in D1 batches of {@link STATEMENTS_PER_BATCH}; returns the rows each changed. */
async function runBatches(db: D1Database, statements: D1PreparedStatement[]): Promise<number[]> {
  const changes: number[] = [];
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    const results = await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH));
    for (const r of results) changes.push(r.meta.changes ?? 0);
  }
  return changes;
}

/**
 * Writes events, ignoring any whose (seller, event_id) is already stored (so a redelivered
 * queue message or a client's retry changes nothing) and any of a deleted customer or of a
 * visitor id a deleted customer used; the visitor id of an event that carries a deleted
 * customer's id is remembered and that browser's stored events deleted
 * (core/storage/events-sql.ts). Returns the number of rows inserted.
 */
export async function insertEvents(db: D1Database, events: readonly StoredEvent[]): Promise<number> {
  const statements: D1PreparedStatement[] = [];
  const inserts = new Set<D1PreparedStatement>();
  for (let i = 0; i < events.length; i += EVENT_ROWS_PER_STATEMENT) {
    const chunk = events.slice(i, i + EVENT_ROWS_PER_STATEMENT);
    const args = chunk.flatMap(eventRow);
    const sql = insertEventsSql(
      chunk.length,
      chunk.some((e) => e.customer_id !== null),
    );
    for (const text of sql) statements.push(db.prepare(text).bind(...args));
    inserts.add(statements[statements.length - 1]);
  }
  const changes = await runBatches(db, statements);
  return changes.reduce((sum, n, k) => sum + (inserts.has(statements[k]) ? n : 0), 0);
}

/**
 * Stores events of a message the queue gave up on (the dead-letter queue's consumer), until
 * `plusone events replay` moves them into events. Idempotent on (seller, event_id). Returns
 * the number of letters stored.
 */
export async function insertDeadLetters(db: D1Database, events: readonly StoredEvent[], attempts: number, now: number): Promise<number> {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < events.length; i += DEAD_LETTER_ROWS_PER_STATEMENT) {
    const chunk = events.slice(i, i + DEAD_LETTER_ROWS_PER_STATEMENT);
    statements.push(db.prepare(insertDeadLettersSql(chunk.length)).bind(...chunk.flatMap((e) => [...eventRow(e), now, attempts])));
  }
  return (await runBatches(db, statements)).reduce((a, b) => a + b, 0);
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
  const sql = `SELECT ${EVENT_COLUMNS.filter((c) => c !== 'item_count').join(', ')} FROM events WHERE ${where.join(' AND ')} ORDER BY ts, event_id LIMIT ?`;
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
 * Forgets a customer: records the deletion (later events with their customer id are dropped,
 * training leaves them out), remembers the visitor ids they used (later events with those
 * ids are dropped too, with or without a customer id), and deletes their events, those of
 * their visitor ids and their dead letters. Returns the number of events deleted.
 */
export async function deleteCustomerEvents(db: D1Database, seller: string, customer: string, now: number): Promise<number> {
  const results = await db.batch([
    db.prepare('INSERT OR REPLACE INTO deleted_customers (seller, customer_id, deleted) VALUES (?1, ?2, ?3)').bind(seller, customer, now),
    db
      .prepare(
        'INSERT OR IGNORE INTO deleted_visitors (seller, visitor_id, deleted) SELECT DISTINCT seller, visitor_id, ?3 FROM events WHERE seller = ?1 AND customer_id = ?2',
      )
      .bind(seller, customer, now),
    db
      .prepare('DELETE FROM dead_letters WHERE seller = ?1 AND (customer_id = ?2 OR visitor_id IN (SELECT visitor_id FROM deleted_visitors WHERE seller = ?1))')
      .bind(seller, customer),
    db
      .prepare(
        'DELETE FROM events WHERE seller = ?1 AND (customer_id = ?2 OR visitor_id IN ' +
          '(SELECT DISTINCT visitor_id FROM events WHERE seller = ?1 AND customer_id = ?2))',
      )
      .bind(seller, customer),
  ]);
  return results[3].meta.changes ?? 0;
}

/** Customers of a seller who were deleted (the retrain pipeline leaves them out). */
export async function deletedCustomers(db: D1Database, seller: string): Promise<{ customer_id: string; deleted: number }[]> {
  const { results } = await db
    .prepare('SELECT customer_id, deleted FROM deleted_customers WHERE seller = ? ORDER BY deleted')
    .bind(seller)
    .all<{ customer_id: string; deleted: number }>();
  return results;
}
