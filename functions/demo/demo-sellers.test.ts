import { describe, expect, it } from 'vitest';
import { parseDemoSellers } from './demo-sellers.js';

const KEY = `pk_${'a'.repeat(32)}`;

describe('parseDemoSellers', () => {
  it('reads the list npm start writes, EUR unless a currency is given', () => {
    const text = JSON.stringify([
      { id: 'tees-and-co', name: 'Tees & Co', publishable_key: KEY },
      { id: 'mugs', name: 'Mugs', publishable_key: KEY, currency: 'USD' },
    ]);
    expect(parseDemoSellers(text)).toEqual([
      { id: 'tees-and-co', name: 'Tees & Co', publishableKey: KEY, currency: 'EUR' },
      { id: 'mugs', name: 'Mugs', publishableKey: KEY, currency: 'USD' },
    ]);
  });

  it.each([
    ['{', /not JSON/],
    ['{"id":"s"}', /must be a JSON array/],
    ['[1]', /demo\/sellers\[0\]\. must be an object/],
    [JSON.stringify([{ id: '../x', name: 'n', publishable_key: KEY }]), /\[0\]\.id must be a seller id/],
    [JSON.stringify([{ id: 's', name: '', publishable_key: KEY }]), /\[0\]\.name/],
    [JSON.stringify([{ id: 's', name: 'n', publishable_key: `sk_${'a'.repeat(32)}` }]), /\[0\]\.publishable_key must be a publishable key/],
    [JSON.stringify([{ id: 's', name: 'n', publishable_key: KEY, currency: 'euro' }]), /\[0\]\.currency/],
  ])('refuses %s, naming the entry and field', (text, message) => {
    expect(() => parseDemoSellers(text)).toThrow(message);
  });
});
