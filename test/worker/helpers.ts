import { applyD1Migrations, SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import { hashKey, keyHint, keyStorage, parseKeyIndex, type KeyIndexEntry, type KeyRecord, type KeyType } from '../../core/storage/keys.js';
import {
  customerHash,
  decodeCustomerShard,
  encodeCustomerShard,
  recordInShard,
  shardEntries,
  shardOf,
  type DecodedShard,
  type ShardEntry,
} from '../../core/format/customer-shard.js';
import { decodeArtifact } from '../../core/format/decode.js';
import { modelStorage, type ActivePointer } from '../../core/storage/pointer.js';
import type { Artifact } from '../../core/format/artifact.js';
import type { WorkerFixtures } from '../worker-fixtures.js';

export const fixtures: WorkerFixtures = inject('plusone');
export const SELLERS = fixtures.sellers;

export function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** Writes what `publish` wrote (pointers, records, artifacts) into this test file's KV and R2. */
export async function seedModels(): Promise<void> {
  for (const [k, v] of fixtures.values) await env.KV.put(k, v);
  for (const [k, v] of fixtures.objects) await env.MODELS.put(k, fromBase64(v));
}

/** The pointer of a fixture seller (each published one model, into the slot named by its type). */
export function pointerOf(seller: string): ActivePointer {
  const entry = fixtures.values.find(([k]) => k.startsWith(`sellers/${seller}/slots/`) && k.endsWith('/active'));
  if (!entry) throw new Error(`no fixture pointer for ${seller}`);
  return JSON.parse(entry[1]);
}

const decoded = new Map<string, Artifact>();

/** The decoded artifact of a fixture seller (for expectations). */
export function artifactOf(seller: string): Artifact {
  let a = decoded.get(seller);
  if (!a) {
    const key = pointerOf(seller).artifact;
    const b64 = fixtures.objects.find(([k]) => k === key)![1];
    a = decodeArtifact(fromBase64(b64));
    decoded.set(seller, a);
  }
  return a;
}

/** The fixture shard that holds `customer` in a fixture seller's active version, decoded, with its key. */
export function fixtureShard(seller: string, customer: string): { key: string; shard: DecodedShard } {
  const p = pointerOf(seller);
  const count = p.customerShards!.count;
  const k = shardOf(customerHash(customer), count);
  const key = modelStorage.customerShard(seller, p.version, k);
  const b64 = fixtures.objects.find(([o]) => o === key)?.[1];
  if (b64 === undefined) throw new Error(`no fixture shard ${key}`);
  return { key, shard: decodeCustomerShard(fromBase64(b64), { shard: k, shardCount: count }) };
}

/** The record of a customer in a fixture seller's active version (from its shard), or undefined. */
export function recordOf(seller: string, customer: string): Uint8Array | undefined {
  return recordInShard(fixtureShard(seller, customer).shard, customer)?.slice() ?? undefined;
}

/** Every record of a fixture seller's active version, from all its shards. */
export function recordsOf(seller: string): Map<string, Uint8Array> {
  const p = pointerOf(seller);
  const out = new Map<string, Uint8Array>();
  for (let k = 0; k < p.customerShards!.count; k++) {
    const b64 = fixtures.objects.find(([o]) => o === modelStorage.customerShard(seller, p.version, k))![1];
    for (const e of shardEntries(decodeCustomerShard(fromBase64(b64)))) out.set(e.id, e.record.slice());
  }
  return out;
}

/**
 * Rewrites the R2 shards of a fixture seller's active version with some records replaced
 * (bytes as given, damaged ones included); returns the shard keys written.
 */
export async function putShardRecords(seller: string, replace: ReadonlyMap<string, Uint8Array>): Promise<string[]> {
  const written = new Map<string, { shard: DecodedShard; entries: ShardEntry[] }>();
  for (const customer of replace.keys()) {
    const { key, shard } = fixtureShard(seller, customer);
    if (!written.has(key)) written.set(key, { shard, entries: shardEntries(shard) });
  }
  for (const [key, { shard, entries }] of written) {
    const updated = entries.map((e) => ({ id: e.id, record: replace.get(e.id) ?? e.record }));
    await env.MODELS.put(key, encodeCustomerShard(shard.header.shard, shard.header.shardCount, updated));
  }
  return [...written.keys()];
}

/**
 * Publishes a copy of a fixture seller in the layout before the shards (one KV value per
 * customer, base64; a pointer and version entry without `customerShards`), as `plusone
 * publish` wrote it then: what already-published versions look like to the edge.
 */
export async function seedLegacySeller(from: string, to: string): Promise<ActivePointer> {
  const source = pointerOf(from);
  const version = source.version;
  const artifact = modelStorage.artifact(to, version);
  await env.MODELS.put(artifact, fromBase64(fixtures.objects.find(([k]) => k === source.artifact)![1]));
  const { customerShards: _, slot: __, ...rest } = source;
  const pointer: ActivePointer = { ...rest, artifact };
  await env.KV.put(`sellers/${to}/active`, JSON.stringify(pointer));
  await env.KV.put(`sellers/${to}/active/${pointer.model}`, JSON.stringify(pointer));
  await env.KV.put(
    `sellers/${to}/versions`,
    JSON.stringify([{ version, model: pointer.model, sha256: pointer.sha256, bytes: 0, customers: pointer.customers, published: pointer.published }]),
  );
  for (const [customer, record] of recordsOf(from)) {
    await env.KV.put(`sellers/${to}/models/${version}/users/${encodeURIComponent(customer)}`, btoa(String.fromCharCode(...record)));
  }
  return pointer;
}

/**
 * Publishes a copy of a fixture seller's version in the layout `plusone publish` wrote before
 * the slots (customer shards, but no slot): the version named `<time>-<sha 8>`, its artifact,
 * card and shards, the version list `sellers/<S>/versions`, the active pointer and the type
 * pointer `sellers/<S>/active/<type>`, an empty pending list. Returns the pointer.
 */
export async function seedTodaysSeller(from: string, to: string): Promise<ActivePointer> {
  const source = pointerOf(from);
  const version = `20260101T120000Z-${source.sha256.slice(0, 8)}`;
  const folder = (seller: string, v: string) => `sellers/${seller}/models/${v}/`;
  for (const [key, b64] of fixtures.objects) {
    if (!key.startsWith(folder(from, source.version))) continue;
    await env.MODELS.put(folder(to, version) + key.slice(folder(from, source.version).length), fromBase64(b64));
  }
  const { slot: _, ...rest } = source;
  const pointer: ActivePointer = { ...rest, version, artifact: modelStorage.artifact(to, version), previous: null };
  const entry = {
    version,
    model: pointer.model,
    sha256: pointer.sha256,
    bytes: fromBase64(fixtures.objects.find(([k]) => k === source.artifact)![1]).length,
    customers: pointer.customers,
    published: pointer.published,
    customerShards: pointer.customerShards,
  };
  await env.KV.put(`sellers/${to}/versions`, JSON.stringify([entry]));
  await env.KV.put(`sellers/${to}/active`, JSON.stringify(pointer));
  await env.KV.put(`sellers/${to}/active/${pointer.model}`, JSON.stringify(pointer));
  await env.KV.put(`sellers/${to}/pending`, '[]');
  return pointer;
}

export interface KeyOptions {
  seller: string;
  type?: KeyType;
  origins?: string[];
  rps?: number;
  burst?: number;
  revoked?: boolean;
}

let keyCounter = 0;

/** Creates a key in KV the way `plusone keys create` does (same layout) and returns it. */
export async function createKey(options: KeyOptions): Promise<{ key: string; record: KeyRecord }> {
  const type = options.type ?? 'publishable';
  const random = crypto.getRandomValues(new Uint8Array(24));
  const body = btoa(String.fromCharCode(...random))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  const key = `${type === 'publishable' ? 'pk_' : 'sk_'}${body}`;
  const hash = await hashKey(key);
  const id = `key_${(++keyCounter).toString(16).padStart(4, '0')}${Array.from(random.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const record: KeyRecord = {
    id,
    seller: options.seller,
    type,
    origins: options.origins ?? (type === 'publishable' ? ['https://shop.example'] : []),
    created: new Date().toISOString(),
    revoked: options.revoked ? new Date().toISOString() : null,
    rps: options.rps ?? null,
    burst: options.burst ?? null,
  };
  await env.KV.put(keyStorage.record(hash), JSON.stringify(record));
  const index = parseKeyIndex(await env.KV.get(keyStorage.index(options.seller)));
  const entry: KeyIndexEntry = { ...record, hash, hint: keyHint(key) };
  await env.KV.put(keyStorage.index(options.seller), JSON.stringify([...index, entry]));
  return { key, record };
}

export interface GetOptions {
  key?: string;
  /** Send the key as ?key= instead of the Authorization header. */
  keyInQuery?: boolean;
  origin?: string;
  headers?: Record<string, string>;
  method?: string;
  body?: string;
}

/** Applies the D1 migrations (migrations/) to this test file's database. */
export async function migrate(): Promise<void> {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
}

/** Polls `read` until `done` holds of its value (or the time is up) and returns the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await read();
  while (!done(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    v = await read();
  }
  return v;
}

/** A request to the worker (its default export, in this isolate). */
export async function call(path: string, options: GetOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  let url = `https://edge.test${path}`;
  if (options.key !== undefined) {
    if (options.keyInQuery) url += `${url.includes('?') ? '&' : '?'}key=${encodeURIComponent(options.key)}`;
    else headers.set('Authorization', `Bearer ${options.key}`);
  }
  if (options.origin !== undefined) headers.set('Origin', options.origin);
  return SELF.fetch(url, { method: options.method ?? (options.body === undefined ? 'GET' : 'POST'), headers, body: options.body ?? null });
}

/** The JSON of a response, with its status. */
export async function callJson<T = any>(path: string, options: GetOptions = {}): Promise<{ status: number; body: T; res: Response }> {
  const res = await call(path, options);
  const body = (await res.json()) as T;
  return { status: res.status, body, res };
}

/** The shape of a 200 answer. */
export interface RecBody {
  items: { id: string; score: number; title: string | null; url: string | null; image: string | null; price: number | null }[];
  model: { type: string; version: string; slot: string | null } | null;
  variant: string | null;
  experiment: string | null;
  rec_id: string;
  fallback: boolean;
}
