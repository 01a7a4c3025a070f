import { env } from 'cloudflare:workers';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/app.js';
import { WIDGET_ETAG, WIDGET_INTEGRITY, WIDGET_JS } from '../../functions/widget/widget.generated.js';
import { artifactOf, call, seedModels, SELLERS } from './helpers.js';

const KNN = SELLERS['item-knn'];
const KEY = `pk_${'d'.repeat(32)}`;
const logged: Record<string, unknown>[] = [];
// An app of its own, so that DEMO_STOREFRONT can be "on" (wrangler.toml has it "off").
const app = createApp({ log: (e) => logged.push(e) });
const onEnv = { ...env, DEMO_STOREFRONT: 'on' };

function demo(path: string): Promise<Response> {
  return Promise.resolve(app.request(`https://edge.test${path}`, {}, onEnv));
}

async function listSellers(value: unknown): Promise<void> {
  await env.KV.put('demo/sellers', typeof value === 'string' ? value : JSON.stringify(value));
}

beforeAll(seedModels);
beforeEach(async () => {
  logged.length = 0;
  await listSellers([
    { id: KNN, name: 'Knn <Shop> & "Co"', publishable_key: KEY },
    { id: 'shop-nomodel', name: 'Empty', publishable_key: KEY, currency: 'USD' },
  ]);
});

describe('the demo storefront switch', () => {
  it('is off by default: every /demo path is the API 404', async () => {
    for (const path of ['/demo', `/demo/${KNN}`, `/demo/${KNN}/products/sku1`, '/demo/assets/store.js']) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });
});

describe('the demo storefront', () => {
  it('lists the shops of demo/sellers, escaped', async () => {
    const res = await demo('/demo');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain(`<a href="/demo/${KNN}">Knn &lt;Shop&gt; &amp; &quot;Co&quot;</a>`);
    expect(page).toContain('href="/demo/shop-nomodel"');
  });

  it('says how to fill it when demo/sellers is missing or broken (and logs the breakage)', async () => {
    await env.KV.delete('demo/sellers');
    expect(await (await demo('/demo')).text()).toContain('No demo shops yet');
    await listSellers('[{"id":');
    expect(await (await demo('/demo')).text()).toContain('No demo shops yet');
    expect(logged).toEqual([expect.objectContaining({ event: 'demo_sellers_invalid' })]);
  });

  it('shows the catalog of the active model, best sellers first', async () => {
    const a = artifactOf(KNN);
    const page = await (await demo(`/demo/${KNN}`)).text();
    const shown = [...page.matchAll(/<li><a href="\/demo\/[^/]+\/products\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1]));
    const listed = Array.from({ length: a.itemCount }, (_, i) => i).filter((i) => a.catalog!.entry(i).listed);
    expect(shown).toHaveLength(listed.length);
    const firstPopular = [...a.popularity!.items].find((i) => a.catalog!.entry(i).listed)!;
    expect(shown[0]).toBe(a.itemId(firstPopular));
    // The fixture's catalog has a title with non-ASCII and markup-like characters.
    expect(page).toContain('Tasse « café » ☕');
    expect(page).toContain('aria-label="Categories"');
  });

  it('filters by category and ignores a bad page number', async () => {
    const page = await (await demo(`/demo/${KNN}?category=mugs&page=99`)).text();
    expect(page).toContain('<h1>mugs</h1>');
    const a = artifactOf(KNN);
    for (const m of page.matchAll(/<li><a href="\/demo\/[^/]+\/products\/([^"]+)"/g)) {
      expect(a.catalog!.entry(a.itemIndex(decodeURIComponent(m[1]))).category).toBe('mugs');
    }
  });

  it('renders a product page with the widget for similar items', async () => {
    const res = await demo(`/demo/${KNN}/products/sku3`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<h1>Item 3, blue</h1>');
    expect(page).toContain(
      `<script async src="/widget.v1.js" integrity="${WIDGET_INTEGRITY}" crossorigin="anonymous" data-seller="${KNN}" data-key="${KEY}" data-surface="similar"`,
    );
    expect(page).toContain('data-items="sku3"');
    expect(page).toContain('€8.00');
  });

  it('answers 404 for an unknown shop or product, 503 for a shop without a model', async () => {
    expect((await demo('/demo/nobody')).status).toBe(404);
    expect((await demo(`/demo/${KNN}/products/nope`)).status).toBe(404);
    // sku22 is in the model but has no catalog row.
    expect((await demo(`/demo/${KNN}/products/sku22`)).status).toBe(404);
    const res = await demo('/demo/shop-nomodel');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('no published model');
  });

  it('serves the cart page and the rows it asks for', async () => {
    expect(await (await demo(`/demo/${KNN}/cart`)).text()).toContain('id="cart-rows"');
    const body = (await (await demo(`/demo/${KNN}/items?ids=sku1,nope,sku2`)).json()) as { items: { id: string; url: string; price: number }[] };
    expect(body.items.map((i) => i.id)).toEqual(['sku1', 'sku2']);
    expect(body.items[0]).toMatchObject({ url: `/demo/${KNN}/products/sku1`, price: 6 });
  });

  it('serves its script and generated SVG pictures', async () => {
    const js = await demo('/demo/assets/store.js');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain('plusone:add-to-cart');
    const svg = await demo(`/demo/${KNN}/images/sku1.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    const text = await svg.text();
    expect(text).toMatch(/^<svg /);
    expect(text).toContain('Tasse « café » ☕');
    expect((await demo(`/demo/${KNN}/images/nope.svg`)).status).toBe(404);
    expect((await demo(`/demo/${KNN}/images/sku1.png`)).status).toBe(404);
  });
});

describe('the widget routes in the worker', () => {
  it('serve /widget.v1.js and /widget.js', async () => {
    const v1 = await call('/widget.v1.js', { origin: 'https://shop.example' });
    expect(v1.status).toBe(200);
    expect(v1.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(v1.headers.get('access-control-allow-origin')).toBe('*');
    expect(v1.headers.get('etag')).toBe(WIDGET_ETAG);
    expect(await v1.text()).toBe(WIDGET_JS);
    const latest = await call('/widget.js');
    expect(latest.headers.get('cache-control')).toBe('public, max-age=300');
    expect((await call('/widget.v1.js', { headers: { 'If-None-Match': WIDGET_ETAG } })).status).toBe(304);
  });
});
