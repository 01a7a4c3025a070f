import { Hono } from 'hono';
import { CHART_JS_SOURCE, CHART_JS_VERSION } from '../admin/assets.generated.js';
import { CHART_JS_PATH, EXPERIMENT_PAGE, experimentPagePolicy } from '../admin/experiment-page.js';
import type { AppEnv } from '../env.js';
import { pageHeaders } from '../http/page-headers.js';

/**
 * The experiment report page and its assets, at absolute paths (mounted at the root):
 *   GET /admin/experiments/:id?seller=S   the page; it fetches /v1/sellers/S/experiments/:id/report itself
 *   GET /admin/assets/chart.umd.min.js    Chart.js
 * The page holds no data and needs no key to load; the key only ever travels in the
 * page's own API request.
 */
export function adminPageRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/admin/experiments/:id', async (c) => c.html(EXPERIMENT_PAGE, 200, pageHeaders(await experimentPagePolicy())));
  routes.get(CHART_JS_PATH, (c) => {
    const etag = `"chart.js-${CHART_JS_VERSION}"`;
    // The page asks for ?v=<version>, so that URL never changes content: cache it for a year.
    const cacheControl = c.req.query('v') === CHART_JS_VERSION ? 'public, max-age=31536000, immutable' : 'public, max-age=86400';
    const headers = { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': cacheControl, ETag: etag, 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(CHART_JS_SOURCE, 200, headers);
  });
  return routes;
}
