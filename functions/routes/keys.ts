import { Hono } from 'hono';
import { ApiError } from '../../core/errors/api-error.js';
import { canonicalOrigins, listedKey, MAX_KEYS, newApiKey, revokeInIndex } from '../../core/storage/key-admin.js';
import { KEY_ID_PATTERN, keyStorage, parseKeyIndex, type KeyIndexEntry } from '../../core/storage/keys.js';
import { requireSecret, type KeyLookup } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { jsonBody } from '../http/body.js';
import { keyCreateRequest } from './keys-schema.js';

/** The seller's key index as KV holds it now (no read cache: a write follows). */
async function readIndex(kv: KVNamespace, seller: string): Promise<KeyIndexEntry[]> {
  try {
    return parseKeyIndex(await kv.get(keyStorage.index(seller), 'text'));
  } catch (err) {
    throw new Error(`${keyStorage.index(seller)} is damaged (${(err as Error).message})`);
  }
}

/**
 * A seller's API keys (secret key), mounted under /v1/sellers/:seller/keys: list, create (the
 * key is in the answer once), revoke. The KV layout and the values written are those of
 * `plusone keys` (core/storage/key-admin.ts). `keys` is the isolate's key memo, which forgets
 * a revoked key at once (other isolates within MEMO_SECONDS and KV's cache).
 */
export function keyRoutes(keys: KeyLookup): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use('*', requireSecret('API keys'));

  routes.get('/', async (c) => {
    const seller = c.req.param('seller')!;
    const index = await readIndex(c.env.KV, seller);
    return c.json({ seller, current: c.var.key.id, keys: index.map(listedKey) }, 200, { 'Cache-Control': 'no-store' });
  });

  routes.post('/', async (c) => {
    const seller = c.req.param('seller')!;
    const body = await jsonBody(c, keyCreateRequest);
    let origins: string[] = [];
    try {
      origins = canonicalOrigins(body.origins ?? []);
    } catch (err) {
      throw new ApiError('invalid_request', `origins: ${(err as Error).message}`);
    }
    const index = await readIndex(c.env.KV, seller);
    if (index.length >= MAX_KEYS)
      throw new ApiError('key_conflict', `seller ${seller} has ${index.length} keys (revoked ones included), the most a seller may have`);
    const { key, record, entry } = await newApiKey(
      { seller, type: body.type, origins, rps: body.rps ?? null, burst: body.burst ?? null },
      new Date(c.var.now()),
    );
    // The record first: a key in the index always has one.
    await c.env.KV.put(keyStorage.record(entry.hash), JSON.stringify(record));
    await c.env.KV.put(keyStorage.index(seller), JSON.stringify([...index, entry]));
    return c.json({ key, ...listedKey(entry) }, 201, { 'Cache-Control': 'no-store' });
  });

  routes.delete('/:id', async (c) => {
    const seller = c.req.param('seller')!;
    const id = c.req.param('id');
    if (!KEY_ID_PATTERN.test(id)) throw new ApiError('invalid_request', 'id must be key_ and 16 hex digits, as GET /v1/sellers/:seller/keys lists it');
    if (id === c.var.key.id)
      throw new ApiError('key_conflict', `key ${id} is the key making this request; revoke it with another secret key, so that you keep one that works`);
    const revoked = revokeInIndex(await readIndex(c.env.KV, seller), id, new Date(c.var.now()));
    if (revoked === null) throw new ApiError('key_not_found', `seller ${seller} has no key ${id}; list them with GET /v1/sellers/${seller}/keys`);
    if (!revoked.already) {
      await c.env.KV.put(keyStorage.record(revoked.entry.hash), JSON.stringify(revoked.record));
      await c.env.KV.put(keyStorage.index(seller), JSON.stringify(revoked.index));
    }
    keys.forget(revoked.entry.hash);
    return c.json({ key: listedKey(revoked.entry), already: revoked.already }, 200);
  });
  return routes;
}
