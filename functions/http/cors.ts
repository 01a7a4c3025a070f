import type { MiddlewareHandler } from 'hono';
import { normalizeOrigin } from '../../core/storage/keys.js';
import type { AppEnv } from '../env.js';

const SELLER_ROUTES = '/v1/sellers/';

/**
 * CORS. Public routes (health, the OpenAPI document, the docs) allow any origin. Seller
 * routes allow the request's origin only when its key allows it: the auth middleware sets
 * `corsOrigin` after checking a publishable key's origins, so a response to any other
 * origin carries no Access-Control-Allow-Origin and the browser withholds it. Preflights
 * carry no key (browsers send no Authorization header with them), so they are answered
 * for any origin; the request that follows is the one checked.
 */
export function cors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    const seller = c.req.path.startsWith(SELLER_ROUTES);
    if (c.req.method === 'OPTIONS') {
      const headers = new Headers({
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      });
      if (!seller) headers.set('Access-Control-Allow-Origin', '*');
      else if (origin !== undefined && origin !== '*' && normalizeOrigin(origin) === origin) {
        // Only a well-formed origin is echoed back (never arbitrary header bytes).
        headers.set('Access-Control-Allow-Origin', origin);
        headers.set('Vary', 'Origin');
      }
      return new Response(null, { status: 204, headers });
    }
    await next();
    if (origin === undefined) return;
    if (!seller) {
      c.res.headers.set('Access-Control-Allow-Origin', '*');
      return;
    }
    const allowed = c.get('corsOrigin');
    if (allowed) {
      c.res.headers.set('Access-Control-Allow-Origin', allowed);
      c.res.headers.append('Vary', 'Origin');
      c.res.headers.set('Access-Control-Expose-Headers', 'Retry-After');
    }
  };
}
