import type { Context, MiddlewareHandler } from 'hono';
import { settingsOf, type AppEnv, type Variables } from '../env.js';
import type { LoadedModel } from '../../core/recommend/model.js';
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
 * The model this isolate serves for `seller` (its active one, or with `type` that model
 * type's latest), loaded if needed, under this request's settings; null when there is none.
 */
export function sellerModel(c: Context<AppEnv>, seller: string, type?: string): Promise<LoadedModel | null> {
  const { memoMs, modelCacheBytes } = c.var.settings;
  return c.var.models.get(seller, c.var.source, { memoMs, maxBytes: modelCacheBytes, now: c.var.now() }, type);
}
