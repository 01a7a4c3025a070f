import { describe, expect, it } from 'vitest';
import { Dataset } from '../data/dataset.js';
import { carveValidation, MAX_VALIDATION_QUERIES, validationHoldout, type TrainingLines } from './split.js';

/** Lines of orders: order k of customer c<k % 7> with items, at day k. */
function orderLines(n: number, withTime: boolean): TrainingLines {
  const users: string[] = [];
  const items: string[] = [];
  const times: number[] = [];
  const orderIds: string[] = [];
  for (let k = 0; k < n; k++) {
    for (const item of [`i${k % 5}`, `i${(k + 1) % 5}`]) {
      users.push(`c${k % 7}`);
      items.push(item);
      times.push(Date.UTC(2026, 0, 1) + k * 86_400_000);
      orderIds.push(`o${k}`);
    }
  }
  return { rows: { users, items, weights: null, timestamps: withTime ? Float64Array.from(times) : null, skipped: 0 }, orderIds };
}

describe('carveValidation', () => {
  it('by time: the latest 20% of the orders, whole orders, every one at or after the cut', () => {
    const split = carveValidation(orderLines(50, true), 1);
    expect(split.method).toBe('time');
    expect(split.cut).toBe(new Date(Date.UTC(2026, 0, 1) + 40 * 86_400_000).toISOString());
    expect(new Set(split.validation.orderIds)).toEqual(new Set(Array.from({ length: 10 }, (_, k) => `o${40 + k}`)));
    expect(split.fit.rows.users.length + split.validation.rows.users.length).toBe(100);
    expect(split.validation.rows.timestamps!.every((t) => t >= Date.parse(split.cut!))).toBe(true);
  });

  it('without timestamps: a seeded 20% of the orders, the same for a seed', () => {
    const lines = orderLines(50, false);
    const a = carveValidation(lines, 1);
    expect(a.method).toBe('random-orders');
    expect(new Set(a.validation.orderIds).size).toBe(10);
    expect(carveValidation(lines, 1)).toEqual(a);
    expect(carveValidation(lines, 2).validation.orderIds).not.toEqual(a.validation.orderIds);
  });

  it('interactions without timestamps: about 20% of each customer’s distinct items, at least one kept in', () => {
    const users: string[] = [];
    const items: string[] = [];
    for (let u = 0; u < 200; u++) {
      for (let i = 0; i < 1 + (u % 9); i++) {
        users.push(`u${u}`);
        items.push(`i${(u + i) % 40}`);
      }
    }
    const split = carveValidation({ rows: { users, items, weights: null, timestamps: null, skipped: 0 }, orderIds: null }, 4);
    expect(split.method).toBe('random-positives');
    const kept = new Set(split.fit.rows.users);
    expect(kept.size).toBe(200);
    const share = split.validation.rows.users.length / users.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.25);
    // No pair on both sides.
    const fitPairs = new Set(split.fit.rows.users.map((u, k) => `${u} ${split.fit.rows.items[k]}`));
    split.validation.rows.users.forEach((u, k) => expect(fitPairs.has(`${u} ${split.validation.rows.items[k]}`)).toBe(false));
  });

  it('falls back to the seeded split when every order has the same time', () => {
    const lines = orderLines(20, true);
    lines.rows.timestamps!.fill(Date.UTC(2026, 0, 1));
    expect(carveValidation(lines, 1).method).toBe('random-orders');
  });
});

describe('validationHoldout', () => {
  it('keeps the items and customers the fitted model knows, baskets of 2+ of them, and bounds the queries', () => {
    const split = carveValidation(orderLines(50, true), 1);
    const known = new Dataset();
    // The model knows items i0-i3 and customers c0-c5 only.
    known.fit({ users: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'], items: ['i0', 'i1', 'i2', 'i3'] });
    const h = validationHoldout(split, known, 1);
    for (const b of h.baskets) {
      expect(b.items.length).toBeGreaterThanOrEqual(2);
      for (const i of b.items) expect(['i0', 'i1', 'i2', 'i3']).toContain(i);
    }
    expect(h.baskets.length).toBe(6); // orders 40-49 whose two items are both known (k % 5 in 0..2)
    expect([...h.customers.keys()].every((c) => c !== 'c6')).toBe(true);
    expect(MAX_VALIDATION_QUERIES).toBe(20_000);
    // A bound of 7 queries: 3 baskets of 2 (whole baskets, seeded), and 6 of the customers.
    const small = validationHoldout(split, known, 1, 7);
    expect(small.baskets.length).toBe(3);
    for (const b of small.baskets) expect(h.baskets).toContainEqual(b);
    expect(small.customers.size).toBe(Math.min(h.customers.size, 7));
    expect(validationHoldout(split, known, 1, 7)).toEqual(small);
  });
});
