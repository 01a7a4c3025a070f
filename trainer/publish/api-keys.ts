import { createHash } from 'node:crypto';
import { MAX_KEYS, newApiKey, revokeInIndex, type NewKeySpec } from '../../core/storage/key-admin.js';
import { keyStorage, keyTypeOf, parseKeyIndex, parseKeyRecord, type KeyIndexEntry, type KeyRecord, type KeyType } from '../../core/storage/keys.js';
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

/** Creates a key: a random one, its record and its index entry (core/storage/key-admin.ts). Returns the key (shown once) and its record. */
export async function createApiKey(store: ModelStore, spec: NewKeySpec): Promise<{ key: string; record: KeyRecord }> {
  const index = await readKeyIndex(store, spec.seller);
  if (index.length >= MAX_KEYS) throw new Error(`seller ${spec.seller} has ${index.length} keys (revoked ones included), the most a seller may have`);
  const { key, record, entry } = await newApiKey(spec);
  await store.putValues([
    { key: keyStorage.record(entry.hash), value: JSON.stringify(record) },
    { key: keyStorage.index(spec.seller), value: JSON.stringify([...index, entry]) },
  ]);
  return { key, record };
}

/**
 * Revokes key `id` of `seller` (a key already revoked keeps its date); null when the seller
 * has no such key.
 */
export async function revokeApiKey(
  store: ModelStore,
  seller: string,
  id: string,
): Promise<{ index: KeyIndexEntry[]; entry: KeyIndexEntry; already: boolean } | null> {
  const index = await readKeyIndex(store, seller);
  const revoked = revokeInIndex(index, id);
  if (revoked === null) return null;
  await store.putValues([
    { key: keyStorage.record(revoked.entry.hash), value: JSON.stringify(revoked.record) },
    { key: keyStorage.index(seller), value: JSON.stringify(revoked.index) },
  ]);
  return { index, entry: revoked.entry, already: revoked.already };
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
