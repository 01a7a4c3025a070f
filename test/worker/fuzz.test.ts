import { createExecutionContext, SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { ERROR_CODES } from '../../core/errors/api-error.js';
import worker from '../../functions/index.js';
import { createKey, migrate, seedModels, SELLERS } from './helpers.js';

/**
 * Property-based fuzzing of the whole worker: every route (recommendations, events in and
 * out, experiments and their reports, customer deletion, the model status, the public pages
 * and assets), both key types, random and malformed paths, query values, headers, client
 * addresses and bodies (huge and unicode ids included). Whatever comes in, the answer is never
 * a 5xx, every error is the API's JSON error, and nothing reaches the internal-error handler.
 * Fixed seeds, so a failure reproduces; fast-check prints the counterexample.
 *
 * FUZZ_REQUESTS (vitest.config.ts passes the environment variable through) is the number of
 * requests, shared among the properties by fixed weights: 20,000 in `npm test` (about 40 s).
 *
 * One request in twenty (at most 300) goes through SELF (the runtime's own dispatch, as from
 * outside); the others call the worker's fetch handler directly in this isolate with the same
 * bindings, which turns any uncaught exception into a test failure instead of a 500.
 * (Under vitest-pool-workers each SELF request costs more than the one before it,
 * cloudflare/workers-sdk#15446, so thousands of them would take many minutes.)
 */

const ORIGIN = 'https://edge.test';
/** Requests in all, and each property's share of them. */
const TOTAL = Math.max(100, Number(env.FUZZ_REQUESTS ?? '20000') || 20_000);
const runs = (share: number) => Math.max(10, Math.round(TOTAL * share));
const KNOWN_CODES = new Set(Object.keys(ERROR_CODES));
let sent = 0;
let skipped = 0;
let selfSent = 0;
const statuses = new Map<number, number>();
const keys: string[] = [];
const sellers = [...Object.values(SELLERS), 'shop-empty', 'other-seller'];
let errorSpy: MockInstance<typeof console.error>;

const experiments: string[] = [];

beforeAll(async () => {
  await seedModels();
  await migrate();
  for (const seller of sellers) {
    keys.push((await createKey({ seller, origins: ['https://shop.example'], rps: 1e9, burst: 1e9 })).key);
    keys.push((await createKey({ seller, type: 'secret', rps: 1e9, burst: 1e9 })).key);
  }
  keys.push((await createKey({ seller: SELLERS.lightfm, revoked: true })).key);
  // Experiments to start, stop and report on: one draft per surface of the item-knn seller.
  for (const surface of ['basket', 'similar', 'for-you']) {
    const res = await worker.fetch(
      new Request(`${ORIGIN}/v1/sellers/${SELLERS['item-knn']}/experiments`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${keys[3]}` },
        body: JSON.stringify({
          surface,
          arms: [
            { name: 'control', model: 'popularity' },
            { name: 'ease', model: 'item-knn' },
          ],
        }),
      }),
      env,
      createExecutionContext(),
    );
    experiments.push(((await res.json()) as { experiment: { id: string } }).experiment.id);
  }
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
  // Through SELF: one request in twenty, at most 300 (each costs more than the one before).
  const viaSelf = sent % 20 === 0 && selfSent++ < 300;
  sent++;
  const res = viaSelf ? await SELF.fetch(request) : await worker.fetch(request, env, createExecutionContext());
  const text = await res.text();
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  expect(res.status, `${request.method} ${url.slice(0, 300)} -> ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (request.method === 'HEAD' || res.status === 204 || res.status === 304) return;
  const type = res.headers.get('content-type') ?? '';
  // Pages and assets (HTML, scripts, stylesheets, licences) are not the API's JSON; every error is.
  if (!type.includes('application/json')) {
    expect(res.status, `${request.method} ${url.slice(0, 300)} -> ${res.status} ${type}`).toBeLessThan(400);
    return;
  }
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
      { numRuns: runs(0.1), seed: 1 },
    );
  }, 900_000);

  it('random and malformed query values on every recommendation route: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...sellers.slice(0, 5)), route, query, fc.boolean(), fc.nat(), async (seller, r, q, inQuery, which) => {
        // The seller's own keys (publishable or secret), so most requests reach the scoring code.
        const k = keys[sellers.indexOf(seller) * 2 + (which % 2)];
        const url = `${ORIGIN}/v1/sellers/${seller}/recommendations/${r}?${q}${inQuery ? `&key=${k}` : ''}`;
        await send(url, { headers: inQuery ? [] : [['Authorization', `Bearer ${k}`]] });
      }),
      { numRuns: runs(0.15), seed: 2 },
    );
  }, 900_000);

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
      { numRuns: runs(0.1), seed: 3 },
    );
  }, 900_000);

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
      { numRuns: runs(0.07), seed: 4 },
    );
  }, 900_000);

  const ids = () =>
    fc.array(
      fc.oneof(
        sku,
        unicode,
        hugeId.map((x) => x.slice(0, 300)),
      ),
      { maxLength: 120 },
    );
  const timeValue = fc.oneof(
    fc.integer({ min: -30, max: 2 }).map((d) => Date.now() + d * 86_400_000),
    fc.double(),
    fc.constantFrom(1e308, -1e308, 8.64e15 + 1, 0, -0, '1e400', 'NaN', '2026-01-01T00:00:00Z', '', 'yesterday', null),
    fc.string({ maxLength: 20 }),
  );
  /** An event: mostly well formed, any field possibly wrong (types, ranges, sizes). */
  const eventArb = fc.record(
    {
      event_id: fc.oneof(
        { weight: 6, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: fc.constantFrom('', 'abc', '00000000-0000-0000-0000-000000000000') },
        { weight: 1, arbitrary: rawValue },
      ),
      type: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('impression', 'click', 'add_to_cart', 'purchase') },
        { weight: 1, arbitrary: fc.constantFrom('exposure', 'view', '', 7) },
      ),
      visitor_id: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('v1', 'v2', 'v3') },
        { weight: 1, arbitrary: rawValue },
        { weight: 1, arbitrary: fc.integer() },
      ),
      customer_id: fc.option(fc.oneof(customer, hugeId), { nil: undefined }),
      rec_id: fc.option(fc.oneof(fc.uuid(), rawValue), { nil: undefined }),
      experiment_id: fc.option(fc.oneof(fc.constantFrom(...(experiments.length ? experiments : ['exp_000000000000'])), rawValue), { nil: undefined }),
      variant: fc.option(fc.oneof(fc.constantFrom('control', 'ease'), rawValue), { nil: undefined }),
      surface: fc.option(fc.oneof(fc.constantFrom('basket', 'similar', 'for-you'), rawValue), { nil: undefined }),
      item_ids: fc.oneof(
        { weight: 6, arbitrary: fc.array(sku, { minLength: 1, maxLength: 5 }) },
        { weight: 1, arbitrary: ids() },
        { weight: 1, arbitrary: rawValue },
      ),
      order_id: fc.option(fc.oneof(fc.constantFrom('o1', 'o2'), rawValue), { nil: undefined }),
      value: fc.option(fc.oneof(fc.double(), fc.integer(), fc.constantFrom(1e9, 1e10, -1, '12')), { nil: undefined }),
      currency: fc.option(fc.constantFrom('EUR', 'usd', '', 'EURO'), { nil: undefined }),
      ts: timeValue,
    },
    { requiredKeys: [] },
  );
  /** A valid event (what a storefront sends). */
  const goodEvent = fc.record(
    {
      event_id: fc.uuid(),
      type: fc.constantFrom('impression', 'click', 'add_to_cart', 'purchase'),
      visitor_id: fc.constantFrom('v1', 'v2', 'v3', 'visitor-☕'),
      customer_id: fc.constantFrom('c1', 'c2', 'c33'),
      rec_id: fc.uuid(),
      experiment_id: fc.constantFrom(...(experiments.length ? experiments : ['exp_000000000000'])),
      variant: fc.constantFrom('control', 'ease'),
      surface: fc.constantFrom('basket', 'similar', 'for-you'),
      item_ids: fc.array(sku, { minLength: 1, maxLength: 5 }),
      order_id: fc.constantFrom('o1', 'o2', 'o3'),
      value: fc.double({ min: 0, max: 1e9, noNaN: true }),
      currency: fc.constant('EUR'),
      ts: fc.integer({ min: -86_400_000, max: 0 }).map((d) => Date.now() + d),
    },
    { requiredKeys: ['event_id', 'type', 'visitor_id', 'item_ids', 'ts'] },
  );
  const sellerKey = (seller: string, which: number) => keys[sellers.indexOf(seller) * 2 + (which % 2)];
  const address = fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('203.0.113.1')), { nil: undefined });
  const withAddress = (h: [string, string][], a: string | undefined): [string, string][] => (a === undefined ? h : [...h, ['CF-Connecting-IP', a]]);

  it('event intake: random calls with both key types, good and bad events: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...sellers.slice(0, 5)),
        fc.nat(),
        fc.oneof(
          { weight: 4, arbitrary: fc.array(goodEvent, { minLength: 1, maxLength: 30 }).map((events) => JSON.stringify({ events })) },
          {
            weight: 3,
            arbitrary: fc
              .tuple(fc.array(goodEvent, { maxLength: 20 }), eventArb, fc.nat())
              .map(([events, bad, at]) => JSON.stringify({ events: (events as unknown[]).toSpliced(at % (events.length + 1), 0, bad) })),
          },
          { weight: 1, arbitrary: fc.array(goodEvent, { minLength: 95, maxLength: 110 }).map((events) => JSON.stringify({ events })) },
          { weight: 1, arbitrary: fc.json() },
          { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 500 }) },
        ),
        fc.boolean(),
        address,
        async (seller, which, body, inQuery, a) => {
          const k = sellerKey(seller, which);
          await send(`${ORIGIN}/v1/sellers/${seller}/events${inQuery ? `?key=${k}` : ''}`, {
            method: 'POST',
            headers: withAddress(inQuery ? [['Content-Type', 'text/plain']] : [['Authorization', `Bearer ${k}`]], a),
            body,
          });
        },
      ),
      { numRuns: runs(0.18), seed: 5 },
    );
  }, 900_000);

  it('events listing, customers, the model status: random queries and ids with both key types: never a 5xx', async () => {
    const listQuery = fc
      .array(fc.tuple(fc.constantFrom('visitor', 'customer', 'type', 'experiment', 'since', 'after', 'limit', 'key', 'x'), encodedValue), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    const customerSegment = fc.oneof(customer, hugeId, malformedPercent, fc.constant('deleted')).map((c) => encodeURIComponent(c.toWellFormed()));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...sellers.slice(0, 5)),
        fc.nat(),
        fc.oneof(
          listQuery.map((q) => ['GET', `events?${q}`] as const),
          customerSegment.map((c) => ['DELETE', `customers/${c}`] as const),
          fc.constant(['GET', 'customers/deleted'] as const),
          fc.constant(['GET', 'model'] as const),
          customerSegment.map((c) => ['GET', `customers/${c}`] as const),
        ),
        address,
        async (seller, which, [m, rest], a) => {
          await send(`${ORIGIN}/v1/sellers/${seller}/${rest}`, {
            method: m,
            headers: withAddress([['Authorization', `Bearer ${sellerKey(seller, which)}`]], a),
          });
        },
      ),
      { numRuns: runs(0.1), seed: 6 },
    );
  }, 900_000);

  it('experiments: random definitions, starts, stops and reports with both key types: never a 5xx', async () => {
    const arm = fc.record(
      {
        name: fc.oneof(fc.constantFrom('control', 'ease', 'warp', 'holdout'), rawValue),
        model: fc.oneof(fc.constantFrom('lightfm', 'item-knn', 'user-knn', 'popularity', 'none'), rawValue),
        weight: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double(), fc.constantFrom(1e300, 1e7)),
      },
      { requiredKeys: [] },
    );
    const definition = fc.record(
      {
        name: fc.oneof(unicode, hugeId),
        surface: fc.oneof(fc.constantFrom('basket', 'similar', 'for-you'), rawValue),
        arms: fc.oneof(fc.array(arm, { maxLength: 12 }), rawValue),
        control: fc.oneof(fc.constantFrom('control', 'ease'), rawValue),
        attribution_window_hours: fc.oneof(fc.integer({ min: -1, max: 1000 }), fc.double(), fc.constantFrom(1e308)),
        orders_per_year: fc.oneof(fc.constant(null), fc.double(), fc.constantFrom(1e308, 1e10, -1)),
      },
      { requiredKeys: [] },
    );
    const id = fc.oneof(
      fc.constantFrom(...(experiments.length ? experiments : ['exp_000000000000'])),
      fc.constantFrom('exp_000000000000', 'exp_zz', '%00'),
      unicode.map((u) => encodeURIComponent(u.toWellFormed())),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(SELLERS['item-knn'], SELLERS.lightfm, 'shop-empty'),
        fc.nat(),
        fc.oneof(
          {
            weight: 3,
            arbitrary: fc
              .oneof(
                definition.map((d) => JSON.stringify(d)),
                fc.json(),
              )
              .map((body) => ['POST', '', body] as const),
          },
          { weight: 1, arbitrary: fc.constant(['GET', '', undefined] as const) },
          { weight: 2, arbitrary: id.map((x) => ['GET', `/${x}`, undefined] as const) },
          { weight: 2, arbitrary: id.map((x) => ['POST', `/${x}/start`, undefined] as const) },
          { weight: 2, arbitrary: id.map((x) => ['POST', `/${x}/stop`, undefined] as const) },
          { weight: 3, arbitrary: id.map((x) => ['GET', `/${x}/report`, undefined] as const) },
        ),
        async (seller, which, [m, rest, body]) => {
          await send(`${ORIGIN}/v1/sellers/${seller}/experiments${rest}`, {
            method: m,
            headers: [['Authorization', `Bearer ${sellerKey(seller, which)}`]],
            ...(body === undefined ? {} : { body }),
          });
        },
      ),
      { numRuns: runs(0.12), seed: 7 },
    );
  }, 900_000);

  it('public routes, pages and assets, and recommendations from random client addresses: never a 5xx', async () => {
    const publicPath = fc.oneof(
      fc.constantFrom(
        '/v1/health',
        '/v1/openapi.json',
        '/v1/docs',
        '/widget.v1.js',
        '/widget.js',
        '/admin/assets/chart.umd.min.js',
        '/demo',
        '/demo/shop-itemknn',
      ),
      fc
        .constantFrom('swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE', 'nope', '..%2F..')
        .map((f) => `/v1/docs/assets/swagger-ui-dist@5.35.0/${f}`),
      fc
        .oneof(unicode, malformedPercent)
        .map((x) => `/admin/experiments/${encodeURIComponent(x.toWellFormed())}?seller=${encodeURIComponent(x.toWellFormed())}`),
      fc.tuple(sellerArb, route, fc.constantFrom('items=sku1', 'item=sku2', 'customer=c3')).map(([x, r, q]) => `/v1/sellers/${x}/recommendations/${r}?${q}`),
    );
    await fc.assert(
      fc.asyncProperty(publicPath, fc.option(fc.constantFrom(...keys)), address, fc.option(headerValue, { nil: undefined }), async (p, k, a, ifNoneMatch) => {
        const headers: [string, string][] = k ? [['Authorization', `Bearer ${k}`]] : [];
        if (ifNoneMatch !== undefined) headers.push(['If-None-Match', ifNoneMatch]);
        await send(`${ORIGIN}${p}`, { headers: withAddress(headers, a) });
      }),
      { numRuns: runs(0.18), seed: 8 },
    );
  }, 900_000);

  it(`sent about FUZZ_REQUESTS (${TOTAL}) requests`, () => {
    expect(sent).toBeGreaterThanOrEqual(TOTAL * 0.95);
    expect(skipped).toBeLessThan(sent / 20);
    console.log(
      `fuzz: ${sent} requests sent, ${skipped} not constructible, 0 5xx, 0 internal errors; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
    );
  });
});
