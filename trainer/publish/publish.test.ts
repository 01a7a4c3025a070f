import { describe, expect, it } from 'vitest';
import { customerHash, decodeCustomerShard, recordInShard, shardEntries, shardOf, shardWithout } from '../../core/format/customer-shard.js';
import { decodeArtifact } from '../../core/format/decode.js';
import type { ActivePointer } from '../../core/storage/pointer.js';
import { encodeArtifact } from '../artifact/encode.js';
import { keys, publish, readPublishedRecords, readVersions, rollback, type CustomerRecordInput } from './publish.js';
import { deletionsKey } from './shards.js';
import { MemoryStore } from './store.js';

function artifact(seed: number): Uint8Array {
  const itemIds = ['a', 'b', 'c'];
  return encodeArtifact({ modelType: 'popularity', itemIds, popularity: { order: [2, 0, 1], scores: [3 + seed, 2, 1] }, meta: { seed } }, { quantize: 'f32' });
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 6, minute, 0));
const record = (i: number) => Uint8Array.of(i & 0xff, (i + 1) & 0xff, (i + 2) & 0xff, 0xee);
const customers: CustomerRecordInput[] = [
  { customer: 'c1', record: record(1) },
  { customer: 'c2', record: record(2) },
];
const many = (n: number): CustomerRecordInput[] => Array.from({ length: n }, (_, i) => ({ customer: `c${i}`, record: record(i) }));

/** The record of a customer in a published version, read from its shard as the edge would find it. */
function storedRecord(store: MemoryStore, seller: string, pointer: ActivePointer, customer: string): Uint8Array | null {
  const count = pointer.customerShards!.count;
  const k = shardOf(customerHash(customer), count);
  const bytes = store.objects.get(keys.customerShard(seller, pointer.version, k));
  return bytes ? recordInShard(decodeCustomerShard(bytes, { shard: k, shardCount: count }), customer) : null;
}

const shardKeysOf = (store: MemoryStore, version: string) => [...store.objects.keys()].filter((k) => k.includes(`/models/${version}/customers/`)).sort();

