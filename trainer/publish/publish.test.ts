import { describe, expect, it } from 'vitest';
import { customerHash, decodeCustomerShard, recordInShard, shardEntries, shardOf, shardWithout } from '../../core/format/customer-shard.js';
import { decodeArtifact } from '../../core/format/decode.js';
import type { ActivePointer } from '../../core/storage/pointer.js';
import type { VersionEntry } from '../../core/storage/slots.js';
import { encodeArtifact } from '../artifact/encode.js';
import { keys, publish, readPublishedRecords, type CustomerRecordInput } from './publish.js';
import { readSlots, rollback, setServing, slotEntries, slotPointer } from './slots.js';
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

/** A slot's pointer and versions (oldest first). */
async function slotOf(store: MemoryStore, seller: string, slot: string): Promise<{ active: ActivePointer | null; versions: VersionEntry[] }> {
  return { active: await slotPointer(store, seller, slot), versions: await slotEntries(store, seller, slot) };
}

const shardKeysOf = (store: MemoryStore, version: string) => [...store.objects.keys()].filter((k) => k.includes(`/models/${version}/customers/`)).sort();

describe('publish, versions, rollback', () => {
  it('uploads, verifies and makes the version current in its slot (default: the model type); the records go into shards, none into KV', async () => {
    const store = new MemoryStore();
    const first = await publish(store, { seller: 's1', artifact: artifact(1), customers, now: at(0) });
    expect(first.slot).toBe('popularity');
    expect(first.pointer.previous).toBeNull();
    expect(first.pointer.slot).toBe('popularity');
    expect(first.pointer.version).toMatch(/^20261127T060000Z-popularity-[0-9a-f]{8}$/);
    expect(first.pointer.customerShards).toEqual({ count: 1, format: 1 });
    expect(decodeArtifact(store.objects.get(first.pointer.artifact)!).itemCount).toBe(3);
    expect(shardKeysOf(store, first.pointer.version)).toEqual([`sellers/s1/models/${first.pointer.version}/customers/0000.bin`]);
    expect(storedRecord(store, 's1', first.pointer, 'c2')).toEqual(record(2));
    expect([...store.values.keys()].some((k) => k.includes('/users/'))).toBe(false);
    expect(store.objects.has(keys.customers('s1', first.pointer.version))).toBe(false);
    // Nothing served yet: the slot serves every surface a popularity model serves.
    expect(first.served).toEqual(['basket', 'similar', 'for-you']);
    expect(first.warnings).toEqual([]);
    const second = await publish(store, { seller: 's1', artifact: artifact(2), now: at(1) });
    expect(second.pointer.previous).toBe(first.pointer.version);
    expect(second.served).toEqual([]);
    // No records and an artifact without them: no shards at all.
    expect(second.pointer.customerShards).toBeUndefined();
    const { active, versions } = await slotOf(store, 's1', 'popularity');
    expect(active?.version).toBe(second.pointer.version);
    expect(versions.map((v) => v.version)).toEqual([first.pointer.version, second.pointer.version]);
    expect(versions[0].customerShards).toEqual({ count: 1, format: 1 });
    // Nothing of the layout before the slots is written.
    expect(store.values.has(keys.active('s1'))).toBe(false);
    expect(store.values.has(keys.legacyVersions('s1'))).toBe(false);
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

  it('keeps each slot apart: its own versions, pointer and pruning; the same artifact in two slots makes two versions', async () => {
    const store = new MemoryStore();
    const a = await publish(store, { seller: 's1', slot: 'warp', artifact: artifact(1), customers, now: at(0) });
    const b = await publish(store, { seller: 's1', slot: 'bpr', artifact: artifact(1), customers, now: at(0) });
    expect(a.pointer.version).not.toBe(b.pointer.version);
    expect(b.served).toEqual([]);
    for (let i = 2; i <= 4; i++) await publish(store, { seller: 's1', slot: 'warp', artifact: artifact(i), keep: 2, now: at(i) });
    const { slots } = await readSlots(store, 's1');
    expect(slots.map((s) => [s.slot, s.kind, s.versions.length])).toEqual([
      ['bpr', 'popularity', 1],
      ['warp', 'popularity', 2],
    ]);
    expect(slots[1].serves).toEqual(['basket', 'similar', 'for-you']);
    // warp kept its 2 latest; bpr's only version and its records are untouched.
    expect(store.objects.has(keys.artifact('s1', a.pointer.version))).toBe(false);
    expect(storedRecord(store, 's1', b.pointer, 'c1')).toEqual(record(1));
    await expect(publish(store, { seller: 's1', slot: 'Warp!', artifact: artifact(1) })).rejects.toThrow(/slot "Warp!" is not a valid name/);
    await expect(publish(store, { seller: 's1', slot: 'none', artifact: artifact(1) })).rejects.toThrow(/reserved/);
  });

  it('rollback moves one slot back, to the previous version or a named one, with that version’s shards', async () => {
    const store = new MemoryStore();
    const v1 = (await publish(store, { seller: 's1', slot: 'top', artifact: artifact(1), customers, now: at(0) })).pointer.version;
    const v2 = (await publish(store, { seller: 's1', slot: 'top', artifact: artifact(2), now: at(1) })).pointer.version;
    const v3 = (await publish(store, { seller: 's1', slot: 'top', artifact: artifact(3), now: at(2) })).pointer.version;
    const other = (await publish(store, { seller: 's1', slot: 'other', artifact: artifact(4), now: at(3) })).pointer.version;
    expect((await rollback(store, 's1', { slot: 'top' })).version).toBe(v2);
    expect((await slotPointer(store, 's1', 'top'))?.version).toBe(v2);
    expect((await slotPointer(store, 's1', 'other'))?.version).toBe(other);
    const back = await rollback(store, 's1', { slot: 'top', to: v1 });
    expect(back).toMatchObject({ version: v1, slot: 'top', customerShards: { count: 1, format: 1 } });
    expect(storedRecord(store, 's1', back, 'c1')).toEqual(record(1));
    expect((await rollback(store, 's1', { slot: 'top', to: v3 })).previous).toBe(v1);
    await expect(rollback(store, 's1', { slot: 'top', to: other })).rejects.toThrow(/is not among the versions of s1's slot top/);
    await expect(rollback(store, 's1')).rejects.toThrow(/name the one to roll back with --slot/);
    await expect(rollback(store, 's1', { slot: 'empty' })).rejects.toThrow(/nothing published in slot empty/);
  });

  it('a publish interrupted after the upload leaves the slot as it was; run again, it resumes', async () => {
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
    const { active, versions } = await slotOf(store, 's1', 'popularity');
    expect(active).toEqual(v1);
    expect(versions).toHaveLength(1);
    const markerKeys = await store.listKeys(keys.pendingPrefix('s1'));
    expect(markerKeys).toHaveLength(1);
    const pending = JSON.parse(store.values.get(markerKeys[0])!);
    expect(pending).toMatchObject({ slot: 'popularity', verified: 1, total: 2, customerShards: { count: 1, format: 1 } });
    // Run again (a minute later): the same version is finished, not a new one.
    const again = await publish(store, { ...input, now: at(2) });
    expect(again.pointer.version).toBe(pending.version);
    expect(again.pointer.previous).toBe(v1.version);
    expect(await store.listKeys(keys.pendingPrefix('s1'))).toEqual([]);
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
    expect(lines.at(-1)).toMatch(/3 of 8 customer shards verified\); the slot's version did not change. Run the same publish again/);
    expect((await slotOf(base, 's1', 'popularity')).active).toEqual(v1);
    expect(writes).not.toContain(keys.slot('s1', 'popularity'));
    expect(writes.filter(isShard)).toHaveLength(3);
    const [marker] = await base.listKeys(keys.pendingPrefix('s1'));
    expect(JSON.parse(base.values.get(marker)!)).toMatchObject({ verified: 3, total: 300 });

    budget = Number.POSITIVE_INFINITY;
    const progress: number[] = [];
    const r = await publish(store, { ...input, now: at(5), onProgress: (p) => progress.push(p.shards) });
    const shardWrites = writes.filter(isShard);
    // 3 before the failure, 5 after: no shard was written twice.
    expect(shardWrites).toHaveLength(8);
    expect(new Set(shardWrites).size).toBe(8);
    expect(shardWrites.slice(3)[0]).toBe(keys.customerShard('s1', r.pointer.version, 3));
    expect(progress).toEqual([4, 5, 6, 7, 8]);
    // The pointer moved once, after the last shard and after the version's entry.
    const pointerKey = keys.slot('s1', 'popularity');
    expect(writes.filter((k) => k === pointerKey)).toHaveLength(1);
    expect(writes.lastIndexOf(pointerKey)).toBeGreaterThan(writes.map(isShard).lastIndexOf(true));
    expect(writes.lastIndexOf(pointerKey)).toBeGreaterThan(writes.indexOf(keys.version('s1', 'popularity', r.pointer.version)));
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
    const markers = async () => Promise.all((await base.listKeys(keys.pendingPrefix('s1'))).map(async (k) => JSON.parse((await base.getValue(k))!)));
    expect(await markers()).toMatchObject([{ verified: 2, total: 100 }]);
    // Other records: a new version, beside the pending one.
    const other = await publish(base, { seller: 's1', artifact: artifact(1), customers: all.slice(1), shards: 4, now: at(3) });
    expect(other.pointer.version).toMatch(/^20261127T060300Z-/);
    expect(await markers()).toMatchObject([{ verified: 2, total: 100 }]);
  });

  it('a prune that fails is reported, not undone: the version just made current, its records and entry stay', async () => {
    const base = new MemoryStore();
    const v1 = (await publish(base, { seller: 's1', artifact: artifact(1), customers, now: at(0) })).pointer.version;
    let failures = 0;
    const store = Object.assign(Object.create(base) as MemoryStore, {
      deleteObject: async () => {
        failures++;
        throw new Error('R2: 500 internal error');
      },
    });
    const lines: string[] = [];
    const r = await publish(store, { seller: 's1', artifact: artifact(2), customers, keep: 1, now: at(1), log: (m) => lines.push(m) });
    expect(failures).toBeGreaterThan(0);
    expect(r.pruned).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(
      /is the current one of slot popularity, but pruning old versions failed \(R2: 500 internal error\); the next publish tries again/,
    );
    expect(lines.some((l) => l.startsWith('warning: ') && l.includes('pruning old versions failed'))).toBe(true);
    const { active, versions } = await slotOf(base, 's1', 'popularity');
    expect(active?.version).toBe(r.pointer.version);
    expect(decodeArtifact(base.objects.get(keys.artifact('s1', r.pointer.version))!).itemCount).toBe(3);
    expect(storedRecord(base, 's1', r.pointer, 'c1')).toEqual(record(1));
    // The old version is still listed (its entry goes last), so the next publish prunes it.
    expect(versions.map((v) => v.version)).toEqual([v1, r.pointer.version]);
    const next = await publish(base, { seller: 's1', artifact: artifact(3), keep: 1, now: at(2) });
    expect(next.pruned.sort()).toEqual([v1, r.pointer.version].sort());
    expect(next.warnings).toEqual([]);
  });

  it('a failing serving fill is reported too, and the publish stands', async () => {
    const base = new MemoryStore();
    const store = Object.assign(Object.create(base) as MemoryStore, {
      putValue: async (key: string, value: string) => {
        if (key === keys.serving('s1')) throw new Error('KV: 500');
        await base.putValue(key, value);
      },
    });
    const r = await publish(store, { seller: 's1', artifact: artifact(1), now: at(0) });
    expect(r.served).toEqual([]);
    expect(r.warnings[0]).toMatch(/filling the serving configuration failed \(KV: 500\); it was not undone/);
    expect((await slotPointer(base, 's1', 'popularity'))?.version).toBe(r.pointer.version);
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
    expect((await slotOf(store, 's1', 'popularity')).active).toEqual(v1);
  });

  it('keeps the last N versions of the slot and never prunes its current one; pruned versions take their shards with them', async () => {
    const store = new MemoryStore();
    const published: string[] = [];
    for (let m = 0; m < 4; m++)
      published.push((await publish(store, { seller: 's1', artifact: artifact(m), customers: many(40), shards: 4, now: at(m), keep: 2 })).pointer.version);
    const { versions } = await slotOf(store, 's1', 'popularity');
    expect(versions.map((v) => v.version)).toEqual(published.slice(2));
    for (const gone of published.slice(0, 2)) {
      expect(store.objects.has(keys.artifact('s1', gone))).toBe(false);
      expect(shardKeysOf(store, gone)).toEqual([]);
    }
    expect(store.objects.has(keys.artifact('s1', published[3]))).toBe(true);
    expect(shardKeysOf(store, published[3])).toHaveLength(4);
    // A rollback while the slot is pruned: the version it names now is kept whatever its age.
    let rolledBack = false;
    const racing = Object.assign(Object.create(store) as MemoryStore, {
      deleteObject: async (key: string) => {
        if (!rolledBack) {
          rolledBack = true;
          await rollback(store, 's1', { slot: 'popularity', to: published[3] });
        }
        await store.deleteObject(key);
      },
    });
    const more = await publish(racing, { seller: 's1', artifact: artifact(9), now: at(9), keep: 1 });
    expect(more.pruned).toEqual([published[2]]);
    expect((await slotOf(store, 's1', 'popularity')).versions.map((v) => v.version)).toEqual([published[3], more.pointer.version]);
    expect(store.objects.has(keys.artifact('s1', published[3]))).toBe(true);
  });

  it('two publishes at the same time lose no entry: into one slot, and into two', async () => {
    const store = new MemoryStore();
    // Every read resolves after a turn of the event loop, so the two publishes interleave.
    const turn = () => new Promise((r) => setTimeout(r, 1));
    const slow = Object.assign(Object.create(store) as MemoryStore, {
      getValue: async (k: string) => {
        await turn();
        return store.getValue(k);
      },
      getValues: async (k: string[]) => {
        await turn();
        return store.getValues(k);
      },
      listKeys: async (p: string) => {
        await turn();
        return store.listKeys(p);
      },
    });
    const same = await Promise.all([1, 2].map((i) => publish(slow, { seller: 's1', slot: 'warp', artifact: artifact(i), customers, now: at(0) })));
    const other = await Promise.all([
      publish(slow, { seller: 's1', slot: 'ease', artifact: artifact(3), customers, now: at(1) }),
      publish(slow, { seller: 's1', slot: 'bpr', artifact: artifact(4), customers, now: at(1) }),
    ]);
    const { slots } = await readSlots(store, 's1');
    expect(slots.map((s) => s.slot)).toEqual(['bpr', 'ease', 'warp']);
    const warp = slots.find((s) => s.slot === 'warp')!;
    expect(warp.versions.map((v) => v.version).sort()).toEqual(same.map((r) => r.pointer.version).sort());
    expect(same.map((r) => r.pointer.version)).toContain(warp.current);
    for (const r of [...same, ...other]) {
      expect(storedRecord(store, 's1', r.pointer, 'c2')).toEqual(record(2));
      expect(store.objects.has(r.pointer.artifact)).toBe(true);
    }
    expect(other.map((r) => slots.find((s) => s.slot === r.slot)!.current)).toEqual(other.map((r) => r.pointer.version));
  });

  it('reads a seller published before the slots as slots named by type, moves its version list into slots on the next publish, and prunes none of what its pointers name', async () => {
    const store = new MemoryStore();
    // What a publish before the slots left: artifacts, the version list, the active and type pointers.
    const { createHash } = await import('node:crypto');
    const oldPointer = (version: string, bytes: Uint8Array): ActivePointer => ({
      version,
      model: 'popularity',
      artifact: keys.artifact('s1', version),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      items: 3,
      customers: 0,
      published: '',
      previous: null,
    });
    const olds = ['20261101T000000Z-00000001', '20261102T000000Z-00000002'];
    const pointers = olds.map((v, i) => oldPointer(v, artifact(10 + i)));
    for (let i = 0; i < olds.length; i++) await store.putObject(keys.artifact('s1', olds[i]), artifact(10 + i));
    await store.putValues([
      { key: keys.legacyVersions('s1'), value: JSON.stringify(pointers.map((p) => ({ ...p, bytes: 100 }))) },
      { key: keys.active('s1'), value: JSON.stringify(pointers[0]) },
      { key: keys.activeOfType('s1', 'popularity'), value: JSON.stringify(pointers[1]) },
    ]);
    const before = await readSlots(store, 's1');
    expect(before.slots).toMatchObject([{ slot: 'popularity', kind: 'popularity', current: olds[1], versions: [{ version: olds[0] }, { version: olds[1] }] }]);
    expect(before.legacyActive?.version).toBe(olds[0]);
    // Rolled back the way it always was: no slot yet.
    expect((await rollback(store, 's1', { to: olds[1] })).version).toBe(olds[1]);
    await store.putValue(keys.active('s1'), JSON.stringify(pointers[0]));

    const r = await publish(store, { seller: 's1', artifact: artifact(1), keep: 1, now: at(0) });
    expect(r.pointer.previous).toBe(olds[1]);
    expect(store.values.has(keys.legacyVersions('s1'))).toBe(false);
    // keep 1, but both older versions are named by the older pointers: nothing pruned.
    expect(r.pruned).toEqual([]);
    const after = await readSlots(store, 's1');
    expect(after.slots[0].versions.map((v) => v.version)).toEqual([...olds, r.pointer.version]);
    for (const v of olds) expect(store.objects.has(keys.artifact('s1', v))).toBe(true);
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
      keys.legacyVersions('s1'),
      JSON.stringify([{ version: old, model: 'popularity', sha256: sha, bytes: bytes.length, customers: 2, published: '' }]),
    );
    await publish(store, { seller: 's1', artifact: artifact(1), customers, keep: 1, now: at(1) });
    expect(store.values.has(keys.customer('s1', old, 'c1'))).toBe(false);
    expect(store.objects.has(keys.customers('s1', old))).toBe(false);
    expect(store.objects.has(keys.artifact('s1', old))).toBe(false);
  });

  it('serving rules: refuses an empty slot, a kind that does not serve the surface and a fallback equal to the slot; writes one value', async () => {
    const store = new MemoryStore();
    const knn = encodeArtifact(
      {
        modelType: 'user-knn',
        itemIds: ['a', 'b'],
        meta: {},
      },
      { quantize: 'f32' },
    );
    await publish(store, { seller: 's1', slot: 'lookalike', artifact: knn, now: at(0) });
    await publish(store, { seller: 's1', slot: 'pop', artifact: artifact(1), now: at(0) });
    // The first publish served for-you only (user-knn serves nothing else); the second the rest.
    expect((await readSlots(store, 's1')).serving?.surfaces).toEqual({
      'for-you': { slot: 'lookalike', fallback: null },
      basket: { slot: 'pop', fallback: null },
      similar: { slot: 'pop', fallback: null },
    });
    await expect(setServing(store, 's1', { basket: { slot: 'lookalike', fallback: null } })).rejects.toThrow(
      /basket: slot "lookalike" holds a user-knn model, which does not serve basket \(it serves for-you\)/,
    );
    await expect(setServing(store, 's1', { 'new-items': { slot: 'lookalike', fallback: null } })).rejects.toThrow(/does not serve new-items/);
    await expect(setServing(store, 's1', { similar: { slot: 'pop', fallback: 'ghost' } })).rejects.toThrow(/fallback "ghost" is empty/);
    await expect(setServing(store, 's1', { similar: { slot: 'pop', fallback: 'pop' } })).rejects.toThrow(/the fallback is the slot itself/);
    const config = await setServing(store, 's1', { 'for-you': { slot: 'pop', fallback: 'lookalike' }, basket: null }, at(5));
    expect(config).toEqual({
      surfaces: { 'for-you': { slot: 'pop', fallback: 'lookalike' }, similar: { slot: 'pop', fallback: null } },
      updated: at(5).toISOString(),
    });
    expect(JSON.parse(store.values.get(keys.serving('s1'))!)).toEqual(config);
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
