import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashKey, keyStorage } from '../../core/storage/keys.js';
import { call, callJson, createKey, seedModels, SELLERS } from './helpers.js';

const A = SELLERS['item-knn'];
const B = SELLERS.lightfm;
const basket = (seller: string, query = 'items=sku0') => `/v1/sellers/${seller}/recommendations/basket?${query}`;
const SHOP = 'https://shop.example';

let pkA: string;
let skA: string;
let pkB: string;

beforeAll(async () => {
  await seedModels();
  pkA = (await createKey({ seller: A, origins: [SHOP, 'http://localhost:8787'] })).key;
  skA = (await createKey({ seller: A, type: 'secret' })).key;
  pkB = (await createKey({ seller: B })).key;
});

describe('API keys', () => {
  it('accepts a publishable key as Bearer and as ?key=', async () => {
    expect((await call(basket(A), { key: pkA })).status).toBe(200);
    expect((await call(basket(A), { key: pkA, keyInQuery: true })).status).toBe(200);
    expect((await call(basket(A), { key: skA })).status).toBe(200);
  });

  it('stores only the SHA-256 of a key', async () => {
    const listed = await env.KV.list({ prefix: 'keys/' });
    expect(listed.keys.length).toBeGreaterThanOrEqual(3);
    for (const k of listed.keys) expect(k.name).toMatch(/^keys\/[0-9a-f]{64}$/);
    expect(await env.KV.get(keyStorage.record(await hashKey(pkA)))).not.toContain(pkA);
  });

  it('answers 401 without a key, with a malformed or unknown key, and with a bad Authorization header', async () => {
    const cases: [Parameters<typeof call>[1], string][] = [
      [{}, 'missing_key'],
      [{ key: 'pk_short' }, 'invalid_key'],
      [{ key: `pk_${'x'.repeat(32)}` }, 'invalid_key'],
      [{ key: `xx_${'x'.repeat(32)}` }, 'invalid_key'],
      [{ headers: { Authorization: `Basic ${btoa('a:b')}` } }, 'invalid_key'],
      [{ headers: { Authorization: 'Bearer' } }, 'invalid_key'],
      // A secret key's random part with the publishable prefix is another (unknown) key.
      [{ key: `pk_${skA.slice(3)}` }, 'invalid_key'],
    ];
    for (const [options, code] of cases) {
      const { status, body } = await callJson(basket(A), options);
      expect(status, JSON.stringify(options)).toBe(401);
      expect(body.error.code).toBe(code);
      expect(body.error.message.length).toBeGreaterThan(10);
    }
  });

  it('answers 401 revoked_key for a revoked key', async () => {
    const { key, record } = await createKey({ seller: A, revoked: true });
    const { status, body } = await callJson(basket(A), { key });
    expect(status).toBe(401);
    expect(body.error.code).toBe('revoked_key');
    expect(body.error.message).toContain(record.id);
  });

  it("isolates tenants: a key of seller A gets 403 on seller B's routes, and the other way round", async () => {
    for (const path of [basket(B), `/v1/sellers/${B}/recommendations/similar?item=sku1`, `/v1/sellers/${B}/recommendations/for-you?customer=c1`]) {
      const { status, body } = await callJson(path, { key: pkA });
      expect(status).toBe(403);
      expect(body.error.code).toBe('wrong_seller');
      expect(JSON.stringify(body)).not.toContain('sku');
    }
    expect((await callJson(`/v1/sellers/${B}/model`, { key: skA })).status).toBe(403);
    expect((await callJson(basket(A), { key: pkB })).status).toBe(403);
    expect((await callJson(basket(B), { key: pkB, origin: SHOP })).status).toBe(200);
  });

  it('answers 400 for a malformed seller id before looking at the key', async () => {
    for (const seller of ['-x', 'a%20b', 'a'.repeat(65), '%E2%98%95']) {
      const { status, body } = await callJson(`/v1/sellers/${seller}/recommendations/basket`, { key: pkA });
      expect(status, seller).toBe(400);
      expect(body.error.message).toMatch(/seller/);
    }
  });

  it('keeps admin work to secret keys', async () => {
    const pk = await callJson(`/v1/sellers/${A}/model`, { key: pkA });
    expect(pk.status).toBe(403);
    expect(pk.body.error.code).toBe('secret_key_required');
    const sk = await callJson(`/v1/sellers/${A}/model`, { key: skA });
    expect(sk.status).toBe(200);
    expect(sk.body).toMatchObject({ seller: A, serving: { type: 'item-knn' }, last_problem: null });
    const model = await callJson(basket(A, 'items=sku0&model=popularity'), { key: pkA });
    expect(model.status).toBe(403);
    expect(model.body.error.code).toBe('secret_key_required');
  });
});

describe('CORS', () => {
  it("allows a publishable key's own origins, and only those", async () => {
    const ok = await call(basket(A), { key: pkA, origin: SHOP });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const local = await call(basket(A), { key: pkA, keyInQuery: true, origin: 'http://localhost:8787' });
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:8787');

    for (const origin of ['https://evil.example', 'https://shop.example.evil.example', 'http://shop.example', 'null']) {
      const res = await call(basket(A), { key: pkA, origin });
      expect(res.status, origin).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    }
  });

  it('allows any origin for a key created with *', async () => {
    const { key } = await createKey({ seller: A, origins: ['*'] });
    const res = await call(basket(A), { key, origin: 'https://any.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://any.example');
  });

  it('refuses a secret key sent from a browser', async () => {
    const res = await call(basket(A), { key: skA, origin: SHOP });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('secret_key_in_browser');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a preflight for the Authorization header', async () => {
    const res = await call(basket(A), {
      origin: SHOP,
      method: 'OPTIONS',
      headers: { 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a key exceeds its bucket, per key', async () => {
    const { key } = await createKey({ seller: A, rps: 0.01, burst: 3 });
    const statuses: number[] = [];
    for (let k = 0; k < 5; k++) statuses.push((await call(basket(A), { key, origin: SHOP })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await call(basket(A), { key, origin: SHOP });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(100);
    // The widget can read the answer and its Retry-After.
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Retry-After/);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/retry after \d+ s/);
    // Another key of the same seller is not affected.
    expect((await call(basket(A), { key: pkA })).status).toBe(200);
  });
});
