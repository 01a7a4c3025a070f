import { describe, expect, it } from 'vitest';
import { linesOfPurchases } from './data.js';

describe('linesOfPurchases', () => {
  it('counts an order id once, from its first event, whatever the event ids; anonymous buyers are visitor:<id>', () => {
    const row = (event_id: string, order_id: string | null, ts: number, extra: Partial<{ customer_id: string; item_ids: string; value: number }> = {}) => ({
      event_id,
      order_id,
      customer_id: extra.customer_id ?? null,
      visitor_id: 'v1',
      item_ids: extra.item_ids ?? '["a","b"]',
      value: extra.value ?? 30,
      ts,
    });
    const lines = linesOfPurchases([
      row('e1', 'o1', 1, { customer_id: 'c1' }),
      row('e2', 'o1', 2, { customer_id: 'c1', item_ids: '["a","b","c"]' }), // the same order again
      row('e3', null, 3),
      row('e4', null, 4),
      row('e5', 'o2', 5, { item_ids: '["d"]', value: 5 }),
    ]);
    expect(lines.map((l) => `${l.order}:${l.customer}:${l.item}:${l.price}`)).toEqual([
      'o1:c1:a:15',
      'o1:c1:b:15',
      'e3:visitor:v1:a:15',
      'e3:visitor:v1:b:15',
      'e4:visitor:v1:a:15',
      'e4:visitor:v1:b:15',
      'o2:visitor:v1:d:5',
    ]);
  });
});
