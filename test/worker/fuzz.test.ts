import { createExecutionContext, SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { ERROR_CODES } from '../../core/errors/api-error.js';
import worker from '../../functions/index.js';
import { createKey, seedModels, SELLERS } from './helpers.js';

/**
 * Property-based fuzzing of the whole worker: random and malformed paths, query values,
 * headers and bodies (huge and unicode ids included). Whatever comes in, the answer is
 * never a 5xx, every error is the API's JSON error, and nothing reaches the internal-error
 * handler. Fixed seeds, so a failure reproduces; fast-check prints the counterexample.
 *
 * One request in twenty goes through SELF (the runtime's own dispatch, as from outside);
 * the others call the worker's fetch handler directly in this isolate with the same
 * bindings, which turns any uncaught exception into a test failure instead of a 500.
 * (Under vitest-pool-workers each SELF request costs more than the one before it,
 * cloudflare/workers-sdk#15446, so 6,000 of them would take many minutes.)
 */

const ORIGIN = 'https://edge.test';
const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));
let sent = 0;
let skipped = 0;
const statuses = new Map<number, number>();
const keys: string[] = [];
const sellers = [...Object.values(SELLERS), 'shop-empty', 'other-seller'];
let errorSpy: MockInstance<typeof console.error>;

beforeAll(async () => {
  await seedModels();
  for (const seller of sellers) {
    keys.push((await createKey({ seller, origins: ['https://shop.example'], rps: 1e9, burst: 1e9 })).key);
    keys.push((await createKey({ seller, type: 'secret', rps: 1e9, burst: 1e9 })).key);
  }
  keys.push((await createKey({ seller: SELLERS.lightfm, revoked: true })).key);
  // Model and record problems are logged by design; internal errors must not be.
  errorSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
});

afterAll(() => {
  const internal = errorSpy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('internal_error'));
  errorSpy.mockRestore();
  expect(internal).toEqual([]);
});

