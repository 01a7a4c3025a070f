/**
 * API keys: their format and their KV layout, shared by the edge (which checks keys) and
 * the CLI (`plusone keys`, which creates and revokes them). Pure code: no runtime APIs, so
 * both the worker and Node import it. The layout is documented in spec/edge-api.md:
 *
 *   KV keys/<sha256 hex of the key>   -> KeyRecord (JSON)     looked up on every request
 *   KV sellers/<S>/keys               -> KeyIndexEntry[] (JSON) the seller's keys, oldest first
 *
 * Only the SHA-256 of a key is stored; the key itself is shown once, when it is created.
 */

export const KEY_TYPES = ['publishable', 'secret'] as const;
/** `publishable` (pk_): browsers, recommendations and events only. `secret` (sk_): servers, admin. */
export type KeyType = (typeof KEY_TYPES)[number];

export const KEY_PREFIXES: Readonly<Record<KeyType, string>> = { publishable: 'pk_', secret: 'sk_' };

/** A well-formed key: prefix and 32 base64url characters. */
export const KEY_PATTERN = /^(pk|sk)_[A-Za-z0-9_-]{32}$/;
/** A key id: `key_` and 16 hex digits (public; names a key in listings and `revoke`). */
export const KEY_ID_PATTERN = /^key_[0-9a-f]{16}$/;
/** A seller id (the same rule as `plusone publish`). */
export const SELLER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Origins a publishable key may list. */
export const MAX_ORIGINS = 50;

/** What `keys/<hash>` holds. */
export interface KeyRecord {
  id: string;
  seller: string;
  type: KeyType;
  /** Origins (`https://shop.example`) a publishable key may be used from; `*` allows any. */
  origins: string[];
  /** ISO 8601. */
  created: string;
  /** ISO 8601 when revoked, else null. */
  revoked: string | null;
  /** Sustained requests per second allowed per isolate; null for the default. */
  rps: number | null;
  /** Burst size (token bucket capacity); null for the default. */
  burst: number | null;
}

/** One entry of `sellers/<S>/keys`: the record plus where it is stored. */
export interface KeyIndexEntry extends KeyRecord {
  /** SHA-256 (hex) of the key: the record is at `keys/<hash>`. */
  hash: string;
  /** The key's first characters, to recognise it (`pk_AbC1…`). */
  hint: string;
}

/** KV keys of the key layout. */
export const keyStorage = {
  record: (hash: string) => `keys/${hash}`,
  index: (seller: string) => `sellers/${seller}/keys`,
};

/** The type of a well-formed key, or null. */
export function keyTypeOf(key: string): KeyType | null {
  if (!KEY_PATTERN.test(key)) return null;
  return key.startsWith('pk_') ? 'publishable' : 'secret';
}

/** The display hint of a key. */
export function keyHint(key: string): string {
  return `${key.slice(0, 7)}…`;
}

/**
 * An allowed origin in canonical form (`https://shop.example`, `http://localhost:8787`),
 * or `*`; null when `value` is not a bare http(s) origin.
 */
export function normalizeOrigin(value: string): string | null {
  const v = value.trim();
  if (v === '*') return '*';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
  // A bare origin has no path: "https://a.example/" is accepted, "https://a.example/shop" is not.
  if (/^[a-z]+:\/\/[^/]+\/./i.test(v)) return null;
  return url.origin;
}

/** Whether a request from `origin` (the Origin header) may use this key. */
export function originAllowed(record: KeyRecord, origin: string): boolean {
  return record.origins.includes('*') || record.origins.includes(origin);
}

function isPositiveOrNull(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0);
}

/**
 * Reads a stored key record, checking every field; throws an Error naming the bad field
 * (a record that fails is treated as no key by the edge, and logged).
 */
export function parseKeyRecord(text: string): KeyRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('key record is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('key record is not a JSON object');
  const r = raw as Record<string, unknown>;
  const bad = (field: string) => new Error(`key record: field ${field} is missing or invalid`);
  if (typeof r.id !== 'string' || !KEY_ID_PATTERN.test(r.id)) throw bad('id');
  if (typeof r.seller !== 'string' || !SELLER_PATTERN.test(r.seller)) throw bad('seller');
  if (r.type !== 'publishable' && r.type !== 'secret') throw bad('type');
  if (!Array.isArray(r.origins) || !r.origins.every((o) => typeof o === 'string')) throw bad('origins');
  if (typeof r.created !== 'string') throw bad('created');
  if (r.revoked !== null && typeof r.revoked !== 'string') throw bad('revoked');
  const rps = r.rps ?? null;
  const burst = r.burst ?? null;
  if (!isPositiveOrNull(rps)) throw bad('rps');
  if (!isPositiveOrNull(burst)) throw bad('burst');
  return { id: r.id, seller: r.seller, type: r.type, origins: r.origins as string[], created: r.created, revoked: r.revoked, rps, burst };
}

/** Reads `sellers/<S>/keys` (an absent index is an empty list). */
export function parseKeyIndex(text: string | null): KeyIndexEntry[] {
  if (text === null) return [];
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error('the key index is not a JSON array');
  return raw as KeyIndexEntry[];
}

const encoder = new TextEncoder();

/** SHA-256 of a key, lowercase hex: the name of its record (Web Crypto, so the edge and Node agree). */
export async function hashKey(key: string): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', encoder.encode(key)));
}

/** Lowercase hex of a digest. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}
