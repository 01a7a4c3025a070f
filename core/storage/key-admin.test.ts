import { describe, expect, it } from 'vitest';
import { base64url, canonicalOrigins, listedKey, newApiKey, recordOf, revokeInIndex } from './key-admin.js';
import { hashKey, KEY_PATTERN, keyTypeOf, parseKeyRecord } from './keys.js';

/** base64url from the platform's base64 (btoa), as a reference. */
const reference = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

describe('key administration', () => {
  it('encodes base64url as the platform’s base64 does, for every length remainder', () => {
    let seed = 7;
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 2147483648) & 255);
      expect(base64url(bytes), `${n} bytes`).toBe(reference(bytes));
    }
    expect(base64url(new Uint8Array([251, 255, 191]))).toBe('-_-_');
  });

  it('makes a well-formed key whose hash names its record, with an entry to list it by', async () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const { key, record, entry } = await newApiKey({ seller: 'shop1', type: 'publishable', origins: ['https://shop.example'], rps: 5, burst: null }, now);
    expect(key).toMatch(KEY_PATTERN);
    expect(keyTypeOf(key)).toBe('publishable');
    expect(record).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{16}$/),
      seller: 'shop1',
      type: 'publishable',
      origins: ['https://shop.example'],
      created: '2026-03-01T10:00:00.000Z',
      revoked: null,
      rps: 5,
      burst: null,
    });
    expect(parseKeyRecord(JSON.stringify(record))).toEqual(record);
    expect(entry.hash).toBe(await hashKey(key));
    expect(entry.hint).toBe(`${key.slice(0, 7)}…`);
    expect(recordOf(entry)).toEqual(record);
    expect(listedKey(entry)).not.toHaveProperty('hash');
    expect(JSON.stringify(listedKey(entry))).not.toContain(key.slice(7));
    // Secret keys list no origins whatever is asked; two keys never repeat.
    const secret = await newApiKey({ seller: 'shop1', type: 'secret', origins: ['*'] });
    expect(secret.key.startsWith('sk_')).toBe(true);
    expect(secret.record.origins).toEqual([]);
    expect(secret.key).not.toBe(key);
    expect(secret.record.id).not.toBe(record.id);
  });

  it('revokes one key of an index, keeps the date of a key revoked before, and says when there is no such key', async () => {
    const a = (await newApiKey({ seller: 's', type: 'secret' })).entry;
    const b = (await newApiKey({ seller: 's', type: 'publishable', origins: ['*'] })).entry;
    const at = new Date('2026-03-02T00:00:00Z');
    const first = revokeInIndex([a, b], b.id, at)!;
    expect(first.already).toBe(false);
    expect(first.index.map((e) => [e.id, e.revoked])).toEqual([
      [a.id, null],
      [b.id, '2026-03-02T00:00:00.000Z'],
    ]);
    expect(first.record).toEqual({ ...recordOf(b), revoked: '2026-03-02T00:00:00.000Z' });
    const again = revokeInIndex(first.index, b.id, new Date('2026-04-01T00:00:00Z'))!;
    expect(again.already).toBe(true);
    expect(again.entry.revoked).toBe('2026-03-02T00:00:00.000Z');
    expect(revokeInIndex([a, b], 'key_0000000000000000')).toBeNull();
  });

  it('puts origins in canonical form, drops repeats and blanks, and names the first that is not an origin', () => {
    expect(canonicalOrigins(['https://Shop.Example/', ' http://localhost:8787 ', '', 'https://shop.example', '*'])).toEqual([
      'https://shop.example',
      'http://localhost:8787',
      '*',
    ]);
    expect(() => canonicalOrigins(['https://shop.example', 'https://shop.example/cart'])).toThrow(/"https:\/\/shop.example\/cart" is not an origin/);
    expect(() => canonicalOrigins(['ftp://x.example'])).toThrow(/is not an origin/);
    expect(() => canonicalOrigins(Array.from({ length: 51 }, (_, i) => `https://s${i}.example`))).toThrow(/51 origins are listed; at most 50/);
  });
});
