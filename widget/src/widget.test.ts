import { describe, expect, it } from 'vitest';
import type { ScriptOptions } from './options.js';
import { orderEventId } from './uuid.js';
import { createPlusOne } from './widget.js';

/** A widget with no page: its beacons collected, its visitor id kept in memory. */
function widget(): { api: ReturnType<typeof createPlusOne>; sent: { event_id: string; type: string; order_id?: string }[] } {
  const sent: { event_id: string; type: string; order_id?: string }[] = [];
  let id: string | null = null;
  const api = createPlusOne({ api: 'https://edge.test', seller: 'shop-1', key: `pk_${'a'.repeat(32)}`, consentRequired: false } as ScriptOptions, {
    store: { get: () => id, set: (v) => (id = v), remove: () => (id = null) },
    send: (_url, body) => sent.push(...(JSON.parse(body) as { events: (typeof sent)[number][] }).events),
    doNotTrack: false,
  });
  return { api, sent };
}

describe('PlusOne.track', () => {
  it('gives every report of one order the same event id, so the intake stores the order once', () => {
    const { api, sent } = widget();
    api.track('purchase', { item_ids: ['sku1', 'sku2'], order_id: 'o-77', value: 30, currency: 'EUR' });
    api.track('purchase', { item_ids: ['sku1', 'sku2'], order_id: 'o-77', value: 30, currency: 'EUR' });
    api.track('purchase', { item_ids: ['sku3'], order_id: 'o-78' });
    api.track('purchase', { item_ids: ['sku3'] });
    api.track('purchase', { item_ids: ['sku3'] });
    api.flush();
    expect(sent.map((e) => e.type)).toEqual(['purchase', 'purchase', 'purchase', 'purchase', 'purchase']);
    expect(sent[0].event_id).toBe(orderEventId('shop-1', 'o-77'));
    expect(sent[1].event_id).toBe(sent[0].event_id);
    expect(sent[2].event_id).toBe(orderEventId('shop-1', 'o-78'));
    // Without an order id each purchase is its own order: a fresh id each.
    expect(new Set(sent.slice(2).map((e) => e.event_id)).size).toBe(3);
  });
});
