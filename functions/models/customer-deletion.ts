import {
  CUSTOMER_SHARD_HEADER_BYTES,
  CUSTOMER_SHARD_VERSION,
  customerHash,
  decodeCustomerShard,
  readShardHeader,
  shardOf,
  shardWithout,
} from '../../core/format/customer-shard.js';
import { userRecordKey } from '../../core/format/user-record.js';
import { modelStorage, parseCustomerShards, type CustomerShards } from '../../core/storage/pointer.js';

/**
 * Removing one customer's records from every version the seller keeps, and from publishes
 * under way (trainer/publish/publish.ts writes both lists; versions in R2 that neither list
 * names are found by listing R2, so a lost list entry does not keep a record):
 *
 * - versions with customer shards: the customer's shard is rebuilt without their entry (no
 *   byte of their id or record is left) and written back, only if R2 still holds the shard
 *   that was read (a conditional put: two deletions in one shard never undo each other);
 * - versions published before the shards: their KV value is deleted, and their id is taken out
 *   of the version's `customers.json` in R2 (the list of ids those versions keep);
 * - publishes under way (`sellers/<S>/pending`): the shards written so far are rewritten the
 *   same way, and the customer is added to `sellers/<S>/deletions`, which the publisher reads
 *   before it writes a shard and again before it moves the pointer, so shards written after
 *   this deletion leave the customer out too.
 */

/** KV keys written by `plusone publish` (trainer/publish/publish.ts). */
const keys = {
  versions: (s: string) => `sellers/${s}/versions`,
  pending: (s: string) => `sellers/${s}/pending`,
  deletions: (s: string) => `sellers/${s}/deletions`,
  /** R2: the ids of a version's per-customer KV records (versions published before the shards). */
  manifest: (s: string, v: string) => `sellers/${s}/models/${v}/customers.json`,
};

/** How long a deletion stays in `sellers/<S>/deletions`: longer than any publish (a pending one idle for a day is abandoned). */
const DELETIONS_KEPT_MS = 7 * 24 * 3600 * 1000;
/** Attempts at rewriting one shard when another deletion rewrote it in between. */
const REWRITE_ATTEMPTS = 5;

/** What the version list and the pending list say about where a version's records are. */
interface VersionLayout {
  version: string;
  customers?: number;
  customerShards?: CustomerShards;
}

function parseList(text: string | null, key: string): VersionLayout[] {
  if (text === null) return [];
  const list = JSON.parse(text) as unknown;
  if (!Array.isArray(list)) throw new Error(`${key} is not a JSON list`);
  return list.map((raw: Record<string, unknown>) => {
    if (typeof raw?.version !== 'string') throw new Error(`${key} has an entry without a version`);
    const v: VersionLayout = { version: raw.version };
    if (typeof raw.customers === 'number') v.customers = raw.customers;
    if (raw.customerShards !== undefined) v.customerShards = parseCustomerShards(raw.customerShards, `${key} (version ${raw.version})`);
    return v;
  });
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
 * Versions whose objects are in R2 but that neither list names (two publishes at once can
 * lose an entry of the version list, and a pending entry goes once its publish is done): one
 * R2 listing of the seller's model folders. The layout of each comes from R2 itself: a
 * customer shard's header says the shard count; without shards it is the older per-key layout.
 */
async function unlistedVersions(bucket: R2Bucket, seller: string, listed: ReadonlySet<string>): Promise<VersionLayout[]> {
  const root = `sellers/${seller}/models/`;
  const out: VersionLayout[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: root, delimiter: '/', ...(cursor ? { cursor } : {}) });
    for (const prefix of page.delimitedPrefixes) {
      const version = prefix.slice(root.length, -1);
      if (version === '' || listed.has(version)) continue;
      const shards = await bucket.list({ prefix: `${prefix}customers/`, limit: 1 });
      const first = shards.objects[0];
      if (first === undefined) {
        out.push({ version });
        continue;
      }
      const head = await bucket.get(first.key, { range: { offset: 0, length: CUSTOMER_SHARD_HEADER_BYTES } });
      if (head === null) continue;
      const header = readShardHeader(new Uint8Array(await head.arrayBuffer()));
      out.push({ version, customerShards: { count: header.shardCount, format: CUSTOMER_SHARD_VERSION } });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return out;
}

/**
 * Removes a customer's records from every kept version and every publish under way; returns
 * in how many versions there was one. Throws when storage fails or a shard is damaged (the
 * caller answers 500 and the seller deletes again: every step can be repeated).
 */
export async function deleteCustomerRecords(kv: KVNamespace, bucket: R2Bucket, seller: string, customer: string, now: number): Promise<number> {
  // First the note, then the rewrites: a publish that misses the note has written its shards before the rewrites read them.
  await noteDeletion(kv, seller, customer, now);
  const versions = parseList(await kv.get(keys.versions(seller), 'text'), keys.versions(seller));
  const pending = parseList(await kv.get(keys.pending(seller), 'text'), keys.pending(seller)).filter((p) => !versions.some((v) => v.version === p.version));
  // Whatever the lists say: every version with objects in R2 too.
  const unlisted = await unlistedVersions(bucket, seller, new Set([...versions, ...pending].map((v) => v.version)));
  let records = 0;
  for (const v of [...versions, ...pending, ...unlisted]) if (await removeFromVersion(kv, bucket, seller, v, customer)) records++;
  return records;
}
