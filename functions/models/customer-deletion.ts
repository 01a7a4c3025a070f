import { CUSTOMER_SHARD_VERSION, customerHash, decodeCustomerShard, isShardCount, shardOf, shardWithout } from '../../core/format/customer-shard.js';
import { userRecordKey } from '../../core/format/user-record.js';
import { modelStorage, parseCustomerShards, type CustomerShards } from '../../core/storage/pointer.js';
import { legacyTypePointerKeys, slotStorage } from '../../core/storage/slots.js';

/**
 * Removing one customer's records from every version the seller has, in every slot, and
 * from publishes under way. The versions are found everywhere they can be named
 * (spec/model-format.md, "Customer shards"): every slot's pointer and entries, the version
 * list and pointers of before the slots, the pending markers, and every version folder R2
 * holds under `sellers/<S>/models/` (R2 lists strongly consistently; a version whose entry a
 * KV listing does not show yet, or that no list names, is found there).
 *
 * - versions with customer shards: the customer's shard is rebuilt without their entry (no
 *   byte of their id or record is left) and written back, only if R2 still holds the shard
 *   that was read (a conditional put: two deletions in one shard never undo each other);
 * - versions published before the shards: their KV value is deleted, and their id is taken out
 *   of the version's `customers.json` in R2 (the list of ids those versions keep);
 * - publishes under way (`sellers/<S>/pending/<id>`): the shards written so far are rewritten the
 *   same way, and the customer is added to `sellers/<S>/deletions`, which the publisher reads
 *   before it writes a shard and again before it moves the pointer, so shards written after
 *   this deletion leave the customer out too.
 */

/** KV keys written by `plusone publish` (trainer/publish/publish.ts). */
const keys = {
  deletions: (s: string) => `sellers/${s}/deletions`,
  /** R2: the ids of a version's per-customer KV records (versions published before the shards). */
  manifest: (s: string, v: string) => `sellers/${s}/models/${v}/customers.json`,
};

/** KV's bulk read takes up to 100 keys. */
const BULK_GET = 100;

/** How long a deletion stays in `sellers/<S>/deletions`: longer than any publish (a pending one idle for a day is abandoned). */
const DELETIONS_KEPT_MS = 7 * 24 * 3600 * 1000;
/** Attempts at rewriting one shard when another deletion rewrote it in between. */
const REWRITE_ATTEMPTS = 5;

/** Where a version's records are, as an entry, a pointer or a pending marker says. */
interface VersionLayout {
  version: string;
  customers?: number;
  customerShards?: CustomerShards;
}

