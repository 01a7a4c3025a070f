import type { Context } from 'hono';
import { ApiError } from '../../core/errors/api-error.js';
import type { AppEnv } from '../env.js';

/** The command that creates D1's tables (migrations/). */
export const MIGRATE_COMMAND = 'npx wrangler d1 migrations apply DB --remote (or --local for wrangler dev)';

/** Whether a storage error says that D1 has no schema (its migrations were never applied). */
export function isMissingSchema(err: unknown): boolean {
  return /no such table/i.test(err instanceof Error ? err.message : String(err));
}

/**
 * Runs a route's storage work (D1, KV, R2). Its failure is not the client's fault and may pass:
 * a D1 without the schema is 503 `not_configured`, saying which command creates it; any other
 * failure is logged and answered 503 `unavailable` with `Retry-After`, never a bare 500.
 * ApiErrors pass through.
 */
export async function storage<T>(c: Context<AppEnv>, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (isMissingSchema(err)) {
      throw new ApiError('not_configured', `the D1 database has no PlusOne tables (its migrations were never applied); run: ${MIGRATE_COMMAND}`);
    }
    c.var.log({
      event: 'storage_failed',
      what,
      path: c.req.path.slice(0, 200),
      error: err instanceof Error ? err.message.slice(0, 300) : String(err).slice(0, 300),
    });
    throw new ApiError('unavailable', `${what} failed just now (storage is unavailable); try again in a few seconds`, { 'Retry-After': '5' });
  }
}
