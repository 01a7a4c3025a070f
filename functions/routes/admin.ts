import { Hono } from 'hono';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { sellerModel } from '../http/context.js';

/** Secret-key routes, mounted under /v1/sellers/:seller. */
export function adminRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  // The active pointer and what this isolate serves (loading it if needed).
  routes.get('/model', requireSecret('the model status'), async (c) => {
    const seller = c.req.param('seller')!;
    await sellerModel(c, seller);
    const status = c.var.models.status(seller);
    return c.json({ seller, pointer: status.pointer, serving: status.serving, last_problem: status.lastProblem }, 200, { 'Cache-Control': 'no-store' });
  });
  return routes;
}
