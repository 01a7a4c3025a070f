import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv, Settings } from '../env.js';
import { ApiError } from '../../core/errors/api-error.js';
import { hashKey, keyStorage, keyTypeOf, originAllowed, parseKeyRecord, SELLER_PATTERN, type KeyRecord } from '../../core/storage/keys.js';
import type { Limits } from './limits.js';

/** How long a key record read before may stand in for KV when KV fails (ms). */
export const KEY_STALE_MS = 3600_000;

/**
 * Key records by hash, read from KV (with `cacheTtl`) and reused in the isolate for the
 * memo period, misses included; the least recently used dropped beyond `maxEntries`. When
 * KV cannot be read, a record this isolate read within {@link KEY_STALE_MS} is used
 * (logged `key_lookup_stale`): recommendations keep answering through a KV outage, at the
 * price that a key revoked meanwhile works until KV answers again.
 */
export class KeyLookup {
  private readonly memo = new Map<string, { record: KeyRecord | null; at: number }>();

  constructor(
    private readonly log: (event: Record<string, unknown>) => void = (e) => console.error(JSON.stringify(e)),
    private readonly maxEntries = 10_000,
  ) {}

  /** The record of the key with this hash, or null. Throws when KV fails and no recent record stands in. */
  async get(kv: KVNamespace, hash: string, settings: Settings, now: number): Promise<KeyRecord | null> {
    const hit = this.memo.get(hash);
    if (hit !== undefined && now - hit.at < settings.memoMs) return hit.record;
    let text: string | null;
    try {
      text = await kv.get(keyStorage.record(hash), { type: 'text', cacheTtl: settings.kvCacheTtl });
    } catch (err) {
      if (hit?.record != null && now - hit.at < KEY_STALE_MS) {
        this.log({ event: 'key_lookup_stale', key: hit.record.id, age_s: Math.round((now - hit.at) / 1000), error: (err as Error).message });
        return hit.record;
      }
      throw err;
    }
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
    // Kept whatever the memo period: within it the record answers; after it, only when KV fails.
    this.memo.set(hash, { record, at: now });
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

/**
 * The key of a request: `Authorization: Bearer <key>`, else `?key=` (publishable keys only: a
 * secret key in a URL ends up in logs and browser history, so it is refused wherever it is).
 */
function keyOf(authorization: string | undefined, query: string[] | undefined): string {
  if (query?.some((k) => k.trim().startsWith('sk_'))) {
    throw new ApiError(
      'secret_key_in_url',
      'secret keys must not be sent in the URL (URLs end up in logs): send it in the header "Authorization: Bearer sk_…"; this key has been exposed, so revoke it ("plusone keys revoke") and create a new one',
    );
  }
  if (authorization !== undefined) {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (m === null) throw new ApiError('invalid_key', 'the Authorization header must be "Bearer <key>"');
    return m[1];
  }
  const fromQuery = query?.[0];
  if (fromQuery !== undefined && fromQuery !== '') return fromQuery;
  throw new ApiError('missing_key', 'an API key is required: send "Authorization: Bearer <key>" or add key=<publishable key> to the query');
}

interface AuthOptions {
  keys: KeyLookup;
  limits: Limits;
}

/** The client's address as Cloudflare gives it, or null (local tools and tests). */
function addressOf(header: string | undefined): string | null {
  const a = header?.trim();
  return a === undefined || a === '' || a.length > 64 ? null : a;
}

/**
 * Checks the seller route's key: well formed, known, not revoked, of this seller, used
 * from an allowed origin (publishable) or not from a browser (secret), and within its
 * rate limits (functions/auth/limits.ts). An address that failed too often is refused before
 * its key is looked at; every refused key counts against its address. Sets `key` and
 * `corsOrigin` for what follows.
 */
export function authenticate(options: AuthOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('corsOrigin', null);
    const seller = c.req.param('seller') ?? '';
    if (!SELLER_PATTERN.test(seller)) {
      throw new ApiError('invalid_request', 'seller must be 1-64 letters, digits, "-" or "_", starting with a letter or digit');
    }
    const { settings, now } = c.var;
    const address = addressOf(c.req.header('cf-connecting-ip'));
    const over = options.limits.checkAddress(address, settings, c.env, now());
    if (over !== null) throw new ApiError('rate_limited', over.message, { 'Retry-After': String(over.retryAfter) });
    let record: KeyRecord;
    try {
      record = await checkKey(c, options.keys, seller);
    } catch (err) {
      // Refused keys count against their address; an unavailable KV is nobody's fault.
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) await options.limits.recordFailure(address, settings, c.env, now());
      throw err;
    }
    c.set('key', record);
    const refused = await options.limits.checkKey(record, address, settings, c.env, now());
    if (refused !== null) throw new ApiError('rate_limited', refused.message, { 'Retry-After': String(refused.retryAfter) });
    await next();
  };
}

/** The request's key record, checked (throws the ApiError that refuses it). */
async function checkKey(c: Context<AppEnv>, keys: KeyLookup, seller: string): Promise<KeyRecord> {
  const key = keyOf(c.req.header('authorization'), c.req.queries('key'));
  const type = keyTypeOf(key);
  if (type === null) throw new ApiError('invalid_key', 'this is not a PlusOne API key (pk_… or sk_… followed by 32 characters)');
  const { settings, now } = c.var;
  let record: KeyRecord | null;
  try {
    record = await keys.get(c.env.KV, await hashKey(key), settings, now());
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
      if (origin === new URL(c.req.url).origin) return record;
      throw new ApiError(
        'secret_key_in_browser',
        "secret keys must not be used from a browser on another site; use a publishable key (pk_…) in the storefront, or this API's console at /console",
      );
    }
    if (!originAllowed(record, origin)) {
      throw new ApiError(
        'origin_not_allowed',
        `origin ${JSON.stringify(origin.slice(0, 100))} is not allowed for this key; add it with "plusone keys create --origins"`,
      );
    }
    c.set('corsOrigin', origin);
  }
  return record;
}

/** Lets only secret keys through (admin routes, and `model=`). */
export function requireSecret(what: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('key').type !== 'secret') throw new ApiError('secret_key_required', `${what} needs a secret key (sk_…)`);
    await next();
  };
}
