import { Hono, type Context } from 'hono';
import { CatalogSnapshot } from '../../core/catalog/snapshot.js';
import { ApiError } from '../../core/errors/api-error.js';
import { requireSecret } from '../auth/authenticate.js';
import { catalogSummary } from '../catalog/manifest.js';
import { r2Objects } from '../catalog/objects.js';
import { parseCatalogBody } from '../catalog/parse.js';
import { readLayer, readManifest, writeCatalog } from '../catalog/store.js';
import type { AppEnv } from '../env.js';
import { bodyText } from '../http/body.js';
import { CATALOG_BODY_BYTES } from '../http/limits.js';
import { issueText } from '../http/validate.js';
import { catalogItem } from './catalog-schema.js';

const NO_STORE = { 'Cache-Control': 'no-store' };

/** The item id of a path, checked as a catalog item's id. */
function itemParam(c: Context<AppEnv>): string {
  const id = c.req.param('item') ?? '';
  const checked = catalogItem.shape.id.safeParse(id);
  if (!checked.success) throw new ApiError('invalid_request', `item: ${issueText(checked.error.issues[0])}`);
  return checked.data;
}

/**
 * Catalog updates (secret key), mounted under /v1/sellers/:seller/catalog (spec/edge-api.md,
 * "Catalog updates"): upserts of up to 10,000 items, retirements, and what the catalog holds.
 */
export function catalogRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use('*', requireSecret('catalog updates'));

  const write = async (c: Context<AppEnv>, seller: string, changes: Parameters<typeof writeCatalog>[2]) => {
    const result = await writeCatalog(r2Objects(c.env.MODELS), seller, changes, { now: c.var.now, log: c.var.log });
    // This isolate answers with it at once; the others within their memo (spec/edge-api.md, "Timing").
    c.var.catalogs.forget(seller);
    return catalogSummary(result.manifest);
  };

  routes.put('/', async (c) => {
    const seller = c.req.param('seller')!;
    const items = parseCatalogBody(await bodyText(c, CATALOG_BODY_BYTES), c.req.header('content-type'));
    const catalog = await write(
      c,
      seller,
      items.map((upsert) => ({ upsert })),
    );
    return c.json({ seller, accepted: items.length, catalog }, 200, NO_STORE);
  });

  routes.get('/', async (c) => {
    const seller = c.req.param('seller')!;
    const current = await readManifest(r2Objects(c.env.MODELS), seller);
    return c.json({ seller, catalog: current === null ? null : catalogSummary(current.manifest) }, 200, NO_STORE);
  });

  routes.get('/:item', async (c) => {
    const seller = c.req.param('seller')!;
    const item = itemParam(c);
    const objects = r2Objects(c.env.MODELS);
    const current = await readManifest(objects, seller);
    if (current === null) return c.json({ seller, item, entry: null }, 200, NO_STORE);
    const m = current.manifest;
    const snapshot = new CatalogSnapshot(
      m.version,
      m.base ? await readLayer(objects, seller, m.base) : null,
      m.delta ? await readLayer(objects, seller, m.delta) : null,
    );
    const r = snapshot.find(item);
    return c.json({ seller, item, entry: r < 0 ? null : snapshot.entry(r) }, 200, NO_STORE);
  });

  routes.delete('/:item', async (c) => {
    const seller = c.req.param('seller')!;
    const item = itemParam(c);
    const catalog = await write(c, seller, [{ retire: item }]);
    return c.json({ seller, item, retired: true, catalog }, 200, NO_STORE);
  });
  return routes;
}
