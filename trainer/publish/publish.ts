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
import { cardMetrics, slotNameProblem, slotStorage, type RuleName, type VersionEntry } from '../../core/storage/slots.js';
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
import { adoptLegacyVersions, fillServing, pinnedVersions, slotEntries, slotPointer } from './slots.js';
import type { ModelStore } from './store.js';

export type { CustomerRecordInput, PublishProgress } from './shards.js';

/**
 * Publishing a model into a slot of its seller. Storage layout (shared with the edge, see
 * spec/model-format.md, "Slots, pointers and the serving configuration"):
 *
 *   R2  sellers/<S>/models/<V>/artifact.bin            the artifact, immutable
 *   R2  sellers/<S>/models/<V>/card.json               model card
 *   R2  sellers/<S>/models/<V>/customers/<NNNN>.bin    the customer records, in shards
 *   KV  sellers/<S>/slots/<slot>/versions/<V>          one entry per kept version of the slot
 *   KV  sellers/<S>/slots/<slot>/active                the slot's pointer
 *   KV  sellers/<S>/serving                            which slot answers which surface
 *   KV  sellers/<S>/pending/<id>                       one resume marker per publish under way
 *   KV  sellers/<S>/deletions                          customers deleted lately (the DELETE route)
 *
 * The order: everything uploaded, read back and verified; the version's entry; the slot's
 * pointer, last. Nothing after the pointer deletes anything it names: the serving
 * configuration's fill and the pruning of old versions are separate best-effort steps whose
 * failures are reported in `warnings`, never undone. No value is read, changed and written
 * back by two publishes: each version has its own entry, each publish its own marker, so
 * publishes at the same time (in one slot or many) never lose each other's entry.
 *
 * Resuming: each shard is written, read back and compared, and only then counted in this
 * publish's marker (its key is the digest of the slot, the artifact and the records). A
 * publish that stopped (killed, a store error) and is run again with the same inputs finds
 * its marker, reuses its version and shard count, and writes only the shards after the
 * verified ones.
 */

/** A publish under way: `sellers/<S>/pending/<id>`, written only by that publish. */
interface PendingEntry {
  /** SHA-256 of the slot, the artifact and the customer records: the same inputs resume this publish. */
  digest: string;
  slot: string;
  version: string;
  published: string;
  /** Customer records. */
  total: number;
  /** Where the records go; a resume keeps it. */
  customerShards?: CustomerShards;
  /** Shards 0 to verified - 1 are written and read back intact. */
  verified: number;
  /** Last progress, ISO time; entries idle for a day are removed by a later publish. */
  updated: string;
}

