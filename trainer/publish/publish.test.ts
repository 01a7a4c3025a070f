import { describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../core/format/decode.js';
import { encodeArtifact } from '../artifact/encode.js';
import { keys, publish, readVersions, rollback } from './publish.js';
import { MemoryStore } from './store.js';

function artifact(seed: number): Uint8Array {
  const itemIds = ['a', 'b', 'c'];
  return encodeArtifact({ modelType: 'popularity', itemIds, popularity: { order: [2, 0, 1], scores: [3 + seed, 2, 1] }, meta: { seed } }, { quantize: 'f32' });
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 6, minute, 0));
const customers = [
  { customer: 'c1', record: 'AAEC' },
  { customer: 'c2', record: 'AwQF' },
];

describe('publish, versions, rollback', () => {
  it('uploads, verifies and activates; the previous version is remembered', async () => {
    const store = new MemoryStore();
    const first = await publish(store, { seller: 's1', artifact: artifact(1), customers, now: at(0) });
    expect(first.pointer.previous).toBeNull();
    expect(first.pointer.version).toMatch(/^20261127T060000Z-[0-9a-f]{8}$/);
    expect(decodeArtifact(store.objects.get(first.pointer.artifact)!).itemCount).toBe(3);
    expect(store.values.get(keys.customer('s1', first.pointer.version, 'c2'))).toBe('AwQF');
    const second = await publish(store, { seller: 's1', artifact: artifact(2), now: at(1) });
    expect(second.pointer.previous).toBe(first.pointer.version);
    const { active, versions } = await readVersions(store, 's1');
    expect(active?.version).toBe(second.pointer.version);
    expect(versions.map((v) => v.version)).toEqual([first.pointer.version, second.pointer.version]);
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

  it('rollback restores the previous pointer, or a named version', async () => {
    const store = new MemoryStore();
    const v1 = (await publish(store, { seller: 's1', artifact: artifact(1), now: at(0) })).pointer.version;
    const v2 = (await publish(store, { seller: 's1', artifact: artifact(2), now: at(1) })).pointer.version;
    const v3 = (await publish(store, { seller: 's1', artifact: artifact(3), now: at(2) })).pointer.version;
    expect((await rollback(store, 's1')).version).toBe(v2);
    expect((await readVersions(store, 's1')).active?.version).toBe(v2);
    expect((await rollback(store, 's1', v1)).version).toBe(v1);
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
    expect(pending).toMatchObject([{ verified: 2, total: 2 }]);
    // Run again (a minute later): the same version is finished, not a new one.
    const again = await publish(store, { ...input, now: at(2) });
    expect(again.pointer.version).toBe(pending[0].version);
    expect(again.pointer.previous).toBe(v1.version);
    expect(JSON.parse(store.values.get(keys.pending('s1'))!)).toEqual([]);
  });

  it('resumes after a store error without rewriting the verified records, and moves the pointer only at the end', async () => {
    const many = Array.from({ length: 55 }, (_, i) => ({ customer: `c${i}`, record: Buffer.from([i, i + 1, i + 2]).toString('base64') }));
    const base = new MemoryStore();
    const v1 = (await publish(base, { seller: 's1', artifact: artifact(1), now: at(0) })).pointer;
    // Every value write, in order; a budget of customer-record writes after which the store fails.
    const writes: string[] = [];
    let budget = 30;
    const store = Object.assign(Object.create(base) as MemoryStore, {
      putValues: async (entries: { key: string; value: string }[]) => {
        const records = entries.filter((e) => e.key.includes('/users/'));
        if (records.length > budget) throw new Error('KV: 503 Service Unavailable');
        budget -= records.length;
        writes.push(...entries.map((e) => e.key));
        await base.putValues(entries);
      },
      putValue: async (key: string, value: string) => store.putValues([{ key, value }]),
    });
    const input = { seller: 's1', artifact: artifact(2), customers: many, chunkSize: 10, parallel: 1, now: at(1) };
    const lines: string[] = [];
    await expect(publish(store, { ...input, log: (m) => lines.push(m) })).rejects.toThrow(/503/);
    expect(lines.at(-1)).toMatch(/30 of 55 customer records verified\); the active version did not change. Run the same publish again/);
    expect((await readVersions(base, 's1')).active).toEqual(v1);
    expect(writes).not.toContain(keys.active('s1'));
    expect(writes.filter((k) => k.includes('/users/'))).toHaveLength(30);

    budget = Number.POSITIVE_INFINITY;
    const progress: number[] = [];
    const r = await publish(store, { ...input, now: at(5), onProgress: (p) => progress.push(p.done) });
    const records = writes.filter((k) => k.includes('/users/'));
    // 30 before the failure, 25 after: no record was written twice.
    expect(records).toHaveLength(55);
    expect(new Set(records).size).toBe(55);
    expect(progress).toEqual([40, 50, 55]);
    // The pointer moved once, after the last record.
    expect(writes.filter((k) => k === keys.active('s1'))).toHaveLength(1);
    expect(writes.lastIndexOf(keys.active('s1'))).toBeGreaterThan(writes.map((k) => k.includes('/users/')).lastIndexOf(true));
    expect(r.pointer.version.startsWith('20261127T060100Z-')).toBe(true);
    for (const c of many) expect(base.values.get(keys.customer('s1', r.pointer.version, c.customer))).toBe(c.record);
  });

  it('does not resume a publish of other inputs, and a record that reads back wrong is not counted as verified', async () => {
    const base = new MemoryStore();
    const many = Array.from({ length: 25 }, (_, i) => ({ customer: `c${i}`, record: `r${i}` }));
    const flaky = Object.assign(Object.create(base) as MemoryStore, {
      getValues: async (ks: string[]) => {
        const got = await base.getValues(ks);
        for (const k of ks) if (k.endsWith('/users/c12')) got.set(k, 'garbled');
        return got;
      },
    });
    const first = publish(flaky, { seller: 's1', artifact: artifact(1), customers: many, chunkSize: 10, parallel: 1, now: at(0) });
    await expect(first).rejects.toThrow(/verification failed: the record of customer c12/);
    expect(JSON.parse(base.values.get(keys.pending('s1'))!)).toMatchObject([{ verified: 10, total: 25 }]);
    // Other records: a new version, beside the pending one.
    const other = await publish(base, { seller: 's1', artifact: artifact(1), customers: many.slice(1), now: at(3) });
    expect(other.pointer.version).toMatch(/^20261127T060300Z-/);
    expect(JSON.parse(base.values.get(keys.pending('s1'))!)).toMatchObject([{ verified: 10, total: 25 }]);
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
    expect(base.values.get(keys.customer('s1', r.pointer.version, 'c1'))).toBe('AAEC');
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

  it('keeps the last N versions and never prunes the active one', async () => {
    const store = new MemoryStore();
    const published: string[] = [];
    for (let m = 0; m < 4; m++) published.push((await publish(store, { seller: 's1', artifact: artifact(m), customers, now: at(m), keep: 2 })).pointer.version);
    const { versions } = await readVersions(store, 's1');
    expect(versions.map((v) => v.version)).toEqual(published.slice(2));
    expect(store.objects.has(keys.artifact('s1', published[0]))).toBe(false);
    expect(store.values.has(keys.customer('s1', published[0], 'c1'))).toBe(false);
    expect(store.objects.has(keys.artifact('s1', published[3]))).toBe(true);
  });

  it('refuses a broken artifact and a bad seller id before touching storage', async () => {
    const store = new MemoryStore();
    const bad = artifact(1);
    bad[0] ^= 0xff;
    await expect(publish(store, { seller: 's1', artifact: bad })).rejects.toThrow(/not a PlusOne model artifact/);
    await expect(publish(store, { seller: '../x', artifact: artifact(1) })).rejects.toThrow(/not a valid id/);
    expect(store.objects.size + store.values.size).toBe(0);
  });
});
