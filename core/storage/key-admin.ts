/**
 * Creating, listing and revoking API keys in the KV layout of keys.ts, as values to write:
 * shared by the CLI (`plusone keys`, trainer/publish/api-keys.ts) and the edge's key routes
 * (`GET|POST /v1/sellers/:seller/keys`, `DELETE …/keys/:id`), which each read and write
 * their own store. Pure code: randomness from `crypto.getRandomValues`, hashes from
 * `crypto.subtle`, which Node and workerd both provide.
 */
import { hashKey, KEY_PREFIXES, keyHint, MAX_ORIGINS, normalizeOrigin, type KeyIndexEntry, type KeyRecord, type KeyType } from './keys.js';

/** What a new key is made of. */
export interface NewKeySpec {
  seller: string;
  type: KeyType;
  /** Publishable keys: allowed origins, in canonical form ({@link canonicalOrigins}). Ignored for secret keys. */
  origins?: readonly string[];
  rps?: number | null;
  burst?: number | null;
}

/** Keys a seller may have, revoked ones included (the index is one KV value). */
export const MAX_KEYS = 500;

/** A key as it is listed: its index entry without the hash (which would find its record). */
export type ListedKey = Omit<KeyIndexEntry, 'hash'>;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64URL[n >> 18] + BASE64URL[(n >> 12) & 63] + BASE64URL[(n >> 6) & 63] + BASE64URL[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += BASE64URL[n >> 18] + BASE64URL[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += BASE64URL[n >> 18] + BASE64URL[(n >> 12) & 63] + BASE64URL[(n >> 6) & 63];
  }
  return out;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * A new key: 24 random bytes after its prefix (32 base64url characters), a random id, its
 * record and its index entry. The key itself is returned once and stored nowhere.
 */
export async function newApiKey(spec: NewKeySpec, now: Date = new Date()): Promise<{ key: string; record: KeyRecord; entry: KeyIndexEntry }> {
  const key = `${KEY_PREFIXES[spec.type]}${base64url(crypto.getRandomValues(new Uint8Array(24)))}`;
  const record: KeyRecord = {
    id: `key_${hex(crypto.getRandomValues(new Uint8Array(8)))}`,
    seller: spec.seller,
    type: spec.type,
    origins: spec.type === 'publishable' ? [...(spec.origins ?? [])] : [],
    created: now.toISOString(),
    revoked: null,
    rps: spec.rps ?? null,
    burst: spec.burst ?? null,
  };
  return { key, record, entry: { ...record, hash: await hashKey(key), hint: keyHint(key) } };
}

/**
 * The seller's index with key `id` revoked at `now` (a key already revoked keeps its date),
 * and the record to write back at `keys/<hash>`; null when the index has no such key.
 */
export function revokeInIndex(
  index: readonly KeyIndexEntry[],
  id: string,
  now: Date = new Date(),
): { index: KeyIndexEntry[]; entry: KeyIndexEntry; record: KeyRecord; already: boolean } | null {
  const found = index.find((e) => e.id === id);
  if (found === undefined) return null;
  const entry: KeyIndexEntry = { ...found, revoked: found.revoked ?? now.toISOString() };
  return { index: index.map((e) => (e.id === id ? entry : e)), entry, record: recordOf(entry), already: found.revoked !== null };
}

/** The record stored at `keys/<hash>` for an index entry. */
export function recordOf(entry: KeyIndexEntry): KeyRecord {
  const { id, seller, type, origins, created, revoked, rps, burst } = entry;
  return { id, seller, type, origins, created, revoked, rps, burst };
}

/** An index entry as listed (CLI `keys list --json`, `GET …/keys`): without its hash. */
export function listedKey(entry: KeyIndexEntry): ListedKey {
  const { hash: _hash, ...listed } = entry;
  return listed;
}

/**
 * Origins a publishable key may list, in canonical form, without repeats; throws an Error
 * naming the first one that is not a bare http(s) origin (or `*`), or a list that is too long.
 */
export function canonicalOrigins(list: readonly string[]): string[] {
  const given = list.map((o) => o.trim()).filter((o) => o !== '');
  if (given.length > MAX_ORIGINS) throw new Error(`${given.length} origins are listed; at most ${MAX_ORIGINS}`);
  return [
    ...new Set(
      given.map((o) => {
        const n = normalizeOrigin(o);
        if (n === null) throw new Error(`"${o.slice(0, 100)}" is not an origin; write it as https://shop.example (scheme, host and port only), or * for any`);
        return n;
      }),
    ),
  ];
}
