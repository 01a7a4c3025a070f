import { deadLetterCountsSql, replayDeadLettersSql } from '../../core/storage/events-sql.js';
import { InputError } from '../data/errors.js';
import type { D1Runner } from './d1.js';

/**
 * `plusone events replay`: moves the events of dead letters (queue batches the worker gave up
 * on, kept in D1's `dead_letters` by the dead-letter queue's consumer) into `events`. Each
 * seller's replay takes the letters counted at its start (up to their highest seq; letters
 * stored meanwhile wait for the next replay), inserts them idempotently on (seller, event_id),
 * leaving out deleted customers and their visitor ids, then removes them. Replaying twice, or
 * after an interruption, stores nothing twice.
 */

/** One seller's replay. */
export interface SellerReplay {
  seller: string;
  /** Dead letters replayed (and removed). */
  letters: number;
  /** Of them, events that were not stored yet and now are. */
  new_events: number;
  /** Of them, events stored already (a delivery that got through after all) or of deleted customers: left out. */
  skipped: number;
}

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));

/** Replays the dead letters of `seller` (null: every seller). */
export async function replayDeadLetters(d1: D1Runner, seller: string | null, log: (line: string) => void = () => {}): Promise<SellerReplay[]> {
  let counts: Record<string, unknown>[];
  try {
    [counts = []] = await d1(deadLetterCountsSql(seller));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/no such table: dead_letters/.test(message))
      throw new InputError(
        `D1 has no dead_letters table: apply the migrations first (npx wrangler d1 migrations apply DB --local, or --remote); ${message.slice(0, 160)}`,
      );
    throw err;
  }
  const out: SellerReplay[] = [];
  for (const row of counts) {
    const s = String(row.seller);
    const maxSeq = num(row.max_seq);
    const results = await d1(replayDeadLettersSql(s, maxSeq).join('; '));
    const counted = results[0]?.[0] ?? {};
    const letters = num(counted.letters);
    const fresh = num(counted.new_events);
    out.push({ seller: s, letters, new_events: fresh, skipped: letters - fresh });
    log(`${s}: ${letters} dead letters replayed: ${fresh} new events stored, ${letters - fresh} already stored or of deleted customers`);
  }
  return out;
}
