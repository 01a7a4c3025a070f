import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../http/limits.js';
import { parseEventsBody } from './event.js';
import { batchesOf, packMessages, QUEUE_BATCH_BYTES, QUEUE_MESSAGE_BYTES } from './queue-message.js';

const NOW = Date.UTC(2026, 0, 15);
const SELLER = `s${'x'.repeat(63)}`; // the longest seller id
const utf8 = new TextEncoder();
const size = (v: unknown) => utf8.encode(JSON.stringify(v)).byteLength;
const id = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;

/** A body of `n` events whose stored form adds the most to what was sent: short fields in, every null field and a 64-character seller out. */
function leanBody(n: number): string {
  return JSON.stringify({ events: Array.from({ length: n }, (_, i) => ({ event_id: id(i), type: 'impression', visitor_id: 'v', ts: 1e12 + i * 1000 + 0.4 })) });
}

describe('queue messages', () => {
  it('holds any call the intake accepts in one message: the largest stored form of a 64 KiB call is under the limit', () => {
    // Lean events: the most overhead per byte sent.
    const lean = parseEventsBody(leanBody(100), SELLER, 1e12 + 200_000);
    expect(lean.length).toBe(100);
    const leanMessages = packMessages(SELLER, lean);
    expect(leanMessages).toHaveLength(1);
    // Fat events: a body of 64 KiB, every byte a character that is kept as sent.
    const fat = (k: number) => ({
      event_id: id(k),
      type: 'purchase',
      visitor_id: 'v'.repeat(128),
      item_ids: Array.from({ length: 100 }, () => 'é'.repeat(3)),
      ts: NOW,
    });
    let n = 1;
    while (utf8.encode(JSON.stringify({ events: Array.from({ length: n + 1 }, (_, k) => fat(k)) })).byteLength <= MAX_BODY_BYTES) n++;
    const body = JSON.stringify({ events: Array.from({ length: n }, (_, k) => fat(k)) });
    expect(utf8.encode(body).byteLength).toBeLessThanOrEqual(MAX_BODY_BYTES);
    const stored = parseEventsBody(body, SELLER, NOW);
    const messages = packMessages(SELLER, stored);
    expect(messages).toHaveLength(1);
    expect(size(messages[0])).toBeLessThanOrEqual(QUEUE_MESSAGE_BYTES);
    // The bound used in the spec: what a call sends plus 400 bytes per event.
    expect(size(leanMessages[0])).toBeLessThanOrEqual(utf8.encode(leanBody(100)).byteLength + 100 * 400);
    expect(MAX_BODY_BYTES + 100 * 400).toBeLessThanOrEqual(QUEUE_MESSAGE_BYTES);
  });

  it('for random accepted calls, a stored event is at most what was sent for it plus 400 bytes, and the messages fit', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '"', '\\', '\n', '\u0001', '\u2028', ' '), minLength: 1, maxLength: 40 });
    const raw = fc.record({
      type: fc.constantFrom('impression', 'click', 'add_to_cart', 'purchase'),
      visitor_id: text,
      customer_id: fc.option(text, { nil: undefined }),
      rec_id: fc.option(fc.uuid(), { nil: undefined }),
      surface: fc.option(fc.constantFrom('basket', 'similar', 'for-you'), { nil: undefined }),
      item_ids: fc.array(text, { minLength: 1, maxLength: 20 }),
      order_id: fc.option(text, { nil: undefined }),
      value: fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: undefined }),
      ts: fc.oneof(fc.integer({ min: NOW - 86_400_000, max: NOW }), fc.constant(new Date(NOW).toISOString())),
    });
    fc.assert(
      fc.property(fc.array(raw, { minLength: 1, maxLength: 60 }), (list) => {
        const events = list.map((e, i) => ({ ...e, event_id: id(i) }));
        const valid = events.filter((e) => e.visitor_id.trim() !== '' && e.item_ids.every((x) => x.trim() !== ''));
        if (valid.length === 0) return;
        const stored = parseEventsBody(JSON.stringify({ events: valid }), SELLER, NOW);
        stored.forEach((s, i) => expect(size(s)).toBeLessThanOrEqual(size(valid[i]) + 400));
        for (const m of packMessages(SELLER, stored)) expect(size(m)).toBeLessThanOrEqual(QUEUE_MESSAGE_BYTES);
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('packs events into several messages, in order, each within a smaller limit, and batches them within sendBatch limits', () => {
    const stored = parseEventsBody(leanBody(100), 'shop', 1e12 + 200_000);
    const limit = 4000;
    const messages = packMessages('shop', stored, limit);
    expect(messages.length).toBeGreaterThan(3);
    for (const m of messages) {
      expect(size(m)).toBeLessThanOrEqual(limit);
      expect(m.seller).toBe('shop');
    }
    expect(messages.flatMap((m) => m.events)).toEqual(stored);
    const batches = batchesOf(messages);
    expect(batches.flat()).toEqual(messages);
    for (const b of batches) expect(b.reduce((s, m) => s + size(m), 0)).toBeLessThanOrEqual(QUEUE_BATCH_BYTES);
    expect(() => packMessages('shop', stored, 100)).toThrow(/a queue message holds at most/);
  });
});
