import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { hashedId } from '../../functions/http/log.js';
import worker from '../../functions/index.js';
import { createKey, migrate, seedModels, SELLERS, waitFor } from './helpers.js';

/**
 * Fault injection: the worker called as the runtime calls it, with one of its storage bindings
 * failing (D1, R2, KV, the events queue), while recommendations and events are requested at
 * once. Recommendations keep answering from the model the isolate holds (or a fallback);
 * events are refused with a retryable 503 only when the queue is down, and every event that
 * was accepted reaches D1. No answer is a 500, nothing is logged as an internal error.
 */

const S = SELLERS['item-knn'];
const L = SELLERS.lightfm;
let pk: string;
let pkL: string;
let sk: string;
let errors: MockInstance<typeof console.error>;
const logged = () => errors.mock.calls.map((c) => String(c[0]));

beforeAll(async () => {
  await seedModels();
  await migrate();
  pk = (await createKey({ seller: S, rps: 1e6, burst: 1e6 })).key;
  pkL = (await createKey({ seller: L, rps: 1e6, burst: 1e6 })).key;
  sk = (await createKey({ seller: S, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  errors = vi.spyOn(console, 'error').mockImplementation(() => {});
});

afterAll(() => {
  expect(logged().filter((l) => l.includes('internal_error'))).toEqual([]);
  errors.mockRestore();
});

const fail = (what: string) => () => Promise.reject(new Error(`${what} is down (injected)`));

/** A stand-in whose every method rejects (or, for D1's prepare, returns statements that do). */
function failing(what: 'D1' | 'R2' | 'KV' | 'queue'): unknown {
  if (what === 'D1') {
    const statement = { bind: () => statement, first: fail('D1'), all: fail('D1'), run: fail('D1'), raw: fail('D1') };
    return { prepare: () => statement, batch: fail('D1'), exec: fail('D1'), dump: fail('D1') };
  }
  if (what === 'R2') return { get: fail('R2'), head: fail('R2'), put: fail('R2'), delete: fail('R2'), list: fail('R2') };
  if (what === 'KV') return { get: fail('KV'), put: fail('KV'), delete: fail('KV'), list: fail('KV'), getWithMetadata: fail('KV') };
  return { send: fail('the queue'), sendBatch: fail('the queue') };
}

const BINDING = { D1: 'DB', R2: 'MODELS', KV: 'KV', queue: 'EVENTS' } as const;

/** This file's env with one binding failing. */
const broken = (what: keyof typeof BINDING) => ({ ...env, [BINDING[what]]: failing(what) }) as Cloudflare.Env;

async function request(testEnv: Cloudflare.Env, path: string, key: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await worker.fetch(
    new Request(`https://edge.test${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${key}` },
      body: body === undefined ? null : JSON.stringify(body),
    }),
    testEnv,
    createExecutionContext(),
  );
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const event = (visitor: string) => ({
  event_id: crypto.randomUUID(),
  type: 'click',
  visitor_id: visitor,
  item_ids: ['sku1'],
  rec_id: crypto.randomUUID(),
  ts: Date.now(),
});
const stored = async (visitor: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE visitor_id LIKE ? || '%'").bind(visitor).first<{ n: number }>())!.n;

/** Recommendations of the three routes and event calls, all at once, under `testEnv`. */
async function traffic(testEnv: Cloudflare.Env, visitor: string, calls = 6) {
  const recs = [];
  const posts = [];
  const sent: Record<string, unknown>[][] = [];
  for (let k = 0; k < calls; k++) {
    recs.push(request(testEnv, `/v1/sellers/${S}/recommendations/basket?items=sku${k}&n=4`, pk));
    recs.push(request(testEnv, `/v1/sellers/${S}/recommendations/similar?item=sku${k + 1}&n=4`, pk));
    recs.push(request(testEnv, `/v1/sellers/${L}/recommendations/for-you?customer=c${k}&n=4`, pkL));
    const events = [event(`${visitor}-${k}`), event(`${visitor}-${k}`)];
    sent.push(events);
    posts.push(request(testEnv, `/v1/sellers/${S}/events`, pk, { events }));
  }
  return { recs: await Promise.all(recs), posts: await Promise.all(posts), sent };
}

describe('fault injection', () => {
  it('warms up: the models and keys this isolate holds, with every binding working', async () => {
    const { recs, posts } = await traffic(env, 'warm');
    for (const r of recs) expect(r.status).toBe(200);
    for (const p of posts) expect(p.status).toBe(202);
    expect(
      await waitFor(
        () => stored('warm'),
        (n) => n === 12,
      ),
    ).toBe(12);
  });

  for (const what of ['D1', 'R2', 'KV', 'queue'] as const) {
    it(`${what} failing: recommendations answer from the cached model; events are ${what === 'queue' ? 'refused with a retryable 503, and land once sent again' : 'accepted and reach D1'}`, async () => {
      const visitor = `fault-${what}`;
      const { recs, posts, sent } = await traffic(broken(what), visitor);
      for (const r of recs) {
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        expect(r.body.model).not.toBeNull();
        expect(r.body.items.length).toBe(4);
      }
      // The item-knn answers come from the model itself, not a fallback.
      for (const r of recs.filter((_, i) => i % 3 !== 2)) expect(r.body.fallback).toBe(false);
      if (what === 'queue') {
        for (const p of posts) {
          expect(p.status).toBe(503);
          expect(p.body.error.code).toBe('unavailable');
          expect(p.headers.get('retry-after')).toBe('5');
        }
        // The storefront sends them again once the queue is back: accepted, and stored once each.
        const again = await Promise.all(sent.map((events) => request(env, `/v1/sellers/${S}/events`, pk, { events })));
        for (const p of again) expect(p.body).toEqual({ accepted: 2, duplicates: 0 });
      } else {
        for (const p of posts) expect(p.body).toEqual({ accepted: 2, duplicates: 0 });
      }
      expect(
        await waitFor(
          () => stored(visitor),
          (n) => n === 12,
        ),
      ).toBe(12);
    });
  }

  it('answers 503 unavailable, never a 500, on the routes that need the failing storage; nothing logs a customer id', async () => {
    const cases: [keyof typeof BINDING, string, string, unknown?][] = [
      ['D1', 'GET', `/v1/sellers/${S}/experiments`],
      [
        'D1',
        'POST',
        `/v1/sellers/${S}/experiments`,
        {
          surface: 'basket',
          arms: [
            { name: 'a', model: 'none' },
            { name: 'b', model: 'item-knn' },
          ],
        },
      ],
      ['D1', 'GET', `/v1/sellers/${S}/events`],
      ['D1', 'DELETE', `/v1/sellers/${S}/customers/c-secret-77`],
      ['R2', 'DELETE', `/v1/sellers/${S}/customers/c-secret-77`],
      ['KV', 'DELETE', `/v1/sellers/${S}/customers/c-secret-77`],
      ['D1', 'GET', `/v1/sellers/${S}/customers/deleted`],
    ];
    const before = errors.mock.calls.length;
    for (const [what, method, path, body] of cases) {
      const res = await worker.fetch(
        new Request(`https://edge.test${path}`, { method, headers: { Authorization: `Bearer ${sk}` }, body: body === undefined ? null : JSON.stringify(body) }),
        broken(what),
        createExecutionContext(),
      );
      const answer = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, `${what} ${method} ${path}: ${JSON.stringify(answer)}`).toBe(503);
      expect(answer.error.code).toBe('unavailable');
      expect(res.headers.get('retry-after')).toBe('5');
    }
    const lines = logged().slice(before);
    expect(lines.some((l) => l.includes('storage_failed'))).toBe(true);
    for (const l of lines) expect(l).not.toContain('c-secret-77');
    expect(lines.some((l) => l.includes(hashedId('c-secret-77')))).toBe(true);
  });

  it('with KV failing, a key this isolate never saw cannot be checked: 503, retryable', async () => {
    const fresh = (await createKey({ seller: S })).key;
    const r = await request(broken('KV'), `/v1/sellers/${S}/recommendations/basket?items=sku1`, fresh);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('unavailable');
    expect(r.headers.get('retry-after')).toBe('5');
  });
});
