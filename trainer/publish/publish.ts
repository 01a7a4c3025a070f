import { createHash } from 'node:crypto';
import {
  CUSTOMER_SHARD_VERSION,
  customerHash,
  decodeCustomerShard,
  isShardCount,
  recordInShard,
  shardCountFor,
  shardOf,
} from '../../core/format/customer-shard.js';
import { decodeArtifact } from '../../core/format/decode.js';
import { userRecordKey } from '../../core/format/user-record.js';
import { modelStorage, type ActivePointer, type CustomerShards } from '../../core/storage/pointer.js';
import { InputError } from '../data/errors.js';
import {
  inParallel,
  planShards,
  readDeletions,
  removeFromShard,
  sha256,
  writeShards,
  type CustomerRecordInput,
  type PublishProgress,
  type ShardPlan,
} from './shards.js';
import type { ModelStore } from './store.js';

export type { CustomerRecordInput, PublishProgress } from './shards.js';

/**
 * Publishing a seller's model. Storage layout (shared with the edge, see
 * spec/model-format.md):
 *
 *   R2  sellers/<S>/models/<V>/artifact.bin            the artifact, immutable
 *   R2  sellers/<S>/models/<V>/card.json               model card
 *   R2  sellers/<S>/models/<V>/customers/<NNNN>.bin    the customer records, in shards
 *   KV  sellers/<S>/versions                           published versions, oldest first
 *   KV  sellers/<S>/active                             the pointer the edge follows
 *   KV  sellers/<S>/pending                            publishes under way (resume markers)
 *   KV  sellers/<S>/deletions                          customers deleted lately (the DELETE route)
 *
 * Versions published before the shards keep their records in KV, one value per customer
 * (`sellers/<S>/models/<V>/users/<C>`, base64, with their ids in `customers.json`): the edge
 * reads them, prune and rollback handle them, but a new publish writes no per-customer key.
 *
 * The pointer moves last, after everything was read back and verified, so a failure at
 * any step leaves the previous version serving.
 *
 * Resuming: each shard is written, read back and compared, and only then counted in the
 * seller's `pending` entry for this publish (identified by the SHA-256 of the artifact and
 * of the records; the entry keeps the shard count). A publish that stopped (killed, a store
 * error) and is run again with the same artifact and records finds that entry, reuses its
 * version and shard count, and writes only the shards after the verified ones.
 */

/** One entry of `sellers/<S>/versions`. */
interface VersionEntry {
  version: string;
  model: string;
  sha256: string;
  bytes: number;
  customers: number;
  published: string;
  /** Absent for versions published before the shards (records in KV). */
  customerShards?: CustomerShards;
}

/** One entry of `sellers/<S>/pending`: a publish that has not moved the pointer yet. */
interface PendingEntry {
  /** SHA-256 of the artifact and the customer records: the same inputs resume this publish. */
  digest: string;
  version: string;
  published: string;
  /** Customer records. */
  total: number;
  /** Where the records go; a resume keeps it (absent in entries of the older, per-key layout). */
  customerShards?: CustomerShards;
  /** Shards 0 to verified - 1 are written and read back intact. */
  verified: number;
  /** Last progress, ISO time; entries idle for a day are removed by a later publish. */
  updated: string;
}

interface PublishInput {
  seller: string;
  artifact: Uint8Array;
  /** Per-customer records: the bytes of encodeUserRecord (spec/model-format.md, "Per-customer records"). */
  customers?: readonly CustomerRecordInput[];
  card?: Record<string, unknown>;
  /** Versions kept (the active one always is); default 5. */
  keep?: number;
  /**
   * Move the seller's active pointer to the new version (default true). False only
   * refreshes the pointer of its model type (`sellers/<S>/active/<type>`), for A/B arms.
   */
  activate?: boolean;
  now?: Date;
  log?: (message: string) => void;
  /** Called after every verified shard. */
  onProgress?: (progress: PublishProgress) => void;
  /** Shard count, a power of two from 1 to 4096; default about 2,048 customers a shard. Tests use small sellers with several. */
  shards?: number;
  /** Shards in flight at once (default 4): written, read back, compared. */
  parallel?: number;
  /** Test hook: runs after the upload, before verification and the pointer move. */
  afterUpload?: () => Promise<void> | void;
}

