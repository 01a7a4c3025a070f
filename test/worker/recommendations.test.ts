import { beforeAll, describe, expect, it } from 'vitest';
import type { Artifact } from '../../core/format/artifact.js';
import { decodeUserRecord } from '../../core/format/user-record.js';
import { artifactOf, call, callJson, createKey, pointerOf, recordOf, seedLegacySeller, seedModels, SELLERS, type RecBody } from './helpers.js';

const KNN = SELLERS['item-knn'];
const MF = SELLERS.lightfm;
const UKNN = SELLERS['user-knn'];
const POP = SELLERS.popularity;
const EMPTY = 'shop-empty';
/** The lightfm fixture published in the layout before the shards (one KV value per customer). */
const LEGACY = 'shop-legacy';

const keys: Record<string, { pk: string; sk: string }> = {};

beforeAll(async () => {
  await seedModels();
  await seedLegacySeller(MF, LEGACY);
  for (const seller of [KNN, MF, UKNN, POP, EMPTY, LEGACY]) {
    keys[seller] = { pk: (await createKey({ seller, rps: 1e6, burst: 1e6 })).key, sk: (await createKey({ seller, type: 'secret', rps: 1e6, burst: 1e6 })).key };
  }
});

async function rec(seller: string, route: string, query: string, secret = false): Promise<RecBody> {
  const { status, body } = await callJson<RecBody>(`/v1/sellers/${seller}/recommendations/${route}?${query}`, {
    key: secret ? keys[seller].sk : keys[seller].pk,
  });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

const idx = (a: Artifact, id: string) => a.itemIndex(id);

/** Summed neighbour weights of rows (what item-knn scores), by item index. */
function neighbourSums(a: Artifact, rows: number[]): Map<number, number> {
  const out = new Map<number, number>();
  const w = new Float32Array(a.itemCount);
  const nb = a.neighbours!;
  for (const r of rows) {
    const len = a.neighbourWeights(r, w);
    for (let k = 0; k < len; k++) {
      const j = nb.indices[nb.indptr[r] + k];
      out.set(j, (out.get(j) ?? 0) + w[k]);
    }
  }
  return out;
}

/** Dot products of a query with every item vector, plus biases. */
function vectorScores(a: Artifact, query: Float32Array, bias = 0): Map<number, number> {
  const out = new Map<number, number>();
  const row = new Float32Array(a.dim);
  for (let i = 0; i < a.itemCount; i++) {
    a.itemVector(i, row);
    let s = 0;
    for (let j = 0; j < a.dim; j++) s += row[j] * query[j];
    out.set(i, s + a.biases![i] + bias);
  }
  return out;
}

/**
 * The answer's first items are the best of `expected` (ties within 1e-4 may swap), with
 * their expected scores, best first.
 */
function expectBest(a: Artifact, items: RecBody['items'], expected: Map<number, number>, count: number): void {
  const head = items.slice(0, count);
  expect(head).toHaveLength(count);
  for (let k = 0; k < head.length; k++) {
    const s = expected.get(idx(a, head[k].id));
    expect(s, `${head[k].id} is a candidate`).toBeDefined();
    expect(head[k].score).toBeCloseTo(s!, 4);
    if (k > 0) expect(head[k].score).toBeLessThanOrEqual(head[k - 1].score + 1e-6);
  }
  const taken = new Set(head.map((it) => idx(a, it.id)));
  const floor = head[head.length - 1].score;
  for (const [i, s] of expected) if (!taken.has(i)) expect(s, `item ${a.itemId(i)} should have been chosen`).toBeLessThanOrEqual(floor + 1e-4);
}

/**
 * The answer starts with the customer's list (best first); popular items fill it up to n,
 * leaving out what the customer bought (the fixture's models keep the default: no repeats).
 */
function expectList(a: Artifact, body: RecBody, record: { items: Uint32Array; scores: Float32Array; history: { items: Uint32Array } | null }, n: number): void {
  const head = Math.min(n, record.items.length);
  expect(head).toBeGreaterThan(0);
  expect(body.items.slice(0, head).map((i) => i.id)).toEqual(Array.from(record.items.slice(0, head), (i) => a.itemId(i)));
  for (let k = 0; k < head; k++) expect(body.items[k].score).toBeCloseTo(record.scores[k], 4);
  expect(body.items).toHaveLength(n);
  const rest = body.items.slice(head).map((i) => i.id);
  const bought = new Set(Array.from(record.history?.items ?? [], (i) => a.itemId(i)));
  const popular = Array.from(a.popularity!.items, (i) => a.itemId(i)).filter((id) => !bought.has(id) && !body.items.slice(0, head).some((it) => it.id === id));
  expect(rest).toEqual(popular.slice(0, n - head));
}

/** The items of a customer's history block (what they bought), by index. */
function boughtBy(record: { history: { items: Uint32Array } | null }): number[] {
  return Array.from(record.history?.items ?? []);
}

/** What item-knn scores for a customer without a cart: their history items' neighbour rows, each times its weight. */
function historySums(a: Artifact, history: { items: Uint32Array; weights: Float32Array }): Map<number, number> {
  const out = new Map<number, number>();
  for (let k = 0; k < history.items.length; k++) {
    for (const [j, s] of neighbourSums(a, [history.items[k]])) out.set(j, (out.get(j) ?? 0) + history.weights[k] * s);
  }
  return out;
}

describe('basket', () => {
  it('item-knn: sums the neighbour rows of the cart, leaves the cart out, fills up with popular items', async () => {
    const a = artifactOf(KNN);
    const body = await rec(KNN, 'basket', 'items=sku0,sku4&n=10');
    expect(body.model).toEqual({ type: 'item-knn', version: pointerOf(KNN).version, slot: 'item-knn' });
    expect(body.fallback).toBe(false);
    expect(body.variant).toBeNull();
    const sums = neighbourSums(a, [idx(a, 'sku0'), idx(a, 'sku4')]);
    sums.delete(idx(a, 'sku0'));
    sums.delete(idx(a, 'sku4'));
    const positive = new Map([...sums].filter(([, s]) => s > 0));
    expect(positive.size).toBeGreaterThan(2);
    expectBest(a, body.items, positive, Math.min(10, positive.size));
    expect(body.items).toHaveLength(10);
    expect(body.items.map((i) => i.id)).not.toContain('sku0');
    expect(body.items.map((i) => i.id)).not.toContain('sku4');
    expect(new Set(body.items.map((i) => i.id)).size).toBe(10);
  });

  it('returns display data from the catalog, null where unknown', async () => {
    const body = await rec(KNN, 'basket', 'items=sku0&n=23');
    const byId = new Map(body.items.map((i) => [i.id, i]));
    expect(byId.get('sku1')).toMatchObject({ title: 'Tasse « café » ☕', url: 'https://shop.example/p/1', image: 'https://cdn.example/1.jpg', price: 6 });
    expect(byId.get('sku22')).toMatchObject({ title: null, url: null, image: null, price: null });
    for (const item of body.items) expect(Object.keys(item).sort()).toEqual(['id', 'image', 'price', 'score', 'title', 'url']);
  });

  it('ignores unknown ids, and answers a cart of only unknown ids with popular items and fallback true', async () => {
    const plain = await rec(KNN, 'basket', 'items=sku0');
    const noisy = await rec(KNN, 'basket', `items=nope,sku0,${encodeURIComponent('☕ unknown')}`);
    expect(noisy.items).toEqual(plain.items);
    const a = artifactOf(KNN);
    const unknown = await rec(KNN, 'basket', 'items=nope,zzz&n=5');
    expect(unknown.fallback).toBe(true);
    expect(unknown.items.map((i) => i.id)).toEqual(Array.from(a.popularity!.items.slice(0, 5), (i) => a.itemId(i)));
  });

  it('accepts items repeated and comma-separated alike', async () => {
    const a = await rec(KNN, 'basket', 'items=sku0,sku4');
    const b = await rec(KNN, 'basket', 'items=sku0&items=sku4');
    expect(b.items).toEqual(a.items);
  });

  it("item-knn: a cart with no known item is answered from a known customer's history, what they bought left out", async () => {
    const a = artifactOf(KNN);
    const record = decodeUserRecord(recordOf(KNN, 'c3')!);
    if (record.kind !== 'history') throw new Error('expected a history record');
    const expected = historySums(a, record.history);
    for (const i of boughtBy(record)) expected.delete(i);
    const positive = new Map([...expected].filter(([, s]) => s > 0));
    const body = await rec(KNN, 'basket', 'customer=c3&items=nope&n=5');
    expect(body.fallback).toBe(false);
    expectBest(a, body.items, positive, Math.min(5, positive.size));
    for (const item of body.items) expect(boughtBy(record)).not.toContain(idx(a, item.id));
  });

  it('hybrid MF: scores every item against the cart vectors plus the customer vector', async () => {
    const a = artifactOf(MF);
    const record = decodeUserRecord(recordOf(MF, 'c5')!);
    if (record.kind !== 'user-vector') throw new Error('expected a user-vector record');
    const query = Float32Array.from(record.vector);
    const row = new Float32Array(a.dim);
    for (const id of ['sku1', 'sku2']) {
      a.itemVector(idx(a, id), row);
      for (let j = 0; j < a.dim; j++) query[j] += row[j];
    }
    const expected = vectorScores(a, query, record.bias);
    expected.delete(idx(a, 'sku1'));
    expected.delete(idx(a, 'sku2'));
    // The default setting: what the customer bought is not offered again.
    expect(boughtBy(record).length).toBeGreaterThan(0);
    for (const i of boughtBy(record)) expected.delete(i);
    const body = await rec(MF, 'basket', 'items=sku1,sku2&customer=c5&n=8');
    expect(body).toMatchObject({ model: { type: 'lightfm' }, fallback: false });
    expectBest(a, body.items, expected, 8);
  });

  it('user-knn does not serve the basket surface: the fallback ranking answers, with or without a known customer', async () => {
    const a = artifactOf(UKNN);
    const popular = Array.from(a.trending?.items ?? a.popularity!.items, (i) => a.itemId(i));
    // c7 has a precomputed for-you list, but a cart is not what it was computed for.
    expect(recordOf(UKNN, 'c7')).not.toBeNull();
    const known = await rec(UKNN, 'basket', 'customer=c7&items=sku0&n=3');
    expect(known).toMatchObject({ model: { type: 'user-knn' }, fallback: true });
    expect(known.items.map((i) => i.id)).toEqual(popular.filter((id) => id !== 'sku0').slice(0, 3));
    const anonymous = await rec(UKNN, 'basket', 'items=sku0&n=3');
    expect(anonymous.fallback).toBe(true);
    expect(anonymous.items.map((i) => i.id)).toEqual(known.items.map((i) => i.id));
  });
});

describe('similar', () => {
  it("item-knn: the item's neighbour row", async () => {
    const a = artifactOf(KNN);
    const row = neighbourSums(a, [idx(a, 'sku2')]);
    row.delete(idx(a, 'sku2'));
    const positive = new Map([...row].filter(([, s]) => s > 0));
    const body = await rec(KNN, 'similar', `item=sku2&n=${positive.size}`);
    expect(body.fallback).toBe(false);
    expectBest(a, body.items, positive, positive.size);
  });

  it("hybrid MF: the items closest to the item's vector, never the item itself", async () => {
    const a = artifactOf(MF);
    const q = a.itemVector(idx(a, 'sku2'));
    const expected = vectorScores(a, q);
    expected.delete(idx(a, 'sku2'));
    const body = await rec(MF, 'similar', 'item=sku2&n=5');
    expectBest(a, body.items, expected, 5);
    expect(body.items.map((i) => i.id)).not.toContain('sku2');
  });

  it('an unknown item gets popular items with fallback true', async () => {
    for (const seller of [KNN, MF, UKNN]) {
      const body = await rec(seller, 'similar', `item=${encodeURIComponent('ünknown-☕')}&n=4`);
      expect(body.fallback).toBe(true);
      expect(body.items).toHaveLength(4);
    }
  });
});

describe('for-you', () => {
  it("hybrid MF: the customer's vector against every item", async () => {
    const a = artifactOf(MF);
    const record = decodeUserRecord(recordOf(MF, 'c5')!);
    if (record.kind !== 'user-vector') throw new Error('expected a user-vector record');
    const body = await rec(MF, 'for-you', 'customer=c5&n=6');
    expect(body.fallback).toBe(false);
    const expected = vectorScores(a, record.vector, record.bias);
    for (const i of boughtBy(record)) expected.delete(i);
    expectBest(a, body.items, expected, 6);
  });

  it("user-knn: the customer's precomputed list", async () => {
    const a = artifactOf(UKNN);
    const record = decodeUserRecord(recordOf(UKNN, 'c9')!);
    if (record.kind !== 'top-items') throw new Error('expected a top-items record');
    const body = await rec(UKNN, 'for-you', 'customer=c9&n=4');
    expect(body.fallback).toBe(false);
    expectList(a, body, record, 4);
  });

  it("item-knn: the neighbour rows of the customer's history, each times its weight, what they bought left out, fill included", async () => {
    const a = artifactOf(KNN);
    const record = decodeUserRecord(recordOf(KNN, 'c9')!);
    if (record.kind !== 'history') throw new Error('expected a history record');
    const expected = historySums(a, record.history);
    for (const i of boughtBy(record)) expected.delete(i);
    const positive = new Map([...expected].filter(([, s]) => s > 0));
    const body = await rec(KNN, 'for-you', 'customer=c9&n=20');
    expect(body.fallback).toBe(false);
    expectBest(a, body.items, positive, Math.min(20, positive.size));
    expect(body.items).toHaveLength(20);
    for (const item of body.items) expect(boughtBy(record), item.id).not.toContain(idx(a, item.id));
  });

  it('answers from the customer shards, and a version of the older per-key KV layout alike', async () => {
    expect(pointerOf(MF).customerShards).toEqual({ count: 4, format: 1 });
    for (const customer of ['c0', 'c5', 'c17', 'c39']) {
      const sharded = await rec(MF, 'for-you', `customer=${customer}&n=5`);
      const legacy = await rec(LEGACY, 'for-you', `customer=${customer}&n=5`);
      expect(sharded.fallback, customer).toBe(false);
      expect(legacy.items).toEqual(sharded.items);
      expect(legacy.fallback).toBe(false);
    }
    // Unknown in both: the fallback ranking.
    const unknown = await rec(MF, 'for-you', 'customer=stranger&n=5');
    expect(unknown.fallback).toBe(true);
    expect((await rec(LEGACY, 'for-you', 'customer=stranger&n=5')).items).toEqual(unknown.items);
  });

  it('fallback chain: unknown customer -> the items given -> popular items', async () => {
    const viaItems = await rec(KNN, 'for-you', 'customer=stranger&items=sku0,sku4');
    const basket = await rec(KNN, 'basket', 'items=sku0,sku4');
    expect(viaItems.fallback).toBe(false);
    expect(viaItems.items).toEqual(basket.items);
    const a = artifactOf(KNN);
    const nothing = await rec(KNN, 'for-you', 'customer=stranger&n=5');
    expect(nothing.fallback).toBe(true);
    expect(nothing.items.map((i) => i.id)).toEqual(Array.from(a.popularity!.items.slice(0, 5), (i) => a.itemId(i)));
    const anonymous = await rec(MF, 'for-you', 'n=3');
    expect(anonymous.fallback).toBe(true);
    expect(anonymous.items).toHaveLength(3);
  });

  it('a popularity model answers with its own ranking (not a fallback), what a known customer bought left out', async () => {
    const a = artifactOf(POP);
    const ranking = a.trending ?? a.popularity!;
    // Its records are the customers' histories (the default setting: no repeats).
    const record = decodeUserRecord(recordOf(POP, 'c1')!);
    expect(record.kind).toBe('history');
    const bought = new Set(boughtBy(record).map((i) => a.itemId(i)));
    expect(bought.size).toBeGreaterThan(0);
    for (const [route, query, customer] of [
      ['for-you', 'customer=c1', true],
      ['basket', 'items=sku0', false],
      ['basket', 'items=sku0&customer=c1', true],
      ['similar', 'item=sku0', false],
    ] as const) {
      const body = await rec(POP, route, `${query}&n=5`);
      expect(body).toMatchObject({ model: { type: 'popularity' }, fallback: false });
      const expected = Array.from(ranking.items, (i) => a.itemId(i))
        .filter((id) => id !== 'sku0' || route === 'for-you')
        .filter((id) => !customer || !bought.has(id))
        .slice(0, 5);
      expect(
        body.items.map((i) => i.id),
        `${route} ${query}`,
      ).toEqual(expected);
    }
  });
});

describe('filters and exclusions', () => {
  const price = (id: string) => 5 + Number(id.slice(3));
  const n = (id: string) => Number(id.slice(3));

  it('category, in_stock and price range apply before selection, on every route', async () => {
    for (const [seller, route, q] of [
      [KNN, 'basket', 'items=sku0'],
      [MF, 'for-you', 'customer=c2'],
      [MF, 'similar', 'item=sku3'],
      [UKNN, 'for-you', 'customer=c2'],
      [POP, 'for-you', ''],
    ] as const) {
      const mugs = await rec(seller, route, `${q}&category=MUGS&n=20`);
      expect(mugs.items.length).toBeGreaterThan(0);
      for (const it of mugs.items) expect(n(it.id) % 3, `${seller} ${it.id}`).toBe(0);
      expect(mugs.items.every((it) => n(it.id) < 20)).toBe(true);

      const stocked = await rec(seller, route, `${q}&in_stock=1&n=20`);
      for (const it of stocked.items) expect([0, 2]).toContain(n(it.id) % 4);
      expect(stocked.items.every((it) => n(it.id) < 20)).toBe(true);

      const priced = await rec(seller, route, `${q}&min_price=10&max_price=14.5&n=20`);
      expect(priced.items.length).toBeGreaterThan(0);
      for (const it of priced.items) {
        expect(it.price).toBe(price(it.id));
        expect(price(it.id)).toBeGreaterThanOrEqual(10);
        expect(price(it.id)).toBeLessThanOrEqual(14.5);
      }
    }
  });

  it('answers a filter nothing passes with an empty list', async () => {
    const body = await rec(KNN, 'basket', 'items=sku0&category=furniture');
    expect(body.items).toEqual([]);
    expect(body.fallback).toBe(true);
  });

  it('excludes the ids in exclude (and ignores unknown ones)', async () => {
    const first = await rec(MF, 'for-you', 'customer=c5&n=5');
    const top2 = first.items.slice(0, 2).map((i) => i.id);
    const body = await rec(MF, 'for-you', `customer=c5&n=5&exclude=${top2.join(',')},nope`);
    expect(body.items.map((i) => i.id)).toEqual(
      first.items
        .slice(2)
        .map((i) => i.id)
        .concat(body.items.slice(3).map((i) => i.id)),
    );
    for (const id of top2) expect(body.items.map((i) => i.id)).not.toContain(id);
  });

  it('returns at most n items, and every other item when n is large', async () => {
    expect((await rec(KNN, 'basket', 'items=sku0&n=3')).items).toHaveLength(3);
    expect((await rec(KNN, 'basket', 'items=sku0&n=100')).items).toHaveLength(23);
    expect((await rec(KNN, 'basket', 'items=sku0')).items).toHaveLength(10);
  });
});

describe('model= (secret keys only)', () => {
  it('answers with the ranking asked for', async () => {
    const a = artifactOf(KNN);
    const body = await rec(KNN, 'basket', 'items=sku0&model=popularity&n=4', true);
    expect(body).toMatchObject({ model: { type: 'popularity' }, fallback: false });
    expect(body.items.map((i) => i.id)).toEqual(
      Array.from(a.popularity!.items, (i) => a.itemId(i))
        .filter((id) => id !== 'sku0')
        .slice(0, 4),
    );
    const same = await rec(KNN, 'basket', 'items=sku0&model=item-knn', true);
    expect(same.items).toEqual((await rec(KNN, 'basket', 'items=sku0')).items);
  });

  it('answers 404 model_not_available for a model the active version lacks', async () => {
    for (const model of ['lightfm', 'user-knn', 'trending']) {
      const { status, body } = await callJson(`/v1/sellers/${KNN}/recommendations/basket?items=sku0&model=${model}`, { key: keys[KNN].sk });
      expect(status, model).toBe(404);
      expect(body.error.code).toBe('model_not_available');
      expect(body.error.message).toContain('item-knn');
    }
  });
});

describe('responses', () => {
  it('carry a fresh rec_id, variant null and no caching', async () => {
    const r1 = await call(`/v1/sellers/${KNN}/recommendations/basket?items=sku0`, { key: keys[KNN].pk });
    const r2 = await call(`/v1/sellers/${KNN}/recommendations/basket?items=sku0`, { key: keys[KNN].pk });
    const b1 = (await r1.json()) as RecBody;
    const b2 = (await r2.json()) as RecBody;
    expect(b1.rec_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(b1.rec_id).not.toBe(b2.rec_id);
    expect(b1.variant).toBeNull();
    expect(r1.headers.get('cache-control')).toBe('no-store');
  });

  it('answer a seller without any model with an empty list and fallback true, never an error', async () => {
    for (const [route, q] of [
      ['basket', 'items=sku0'],
      ['similar', 'item=sku0'],
      ['for-you', 'customer=c1'],
    ]) {
      const body = await rec(EMPTY, route, q);
      expect(body).toMatchObject({ items: [], model: null, fallback: true, variant: null });
    }
  });
});

describe('bad input', () => {
  const bad: [string, string, string][] = [
    ['basket', 'items=sku0&n=0', 'n'],
    ['basket', 'items=sku0&n=101', 'n'],
    ['basket', 'items=sku0&n=abc', 'n'],
    ['basket', 'items=sku0&n=1.5', 'n'],
    ['basket', 'items=sku0&n=1&n=2', 'n must be given once'],
    ['similar', 'n=3', 'item'],
    ['similar', 'item=', 'item'],
    ['similar', 'item=a&item=b', 'item must be given once'],
    ['basket', 'items=sku0&in_stock=maybe', 'in_stock'],
    ['basket', 'items=sku0&min_price=-1', 'min_price'],
    ['basket', 'items=sku0&max_price=1e5', 'max_price'],
    ['basket', 'items=sku0&min_price=20&max_price=10', 'min_price must not be above max_price'],
    ['basket', 'items=sku0&model=magic', 'model'],
    ['for-you', `customer=${'c'.repeat(300)}`, 'customer'],
    ['basket', `items=${'s'.repeat(300)}`, 'items'],
    ['basket', `items=sku0&category=${'x'.repeat(201)}`, 'category'],
  ];
  it.each(bad)('%s?%s -> 400 naming the parameter', async (route, query, mention) => {
    const { status, body } = await callJson(`/v1/sellers/${KNN}/recommendations/${route}?${query}`, { key: keys[KNN].sk });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain(mention);
  });

  it('answers 413 for more than 100 ids', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `s${i}`).join(',');
    for (const param of ['items', 'exclude']) {
      const { status, body } = await callJson(`/v1/sellers/${KNN}/recommendations/basket?${param}=${ids}`, { key: keys[KNN].pk });
      expect(status).toBe(413);
      expect(body.error).toMatchObject({ code: 'too_many_items', message: expect.stringContaining(param) });
    }
  });

  it('answers 413 for a declared body over the limit', async () => {
    const { status, body } = await callJson(`/v1/sellers/${KNN}/recommendations/basket?items=sku0`, {
      key: keys[KNN].pk,
      headers: { 'Content-Length': '10000000' },
    });
    expect(status).toBe(413);
    expect(body.error.code).toBe('request_too_large');
  });

  it('answers unknown routes under a seller with 404', async () => {
    const { status, body } = await callJson(`/v1/sellers/${KNN}/recommendations/nope`, { key: keys[KNN].pk });
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });
});
