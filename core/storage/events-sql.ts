/**
 * The D1 events layout (migrations/), shared by the worker (the queue consumers, which write
 * events and dead letters) and the CLI (`plusone events replay`, which moves dead letters back
 * through wrangler). Pure text: no runtime APIs.
 *
 * An event is identified by (seller, event_id). A write never stores an event of a deleted
 * customer (`deleted_customers`) nor of a visitor id a deleted customer used
 * (`deleted_visitors`), and it remembers the visitor id of any event that comes in with a
 * deleted customer's id, so that the same browser's later anonymous events are dropped too.
 */

/** The columns of `events` (and of `dead_letters`, which adds `seq`, `failed`, `attempts`). */
export const EVENT_COLUMNS = [
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

/** D1 binds at most 100 parameters per statement. */
export const D1_MAX_PARAMS = 100;

const cols = EVENT_COLUMNS.join(', ');

/** The rows of a multi-row VALUES list of `rows` events, each with the event columns and `extra` more. */
function values(rows: number, extra: number): string {
  const one = `(${Array.from({ length: EVENT_COLUMNS.length + extra }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => one).join(', ');
}

/** The condition, on a row aliased `n`, that it belongs to no deleted customer and no visitor id of one. */
export const NOT_DELETED =
  '(n.customer_id IS NULL OR NOT EXISTS (SELECT 1 FROM deleted_customers d WHERE d.seller = n.seller AND d.customer_id = n.customer_id)) ' +
  'AND NOT EXISTS (SELECT 1 FROM deleted_visitors v WHERE v.seller = n.seller AND v.visitor_id = n.visitor_id)';

/**
 * The statements that write `rows` events (each bound to the same values, in
 * {@link EVENT_COLUMNS} order), to run in this order in one batch: when `withCustomers` (some
 * of the events carry a customer id), the visitor ids of events that carry a deleted customer's
 * id are remembered and that browser's events already stored are deleted (they came before its
 * customer was known); then the events that belong to no deleted customer or visitor id are
 * inserted, ignoring any whose (seller, event_id) is stored already.
 */
export function insertEventsSql(rows: number, withCustomers: boolean): string[] {
  const n = `WITH n (${cols}) AS (VALUES ${values(rows, 0)}) `;
  const ofDeleted = 'FROM n JOIN deleted_customers d ON d.seller = n.seller AND d.customer_id = n.customer_id';
  // A multi-row VALUES in a CTE, not a UNION: D1 keeps compound SELECTs short.
  const insert = `${n}INSERT OR IGNORE INTO events (${cols}) SELECT * FROM n WHERE ${NOT_DELETED}`;
  if (!withCustomers) return [insert];
  return [
    `${n}INSERT OR IGNORE INTO deleted_visitors (seller, visitor_id, deleted) SELECT n.seller, n.visitor_id, n.received ${ofDeleted}`,
    `${n}DELETE FROM events WHERE (seller, visitor_id) IN (SELECT n.seller, n.visitor_id ${ofDeleted})`,
    insert,
  ];
}

/** Rows of events per insert statement: all their columns bound within D1's limit. */
export const EVENT_ROWS_PER_STATEMENT = Math.floor(D1_MAX_PARAMS / EVENT_COLUMNS.length);

/** Columns of a dead letter beyond the event's. */
export const DEAD_LETTER_EXTRA = ['failed', 'attempts'] as const;

/** Rows of dead letters per insert statement. */
export const DEAD_LETTER_ROWS_PER_STATEMENT = Math.floor(D1_MAX_PARAMS / (EVENT_COLUMNS.length + DEAD_LETTER_EXTRA.length));

/** Stores `rows` dead letters (event columns, then failed and attempts); a letter stored already is left as it is. */
export function insertDeadLettersSql(rows: number): string {
  return `INSERT OR IGNORE INTO dead_letters (${cols}, ${DEAD_LETTER_EXTRA.join(', ')}) VALUES ${values(rows, DEAD_LETTER_EXTRA.length)}`;
}

/** A seller id as a SQL literal; only ids of the seller pattern are accepted (they need no escaping). */
function sellerLiteral(seller: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(seller)) throw new RangeError(`seller "${seller.slice(0, 80)}" is not a valid seller id`);
  return `'${seller}'`;
}

/**
 * The dead letters waiting, per seller: `seller`, `events`, `max_seq` (the replay of a seller
 * takes its letters up to that seq, so letters stored meanwhile wait for the next replay).
 * `seller` null: every seller.
 */
export function deadLetterCountsSql(seller: string | null): string {
  return `SELECT seller, COUNT(*) AS events, MAX(seq) AS max_seq FROM dead_letters${seller === null ? '' : ` WHERE seller = ${sellerLiteral(seller)}`} GROUP BY seller ORDER BY seller`;
}

/**
 * Replays a seller's dead letters up to `maxSeq`, as three statements for one
 * `wrangler d1 execute --command` (or a D1 batch): a count of the letters that will land
 * (columns `letters`, `new_events`: not stored yet, not of a deleted customer or visitor), the
 * insert into events (idempotent on (seller, event_id)), and the removal of the letters.
 * Running them again changes nothing, so a replay interrupted between them is run again.
 */
export function replayDeadLettersSql(seller: string, maxSeq: number): [count: string, insert: string, remove: string] {
  if (!Number.isSafeInteger(maxSeq) || maxSeq < 0) throw new RangeError(`maxSeq must be an integer >= 0, got ${maxSeq}`);
  const where = `n.seller = ${sellerLiteral(seller)} AND n.seq <= ${maxSeq}`;
  return [
    `SELECT COUNT(*) AS letters, COALESCE(SUM(CASE WHEN ${NOT_DELETED} AND NOT EXISTS (SELECT 1 FROM events e WHERE e.seller = n.seller AND e.event_id = n.event_id) THEN 1 ELSE 0 END), 0) AS new_events FROM dead_letters n WHERE ${where}`,
    `INSERT OR IGNORE INTO events (${cols}) SELECT ${cols} FROM dead_letters n WHERE ${where} AND ${NOT_DELETED}`,
    `DELETE FROM dead_letters AS n WHERE ${where}`,
  ];
}

/**
 * The deleted customers of `sellers` (columns `seller`, `id`), and the visitor ids they used as
 * `visitor:<id>`, the customer the retrain pipeline gives an anonymous purchase event: what
 * training leaves out. Fails on a D1 without these tables (the pipeline then refuses to train).
 */
export function deletedIdsSql(sellers: readonly string[]): string {
  const list = sellers.map(sellerLiteral).join(', ');
  return (
    `SELECT seller, customer_id AS id FROM deleted_customers WHERE seller IN (${list}) ` +
    `UNION ALL SELECT seller, 'visitor:' || visitor_id AS id FROM deleted_visitors WHERE seller IN (${list})`
  );
}