const SELLER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A pending publish untouched for this long is abandoned: the next publish removes what it wrote. */
const ABANDONED_MS = 24 * 3600 * 1000;
/** Objects deleted at once when a version goes (each is a wrangler process on the remote path). */
const DELETE_PARALLEL = 4;

export function checkSeller(seller: string): void {
  if (!SELLER.test(seller)) {
    throw new InputError(`seller "${seller}" is not a valid id: use 1-64 letters, digits, "-" or "_", starting with a letter or digit`);
  }
}

export const keys = {
  active: modelStorage.active,
  activeOfType: modelStorage.activeOfType,
  versions: (s: string) => `sellers/${s}/versions`,
  pending: (s: string) => `sellers/${s}/pending`,
  prefix: (s: string, v: string) => `sellers/${s}/models/${v}`,
  artifact: modelStorage.artifact,
  card: (s: string, v: string) => `sellers/${s}/models/${v}/card.json`,
  customerShard: modelStorage.customerShard,
  /** Older layout: the ids of a version's per-customer KV records. */
  customers: (s: string, v: string) => `sellers/${s}/models/${v}/customers.json`,
  /** Older layout: one customer's record in KV (the edge reads it back with the same function). */
  customer: (s: string, v: string, c: string) => userRecordKey(s, v, c),
};

/** What identifies a publish for resuming: the artifact and every customer record, in order. */
function publishDigest(artifactSha: string, customers: readonly CustomerRecordInput[]): string {
  const h = createHash('sha256').update(`customer-shards-v${CUSTOMER_SHARD_VERSION}\n${artifactSha}`);
  const length = new Uint8Array(4);
  const view = new DataView(length.buffer);
  for (const c of customers) {
    // Lengths before contents: no two different lists hash alike.
    h.update(`\n${c.customer}\t`);
    view.setUint32(0, c.record.length, true);
    h.update(length).update(c.record);
  }
  return h.digest('hex');
}

/** The pointer and the version list of a seller. */
export async function readVersions(store: ModelStore, seller: string): Promise<{ active: ActivePointer | null; versions: VersionEntry[] }> {
  checkSeller(seller);
  const got = await store.getValues([keys.active(seller), keys.versions(seller)]);
  const activeText = got.get(keys.active(seller));
  const versionsText = got.get(keys.versions(seller));
  return {
    active: activeText ? (JSON.parse(activeText) as ActivePointer) : null,
    versions: versionsText ? (JSON.parse(versionsText) as VersionEntry[]) : [],
  };
}

async function readPending(store: ModelStore, seller: string): Promise<PendingEntry[]> {
  const text = await store.getValue(keys.pending(seller));
  return text ? (JSON.parse(text) as PendingEntry[]) : [];
}

/**
 * Uploads, verifies, then activates a new version; prunes versions beyond `keep`. Run again
 * after an interruption with the same inputs, it resumes (see the top of this file).
 */
