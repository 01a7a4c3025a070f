import { createHash, randomBytes } from 'node:crypto';
import {
  KEY_PREFIXES,
  keyHint,
  keyStorage,
  keyTypeOf,
  parseKeyIndex,
  parseKeyRecord,
  type KeyIndexEntry,
  type KeyRecord,
  type KeyType,
} from '../../core/storage/keys.js';
import type { ModelStore } from './store.js';

/**
 * API keys in a store, in the KV layout of core/storage/keys.ts: the record under
 * `keys/<sha256>`, an entry in the seller's index `sellers/<S>/keys`. Only the hash is
 * stored; the key itself is returned once. Used by `plusone keys` and by `npm start`.
 */

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The seller's key index; a damaged one is an error that says where it is. */
export async function readKeyIndex(store: ModelStore, seller: string): Promise<KeyIndexEntry[]> {
  const text = await store.getValue(keyStorage.index(seller));
  try {
    return parseKeyIndex(text);
  } catch (err) {
    throw new Error(`${keyStorage.index(seller)} is damaged (${(err as Error).message}); fix or delete it in KV`);
  }
}

interface NewKey {
  seller: string;
  type: KeyType;
  /** Publishable keys: allowed origins (already in canonical form). */
  origins?: string[];
  rps?: number | null;
  burst?: number | null;
}

/** Creates a key: a random one, its record and its index entry. Returns the key (shown once) and its record. */
export async function createApiKey(store: ModelStore, spec: NewKey): Promise<{ key: string; record: KeyRecord }> {
  const key = `${KEY_PREFIXES[spec.type]}${randomBytes(24).toString('base64url')}`;
  const hash = sha256Hex(key);
  const record: KeyRecord = {
    id: `key_${randomBytes(8).toString('hex')}`,
    seller: spec.seller,
    type: spec.type,
    origins: spec.type === 'publishable' ? (spec.origins ?? []) : [],
    created: new Date().toISOString(),
    revoked: null,
    rps: spec.rps ?? null,
    burst: spec.burst ?? null,
  };
  const index = await readKeyIndex(store, spec.seller);
  const entry: KeyIndexEntry = { ...record, hash, hint: keyHint(key) };
  await store.putValues([
    { key: keyStorage.record(hash), value: JSON.stringify(record) },
    { key: keyStorage.index(spec.seller), value: JSON.stringify([...index, entry]) },
  ]);
  return { key, record };
}

/** Whether `key` is stored as a live (not revoked) key of `seller` of the given type. */
export async function keyIsLive(store: ModelStore, seller: string, key: string | undefined, type: KeyType): Promise<boolean> {
  if (key === undefined || keyTypeOf(key) !== type) return false;
  const text = await store.getValue(keyStorage.record(sha256Hex(key)));
  if (text === null) return false;
  try {
    const record = parseKeyRecord(text);
    return record.seller === seller && record.type === type && record.revoked === null;
  } catch {
    return false;
  }
}
