import { describe, expect, it } from 'vitest';
import { decodeLayer } from '../../core/catalog/layer.js';
import { CatalogSnapshot } from '../../core/catalog/snapshot.js';
import { ApiError } from '../../core/errors/api-error.js';
import { CatalogCache } from './cache.js';
import { catalogStorage, parseManifest } from './manifest.js';
import { MemoryObjects } from './objects.js';
import { parseCatalogBody } from './parse.js';
import { CATALOG_LIMITS, readManifest, writeCatalog } from './store.js';

const seller = 'shop1';
const quiet = () => {};

function clockAt(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

async function snapshotOf(objects: MemoryObjects): Promise<CatalogSnapshot | null> {
  const m = (await readManifest(objects, seller))?.manifest;
  if (m === undefined) return null;
  const layer = async (key: string) => decodeLayer((await objects.get(key))!.bytes);
  return new CatalogSnapshot(m.version, m.base ? await layer(m.base.key) : null, m.delta ? await layer(m.delta.key) : null);
}

describe('writeCatalog', () => {
  it('writes a new version per call: new layers, then the manifest', async () => {
    const objects = new MemoryObjects();
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const first = await writeCatalog(objects, seller, [{ upsert: { id: 'a', title: 'A' } }], { now: clock.now, log: quiet });
    expect(first).toMatchObject({ compacted: false, attempts: 1, manifest: { version: 1, base: null, delta: { entries: 1 } } });
    const second = await writeCatalog(objects, seller, [{ upsert: { id: 'b', price: 2 } }, { upsert: { id: 'a', in_stock: false } }], {
      now: clock.now,
      log: quiet,
    });
    expect(second.manifest).toMatchObject({ version: 2, delta: { entries: 2 } });
    // The first delta waits in garbage for readers of the first manifest.
    expect(second.manifest.garbage).toEqual([{ key: first.manifest.delta!.key, since: '2026-01-01T00:00:00.000Z' }]);
    const s = (await snapshotOf(objects))!;
    expect(s.entry(s.find('a'))).toEqual({ retired: false, title: 'A', in_stock: false });
    // 300 s later the next write deletes it.
    clock.t += CATALOG_LIMITS.garbageMs;
    const third = await writeCatalog(objects, seller, [{ retire: 'b' }], { now: clock.now, log: quiet });
    expect(await objects.get(first.manifest.delta!.key)).toBeNull();
    expect(third.manifest.garbage.map((g) => g.key)).toEqual([second.manifest.delta!.key]);
  });

  it('starts again on top of a write that got in between, losing neither', async () => {
    const objects = new MemoryObjects();
    const clock = clockAt(Date.UTC(2026, 0, 1));
    await writeCatalog(objects, seller, [{ upsert: { id: 'a', title: 'A' } }], { now: clock.now, log: quiet });
    let interfered = false;
    objects.beforePut = async (key) => {
      if (interfered || key !== catalogStorage.manifest(seller)) return;
      interfered = true;
      objects.beforePut = null;
      await writeCatalog(objects, seller, [{ upsert: { id: 'other', title: 'Other' } }], { now: clock.now, log: quiet });
    };
    const mine = await writeCatalog(objects, seller, [{ upsert: { id: 'mine', title: 'Mine' } }], { now: clock.now, log: quiet });
    expect(mine.attempts).toBe(2);
    expect(mine.manifest.version).toBe(3);
    const s = (await snapshotOf(objects))!;
    expect(['a', 'mine', 'other'].map((id) => s.entry(s.find(id)).title)).toEqual(['A', 'Mine', 'Other']);
    // The layers of the failed attempt were deleted: only named layers and garbage remain.
    const named = new Set([mine.manifest.delta?.key, mine.manifest.base?.key, ...mine.manifest.garbage.map((g) => g.key), catalogStorage.manifest(seller)]);
    expect([...objects.objects.keys()].filter((k) => !named.has(k))).toEqual([]);
  });

  it('gives up after 5 attempts with 409 catalog_conflict, writing nothing', async () => {
    const objects = new MemoryObjects();
    const clock = clockAt(Date.UTC(2026, 0, 1));
    await writeCatalog(objects, seller, [{ upsert: { id: 'a' } }], { now: clock.now, log: quiet });
    const before = new Map(objects.objects);
    // Every attempt finds the manifest changed: someone rewrites it just before.
    objects.beforePut = async (key) => {
      if (key !== catalogStorage.manifest(seller)) return;
      const m = objects.objects.get(key)!;
      objects.objects.set(key, { bytes: m.bytes, etag: `${m.etag}x` });
    };
    const err = await writeCatalog(objects, seller, [{ upsert: { id: 'b' } }], { now: clock.now, log: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('catalog_conflict');
    expect([...objects.objects.keys()].sort()).toEqual([...before.keys()].sort());
  });

  it('compacts the delta into the base past 20,000 entries', async () => {
    const objects = new MemoryObjects();
    const clock = clockAt(Date.UTC(2026, 0, 1));
    const call = (k: number, n: number) => Array.from({ length: n }, (_, i) => ({ upsert: { id: `c${k}-${i}`, price: i } }));
    expect((await writeCatalog(objects, seller, call(0, 10_000), { now: clock.now, log: quiet })).compacted).toBe(false);
    expect((await writeCatalog(objects, seller, call(1, 10_000), { now: clock.now, log: quiet })).compacted).toBe(false);
    const third = await writeCatalog(objects, seller, [...call(2, 3), { upsert: { id: 'c0-5', price: 55 } }], { now: clock.now, log: quiet });
    expect(third).toMatchObject({ compacted: true, manifest: { base: { entries: 20_003 }, delta: null } });
    const s = (await snapshotOf(objects))!;
    expect(s.price(s.find('c0-5'))).toBe(55);
    expect(s.price(s.find('c1-9999'))).toBe(9999);
  });

  it('refuses a call that would take the overlay past 250,000 entries', async () => {
    const objects = new MemoryObjects();
    const m = { format: 1, version: 4, updated: '', base: { key: 'sellers/shop1/catalog/layers/x.bin', entries: 249_999, bytes: 1 }, delta: null, garbage: [] };
    await objects.put(catalogStorage.manifest(seller), new TextEncoder().encode(JSON.stringify(m)));
    const err = await writeCatalog(objects, seller, [{ upsert: { id: 'a' } }, { upsert: { id: 'b' } }], { now: Date.now, log: quiet }).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('too_many_items');
    expect(parseManifest(new TextDecoder().decode((await objects.get(catalogStorage.manifest(seller)))!.bytes), seller).version).toBe(4);
  });
});

describe('CatalogCache', () => {
  it('reuses the manifest for the memo, keeps the last good catalog when the manifest breaks, and forgets on a local write', async () => {
    const objects = new MemoryObjects();
    const logged: Record<string, unknown>[] = [];
    const cache = new CatalogCache((e) => logged.push(e));
    const read = (now: number) => cache.snapshot(seller, objects, { memoMs: 5000, now, maxBytes: 1 << 30 });
    expect(await read(0)).toBeNull();
    await writeCatalog(objects, seller, [{ upsert: { id: 'a', title: 'A' } }], { now: () => 0, log: quiet });
    expect(await read(4999)).toBeNull();
    expect((await read(5000))!.version).toBe(1);
    await objects.put(catalogStorage.manifest(seller), new TextEncoder().encode('{'));
    expect((await read(10_000))!.version).toBe(1);
    expect(logged.map((e) => e.event)).toEqual(['catalog_unreadable']);
    await objects.delete([catalogStorage.manifest(seller)]);
    cache.forget(seller);
    expect(await read(10_001)).toBeNull();
  });

  it('drops the least recently used sellers’ catalogs beyond its byte budget', async () => {
    const objects = new MemoryObjects();
    const logged: Record<string, unknown>[] = [];
    const cache = new CatalogCache((e) => logged.push(e));
    for (const s of ['s1', 's2']) await writeCatalog(objects, s, [{ upsert: { id: 'a', title: 'x'.repeat(400) } }], { now: () => 0, log: quiet });
    const size = (await cache.snapshot('s1', objects, { memoMs: 0, now: 1, maxBytes: 1e9 }))!.bytes;
    await cache.snapshot('s2', objects, { memoMs: 0, now: 2, maxBytes: size + 10 });
    expect(logged).toMatchObject([{ event: 'catalog_evicted', seller: 's1' }]);
  });
});

describe('parseCatalogBody', () => {
  it('reads NDJSON by type or by shape, and JSON by type or by shape', () => {
    expect(parseCatalogBody('{"id":"a"}\n\r\n{"id":"b","price":1}\r\n', undefined).map((i) => i.id)).toEqual(['a', 'b']);
    expect(parseCatalogBody('{"items":[{"id":"a"}]}', 'application/x-www-form-urlencoded').map((i) => i.id)).toEqual(['a']);
    expect(parseCatalogBody('{"items":[{"id":"a"}]}', 'application/json; charset=utf-8')).toHaveLength(1);
    // As NDJSON, the same line is an item with an unknown field.
    expect(() => parseCatalogBody('{"items":[{"id":"a"}]}', 'application/x-ndjson')).toThrow('line 1: unknown field "items"');
  });

  it('refuses an empty call, and names each problem', () => {
    expect(() => parseCatalogBody('\n\n', undefined)).toThrow('the body holds no items');
    expect(() => parseCatalogBody('{"items":{}}', 'application/json')).toThrow('the body must be {"items":[…]}');
    expect(() => parseCatalogBody('{"items":[{"id":" a"}]}', 'application/json')).toThrow('items[0].id must not start or end with spaces');
    expect(() => parseCatalogBody('{"id":"a","features":["x",""]}', undefined)).toThrow('line 1: features[1]: a feature must not be empty');
    expect(() => parseCatalogBody('{"id":"a","price":-1}', undefined)).toThrow('line 1: price must be a number from 0 to 1e9');
    // Links: absolute http(s), or a path on the storefront; nothing a page could run.
    expect(parseCatalogBody('{"id":"a","url":"/p/a","image":"https://cdn.example/a.jpg"}', undefined)[0]).toMatchObject({ url: '/p/a' });
    for (const bad of ['javascript:alert(1)', '//evil.example/x', 'data:text/html,x', 'https://a b']) {
      expect(() => parseCatalogBody(JSON.stringify({ id: 'a', url: bad }), undefined), bad).toThrow('line 1: url must be an http:// or https:// URL or a path');
    }
    const many = Array.from({ length: 25 }, (_, i) => `{"id":"x${i}","price":"no"}`).join('\n');
    expect(() => parseCatalogBody(many, undefined)).toThrow(/; … and 5 more$/);
  });
});
