import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { deadLetterCountsSql, replayDeadLettersSql } from '../../core/storage/events-sql.js';
import { DEAD_LETTER_QUEUE, retryDelay } from '../../functions/events/consumer.js';
import type { EventsMessage, StoredEvent } from '../../functions/events/event.js';
import worker from '../../functions/index.js';
import { migrate } from './helpers.js';

/**
 * The queue consumers, called as the runtime calls them (the worker's `queue` handler with a
 * batch): the events queue's, when D1 fails for some messages or all, and the dead-letter
 * queue's; then the replay's SQL (what `plusone events replay` runs through wrangler).
 */

beforeAll(async () => {
  await migrate();
});

const NOW = Date.now();
let n = 0;
function stored(seller: string, extra: Partial<StoredEvent> = {}): StoredEvent {
  return {
    event_id: crypto.randomUUID(),
    seller,
    type: 'click',
    visitor_id: `v-dl-${n++ % 3}`,
    customer_id: null,
    rec_id: null,
    experiment_id: null,
    variant: null,
    surface: null,
    item_ids: ['sku1'],
    order_id: null,
    value: null,
    currency: null,
    ts: NOW,
    received: NOW,
    ...extra,
  };
}

async function deliver(queue: string, bodies: EventsMessage[], testEnv: Cloudflare.Env = env, attempts = 1) {
  const batch = createMessageBatch<EventsMessage>(
    queue,
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Cloudflare.Env, EventsMessage>)(batch, testEnv, ctx);
  return getQueueResult(batch, ctx);
}

const count = async (sql: string, ...args: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...args)
    .first<{ n: number }>())!.n;

describe('the events queue consumer', () => {
  it('acknowledges a batch once D1 has it; with D1 failing it acknowledges nothing and retries every message later', async () => {
    const ok = await deliver('plusone-events', [{ seller: 'dl-a', events: [stored('dl-a'), stored('dl-a')] }]);
    expect(ok.explicitAcks).toEqual(['m0']);
    expect(await count("SELECT COUNT(*) AS n FROM events WHERE seller = 'dl-a'")).toBe(2);

    const failing = {
      ...env,
      DB: { prepare: env.DB.prepare.bind(env.DB), batch: () => Promise.reject(new Error('D1_ERROR: storage down')) },
    } as unknown as Cloudflare.Env;
    const down = await deliver(
      'plusone-events',
      [
        { seller: 'dl-a', events: [stored('dl-a')] },
        { seller: 'dl-a', events: [stored('dl-a')] },
      ],
      failing,
      3,
    );
    expect(down.explicitAcks).toEqual([]);
    expect(down.ackAll).toBe(false);
    expect(down.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(['m0', 'm1']);
    // Each retried after a delay that grows with its attempts: about 25 minutes in all before the dead-letter queue.
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(retryDelay)).toEqual([5, 10, 20, 40, 80, 160, 300, 300]);
  });

  it('writes the messages it can when one cannot be written, and retries only that one', async () => {
    // A message that cannot be written (no item list: it cannot come from the intake).
    const poison = { ...stored('dl-b'), item_ids: null } as unknown as StoredEvent;
    const r = await deliver('plusone-events', [
      { seller: 'dl-b', events: [stored('dl-b')] },
      { seller: 'dl-b', events: [poison] },
      { seller: 'dl-b', events: [stored('dl-b'), stored('dl-b')] },
    ]);
    expect(r.explicitAcks.sort()).toEqual(['m0', 'm2']);
    expect(r.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(['m1']);
    expect(await count("SELECT COUNT(*) AS n FROM events WHERE seller = 'dl-b'")).toBe(3);
  });
});

describe('dead letters', () => {
  it('are kept in D1 by the dead-letter consumer, and replayed into events once each, leaving out deleted customers', async () => {
    const a = [stored('dl-c'), stored('dl-c'), stored('dl-c', { customer_id: 'gone' })];
    const b = [{ ...a[0], seller: 'dl-d' }]; // the same event id at another seller
    const kept = await deliver(DEAD_LETTER_QUEUE, [
      { seller: 'dl-c', events: a },
      { seller: 'dl-d', events: b },
    ]);
    expect(kept.explicitAcks.sort()).toEqual(['m0', 'm1']);
    // Delivered again (the dead-letter queue's retry): nothing stored twice.
    await deliver(DEAD_LETTER_QUEUE, [{ seller: 'dl-c', events: a }]);
    expect(await count("SELECT COUNT(*) AS n FROM dead_letters WHERE seller IN ('dl-c', 'dl-d')")).toBe(4);
    // One of them got through after all; the customer "gone" was deleted meanwhile.
    await deliver('plusone-events', [{ seller: 'dl-c', events: [a[1]] }]);
    await env.DB.prepare("INSERT INTO deleted_customers (seller, customer_id, deleted) VALUES ('dl-c', 'gone', ?)").bind(NOW).run();

    const replay = async (seller: string) => {
      const counts = (await env.DB.prepare(deadLetterCountsSql(seller)).all<{ seller: string; events: number; max_seq: number }>()).results;
      if (counts.length === 0) return null;
      const [c, insert, remove] = replayDeadLettersSql(seller, counts[0].max_seq);
      const [counted] = await env.DB.batch([env.DB.prepare(c), env.DB.prepare(insert), env.DB.prepare(remove)]);
      return counted.results[0] as { letters: number; new_events: number };
    };
    expect(await replay('dl-c')).toEqual({ letters: 3, new_events: 1 });
    expect(await replay('dl-c')).toBeNull();
    expect(await count("SELECT COUNT(*) AS n FROM events WHERE seller = 'dl-c'")).toBe(2);
    expect(await count("SELECT COUNT(*) AS n FROM events WHERE seller = 'dl-c' AND customer_id = 'gone'")).toBe(0);
    expect(await replay('dl-d')).toEqual({ letters: 1, new_events: 1 });
    expect(await count('SELECT COUNT(*) AS n FROM events WHERE event_id = ?', a[0].event_id)).toBe(2);
    expect(await count("SELECT COUNT(*) AS n FROM dead_letters WHERE seller IN ('dl-c', 'dl-d')")).toBe(0);
  });

  it('retries a dead letter later when D1 fails for the dead-letter consumer too', async () => {
    const failing = {
      ...env,
      DB: { prepare: env.DB.prepare.bind(env.DB), batch: () => Promise.reject(new Error('D1_ERROR: storage down')) },
    } as unknown as Cloudflare.Env;
    const r = await deliver(DEAD_LETTER_QUEUE, [{ seller: 'dl-e', events: [stored('dl-e')] }], failing, 2);
    expect(r.explicitAcks).toEqual([]);
    expect(r.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(['m0']);
  });
});
