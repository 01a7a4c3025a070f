import { SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/app.js';
import { catalogGetAnswer, catalogItemAnswer, catalogPutAnswer, catalogRetireAnswer } from '../../functions/routes/catalog-schema.js';
import { call, callJson, createKey, fixtures, migrate, seedModels, seedTodaysSeller, SELLERS, type RecBody } from './helpers.js';

/**
 * Catalog updates at the edge (spec/edge-api.md, "Catalog updates"), with real KV and R2:
 * new products scored by the hybrid slots' feature embeddings, stock, price, category and
 * display data of the latest catalog, retired items, whole-call validation, sizes, the
 * memo a change waits for, concurrent calls, and sellers whose artifacts have no
 * item-features section.
 */

const S = fixtures.slotsSeller;
const TODAY = 'shop-catalog-today';
const LIGHTFM = SELLERS.lightfm;
let sk: string;
let pk: string;
let skToday: string;
let pkToday: string;
let skLightfm: string;
let pkLightfm: string;

beforeAll(async () => {
  await seedModels();
  await migrate();
  await seedTodaysSeller(SELLERS['item-knn'], TODAY);
  sk = (await createKey({ seller: S, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  pk = (await createKey({ seller: S, rps: 1e6, burst: 1e6 })).key;
  skToday = (await createKey({ seller: TODAY, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  pkToday = (await createKey({ seller: TODAY, rps: 1e6, burst: 1e6 })).key;
  skLightfm = (await createKey({ seller: LIGHTFM, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  pkLightfm = (await createKey({ seller: LIGHTFM, rps: 1e6, burst: 1e6 })).key;
});

const NDJSON = { 'Content-Type': 'application/x-ndjson' };
const lines = (items: unknown[]) => items.map((i) => JSON.stringify(i)).join('\n');
const push = (seller: string, key: string, body: string, headers: Record<string, string> = NDJSON) =>
  callJson(`/v1/sellers/${seller}/catalog`, { key, method: 'PUT', body, headers });
const rec = async (path: string, key = pk, seller = S) => {
  const r = await callJson<RecBody>(`/v1/sellers/${seller}/recommendations/${path}`, { key });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};
const serving = (body: unknown) => callJson(`/v1/sellers/${S}/serving`, { key: sk, method: 'PUT', body: JSON.stringify(body) });

// The fixture's item features: category (i % 3) and colour (i % 4); the planted clusters follow i % 4.
const COLOURS = ['red', 'blue', 'green', 'black'];
const colourOf = (id: string) => COLOURS[Number(id.replace('sku', '')) % 4];

describe('a new product pushed with tags', () => {
  const fresh = {
    id: 'sku-fresh',
    title: 'Fresh mug',
    url: 'https://shop.example/p/fresh',
    price: 7.5,
    in_stock: true,
    category: 'mugs',
    features: ['category:mugs', 'colour:red'],
  };

  it('is answered at once by similar?item=NEW from the hybrid slot (fallback false), without a publish', async () => {
    const before = await rec('similar?item=sku-fresh&n=6');
    expect(before).toMatchObject({ model: { slot: 'warp' }, fallback: true });

    const { status, body } = await push(S, sk, lines([fresh]));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(catalogPutAnswer.parse(body)).toEqual(body);
    expect(body).toMatchObject({ seller: S, accepted: 1, catalog: { version: 1, base_entries: 0, delta_entries: 1 } });

    const after = await rec('similar?item=sku-fresh&n=6');
    expect(after).toMatchObject({ model: { type: 'lightfm', slot: 'warp' }, fallback: false });
    expect(after.items).toHaveLength(6);
    expect(after.items.map((i) => i.id)).not.toContain('sku-fresh');
    // Related: the colour is the planted cluster; red items are a quarter of the catalogue.
    const red = after.items.filter((i) => colourOf(i.id) === 'red').length;
    expect(red).toBeGreaterThanOrEqual(4);
  });

  it('is a candidate of the hybrid slot’s answers for related items, with its pushed display data', async () => {
    const red = await rec('similar?item=sku4&n=30');
    const entry = red.items.find((i) => i.id === 'sku-fresh');
    expect(entry).toEqual({ id: 'sku-fresh', score: expect.any(Number), title: 'Fresh mug', url: 'https://shop.example/p/fresh', image: null, price: 7.5 });
    const basket = await rec('basket?items=sku0,sku8&n=30');
    expect(basket.items.map((i) => i.id)).toContain('sku-fresh');
    // A blue item ranks it below the blue ones.
    const blue = await rec('similar?item=sku1&n=30');
    const rank = (b: RecBody, id: string) => b.items.findIndex((i) => i.id === id);
    expect(rank(blue, 'sku-fresh')).toBeGreaterThan(rank(red, 'sku-fresh'));
  });

  it('reaches a surface served by item-knn through the new-items rule', async () => {
    await serving({ surfaces: { similar: { slot: 'ease' } } });
    try {
      expect(await rec('similar?item=sku-fresh&n=4')).toMatchObject({ model: { slot: 'ease' }, fallback: true });
      await serving({ surfaces: { 'new-items': { slot: 'bpr' } } });
      const answer = await rec('similar?item=sku-fresh&n=4');
      expect(answer).toMatchObject({ model: { type: 'lightfm', slot: 'bpr' }, fallback: false });
      expect(answer.items).toHaveLength(4);
      // A known item stays with the surface's slot.
      expect((await rec('similar?item=sku2&n=4')).model?.slot).toBe('ease');
    } finally {
      await serving({ surfaces: { similar: { slot: 'warp' }, 'new-items': null } });
    }
  });

  it('is not scored by a hybrid artifact without the item-features section (trained without item features): answers as before', async () => {
    const pushed = await push(LIGHTFM, skLightfm, lines([{ id: 'sku-fresh', features: ['category:mugs'] }]));
    expect(pushed.status).toBe(200);
    const answer = await rec('similar?item=sku-fresh&n=4', pkLightfm, LIGHTFM);
    expect(answer).toMatchObject({ model: { type: 'lightfm' }, fallback: true });
    expect(answer.items.map((i) => i.id)).not.toContain('sku-fresh');
  });
});

describe('stock, price, category and display data of the latest catalog', () => {
  it('in_stock: false takes an item out of in_stock=1 answers, and true brings it back, without a publish', async () => {
    const inStock = (await rec('similar?item=sku0&n=24&in_stock=1')).items.map((i) => i.id);
    const victim = inStock[0];
    expect(victim).toBeDefined();
    expect((await push(S, sk, lines([{ id: victim, in_stock: false }]))).status).toBe(200);
    expect((await rec('similar?item=sku0&n=24&in_stock=1')).items.map((i) => i.id)).not.toContain(victim);
    // The other fields stay what the artifact says.
    const unfiltered = (await rec('similar?item=sku0&n=24')).items.find((i) => i.id === victim)!;
    expect(unfiltered.title).toMatch(/^Item \d+, blue$|^Tasse/);
    expect((await push(S, sk, lines([{ id: victim, in_stock: true }]))).status).toBe(200);
    expect((await rec('similar?item=sku0&n=24&in_stock=1')).items.map((i) => i.id)).toContain(victim);
  });

  it('an item unknown to the stock of the artifact becomes answerable with in_stock=1 once pushed in stock (sku3: stock unknown)', async () => {
    expect((await rec('similar?item=sku0&n=24&in_stock=1')).items.map((i) => i.id)).not.toContain('sku3');
    await push(S, sk, lines([{ id: 'sku3', in_stock: true }]));
    expect((await rec('similar?item=sku0&n=24&in_stock=1')).items.map((i) => i.id)).toContain('sku3');
  });

  it('price and category filters and the display data read the pushed fields', async () => {
    await push(S, sk, lines([{ id: 'sku5', price: 999, title: 'Sku five, renamed', category: 'Lamps' }]));
    const all = await rec('similar?item=sku0&n=24');
    expect(all.items.find((i) => i.id === 'sku5')).toMatchObject({ title: 'Sku five, renamed', price: 999, url: 'https://shop.example/p/5' });
    expect((await rec('similar?item=sku0&n=24&max_price=100')).items.map((i) => i.id)).not.toContain('sku5');
    expect((await rec('similar?item=sku0&n=24&min_price=500')).items.map((i) => i.id)).toEqual(['sku5']);
    expect((await rec('similar?item=sku0&n=24&category=lamps')).items.map((i) => i.id)).toEqual(['sku5']);
    expect((await rec('similar?item=sku0&n=24&category=posters')).items.map((i) => i.id)).not.toContain('sku5');
  });

  it('works the same for a seller published before the slots (an item-knn artifact of today’s format)', async () => {
    // A cart whose neighbours include items in stock (the fixture's stock is yes, no, yes, unknown by i % 4).
    let cart = '';
    let before: RecBody | null = null;
    for (let i = 0; i < 12 && before === null; i++) {
      const answer = await rec(`basket?items=sku${i}&n=24&in_stock=1`, pkToday, TODAY);
      if (!answer.fallback) [cart, before] = [`sku${i}`, answer];
    }
    expect(before).not.toBeNull();
    const victim = before!.items[0].id;
    const r = await push(TODAY, skToday, JSON.stringify({ items: [{ id: victim, in_stock: false, title: 'Sold out' }] }), {
      'Content-Type': 'application/json',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const after = await rec(`basket?items=${cart}&n=24&in_stock=1`, pkToday, TODAY);
    expect(after.items.map((i) => i.id)).not.toContain(victim);
    expect((await rec(`basket?items=${cart}&n=24`, pkToday, TODAY)).items.find((i) => i.id === victim)?.title).toBe('Sold out');
  });
});

describe('retiring an item', () => {
  it('is never answered again (model or fallback fill), until it is upserted again; GET shows what the catalog holds', async () => {
    const victim = (await rec('similar?item=sku0&n=3')).items[0].id;
    const retired = await callJson(`/v1/sellers/${S}/catalog/${victim}`, { key: sk, method: 'DELETE' });
    expect(retired.status).toBe(200);
    expect(catalogRetireAnswer.parse(retired.body)).toEqual(retired.body);
    for (const path of [
      'similar?item=sku0&n=24',
      'basket?items=sku2&n=24',
      'for-you?customer=c3&n=24',
      'similar?item=sku-nobody&n=24',
      'similar?item=sku0&n=24&model=popularity',
    ]) {
      expect(
        (await rec(path, sk)).items.map((i) => i.id),
        path,
      ).not.toContain(victim);
    }
    const entry = await callJson(`/v1/sellers/${S}/catalog/${victim}`, { key: sk });
    expect(catalogItemAnswer.parse(entry.body)).toEqual(entry.body);
    expect(entry.body.entry).toMatchObject({ retired: true });
    await push(S, sk, lines([{ id: victim, title: 'Back again' }]));
    expect((await callJson(`/v1/sellers/${S}/catalog/${victim}`, { key: sk })).body.entry).toMatchObject({ retired: false, title: 'Back again' });
    expect((await rec('similar?item=sku0&n=24')).items.find((i) => i.id === victim)?.title).toBe('Back again');
  });

  it('takes ids with a slash or spaces inside, percent-encoded in the path', async () => {
    await push(S, sk, lines([{ id: 'mugs/blue mug', title: 'Blue mug' }]));
    const path = `/v1/sellers/${S}/catalog/${encodeURIComponent('mugs/blue mug')}`;
    expect((await callJson(path, { key: sk })).body).toMatchObject({ item: 'mugs/blue mug', entry: { title: 'Blue mug', retired: false } });
    expect((await callJson(path, { key: sk, method: 'DELETE' })).body).toMatchObject({ item: 'mugs/blue mug', retired: true });
    expect((await callJson(`/v1/sellers/${S}/catalog/${encodeURIComponent(' padded')}`, { key: sk, method: 'DELETE' })).status).toBe(400);
  });
});

describe('PUT …/catalog refuses', () => {
  it('a call with any bad item, naming the line and field, and applies nothing of it', async () => {
    const before = (await callJson(`/v1/sellers/${S}/catalog`, { key: sk })).body;
    expect(catalogGetAnswer.parse(before)).toEqual(before);
    const body = [
      JSON.stringify({ id: 'sku-ok', title: 'Fine' }),
      '',
      JSON.stringify({ id: 'sku-bad', price: 'cheap' }),
      '{not json',
      JSON.stringify({ id: 'sku-typo', instock: true }),
      JSON.stringify({ id: 'sku-ok', title: 'Again' }),
      JSON.stringify({ title: 'no id' }),
    ].join('\n');
    const r = await push(S, sk, body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    const message: string = r.body.error.message;
    expect(message).toMatch(/^the catalog call was refused, nothing of it was applied: /);
    expect(message).toContain('line 3: price must be a number or null');
    expect(message).toMatch(/line 4: not JSON/);
    expect(message).toContain('line 5: unknown field "instock"');
    expect(message).toContain('line 6: id "sku-ok" is also at line 1');
    expect(message).toContain('line 7: id is required');
    expect((await callJson(`/v1/sellers/${S}/catalog`, { key: sk })).body).toEqual(before);
    expect((await callJson(`/v1/sellers/${S}/catalog/sku-ok`, { key: sk })).body.entry).toBeNull();
    // JSON names the item.
    const json = await push(S, sk, JSON.stringify({ items: [{ id: 'a' }, { id: 'b', url: 'ftp://x' }] }), { 'Content-Type': 'application/json' });
    expect(json.body.error.message).toContain('items[1].url must be an http:// or https:// URL');
  });

  it('publishable keys, more than 10,000 items, and bodies over 8 MiB (declared or streamed)', async () => {
    const byPk = await push(S, pk, lines([{ id: 'x' }]));
    expect(byPk.status).toBe(403);
    expect(byPk.body.error.code).toBe('secret_key_required');
    const many = await push(S, sk, lines(Array.from({ length: 10_001 }, (_, i) => ({ id: `bulk-${i}` }))));
    expect(many.status).toBe(413);
    expect(many.body.error).toMatchObject({ code: 'too_many_items' });
    expect(many.body.error.message).toContain('10001 items; at most 10000');
    const declared = await call(`/v1/sellers/${S}/catalog`, {
      key: sk,
      method: 'PUT',
      body: 'x',
      headers: { ...NDJSON, 'Content-Length': String(9 * 1024 * 1024) },
    });
    expect(declared.status).toBe(413);
    // A body that keeps coming, without a length: refused once it passes the limit.
    const chunk = new TextEncoder().encode(`${JSON.stringify({ id: 'pad', title: 'x'.repeat(400) })}\n`.repeat(2000));
    let sent = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.length;
        controller.enqueue(chunk);
        if (sent > 64 * 1024 * 1024) controller.close();
      },
    });
    const streamed = await streamTo(`/v1/sellers/${S}/catalog`, { method: 'PUT', body: endless, headers: { Authorization: `Bearer ${sk}`, ...NDJSON } });
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    expect(sent).toBeLessThan(32 * 1024 * 1024);
    // Other routes keep their 64 KiB.
    const events = await call(`/v1/sellers/${S}/events`, { key: sk, method: 'POST', body: 'x'.repeat(70 * 1024) });
    expect(events.status).toBe(413);
  });
});

/** A request to the worker with a streamed body. */
function streamTo(path: string, init: RequestInit): Promise<Response> {
  return SELF.fetch(`https://edge.test${path}`, init);
}

describe('storage', () => {
  it('applies calls sent at the same time one after the other, losing none of their items', async () => {
    const before = (await callJson(`/v1/sellers/${S}/catalog`, { key: sk })).body.catalog.version as number;
    const calls = Array.from({ length: 4 }, (_, k) => push(S, sk, lines([{ id: `together-${k}`, title: `Together ${k}` }])));
    const answers = await Promise.all(calls);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect((await callJson(`/v1/sellers/${S}/catalog`, { key: sk })).body.catalog.version).toBe(before + 4);
    for (let k = 0; k < 4; k++)
      expect((await callJson(`/v1/sellers/${S}/catalog/together-${k}`, { key: sk })).body.entry).toMatchObject({ title: `Together ${k}` });
  });

  it('creates a seller’s first catalog once when first calls race (R2 conditional create)', async () => {
    const seller = 'shop-catalog-race';
    const skRace = (await createKey({ seller, type: 'secret', rps: 1e6, burst: 1e6 })).key;
    const answers = await Promise.all(Array.from({ length: 3 }, (_, k) => push(seller, skRace, lines([{ id: `first-${k}` }]))));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect((await callJson(`/v1/sellers/${seller}/catalog`, { key: skRace })).body.catalog).toMatchObject({ version: 3, delta_entries: 3 });
    // The condition the first write relies on: R2 refuses If-None-Match: * over an existing object.
    const refused = await env.MODELS.put(`sellers/${seller}/catalog/manifest.json`, 'x', { onlyIf: new Headers({ 'If-None-Match': '*' }) });
    expect(refused).toBeNull();
    expect((await callJson(`/v1/sellers/${seller}/catalog`, { key: skRace })).body.catalog.version).toBe(3);
  });

  it('compacts the delta into the base past 20,000 entries, answering the same', async () => {
    const seller = 'shop-catalog-big';
    const skBig = (await createKey({ seller, type: 'secret', rps: 1e6, burst: 1e6 })).key;
    for (let call = 0; call < 3; call++) {
      const items = Array.from({ length: call < 2 ? 10_000 : 5 }, (_, i) => ({
        id: `big-${call}-${i}`,
        price: i,
        in_stock: i % 2 === 0,
        features: ['colour:red'],
      }));
      const r = await push(seller, skBig, lines(items));
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const summary = (await callJson(`/v1/sellers/${seller}/catalog`, { key: skBig })).body.catalog;
    expect(summary).toMatchObject({ version: 3, base_entries: 20_005, delta_entries: 0 });
    expect((await callJson(`/v1/sellers/${seller}/catalog/big-1-9999`, { key: skBig })).body.entry).toMatchObject({ price: 9999, in_stock: false });
    await callJson(`/v1/sellers/${seller}/catalog/big-0-7`, { key: skBig, method: 'DELETE' });
    const after = (await callJson(`/v1/sellers/${seller}/catalog`, { key: skBig })).body.catalog;
    expect(after).toMatchObject({ version: 4, base_entries: 20_005, delta_entries: 1 });
    expect((await callJson(`/v1/sellers/${seller}/catalog/big-0-7`, { key: skBig })).body.entry).toMatchObject({ retired: true, price: 7 });
  });

  it('reaches another isolate once its memo runs out (MEMO_SECONDS), and a damaged manifest keeps the last good catalog serving', async () => {
    let clock = Date.UTC(2026, 5, 1);
    const logged: Record<string, unknown>[] = [];
    const app = createApp({ now: () => clock, log: (e) => logged.push(e) });
    const memoEnv = { ...env, MEMO_SECONDS: '5' };
    const ask = async (path: string) => {
      const res = await app.request(`https://edge.test/v1/sellers/${S}/recommendations/${path}`, { headers: { Authorization: `Bearer ${pk}` } }, memoEnv);
      expect(res.status).toBe(200);
      return (await res.json()) as RecBody;
    };
    const title = async () => (await ask('similar?item=sku0&n=24')).items.find((i) => i.id === 'sku7')?.title;
    expect(await title()).toBe('Item 7, blue');
    await push(S, sk, lines([{ id: 'sku7', title: 'Seven, new' }]));
    clock += 4_000;
    expect(await title()).toBe('Item 7, blue');
    clock += 1_000;
    expect(await title()).toBe('Seven, new');
    // A manifest that no longer parses: logged, and the catalog read last keeps serving.
    const key = `sellers/${S}/catalog/manifest.json`;
    const good = await env.MODELS.get(key);
    const goodBytes = new Uint8Array(await good!.arrayBuffer());
    await env.MODELS.put(key, 'not json');
    try {
      clock += 5_000;
      expect(await title()).toBe('Seven, new');
      expect(logged.some((e) => e.event === 'catalog_unreadable')).toBe(true);
      const refused = await push(S, sk, lines([{ id: 'sku7', title: 'x' }]));
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('unavailable');
    } finally {
      await env.MODELS.put(key, goodBytes);
    }
  });
});
