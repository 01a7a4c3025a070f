import { describe, expect, it } from 'vitest';
import { keyTypeOf, normalizeOrigin, originAllowed, parseKeyRecord, type KeyRecord } from './keys.js';

const record: KeyRecord = {
  id: 'key_0123456789abcdef',
  seller: 'shop1',
  type: 'publishable',
  origins: ['https://shop.example'],
  created: '2026-01-01T00:00:00.000Z',
  revoked: null,
  rps: null,
  burst: null,
};

describe('keys', () => {
  it('tells publishable from secret keys and refuses anything else', () => {
    expect(keyTypeOf(`pk_${'a'.repeat(32)}`)).toBe('publishable');
    expect(keyTypeOf(`sk_${'A-_9'.repeat(8)}`)).toBe('secret');
    for (const bad of ['', 'pk_', `pk_${'a'.repeat(31)}`, `pk_${'a'.repeat(33)}`, `rk_${'a'.repeat(32)}`, `pk_${'a'.repeat(31)}=`, ` pk_${'a'.repeat(32)}`]) {
      expect(keyTypeOf(bad), bad).toBeNull();
    }
  });

  it.each([
    ['https://shop.example', 'https://shop.example'],
    ['https://Shop.Example/', 'https://shop.example'],
    ['http://localhost:8787', 'http://localhost:8787'],
    ['https://shop.example:443', 'https://shop.example'],
    [' * ', '*'],
    ['https://shop.example/path', null],
    ['https://shop.example?x=1', null],
    ['https://user@shop.example', null],
    ['ftp://shop.example', null],
    ['shop.example', null],
    ['null', null],
  ])('normalizeOrigin(%j) = %j', (input, want) => {
    expect(normalizeOrigin(input)).toBe(want);
  });

  it('allows listed origins, or any with *', () => {
    expect(originAllowed(record, 'https://shop.example')).toBe(true);
    expect(originAllowed(record, 'https://evil.example')).toBe(false);
    expect(originAllowed({ ...record, origins: ['*'] }, 'https://evil.example')).toBe(true);
  });

  it('reads a stored record and names the bad field of a damaged one', () => {
    expect(parseKeyRecord(JSON.stringify(record))).toEqual(record);
    expect(parseKeyRecord(JSON.stringify({ ...record, rps: undefined, burst: undefined }))).toEqual(record);
    expect(() => parseKeyRecord('{')).toThrow(/not JSON/);
    expect(() => parseKeyRecord('[]')).toThrow(/not a JSON object/);
    expect(() => parseKeyRecord(JSON.stringify({ ...record, type: 'admin' }))).toThrow(/type/);
    expect(() => parseKeyRecord(JSON.stringify({ ...record, seller: 'a/b' }))).toThrow(/seller/);
    expect(() => parseKeyRecord(JSON.stringify({ ...record, rps: -1 }))).toThrow(/rps/);
    expect(() => parseKeyRecord(JSON.stringify({ ...record, origins: [1] }))).toThrow(/origins/);
  });
});
