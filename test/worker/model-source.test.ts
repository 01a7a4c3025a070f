import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerHash, decodeCustomerShard, encodeCustomerShard, shardOf, shardWithout, type ShardEntry } from '../../core/format/customer-shard.js';
import { modelStorage, type ActivePointer } from '../../core/storage/pointer.js';
import { KvR2Source } from '../../functions/models/kv-r2-source.js';
import { MemorySource } from '../../functions/models/memory-source.js';
import type { ModelSource } from '../../functions/models/model-source.js';
import { fixtures, fromBase64, pointerOf, recordOf, seedLegacySeller, seedModels, SELLERS } from './helpers.js';

/** Two ids with the same xxh32, found once by a birthday search over `c<n>` (checked below). */
const COLLIDING = ['c6060', 'c820911'] as const;
/** A seller whose shards the tests below write by hand. */
const HAND = 'shop-hand';

const record = (i: number) => Uint8Array.of(0x50, i, i, i);

/** A pointer to version `version` of HAND with `count` shards. */
function handPointer(version: string, count: number): ActivePointer {
  return {
    version,
    model: 'lightfm',
    artifact: modelStorage.artifact(HAND, version),
    sha256: '0'.repeat(64),
    items: 0,
    customers: 0,
    published: '',
    previous: null,
    customerShards: { count, format: 1 },
  };
}

/** The ids `c0`, `c1`, … that fall in shard 0 of 2, `n` of them. */
function idsOfShard0(n: number): string[] {
  const out: string[] = [];
  for (let u = 0; out.length < n; u++) if (shardOf(customerHash(`c${u}`), 2) === 0) out.push(`c${u}`);
  return out;
}

interface Maker {
  source: () => ModelSource;
  /** Writes an object where the source reads it. */
  put: (key: string, bytes: Uint8Array) => Promise<void>;
  /** How many object reads the source made (R2 gets, or reads of the map). */
  reads: () => number;
}

