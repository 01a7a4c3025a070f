import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { ApiError } from '../../core/errors/api-error.js';

/** Longest URL accepted (path and query). */
export const MAX_URL_BYTES = 8192;
/** Largest declared request body accepted (no route reads a body yet). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Refuses requests too large to be honest before anything else runs: 413. */
export function limits(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.url.length > MAX_URL_BYTES) {
      throw new ApiError('request_too_large', `the URL is ${c.req.url.length} characters; at most ${MAX_URL_BYTES} are accepted`);
    }
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
      throw new ApiError('request_too_large', `the body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`);
    }
    await next();
  };
}
