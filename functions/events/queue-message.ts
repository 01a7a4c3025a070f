import type { EventsMessage, StoredEvent } from './event.js';

/**
 * Queue messages that always fit. Cloudflare Queues takes at most 128 KB per message, 100
 * messages and 256 KB per `sendBatch`. An intake call is at most 64 KiB of JSON, and its events
 * as stored are at most that plus a fixed overhead each (the seller, `received`, the null
 * fields; spec/edge-api.md, "Events"), so one message holds any call; the events are still
 * packed by their measured size, so that a call that validates is a call that is sent whole,
 * whatever the limits become.
 */

/** Bytes of one message's JSON body at most (128 KB less room for the queue's own envelope). */
export const QUEUE_MESSAGE_BYTES = 120_000;
/** Bytes of one `sendBatch` at most (256 KB less room). */
export const QUEUE_BATCH_BYTES = 240_000;
/** Messages of one `sendBatch` at most. */
export const QUEUE_BATCH_MESSAGES = 100;

const utf8 = new TextEncoder();
const bytes = (value: unknown) => utf8.encode(JSON.stringify(value)).byteLength;

/** The JSON bytes of `{"seller":S,"events":[]}`: what a message costs beyond its events. */
const envelope = (seller: string) => bytes({ seller, events: [] });

/**
 * The events of one call as queue messages of at most `limit` bytes of JSON each, in order.
 * Throws a RangeError when one event alone is larger (the intake's limits make that
 * impossible: see the test beside this file).
 */
export function packMessages(seller: string, events: readonly StoredEvent[], limit = QUEUE_MESSAGE_BYTES): EventsMessage[] {
  const base = envelope(seller);
  const out: EventsMessage[] = [];
  let current: StoredEvent[] = [];
  let size = base;
  for (const e of events) {
    const b = bytes(e);
    if (base + b > limit) throw new RangeError(`event ${e.event_id} is ${b} bytes as stored; a queue message holds at most ${limit - base}`);
    // A comma between events.
    const added = current.length === 0 ? b : b + 1;
    if (size + added > limit) {
      out.push({ seller, events: current });
      current = [];
      size = base;
      size += b;
    } else size += added;
    current.push(e);
  }
  if (current.length > 0) out.push({ seller, events: current });
  return out;
}

/** Messages grouped into `sendBatch` calls within the batch limits. */
export function batchesOf(messages: readonly EventsMessage[]): EventsMessage[][] {
  const out: EventsMessage[][] = [];
  let current: EventsMessage[] = [];
  let size = 0;
  for (const m of messages) {
    const b = bytes(m);
    if (current.length > 0 && (size + b > QUEUE_BATCH_BYTES || current.length >= QUEUE_BATCH_MESSAGES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += b;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Sends a call's events: one `send` when they fit one message (always, within the intake's limits), else `sendBatch`es. */
export async function sendEvents(queue: Queue<EventsMessage>, seller: string, events: readonly StoredEvent[]): Promise<void> {
  const messages = packMessages(seller, events);
  if (messages.length === 1) {
    await queue.send(messages[0], { contentType: 'json' });
    return;
  }
  for (const batch of batchesOf(messages)) await queue.sendBatch(batch.map((body) => ({ body, contentType: 'json' as const })));
}
