import { createHash, randomBytes } from 'node:crypto';
import { KEY_PREFIXES, keyHint, keyStorage, keyTypeOf, parseKeyIndex, parseKeyRecord, type KeyIndexEntry, type KeyRecord, type KeyType } from '../../functions/auth/keys.js';
import type { ModelStore } from '../../trainer/publish/store.js';

/**
 * The demo's API keys, in the KV layout of functions/auth/keys.ts that `plusone keys create`
 * writes: the record under `keys/<sha256>`, an entry in `sellers/<S>/keys`. Only the hash is
 * stored; the key itself goes to .plusone/local.json for the developer.
 */

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Creates a key for `seller` in `store` and returns it. */
export async function createKey(store: ModelStore, seller: string, type: KeyType, origins: string[] = []): Promise<string> {
  const key = `${KEY_PREFIXES[type]}${randomBytes(24).toString('base64url')}`;
  const hash = sha256(key);
  const record: KeyRecord = {
    id: `key_${randomBytes(8).toString('hex')}`,
    seller,
    type,
    origins: type === 'publishable' ? origins : [],
    created: new Date().toISOString(),
    revoked: null,
    rps: null,
    burst: null,
  };
  const index = parseKeyIndex(await store.getValue(keyStorage.index(seller)));
  const entry: KeyIndexEntry = { ...record, hash, hint: keyHint(key) };
  await store.putValues([
    { key: keyStorage.record(hash), value: JSON.stringify(record) },
    { key: keyStorage.index(seller), value: JSON.stringify([...index, entry]) },
  ]);
  return key;
}

/** Whether `key` is stored in `store` as a live key of `seller` of the given type. */
export async function keyIsLive(store: ModelStore, seller: string, key: string | undefined, type: KeyType): Promise<boolean> {
  if (key === undefined || keyTypeOf(key) !== type) return false;
  const text = await store.getValue(keyStorage.record(sha256(key)));
  if (text === null) return false;
  try {
    const record = parseKeyRecord(text);
    return record.seller === seller && record.type === type && record.revoked === null;
  } catch {
    return false;
  }
}
