import { describe, expect, it } from 'vitest';
import { xxh32 } from './checksum.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('xxh32', () => {
  // Reference values computed with libxxhash 0.8.1 (XXH32).
  it.each([
    ['', 0x02cc5d05],
    ['a', 0x550d7456],
    ['abc', 0x32d153ff],
    ['0123456789abcdef', 0xc2c45b69],
    ['Nobody inspects the spammish repetition', 0xe2293b2f],
  ])('matches the reference for %j', (text, expected) => {
    expect(xxh32(ascii(text))).toBe(expected);
  });

  it('matches the reference on 771 bytes (stripes, words and a byte tail), with and without a seed', () => {
    const bytes = new Uint8Array(771);
    for (let k = 0; k < 768; k++) bytes[k] = k & 0xff;
    bytes.set(ascii('xyz'), 768);
    expect(xxh32(bytes)).toBe(0xbaa54da9);
    expect(xxh32(bytes, 0x9747b28c)).toBe(0xc71a6583);
    expect(xxh32(ascii('abc'), 1)).toBe(0xaa3da8ff);
  });

  it('reads a subarray at any offset', () => {
    const big = new Uint8Array(40);
    big.set(ascii('Nobody inspects the spammish repetition'), 1);
    expect(xxh32(big.subarray(1, 40))).toBe(0xe2293b2f);
  });

  it('changes when any single bit changes', () => {
    const bytes = new Uint8Array(64).map((_, k) => (k * 37) & 0xff);
    const base = xxh32(bytes);
    for (let k = 0; k < bytes.length * 8; k++) {
      bytes[k >> 3] ^= 1 << (k & 7);
      expect(xxh32(bytes)).not.toBe(base);
      bytes[k >> 3] ^= 1 << (k & 7);
    }
  });
});
