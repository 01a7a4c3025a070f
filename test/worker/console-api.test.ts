import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashKey, keyStorage, parseKeyIndex, parseKeyRecord } from '../../core/storage/keys.js';
import { modelStorage } from '../../core/storage/pointer.js';
import { insertEvents } from '../../functions/events/store.js';
import type { StoredEvent } from '../../functions/events/event.js';
import { cardAnswer, rollbackAnswer, statsAnswer, widgetAnswer } from '../../functions/routes/console-schemas.js';
import { keyCreatedAnswer, keyRevokedAnswer, keysAnswer } from '../../functions/routes/keys-schema.js';
import { modelsAnswer } from '../../functions/routes/slots-schema.js';
import { call, callJson, createKey, fixtures, fromBase64, migrate, seedModels, type RecBody } from './helpers.js';

/**
 * The routes a seller's tools read their figures and manage their keys and versions with (the
 * console at /console calls only these and the older public routes): stats from the events,
 * API keys, model cards, rollback, the widget's integrity hash, a secret key from the worker's
 * own origin, and the console page itself.
 */

const S = fixtures.slotsSeller;
const STATS = 'shop-stats';
const DAY = 86_400_000;
let sk: string;
let pk: string;
let skStats: string;

beforeAll(async () => {
  await seedModels();
  await migrate();
  sk = (await createKey({ seller: S, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  pk = (await createKey({ seller: S, rps: 1e6, burst: 1e6 })).key;
  skStats = (await createKey({ seller: STATS, type: 'secret', rps: 1e6, burst: 1e6 })).key;
});

function stored(seller: string, e: Partial<StoredEvent> & Pick<StoredEvent, 'type' | 'visitor_id' | 'ts'>): StoredEvent {
  return {
    event_id: crypto.randomUUID(),
    seller,
    customer_id: null,
    rec_id: null,
    experiment_id: null,
    variant: null,
    surface: null,
    item_ids: ['x'],
    order_id: null,
    value: null,
    currency: null,
    received: e.ts,
    ...e,
  };
}

const dayOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);

describe('GET /v1/sellers/:seller/stats', () => {
  it('counts what recommendations did, the orders, their items and what was attributed, per UTC day, within the window only', async () => {
    const now = Date.now();
    // Noon two days ago and one day ago: whole days away from any midnight.
    const d2 = Math.floor(now / DAY) * DAY - 2 * DAY + 12 * 3_600_000;
    const d1 = d2 + DAY;
    const rec = crypto.randomUUID();
    const h = 3_600_000;
    await insertEvents(env.DB, [
      // Shown twice, and once without a rec_id (a page's own impression: not a recommendation's).
      stored(STATS, { type: 'impression', visitor_id: 'v1', ts: d2, rec_id: rec, item_ids: ['A', 'B'] }),
      stored(STATS, { type: 'impression', visitor_id: 'v2', ts: d2, rec_id: crypto.randomUUID(), item_ids: ['A'] }),
      stored(STATS, { type: 'impression', visitor_id: 'v2', ts: d2, item_ids: ['A'] }),
      // v1 clicks A and adds it to the cart from the answer, then orders A and B in two events of one order: attributed.
      stored(STATS, { type: 'click', visitor_id: 'v1', ts: d2 + h, rec_id: rec, item_ids: ['A'] }),
      stored(STATS, { type: 'add_to_cart', visitor_id: 'v1', ts: d2 + 2 * h, rec_id: rec, item_ids: ['A'] }),
      stored(STATS, { type: 'purchase', visitor_id: 'v1', ts: d2 + 3 * h, order_id: 'o1', item_ids: ['A'], value: 10, currency: 'EUR' }),
      stored(STATS, { type: 'purchase', visitor_id: 'v1', ts: d2 + 3 * h, order_id: 'o1', item_ids: ['B'], value: 10.1, currency: 'EUR' }),
      // v2 orders C, which no recommendation led to: not attributed.
      stored(STATS, { type: 'purchase', visitor_id: 'v2', ts: d1, order_id: 'o2', item_ids: ['C'], value: 5, currency: 'EUR' }),
      // v3 clicked D from an answer (on the day before, 8:00) 30 hours before ordering D and E (no order id: an order of its own): attributed within 48 h, not 24 h.
      stored(STATS, { type: 'click', visitor_id: 'v3', ts: d1 - 30 * h + 2 * h, rec_id: crypto.randomUUID(), item_ids: ['D'] }),
      stored(STATS, { type: 'purchase', visitor_id: 'v3', ts: d1 + 2 * h, item_ids: ['D', 'E'], value: 7, currency: 'USD' }),
      // Outside the window, and another seller's: not counted.
      stored(STATS, { type: 'purchase', visitor_id: 'v4', ts: now - 40 * DAY, order_id: 'old', item_ids: ['A', 'B', 'C'], value: 99 }),
      stored(S, { type: 'purchase', visitor_id: 'v1', ts: d1, order_id: 'other', item_ids: ['A'], value: 3 }),
    ]);

    const r = await callJson(`/v1/sellers/${STATS}/stats`, { key: skStats });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(statsAnswer.parse(r.body)).toEqual(r.body);
    const s = r.body;
    expect(s).toMatchObject({ seller: STATS, days: 30, attribution_window_hours: 24, currencies: ['EUR', 'USD'] });
    expect(s.daily).toHaveLength(30);
    expect(s.daily.at(-1).day).toBe(dayOf(now));
    expect(s.from).toBe(`${s.daily[0].day}T00:00:00.000Z`);
    expect(s.totals).toEqual({
      impressions: 2,
      clicks: 2,
      add_to_carts: 1,
      orders: 3,
      items: 5,
      multi_item_orders: 2,
      revenue: 32.1,
      attributed_orders: 1,
      attributed_revenue: 20.1,
      ctr: 1,
      items_per_order: 5 / 3,
      multi_item_share: 2 / 3,
      attributed_share: 1 / 3,
    });
    const day = (ts: number) => s.daily.find((d: { day: string }) => d.day === dayOf(ts));
    expect(day(d2)).toEqual({
      day: dayOf(d2),
      impressions: 2,
      clicks: 2,
      add_to_carts: 1,
      orders: 1,
      items: 2,
      multi_item_orders: 1,
      revenue: 20.1,
      attributed_orders: 1,
      attributed_revenue: 20.1,
    });
    expect(day(d1)).toMatchObject({ clicks: 0, orders: 2, items: 3, multi_item_orders: 1, revenue: 12, attributed_orders: 0 });
    // Every other day is zeros.
    const others = s.daily.filter((d: { day: string }) => d.day !== dayOf(d1) && d.day !== dayOf(d2));
    expect(others.every((d: Record<string, unknown>) => Object.entries(d).every(([k, v]) => k === 'day' || v === 0))).toBe(true);

    // A longer window attributes v3's order too; a shorter period leaves out the days before it.
    const wide = await callJson(`/v1/sellers/${STATS}/stats?days=30&attribution_window_hours=48`, { key: skStats });
    expect(wide.body.totals).toMatchObject({ attributed_orders: 2, attributed_revenue: 27.1 });
    const one = await callJson(`/v1/sellers/${STATS}/stats?days=1`, { key: skStats });
    expect(one.body.daily).toEqual([
      {
        day: dayOf(now),
        impressions: 0,
        clicks: 0,
        add_to_carts: 0,
        orders: 0,
        items: 0,
        multi_item_orders: 0,
        revenue: 0,
        attributed_orders: 0,
        attributed_revenue: 0,
      },
    ]);
    expect(one.body.totals.items_per_order).toBeNull();
  });

  it('refuses a bad period or window (400 naming it) and a publishable key (403)', async () => {
    for (const [query, message] of [
      ['days=0', /days must be an integer from 1 to 90/],
      ['days=91', /days must be an integer from 1 to 90/],
      ['days=abc', /days must be an integer/],
      ['days=3&days=4', /days must be given once/],
      ['attribution_window_hours=0', /attribution_window_hours must be an integer from 1 to 720/],
    ] as const) {
      const r = await callJson(`/v1/sellers/${STATS}/stats?${query}`, { key: skStats });
      expect(r.status, query).toBe(400);
      expect(r.body.error.message, query).toMatch(message);
    }
    const r = await callJson(`/v1/sellers/${S}/stats`, { key: pk });
    expect([r.status, r.body.error.code]).toEqual([403, 'secret_key_required']);
  });
});

describe('API keys: GET|POST /v1/sellers/:seller/keys, DELETE …/keys/:id', () => {
  it('creates a key in the layout of plusone keys, shows it once, lists it without the key, and the key works at once', async () => {
    const created = await callJson(`/v1/sellers/${S}/keys`, {
      key: sk,
      body: JSON.stringify({ type: 'publishable', origins: ['https://Shop.Example/', 'http://localhost:8787', 'https://shop.example'], rps: 20 }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(keyCreatedAnswer.parse(created.body)).toEqual(created.body);
    const k = created.body;
    expect(k).toMatchObject({
      seller: S,
      type: 'publishable',
      origins: ['https://shop.example', 'http://localhost:8787'],
      rps: 20,
      burst: null,
      revoked: null,
    });
    expect(k.key).toMatch(/^pk_[A-Za-z0-9_-]{32}$/);
    expect(k.hint).toBe(`${k.key.slice(0, 7)}…`);
    // What plusone keys and the edge read: the record under the key's hash, the entry in the seller's index.
    const record = parseKeyRecord((await env.KV.get(keyStorage.record(await hashKey(k.key))))!);
    expect(record).toEqual({ id: k.id, seller: S, type: 'publishable', origins: k.origins, created: k.created, revoked: null, rps: 20, burst: null });
    const index = parseKeyIndex(await env.KV.get(keyStorage.index(S)));
    expect(index.find((e) => e.id === k.id)).toMatchObject({ hash: await hashKey(k.key), hint: k.hint });

    const rec = await callJson<RecBody>(`/v1/sellers/${S}/recommendations/similar?item=sku1&n=2`, { key: k.key, origin: 'https://shop.example' });
    expect(rec.status).toBe(200);
    expect(rec.res.headers.get('access-control-allow-origin')).toBe('https://shop.example');

    const list = await callJson(`/v1/sellers/${S}/keys`, { key: sk });
    expect(keysAnswer.parse(list.body)).toEqual(list.body);
    expect(list.body.keys.map((e: { id: string }) => e.id)).toContain(k.id);
    expect(list.body.current).toBe(list.body.keys.find((e: { hint: string }) => sk.startsWith(e.hint.slice(0, 7))).id);
    // Neither the keys nor their hashes are listed.
    const text = JSON.stringify(list.body);
    for (const e of index) expect(text).not.toContain(e.hash);
    expect(text).not.toContain(k.key);
    expect(text).not.toContain(sk);

    const secret = await callJson(`/v1/sellers/${S}/keys`, { key: sk, body: JSON.stringify({ type: 'secret' }) });
    expect(secret.status).toBe(201);
    expect(secret.body.key).toMatch(/^sk_/);
    expect((await callJson(`/v1/sellers/${S}/models`, { key: secret.body.key })).status).toBe(200);
  });

  it('revokes a key (refused at once), keeps the date when it is revoked again, and will not revoke the key asking', async () => {
    const made = await callJson(`/v1/sellers/${S}/keys`, { key: sk, body: JSON.stringify({ type: 'publishable', origins: ['*'] }) });
    const before = await callJson(`/v1/sellers/${S}/recommendations/similar?item=sku1&n=2`, { key: made.body.key });
    expect(before.status).toBe(200);
    const revoked = await callJson(`/v1/sellers/${S}/keys/${made.body.id}`, { key: sk, method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(keyRevokedAnswer.parse(revoked.body)).toEqual(revoked.body);
    expect(revoked.body).toMatchObject({ key: { id: made.body.id, revoked: expect.any(String) }, already: false });
    const after = await callJson(`/v1/sellers/${S}/recommendations/similar?item=sku1&n=2`, { key: made.body.key });
    expect([after.status, after.body.error.code]).toEqual([401, 'revoked_key']);
    const again = await callJson(`/v1/sellers/${S}/keys/${made.body.id}`, { key: sk, method: 'DELETE' });
    expect(again.body).toMatchObject({ key: { revoked: revoked.body.key.revoked }, already: true });

    const mine = (await callJson(`/v1/sellers/${S}/keys`, { key: sk })).body.current;
    const self = await callJson(`/v1/sellers/${S}/keys/${mine}`, { key: sk, method: 'DELETE' });
    expect([self.status, self.body.error.code]).toEqual([409, 'key_conflict']);
    expect(self.body.error.message).toMatch(/is the key making this request; revoke it with another secret key/);
    expect((await callJson(`/v1/sellers/${S}/models`, { key: sk })).status).toBe(200);
  });

  it('refuses bad bodies naming the field, unknown and malformed ids, and publishable keys', async () => {
    for (const [body, message] of [
      [{ type: 'secret', origins: ['https://shop.example'] }, /origins are for publishable keys/],
      [{ type: 'publishable', origins: ['https://shop.example/cart'] }, /origins: "https:\/\/shop.example\/cart" is not an origin/],
      [{ type: 'admin' }, /type must be publishable or secret/],
      [{ type: 'publishable', rps: -1 }, /rps must be more than 0/],
      [{ type: 'publishable', extra: 1 }, /extra/],
    ] as const) {
      const r = await callJson(`/v1/sellers/${S}/keys`, { key: sk, body: JSON.stringify(body) });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    const unknown = await callJson(`/v1/sellers/${S}/keys/key_0000000000000000`, { key: sk, method: 'DELETE' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'key_not_found']);
    const malformed = await callJson(`/v1/sellers/${S}/keys/nope`, { key: sk, method: 'DELETE' });
    expect(malformed.status).toBe(400);
    for (const init of [{}, { body: JSON.stringify({ type: 'secret' }) }, { method: 'DELETE' }]) {
      const r = await callJson(`/v1/sellers/${S}/keys${'method' in init ? '/key_0000000000000000' : ''}`, { key: pk, ...init });
      expect([r.status, r.body.error.code]).toEqual([403, 'secret_key_required']);
    }
  });
});

describe('model cards and rollback', () => {
  it('answers the model card a version was published with', async () => {
    const models = (await callJson(`/v1/sellers/${S}/models`, { key: sk })).body;
    const v = models.slots.find((s: { slot: string }) => s.slot === 'warp').versions[0];
    const r = await callJson(`/v1/sellers/${S}/models/${v.version}/card`, { key: sk });
    expect(r.status).toBe(200);
    expect(cardAnswer.parse(r.body)).toEqual(r.body);
    expect(r.body.card).toMatchObject({
      seller: S,
      slot: 'warp',
      version: v.version,
      model: 'lightfm',
      items: v.items,
      metrics: { candidate: { 'p@10': 0.1 } },
    });
    const missing = await callJson(`/v1/sellers/${S}/models/20200101T000000Z-warp-00000000/card`, { key: sk });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'version_not_found']);
    expect((await callJson(`/v1/sellers/${S}/models/${encodeURIComponent('../x')}/card`, { key: sk })).status).toBe(400);
  });

  it('rolls a slot back one version or to a named one, refuses what cannot be done, and answers with it at once', async () => {
    const warp = () => callJson(`/v1/sellers/${S}/models`, { key: sk }).then((r) => modelsAnswer.parse(r.body).slots.find((s) => s.slot === 'warp')!);
    const before = await warp();
    const [v1, v2] = before.versions.map((v) => v.version);
    expect(before.current).toBe(v2);
    const rollback = (slot: string, body?: unknown) =>
      callJson(`/v1/sellers/${S}/slots/${slot}/rollback`, { key: sk, method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

    const back = await rollback('warp');
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    expect(rollbackAnswer.parse(back.body)).toEqual(back.body);
    expect(back.body).toMatchObject({ seller: S, slot: 'warp', version: v1, previous: v2, kind: 'lightfm' });
    expect((await warp()).current).toBe(v1);
    const answer = await callJson<RecBody>(`/v1/sellers/${S}/recommendations/similar?item=sku1&n=2&slot=warp`, { key: sk });
    expect(answer.body.model).toEqual({ type: 'lightfm', version: v1, slot: 'warp' });

    const none = await rollback('warp');
    expect([none.status, none.body.error.code]).toEqual([409, 'rollback_conflict']);
    expect(none.body.error.message).toMatch(`has no version older than its current ${v1}`);
    const unknown = await rollback('warp', { to: '20200101T000000Z-warp-00000000' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'version_not_found']);
    const empty = await rollback('nothing-here');
    expect([empty.status, empty.body.error.code]).toEqual([409, 'rollback_conflict']);
    expect((await rollback('Bad!')).status).toBe(400);
    expect((await callJson(`/v1/sellers/${S}/slots/warp/rollback`, { key: sk, method: 'POST', body: '{"to":' })).status).toBe(400);
    expect((await rollback('warp', { to: v2, extra: true })).status).toBe(400);

    // A damaged artifact is never rolled back to.
    const key = modelStorage.artifact(S, v2);
    const good = fromBase64(fixtures.objects.find(([k]) => k === key)![1]);
    await env.MODELS.put(key, good.slice(0, good.length - 1));
    const damaged = await rollback('warp', { to: v2 });
    expect([damaged.status, damaged.body.error.code]).toEqual([409, 'rollback_conflict']);
    expect(damaged.body.error.message).toMatch(/its artifact is damaged/);
    expect((await warp()).current).toBe(v1);
    await env.MODELS.put(key, good);

    const forward = await rollback('warp', { to: v2 });
    expect(forward.body).toMatchObject({ version: v2, previous: v1 });
    expect((await warp()).current).toBe(v2);
    const pkTry = await callJson(`/v1/sellers/${S}/slots/warp/rollback`, { key: pk, method: 'POST' });
    expect(pkTry.status).toBe(403);
  });
});

describe('the widget, the worker’s own origin, the console page', () => {
  it('documents every new route in the OpenAPI document, with its error codes', async () => {
    const doc = (await callJson('/v1/openapi.json')).body;
    for (const [path, method] of [
      ['/v1/widget', 'get'],
      ['/v1/sellers/{seller}/stats', 'get'],
      ['/v1/sellers/{seller}/keys', 'get'],
      ['/v1/sellers/{seller}/keys', 'post'],
      ['/v1/sellers/{seller}/keys/{id}', 'delete'],
      ['/v1/sellers/{seller}/models/{version}/card', 'get'],
      ['/v1/sellers/{seller}/slots/{slot}/rollback', 'post'],
      ['/v1/sellers/{seller}/customers/deleted', 'get'],
    ])
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(doc.paths['/v1/sellers/{seller}/stats'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['seller', 'days', 'attribution_window_hours']);
    expect(doc.paths['/v1/sellers/{seller}/slots/{slot}/rollback'].post.responses['409'].description).toContain('rollback_conflict');
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(
      expect.arrayContaining(['key_not_found', 'key_conflict', 'version_not_found', 'rollback_conflict']),
    );
  });

  it('GET /v1/widget names the versioned script and the integrity hash of what /widget.v1.js serves', async () => {
    const r = await callJson('/v1/widget');
    expect(r.status).toBe(200);
    expect(widgetAnswer.parse(r.body)).toEqual(r.body);
    const script = await (await call(r.body.url)).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-384', script));
    expect(r.body.integrity).toBe(`sha384-${btoa(String.fromCharCode(...digest))}`);
    expect(r.body.bytes).toBe(script.byteLength);
  });

  it('lets a secret key through from the worker’s own origin (its pages), never from another', async () => {
    const own = await callJson(`/v1/sellers/${S}/keys`, { key: sk, origin: 'https://edge.test', body: JSON.stringify({ type: 'publishable' }) });
    expect(own.status).toBe(201);
    expect(own.res.headers.get('access-control-allow-origin')).toBeNull();
    for (const origin of ['https://evil.example', 'http://edge.test', 'https://edge.test.evil.example', 'null']) {
      const r = await callJson(`/v1/sellers/${S}/models`, { key: sk, origin });
      expect([r.status, r.body.error.code], origin).toEqual([403, 'secret_key_in_browser']);
    }
  });

  it('serves the console: a static page under a strict policy that holds no key and no seller data', async () => {
    const res = await call('/console');
    expect(res.status).toBe(200);
    const html = await res.text();
    const policy = res.headers.get('content-security-policy')!;
    expect(policy).toMatch(/default-src 'none'; script-src 'self' 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(html).toContain('<form id="sign-in-form"');
    expect(html).toContain('id="report"');
    expect(html).not.toMatch(/sk_[A-Za-z0-9_-]{32}|pk_[A-Za-z0-9_-]{32}/);
    expect(html).not.toContain(S);
  });
});