export async function publish(store: ModelStore, input: PublishInput): Promise<{ pointer: ActivePointer; pruned: string[] }> {
  const { seller, artifact } = input;
  checkSeller(seller);
  const log = input.log ?? (() => {});
  const keep = input.keep ?? 5;
  if (!Number.isInteger(keep) || keep < 1) throw new InputError(`--keep must be an integer >= 1, got ${keep}`);
  const parallel = input.parallel ?? 4;
  if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`parallel must be an integer >= 1, got ${parallel}`);
  if (input.shards !== undefined && !isShardCount(input.shards)) throw new RangeError(`shards must be a power of two from 1 to 4096, got ${input.shards}`);
  // Refuse a broken artifact or bad customer ids before touching storage.
  const decoded = decodeArtifact(artifact);
  const digest = sha256(artifact);
  const customers = input.customers ?? [];
  const resumeId = publishDigest(digest, customers);
  const { active, versions } = await readVersions(store, seller);
  const pendingList = await readPending(store, seller);
  const earlier = pendingList.find((p) => p.digest === resumeId && p.customerShards && !versions.some((v) => v.version === p.version));
  // A model without customer records (popularity) has no shards: the edge never asks for one.
  const sharded = customers.length > 0 || decoded.hasUserRecords;
  const shards: CustomerShards | undefined = sharded
    ? (earlier?.customerShards ?? { count: input.shards ?? shardCountFor(customers.length), format: CUSTOMER_SHARD_VERSION })
    : undefined;
  const plan = planShards(customers, shards?.count ?? 1);

  let version: string;
  let published: string;
  let verified = 0;
  if (earlier) {
    ({ version, published } = earlier);
    verified = Math.min(earlier.verified, plan.count);
    log(`resuming the publish of version ${version}: ${verified} of ${plan.count} customer shards already written and verified`);
  } else {
    const now = input.now ?? new Date();
    published = now.toISOString();
    version = `${published.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${digest.slice(0, 8)}`;
    if (versions.some((v) => v.version === version)) throw new Error(`version ${version} already exists; publish again in a second`);
  }
  const entry: PendingEntry = {
    digest: resumeId,
    version,
    published,
    total: customers.length,
    ...(shards ? { customerShards: shards } : {}),
    verified,
    updated: new Date().toISOString(),
  };
  // Progress markers are written one at a time, in order (shards can finish out of order);
  // when the store is slower than the shards, markers coalesce into the latest. The other
  // pending publishes are those listed when this one started.
  const others = pendingList.filter((p) => p.digest !== resumeId);
  let markers: Promise<void> = Promise.resolve();
  let queued = false;
  const mark = () => {
    if (queued) return markers;
    queued = true;
    markers = markers.then(() => {
      queued = false;
      return store.putValue(keys.pending(seller), JSON.stringify([...others, { ...entry, updated: new Date().toISOString() }]));
    });
    return markers;
  };

  // Customers deleted since training (the DELETE route lists them) stay out of the shards.
  const without = await readDeletions(store, seller);
  try {
    await mark();
    const existing = earlier ? await store.getObject(keys.artifact(seller, version)) : null;
    if (existing && sha256(existing) === digest) log(`${keys.artifact(seller, version)} is already uploaded`);
    else {
      log(`uploading ${artifact.length} bytes to ${keys.artifact(seller, version)}`);
      await store.putObject(keys.artifact(seller, version), artifact);
    }
    const card = {
      seller,
      version,
      model: decoded.modelType,
      sha256: digest,
      bytes: artifact.length,
      items: decoded.itemCount,
      customers: customers.length,
      ...(shards ? { customer_shards: shards.count } : {}),
      published,
      ...input.card,
    };
    await store.putObject(keys.card(seller, version), new TextEncoder().encode(JSON.stringify(card, null, 2)));
    if (shards && verified < plan.count) {
      await writeShards(store, { seller, version, records: customers, plan, from: verified, parallel, without, log, onProgress: input.onProgress }, (n) => {
        entry.verified = n;
        return mark();
      });
    }
    await input.afterUpload?.();

    log('reading the artifact back');
    const back = await store.getObject(keys.artifact(seller, version));
    if (!back || sha256(back) !== digest)
      throw new Error(`verification failed: ${keys.artifact(seller, version)} reads back ${back ? 'different bytes' : 'missing'}`);
    decodeArtifact(back);
    if (shards) await dropDeletedDuringPublish(store, { seller, version, records: customers, plan, without, verifiedBefore: earlier ? verified : 0, log });
    await markers;
  } catch (err) {
    // What was written stays: the same publish run again resumes after the verified shards.
    await markers.catch(() => undefined);
    log(
      `publish of ${seller} version ${version} stopped (${shards ? `${entry.verified} of ${shards.count} customer shards verified` : 'no customer records'}); the active version did not change. Run the same publish again to resume.`,
    );
    throw err;
  }

  const stored = customers.length - customers.filter((c) => without.has(c.customer)).length;
  const versionEntry: VersionEntry = {
    version,
    model: decoded.modelType,
    sha256: digest,
    bytes: artifact.length,
    customers: stored,
    published,
    ...(shards ? { customerShards: shards } : {}),
  };
  const pointer: ActivePointer = {
    version,
    model: decoded.modelType,
    artifact: keys.artifact(seller, version),
    sha256: digest,
    items: decoded.itemCount,
    customers: stored,
    published,
    previous: active?.version ?? null,
    ...(shards ? { customerShards: shards } : {}),
  };
  // The version list, the pointers and the end of the pending entry in one write, after everything checked out.
  const activate = input.activate ?? true;
  await store.putValues([
    { key: keys.versions(seller), value: JSON.stringify([...versions, versionEntry]) },
    ...(activate ? [{ key: keys.active(seller), value: JSON.stringify(pointer) }] : []),
    { key: keys.activeOfType(seller, decoded.modelType), value: JSON.stringify(pointer) },
    { key: keys.pending(seller), value: JSON.stringify((await readPending(store, seller)).filter((p) => p.digest !== resumeId)) },
  ]);
  log(`${activate ? `sellers/${seller}/active and ` : ''}sellers/${seller}/active/${decoded.modelType} -> ${version}`);
  // The new version serves now: cleaning up older ones may fail without undoing it.
  let pruned: string[] = [];
  try {
    pruned = await prune(store, seller, keep, log);
    await dropAbandoned(store, seller, Date.now(), log);
  } catch (err) {
    log(`warning: version ${version} is active, but removing old versions failed (${(err as Error).message}); the next publish tries again`);
  }
  return { pointer, pruned };
}