/** The layout an entry, pointer or marker (parsed JSON) gives of its version; null when it names none. */
function layoutOf(raw: unknown, where: string): VersionLayout | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.version !== 'string' || !VERSION.test(r.version)) return null;
  const v: VersionLayout = { version: r.version };
  if (typeof r.customers === 'number') v.customers = r.customers;
  if (r.customerShards !== undefined) v.customerShards = parseCustomerShards(r.customerShards, `${where} (version ${r.version})`);
  return v;
}

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The layouts a KV value holds: one object (an entry, a pointer, a marker) or a list of them (the older lists). */
function layoutsIn(text: string | null, key: string): VersionLayout[] {
  if (text === null) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${key} is not JSON`);
  }
  return (Array.isArray(raw) ? raw : [raw]).map((r) => layoutOf(r, key)).filter((v): v is VersionLayout => v !== null);
}

async function listKv(kv: KVNamespace, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, ...(cursor ? { cursor } : {}) });
    for (const k of page.keys) names.push(k.name);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor !== undefined);
  return names;
}

async function getMany(kv: KVNamespace, keys: string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let s = 0; s < keys.length; s += BULK_GET) {
    const chunk = keys.slice(s, s + BULK_GET);
    const got = await kv.get(chunk, 'text');
    for (const k of chunk) out.set(k, got.get(k) ?? null);
  }
  return out;
}

/** The version folders R2 holds for the seller (`sellers/<S>/models/<V>/`). */
async function versionFolders(bucket: R2Bucket, seller: string): Promise<string[]> {
  const prefix = `sellers/${seller}/models/`;
  const versions: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, delimiter: '/', ...(cursor ? { cursor } : {}) });
    for (const p of page.delimitedPrefixes) versions.push(p.slice(prefix.length, -1));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return versions.filter((v) => VERSION.test(v));
}

/**
 * The layout of a version only R2 shows: the shard count of its card (`customer_shards`),
 * else of the header of one of its shards; without shards, the older per-customer KV layout
 * when it has `customers.json` (its ids), else no customer records at all.
 */
async function probeLayout(bucket: R2Bucket, seller: string, version: string): Promise<VersionLayout | null> {
  const folder = `sellers/${seller}/models/${version}`;
  const card = await bucket.get(`${folder}/card.json`);
  if (card !== null) {
    try {
      const count = (JSON.parse(await card.text()) as { customer_shards?: unknown }).customer_shards;
      if (isShardCount(count)) return { version, customerShards: { count, format: CUSTOMER_SHARD_VERSION } };
    } catch {
      // Not JSON: look at the shards themselves.
    }
  }
  const shard = (await bucket.list({ prefix: `${folder}/customers/`, limit: 1 })).objects[0];
  if (shard !== undefined) {
    const head = await bucket.get(shard.key, { range: { offset: 0, length: 32 } });
    const bytes = head === null ? null : new Uint8Array(await head.arrayBuffer());
    const count = bytes !== null && bytes.length >= 16 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true) : 0;
    if (isShardCount(count)) return { version, customerShards: { count, format: CUSTOMER_SHARD_VERSION } };
    throw new Error(`the customer shard ${shard.key} has no readable header; delete the customer again, or remove the damaged version`);
  }
  if ((await bucket.head(`${folder}/customers.json`)) !== null) return { version };
  return null;
}

/** Adds the customer to the recent deletions (entries older than a week are dropped). */
async function noteDeletion(kv: KVNamespace, seller: string, customer: string, now: number): Promise<void> {
  const key = keys.deletions(seller);
  const text = await kv.get(key, 'text');
  let list: { customer: string; at: string }[] = [];
  try {
    list = text === null ? [] : (JSON.parse(text) as typeof list);
  } catch {
    list = []; // a damaged list is replaced; it only serves publishes under way
  }
  const fresh = list.filter((d) => d.customer !== customer && now - Date.parse(d.at) < DELETIONS_KEPT_MS);
  fresh.push({ customer, at: new Date(now).toISOString() });
  await kv.put(key, JSON.stringify(fresh));
}

/**
 * Rewrites one shard without the customer. Returns whether they were in it (false also when
 * the shard is not there: a publish under way has not written it yet).
 */
async function removeFromShard(bucket: R2Bucket, key: string, shard: number, count: number, customer: string): Promise<boolean> {
  for (let attempt = 0; attempt < REWRITE_ATTEMPTS; attempt++) {
    const object = await bucket.get(key);
    if (object === null) return false;
    const decoded = decodeCustomerShard(new Uint8Array(await object.arrayBuffer()), { shard, shardCount: count });
    const rebuilt = shardWithout(decoded, customer);
    if (rebuilt === null) return false;
    // Only over the shard just read: another deletion in between means read it again.
    if ((await bucket.put(key, rebuilt, { onlyIf: { etagMatches: object.etag } })) !== null) return true;
  }
  throw new Error(`customer shard ${key} kept changing while a customer was removed from it; delete the customer again`);
}

/**
 * Removes the customer from the id list `customers.json` that versions published before the
 * shards keep in R2 beside their artifact (the publisher used it to find their KV records):
 * rewritten without the id, only over the list just read. True when the id was listed.
 */
async function removeFromManifest(bucket: R2Bucket, key: string, customer: string): Promise<boolean> {
  for (let attempt = 0; attempt < REWRITE_ATTEMPTS; attempt++) {
    const object = await bucket.get(key);
    if (object === null) return false;
    const text = await object.text();
    let ids: unknown;
    try {
      ids = JSON.parse(text);
    } catch {
      throw new Error(`${key} is not JSON; it cannot be checked for the customer (delete it, or fix it, and delete the customer again)`);
    }
    if (!Array.isArray(ids)) throw new Error(`${key} is not a JSON list of customer ids`);
    const kept = ids.filter((id) => id !== customer);
    if (kept.length === ids.length) return false;
    if ((await bucket.put(key, JSON.stringify(kept), { onlyIf: { etagMatches: object.etag } })) !== null) return true;
  }
  throw new Error(`${key} kept changing while a customer was removed from it; delete the customer again`);
}

/** Removes the customer from one version; true when a record of theirs (or their id in its manifest) was there. */
async function removeFromVersion(kv: KVNamespace, bucket: R2Bucket, seller: string, v: VersionLayout, customer: string): Promise<boolean> {
  if (v.customerShards) {
    const k = shardOf(customerHash(customer), v.customerShards.count);
    return removeFromShard(bucket, modelStorage.customerShard(seller, v.version, k), k, v.customerShards.count, customer);
  }
  const listed = await removeFromManifest(bucket, keys.manifest(seller, v.version), customer);
  if (v.customers === 0) return listed;
  let key: string;
  try {
    key = userRecordKey(seller, v.version, customer);
  } catch {
    return listed; // an id too long for a KV key has no record
  }
  if ((await kv.get(key, 'text')) === null) return listed;
  await kv.delete(key);
  return true;
}

/**
 * Removes a customer's records from every kept version and every publish under way; returns
 * in how many versions there was one. Throws when storage fails or a shard is damaged (the
 * caller answers 500 and the seller deletes again: every step can be repeated).
 */
export async function deleteCustomerRecords(kv: KVNamespace, bucket: R2Bucket, seller: string, customer: string, now: number): Promise<number> {
  // First the note, then the rewrites: a publish that misses the note has written its shards before the rewrites read them.
  await noteDeletion(kv, seller, customer, now);
  let records = 0;
  for (const v of (await everyVersion(kv, bucket, seller)).values()) if (await removeFromVersion(kv, bucket, seller, v, customer)) records++;
  return records;
}

/** Every version of the seller, with where its records are, found in every place that can name one. */
export async function everyVersion(kv: KVNamespace, bucket: R2Bucket, seller: string): Promise<Map<string, VersionLayout>> {
  const found = new Map<string, VersionLayout>();
  const add = (v: VersionLayout) => {
    const had = found.get(v.version);
    if (had === undefined || (had.customerShards === undefined && v.customerShards !== undefined)) found.set(v.version, v);
  };
  // Every slot's pointer and entries, the pending markers, and the older lists and pointers.
  const named = [
    ...(await listKv(kv, slotStorage.slotsPrefix(seller))),
    ...(await listKv(kv, slotStorage.pendingPrefix(seller))),
    slotStorage.legacyVersions(seller),
    slotStorage.legacyPending(seller),
    modelStorage.active(seller),
    ...legacyTypePointerKeys(seller).values(),
  ];
  for (const [key, text] of await getMany(kv, named)) {
    let layouts: VersionLayout[];
    try {
      layouts = layoutsIn(text, key);
    } catch {
      continue; // a damaged value: its version, if it has one, is found in R2 below
    }
    for (const v of layouts) add(v);
  }
  // What R2 holds, whatever the lists say.
  for (const version of await versionFolders(bucket, seller)) {
    if (found.has(version)) continue;
    const v = await probeLayout(bucket, seller, version);
    if (v !== null) add(v);
  }
  return found;
}
