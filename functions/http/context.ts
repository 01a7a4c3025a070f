import type { Context, MiddlewareHandler } from 'hono';
import { settingsOf, type AppEnv, type Variables } from '../env.js';
import type { LoadedModel } from '../../core/recommend/model.js';
import type { Surface } from '../../core/format/spec.js';
import { servingModel, type Served } from '../models/serving.js';
import type { ModelSource } from '../models/model-source.js';

/** What the app shares with every request: its own objects, and how a request's model source is made. */
type Shared = Pick<Variables, 'models' | 'experiments' | 'log' | 'now'> & { source: (c: Context<AppEnv>) => ModelSource };

/**
 * Hands the app's shared objects and this request's settings (parsed from the env once, here)
 * to everything after it as context variables: `c.var.settings`, `models`, `source`,
 * `experiments`, `log`, `now`.
 */
export function shared(app: Shared): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('settings', settingsOf(c.env));
    c.set('models', app.models);
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
 */
export async function surfaceModel(c: Context<AppEnv>, seller: string, surface: Surface, items: readonly string[] = []): Promise<Served> {
  const { memoMs } = c.var.settings;
  const config = await c.var.models.serving(seller, c.var.source, { memoMs, now: c.var.now() });
  return servingModel((slot) => sellerModel(c, seller, slot), config, surface, items);
}