interface DeletedDuringPublish {
  seller: string;
  version: string;
  records: readonly CustomerRecordInput[];
  plan: ShardPlan;
  /** Customers already left out of the shards this run wrote. */
  without: Set<string>;
  /** Shards before this one were written by an earlier run (with what it knew of deletions). */
  verifiedBefore: number;
  log: (m: string) => void;
}

/**
 * Customers deleted while this publish ran (after it read the deletion list): their records
 * may be in shards written before the DELETE route saw this publish, so they are taken out
 * here, before the pointer moves. Read again after each pass, until no new deletion shows up
 * (three passes at most: a deletion after that is handled by the DELETE route itself, which
 * finds this version listed as pending or published).
 */
async function dropDeletedDuringPublish(store: ModelStore, job: DeletedDuringPublish): Promise<void> {
  const { seller, version, records, plan } = job;
  const has = new Map(records.map((r, i) => [r.customer, i]));
  const checkedEarlier = new Set<string>();
  for (let pass = 0; pass < 3; pass++) {
    const deleted = await readDeletions(store, seller);
    const byShard = new Map<number, Set<string>>();
    for (const c of deleted) {
      if (!has.has(c)) continue;
      const k = shardOf(customerHash(c), plan.count);
      // Shards of an earlier run may hold customers this run left out: check those once.
      const earlier = k < job.verifiedBefore && !checkedEarlier.has(c);
      if (job.without.has(c) && !earlier) continue;
      checkedEarlier.add(c);
      job.without.add(c);
      if (!byShard.has(k)) byShard.set(k, new Set());
      byShard.get(k)!.add(c);
    }
    if (byShard.size === 0) return;
    let removed = 0;
    await inParallel([...byShard], 4, async ([k, ids]) => {
      removed += await removeFromShard(store, keys.customerShard(seller, version, k), k, plan.count, ids);
    });
    if (removed > 0) job.log(`took ${removed} customer${removed === 1 ? '' : 's'} deleted during this publish out of their shards`);
  }
}

/** Removes what abandoned publishes (pending entries idle for a day) wrote; they never served. */
async function dropAbandoned(store: ModelStore, seller: string, now: number, log: (m: string) => void): Promise<void> {
  const pending = await readPending(store, seller);
  const stale = pending.filter((p) => now - Date.parse(p.updated) > ABANDONED_MS);
  if (stale.length === 0) return;
  const { versions } = await readVersions(store, seller);
  for (const p of stale) {
    if (!versions.some((v) => v.version === p.version)) await deleteVersionData(store, seller, p.version, p.customerShards);
    log(`removed the abandoned publish of version ${p.version} (${p.verified} verified, ${p.total} records, last progress ${p.updated})`);
  }
  const gone = new Set(stale.map((p) => p.digest));
  await store.putValue(keys.pending(seller), JSON.stringify((await readPending(store, seller)).filter((p) => !gone.has(p.digest))));
}

/** Deletes a version's customer records (its shards, or its KV records in the older layout) and objects. */
async function deleteVersionData(store: ModelStore, seller: string, version: string, shards: CustomerShards | undefined): Promise<void> {
  if (shards) {
    const all = Array.from({ length: shards.count }, (_, k) => keys.customerShard(seller, version, k));
    await inParallel(all, DELETE_PARALLEL, (key) => store.deleteObject(key));
  } else {
    const listed = await store.getObject(keys.customers(seller, version));
    const ids = listed ? (JSON.parse(new TextDecoder().decode(listed)) as string[]) : [];
    if (ids.length > 0) await store.deleteValues(ids.map((c) => keys.customer(seller, version, c)));
  }
  for (const key of [keys.artifact(seller, version), keys.card(seller, version), keys.customers(seller, version)]) await store.deleteObject(key);
}

