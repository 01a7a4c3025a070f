import { Hono } from 'hono';
import { CONSOLE_PAGE, CONSOLE_POLICY } from '../console/page.js';
import type { AppEnv } from '../env.js';
import { pageHeaders } from '../http/page-headers.js';

/**
 * The seller console (GET /console), mounted at the root: one static page whose script signs
 * in with a secret key and does everything through the public API (functions/console/page.ts,
 * web/console/).
 */
export function consoleRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/console', (c) => c.html(CONSOLE_PAGE, 200, pageHeaders(CONSOLE_POLICY)));
  return routes;
}