/** Sends one request; checks the answer. Requests the Fetch API itself refuses to build are skipped. */
async function send(url: string, init: { method?: string; headers?: [string, string][]; body?: string | Uint8Array }): Promise<void> {
  let request: Request;
  try {
    const headers = new Headers();
    for (const [k, v] of init.headers ?? []) headers.append(k, v);
    request = new Request(url, { method: init.method ?? 'GET', headers, body: init.body });
  } catch {
    skipped++;
    return;
  }
  const viaSelf = sent % 20 === 0;
  sent++;
  const res = viaSelf ? await SELF.fetch(request) : await worker.fetch(request, env, createExecutionContext());
  const text = await res.text();
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  expect(res.status, `${request.method} ${url.slice(0, 300)} -> ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (request.method === 'HEAD' || res.status === 204) return;
  if ((res.headers.get('content-type') ?? '').includes('text/html')) return;
  const body = JSON.parse(text) as { error?: { code: string; message: string } };
  if (res.status >= 400) {
    expect(KNOWN_CODES.has(body.error!.code), text.slice(0, 200)).toBe(true);
    expect(typeof body.error!.message).toBe('string');
  } else {
    expect(body.error).toBeUndefined();
  }
}

// Building blocks.
const hugeId = fc.integer({ min: 200, max: 12_000 }).map((n) => 'x'.repeat(n));
const unicode = fc.string({ unit: 'grapheme', maxLength: 30 });
const binary = fc.string({ unit: 'binary', maxLength: 30 });
const malformedPercent = fc.constantFrom('%', '%%', '%E0%A4%A', '%ZZ', '%00', '%C0%AF', '%ED%A0%80', '%FF%FE', '%2', 'a%2Cb', '%252C');
const sku = fc.integer({ min: -2, max: 30 }).map((i) => `sku${i}`);
const customer = fc.oneof(
  fc.integer({ min: -1, max: 45 }).map((u) => `c${u}`),
  unicode,
  fc.constant(''),
);
const rawValue = fc.oneof(
  sku,
  customer,
  unicode,
  binary,
  hugeId,
  malformedPercent,
  fc.array(sku, { maxLength: 120 }).map((a) => a.join(',')),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom('', ',', ',,,', ' ', '1', '0', 'true', 'NaN', 'Infinity', '-0', '1e400', '__proto__', 'constructor', 'null', '[]', '{}'),
);
/** A value as it appears in a URL: percent-encoded, or raw (malformed sequences kept). */
const encodedValue = fc.tuple(rawValue, fc.boolean()).map(([v, encode]) => (encode ? encodeURIComponent(v.toWellFormed()) : v.replace(/[#&]/g, '')));
const paramName = fc.oneof(
  fc.constantFrom('items', 'item', 'customer', 'n', 'exclude', 'category', 'in_stock', 'min_price', 'max_price', 'model', 'key', 'items[]', 'N', ''),
  unicode.map((s) => encodeURIComponent(s.toWellFormed())),
);
const query = fc.array(fc.tuple(paramName, encodedValue), { maxLength: 12 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
const key = fc.oneof(
  fc.constantFrom(...(keys.length ? keys : [''])),
  fc.constant(undefined),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  fc.stringMatching(/^(pk|sk)_[A-Za-z0-9_-]{32}$/),
);
const sellerArb = fc.oneof(
  fc.constantFrom(...sellers),
  unicode.map((s) => encodeURIComponent(s.toWellFormed())),
  malformedPercent,
  hugeId,
);
const route = fc.constantFrom('basket', 'similar', 'for-you');
const method = fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');
// Printable ASCII and tab: what the Fetch API lets a client put in a header.
const headerValue = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.constant('\t'),
  ),
  maxLength: 200,
});

describe('fuzzing the worker', () => {
  it('random paths, methods and keys: never a 5xx', async () => {
    const path = fc.oneof(
      fc.webPath(),
      fc
        .array(
          fc.oneof(
            unicode,
            binary,
            malformedPercent,
            fc.constantFrom('v1', 'sellers', 'recommendations', 'basket', '..', '.', '', 'health', 'docs', 'openapi.json'),
          ),
          { maxLength: 8 },
        )
        .map((s) => `/${s.join('/')}`),
      fc.tuple(sellerArb, fc.oneof(route, unicode)).map(([s, r]) => `/v1/sellers/${s}/recommendations/${r}`),
      fc.tuple(sellerArb).map(([s]) => `/v1/sellers/${s}/model`),
    );
    await fc.assert(
      fc.asyncProperty(path, query, method, fc.option(fc.constantFrom(...keys)), async (p, q, m, k) => {
        const headers: [string, string][] = k ? [['Authorization', `Bearer ${k}`]] : [];
        await send(`${ORIGIN}${p}${q ? `?${q}` : ''}`, { method: m, headers });
      }),
      { numRuns: 1500, seed: 1 },
    );
  }, 600_000);

  it('random and malformed query values on every recommendation route: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sellers.slice(0, 5)), route, query, fc.boolean(), fc.nat(), async (seller, r, q, inQuery, which) => {
        // The seller's own keys (publishable or secret), so most requests reach the scoring code.
        const k = keys[sellers.indexOf(seller) * 2 + (which % 2)];
        const url = `${ORIGIN}/v1/sellers/${seller}/recommendations/${r}?${q}${inQuery ? `&key=${k}` : ''}`;
        await send(url, { headers: inQuery ? [] : [['Authorization', `Bearer ${k}`]] });
      }),
      { numRuns: 2500, seed: 2 },
    );
  }, 600_000);

  it('well-formed queries with random ids, customers, filters and n: 200 or a 4xx, never a 5xx', async () => {
    const ids = fc.array(
      fc.oneof(
        sku,
        unicode,
        hugeId.map((s) => s.slice(0, 250)),
      ),
      { maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...sellers.slice(0, 5)),
        route,
        fc.record({
          items: ids,
          customer: customer,
          n: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 100 }) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 120 }) }),
          exclude: ids,
          category: fc.constantFrom('', 'mugs', 'T-SHIRTS', 'posters', 'nope', '☕'),
          in_stock: fc.constantFrom('', '1', '0'),
          min_price: fc.constantFrom('', '0', '7.5', '15', '1000'),
          max_price: fc.constantFrom('', '', '10', '20.25', '3'),
          model: fc.constantFrom('', '', '', '', 'lightfm', 'item-knn', 'user-knn', 'popularity', 'trending'),
        }),
        async (seller, r, p) => {
          const params = new URLSearchParams();
          params.set(r === 'similar' ? 'item' : 'items', r === 'similar' ? (p.items[0] ?? 'sku1') : p.items.join(','));
          if (p.customer) params.set('customer', p.customer);
          params.set('n', String(p.n));
          if (p.exclude.length) params.set('exclude', p.exclude.join(','));
          for (const name of ['category', 'in_stock', 'min_price', 'max_price', 'model'] as const) if (p[name]) params.set(name, p[name]);
          const k = keys[sellers.indexOf(seller) * 2 + 1];
          await send(`${ORIGIN}/v1/sellers/${seller}/recommendations/${r}?${params}`, { headers: [['Authorization', `Bearer ${k}`]] });
        },
      ),
      { numRuns: 1000, seed: 3 },
    );
  }, 600_000);

  it('random headers and bodies: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/v1/health',
          `/v1/sellers/${SELLERS['item-knn']}/recommendations/basket?items=sku0`,
          `/v1/sellers/${SELLERS.lightfm}/recommendations/for-you?customer=c1`,
          `/v1/sellers/${SELLERS['item-knn']}/model`,
          '/v1/events',
          '/nope',
        ),
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        fc.array(
          fc.tuple(fc.constantFrom('Authorization', 'Origin', 'Content-Type', 'Accept', 'X-Anything', 'Cookie', 'Access-Control-Request-Headers'), headerValue),
          { maxLength: 5 },
        ),
        key,
        fc.oneof(fc.constant(undefined), fc.string({ unit: 'binary', maxLength: 2000 }), fc.uint8Array({ maxLength: 70_000 }), fc.json()),
        async (path, m, headers, k, body) => {
          const h = [...headers];
          if (k !== undefined) h.push(['Authorization', `Bearer ${k}`]);
          const withBody = m !== 'GET' && m !== 'OPTIONS';
          await send(`${ORIGIN}${path}`, { method: m, headers: h, ...(withBody && body !== undefined ? { body } : {}) });
        },
      ),
      { numRuns: 1000, seed: 4 },
    );
  }, 600_000);

  it('sent at least 5,000 requests', () => {
    expect(sent).toBeGreaterThanOrEqual(5000);
    expect(skipped).toBeLessThan(sent / 20);
    console.log(
      `fuzz: ${sent} requests sent, ${skipped} not constructible; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
    );
  });
});