/** One suite, run against every ModelSource implementation. */
function describeSource(name: string, make: Maker): void {
  describe(`ModelSource: ${name}`, () => {
    const seller = SELLERS.lightfm;

    it("reads a slot's pointer, the older active pointer, and a slot named by type from the older type pointer; null where there is none", async () => {
      const source = make.source();
      expect(await source.pointer(seller, 'lightfm')).toMatchObject(pointerOf(seller));
      expect(await source.pointer(seller)).toBeNull();
      expect(await source.pointer(seller, 'warp')).toBeNull();
      expect(await source.pointer('nobody', 'lightfm')).toBeNull();
      const legacy = await source.pointer('shop-legacy');
      expect(legacy?.version).toBe(pointerOf(seller).version);
      // Before the slots, the type pointer named the latest version of a type: the slot of that name.
      expect(await source.pointer('shop-legacy', 'lightfm')).toEqual(legacy);
      expect(await source.pointer('shop-legacy', 'item-knn')).toBeNull();
    });

    it('reads the serving configuration and the slots listing', async () => {
      const source = make.source();
      expect((await source.serving(seller))?.config.surfaces).toEqual({
        basket: { slot: 'lightfm', fallback: null },
        similar: { slot: 'lightfm', fallback: null },
        'for-you': { slot: 'lightfm', fallback: null },
      });
      expect(await source.serving('shop-legacy')).toBeNull();
      const mine = await source.slots(seller);
      expect([...mine.pointers.keys()]).toEqual(['lightfm']);
      expect(mine.entries.map((e) => e.version)).toEqual([pointerOf(seller).version]);
      // The seller of before the slots: its version list and type pointer.
      const old = await source.slots('shop-legacy');
      expect(old.pointers.size).toBe(0);
      expect(old.legacyEntries.map((e) => [e.slot, e.version])).toEqual([['lightfm', pointerOf(seller).version]]);
      expect([...old.legacyTypePointers.keys()]).toEqual(['lightfm']);
      expect(old.problems).toEqual([]);
    });

    it('throws for a malformed pointer, naming the field', async () => {
      await expect(make.source().pointer('shop-badpointer')).rejects.toThrow(/sha256/);
      await expect(make.source().pointer('shop-badshards')).rejects.toThrow(/customerShards.count 3; it must be a power of two/);
    });

    it('reads artifacts by key, null when missing', async () => {
      const source = make.source();
      const key = pointerOf(seller).artifact;
      const bytes = await source.artifact(key);
      expect(bytes).toEqual(fromBase64(fixtures.objects.find(([k]) => k === key)![1]));
      expect(bytes!.byteOffset % 8).toBe(0);
      expect(await source.artifact(`sellers/${seller}/models/nope/artifact.bin`)).toBeNull();
    });

    it('reads per-customer records from the shards, null for unknown customers and ids too long to store', async () => {
      const source = make.source();
      const pointer = pointerOf(seller);
      for (const c of ['c0', 'c3', 'c21', 'c39']) expect(await source.userRecord(seller, pointer, c)).toEqual(recordOf(seller, c));
      expect(await source.userRecord(seller, pointer, 'stranger')).toBeNull();
      expect(await source.userRecord(seller, pointer, '☕'.repeat(400))).toBeNull();
      expect(await source.userRecord(seller, pointer, '')).toBeNull();
    });

    it('reads the records of a version published before the shards from KV', async () => {
      const source = make.source();
      const legacy = (await source.pointer('shop-legacy'))!;
      expect(legacy.customerShards).toBeUndefined();
      expect(await source.userRecord('shop-legacy', legacy, 'c3')).toEqual(recordOf(seller, 'c3'));
      expect(await source.userRecord('shop-legacy', legacy, 'stranger')).toBeNull();
    });

    it('tells apart two customers with the same hash: the one not published is unknown', async () => {
      const [a, b] = COLLIDING;
      expect(customerHash(a)).toBe(customerHash(b));
      const p = handPointer('v-collide', 1);
      await make.put(modelStorage.customerShard(HAND, p.version, 0), encodeCustomerShard(0, 1, [{ id: a, record: record(1) }]));
      const source = make.source();
      expect(await source.userRecord(HAND, p, a)).toEqual(record(1));
      expect(await source.userRecord(HAND, p, b)).toBeNull();
      // Both published: each gets their own.
      const q = handPointer('v-collide-both', 1);
      await make.put(
        modelStorage.customerShard(HAND, q.version, 0),
        encodeCustomerShard(0, 1, [
          { id: b, record: record(2) },
          { id: a, record: record(1) },
        ]),
      );
      expect(await source.userRecord(HAND, q, b)).toEqual(record(2));
      expect(await source.userRecord(HAND, q, a)).toEqual(record(1));
    });

    it('reads a shard’s header and index once, then one range per customer; a kept record costs no read', async () => {
      const ids = idsOfShard0(20);
      const p = handPointer('v-reads', 2);
      await make.put(
        modelStorage.customerShard(HAND, p.version, 0),
        encodeCustomerShard(
          0,
          2,
          ids.map((id, i) => ({ id, record: record(i) })),
        ),
      );
      const source = make.source();
      const before = make.reads();
      expect(await source.userRecord(HAND, p, ids[3])).toEqual(record(3));
      expect(make.reads() - before).toBe(2); // the header and index, the entry
      expect(await source.userRecord(HAND, p, ids[4])).toEqual(record(4));
      expect(make.reads() - before).toBe(3); // the entry only
      expect(await source.userRecord(HAND, p, ids[3])).toEqual(record(3));
      expect(await source.userRecord(HAND, p, 'stranger-in-no-index')).toBeNull();
      expect(make.reads() - before).toBe(3 + (shardOf(customerHash('stranger-in-no-index'), 2) === 0 ? 0 : 1));
    });

    it('notices a shard rewritten under its cached index: right bytes for the others, null for the removed customer', async () => {
      const ids = idsOfShard0(30);
      const entries: ShardEntry[] = ids.map((id, i) => ({ id, record: record(i) }));
      const p = handPointer('v-stale', 2);
      const key = modelStorage.customerShard(HAND, p.version, 0);
      const original = encodeCustomerShard(0, 2, entries);
      await make.put(key, original);
      const source = make.source();
      // The index is kept now; then the first entry in index order goes, and every offset after it moves.
      const decoded = decodeCustomerShard(original);
      const firstId = ids.find((id) => decoded.index.find(customerHash(id))[0] === 0)!;
      const kept = ids.find((id) => id !== firstId)!;
      expect(await source.userRecord(HAND, p, kept)).toEqual(record(ids.indexOf(kept)));
      await make.put(key, shardWithout(decoded, firstId)!);
      for (const [i, id] of ids.entries()) {
        if (id === kept) continue;
        expect(await source.userRecord(HAND, p, id), id).toEqual(id === firstId ? null : record(i));
      }
    });

    it('keeps a record it read until told to forget the customer (the DELETE route does)', async () => {
      const ids = idsOfShard0(5);
      const p = handPointer('v-forget', 2);
      const key = modelStorage.customerShard(HAND, p.version, 0);
      const shard = encodeCustomerShard(
        0,
        2,
        ids.map((id, i) => ({ id, record: record(i) })),
      );
      await make.put(key, shard);
      const source = make.source();
      expect(await source.userRecord(HAND, p, ids[2])).toEqual(record(2));
      await make.put(key, shardWithout(decodeCustomerShard(shard), ids[2])!);
      // Kept in this isolate (up to 300 s), until forgotten.
      expect(await source.userRecord(HAND, p, ids[2])).toEqual(record(2));
      source.forgetCustomer(HAND, ids[2]);
      expect(await source.userRecord(HAND, p, ids[2])).toBeNull();
      expect(await source.userRecord(HAND, p, ids[1])).toEqual(record(1));
    });

    it('a missing shard has no records', async () => {
      expect(await make.source().userRecord(HAND, handPointer('v-nothing', 4), 'c1')).toBeNull();
    });
  });
}

