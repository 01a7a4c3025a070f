/**
 * The seller console (/console) in Chromium against a local edge (`wrangler dev`, its request
 * log on), walked as a seller would: sign in with a secret key (a wrong one and a publishable
 * one are refused with a clear message), read the overview and compare it with the stats API,
 * open a model card, roll a slot back after a confirmation and change the serving
 * configuration, preview a cart for two slots, create and start an experiment and read its
 * report, create and revoke keys, copy the snippet and see the widget render from it (in the
 * live preview and in a storefront on another origin), delete a customer. Every page is also
 * checked on a phone's screen, for labels, names and contrast, and from the keyboard. No
 * console error; every request is a route of the public API (the OpenAPI document); the
 * secret key is never in a URL, wrangler's log or localStorage. Screenshots go to
 * test-artifacts/ (not committed).
 *
 * The seller is made through the trainer API and the CLI's key code, its events sent through
 * the public API (test/browser/console-fixture.ts), small enough for the test's time.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/bench-common.js';
import { startLocalEdge, type LocalEdge } from '../../scripts/local-edge.js';
import { prepareConsoleState, seedEvents, seedExperimentTraffic, type ConsoleState, type SeededEvents } from './console-fixture.js';
import { launchChromium, skipReason, startShop, watchProblems, type PageProblems, type ShopServer } from './harness.js';

const skip = skipReason();
if (skip) console.warn(`skipping the console test: ${skip}`);

const ARTIFACTS = join(projectRoot(), 'test-artifacts');
const PAGES = ['overview', 'models', 'preview', 'experiments', 'install', 'customers'] as const;

/** What each page shows once it has loaded. */
const LOADED: Record<(typeof PAGES)[number], string> = {
  overview: '#overview-experiments',
  models: '#serving-form',
  preview: '#preview-form',
  experiments: '#exp-form',
  install: '#snippet-form',
  customers: '#customer-form',
};

/** The numbers in a text as the console writes them ("1,234", "€100.00", "25.0%"). */
function numberIn(text: string): number {
  const m = /-?\d+(?:\.\d+)?/.exec(text.replace(/,(?=\d{3})/g, ''));
  if (m === null) throw new Error(`no number in "${text}"`);
  return Number(m[0]);
}

/**
 * Problems a page has for a screen reader or a keyboard, or for the eye: controls without a
 * label, buttons without a name, images without alt, text under 4.5:1 contrast (3:1 when large).
 */
const A11Y = `(() => {
  const problems = [];
  const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const name = (e) => (e.getAttribute('aria-label') || '').trim() || (e.getAttribute('aria-labelledby') ? 'by' : '');
  for (const c of document.querySelectorAll('input, select, textarea')) {
    if (c.type === 'hidden' || !visible(c)) continue;
    if ((c.labels?.length ?? 0) === 0 && !name(c)) problems.push('no label: ' + (c.id || c.outerHTML.slice(0, 80)));
  }
  for (const b of document.querySelectorAll('button, a[href]')) {
    if (visible(b) && !b.textContent.trim() && !name(b)) problems.push('no name: ' + b.outerHTML.slice(0, 80));
  }
  for (const i of document.querySelectorAll('img')) if (!i.hasAttribute('alt')) problems.push('no alt: ' + i.src);
  const rgb = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = (e) => { for (let n = e; n; n = n.parentElement) { const c = rgb(getComputedStyle(n).backgroundColor); if (c.a > 0.5) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  for (const e of document.querySelectorAll('body *')) {
    if (!visible(e) || e.closest('canvas, svg, iframe')) continue;
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own) continue;
    const style = getComputedStyle(e);
    const fg = rgb(style.color), bg = background(e);
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push('contrast ' + ratio.toFixed(2) + ' < ' + need + ': ' + e.tagName + ' "' + e.textContent.trim().slice(0, 40) + '"');
  }
  return problems;
})()`;

