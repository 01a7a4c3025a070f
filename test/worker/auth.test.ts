import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import worker from '../../functions/index.js';
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

  it('refuses a secret key in the URL with 401, saying to send it in the Authorization header', async () => {
    const inQuery = await callJson(basket(A), { key: skA, keyInQuery: true });
    expect(inQuery.status).toBe(401);
    expect(inQuery.body.error.code).toBe('secret_key_in_url');
    expect(inQuery.body.error.message).toMatch(/Authorization: Bearer sk_/);
    // Even beside a good header, and on admin routes; a publishable key in the URL is fine.
    const both = await callJson(`${basket(A)}&key=${skA}`, { key: pkA });
    expect(both.status).toBe(401);
    expect((await callJson(`/v1/sellers/${A}/model?key=${skA}`)).body.error.code).toBe('secret_key_in_url');
    expect((await callJson(`/v1/sellers/${A}/experiments?key=${encodeURIComponent(` ${skA}`)}`, { key: skA })).status).toBe(401);
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

describe('rate limiting per client address', () => {
  /** The worker with this env, as Cloudflare would call it from `address`. */
  const from = (address: string, testEnv: Cloudflare.Env, path: string, key?: string) =>
    worker.fetch(
      new Request(`https://edge.test${path}`, { headers: { 'CF-Connecting-IP': address, ...(key ? { Authorization: `Bearer ${key}` } : {}) } }),
      testEnv,
      createExecutionContext(),
    );

  /** This test file's env with KV reads counted, and the bindings left out: the isolate's buckets count. */
  function counted(vars: Record<string, string>): { testEnv: Cloudflare.Env; reads: () => number } {
    let reads = 0;
    const kv = new Proxy(env.KV, {
      get(target, prop) {
        if (prop === 'get')
          return (...args: Parameters<KVNamespace['get']>) => {
            reads++;
            return (target.get as (...a: unknown[]) => unknown)(...args);
          };
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const testEnv = {
      ...env,
      KV: kv,
      RATE_LIMIT_FAILURES: undefined,
      RATE_LIMIT_KEYS: undefined,
      RATE_LIMIT_KEY_ADDRESSES: undefined,
      ...vars,
    } as Cloudflare.Env;
    return { testEnv, reads: () => reads };
  }

  it('refuses an address that failed too often with 429 before looking its keys up', async () => {
    const { testEnv, reads } = counted({ RATE_LIMIT_FAILURES_PER_MINUTE: '5' });
    const unknown = () =>
      `pk_${Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => 'abcdefghijklmnopqrstuvwxyz012345'[b % 32])
        .join('')
        .slice(0, 32)}`;
    const statuses: number[] = [];
    for (let k = 0; k < 5; k++) statuses.push((await from('198.51.100.7', testEnv, basket(A), unknown())).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const readsBefore = reads();
    const refused = await from('198.51.100.7', testEnv, basket(A), unknown());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/too many failed requests from this address/);
    // Refused before the key was hashed and looked up: no KV read. Even a good key waits.
    expect(reads()).toBe(readsBefore);
    expect((await from('198.51.100.7', testEnv, basket(A), pkA)).status).toBe(429);
    // Missing keys count too; other addresses are not affected.
    for (let k = 0; k < 5; k++) expect((await from('198.51.100.8', testEnv, basket(A))).status).toBe(401);
    expect((await from('198.51.100.8', testEnv, basket(A))).status).toBe(429);
    expect((await from('198.51.100.9', testEnv, basket(A), pkA)).status).toBe(200);
  });

  it("keeps one address to its share of a publishable key's budget, so it cannot use the key up", async () => {
    const { testEnv } = counted({});
    // Burst 4, almost no refill: one address may take 2 (half), the key 4 in all.
    const { key } = await createKey({ seller: A, rps: 0.001, burst: 4 });
    const scraper: number[] = [];
    for (let k = 0; k < 8; k++) scraper.push((await from('203.0.113.66', testEnv, basket(A), key)).status);
    expect(scraper).toEqual([200, 200, 429, 429, 429, 429, 429, 429]);
    const shopper = await from('203.0.113.10', testEnv, basket(A), key);
    expect(shopper.status).toBe(200);
    const body = (await (await from('203.0.113.66', testEnv, basket(A), key)).json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/for one address exceeded .*50% of the key's budget/) });
    // Secret keys (one server) have no per-address share: the key's whole burst.
    const sk = (await createKey({ seller: A, type: 'secret', rps: 0.001, burst: 4 })).key;
    const server: number[] = [];
    for (let k = 0; k < 5; k++) server.push((await from('203.0.113.5', testEnv, basket(A), sk)).status);
    expect(server).toEqual([200, 200, 200, 200, 429]);
  });

  it("counts with Cloudflare's Rate Limiting bindings where they are bound", async () => {
    // The bindings of wrangler.toml (simulated locally): 250 requests per 10 s per key and address.
    expect(env.RATE_LIMIT_KEY_ADDRESSES).toBeDefined();
    const { key } = await createKey({ seller: A }); // no rps/burst of its own: the bindings count
    let first429 = -1;
    for (let k = 0; k < 300 && first429 < 0; k++) {
      const res = await from('192.0.2.44', env, basket(A), key);
      if (res.status === 429) {
        first429 = k;
        expect(res.headers.get('retry-after')).toBe('10');
      } else expect(res.status).toBe(200);
    }
    expect(first429).toBe(250);
    expect((await from('192.0.2.45', env, basket(A), key)).status).toBe(200);
  });
});
