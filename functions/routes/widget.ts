import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import { WIDGET_BYTES, WIDGET_ETAG, WIDGET_GZIP_BYTES, WIDGET_INTEGRITY, WIDGET_JS } from '../widget/widget.generated.js';

/** Cache-Control of /widget.v1.js: the versioned URL never changes meaning, so browsers and CDNs keep it a year. */
export const VERSIONED_CACHE = 'public, max-age=31536000, immutable';
/** Cache-Control of /widget.js: the unversioned URL follows releases, so it is kept only five minutes. */
export const LATEST_CACHE = 'public, max-age=300';

function serve(c: Context<AppEnv>, cacheControl: string): Response {
  const headers: Record<string, string> = {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': cacheControl,
    ETag: WIDGET_ETAG,
    // Any storefront may load it, also with integrity= (a CORS request) and under COEP.
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'X-Content-Type-Options': 'nosniff',
  };
  const match = c.req.header('if-none-match');
  if (match?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === WIDGET_ETAG)) {
    return c.body(null, 304, headers);
  }
  return c.body(WIDGET_JS, 200, headers);
}

/**
 * The storefront widget (spec/widget.md): `GET /widget.v1.js` (immutable, one year) and
 * `GET /widget.js` (five minutes), the same code, with an ETag; and `GET /v1/widget`, the
 * versioned URL and its integrity hash for a snippet. Mounted at the root.
 */
export function widgetRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/widget.v1.js', (c) => serve(c, VERSIONED_CACHE));
  routes.get('/widget.js', (c) => serve(c, LATEST_CACHE));
  // What a snippet pins (spec/widget.md): the versioned URL and its Subresource Integrity hash.
  routes.get('/v1/widget', (c) =>
    c.json({ url: '/widget.v1.js', latest: '/widget.js', integrity: WIDGET_INTEGRITY, bytes: WIDGET_BYTES, gzip_bytes: WIDGET_GZIP_BYTES }, 200, {
      'Cache-Control': LATEST_CACHE,
    }),
  );
  return routes;
}
