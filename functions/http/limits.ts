import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { ApiError } from '../../core/errors/api-error.js';

/** Longest URL accepted (path and query). */
export const MAX_URL_BYTES = 8192;
/** Largest declared request body accepted (no route reads a body yet). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Largest body of `PUT /v1/sellers/:seller/catalog` (up to 10,000 catalog items). */
export const CATALOG_BODY_BYTES = 8 * 1024 * 1024;

/** The body limit of a request: larger for the catalog upload, {@link MAX_BODY_BYTES} otherwise. */
export function bodyLimit(method: string, path: string): number {
  return method === 'PUT' && /^\/v1\/sellers\/[^/]+\/catalog\/?$/.test(path) ? CATALOG_BODY_BYTES : MAX_BODY_BYTES;
}

/** Refuses requests too large to be honest before anything else runs: 413. */
export function limits(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.url.length > MAX_URL_BYTES) {
      throw new ApiError('request_too_large', `the URL is ${c.req.url.length} characters; at most ${MAX_URL_BYTES} are accepted`);
    }
    const declared = c.req.header('content-length');
    const max = bodyLimit(c.req.method, c.req.path);
    if (declared !== undefined && Number(declared) > max) {
      throw new ApiError('request_too_large', `the body is ${declared} bytes; at most ${max} are accepted`);
    }
    await next();
  };
}