/** Deletes the oldest versions beyond `keep`, never the active one nor the latest of a model type (A/B arms serve those). */
async function prune(store: ModelStore, seller: string, keep: number, log: (m: string) => void): Promise<string[]> {
  const { active, versions } = await readVersions(store, seller);
  if (versions.length <= keep) return [];
  const types = [...new Set(versions.map((v) => v.model))];
  const typed = await store.getValues(types.map((t) => keys.activeOfType(seller, t)));
  const pinned = new Set([active?.version]);
  for (const text of typed.values()) if (text) pinned.add((JSON.parse(text) as ActivePointer).version);
  const doomed = versions.slice(0, versions.length - keep).filter((v) => !pinned.has(v.version));
  for (const v of doomed) {
    await deleteVersionData(store, seller, v.version, v.customerShards);
    log(`pruned version ${v.version}`);
  }
  const gone = new Set(doomed.map((v) => v.version));
  await store.putValue(keys.versions(seller), JSON.stringify(versions.filter((v) => !gone.has(v.version))));
  return [...gone];
}

/** Points the seller back at an earlier version (default: the one before the active one). */
export async function rollback(store: ModelStore, seller: string, to?: string): Promise<ActivePointer> {
  const { active, versions } = await readVersions(store, seller);
  if (!active) throw new InputError(`seller ${seller} has no published model to roll back`);
  let target: VersionEntry | undefined;
  if (to) {
    target = versions.find((v) => v.version === to);
    if (!target)
      throw new InputError(
        `version ${to} is not among ${seller}'s versions (${versions.map((v) => v.version).join(', ') || 'none'}); see "plusone versions --seller ${seller}"`,
      );
  } else {
    const i = versions.findIndex((v) => v.version === active.version);
    target = i > 0 ? versions[i - 1] : undefined;
    if (!target) throw new InputError(`seller ${seller} has no version older than the active ${active.version}`);
  }
  const bytes = await store.getObject(keys.artifact(seller, target.version));
  if (!bytes || sha256(bytes) !== target.sha256)
    throw new Error(`version ${target.version}: its artifact is ${bytes ? 'damaged' : 'missing'}; not rolling back to it`);
  const decoded = decodeArtifact(bytes);
  const pointer: ActivePointer = {
    version: target.version,
    model: target.model,
    artifact: keys.artifact(seller, target.version),
    sha256: target.sha256,
    items: decoded.itemCount,
    customers: target.customers,
    published: new Date().toISOString(),
    previous: active.version,
    // The version's own layout: shards, or (published before them) KV records.
    ...(target.customerShards ? { customerShards: target.customerShards } : {}),
  };
  await store.putValues([
    { key: keys.active(seller), value: JSON.stringify(pointer) },
    { key: keys.activeOfType(seller, target.model), value: JSON.stringify(pointer) },
  ]);
  return pointer;
}

/**
 * The published records of `customers` in one version (either layout), for comparing a
 * published version with a candidate (scripts/retrain). Reads only the shards the customers
 * fall in; customers without a record are absent from the map.
 */
export async function readPublishedRecords(
  store: ModelStore,
  seller: string,
  pointer: ActivePointer,
  customers: readonly string[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  if (pointer.customers === 0 || customers.length === 0) return out;
  const shards = pointer.customerShards;
  if (shards) {
    const byShard = new Map<number, string[]>();
    for (const c of customers) {
      const k = shardOf(customerHash(c), shards.count);
      if (!byShard.has(k)) byShard.set(k, []);
      byShard.get(k)!.push(c);
    }
    await inParallel([...byShard], 4, async ([k, ids]) => {
      const bytes = await store.getObject(keys.customerShard(seller, pointer.version, k));
      if (bytes === null) return;
      const shard = decodeCustomerShard(bytes, { shard: k, shardCount: shards.count });
      for (const id of ids) {
        const record = recordInShard(shard, id);
        if (record !== null) out.set(id, record.slice());
      }
    });
    return out;
  }
  const recordKeys = new Map<string, string>();
  for (const c of customers) {
    try {
      recordKeys.set(c, keys.customer(seller, pointer.version, c));
    } catch {
      // an id too long for a KV key has no record
    }
  }
  const got = await store.getValues([...recordKeys.values()]);
  for (const [c, key] of recordKeys) {
    const text = got.get(key);
    if (text) out.set(c, Uint8Array.from(Buffer.from(text, 'base64')));
  }
  return out;
}