describe.skipIf(skip !== null)('the seller console in Chromium', () => {
  let work: string;
  let fx: ConsoleState;
  let edge: LocalEdge;
  let browser: Browser;
  let shop: ShopServer;
  let sent: SeededEvents;
  let context: BrowserContext;
  let page: Page;
  let problems: PageProblems;
  const wranglerLog: string[] = [];
  /** Every URL any console page asked for or showed, and every API call (method and path). */
  const urls: string[] = [];
  const calls: { method: string; path: string; auth: string | undefined }[] = [];

  async function api<T = any>(path: string, init: RequestInit = {}, key = fx.consoleKey): Promise<{ status: number; body: T }> {
    const res = await fetch(`${edge.url}/v1/sellers/${fx.seller}${path}`, { ...init, headers: { Authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Records what a page asks for. */
  function watch(p: Page): void {
    p.on('request', (r) => {
      urls.push(r.url());
      const u = new URL(r.url());
      if (u.pathname.startsWith('/v1/')) calls.push({ method: r.method(), path: u.pathname, auth: r.headers().authorization });
    });
    p.on('framenavigated', (f) => urls.push(f.url()));
  }

  async function open(name: (typeof PAGES)[number], p = page): Promise<void> {
    await p.click(`#nav-${name}`);
    await p.waitForSelector(`#page-${name}:not([hidden]) ${LOADED[name]}`);
    await expect.poll(() => p.locator('#console-status').textContent()).not.toMatch(/^Loading/);
  }

  async function screenshot(name: string, p = page): Promise<void> {
    await p.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  }

  async function signIn(p: Page, key = fx.consoleKey): Promise<void> {
    await p.goto(`${edge.url}/console?seller=${fx.seller}`);
    await p.fill('#sign-in-key', key);
    await p.click('#sign-in-form button');
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'plusone-console-'));
    await mkdir(ARTIFACTS, { recursive: true });
    fx = await prepareConsoleState(work);
    // MEMO_SECONDS 0: a rollback or a serving change is in the next answer; the demo storefront serves the catalog's images.
    [edge, browser] = await Promise.all([
      startLocalEdge({ state: fx.state, vars: { MEMO_SECONDS: '0', DEMO_STOREFRONT: 'on' }, logLevel: 'info', onLine: (l) => wranglerLog.push(l) }),
      launchChromium(),
    ]);
    shop = await startShop(edge.url);
    sent = await seedEvents(edge.url, fx);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: edge.url });
    page = await context.newPage();
    problems = await watchProblems(page);
    watch(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await edge?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('refuses a wrong key and a publishable key with a clear message, and keeps neither', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await other.newPage();
    const seen = await watchProblems(p);
    watch(p);
    await p.goto(`${edge.url}/console?seller=${fx.seller}`);
    await screenshot('console-sign-in.png', p);
    expect(await p.inputValue('#sign-in-seller')).toBe(fx.seller);
    const attempt = async (seller: string, key: string) => {
      await p.fill('#sign-in-seller', seller);
      await p.fill('#sign-in-key', key);
      await p.click('#sign-in-form button');
      await expect.poll(() => p.locator('#sign-in-error').textContent()).not.toBe('');
      const text = (await p.locator('#sign-in-error').textContent())!;
      await p.evaluate("document.getElementById('sign-in-error').textContent = ''");
      return text;
    };
    expect(await attempt(fx.seller, `sk_${'Q'.repeat(32)}`)).toMatch(
      /^This API does not know that key \(unknown API key.*\)\. Check that you copied the whole secret key of seller console-shop/,
    );
    expect(await attempt(fx.seller, fx.publishableKey)).toBe(
      'That is a publishable key (pk_…): it only serves recommendations in a storefront and cannot sign in. The console needs a secret key (sk_…) of the seller.',
    );
    expect(await attempt(fx.seller, 'sk_short')).toMatch(/^That is not a PlusOne secret key/);
    expect(await attempt('nobody-here', fx.consoleKey)).toBe(
      'There is no seller nobody-here on this API: no key was ever created for it. Check the seller id.',
    );
    // Still signed out, and nothing kept.
    expect(await p.locator('#nav').isHidden()).toBe(true);
    expect(await p.evaluate('JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage })')).toBe('{}{}');
    // The publishable key never left the page; the wrong secret key only in a header.
    expect(calls.some((c) => c.auth?.includes(fx.publishableKey))).toBe(false);
    expect(calls.filter((c) => c.auth === `Bearer sk_${'Q'.repeat(32)}`)).toHaveLength(1);
    await screenshot('console-sign-in-refused.png', p);
    expect(seen.console).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    // The browser logs the refused requests (401, 404) itself; nothing else.
    expect(seen.network.every((l) => /status of (401|404)/.test(l))).toBe(true);
    await other.close();
  });

  it('signs in with a secret key and shows the overview numbers the stats API answers', async () => {
    await page.goto(`${edge.url}/console?seller=${fx.seller}`);
    await page.fill('#sign-in-key', fx.consoleKey);
    await page.click('#sign-in-form button');
    await page.waitForSelector('#page-overview:not([hidden]) #overview-experiments');
    // The key went into this tab's storage and out of the form; the page names it by its first characters only.
    expect(await page.inputValue('#sign-in-key')).toBe('');
    expect(await page.locator('#who').textContent()).toBe(
      `Seller ${fx.seller} · secret key ${fx.consoleKey.slice(0, 7)}… (${(await api('/keys')).body.current})`,
    );
    expect(await page.evaluate('document.activeElement.id')).toBe('title-overview');

    const stats = (await api('/stats?days=30')).body;
    const t = stats.totals;
    expect([t.impressions, t.clicks, t.add_to_carts, t.orders]).toEqual([sent.impressions, sent.clicks, sent.addToCarts, sent.orders]);
    const shown = async (name: string) => numberIn((await page.locator(`[data-figure="${name}"] .value`).textContent())!);
    expect(await shown('impressions')).toBe(t.impressions);
    expect(await shown('clicks')).toBe(t.clicks);
    expect(await shown('add_to_carts')).toBe(t.add_to_carts);
    expect(await shown('orders')).toBe(t.orders);
    expect(await shown('attributed_orders')).toBe(t.attributed_orders);
    expect(t.attributed_orders).toBeGreaterThan(0);
    expect(await shown('attributed_revenue')).toBeCloseTo(t.attributed_revenue, 2);
    expect(await page.locator('[data-figure="attributed_revenue"] .value').textContent()).toMatch(/^€/);
    expect(Math.abs((await shown('items_per_order')) - t.items_per_order)).toBeLessThanOrEqual(0.005);
    expect(Math.abs((await shown('multi_item_share')) - t.multi_item_share * 100)).toBeLessThanOrEqual(0.05);
    // The chart per day has the API's days and counts.
    const chart = (await page.evaluate(
      "(() => { const c = Chart.getChart('overview-chart-activity'); return { labels: c.data.labels, impressions: c.data.datasets[0].data }; })()",
    )) as { labels: string[]; impressions: number[] };
    expect(chart.labels).toEqual(stats.daily.map((d: { day: string }) => d.day));
    expect(chart.impressions).toEqual(stats.daily.map((d: { impressions: number }) => d.impressions));
    expect(await page.locator('#overview-experiments').textContent()).toMatch(/None is running/);
    await screenshot('console-overview.png');
  });

  it('models: every slot with its versions and model card; rolls a slot back after a confirmation; changes the serving configuration', async () => {
    // From the keyboard: the navigation's link, Enter.
    await page.focus('#nav-models');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#page-models:not([hidden]) #serving-form');
    await expect.poll(() => page.evaluate('document.activeElement.id')).toBe('title-models');
    const [v1, v2] = fx.itemKnnVersions;
    expect(await page.locator('[data-slot="item-knn"] tbody tr').count()).toBe(2);
    expect(await page.locator('[data-slot="popular"] tbody tr').count()).toBe(1);
    expect(await page.locator('[data-slot="item-knn"] .badge').allTextContents()).toEqual(['basket', 'similar', 'for-you', 'current']);

    await page.click(`[aria-label="Model card of ${v2}"]`);
    await page.waitForSelector('#card-item-knn .card');
    const card = (await page.locator('#card-item-knn').textContent())!;
    for (const part of ['Data window', '2026-02-15T00:00:00.000Z', 'Counts', 'Hyperparameters', 'lambda', 'Holdout metrics (as served)', 'p@10'])
      expect(card).toContain(part);

    // Cancelled: nothing moves. Confirmed: the slot answers with the older version.
    await page.click('[data-rollback="item-knn"]');
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    expect(await page.locator('#confirm-text').textContent()).toContain(`will answer with version ${v1}`);
    expect(await page.evaluate('document.activeElement.id')).toBe('confirm-cancel');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(false);
    expect((await api('/models')).body.slots.find((s: { slot: string }) => s.slot === 'item-knn').current).toBe(v2);
    await page.click('[data-rollback="item-knn"]');
    await page.click('#confirm-ok');
    await expect.poll(() => page.locator('#console-status').textContent()).toBe(`Slot item-knn now answers with ${v1} (it was ${v2}).`);
    expect((await api('/models')).body.slots.find((s: { slot: string }) => s.slot === 'item-knn').current).toBe(v1);
    const answer = (await api('/recommendations/basket?items=sku1&n=3')).body;
    expect(answer.model).toEqual({ type: 'item-knn', version: v1, slot: 'item-knn' });
    await page.waitForSelector(`[data-slot="item-knn"] [aria-label="Make ${v2} the current version of slot item-knn"]`);

    await page.selectOption('[data-rule="similar"]', 'popular');
    await page.selectOption('[data-fallback="similar"]', 'item-knn');
    await page.click('#serving-form button[type="submit"]');
    await expect.poll(() => page.locator('#serving-message').textContent()).toMatch(/^Saved at /);
    expect((await api('/serving')).body.surfaces).toMatchObject({
      similar: { slot: 'popular', fallback: 'item-knn' },
      basket: { slot: 'item-knn', fallback: null },
    });
    // user-knn and popularity rules are offered only where the kind serves the surface: popularity may serve new-items.
    expect(await page.locator('[data-rule="new-items"] option').allTextContents()).toEqual(['(no rule)', 'item-knn (item-knn)', 'popular (popularity)']);
    await screenshot('console-models.png');
  });

  it('preview: a cart, side by side for two slots, with the in-stock filter, as the API answers it', async () => {
    await open('preview');
    const cart = [fx.items[1], fx.items[2]];
    for (const id of cart) {
      await page.fill('#preview-product', id);
      await page.click('#preview-add');
    }
    expect(await page.locator('#preview-cart li').count()).toBe(2);
    await page.check('#preview-in-stock');
    await page.fill('#preview-n', '6');
    await page.click('#preview-show');
    await page.waitForSelector('#preview-results .column[data-slot="popular"] li');
    const columns = await page
      .locator('#preview-results .column')
      .evaluateAll((cs) =>
        cs.map((c) => ({ slot: c.getAttribute('data-slot'), items: [...c.querySelectorAll('li')].map((li) => li.getAttribute('data-item')) })),
      );
    expect(columns.map((c) => c.slot)).toEqual(['item-knn', 'popular']);
    for (const c of columns) {
      const expected = (await api(`/recommendations/basket?items=${cart.join(',')}&n=6&in_stock=1&slot=${c.slot}`)).body;
      expect(c.items, `slot ${c.slot}`).toEqual(expected.items.map((i: { id: string }) => i.id));
      expect(c.items).toHaveLength(6);
      // In stock only (the fixture's catalog has every seventh product out of stock), and never the cart itself.
      for (const id of c.items) {
        expect(Number(id!.slice(3)) % 7, `${id} is in stock`).not.toBe(6);
        expect(cart).not.toContain(id);
      }
    }
    expect(columns[0].items).not.toEqual(columns[1].items);
    const first = page.locator('#preview-results .column[data-slot="item-knn"] li').first();
    expect(await first.locator('.title').textContent()).toMatch(/no\. \d+ "/);
    expect(await first.locator('.meta').textContent()).toMatch(/^sku\d+ · \d+\.\d\d · score \d\.\d{4}$/);
    await screenshot('console-preview.png');
  });

  it('experiments: creates an experiment over two slots, starts it, reads its report, and the overview shows its headline', async () => {
    await open('experiments');
    await page.fill('#exp-name', 'EASE against popularity');
    await page.selectOption('#exp-control', 'item-knn');
    await page.fill('#exp-window', '48');
    await page.click('#exp-create');
    await page.waitForSelector('#exp-list [data-start]');
    const id = (await page.locator('#exp-list [data-start]').getAttribute('data-start'))!;
    expect(await page.locator('#console-status').textContent()).toBe(`Created EASE against popularity (${id}) as a draft: start it from the list.`);
    const draft = (await api(`/experiments/${id}`)).body.experiment;
    expect(draft).toMatchObject({
      surface: 'basket',
      status: 'draft',
      control: 'item-knn',
      attribution_window_hours: 48,
      arms: [
        { name: 'item-knn', slot: 'item-knn', weight: 1 },
        { name: 'popular', slot: 'popular', weight: 1 },
      ],
    });
    await page.click(`[data-start="${id}"]`);
    await expect.poll(() => page.locator(`[data-status="${id}"]`).textContent()).toBe('running');
    expect((await api(`/experiments/${id}`)).body.experiment.status).toBe('running');
    await screenshot('console-experiments.png');
    // Shoppers come in (through the public API), so that the report has something to say.
    const visitors = await seedExperimentTraffic(edge.url, fx, id);

    await page.click(`#exp-list a[href="#experiments/${id}"]`);
    await page.waitForSelector('#report:not([hidden])');
    expect(await page.locator('#report #title').textContent()).toBe('EASE against popularity');
    expect(await page.locator('#arms tr td:first-child').allTextContents()).toEqual(['item-knn (control)', 'popular']);
    const report = (await api(`/experiments/${id}/report`)).body;
    expect(await page.locator('#arms tr td:nth-child(3)').allTextContents()).toEqual(report.arms.map((a: { visitors: number }) => String(a.visitors)));
    expect(report.arms.reduce((n: number, a: { visitors: number }) => n + a.visitors, 0)).toBe(visitors);
    expect(await page.locator('#verdicts li').allTextContents()).toEqual(report.sequential.map((x: { verdict: string }) => x.verdict));
    expect(await page.evaluate("typeof Chart.getChart('chart-conversion')")).toBe('object');
    expect(await page.locator('#report-links a').nth(1).getAttribute('href')).toBe(`/admin/experiments/${id}?seller=${fx.seller}`);
    await screenshot('console-experiment-report.png');

    await open('overview');
    await page.waitForSelector(`#overview-experiments li[data-experiment="${id}"]`);
    expect(await page.locator(`#overview-experiments li[data-experiment="${id}"]`).textContent()).toMatch(
      new RegExp(`^EASE against popularity on the basket surface, running since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, ${visitors} visitors over 2 arms\\. `),
    );
  });

  it('install: creates and revokes a key, copies the snippet, and the widget renders from it in the live preview and in a storefront', async () => {
    await open('install');
    const create = async (origins: string) => {
      await page.selectOption('#key-type', 'publishable');
      await page.fill('#key-origins', origins);
      await page.click('#key-form button[type="submit"]');
      await page.waitForSelector('#new-key');
      const key = (await page.locator('#new-key-value').textContent())!;
      expect(key).toMatch(/^pk_[A-Za-z0-9_-]{32}$/);
      const listed = (await api('/keys')).body.keys.find((k: { hint: string }) => k.hint === `${key.slice(0, 7)}…`);
      expect(listed.origins).toEqual(origins.split(/\s+/));
      await page.waitForSelector(`[data-key-status="${listed.id}"]`);
      return { key, id: listed.id as string };
    };
    const old = await create('https://old.example');
    await page.click(`[data-revoke="${old.id}"]`);
    await page.click('#confirm-ok');
    await expect.poll(() => page.locator(`[data-key-status="${old.id}"]`).textContent()).toMatch(/^revoked /);
    const refused = await fetch(`${edge.url}/v1/sellers/${fx.seller}/recommendations/basket?items=sku1&key=${old.key}`);
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([401, 'revoked_key']);
    // The session's own key cannot be revoked from here.
    const mine = (await api('/keys')).body.current;
    expect(await page.locator(`[data-revoke="${mine}"]`).isDisabled()).toBe(true);

    const live = await create(shop.origin);
    expect(await page.inputValue('#snippet-key')).toBe(live.key);
    await page.fill('#snippet-items', fx.items[3]);
    await page.fill('#snippet-n', '4');
    await page.selectOption('#snippet-surface', 'basket');
    await page.click('#snippet-copy');
    await expect.poll(() => page.locator('#snippet-copied').textContent()).toBe(' Copied to the clipboard.');
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(copied).toBe(await page.inputValue('#snippet-code'));
    const widget = (await (await fetch(`${edge.url}/v1/widget`)).json()) as { integrity: string };
    expect(copied).toBe(
      [
        '<div id="plusone"></div>',
        `<script async src="${edge.url}/widget.v1.js" integrity="${widget.integrity}" crossorigin="anonymous"`,
        `        data-seller="${fx.seller}" data-key="${live.key}" data-surface="basket" data-target="#plusone" data-items="${fx.items[3]}" data-n="4"></script>`,
      ].join('\n'),
    );
    // The live preview: the snippet in a frame of the console's own origin.
    const preview = page.frameLocator('#snippet-preview');
    await expect.poll(() => preview.locator('#plusone li').count(), { timeout: 10_000 }).toBe(4);
    await screenshot('console-install.png');

    // The snippet as copied, in a storefront on another origin (the one the key allows).
    const shopContext = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    const shopPage = await shopContext.newPage();
    const shopProblems = await watchProblems(shopPage);
    const url = shop.page(
      '/product.html',
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>A shop</title></head><body><h1>A shop</h1>${copied}</body></html>`,
    );
    const answer = shopPage.waitForResponse((r) => r.url().includes('/recommendations/basket'));
    await shopPage.goto(url);
    const got = await answer;
    expect(got.status()).toBe(200);
    // The storefront is inside the running experiment: the widget shows its visitor's arm's answer, item for item.
    const body = (await got.json()) as { items: { title: string }[]; experiment: string | null };
    expect(body.experiment).toMatch(/^exp_/);
    await expect.poll(() => shopPage.locator('#plusone li').count(), { timeout: 10_000 }).toBe(4);
    expect(await shopPage.locator('#plusone li .n').allTextContents()).toEqual(body.items.map((i) => i.title));
    await screenshot('console-snippet-in-a-shop.png', shopPage);
    expect([...shopProblems.console, ...shopProblems.network, ...shopProblems.pageErrors, ...(await shopProblems.inPage())]).toEqual([]);
    await shopContext.close();
  });

  it('customers: deletes a customer after a confirmation and lists them', async () => {
    await open('customers');
    const customer = fx.customers[3];
    expect((await api(`/events?customer=${customer}`)).body.events.length).toBeGreaterThan(0);
    await page.fill('#customer-id', customer);
    await page.click('#customer-form button[type="submit"]');
    expect(await page.locator('#confirm-title').textContent()).toBe(`Delete customer ${customer}?`);
    await page.click('#confirm-ok');
    await expect
      .poll(() => page.locator('#console-status').textContent())
      .toMatch(new RegExp(`^Customer ${customer} is deleted: \\d+ events, their records in \\d+ model versions`));
    await page.waitForSelector('#deleted-list');
    expect(await page.locator('#deleted-list td:first-child').allTextContents()).toEqual([customer]);
    expect((await api('/customers/deleted')).body.customers.map((c: { customer: string }) => c.customer)).toEqual([customer]);
    expect((await api(`/events?customer=${customer}`)).body.events).toEqual([]);
    await screenshot('console-customers.png');
  });

  it('is accessible on every page: controls labelled, buttons named, text contrast at least 4.5:1, a skip link first', async () => {
    for (const name of PAGES) {
      await open(name);
      expect(await page.evaluate(A11Y), name).toEqual([]);
    }
    // The check finds what it looks for: a grey text and an unlabelled field, put in for a moment.
    const planted = (await page.evaluate(`(() => {
      const p = document.createElement('p'); p.textContent = 'faint'; p.style.color = '#aaaaaa';
      const i = document.createElement('input'); i.id = 'planted';
      const box = document.createElement('div'); box.append(p, i); document.getElementById('main').append(box);
      const found = ${A11Y};
      box.remove();
      return found;
    })()`)) as string[];
    expect(planted).toEqual(['no label: planted', expect.stringMatching(/^contrast 2\.\d+ < 4\.5: P "faint"$/)]);
    // On a fresh load (signed in from this tab's storage), the first Tab reaches the skip link, which leads to the content.
    await page.goto(`${edge.url}/console#customers`);
    await page.waitForSelector(`#page-customers:not([hidden]) ${LOADED.customers}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to the content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
  });

  it('fits a phone’s screen on every page (no sideways scrolling of the page)', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const p = await phone.newPage();
    const seen = await watchProblems(p);
    watch(p);
    await signIn(p);
    await p.waitForSelector('#page-overview:not([hidden]) #overview-experiments');
    for (const name of PAGES) {
      await open(name, p);
      // Against the screen's width itself: a mobile browser widens its layout viewport to fit what overflows.
      const width = (await p.evaluate('document.documentElement.scrollWidth')) as number;
      expect(width, `${name}: page width ${width} on a screen of 390`).toBeLessThanOrEqual(390);
      await screenshot(`console-phone-${name}.png`, p);
    }
    // A report, with its wide tables and charts.
    const [experiment] = (await api('/experiments')).body.experiments;
    await p.evaluate(`location.hash = 'experiments/${experiment.id}'`);
    await p.waitForSelector('#report:not([hidden])');
    expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot('console-phone-experiment-report.png', p);
    expect([...seen.console, ...seen.network, ...seen.pageErrors]).toEqual([]);
    await phone.close();
  });

  it('logged no error, called only routes of the public API, and never put the secret key in a URL, a log line or localStorage', async () => {
    expect(problems.console).toEqual([]);
    expect(problems.network).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(await problems.inPage()).toEqual([]);

    // Every call is an operation of the OpenAPI document (nothing console-only).
    const doc = (await (await fetch(`${edge.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const templates = Object.entries(doc.paths).map(([path, ops]) => ({
      re: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      path,
      methods: Object.keys(ops),
    }));
    const used = new Set<string>();
    for (const c of calls) {
      const t = templates.find((x) => x.re.test(c.path) && x.methods.includes(c.method.toLowerCase()));
      expect(t, `${c.method} ${c.path} is in the OpenAPI document`).toBeDefined();
      used.add(`${c.method} ${t!.path}`);
    }
    for (const op of [
      'GET /v1/sellers/{seller}/stats',
      'GET /v1/sellers/{seller}/models/{version}/card',
      'POST /v1/sellers/{seller}/slots/{slot}/rollback',
      'PUT /v1/sellers/{seller}/serving',
      'POST /v1/sellers/{seller}/experiments',
      'POST /v1/sellers/{seller}/keys',
      'DELETE /v1/sellers/{seller}/keys/{id}',
      'DELETE /v1/sellers/{seller}/customers/{customer}',
      'GET /v1/widget',
    ])
      expect(used, op).toContain(op);

    // The key: in the Authorization header of the console's own calls, nowhere else.
    const key = fx.consoleKey;
    expect(urls.length).toBeGreaterThan(50);
    expect(urls.filter((u) => u.includes(key) || decodeURIComponent(u).includes(key))).toEqual([]);
    expect(calls.filter((c) => c.auth === `Bearer ${key}`).length).toBeGreaterThan(20);
    const storage = (await page.evaluate('({ local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) })')) as {
      local: string;
      session: string;
    };
    expect(storage.local).not.toContain(key);
    expect(storage.session).toContain(key);
    // wrangler's request log has a line per request, none with the key.
    expect(wranglerLog.filter((l) => l.includes(`/v1/sellers/${fx.seller}/keys`)).length).toBeGreaterThan(2);
    expect(wranglerLog.filter((l) => l.includes(key))).toEqual([]);
    // Signing out takes it out of the tab.
    await page.click('#sign-out');
    expect(await page.evaluate('JSON.stringify({ ...sessionStorage })')).not.toContain(key);
    expect(await page.locator('#sign-in-error').textContent()).toBe('You signed out: the key was removed from this tab.');
    await context.close();
  });
});
