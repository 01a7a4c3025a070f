import type { EventsMessage, StoredEvent } from './event.js';
import { insertEvents } from './store.js';

/** Where the consumer reports what it did; one JSON line per batch by default. */
type ConsumerLog = (event: Record<string, unknown>) => void;

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
 * The queue consumer: writes every event of the batch to D1 in a few statements. The
 * write is idempotent on `event_id`, so when D1 fails the whole batch is retried (the
 * queue redelivers it) without any risk of double counting. A message that is not an
 * events message (it cannot come from this worker) is logged and dropped, so it cannot
 * block the queue.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, db: D1Database, log: ConsumerLog): Promise<void> {
  const events: StoredEvent[] = [];
  for (const message of batch.messages) {
    if (isEventsMessage(message.body)) events.push(...message.body.events);
    else log({ event: 'events_message_dropped', queue: batch.queue, id: message.id });
  }
  try {
    const inserted = await insertEvents(db, events);
    log({ event: 'events_written', queue: batch.queue, messages: batch.messages.length, events: events.length, inserted });
    batch.ackAll();
  } catch (err) {
    log({ event: 'events_write_failed', queue: batch.queue, messages: batch.messages.length, error: err instanceof Error ? err.message : String(err) });
    batch.retryAll({ delaySeconds: 5 });
  }
}
