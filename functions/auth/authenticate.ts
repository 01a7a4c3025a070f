import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Settings } from '../env.js';
import { ApiError } from '../../core/errors/api-error.js';
import { hashKey, keyStorage, keyTypeOf, originAllowed, parseKeyRecord, SELLER_PATTERN, type KeyRecord } from '../../core/storage/keys.js';
import type { TokenBuckets } from './rate-limit.js';

/**
 * Key records by hash, read from KV (with `cacheTtl`) and reused in the isolate for the
 * memo period, misses included; the least recently used dropped beyond `maxEntries`.
 */
export class KeyLookup {
  private readonly memo = new Map<string, { record: KeyRecord | null; at: number }>();

  constructor(
    private readonly log: (event: Record<string, unknown>) => void = (e) => console.error(JSON.stringify(e)),
    private readonly maxEntries = 10_000,
  ) {}

  /** The record of the key with this hash, or null. Throws when KV fails. */
  async get(kv: KVNamespace, hash: string, settings: Settings, now: number): Promise<KeyRecord | null> {
    const hit = this.memo.get(hash);
    if (hit !== undefined && now - hit.at < settings.memoMs) return hit.record;
    const text = await kv.get(keyStorage.record(hash), { type: 'text', cacheTtl: settings.kvCacheTtl });
    let record: KeyRecord | null = null;
    if (text !== null) {
      try {
        record = parseKeyRecord(text);
      } catch (err) {
        this.log({ event: 'key_record_invalid', record: keyStorage.record(hash), error: (err as Error).message });
      }
    }
    this.memo.delete(hash);
    if (this.memo.size >= this.maxEntries) this.memo.delete(this.memo.keys().next().value as string);
    if (settings.memoMs > 0) this.memo.set(hash, { record, at: now });
    return record;
  }

  /** Forgets the memo of one key (this isolate just revoked it). */
  forget(hash: string): void {
    this.memo.delete(hash);
  }

  clear(): void {
    this.memo.clear();
  }
}

/** The key of a request: `Authorization: Bearer <key>`, else `?key=`. */
function keyOf(authorization: string | undefined, query: string | undefined): string {
  if (authorization !== undefined) {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (m === null) throw new ApiError('invalid_key', 'the Authorization header must be "Bearer <key>"');
    return m[1];
  }
  if (query !== undefined && query !== '') return query;
  throw new ApiError('missing_key', 'an API key is required: send "Authorization: Bearer <key>" or add key=<publishable key> to the query');
}

interface AuthOptions {
  keys: KeyLookup;
  buckets: TokenBuckets;
}

/**
 * Checks the seller route's key: well formed, known, not revoked, of this seller, used
 * from an allowed origin (publishable) or not from a browser (secret), and within its
 * rate limit. Sets `key` and `corsOrigin` for what follows.
 */
export function authenticate(options: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('corsOrigin', null);
    const seller = c.req.param('seller') ?? '';
    if (!SELLER_PATTERN.test(seller)) {
      throw new ApiError('invalid_request', 'seller must be 1-64 letters, digits, "-" or "_", starting with a letter or digit');
    }
    const key = keyOf(c.req.header('authorization'), c.req.query('key'));
    const type = keyTypeOf(key);
    if (type === null) throw new ApiError('invalid_key', 'this is not a PlusOne API key (pk_… or sk_… followed by 32 characters)');
    const { settings, now } = c.var;
    let record: KeyRecord | null;
    try {
      record = await options.keys.get(c.env.KV, await hashKey(key), settings, now());
    } catch (err) {
      c.var.log({ event: 'key_lookup_failed', error: (err as Error).message });
      throw new ApiError('unavailable', 'the key could not be checked just now; retry in a few seconds', { 'Retry-After': '5' });
    }
    if (record === null || record.type !== type) throw new ApiError('invalid_key', 'unknown API key; create one with "plusone keys create"');
    if (record.revoked !== null) throw new ApiError('revoked_key', `this key (${record.id}) was revoked on ${record.revoked}`);
    if (record.seller !== seller) {
      // Only on this error path: a seller without any key is not a seller at all.
      const known = await c.env.KV.get(keyStorage.index(seller), { type: 'text', cacheTtl: settings.kvCacheTtl }).catch(() => 'unknown');
      if (known === null) throw new ApiError('unknown_seller', `there is no seller ${seller}; check the seller id in the URL`);
      throw new ApiError('wrong_seller', `this key belongs to another seller; it cannot be used for seller ${seller}`);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      if (record.type === 'secret') {
        // The worker's own pages (the console, the report page) call the API from its own
        // origin, as the seller: that is no storefront, and the answer needs no CORS header.
        if (origin !== new URL(c.req.url).origin)
          throw new ApiError(
            'secret_key_in_browser',
            "secret keys must not be used from a browser on another site; use a publishable key (pk_…) in the storefront, or this API's console at /console",
          );
      } else if (!originAllowed(record, origin)) {
        throw new ApiError(
          'origin_not_allowed',
          `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed for this key; add it with "plusone keys create --origins"`,
        );
      } else c.set('corsOrigin', origin);
    }
    c.set('key', record);
    const d = settings.rateLimit;
    const taken = options.buckets.take(record.id, { rps: record.rps ?? d.rps, burst: record.burst ?? d.burst }, now());
    if (!taken.ok) {
      throw new ApiError(
        'rate_limited',
        `rate limit of this key exceeded (${record.rps ?? d.rps} requests/s, burst ${record.burst ?? d.burst}); retry after ${taken.retryAfter} s`,
        {
          'Retry-After': String(taken.retryAfter),
        },
      );
    }
    await next();
  };
}

/** Lets only secret keys through (admin routes, and `model=`). */
export function requireSecret(what: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('key').type !== 'secret') throw new ApiError('secret_key_required', `${what} needs a secret key (sk_…)`);
    await next();
  };
}
