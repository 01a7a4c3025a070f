import { createHash } from 'node:crypto';
import { decodeArtifact } from '../../core/format/decode.js';
import { userRecordKey } from '../../core/format/user-record.js';
import { modelStorage, type ActivePointer } from '../../core/storage/pointer.js';
import { InputError } from '../data/errors.js';
import type { ModelStore } from './store.js';

/**
 * Publishing a seller's model. Storage layout (shared with the edge, see
 * spec/model-format.md):
 *
 *   R2  sellers/<S>/models/<V>/artifact.bin     the artifact, immutable
 *   R2  sellers/<S>/models/<V>/card.json        model card
 *   R2  sellers/<S>/models/<V>/customers.json   ids of the per-customer records
 *   KV  sellers/<S>/models/<V>/users/<C>        per-customer record, base64
 *   KV  sellers/<S>/versions                    published versions, oldest first
 *   KV  sellers/<S>/active                      the pointer the edge follows
 *   KV  sellers/<S>/pending                     publishes under way (resume markers)
 *
 * The pointer moves last, after everything was read back and verified, so a failure at
 * any step leaves the previous version serving.
 *
 * Resuming: the customer records go in steps of `chunkSize`; each step is written, read
 * back and compared, and only then counted in the seller's `pending` entry for this publish
 * (identified by the SHA-256 of the artifact and of the records). A publish that stopped
 * (killed, a store error) and is run again with the same artifact and records finds that
 * entry, reuses its version, and writes only the records after the verified ones.
 */

/** One entry of `sellers/<S>/versions`. */
interface VersionEntry {
  version: string;
  model: string;
  sha256: string;
  bytes: number;
  customers: number;
  published: string;
}

/** One entry of `sellers/<S>/pending`: a publish that has not moved the pointer yet. */
interface PendingEntry {
  /** SHA-256 of the artifact and the customer records: the same inputs resume this publish. */
  digest: string;
  version: string;
  published: string;
  total: number;
  /** Customer records written and read back intact, in the order given. */
  verified: number;
  /** Last progress, ISO time; entries idle for a day are removed by a later publish. */
  updated: string;
}

/** Progress of the customer records, reported after every step. */
export interface PublishProgress {
  /** Records written and verified so far (including those a resume skipped). */
  done: number;
  total: number;
  /** Records already verified by an earlier, interrupted run of the same publish. */
  skipped: number;
  elapsedMs: number;
  /** Records per second in this run. */
  rate: number;
  /** Estimated time left, in milliseconds. */
  etaMs: number;
}

interface PublishInput {
  seller: string;
  artifact: Uint8Array;
  /** Per-customer records (base64 text). */
  customers?: { customer: string; record: string }[];
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
  /** Called after every step of customer records. */
  onProgress?: (progress: PublishProgress) => void;
  /** Customer records per step (written, read back, then counted in the resume marker); default 10,000. */
  chunkSize?: number;
  /** Steps in flight at once (default 2): the store works on one while the other is read back. */
  parallel?: number;
  /** Test hook: runs after the upload, before verification and the pointer move. */
  afterUpload?: () => Promise<void> | void;
}

