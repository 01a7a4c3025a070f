/**
 * The widget and the demo storefront in Chromium against a local edge (`wrangler dev`
 * over a temporary state: a model trained by the CLI, keys, KV `demo/sellers`, the D1
 * schema). Pages on a second origin embed the widget as a storefront would.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIDGET_INTEGRITY } from '../../functions/widget/widget.generated.js';
import { projectRoot } from '../../scripts/bench-common.js';
import { freePort, startLocalEdge, type LocalEdge } from '../../scripts/local-edge.js';
import { prepareWidgetState, type WidgetState } from '../../scripts/widget-fixture.js';
import { launchChromium, shopPage, skipReason, startShop, watchProblems, type ShopServer } from './harness.js';

const skip = skipReason();
if (skip) console.warn(`skipping the browser tests: ${skip}`);

interface StoredEvent {
  event_id: string;
  type: string;
  visitor_id: string;
  rec_id: string | null;
  surface: string | null;
  item_ids: string[];
  order_id: string | null;
  value: number | null;
}

describe.skipIf(skip !== null)('the widget in Chromium', () => {
  let work: string;
  let fx: WidgetState;
  let edge: LocalEdge;
  let shop: ShopServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'plusone-browser-'));
    fx = await prepareWidgetState(work);
    edge = await startLocalEdge({ state: fx.state, vars: { DEMO_STOREFRONT: 'on' } });
    shop = await startShop(edge.url);
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await shop?.close();
    await edge?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  async function newPage(options: { width?: number; init?: string } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1100, height: 900 } });
    contexts.push(context);
    if (options.init) await context.addInitScript(options.init);
    return context.newPage();
  }

  const widgetScript = () => `${edge.url}/widget.v1.js`;
  const basics = () => ({ seller: fx.seller, key: fx.publishableKey, target: '#plusone' });
  // Cards link to /demo/S/products/ID; the id is the last part.
  const shownIds = (page: Page) =>
    page.locator('#plusone li a').evaluateAll((links) => links.map((a) => decodeURIComponent((a as unknown as { href: string }).href.split('/').pop()!)));
  const visitorOf = (page: Page) => page.evaluate("localStorage.getItem('plusone_vid')") as Promise<string | null>;

  async function events(visitor: string): Promise<StoredEvent[]> {
    const res = await fetch(`${edge.url}/v1/sellers/${fx.seller}/events?visitor=${encodeURIComponent(visitor)}&limit=1000`, {
      headers: { Authorization: `Bearer ${fx.secretKey}` },
    });
    if (res.status !== 200) throw new Error(`listing events answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { events: StoredEvent[] }).events;
  }

  /** Polls the events listing until `done` holds (the queue consumer writes in batches). */
  async function eventsUntil(visitor: string, done: (e: StoredEvent[]) => boolean, timeoutMs = 45_000): Promise<StoredEvent[]> {
    const until = Date.now() + timeoutMs;
    let list = await events(visitor);
    while (!done(list) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      list = await events(visitor);
    }
    return list;
  }

  function requestsTo(page: Page, part: string): Request[] {
    const seen: Request[] = [];
    page.on('request', (r) => {
      if (r.url().includes(part)) seen.push(r);
    });
    return seen;
  }

  it('renders n items from another origin, with its integrity hash, title and accessible markup', async () => {
    const page = await newPage();
    const problems = await watchProblems(page);
    const html = shopPage(widgetScript(), {
      ...basics(),
      surface: 'basket',
      items: fx.clusters[0].slice(0, 2).join(','),
      n: '4',
      title: 'Picked for you',
    }).replace('<script async', `<script async integrity="${WIDGET_INTEGRITY}" crossorigin="anonymous"`);
    await page.goto(shop.page('/render', html));
    await expect.poll(() => page.locator('#plusone li').count(), { timeout: 10_000 }).toBe(4);
    const region = page.locator('#plusone section[role="region"]');
    expect(await region.getAttribute('aria-label')).toBe('Picked for you');
    expect(await page.locator('#plusone h2').textContent()).toBe('Picked for you');
    expect(await page.locator('#plusone ul').getAttribute('role')).toBe('list');
    const images = page.locator('#plusone li img');
    for (let k = 0; k < 4; k++) {
      expect(await images.nth(k).getAttribute('loading')).toBe('lazy');
      expect(await images.nth(k).getAttribute('alt')).toBe(await page.locator('#plusone li .n').nth(k).textContent());
    }
    // The cart's items are not recommended back.
    for (const id of await shownIds(page)) expect(fx.clusters[0].slice(0, 2)).not.toContain(id);
    expect(problems.console).toEqual([]);
    expect(problems.network).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(await problems.inPage()).toEqual([]);
  });

  it('moves between cards with the arrow keys, Home and End, with a visible focus ring; the buttons scroll', async () => {
    const page = await newPage({ width: 420 });
    await page.goto(shop.page('/keys', shopPage(widgetScript(), { ...basics(), surface: 'basket', n: '8' })));
    await expect.poll(() => page.locator('#plusone li').count(), { timeout: 10_000 }).toBe(8);
    const focused = () =>
      page.evaluate(
        "(() => { const a = document.querySelector('#plusone').shadowRoot.activeElement; if (!a) return null; const li = a.closest('li'); return li ? [...li.parentNode.children].indexOf(li) + ':' + a.tagName : a.getAttribute('aria-label'); })()",
      );
    // Tab from the page into the widget: the prev/next buttons, then the first card.
    const order: unknown[] = [];
    for (let k = 0; k < 6 && !String(order.at(-1)).startsWith('0:'); k++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toContain('Next items');
    expect(order.at(-1)).toBe('0:A');
    const ring = await page.evaluate("getComputedStyle(document.querySelector('#plusone').shadowRoot.activeElement).outlineStyle");
    expect(ring).toBe('solid');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('1:A');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('2:A');
    await page.keyboard.press('ArrowLeft');
    expect(await focused()).toBe('1:A');
    await page.keyboard.press('End');
    expect(await focused()).toBe('7:A');
    await page.keyboard.press('Home');
    expect(await focused()).toBe('0:A');
    // Tab inside a card reaches its button; the arrows work from there too.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('0:BUTTON');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('1:A');

    await page.evaluate("document.querySelector('#plusone').shadowRoot.querySelector('ul').scrollLeft = 0");
    await page.locator('#plusone button[aria-label="Next items"]').focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.evaluate("document.querySelector('#plusone').shadowRoot.querySelector('ul').scrollLeft"), { timeout: 5000 })
      .toBeGreaterThan(0);
    expect(await page.locator('#plusone button[aria-label="Previous items"]').getAttribute('aria-disabled')).toBe('false');
  });

  it('records an impression, a click and an add-to-cart (with its DOM event) in D1', async () => {
    const page = await newPage();
    const problems = await watchProblems(page);
    const recRequests = requestsTo(page, '/recommendations/');
    const beacons = requestsTo(page, '/events?key=');
    // The page keeps clicks from navigating, so that it can be asked about them afterwards.
    const extra = `<script>window.__added = []; document.addEventListener('plusone:add-to-cart', (e) => window.__added.push(e.detail));
document.addEventListener('click', (e) => { if (e.composedPath().some((n) => n.tagName === 'A')) e.preventDefault(); }, true);</script>`;
    await page.goto(shop.page('/tracking', shopPage(widgetScript(), { ...basics(), surface: 'similar', items: fx.clusters[1][0], n: '4' }, extra)));
    await expect.poll(() => page.locator('#plusone li').count(), { timeout: 10_000 }).toBe(4);
    const visitor = await visitorOf(page);
    expect(visitor).toMatch(/^[0-9a-f-]{36}$/);
    expect(new URL(recRequests[0].url()).searchParams.get('visitor')).toBe(visitor);
    const ids = await shownIds(page);

    await page.locator('#plusone li').nth(1).locator('button').click();
    const added = (await page.evaluate('window.__added')) as { item_id: string; rec_id: string; variant: string | null }[];
    expect(added).toEqual([{ item_id: ids[1], rec_id: expect.stringMatching(/^[0-9a-f-]{36}$/), variant: null }]);
    await page.locator('#plusone li').nth(2).locator('a').click();

    const stored = await eventsUntil(visitor!, (e) => ['impression', 'click', 'add_to_cart'].every((t) => e.some((x) => x.type === t)));
    const byType = (t: string) => stored.filter((e) => e.type === t);
    expect(byType('impression')).toHaveLength(1);
    expect(byType('impression')[0]).toMatchObject({ rec_id: added[0].rec_id, surface: 'similar', item_ids: ids });
    expect(byType('add_to_cart')).toEqual([expect.objectContaining({ rec_id: added[0].rec_id, item_ids: [ids[1]] })]);
    expect(byType('click')).toEqual([expect.objectContaining({ rec_id: added[0].rec_id, item_ids: [ids[2]] })]);
    expect(new Set(stored.map((e) => e.event_id)).size).toBe(stored.length);
    // Sent as text/plain, so no preflight went out.
    expect(beacons.length).toBeGreaterThan(0);
    expect(beacons.map((r) => r.method())).toEqual(beacons.map(() => 'POST'));
    expect(problems.console).toEqual([]);
    expect(problems.network).toEqual([]);
    expect(await problems.inPage()).toEqual([]);
  });

  it('with data-consent="required" sends nothing and stores no id until PlusOne.consent(true)', async () => {
    const page = await newPage();
    const beacons = requestsTo(page, '/events?key=');
    const recRequests = requestsTo(page, '/recommendations/');
    await page.goto(shop.page('/consent', shopPage(widgetScript(), { ...basics(), surface: 'basket', n: '4', consent: 'required' })));
    await expect.poll(() => page.locator('#plusone li').count(), { timeout: 10_000 }).toBe(4);
    await page.locator('#plusone li').first().locator('button').click();
    await page.waitForTimeout(1800);
    expect(beacons).toEqual([]);
    expect(await visitorOf(page)).toBeNull();
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(new URL(recRequests[0].url()).searchParams.has('visitor')).toBe(false);

    await page.evaluate('PlusOne.consent(true)');
    await page.locator('#plusone li').first().locator('button').click();
    await expect.poll(() => beacons.length, { timeout: 5000 }).toBeGreaterThan(0);
    const visitor = await visitorOf(page);
    expect(visitor).not.toBeNull();
    const stored = await eventsUntil(visitor!, (e) => e.some((x) => x.type === 'add_to_cart'));
    expect(stored.map((e) => e.type)).toEqual(['add_to_cart']);

    // Withdrawn: the id is forgotten and nothing more is sent.
    await page.evaluate('PlusOne.consent(false)');
    expect(await visitorOf(page)).toBeNull();
    const before = beacons.length;
    await page.locator('#plusone li').first().locator('button').click();
    await page.waitForTimeout(1500);
    expect(beacons.length).toBe(before);
  });

  it('respects Do Not Track: no events, no stored id', async () => {
    const page = await newPage({ init: "Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });" });
    const beacons = requestsTo(page, '/events?key=');
    await page.goto(shop.page('/dnt', shopPage(widgetScript(), { ...basics(), surface: 'basket', n: '4' })));
    await expect.poll(() => page.locator('#plusone li').count(), { timeout: 10_000 }).toBe(4);
    await page.locator('#plusone li').first().locator('button').click();
    await page.evaluate("PlusOne.track('purchase', { item_ids: ['sku1'], order_id: 'o1' }); PlusOne.flush()");
    await page.waitForTimeout(1800);
    expect(beacons).toEqual([]);
    expect(await visitorOf(page)).toBeNull();
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  describe('when the API fails, the widget stays empty and collapsed and nothing is logged', () => {
    const cases: { name: string; api?: () => Promise<string>; route?: (page: Page) => Promise<unknown>; wait: number }[] = [
      { name: 'the API host is down', api: async () => `http://127.0.0.1:${await freePort()}`, wait: 1500 },
      {
        name: 'the API answers 500',
        route: (page) =>
          page.route('**/recommendations/**', (r) =>
            r.fulfill({ status: 500, body: '{"error":{"code":"internal"}}', headers: { 'Access-Control-Allow-Origin': '*' } }),
          ),
        wait: 1500,
      },
      {
        name: 'the API answers garbage',
        route: (page) =>
          page.route('**/recommendations/**', (r) =>
            r.fulfill({ status: 200, body: '{"items":[{"id":', contentType: 'application/json', headers: { 'Access-Control-Allow-Origin': '*' } }),
          ),
        wait: 1500,
      },
      {
        name: 'the API answers the wrong shape',
        route: (page) =>
          page.route('**/recommendations/**', (r) =>
            r.fulfill({ status: 200, body: '{"items":"none","rec_id":7}', contentType: 'application/json', headers: { 'Access-Control-Allow-Origin': '*' } }),
          ),
        wait: 1500,
      },
      {
        name: 'the API is slower than 2.5 s',
        route: (page) =>
          page.route('**/recommendations/**', async (r) => {
            await new Promise((ok) => setTimeout(ok, 5000));
            await r.continue().catch(() => {});
          }),
        wait: 3500,
      },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const page = await newPage();
        const problems = await watchProblems(page);
        if (c.route) await c.route(page);
        const api = c.api ? await c.api() : edge.url;
        await page.goto(shop.page(`/fail-${cases.indexOf(c)}`, shopPage(widgetScript(), { ...basics(), api, surface: 'basket', items: 'sku1', n: '4' })));
        await page.waitForFunction('window.PlusOne !== undefined');
        await page.waitForTimeout(c.wait);
        expect(await page.evaluate("document.querySelector('#plusone').getBoundingClientRect().height")).toBe(0);
        expect(await page.evaluate("document.querySelector('#plusone').shadowRoot.childNodes.length")).toBe(0);
        expect(await page.locator('#after').isVisible()).toBe(true);
        // PlusOne.render resolves to 0 instead of failing.
        expect(await page.evaluate('PlusOne.render()')).toBe(0);
        expect(problems.console).toEqual([]);
        expect(problems.pageErrors).toEqual([]);
        expect(await problems.inPage()).toEqual([]);
        // Only the browser's own network log may mention a failed request.
        for (const line of problems.network) expect(line).toMatch(/^error: Failed to load resource: /);
      });
    }
  });

  describe('the demo storefront', () => {
    it('shows a product page with "Customers also bought" and no layout shift (screenshot in test-artifacts/)', async () => {
      const page = await newPage();
      const problems = await watchProblems(page);
      await page.addInitScript(
        "window.__shifts = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__shifts.push(e.value + ' ' + e.sources.map((s) => s.node ? s.node.nodeName + '#' + (s.node.id || '') : '?').join(',')); }).observe({ type: 'layout-shift', buffered: true });",
      );
      const product = fx.clusters[2][0];
      await page.goto(`${edge.url}/demo/${fx.seller}/products/${product}`);
      await expect.poll(() => page.locator('#plusone li').count(), { timeout: 10_000 }).toBe(8);
      expect(await page.locator('#plusone h2').textContent()).toBe('Customers also bought');
      expect(await shownIds(page)).not.toContain(product);
      // (Polled from outside: the page's CSP forbids the eval that waitForFunction needs.)
      await expect.poll(() => page.evaluate("[...document.querySelector('#plusone').shadowRoot.querySelectorAll('img')].every((i) => i.complete)")).toBe(true);
      expect(await page.evaluate('window.__shifts')).toEqual([]);
      const dir = join(projectRoot(), 'test-artifacts');
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'demo-product.png'), fullPage: true });
      expect(problems.console).toEqual([]);
      expect(problems.network).toEqual([]);
      expect(problems.pageErrors).toEqual([]);

      // A card's link leads to that product, and the click is recorded.
      const next = (await shownIds(page))[0];
      await page.locator('#plusone li').first().locator('a').click();
      await page.waitForURL(`**/demo/${fx.seller}/products/${next}`);
      const visitor = (await visitorOf(page))!;
      const stored = await eventsUntil(visitor, (e) => e.some((x) => x.type === 'click'));
      expect(stored.find((e) => e.type === 'click')).toMatchObject({ surface: 'similar', item_ids: [next] });
    });

    it('updates "Complete your order" when an item is added to the cart, and records the purchase', async () => {
      const page = await newPage();
      const problems = await watchProblems(page);
      await page.goto(`${edge.url}/demo/${fx.seller}/cart`);
      await expect.poll(() => page.locator('#plusone li').count(), { timeout: 10_000 }).toBe(8);
      expect(await page.locator('#plusone h2').textContent()).toBe('Complete your order');
      expect(await page.locator('#cart-empty').isVisible()).toBe(true);
      const before = await shownIds(page);

      await page.locator('#plusone li').first().locator('button').click();
      const added = before[0];
      await expect.poll(() => page.locator('#cart-rows li').count(), { timeout: 5000 }).toBe(1);
      expect(await page.locator('#cart-count').textContent()).toBe('1');
      await expect.poll(async () => (await shownIds(page)).join(), { timeout: 10_000 }).not.toBe(before.join());
      const after = await shownIds(page);
      expect(after).not.toContain(added);
      expect(after).toHaveLength(8);

      await page.locator('#checkout').click();
      expect(await page.locator('#cart-count').textContent()).toBe('0');
      const visitor = (await visitorOf(page))!;
      const stored = await eventsUntil(visitor, (e) => e.some((x) => x.type === 'purchase'));
      expect(stored.find((e) => e.type === 'purchase')).toMatchObject({ item_ids: [added], order_id: expect.stringMatching(/^demo-/) });
      expect(stored.some((e) => e.type === 'add_to_cart' && e.item_ids[0] === added)).toBe(true);
      expect(problems.console).toEqual([]);
      expect(problems.network).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
    });
  });
});
