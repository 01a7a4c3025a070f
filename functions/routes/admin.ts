import { Hono, type Context } from 'hono';
import { requireSecret } from '../auth/authenticate.js';
import { settingsOf, type AppEnv } from '../env.js';
import type { ModelCache } from '../models/model-cache.js';
import type { ModelSource } from '../models/model-source.js';

export interface AdminDeps {
  models: ModelCache;
  source: (c: Context<AppEnv>) => ModelSource;
  now: () => number;
}

/** Secret-key routes, mounted under /v1/sellers/:seller. */
export function adminRoutes(deps: AdminDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  // The active pointer and what this isolate serves (loading it if needed).
  routes.get('/model', requireSecret('the model status'), async (c) => {
    const seller = c.req.param('seller')!;
    const settings = settingsOf(c.env);
    await deps.models.get(seller, deps.source(c), { memoMs: settings.memoMs, maxBytes: settings.modelCacheBytes, now: deps.now() });
    const status = deps.models.status(seller);
    return c.json({ seller, pointer: status.pointer, serving: status.serving, last_problem: status.lastProblem }, 200, { 'Cache-Control': 'no-store' });
  });
  return routes;
}