const badPointer = JSON.stringify({ version: 'v1', model: 'lightfm', artifact: 'sellers/shop-badpointer/models/v1/artifact.bin', sha256: 'abc' });
const badShards = JSON.stringify({
  version: 'v1',
  model: 'lightfm',
  artifact: 'sellers/shop-badshards/models/v1/artifact.bin',
  sha256: '0'.repeat(64),
  customerShards: { count: 3, format: 1 },
});

// The memory source reads Maps in the same layout, filled from the fixtures and from what seedLegacySeller wrote.
const values = new Map(fixtures.values);
const objects = new Map(fixtures.objects.map(([k, v]) => [k, fromBase64(v)]));

beforeAll(async () => {
  await seedModels();
  await seedLegacySeller(SELLERS.lightfm, 'shop-legacy');
  await env.KV.put('sellers/shop-badpointer/active', badPointer);
  await env.KV.put('sellers/shop-badshards/active', badShards);
  for (const { name } of (await env.KV.list({ prefix: 'sellers/shop-' })).keys) values.set(name, (await env.KV.get(name))!);
  const legacy = JSON.parse((await env.KV.get('sellers/shop-legacy/active'))!) as ActivePointer;
  objects.set(legacy.artifact, new Uint8Array(await (await env.MODELS.get(legacy.artifact))!.arrayBuffer()));
});

let r2Reads = 0;
/** The bucket, counting reads. */
const countingBucket = new Proxy(env.MODELS, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (prop !== 'get' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
    return (...args: Parameters<R2Bucket['get']>) => {
      r2Reads++;
      return target.get(...args);
    };
  },
});

describeSource('KV and R2', {
  source: () => new KvR2Source(env.KV, countingBucket, { cacheTtl: 60 }),
  put: async (key, bytes) => {
    await env.MODELS.put(key, bytes);
  },
  reads: () => r2Reads,
});

let memoryReads = 0;
const countingObjects = new Proxy(objects, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (prop === 'get') {
      return (key: string) => {
        if (key.includes('/customers/')) memoryReads++;
        return target.get(key);
      };
    }
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
describeSource('memory', {
  source: () => new MemorySource(values, countingObjects),
  put: async (key, bytes) => {
    objects.set(key, bytes.slice());
  },
  reads: () => memoryReads,
});
