import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import { surfaceModel } from '../http/context.js';
import { demoCatalog, type DemoCatalog } from '../demo/demo-catalog.js';
import { DEMO_SELLERS_KEY, parseDemoSellers, type DemoSeller } from '../demo/demo-sellers.js';
import { cartPage, demoPaths, homePage, messagePage, PAGE_SIZE, productPage, shopPage } from '../demo/pages.js';
import { placeholderSvg } from '../demo/placeholder-svg.js';
import { STORE_SCRIPT } from '../demo/store-script.js';

// Pages draw data from the model and from localStorage: revalidate each time, never keep.
const PAGE_HEADERS = {
  'Cache-Control': 'no-cache',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * The demo storefront (spec/widget.md, "Demo storefront"), mounted at /demo: the shops of
 * KV `demo/sellers`, a product grid from the catalog in each seller's active model, product
 * pages with "Customers also bought", a cart with "Complete your order", and generated SVG
 * pictures. Served only when the variable DEMO_STOREFRONT is "on"; otherwise every path
 * under /demo is the API's 404.
 */
export function demoRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  const sellers = async (c: Context<AppEnv>): Promise<DemoSeller[]> => {
    const text = await c.env.KV.get(DEMO_SELLERS_KEY, { type: 'text', cacheTtl: c.var.settings.kvCacheTtl });
    if (text === null) return [];
    try {
      return parseDemoSellers(text);
    } catch (err) {
      c.var.log({ event: 'demo_sellers_invalid', error: (err as Error).message });
      return [];
    }
  };

  // The listed seller a path names, or null.
  const sellerOf = async (c: Context<AppEnv>): Promise<DemoSeller | null> => {
    const id = c.req.param('seller');
    return (await sellers(c)).find((s) => s.id === id) ?? null;
  };

  const noShop = (c: Context<AppEnv>) =>
    c.html(messagePage(null, 'No such shop', `There is no demo shop "${c.req.param('seller') ?? ''}".`), 404, PAGE_HEADERS);

  const catalogOf = async (c: Context<AppEnv>, seller: DemoSeller): Promise<DemoCatalog | null> => {
    // The catalog of the version that answers "customers also bought" on the product pages.
    const { model } = await surfaceModel(c, seller.id, 'similar');
    return model === null ? null : demoCatalog(model.artifact);
  };

  const noModel = (c: Context<AppEnv>, seller: DemoSeller) =>
    c.html(
      messagePage(
        seller,
        'Nothing to show yet',
        'This shop has no published model, so there is no catalog to show. Run npm start, or publish a model with a catalog.',
      ),
      503,
      {
        ...PAGE_HEADERS,
        'Retry-After': '30',
      },
    );

  routes.use('*', async (c, next) => {
    if (c.env.DEMO_STOREFRONT !== 'on') return c.notFound();
    await next();
  });

  routes.get('/', async (c) => c.html(homePage(await sellers(c)), 200, PAGE_HEADERS));
  routes.get('/assets/store.js', (c) =>
    c.body(STORE_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    }),
  );

  routes.get('/:seller', async (c) => {
    const seller = await sellerOf(c);
    if (seller === null) return noShop(c);
    const catalog = await catalogOf(c, seller);
    if (catalog === null) return noModel(c, seller);
    const categoryParam = c.req.query('category');
    const category = categoryParam !== undefined && catalog.categories.some((k) => k.name === categoryParam) ? categoryParam : null;
    const count = category === null ? catalog.products.length : catalog.categories.find((k) => k.name === category)!.count;
    const page = Number(c.req.query('page') ?? '1');
    const pages = Math.max(1, Math.ceil(count / PAGE_SIZE));
    return c.html(shopPage(seller, catalog, category, Number.isInteger(page) && page >= 1 && page <= pages ? page : 1), 200, PAGE_HEADERS);
  });

  routes.get('/:seller/products/:item', async (c) => {
    const seller = await sellerOf(c);
    if (seller === null) return noShop(c);
    const catalog = await catalogOf(c, seller);
    if (catalog === null) return noModel(c, seller);
    const product = catalog.byId(c.req.param('item'));
    if (product === undefined) return c.html(messagePage(seller, 'No such product', 'This product is not in the shop\u2019s catalog.'), 404, PAGE_HEADERS);
    return c.html(productPage(seller, product), 200, PAGE_HEADERS);
  });

  routes.get('/:seller/cart', async (c) => {
    const seller = await sellerOf(c);
    return seller === null ? noShop(c) : c.html(cartPage(seller), 200, PAGE_HEADERS);
  });

  // The cart page's rows: display data of the ids in the cart (unknown ids left out).
  routes.get('/:seller/items', async (c) => {
    const s = await sellerOf(c);
    if (s === null) return noShop(c);
    const catalog = await catalogOf(c, s);
    const ids = (c.req.query('ids') ?? '')
      .split(',')
      .filter((id) => id !== '')
      .slice(0, 100);
    const items =
      catalog === null
        ? []
        : ids.flatMap((id) => {
            const p = catalog.byId(id);
            return p === undefined
              ? []
              : [{ id, title: p.title, url: demoPaths.product(s.id, id), image: p.image || demoPaths.image(s.id, id), price: p.price }];
          });
    return c.json({ items }, 200, { 'Cache-Control': 'no-cache' });
  });

  routes.get('/:seller/images/:file', async (c) => {
    const file = c.req.param('file');
    const seller = await sellerOf(c);
    if (!file.endsWith('.svg') || seller === null) return c.notFound();
    const catalog = await catalogOf(c, seller);
    const product = catalog?.byId(file.slice(0, -4));
    if (product === undefined) return c.notFound();
    return c.body(placeholderSvg(product.id, product.title, product.category), 200, {
      'Content-Type': 'image/svg+xml; charset=utf-8',
      'Cache-Control': 'public, max-age=86400',
      // An SVG opened on its own must not run anything.
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
    });
  });

  return routes;
}
