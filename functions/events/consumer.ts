import type { EventsMessage, StoredEvent } from './event.js';
import { insertDeadLetters, insertEvents } from './store.js';

/** Where the consumers report what they did; one JSON line per batch by default. */
type ConsumerLog = (event: Record<string, unknown>) => void;

/** The dead-letter queue of the events queue (wrangler.toml): its batches go to {@link consumeDeadLetters}. */
export const DEAD_LETTER_QUEUE = 'plusone-events-dead';

function isEventsMessage(body: unknown): body is EventsMessage {
  if (typeof body !== 'object' || body === null) return false;
  const m = body as Partial<EventsMessage>;
  return (
    typeof m.seller === 'string' &&
    Array.isArray(m.events) &&
    m.events.every((e) => typeof e === 'object' && e !== null && typeof (e as StoredEvent).event_id === 'string')
  );
}

/**
 * Seconds before a failed message is delivered again: 5 s doubling to 5 minutes. With the
 * queue's 10 retries a message is given up (to the dead-letter queue) only after D1 failed for
 * about 25 minutes.
 */
export function retryDelay(attempts: number): number {
  return Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));
}

/** The messages of a batch that are events messages; any other (it cannot come from this worker) is logged and acknowledged. */
function eventsMessages(batch: MessageBatch<unknown>, log: ConsumerLog): Message<EventsMessage>[] {
  const out: Message<EventsMessage>[] = [];
  for (const message of batch.messages) {
    if (isEventsMessage(message.body)) out.push(message as Message<EventsMessage>);
    else {
      log({ event: 'events_message_dropped', queue: batch.queue, id: message.id });
      message.ack();
    }
  }
  return out;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The events queue's consumer: writes the batch's events to D1 in a few statements. The write
 * is idempotent on (seller, event_id), so a message delivered again counts nothing twice. When
 * the batch cannot be written, each message is tried alone, so that one that cannot be written
 * does not hold back the others; a message that fails is retried later
 * ({@link retryDelay}) and, after the queue's retries, goes to the dead-letter queue, whose
 * consumer keeps it in D1 for `plusone events replay`. Nothing is acknowledged before D1 has it.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, db: D1Database, log: ConsumerLog): Promise<void> {
  const messages = eventsMessages(batch, log);
  if (messages.length === 0) return;
  const events = messages.flatMap((m) => m.body.events);
  try {
    const inserted = await insertEvents(db, events);
    log({ event: 'events_written', queue: batch.queue, messages: messages.length, events: events.length, inserted });
    for (const m of messages) m.ack();
    return;
  } catch (err) {
    log({ event: 'events_write_failed', queue: batch.queue, messages: messages.length, error: errorText(err) });
    if (messages.length === 1) {
      messages[0].retry({ delaySeconds: retryDelay(messages[0].attempts) });
      return;
    }
  }
  for (const m of messages) {
    try {
      const inserted = await insertEvents(db, m.body.events);
      log({ event: 'events_written', queue: batch.queue, messages: 1, events: m.body.events.length, inserted });
      m.ack();
    } catch (err) {
      log({ event: 'events_write_failed', queue: batch.queue, messages: 1, id: m.id, attempts: m.attempts, error: errorText(err) });
      m.retry({ delaySeconds: retryDelay(m.attempts) });
    }
  }
}

/**
 * The dead-letter queue's consumer: keeps the events of messages the events queue gave up on
 * in D1's `dead_letters` (idempotent on (seller, event_id)) until `plusone events replay`
 * moves them into events. When D1 fails here too, the message is retried later, up to an hour
 * apart (the dead-letter queue's own retries, wrangler.toml).
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, db: D1Database, log: ConsumerLog, now: number): Promise<void> {
  for (const m of eventsMessages(batch, log)) {
    try {
      const stored = await insertDeadLetters(db, m.body.events, m.attempts, now);
      log({ event: 'dead_letters_stored', queue: batch.queue, seller: m.body.seller, events: m.body.events.length, stored });
      m.ack();
    } catch (err) {
      log({ event: 'dead_letters_write_failed', queue: batch.queue, seller: m.body.seller, attempts: m.attempts, error: errorText(err) });
      m.retry({ delaySeconds: Math.min(3600, 60 * 2 ** Math.max(0, m.attempts - 1)) });
    }
  }
}