interface PublishInput {
  seller: string;
  /** The slot to publish into (spec/model-format.md); default the artifact's model type. */
  slot?: string;
  artifact: Uint8Array;
  /** Per-customer records: the bytes of encodeUserRecord (spec/model-format.md, "Per-customer records"). */
  customers?: readonly CustomerRecordInput[];
  card?: Record<string, unknown>;
  /** Versions of the slot kept (the current one always is); default 5. */
  keep?: number;
  /**
   * What the serving configuration gets: `unmapped` (default) a rule naming this slot for
   * every surface its kind serves that has no rule yet; `none` nothing (a caller that sets
   * the configuration itself, such as the retrain pipeline).
   */
  serve?: 'unmapped' | 'none';
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

/** What a publish did. */
export interface PublishResult {
  /** The slot's new pointer. */
  pointer: ActivePointer;
  slot: string;
  /** Versions of the slot removed by the prune after it. */
  pruned: string[];
  /** Rules the serving configuration gained (first publish of a surface). */
  served: RuleName[];
  /** What went wrong after the pointer moved (the serving fill, the prune): reported, not undone. */
  warnings: string[];
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

/** Throws an InputError unless `slot` is a slot name. */
export function checkSlot(slot: string): void {
  const problem = slotNameProblem(slot);
  if (problem !== null) throw new InputError(problem);
}

export const keys = {
  /** Older layout (before the slots): the active pointer and the type pointers. */
  active: modelStorage.active,
  activeOfType: modelStorage.activeOfType,
  slot: slotStorage.pointer,
  version: slotStorage.version,
  serving: slotStorage.serving,
  pending: slotStorage.pending,
  pendingPrefix: slotStorage.pendingPrefix,
  legacyVersions: slotStorage.legacyVersions,
  prefix: (s: string, v: string) => `sellers/${s}/models/${v}`,
  artifact: modelStorage.artifact,
  card: (s: string, v: string) => `sellers/${s}/models/${v}/card.json`,
  customerShard: modelStorage.customerShard,
  /** Older layout: the ids of a version's per-customer KV records. */
  customers: (s: string, v: string) => `sellers/${s}/models/${v}/customers.json`,
  /** Older layout: one customer's record in KV (the edge reads it back with the same function). */
  customer: (s: string, v: string, c: string) => userRecordKey(s, v, c),
};

/** What identifies a publish for resuming: the slot, the artifact and every customer record, in order. */
function publishDigest(slot: string, artifactSha: string, customers: readonly CustomerRecordInput[]): string {
  const h = createHash('sha256').update(`customer-shards-v${CUSTOMER_SHARD_VERSION}\n${slot}\n${artifactSha}`);
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

/** The marker key of a publish: the first 32 hex digits of its digest. */
const markerId = (digest: string) => digest.slice(0, 32);

function parsePending(text: string | null | undefined): PendingEntry | null {
  if (!text) return null;
  try {
    const p = JSON.parse(text) as PendingEntry;
    return typeof p?.version === 'string' && typeof p.digest === 'string' ? p : null;
  } catch {
    return null;
  }
}

/** Every pending marker of a seller. */
async function readPending(store: ModelStore, seller: string): Promise<{ key: string; entry: PendingEntry }[]> {
  const markerKeys = await store.listKeys(slotStorage.pendingPrefix(seller));
  const got = await store.getValues(markerKeys);
  const out: { key: string; entry: PendingEntry }[] = [];
  for (const key of markerKeys) {
    const entry = parsePending(got.get(key));
    if (entry !== null) out.push({ key, entry });
  }
  return out;
}

/**
 * Uploads and verifies a new version, lists it in its slot, then moves the slot's pointer;
 * then (best effort) fills the serving configuration and prunes the slot. Run again after an
 * interruption with the same inputs, it resumes (see the top of this file).
 */
export async function publish(store: ModelStore, input: PublishInput): Promise<PublishResult> {
  const { seller, artifact } = input;
  checkSeller(seller);
  const log = input.log ?? (() => {});
  const keep = input.keep ?? 5;
  if (!Number.isInteger(keep) || keep < 1) throw new InputError(`--keep must be an integer >= 1, got ${keep}`);
  const parallel = input.parallel ?? 4;
  if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`parallel must be an integer >= 1, got ${parallel}`);
  if (input.shards !== undefined && !isShardCount(input.shards)) throw new RangeError(`shards must be a power of two from 1 to 4096, got ${input.shards}`);
  // Refuse a broken artifact, a bad slot or bad customer ids before touching storage.
  const decoded = decodeArtifact(artifact);
  const slot = input.slot ?? decoded.modelType;
  checkSlot(slot);
  const digest = sha256(artifact);
  const customers = input.customers ?? [];
  const resumeId = publishDigest(slot, digest, customers);
  const markerKey = slotStorage.pending(seller, markerId(resumeId));
  // A publish that stopped with these inputs: its marker, unless its version is listed already (it finished).
  const found = parsePending(await store.getValue(markerKey));
  const earlier = found !== null && found.digest === resumeId && found.customerShards !== undefined ? found : null;
  // A model without customer records (popularity) has no shards: the edge never asks for one.
  const sharded = customers.length > 0 || decoded.hasUserRecords;
  const shards: CustomerShards | undefined = sharded
    ? (earlier?.customerShards ?? { count: input.shards ?? shardCountFor(customers.length), format: CUSTOMER_SHARD_VERSION })
    : undefined;
  const plan = planShards(customers, shards?.count ?? 1);
  // The list of before the slots becomes one entry per version (once; repeating it changes nothing).
  await adoptLegacyVersions(store, seller, log);

  let version: string;
  let published: string;
  let verified = 0;
  if (earlier) {
    ({ version, published } = earlier);
    verified = Math.min(earlier.verified, plan.count);
    log(`resuming the publish of version ${version} into slot ${slot}: ${verified} of ${plan.count} customer shards already written and verified`);
  } else {
    const now = input.now ?? new Date();
    published = now.toISOString();
    version = `${published.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${slot}-${digest.slice(0, 8)}`;
    if ((await store.getValue(slotStorage.version(seller, slot, version))) !== null)
      throw new Error(`version ${version} already exists in slot ${slot}; publish again in a second`);
  }
  const entry: PendingEntry = {
    digest: resumeId,
    slot,
    version,
    published,
    total: customers.length,
    ...(shards ? { customerShards: shards } : {}),
    verified,
    updated: new Date().toISOString(),
  };
  // Progress markers are written one at a time, in order (shards can finish out of order);
  // when the store is slower than the shards, markers coalesce into the latest.
  let markers: Promise<void> = Promise.resolve();
  let queued = false;
  const mark = () => {
    if (queued) return markers;
    queued = true;
    markers = markers.then(() => {
      queued = false;
      return store.putValue(markerKey, JSON.stringify({ ...entry, updated: new Date().toISOString() }));
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
      slot,
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
      `publish of ${seller} version ${version} into slot ${slot} stopped (${shards ? `${entry.verified} of ${shards.count} customer shards verified` : 'no customer records'}); the slot's version did not change. Run the same publish again to resume.`,
    );
    throw err;
  }

  const stored = customers.length - customers.filter((c) => without.has(c.customer)).length;
  const metrics = cardMetrics(input.card);
  const versionEntry: VersionEntry = {
    slot,
    version,
    model: decoded.modelType,
    sha256: digest,
    bytes: artifact.length,
    items: decoded.itemCount,
    customers: stored,
    published,
    ...(shards ? { customerShards: shards } : {}),
    ...(metrics ? { metrics } : {}),
  };
  // The entry first (its own key: no other publish writes it), then the pointer, last.
  await store.putValue(slotStorage.version(seller, slot, version), JSON.stringify(versionEntry));
  const before = await slotPointer(store, seller, slot);
  const pointer: ActivePointer = {
    version,
    model: decoded.modelType,
    artifact: keys.artifact(seller, version),
    sha256: digest,
    items: decoded.itemCount,
    customers: stored,
    published,
    previous: before?.version === version ? before.previous : (before?.version ?? null),
    ...(shards ? { customerShards: shards } : {}),
    slot,
  };
  await store.putValue(slotStorage.pointer(seller, slot), JSON.stringify(pointer));
  log(`sellers/${seller}/slots/${slot}/active -> ${version}`);

  // From here on the new version serves: every step may fail without undoing it.
  const warnings: string[] = [];
  const attempt = async <T>(what: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      const message = `version ${version} is the current one of slot ${slot}, but ${what} failed (${(err as Error).message}); ${what === 'pruning old versions' ? 'the next publish tries again' : 'it was not undone'}`;
      warnings.push(message);
      log(`warning: ${message}`);
      return fallback;
    }
  };
  await attempt('removing its resume marker', () => store.deleteValues([markerKey]), undefined);
  const served =
    input.serve === 'none' ? [] : await attempt('filling the serving configuration', () => fillServing(store, seller, slot, decoded.modelType, log), []);
  const pruned = await attempt('pruning old versions', () => prune(store, seller, slot, keep, version, log), []);
  await attempt('removing abandoned publishes', () => dropAbandoned(store, seller, Date.now(), log), undefined);
  return { pointer, slot, pruned, served, warnings };
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
 * finds this version's shards in R2).
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

/**
 * Removes what abandoned publishes (markers idle for a day) wrote, unless a version entry or
 * a pointer names their version (then only the marker goes: the publish finished).
 */
async function dropAbandoned(store: ModelStore, seller: string, now: number, log: (m: string) => void): Promise<void> {
  const stale = (await readPending(store, seller)).filter((p) => now - Date.parse(p.entry.updated) > ABANDONED_MS);
  if (stale.length === 0) return;
  const pinned = await pinnedVersions(store, seller);
  for (const { key, entry: p } of stale) {
    const listed = typeof p.slot === 'string' && (await store.getValue(slotStorage.version(seller, p.slot, p.version))) !== null;
    if (!listed && !pinned.has(p.version)) {
      await deleteVersionData(store, seller, p.version, p.customerShards);
      log(`removed the abandoned publish of version ${p.version} (${p.verified} verified, ${p.total} records, last progress ${p.updated})`);
    }
    await store.deleteValues([key]);
  }
}

/** Deletes a version's customer records (its shards, or its KV records in the older layout) and objects. */
export async function deleteVersionData(store: ModelStore, seller: string, version: string, shards: CustomerShards | undefined): Promise<void> {
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

/**
 * Deletes the slot's oldest versions beyond `keep`: never one a pointer names (any slot's,
 * or the older active and type pointers), nor `justPublished`. Each version's data goes
 * first, its entry last, so a prune that fails part way is repeated by the next one. The
 * slot's pointer is read again right before each deletion (a rollback meanwhile).
 */
async function prune(store: ModelStore, seller: string, slot: string, keep: number, justPublished: string, log: (m: string) => void): Promise<string[]> {
  const entries = await slotEntries(store, seller, slot);
  if (entries.length <= keep) return [];
  const pinned = await pinnedVersions(store, seller);
  pinned.add(justPublished);
  const doomed = entries.slice(0, entries.length - keep).filter((v) => !pinned.has(v.version));
  const gone: string[] = [];
  const markers = doomed.length > 0 ? await readPending(store, seller) : [];
  for (const v of doomed) {
    if ((await slotPointer(store, seller, slot))?.version === v.version) continue;
    await deleteVersionData(store, seller, v.version, v.customerShards);
    const stale = markers.filter((m) => m.entry.version === v.version).map((m) => m.key);
    await store.deleteValues([slotStorage.version(seller, slot, v.version), ...stale]);
    log(`pruned version ${v.version} of slot ${slot}`);
    gone.push(v.version);
  }
  return gone;
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
