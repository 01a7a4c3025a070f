import { describe, expect, it } from 'vitest';
import {
  customerHash,
  decodeCustomerShard,
  encodeCustomerShard,
  readShardHeader,
  readShardIndex,
  shardOf,
  shardWithout,
} from '../../core/format/customer-shard.js';
import { modelStorage } from '../../core/storage/pointer.js';
import { CUSTOMER_CACHE_TTL_MS, CustomerCache, CustomerShardReader, memoryShardObjects, type ShardObjects } from './customer-shards.js';

const SELLER = 's1';
const VERSION = 'v1';
const COUNT = 2;
const record = (i: number) => Uint8Array.of(0x50, i, i);

/** `n` ids of shard `k` of COUNT. */
function idsOf(k: number, n: number): string[] {
  const out: string[] = [];
  for (let u = 0; out.length < n; u++) if (shardOf(customerHash(`c${u}`), COUNT) === k) out.push(`c${u}`);
  return out;
}

/** A seller with both shards written, a clock, and a count of reads. */
function setup(maxBytes = 1 << 20) {
  const objects = new Map<string, Uint8Array>();
  const ids = [idsOf(0, 10), idsOf(1, 10)];
  ids.forEach((list, k) => {
    objects.set(
      modelStorage.customerShard(SELLER, VERSION, k),
      encodeCustomerShard(
        k,
        COUNT,
        list.map((id, i) => ({ id, record: record(10 * k + i) })),
      ),
    );
  });
  const inner = memoryShardObjects(objects);
  const reads = { start: 0, range: 0 };
  const counted: ShardObjects = {
    readStart: (key, need) => {
      reads.start++;
      return inner.readStart(key, need);
    },
    readRange: (key, offset, length, etag) => {
      reads.range++;
      return inner.readRange(key, offset, length, etag);
    },
  };
  let now = 1_000_000;
  const cache = new CustomerCache();
  const reader = new CustomerShardReader(counted, cache, maxBytes, () => now);
  const get = (id: string) => reader.record(SELLER, VERSION, { count: COUNT, format: 1 }, id);
  return { objects, ids, reads, cache, get, advance: (ms: number) => (now += ms) };
}

describe('CustomerShardReader and CustomerCache', () => {
  it('reads an index once for concurrent requests of one shard', async () => {
    const { ids, reads, get } = setup();
    const got = await Promise.all(ids[0].slice(0, 5).map(get));
    expect(got).toEqual([0, 1, 2, 3, 4].map(record));
    expect(reads.start).toBe(1);
    expect(reads.range).toBe(5);
  });

  it('keeps records and indexes at most 300 s: then a deleted customer is gone in this isolate too', async () => {
    const { objects, ids, get, advance } = setup();
    const key = modelStorage.customerShard(SELLER, VERSION, 0);
    expect(await get(ids[0][3])).toEqual(record(3));
    objects.set(key, shardWithout(decodeCustomerShard(objects.get(key)!), ids[0][3])!);
    advance(CUSTOMER_CACHE_TTL_MS - 1);
    expect(await get(ids[0][3])).toEqual(record(3)); // still kept: the bound the spec states
    advance(1);
    expect(await get(ids[0][3])).toBeNull();
  });

  it('stays within its byte bound, dropping the least recently used first', async () => {
    const bytes = encodeCustomerShard(0, 1, [{ id: 'a', record: record(1) }]);
    const index = readShardIndex(bytes, readShardHeader(bytes));
    const cache = new CustomerCache();
    const max = 3 * (96 + 2 * 10 + 3) + 10;
    for (const k of ['record-001', 'record-002', 'record-003']) cache.set(k, { kind: 'record', record: record(1) }, 0, max);
    expect(cache.get('record-001', 'record', 1)).not.toBeNull(); // now the most recent
    cache.set('record-004', { kind: 'record', record: record(1) }, 0, max);
    expect(cache.get('record-002', 'record', 1)).toBeNull();
    expect(cache.get('record-001', 'record', 1)).not.toBeNull();
    expect(cache.bytes).toBeLessThanOrEqual(max);
    // Something larger than the whole bound is not kept at all.
    cache.set('index', { kind: 'index', index, etag: 'e' }, 0, 10);
    expect(cache.get('index', 'index', 1)).toBeNull();
  });

  it('forgets a customer: their records and the index of their shard, nothing else', async () => {
    const { ids, cache, get, reads } = setup();
    await get(ids[0][1]);
    await get(ids[0][2]);
    await get(ids[1][1]);
    const before = cache.bytes;
    cache.forgetCustomer(SELLER, ids[0][1]);
    expect(cache.bytes).toBeLessThan(before);
    const startsBefore = reads.start;
    await get(ids[1][1]); // other shard: index and record still kept
    expect(reads.start).toBe(startsBefore);
    await get(ids[0][2]); // record kept; its shard's index was dropped, but the record needs none
    expect(reads.start).toBe(startsBefore);
    await get(ids[0][1]); // read again: the index first
    expect(reads.start).toBe(startsBefore + 1);
    cache.forgetCustomer('other-seller', ids[0][2]);
    expect(cache.get(`${modelStorage.customerShard(SELLER, VERSION, 0)}\u0000${ids[0][2]}`, 'record', 1_000_001)).not.toBeNull();
  });

  it('with no room (a bound of 0) it reads every time and still answers right', async () => {
    const { ids, reads, get } = setup(0);
    expect(await get(ids[1][4])).toEqual(record(14));
    expect(await get(ids[1][4])).toEqual(record(14));
    expect(reads).toEqual({ start: 2, range: 2 });
  });

  it('names the shard when it is damaged', async () => {
    const { objects, ids, get } = setup();
    const key = modelStorage.customerShard(SELLER, VERSION, 1);
    objects.get(key)![0] ^= 1;
    objects.set(key, objects.get(key)!.slice());
    await expect(get(ids[1][0])).rejects.toThrow(`${key}: not a PlusOne customer shard`);
  });
});
