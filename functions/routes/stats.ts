import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { validationHook } from '../http/validate.js';
import { sellerStats } from '../stats/stats.js';
import { statsQuery } from './console-schemas.js';

/**
 * The seller's figures over the last days (secret key), mounted under
 * /v1/sellers/:seller/stats: recommendations shown, clicked and added to cart, orders,
 * attributed orders and revenue, items per order, per day (functions/stats/stats.ts).
 */
export function statsRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/', requireSecret('the stats'), zValidator('query', statsQuery, validationHook), async (c) => {
    const { days, attribution_window_hours } = c.req.valid('query');
    const stats = await sellerStats(c.env.DB, c.req.param('seller')!, { days, now: c.var.now(), windowHours: attribution_window_hours });
    return c.json(stats, 200, { 'Cache-Control': 'no-store' });
  });
  return routes;
}
