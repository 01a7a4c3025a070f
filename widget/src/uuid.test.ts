import { afterEach, describe, expect, it, vi } from 'vitest';
import { orderEventId, uuid } from './uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is a random version 4 UUID', () => {
    const a = uuid();
    expect(a).toMatch(V4);
    expect(uuid()).not.toBe(a);
  });

  it('builds one from getRandomValues where randomUUID is missing (pages over plain http)', () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: (b: Uint8Array) => real.getRandomValues(b) });
    for (let k = 0; k < 50; k++) expect(uuid()).toMatch(V4);
  });
});

describe('orderEventId', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it("is one id per seller and order, whenever the order is reported, shaped as the intake's UUID", () => {
    const a = orderEventId('shop-1', 'o-1001');
    expect(a).toMatch(UUID);
    expect(orderEventId('shop-1', 'o-1001')).toBe(a);
    expect(orderEventId('shop-1', ' o-1001 ')).toBe(a); // the intake trims order ids
    expect(orderEventId('shop-1', 'o-1002')).not.toBe(a);
    expect(orderEventId('shop-2', 'o-1001')).not.toBe(a);
  });

  it('spreads 20,000 orders over 20,000 ids', () => {
    const ids = new Set(Array.from({ length: 20_000 }, (_, i) => orderEventId('shop', `order-${i}`)));
    expect(ids.size).toBe(20_000);
    for (const id of [...ids].slice(0, 100)) expect(id).toMatch(UUID);
  });
});
