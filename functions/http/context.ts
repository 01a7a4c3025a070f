import type { Context, MiddlewareHandler } from 'hono';
import { settingsOf, type AppEnv, type Variables } from '../env.js';
import type { LoadedModel } from '../../core/recommend/model.js';
import type { Surface } from '../../core/format/spec.js';
import type { LiveItems } from '../../core/catalog/live.js';
import { r2Objects } from '../catalog/objects.js';
import { servingModel, type Served } from '../models/serving.js';
import type { ModelSource } from '../models/model-source.js';

/** What the app shares with every request: its own objects, and how a request's model source is made. */
type Shared = Pick<Variables, 'models' | 'catalogs' | 'experiments' | 'log' | 'now'> & { source: (c: Context<AppEnv>) => ModelSource };

/**
 * Hands the app's shared objects and this request's settings (parsed from the env once, here)
 * to everything after it as context variables: `c.var.settings`, `models`, `source`,
 * `experiments`, `log`, `now`.
 */
export function shared(app: Shared): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('settings', settingsOf(c.env));
    c.set('models', app.models);
    c.set('catalogs', app.catalogs);
    c.set('experiments', app.experiments);
    c.set('log', app.log);
    c.set('now', app.now);
    c.set('source', app.source(c));
    await next();
  };
}

/**
 * The current version of one of the seller's slots (without `slot`: the seller's older active
 * pointer), loaded if needed, under this request's settings; null when there is none.
 */
export function sellerModel(c: Context<AppEnv>, seller: string, slot?: string): Promise<LoadedModel | null> {
  const { memoMs, modelCacheBytes } = c.var.settings;
  return c.var.models.get(seller, c.var.source, { memoMs, maxBytes: modelCacheBytes, now: c.var.now() }, slot);
}

/**
 * The version that answers `surface` for `seller` by its serving configuration (the rule,
 * its fallback, the older active pointer, the new-items rule for `items`), loaded if needed.
 * `knows` says whether a version knows any of the items (default: its item table; the
 * recommendation routes add the catalog's unseen items a hybrid version scores).
 */
export async function surfaceModel(
  c: Context<AppEnv>,
  seller: string,
  surface: Surface,
  items: readonly string[] = [],
  knows?: (model: LoadedModel, items: readonly string[]) => boolean,
): Promise<Served> {
  const { memoMs } = c.var.settings;
  const config = await c.var.models.serving(seller, c.var.source, { memoMs, now: c.var.now() });
  return servingModel((slot) => sellerModel(c, seller, slot), config, surface, items, knows);
}

/**
 * The seller's latest catalog as this isolate holds it (read from R2 after the memo), and a
 * function giving a loaded model's items under it (spec/edge-api.md, "Catalog updates").
 */
export async function sellerCatalog(c: Context<AppEnv>, seller: string): Promise<(model: LoadedModel) => LiveItems> {
  const { memoMs, catalogCacheBytes } = c.var.settings;
  await c.var.catalogs.snapshot(seller, r2Objects(c.env.MODELS), { memoMs, now: c.var.now(), maxBytes: catalogCacheBytes });
  return (model) => c.var.catalogs.live(seller, model);
}
