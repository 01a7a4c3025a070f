import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeArtifact } from '../artifact/encode.js';
import { ProxyStore } from './proxy-store.js';
import { keys, publish, readPublishedRecords } from './publish.js';
import { readSlots, slotPointer } from './slots.js';
import { MemoryStore, WranglerStore, type ModelStore } from './store.js';

const CONFIG = fileURLToPath(new URL('../../wrangler.toml', import.meta.url));

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-proxy-store-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The behaviour every ModelStore shares; `open` gives a fresh store and a way to close it. */
function storeContract(name: string, open: () => Promise<{ store: ModelStore; close(): Promise<void> }>): void {
  describe(`${name}: the ModelStore contract`, () => {
    it('stores objects and values, reads many at once in the order asked, deletes', async () => {
      const { store, close } = await open();
      try {
        const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 255);
        await store.putObject('sellers/s1/models/v1/artifact.bin', bytes);
        expect(await store.getObject('sellers/s1/models/v1/artifact.bin')).toEqual(bytes);
        expect(await store.getObject('sellers/s1/models/v1/nothing.bin')).toBeNull();
        await store.deleteObject('sellers/s1/models/v1/artifact.bin');
        expect(await store.getObject('sellers/s1/models/v1/artifact.bin')).toBeNull();

        await store.putValue('sellers/s1/active', '{"version":"v1"}');
        expect(await store.getValue('sellers/s1/active')).toBe('{"version":"v1"}');
        expect(await store.getValue('sellers/s1/none')).toBeNull();

        // More entries than one batch; ids with characters that need encoding.
        const entries = Array.from({ length: 250 }, (_, i) => ({ key: `sellers/s1/models/v1/users/c%2F${i}`, value: `record ${i} ü` }));
        await store.putValues(entries);
        const asked = [entries[7].key, 'missing', entries[200].key, entries[7].key];
        const got = await store.getValues(asked);
        expect([...got.keys()]).toEqual([entries[7].key, 'missing', entries[200].key]);
        expect(got.get(entries[7].key)).toBe('record 7 ü');
        expect(got.get('missing')).toBeNull();
        const all = await store.getValues(entries.map((e) => e.key));
        expect(entries.every((e) => all.get(e.key) === e.value)).toBe(true);

        // Listed by prefix, sorted; more keys than one page of KV's listing (1,000).
        const many = Array.from({ length: 1200 }, (_, i) => ({ key: `sellers/s1/slots/warp/versions/v${String(i).padStart(4, '0')}`, value: '{}' }));
        await store.putValues([...many, { key: 'sellers/s1/slots/warp/active', value: '{}' }, { key: 'sellers/s10/slots/x/active', value: '{}' }]);
        const listed = await store.listKeys('sellers/s1/slots/warp/versions/');
        expect(listed).toEqual(many.map((e) => e.key));
        expect(await store.listKeys('sellers/s1/slots/')).toHaveLength(1201);
        expect(await store.listKeys('sellers/none/')).toEqual([]);

        await store.deleteValues(entries.slice(0, 200).map((e) => e.key));
        const after = await store.getValues([entries[0].key, entries[249].key]);
        expect(after.get(entries[0].key)).toBeNull();
        expect(after.get(entries[249].key)).toBe('record 249 ü');
      } finally {
        await close();
      }
    }, 60_000);
  });
}

storeContract('MemoryStore', async () => ({ store: new MemoryStore(), close: async () => {} }));

let n = 0;
storeContract('ProxyStore', async () => {
  const store = await ProxyStore.open({ persistTo: join(dir, `contract-${n++}`), config: CONFIG, batchSize: 100 });
  return { store, close: () => store.dispose() };
});

storeContract('ProxyStore, staged', async () => {
  const store = await ProxyStore.open({ persistTo: join(dir, `contract-${n++}`), config: CONFIG, batchSize: 100, stageIn: dir });
  return { store, close: () => store.dispose() };
});

