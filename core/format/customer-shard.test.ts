import { describe, expect, it } from 'vitest';
import {
  customerHash,
  decodeCustomerShard,
  encodeCustomerShard,
  findInShard,
  isShardCount,
  readShardEntry,
  readShardHeader,
  readShardIndex,
  recordInShard,
  shardCountFor,
  shardEntries,
  shardOf,
  shardWithout,
  type ShardEntry,
} from './customer-shard.js';
import { encodeUserRecord } from './user-record.js';
import { formatErrorMessage } from './format-error-message.js';

const COUNT = 4;

/** `n` customers of shard `shard` (of COUNT), each with a real record. */
function entriesOf(shard: number, n: number): ShardEntry[] {
  const out: ShardEntry[] = [];
  for (let u = 0; out.length < n; u++) {
    const id = `customer-${u} ☕`;
    if (shardOf(customerHash(id), COUNT) !== shard) continue;
    out.push({ id, record: encodeUserRecord({ kind: 'top-items', itemTableTag: 7, items: [u % 5, 9], scores: [2, 1] }) });
  }
  return out;
}

/** Two ids with the same xxh32, found once by a birthday search over `c<n>` (the test checks they collide). */
const COLLIDING_IDS = ['c6060', 'c820911'] as const;

describe('customer shards', () => {
  it('round-trips: every entry is found by id, with its record bytes', () => {
    const entries = entriesOf(2, 50);
    const bytes = encodeCustomerShard(2, COUNT, entries);
    const shard = decodeCustomerShard(bytes, { shard: 2, shardCount: COUNT });
    expect(shard.header).toMatchObject({ shard: 2, shardCount: COUNT, entryCount: 50, indexBytes: 600 });
    for (const e of entries) expect(recordInShard(shard, e.id)).toEqual(e.record);
    expect(recordInShard(shard, 'stranger')).toBeNull();
    expect(new Set(shardEntries(shard).map((e) => e.id))).toEqual(new Set(entries.map((e) => e.id)));
  });

  it('gives the same bytes whatever the order of the entries', () => {
    const entries = entriesOf(1, 30);
    expect(encodeCustomerShard(1, COUNT, [...entries].reverse())).toEqual(encodeCustomerShard(1, COUNT, entries));
  });

  it('reads from the header and index alone, then one entry by its range (what the edge does)', () => {
    const entries = entriesOf(0, 20);
    const bytes = encodeCustomerShard(0, COUNT, entries);
    const header = readShardHeader(bytes.subarray(0, 32));
    const index = readShardIndex(bytes.subarray(0, 32 + header.indexBytes), header);
    const wanted = entries[7];
    const [from, to] = index.find(customerHash(wanted.id));
    expect(to - from).toBe(1);
    const entry = readShardEntry(bytes.slice(index.offset(from), index.offset(from) + index.length(from)));
    expect(entry).toEqual({ id: wanted.id, record: wanted.record });
    expect(index.end).toBe(bytes.length);
  });

  it('an empty shard is a header alone', () => {
    const bytes = encodeCustomerShard(3, COUNT, []);
    expect(bytes.length).toBe(32);
    expect(decodeCustomerShard(bytes).index.count).toBe(0);
  });

  it('keeps both customers of a hash collision, told apart by id', () => {
    const [a, b] = COLLIDING_IDS;
    expect(customerHash(a)).toBe(customerHash(b));
    const record = (x: number) => Uint8Array.of(x, x, x);
    const bytes = encodeCustomerShard(0, 1, [
      { id: b, record: record(2) },
      { id: a, record: record(1) },
    ]);
    const shard = decodeCustomerShard(bytes);
    expect(shard.index.find(customerHash(a))).toEqual([0, 2]);
    expect(recordInShard(shard, a)).toEqual(record(1));
    expect(recordInShard(shard, b)).toEqual(record(2));
    // Only one of them published: the other, with the same hash, is unknown.
    expect(recordInShard(decodeCustomerShard(encodeCustomerShard(0, 1, [{ id: a, record: record(1) }])), b)).toBeNull();
  });

  it('rebuilds a shard without a customer: no byte of the id or record is left', () => {
    const entries = entriesOf(1, 10);
    const shard = decodeCustomerShard(encodeCustomerShard(1, COUNT, entries));
    const gone = entries[4];
    const rebuilt = shardWithout(shard, gone.id)!;
    expect(rebuilt).toEqual(
      encodeCustomerShard(
        1,
        COUNT,
        entries.filter((e) => e !== gone),
      ),
    );
    const text = new TextDecoder().decode(rebuilt);
    expect(text.includes(gone.id)).toBe(false);
    const after = decodeCustomerShard(rebuilt);
    expect(findInShard(after, gone.id)).toBe(-1);
    for (const e of entries) if (e !== gone) expect(recordInShard(after, e.id)).toEqual(e.record);
    expect(shardWithout(after, gone.id)).toBeNull();
  });

  it('picks a power-of-two shard count for about 2,048 customers a shard', () => {
    expect([0, 1, 2048, 2049, 500_000, 10_000_000].map(shardCountFor)).toEqual([1, 1, 1, 2, 256, 4096]);
    expect([1, 2, 256, 4096].every(isShardCount)).toBe(true);
    expect([0, 3, 8192, 2.5, '4'].some(isShardCount)).toBe(false);
  });

  it('refuses entries of another shard, repeated ids and bad ids', () => {
    const [e] = entriesOf(2, 1);
    expect(() => encodeCustomerShard(1, COUNT, [e])).toThrow(/belongs to shard 2 of 4, not 1/);
    expect(() => encodeCustomerShard(2, COUNT, [e, { ...e }])).toThrow(/listed twice/);
    expect(() => encodeCustomerShard(0, 1, [{ id: '', record: e.record }])).toThrow(/ids are 1 to 1024 bytes/);
    expect(() => encodeCustomerShard(0, 1, [{ id: 'x'.repeat(1025), record: e.record }])).toThrow(/ids are 1 to 1024 bytes/);
    expect(() => encodeCustomerShard(0, 3, [])).toThrow(/power of two/);
    expect(() => encodeCustomerShard(4, 4, [])).toThrow(/shard must be an integer from 0 to 3/);
  });

  describe('corrupt input', () => {
    const good = encodeCustomerShard(2, COUNT, entriesOf(2, 5));
    const flipped = (at: number) => {
      const b = good.slice();
      b[at] ^= 1;
      return b;
    };

    it.each([
      ['wrong magic', () => flipped(0), /not a PlusOne customer shard \(magic 0x51314353/],
      ['too short', () => good.slice(0, 2), /only 2 bytes/],
      ['a future version', () => flipped(4), /unsupported customer shard version 0; this reader supports 1/],
      ['a truncated header', () => good.slice(0, 20), /truncated: the customer shard header ends at byte 32/],
      ['a flipped header byte', () => flipped(9), /checksum mismatch in the customer shard header/],
      ['a flipped index byte', () => flipped(40), /checksum mismatch in the customer shard index/],
      ['a truncated index', () => good.slice(0, 50), /truncated: the customer shard index ends at byte 92/],
      ['a truncated body', () => good.slice(0, good.length - 1), /entries end at byte/],
      ['a longer file', () => Uint8Array.from([...good, 0]), /entries end at byte/],
    ])('names %s', (_, make, pattern) => {
      expect(formatErrorMessage(() => decodeCustomerShard(make()))).toMatch(pattern);
    });

    it('refuses a shard under the key of another', () => {
      expect(formatErrorMessage(() => decodeCustomerShard(good, { shard: 1, shardCount: COUNT }))).toMatch(
        /expected customer shard 1 of 4, the object holds shard 2 of 4/,
      );
    });

    it('refuses entries that are not what the index says', () => {
      expect(formatErrorMessage(() => readShardEntry(Uint8Array.of(9, 0, 65)))).toMatch(/says its id has 9 bytes/);
      expect(formatErrorMessage(() => readShardEntry(Uint8Array.of(1, 0, 0xff)))).toMatch(/not UTF-8/);
      expect(formatErrorMessage(() => readShardEntry(Uint8Array.of(0, 0, 1)))).toMatch(/says its id has 0 bytes/);
    });
  });
});