const SELLER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A pending publish untouched for this long is abandoned: the next publish removes what it wrote. */
const ABANDONED_MS = 24 * 3600 * 1000;

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
  customers: (s: string, v: string) => `sellers/${s}/models/${v}/customers.json`,
  /** The edge reads it back with the same function (the id percent-encoded). */
  customer: (s: string, v: string, c: string) => userRecordKey(s, v, c),
};

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What identifies a publish for resuming: the artifact and every customer record, in order. */
function publishDigest(artifactSha: string, customers: readonly { customer: string; record: string }[]): string {
  const h = createHash('sha256').update(artifactSha);
  for (const c of customers) h.update(`\n${c.customer}\t${c.record}`);
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

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
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
  const chunkSize = input.chunkSize ?? 10_000;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be an integer >= 1, got ${chunkSize}`);
  const parallel = input.parallel ?? 2;
  if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`parallel must be an integer >= 1, got ${parallel}`);
  // Refuse a broken artifact before touching storage.
  const decoded = decodeArtifact(artifact);
  const digest = sha256(artifact);
  const customers = input.customers ?? [];
  const resumeId = publishDigest(digest, customers);
  const { active, versions } = await readVersions(store, seller);
  const pendingList = await readPending(store, seller);
  const earlier = pendingList.find((p) => p.digest === resumeId && !versions.some((v) => v.version === p.version));

  let version: string;
  let published: string;
  let verified = 0;
  if (earlier) {
    ({ version, published } = earlier);
    verified = Math.min(earlier.verified, customers.length);
    log(`resuming the publish of version ${version}: ${verified} of ${customers.length} customer records already written and verified`);
  } else {
    const now = input.now ?? new Date();
    published = now.toISOString();
    version = `${published.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${digest.slice(0, 8)}`;
    if (versions.some((v) => v.version === version)) throw new Error(`version ${version} already exists; publish again in a second`);
  }
  const entry: PendingEntry = { digest: resumeId, version, published, total: customers.length, verified, updated: new Date().toISOString() };
  // Progress markers are written one at a time, in order (steps can finish out of order),
  // one KV write each: the other pending publishes are those listed when this one started.
  const others = pendingList.filter((p) => p.digest !== resumeId);
  let markers: Promise<void> = Promise.resolve();
  const mark = () => {
    const snapshot = { ...entry, updated: new Date().toISOString() };
    markers = markers.then(() => store.putValue(keys.pending(seller), JSON.stringify([...others, snapshot])));
    return markers;
  };

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
      published,
      ...input.card,
    };
    await store.putObject(keys.card(seller, version), new TextEncoder().encode(JSON.stringify(card, null, 2)));
    await store.putObject(keys.customers(seller, version), new TextEncoder().encode(JSON.stringify(customers.map((c) => c.customer))));
    if (customers.length > verified) {
      await writeRecords(store, { seller, version, customers, from: verified, chunkSize, parallel, log, onProgress: input.onProgress }, (n) => {
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
  } catch (err) {
    // What was written stays: the same publish run again resumes after the verified records.
    await markers.catch(() => undefined);
    log(
      `publish of ${seller} version ${version} stopped (${entry.verified} of ${customers.length} customer records verified); the active version did not change. Run the same publish again to resume.`,
    );
    throw err;
  }

  const versionEntry: VersionEntry = {
    version,
    model: decoded.modelType,
    sha256: digest,
    bytes: artifact.length,
    customers: customers.length,
    published,
  };
  const pointer: ActivePointer = {
    version,
    model: decoded.modelType,
    artifact: keys.artifact(seller, version),
    sha256: digest,
    items: decoded.itemCount,
    customers: customers.length,
    published,
    previous: active?.version ?? null,
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

interface RecordsJob {
  seller: string;
  version: string;
  customers: readonly { customer: string; record: string }[];
  /** Records before this index are already verified. */
  from: number;
  chunkSize: number;
  parallel: number;
  log: (m: string) => void;
  onProgress?: ((p: PublishProgress) => void) | undefined;
}

/**
 * Writes the customer records from `job.from` on in steps: each step is written, read back
 * and compared; `verifiedUpTo(n)` is awaited whenever the records before `n` all are.
 */
async function writeRecords(store: ModelStore, job: RecordsJob, verifiedUpTo: (n: number) => Promise<void>): Promise<void> {
  const { seller, version, customers, from, chunkSize } = job;
  const total = customers.length;
  const starts: number[] = [];
  for (let s = from; s < total; s += chunkSize) starts.push(s);
  job.log(`writing ${total - from} per-customer records${from > 0 ? ` (${from} already verified)` : ''} in ${starts.length} steps of up to ${chunkSize}`);
  const started = performance.now();
  const finished = new Set<number>();
  let frontier = from;
  let doneHere = 0;
  let lastLog = started;
  let next = 0;
  let failed = false;
  const step = async (s: number) => {
    const slice = customers.slice(s, Math.min(s + chunkSize, total));
    const entries = slice.map((c) => ({ key: keys.customer(seller, version, c.customer), value: c.record }));
    await store.putValues(entries);
    const got = await store.getValues(entries.map((e) => e.key));
    for (let i = 0; i < entries.length; i++) {
      if (got.get(entries[i].key) !== entries[i].value)
        throw new Error(
          `verification failed: the record of customer ${slice[i].customer} (${entries[i].key}) reads back ${got.get(entries[i].key) == null ? 'missing' : 'different'}`,
        );
    }
    finished.add(s);
    doneHere += entries.length;
    const before = frontier;
    while (finished.has(frontier)) {
      finished.delete(frontier);
      frontier = Math.min(frontier + chunkSize, total);
    }
    const now = performance.now();
    const elapsedMs = now - started;
    const rate = doneHere / Math.max(elapsedMs / 1000, 1e-3);
    const done = from + doneHere;
    const progress = { done, total, skipped: from, elapsedMs, rate, etaMs: ((total - done) / Math.max(rate, 1e-9)) * 1000 };
    job.onProgress?.(progress);
    if (done === total || now - lastLog >= 5000) {
      lastLog = now;
      job.log(
        `records ${done}/${total} (${Math.floor((done / total) * 100)}%), ${Math.round(rate)}/s, ${duration(elapsedMs)} elapsed${done < total ? `, about ${duration(progress.etaMs)} left` : ''}`,
      );
    }
    if (frontier > before) await verifiedUpTo(frontier);
  };
  const lane = async () => {
    while (!failed && next < starts.length) {
      const s = starts[next++];
      try {
        await step(s);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const lanes = Array.from({ length: Math.min(job.parallel, starts.length) }, lane);
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** Removes what abandoned publishes (pending entries idle for a day) wrote; they never served. */
async function dropAbandoned(store: ModelStore, seller: string, now: number, log: (m: string) => void): Promise<void> {
  const pending = await readPending(store, seller);
  const stale = pending.filter((p) => now - Date.parse(p.updated) > ABANDONED_MS);
  if (stale.length === 0) return;
  const { versions } = await readVersions(store, seller);
  for (const p of stale) {
    if (!versions.some((v) => v.version === p.version)) await deleteVersionData(store, seller, p.version);
    log(`removed the abandoned publish of version ${p.version} (${p.verified} of ${p.total} records, last progress ${p.updated})`);
  }
  const gone = new Set(stale.map((p) => p.digest));
  await store.putValue(keys.pending(seller), JSON.stringify((await readPending(store, seller)).filter((p) => !gone.has(p.digest))));
}

/** Deletes a version's customer records and objects. */
async function deleteVersionData(store: ModelStore, seller: string, version: string): Promise<void> {
  const listed = await store.getObject(keys.customers(seller, version));
  const ids = listed ? (JSON.parse(new TextDecoder().decode(listed)) as string[]) : [];
  if (ids.length > 0) await store.deleteValues(ids.map((c) => keys.customer(seller, version, c)));
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
    await deleteVersionData(store, seller, v.version);
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
  };
  await store.putValues([
    { key: keys.active(seller), value: JSON.stringify(pointer) },
    { key: keys.activeOfType(seller, target.model), value: JSON.stringify(pointer) },
  ]);
  return pointer;
}
