import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeCustomerShard, shardEntries } from '../../core/format/customer-shard.js';
import { deletedIdsSql } from '../../core/storage/events-sql.js';
import { hashedId } from '../../functions/http/log.js';
import { callJson, createKey, fixtureShard, migrate, pointerOf, recordOf, seedModels, SELLERS, waitFor, type RecBody } from './helpers.js';

const A = SELLERS['item-knn'];
const B = SELLERS.lightfm;
const events = (seller: string) => `/v1/sellers/${seller}/events`;
const SHOP = 'https://shop.example';

let pk: string;
let sk: string;
let pkB: string;

beforeAll(async () => {
  await seedModels();
  await migrate();
  // A generous rate limit: the concurrency test sends 1,100 calls at once.
  pk = (await createKey({ seller: A, origins: [SHOP], rps: 100_000, burst: 100_000 })).key;
  sk = (await createKey({ seller: A, type: 'secret', rps: 100_000, burst: 100_000 })).key;
  pkB = (await createKey({ seller: B })).key;
});

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: crypto.randomUUID(),
    type: 'click',
    visitor_id: 'v-1',
    rec_id: crypto.randomUUID(),
    surface: 'basket',
    item_ids: ['sku1'],
    ts: Date.now(),
    ...overrides,
  };
}

const post = (seller: string, body: unknown, key = pk, origin?: string) =>
  callJson(events(seller), {
    key,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
    ...(origin ? { origin } : {}),
  });

async function rowCount(where = '1 = 1', ...args: unknown[]): Promise<number> {
  const r = await env.DB.prepare(`SELECT COUNT(*) AS n FROM events WHERE ${where}`)
    .bind(...args)
    .first<{ n: number }>();
  return r!.n;
}