describe('publish, versions, rollback', () => {
  it('uploads, verifies and activates; the records go into shards, none into KV; the previous version is remembered', async () => {
    const store = new MemoryStore();
    const first = await publish(store, { seller: 's1', artifact: artifact(1), customers, now: at(0) });
    expect(first.pointer.previous).toBeNull();
    expect(first.pointer.version).toMatch(/^20261127T060000Z-[0-9a-f]{8}$/);
    expect(first.pointer.customerShards).toEqual({ count: 1, format: 1 });
    expect(decodeArtifact(store.objects.get(first.pointer.artifact)!).itemCount).toBe(3);
    expect(shardKeysOf(store, first.pointer.version)).toEqual([`sellers/s1/models/${first.pointer.version}/customers/0000.bin`]);
    expect(storedRecord(store, 's1', first.pointer, 'c2')).toEqual(record(2));
    expect([...store.values.keys()].some((k) => k.includes('/users/'))).toBe(false);
    expect(store.objects.has(keys.customers('s1', first.pointer.version))).toBe(false);
    const second = await publish(store, { seller: 's1', artifact: artifact(2), now: at(1) });
    expect(second.pointer.previous).toBe(first.pointer.version);
    // No records and an artifact without them: no shards at all.
    expect(second.pointer.customerShards).toBeUndefined();
    const { active, versions } = await readVersions(store, 's1');
    expect(active?.version).toBe(second.pointer.version);
    expect(versions.map((v) => v.version)).toEqual([first.pointer.version, second.pointer.version]);
    expect(versions[0].customerShards).toEqual({ count: 1, format: 1 });
  });

  it('spreads the records over the shard count asked for, each customer in the shard of its hash', async () => {
    const store = new MemoryStore();
    const all = many(200);
    const { pointer } = await publish(store, { seller: 's1', artifact: artifact(1), customers: all, shards: 8, now: at(0) });
    expect(pointer.customerShards).toEqual({ count: 8, format: 1 });
    const shardKeys = shardKeysOf(store, pointer.version);
    expect(shardKeys.map((k) => k.slice(-8))).toEqual(['0000.bin', '0001.bin', '0002.bin', '0003.bin', '0004.bin', '0005.bin', '0006.bin', '0007.bin']);
    let total = 0;
    shardKeys.forEach((key, k) => {
      const entries = shardEntries(decodeCustomerShard(store.objects.get(key)!, { shard: k, shardCount: 8 }));
      total += entries.length;
      for (const e of entries) expect(shardOf(customerHash(e.id), 8)).toBe(k);
    });
    expect(total).toBe(200);
    for (const c of all) expect(storedRecord(store, 's1', pointer, c.customer)).toEqual(c.record);
    await expect(publish(store, { seller: 's1', artifact: artifact(2), customers: all, shards: 3 })).rejects.toThrow(/shards must be a power of two/);
  });

  it('keeps a pointer per model type, and never prunes the version a type pointer names', async () => {
    const store = new MemoryStore();
    const knn = encodeArtifact(
      {
        modelType: 'item-knn',
        itemIds: ['a', 'b'],
        neighbours: { indptr: new Int32Array([0, 1, 2]), indices: new Int32Array([1, 0]), data: new Float32Array([0.5, 0.5]) },
        meta: {},
      },
      { quantize: 'f32' },
    );
    const knnVersion = (await publish(store, { seller: 's1', artifact: knn, now: at(0) })).pointer.version;
    for (let i = 1; i <= 3; i++) await publish(store, { seller: 's1', artifact: artifact(i), keep: 2, now: at(i) });
    const { active, versions } = await readVersions(store, 's1');
    expect(active?.model).toBe('popularity');
    expect(JSON.parse(store.values.get(keys.activeOfType('s1', 'item-knn'))!).version).toBe(knnVersion);
    expect(JSON.parse(store.values.get(keys.activeOfType('s1', 'popularity'))!).version).toBe(active?.version);
    // keep 2: the oldest popularity version went, the item-knn one stayed (its type pointer names it).
    expect(versions.map((v) => v.model)).toEqual(['item-knn', 'popularity', 'popularity']);
    expect(store.objects.has(keys.artifact('s1', knnVersion))).toBe(true);
  });

  it('rollback restores the previous pointer, or a named version, with that version’s shards', async () => {
    const store = new MemoryStore();
    const v1 = (await publish(store, { seller: 's1', artifact: artifact(1), customers, now: at(0) })).pointer.version;
    const v2 = (await publish(store, { seller: 's1', artifact: artifact(2), now: at(1) })).pointer.version;
    const v3 = (await publish(store, { seller: 's1', artifact: artifact(3), now: at(2) })).pointer.version;
    expect((await rollback(store, 's1')).version).toBe(v2);
    expect((await readVersions(store, 's1')).active?.version).toBe(v2);
    const back = await rollback(store, 's1', v1);
    expect(back).toMatchObject({ version: v1, customerShards: { count: 1, format: 1 } });
    expect(storedRecord(store, 's1', back, 'c1')).toEqual(record(1));
    expect((await rollback(store, 's1', v3)).previous).toBe(v1);
    await expect(rollback(store, 's1', 'nope')).rejects.toThrow(/version nope is not among/);
  });

  it('a publish interrupted after the upload leaves the old version active; run again, it resumes', async () => {
    const store = new MemoryStore();
    const v1 = (await publish(store, { seller: 's1', artifact: artifact(1), customers, now: at(0) })).pointer;
    const input = { seller: 's1', artifact: artifact(2), customers, now: at(1) };
    await expect(
      publish(store, {
        ...input,
        afterUpload: () => {
          throw new Error('connection lost');
        },
      }),
    ).rejects.toThrow(/connection lost/);
    const { active, versions } = await readVersions(store, 's1');
    expect(active).toEqual(v1);
    expect(versions).toHaveLength(1);
    const pending = JSON.parse(store.values.get(keys.pending('s1'))!);
    expect(pending).toMatchObject([{ verified: 1, total: 2, customerShards: { count: 1, format: 1 } }]);
    // Run again (a minute later): the same version is finished, not a new one.
    const again = await publish(store, { ...input, now: at(2) });
    expect(again.pointer.version).toBe(pending[0].version);
    expect(again.pointer.previous).toBe(v1.version);
    expect(JSON.parse(store.values.get(keys.pending('s1'))!)).toEqual([]);
  });

  it('resumes after a store error without rewriting the verified shards, and moves the pointer only at the end', async () => {
    const all = many(300);
    const base = new MemoryStore();
    const v1 = (await publish(base, { seller: 's1', artifact: artifact(1), now: at(0) })).pointer;
    // Every write, in order; a budget of shard writes after which the store fails.
    const writes: string[] = [];
    let budget = 3;
    const isShard = (k: string) => k.includes('/customers/');
    const store = Object.assign(Object.create(base) as MemoryStore, {
      putObject: async (key: string, bytes: Uint8Array) => {
        if (isShard(key) && budget-- <= 0) throw new Error('R2: 503 Service Unavailable');
        writes.push(key);
        await base.putObject(key, bytes);
      },
      putValues: async (entries: { key: string; value: string }[]) => {
        writes.push(...entries.map((e) => e.key));
        await base.putValues(entries);
      },
      putValue: async (key: string, value: string) => store.putValues([{ key, value }]),
    });
    const input = { seller: 's1', artifact: artifact(2), customers: all, shards: 8, parallel: 1, now: at(1) };
    const lines: string[] = [];
    await expect(publish(store, { ...input, log: (m) => lines.push(m) })).rejects.toThrow(/503/);
    expect(lines.at(-1)).toMatch(/3 of 8 customer shards verified\); the active version did not change. Run the same publish again/);
    expect((await readVersions(base, 's1')).active).toEqual(v1);
    expect(writes).not.toContain(keys.active('s1'));
    expect(writes.filter(isShard)).toHaveLength(3);
    expect(JSON.parse(base.values.get(keys.pending('s1'))!)).toMatchObject([{ verified: 3, total: 300 }]);

    budget = Number.POSITIVE_INFINITY;
    const progress: number[] = [];
    const r = await publish(store, { ...input, now: at(5), onProgress: (p) => progress.push(p.shards) });
    const shardWrites = writes.filter(isShard);
    // 3 before the failure, 5 after: no shard was written twice.
    expect(shardWrites).toHaveLength(8);
    expect(new Set(shardWrites).size).toBe(8);
    expect(shardWrites.slice(3)[0]).toBe(keys.customerShard('s1', r.pointer.version, 3));
    expect(progress).toEqual([4, 5, 6, 7, 8]);
    // The pointer moved once, after the last shard.
    expect(writes.filter((k) => k === keys.active('s1'))).toHaveLength(1);
    expect(writes.lastIndexOf(keys.active('s1'))).toBeGreaterThan(writes.map(isShard).lastIndexOf(true));
    expect(r.pointer.version.startsWith('20261127T060100Z-')).toBe(true);
    for (const c of all) expect(storedRecord(base, 's1', r.pointer, c.customer)).toEqual(c.record);
  });

  it('does not resume a publish of other inputs, and a shard that reads back wrong is not counted as verified', async () => {
    const base = new MemoryStore();
    const all = many(100);
    const flaky = Object.assign(Object.create(base) as MemoryStore, {
      getObject: async (key: string) => {
        const bytes = await base.getObject(key);
        if (bytes && key.endsWith('/customers/0002.bin')) bytes[bytes.length - 1] ^= 1;
        return bytes;
      },
    });
    const first = publish(flaky, { seller: 's1', artifact: artifact(1), customers: all, shards: 4, parallel: 1, now: at(0) });
    await expect(first).rejects.toThrow(/verification failed: sellers\/s1\/models\/.*\/customers\/0002.bin reads back different bytes/);
    expect(JSON.parse(base.values.get(keys.pending('s1'))!)).toMatchObject([{ verified: 2, total: 100 }]);
    // Other records: a new version, beside the pending one.
    const other = await publish(base, { seller: 's1', artifact: artifact(1), customers: all.slice(1), shards: 4, now: at(3) });
    expect(other.pointer.version).toMatch(/^20261127T060300Z-/);
    expect(JSON.parse(base.values.get(keys.pending('s1'))!)).toMatchObject([{ verified: 2, total: 100 }]);
  });

  it('a failing prune only warns: the version just activated stays', async () => {
    const base = new MemoryStore();
    await publish(base, { seller: 's1', artifact: artifact(1), customers, now: at(0) });
    const store = Object.assign(Object.create(base) as MemoryStore, {
      deleteObject: async () => {
        throw new Error('R2: 500 internal error');
      },
      deleteValues: async () => {
        throw new Error('KV: 500 internal error');
      },
    });
    const lines: string[] = [];
    const r = await publish(store, { seller: 's1', artifact: artifact(2), customers, keep: 1, now: at(1), log: (m) => lines.push(m) });
    expect(lines.some((l) => /warning: version .* is active, but removing old versions failed \(.*internal error\)/.test(l))).toBe(true);
    expect((await readVersions(base, 's1')).active?.version).toBe(r.pointer.version);
    expect(decodeArtifact(base.objects.get(keys.artifact('s1', r.pointer.version))!).itemCount).toBe(3);
    expect(storedRecord(base, 's1', r.pointer, 'c1')).toEqual(record(1));
  });

  it('a damaged upload fails verification and changes nothing', async () => {
    const store = new MemoryStore();
    const v1 = (await publish(store, { seller: 's1', artifact: artifact(1), now: at(0) })).pointer;
    const flaky = Object.assign(Object.create(store) as MemoryStore, {
      getObject: async (key: string) => {
        const bytes = await store.getObject(key);
        if (bytes && key.endsWith('artifact.bin')) bytes[bytes.length - 1] ^= 1;
        return bytes;
      },
    });
    await expect(publish(flaky, { seller: 's1', artifact: artifact(2), now: at(1) })).rejects.toThrow(/verification failed/);
    expect((await readVersions(store, 's1')).active).toEqual(v1);
  });

  it('keeps the last N versions and never prunes the active one; pruned versions take their shards with them', async () => {
    const store = new MemoryStore();
    const published: string[] = [];
    for (let m = 0; m < 4; m++)
      published.push((await publish(store, { seller: 's1', artifact: artifact(m), customers: many(40), shards: 4, now: at(m), keep: 2 })).pointer.version);
    const { versions } = await readVersions(store, 's1');
    expect(versions.map((v) => v.version)).toEqual(published.slice(2));
    for (const gone of published.slice(0, 2)) {
      expect(store.objects.has(keys.artifact('s1', gone))).toBe(false);
      expect(shardKeysOf(store, gone)).toEqual([]);
    }
    expect(store.objects.has(keys.artifact('s1', published[3]))).toBe(true);
    expect(shardKeysOf(store, published[3])).toHaveLength(4);
  });

  it('prunes a version of the older per-key KV layout: its records and id list go too', async () => {
    const store = new MemoryStore();
    // What a publish before the shards left: KV records, customers.json, a version entry without customerShards.
    const old = '20261101T000000Z-00000000';
    const bytes = artifact(0);
    await store.putObject(keys.artifact('s1', old), bytes);
    await store.putObject(keys.customers('s1', old), new TextEncoder().encode(JSON.stringify(['c1', 'c2'])));
    await store.putValues([
      { key: keys.customer('s1', old, 'c1'), value: 'AAEC' },
      { key: keys.customer('s1', old, 'c2'), value: 'AwQF' },
    ]);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(bytes).digest('hex');
    await store.putValue(
      keys.versions('s1'),
      JSON.stringify([{ version: old, model: 'popularity', sha256: sha, bytes: bytes.length, customers: 2, published: '' }]),
    );
    await publish(store, { seller: 's1', artifact: artifact(1), customers, keep: 1, now: at(1) });
    expect(store.values.has(keys.customer('s1', old, 'c1'))).toBe(false);
    expect(store.objects.has(keys.customers('s1', old))).toBe(false);
    expect(store.objects.has(keys.artifact('s1', old))).toBe(false);
  });

  it('leaves customers deleted since training out of the shards', async () => {
    const store = new MemoryStore();
    await store.putValue(deletionsKey('s1'), JSON.stringify([{ customer: 'c7', at: at(0).toISOString() }]));
    const { pointer } = await publish(store, { seller: 's1', artifact: artifact(1), customers: many(20), shards: 2, now: at(1) });
    expect(storedRecord(store, 's1', pointer, 'c7')).toBeNull();
    expect(storedRecord(store, 's1', pointer, 'c8')).toEqual(record(8));
    expect(pointer.customers).toBe(19);
  });

  it('takes out customers deleted while it ran, from shards already written or rewritten under it', async () => {
    const base = new MemoryStore();
    const all = many(60);
    const shardOfC = (c: string) => shardOf(customerHash(c), 4);
    // c3 is deleted after its shard was verified; c5 while its shard is on its way (the DELETE route rewrote it).
    const late = 'c3';
    const midway = all.map((c) => c.customer).find((c) => c !== late && shardOfC(c) !== shardOfC(late))!;
    const note = async (customer: string) => {
      const list = JSON.parse((await base.getValue(deletionsKey('s1'))) ?? '[]');
      await base.putValue(deletionsKey('s1'), JSON.stringify([...list, { customer, at: new Date().toISOString() }]));
    };
    let written = 0;
    let rewritten = false;
    const store = Object.assign(Object.create(base) as MemoryStore, {
      putObject: async (key: string, bytes: Uint8Array) => {
        await base.putObject(key, bytes);
        if (!key.includes('/customers/')) return;
        if (++written === 4) await note(late);
        // The DELETE route: the note, then the shard rewritten, between this write and its read-back.
        if (key.endsWith(`/000${shardOfC(midway)}.bin`) && !rewritten) {
          rewritten = true;
          await note(midway);
          await base.putObject(key, shardWithout(decodeCustomerShard(bytes), midway)!);
        }
      },
    });
    const lines: string[] = [];
    const { pointer } = await publish(store, {
      seller: 's1',
      artifact: artifact(1),
      customers: all,
      shards: 4,
      parallel: 1,
      now: at(0),
      log: (m) => lines.push(m),
    });
    expect(storedRecord(base, 's1', pointer, late)).toBeNull();
    expect(storedRecord(base, 's1', pointer, midway)).toBeNull();
    for (const c of all) if (c.customer !== late && c.customer !== midway) expect(storedRecord(base, 's1', pointer, c.customer)).toEqual(c.record);
    expect(pointer.customers).toBe(58);
    expect(lines).toContain('took 1 customer deleted during this publish out of their shards');
  });

  it('refuses a broken artifact, a bad seller id and repeated customers before writing anything', async () => {
    const store = new MemoryStore();
    const bad = artifact(1);
    bad[0] ^= 0xff;
    await expect(publish(store, { seller: 's1', artifact: bad })).rejects.toThrow(/not a PlusOne model artifact/);
    await expect(publish(store, { seller: '../x', artifact: artifact(1) })).rejects.toThrow(/not a valid id/);
    await expect(publish(store, { seller: 's1', artifact: artifact(1), customers: [...customers, customers[0]] })).rejects.toThrow(
      /customer record 3: customer "c1" has two records/,
    );
    await expect(publish(store, { seller: 's1', artifact: artifact(1), customers: [{ customer: '', record: record(0) }] })).rejects.toThrow(
      /ids are 1 to 1024 bytes/,
    );
    expect(store.objects.size + store.values.size).toBe(0);
  });

  it('reads published records back for comparison, from shards or from the older KV layout', async () => {
    const store = new MemoryStore();
    const { pointer } = await publish(store, { seller: 's1', artifact: artifact(1), customers: many(30), shards: 4, now: at(0) });
    const got = await readPublishedRecords(store, 's1', pointer, ['c1', 'c29', 'stranger']);
    expect([...got.keys()].sort()).toEqual(['c1', 'c29']);
    expect(got.get('c29')).toEqual(record(29));
    const old: ActivePointer = { ...pointer, version: 'v-old', customerShards: undefined as never };
    delete old.customerShards;
    await store.putValue(keys.customer('s1', 'v-old', 'c1'), Buffer.from(record(1)).toString('base64'));
    expect(await readPublishedRecords(store, 's1', old, ['c1', 'c2'])).toEqual(new Map([['c1', record(1)]]));
  });
});