describe('ProxyStore', () => {
  it("writes the state that wrangler's local commands (and wrangler dev) read", async () => {
    const persistTo = join(dir, 'shared');
    const store = await ProxyStore.open({ persistTo, config: CONFIG });
    await store.putValues([
      { key: 'sellers/s1/active', value: '{"version":"v1"}' },
      { key: 'demo/sellers', value: '[]' },
    ]);
    await store.putObject('sellers/s1/models/v1/artifact.bin', new Uint8Array([1, 2, 3, 250]));
    await store.dispose();
    await expect(store.getValue('demo/sellers')).rejects.toThrow(/disposed/);

    const wrangler = new WranglerStore({ mode: 'local', persistTo, config: CONFIG });
    expect(await wrangler.getValue('sellers/s1/active')).toBe('{"version":"v1"}');
    expect(await wrangler.listKeys('sellers/s1/')).toEqual(['sellers/s1/active']);
    expect(await wrangler.getObject('sellers/s1/models/v1/artifact.bin')).toEqual(new Uint8Array([1, 2, 3, 250]));

    // And the other way round, on the same state.
    await wrangler.putValue('from/wrangler', 'yes');
    const again = await ProxyStore.open({ persistTo, config: CONFIG });
    try {
      expect(await again.getValue('from/wrangler')).toBe('yes');
      expect(await again.getValue('demo/sellers')).toBe('[]');
    } finally {
      await again.dispose();
    }
  }, 120_000);

  it('builds a new state in the staging folder and moves it in on dispose', async () => {
    const persistTo = join(dir, 'staged');
    const stage = join(dir, 'ram');
    await import('node:fs/promises').then((fs) => fs.mkdir(stage));
    const store = await ProxyStore.open({ persistTo, config: CONFIG, stageIn: stage });
    expect(store.description).toContain(stage);
    await store.putValue('k', 'v');
    expect(existsSync(join(persistTo, 'v3'))).toBe(false);
    // A second dispose (Ctrl-C while closing) resolves only once the state is in place.
    const first = store.dispose();
    await store.dispose();
    expect(existsSync(join(persistTo, 'v3'))).toBe(true);
    await first;
    // The state exists now: a second store works on it in place.
    const again = await ProxyStore.open({ persistTo, config: CONFIG, stageIn: stage });
    try {
      expect(again.description).not.toContain(stage);
      expect(await again.getValue('k')).toBe('v');
    } finally {
      await again.dispose();
    }
  }, 60_000);

  it('a publish stopped mid-way resumes in a new runtime over the same state, without rewriting verified shards', async () => {
    const persistTo = join(dir, 'resume');
    const artifact = encodeArtifact(
      { modelType: 'popularity', itemIds: ['a', 'b'], popularity: { order: [1, 0], scores: [2, 1] }, meta: {} },
      { quantize: 'f32' },
    );
    const customers = Array.from({ length: 120 }, (_, i) => ({ customer: `c${i}`, record: new TextEncoder().encode(`record ${i}`) }));
    const input = { seller: 's1', artifact, customers, shards: 8, parallel: 1 };
    const isShard = (key: string) => key.includes('/customers/');
    const first = await ProxyStore.open({ persistTo, config: CONFIG });
    let shards = 0;
    const failing = Object.assign(Object.create(first) as ProxyStore, {
      putObject: async (key: string, bytes: Uint8Array) => {
        if (isShard(key) && ++shards > 5) throw new Error('the process died');
        await first.putObject(key, bytes);
      },
    });
    try {
      await expect(publish(failing, input)).rejects.toThrow(/the process died/);
    } finally {
      await first.dispose();
    }
    const second = await ProxyStore.open({ persistTo, config: CONFIG });
    try {
      expect(await slotPointer(second, 's1', 'popularity')).toBeNull();
      const written: string[] = [];
      const counting = Object.assign(Object.create(second) as ProxyStore, {
        putObject: async (key: string, bytes: Uint8Array) => {
          if (isShard(key)) written.push(key);
          await second.putObject(key, bytes);
        },
      });
      const r = await publish(counting, input);
      // 5 verified by the first run; the other 3 now.
      expect(written).toEqual([5, 6, 7].map((k) => keys.customerShard('s1', r.pointer.version, k)));
      const got = await readPublishedRecords(
        second,
        's1',
        r.pointer,
        customers.map((c) => c.customer),
      );
      expect(customers.every((c) => Buffer.from(got.get(c.customer)!).equals(Buffer.from(c.record)))).toBe(true);
      expect((await slotPointer(second, 's1', 'popularity'))?.version).toBe(r.pointer.version);
    } finally {
      await second.dispose();
    }
  }, 60_000);

  it('two publishes at the same time on the local state lose no entry (one slot, and two slots)', async () => {
    const store = await ProxyStore.open({ persistTo: join(dir, 'concurrent'), config: CONFIG });
    try {
      const popularity = (seed: number) =>
        encodeArtifact(
          { modelType: 'popularity', itemIds: ['a', 'b'], popularity: { order: [1, 0], scores: [2 + seed, 1] }, meta: { seed } },
          { quantize: 'f32' },
        );
      const customers = Array.from({ length: 30 }, (_, i) => ({ customer: `c${i}`, record: new TextEncoder().encode(`record ${i}`) }));
      const now = new Date(Date.UTC(2026, 0, 1));
      const same = await Promise.all([1, 2].map((i) => publish(store, { seller: 's1', slot: 'warp', artifact: popularity(i), customers, shards: 2, now })));
      const two = await Promise.all(
        ['ease', 'bpr'].map((slot, i) => publish(store, { seller: 's1', slot, artifact: popularity(3 + i), customers, shards: 2, now })),
      );
      const { slots } = await readSlots(store, 's1');
      expect(slots.map((s) => s.slot)).toEqual(['bpr', 'ease', 'warp']);
      expect(slots[2].versions.map((v) => v.version).sort()).toEqual(same.map((r) => r.pointer.version).sort());
      expect(slots.slice(0, 2).map((s) => s.current)).toEqual([two[1].pointer.version, two[0].pointer.version]);
      for (const r of [...same, ...two]) {
        const got = await readPublishedRecords(store, 's1', r.pointer, ['c7']);
        expect(new TextDecoder().decode(got.get('c7'))).toBe('record 7');
      }
    } finally {
      await store.dispose();
    }
  }, 60_000);

  it('names a binding the configuration lacks', async () => {
    const config = join(dir, 'no-kv.toml');
    await writeFile(
      config,
      'name = "x"\nmain = "index.js"\ncompatibility_date = "2026-04-01"\n[[r2_buckets]]\nbinding = "MODELS"\nbucket_name = "models-bucket"\n',
    );
    await expect(ProxyStore.open({ persistTo: join(dir, 'no-kv'), config })).rejects.toThrow(/no binding for the KV namespace "KV"/);
  });
});