describe('event intake', () => {
  it('answers 202 with the count, and the queue consumer writes the events to D1', async () => {
    const batch = [
      event({ visitor_id: 'v-202', type: 'impression', item_ids: ['sku1', 'sku2'] }),
      event({ visitor_id: 'v-202', type: 'add_to_cart', customer_id: 'c7' }),
      event({ visitor_id: 'v-202', type: 'purchase', order_id: 'o-1', item_ids: ['sku1', 'sku3'], value: 42.5, currency: 'EUR', ts: new Date().toISOString() }),
    ];
    const { status, body } = await post(A, { events: batch }, pk, SHOP);
    expect(status).toBe(202);
    expect(body).toEqual({ accepted: 3, duplicates: 0 });
    const n = await waitFor(
      () => rowCount('visitor_id = ?', 'v-202'),
      (v) => v === 3,
    );
    expect(n).toBe(3);
    const row = await env.DB.prepare("SELECT * FROM events WHERE visitor_id = 'v-202' AND type = 'purchase'").first<Record<string, unknown>>();
    expect(row).toMatchObject({ seller: A, order_id: 'o-1', item_ids: '["sku1","sku3"]', item_count: 2, value: 42.5, currency: 'EUR' });
    // The listing (secret key) shows them, oldest first, with item ids as arrays.
    const listed = await callJson(`${events(A)}?visitor=v-202`, { key: sk });
    expect(listed.status).toBe(200);
    expect(listed.body.events.map((e: { type: string }) => e.type).sort()).toEqual(['add_to_cart', 'impression', 'purchase']);
    expect(listed.body.events.find((e: { type: string }) => e.type === 'purchase').item_ids).toEqual(['sku1', 'sku3']);
  });

  it('counts duplicates within a call and across calls, and stores each event once', async () => {
    const e1 = event({ visitor_id: 'v-dup' });
    const e2 = event({ visitor_id: 'v-dup' });
    expect((await post(A, { events: [e1, e1, e2] })).body).toEqual({ accepted: 2, duplicates: 1 });
    expect((await post(A, { events: [e1, e2] })).body).toEqual({ accepted: 0, duplicates: 2 });
    await waitFor(
      () => rowCount('visitor_id = ?', 'v-dup'),
      (v) => v === 2,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rowCount('visitor_id = ?', 'v-dup')).toBe(2);
  });

  it('leaves exactly 10,000 rows after 10,000 events sent concurrently with 10% of them sent twice', async () => {
    const all = Array.from({ length: 10_000 }, (_, i) => event({ visitor_id: `v-load-${i % 997}`, type: i % 3 === 0 ? 'impression' : 'click' }));
    const calls: Record<string, unknown>[][] = [];
    for (let i = 0; i < all.length; i += 100) calls.push(all.slice(i, i + 100));
    // 1,000 of them again, in other calls, interleaved with the first sends.
    const again = all.filter((_, i) => i % 10 === 3);
    for (let i = 0; i < again.length; i += 100) calls.splice(i * 3 + 1, 0, again.slice(i, i + 100));
    const answers = await Promise.all(calls.map((batch) => post(A, { events: batch })));
    for (const a of answers) expect(a.status).toBe(202);
    const accepted = answers.reduce((s, a) => s + a.body.accepted, 0);
    const duplicates = answers.reduce((s, a) => s + a.body.duplicates, 0);
    expect(accepted + duplicates).toBe(11_000);
    const n = await waitFor(
      () => rowCount("visitor_id LIKE 'v-load-%'"),
      (v) => v >= 10_000,
      90_000,
    );
    // Let any straggling batch land before the final count.
    await new Promise((r) => setTimeout(r, 2000));
    expect(n).toBe(10_000);
    expect(await rowCount("visitor_id LIKE 'v-load-%'")).toBe(10_000);
  });

  it('keeps event ids per seller: two sellers sending the same 10,000 events (10% of them twice) get exactly 10,000 rows each', async () => {
    const skB = (await createKey({ seller: B, type: 'secret', rps: 100_000, burst: 100_000 })).key;
    const pkB2 = (await createKey({ seller: B, origins: [SHOP], rps: 100_000, burst: 100_000 })).key;
    const all = Array.from({ length: 10_000 }, (_, i) => event({ visitor_id: `v-twin-${i % 499}`, type: i % 4 === 0 ? 'impression' : 'click' }));
    const calls: Record<string, unknown>[][] = [];
    for (let i = 0; i < all.length; i += 100) calls.push(all.slice(i, i + 100));
    const again = all.filter((_, i) => i % 10 === 7);
    for (let i = 0; i < again.length; i += 100) calls.splice(i * 3 + 2, 0, again.slice(i, i + 100));
    // Both sellers at once, call by call: the same ids arrive interleaved.
    const answers = await Promise.all(calls.flatMap((batch) => [post(A, { events: batch }), post(B, { events: batch }, pkB2)]));
    for (const a of answers) expect(a.status).toBe(202);
    const perSeller = (seller: string) => rowCount("seller = ? AND visitor_id LIKE 'v-twin-%'", seller);
    await waitFor(
      async () => (await perSeller(A)) + (await perSeller(B)),
      (n) => n >= 20_000,
      90_000,
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect(await perSeller(A)).toBe(10_000);
    expect(await perSeller(B)).toBe(10_000);
    // Each seller sees its own copy of an event id.
    const listed = await callJson(`${events(B)}?visitor=v-twin-7&limit=1000`, { key: skB });
    expect(listed.body.events.length).toBe(all.filter((e) => e.visitor_id === 'v-twin-7').length);
    expect(listed.body.events.every((e: { seller: string }) => e.seller === B)).toBe(true);
  }, 180_000);

  it('refuses a malformed body with 400, naming the event and the field; nothing is stored', async () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /not JSON/],
      [{ event: [] }, /"events" array/],
      [{ events: [] }, /empty/],
      [{ events: [event({ type: 'view' })] }, /events\[0\]\.type must be one of/],
      [{ events: [event(), event({ event_id: 'abc' })] }, /events\[1\]\.event_id must be a UUID/],
      [{ events: [event({ visitor_id: 7 })] }, /events\[0\]\.visitor_id must be a string/],
      [{ events: [event({ item_ids: 'sku1' })] }, /item_ids must be an array/],
      [{ events: [event({ type: 'purchase', item_ids: [] })] }, /at least one item/],
      [{ events: [event({ value: '12' })] }, /value must be a number/],
      [{ events: [event({ value: -1 })] }, /value must be a number/],
      [{ events: [event({ currency: 'euro' })] }, /currency/],
      [{ events: [event({ ts: undefined })] }, /ts is required/],
      [{ events: [event({ ts: 'yesterday' })] }, /ts is not a time/],
      [{ events: [event({ ts: Date.now() + 3_600_000 })] }, /future/],
      [{ events: [event({ ts: Date.now() - 40 * 86_400_000 })] }, /30 days/],
      // Out of any Date's range (a 500 from toISOString once): still a 400 naming the field.
      [{ events: [event(), event({ ts: 1e308 })] }, /^events\[1\]\.ts is in the future \(1e\+308 ms\)/],
      [{ events: [event({ ts: -1e308 })] }, /^events\[0\]\.ts is more than 30 days old/],
      [{ events: [event({ ts: 8.64e15 + 1 })] }, /^events\[0\]\.ts is in the future/],
      ['{"events":[{"ts":1e400}]}', /events\[0\]\.type/],
      [{ events: [event({ ts: 'NaN' })] }, /events\[0\]\.ts is not a time/],
      [{ events: [event({ type: 'purchase', value: 1e10 })] }, /^events\[0\]\.value must be a number from 0 to 1000000000/],
      [{ events: [event({ type: 'purchase', value: Number.MAX_VALUE })] }, /^events\[0\]\.value must be a number/],
      [{ events: [event({ surface: 'home' })] }, /surface/],
      [{ events: [event({ type: 'exposure' })] }, /type must be one of/],
      [{ events: [event({ variant: 'a b' })] }, /variant/],
    ];
    const before = await rowCount();
    for (const [body, message] of cases) {
      const r = await post(A, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
      expect(r.body.error.message).toMatch(message);
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rowCount()).toBe(before);
  });

  it('answers 413 to more than 100 events and to a body over 64 KiB', async () => {
    const many = await post(A, { events: Array.from({ length: 101 }, () => event()) });
    expect(many.status).toBe(413);
    expect(many.body.error.code).toBe('too_many_events');
    const items = Array.from({ length: 100 }, (_, i) => `${'x'.repeat(20)}${i}`);
    const big = await post(A, { events: Array.from({ length: 100 }, () => event({ item_ids: items })) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('request_too_large');
  });

  it('answers 404 for an unknown seller, 401 without or with a bad key, 403 for another seller or a secret key in a browser', async () => {
    const body = { events: [event()] };
    const unknown = await post('no-such-seller', body);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown_seller');
    expect((await callJson(events(A), { body: JSON.stringify(body) })).status).toBe(401);
    expect((await post(A, body, `pk_${'x'.repeat(32)}`)).status).toBe(401);
    const other = await post(A, body, pkB);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('wrong_seller');
    const browserSecret = await post(A, body, sk, SHOP);
    expect(browserSecret.status).toBe(403);
    expect(browserSecret.body.error.code).toBe('secret_key_in_browser');
    const wrongOrigin = await post(A, body, pk, 'https://evil.example');
    expect(wrongOrigin.status).toBe(403);
    // Listing needs a secret key.
    expect((await callJson(events(A), { key: pk })).body.error.code).toBe('secret_key_required');
    expect((await callJson(`${events(A)}?limit=0`, { key: sk })).status).toBe(400);
  });
});

describe('deleting a customer', () => {
  it('removes their events (and their visitor ids), drops later events of theirs, and lists them for training', async () => {
    const batch = [
      event({ visitor_id: 'v-gdpr', customer_id: 'c-gone', type: 'add_to_cart' }),
      event({ visitor_id: 'v-gdpr', type: 'impression' }),
      event({ visitor_id: 'v-keep', customer_id: 'c-stays' }),
    ];
    await post(A, { events: batch });
    await waitFor(
      () => rowCount("visitor_id IN ('v-gdpr', 'v-keep')"),
      (v) => v === 3,
    );
    expect((await callJson(`/v1/sellers/${A}/customers/c-gone`, { key: pk, method: 'DELETE' })).status).toBe(403);
    const del = await callJson(`/v1/sellers/${A}/customers/c-gone`, { key: sk, method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ customer: 'c-gone', events_deleted: 2, excluded_from_training: true });
    expect(await rowCount("visitor_id = 'v-gdpr'")).toBe(0);
    expect(await rowCount("visitor_id = 'v-keep'")).toBe(1);
    // Later events of theirs are dropped at insert: with their customer id, and (their visitor
    // ids are remembered) without it, from the browser they used, or from a new browser once it
    // showed up with their customer id. Other visitors' events land.
    await post(A, {
      events: [
        event({ visitor_id: 'v-gdpr-2', customer_id: 'c-gone' }),
        event({ visitor_id: 'v-gdpr-2' }),
        event({ visitor_id: 'v-gdpr', type: 'impression' }),
        event({ visitor_id: 'v-keep', type: 'impression' }),
      ],
    });
    await waitFor(
      () => rowCount("visitor_id = 'v-keep'"),
      (v) => v === 2,
    );
    await post(A, { events: [event({ visitor_id: 'v-gdpr-2', type: 'add_to_cart' }), event({ visitor_id: 'v-keep', type: 'add_to_cart' })] });
    await waitFor(
      () => rowCount("visitor_id = 'v-keep'"),
      (v) => v === 3,
    );
    // A new browser's anonymous events, stored before it showed the deleted customer's id, go then.
    await post(A, { events: [event({ visitor_id: 'v-gdpr-3', type: 'impression' })] });
    await waitFor(
      () => rowCount("visitor_id = 'v-gdpr-3'"),
      (v) => v === 1,
    );
    await post(A, { events: [event({ visitor_id: 'v-gdpr-3', customer_id: 'c-gone', type: 'add_to_cart' })] });
    expect(
      await waitFor(
        () => rowCount("visitor_id = 'v-gdpr-3'"),
        (v) => v === 0,
      ),
    ).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await rowCount("customer_id = 'c-gone'")).toBe(0);
    expect(await rowCount("visitor_id IN ('v-gdpr', 'v-gdpr-2', 'v-gdpr-3')")).toBe(0);
    expect(await rowCount("visitor_id = 'v-keep'")).toBe(3);
    const remembered = await env.DB.prepare('SELECT visitor_id FROM deleted_visitors WHERE seller = ? ORDER BY visitor_id')
      .bind(A)
      .all<{ visitor_id: string }>();
    expect(remembered.results.map((r) => r.visitor_id)).toEqual(['v-gdpr', 'v-gdpr-2', 'v-gdpr-3']);
    // What the retrain pipeline leaves out: the customer, and their visitor ids as the customers of anonymous purchases.
    const excluded = await env.DB.prepare(deletedIdsSql([A])).all<{ id: string }>();
    expect(excluded.results.map((r) => r.id).sort()).toEqual(['c-gone', 'visitor:v-gdpr', 'visitor:v-gdpr-2', 'visitor:v-gdpr-3']);
    const listed = await callJson(`/v1/sellers/${A}/customers/deleted`, { key: sk });
    expect(listed.body.customers.map((c: { customer: string }) => c.customer)).toEqual(['c-gone']);
  });

  it("removes the customer's records from every version of every slot, the layout of before the slots, a publish under way, and versions only R2 still holds", async () => {
    const U = SELLERS['user-knn'];
    const skU = (await createKey({ seller: U, type: 'secret', rps: 1e6, burst: 1e6 })).key;
    const pkU = (await createKey({ seller: U, rps: 1e6, burst: 1e6 })).key;
    const forYou = async (customer: string) =>
      (await callJson<RecBody>(`/v1/sellers/${U}/recommendations/for-you?customer=${customer}&n=3`, { key: pkU })).body;
    const pointer = pointerOf(U);
    const { key, shard } = fixtureShard(U, 'c3');
    const c3 = recordOf(U, 'c3')!;
    // Beside the fixture's version (slot user-knn): a version of another slot with the same
    // shards, an older one (the list of before the slots) with a KV record per customer, a
    // publish under way that has written c3's shard (and no other), and two versions no list
    // names any more: one with its card, one with only its shards.
    const second = '20260301T000000Z-lookalike-5ec0nd00';
    const legacy = '20251201T000000Z-1e9ac700';
    const underWay = '20260401T000000Z-user-knn-0a1f0000';
    const orphanCard = '20260115T000000Z-warp-0c0c0c0c';
    const orphanBare = '20260116T000000Z-bpr-0d0d0d0d';
    const copy = (version: string) => key.replace(`/models/${pointer.version}/`, `/models/${version}/`);
    for (const v of [second, underWay, orphanCard, orphanBare]) await env.MODELS.put(copy(v), shard.bytes);
    await env.MODELS.put(`sellers/${U}/models/${orphanCard}/card.json`, JSON.stringify({ customer_shards: pointer.customerShards!.count }));
    await env.KV.put(`sellers/${U}/models/${legacy}/users/c3`, btoa(String.fromCharCode(...c3)));
    const entry = JSON.parse((await env.KV.get(`sellers/${U}/slots/user-knn/versions/${pointer.version}`))!) as Record<string, unknown>;
    await env.KV.put(`sellers/${U}/slots/lookalike/versions/${second}`, JSON.stringify({ ...entry, slot: 'lookalike', version: second }));
    await env.KV.put(`sellers/${U}/slots/lookalike/active`, JSON.stringify({ ...pointer, slot: 'lookalike', version: second }));
    await env.KV.put(`sellers/${U}/versions`, JSON.stringify([{ ...entry, slot: undefined, version: legacy, customerShards: undefined }]));
    // Such a version also keeps the ids of its KV records in R2 (customers.json).
    await env.MODELS.put(`sellers/${U}/models/${legacy}/customers.json`, JSON.stringify(['c1', 'c3', 'c30']));
    await env.KV.put(
      `sellers/${U}/pending/0123456789abcdef0123456789abcdef`,
      JSON.stringify({ digest: 'x', slot: 'user-knn', version: underWay, total: 40, verified: 1, customerShards: pointer.customerShards }),
    );
    expect((await forYou('c3')).fallback).toBe(false);

    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const del = await callJson(`/v1/sellers/${U}/customers/c3`, { key: skU, method: 'DELETE' });
    const lines = logged.mock.calls.map((c) => String(c[0]));
    logged.mockRestore();
    expect(del.status).toBe(200);
    expect(del.body.records_deleted).toBe(6);
    // Logged by a hash of the id, never the id.
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ event: 'customer_deleted', seller: U, customer: hashedId('c3'), records_deleted: 6 }),
    );
    for (const line of lines) expect(line).not.toMatch(/"c3"|\/c3\b/);
    // No manifest in R2 names them any more.
    const manifest = await env.MODELS.get(`sellers/${U}/models/${legacy}/customers.json`);
    expect(JSON.parse(await manifest!.text())).toEqual(['c1', 'c30']);
    // No trace in any shard: no entry with the id (its u16 length then "c3"), no copy of the record.
    const hasRun = (bytes: Uint8Array, run: Uint8Array) => bytes.some((_, i) => run.every((b, j) => bytes[i + j] === b));
    for (const version of [pointer.version, second, underWay, orphanCard, orphanBare]) {
      const stored = new Uint8Array(await (await env.MODELS.get(copy(version)))!.arrayBuffer());
      expect(hasRun(stored, Uint8Array.of(2, 0, 0x63, 0x33)), version).toBe(false);
      expect(hasRun(stored, c3), version).toBe(false);
      expect(decodeCustomerShard(stored).index.count).toBe(shard.index.count - 1);
    }
    expect(await env.KV.get(`sellers/${U}/models/${legacy}/users/c3`)).toBeNull();
    // Listed for the publish under way, which leaves c3 out of the shards it has yet to write.
    expect(JSON.parse((await env.KV.get(`sellers/${U}/deletions`))!)).toMatchObject([{ customer: 'c3' }]);
    // The edge now answers c3 as unknown; the other customers of the shard still have theirs.
    expect((await forYou('c3')).fallback).toBe(true);
    const neighbour = shardEntries(shard).find((e) => e.id !== 'c3')!.id;
    expect((await forYou(neighbour)).fallback).toBe(false);
    // Again: nothing left to delete.
    expect((await callJson(`/v1/sellers/${U}/customers/c3`, { key: skU, method: 'DELETE' })).body.records_deleted).toBe(0);
  });
});
