import { createHash } from 'node:crypto';
import {
  customerHash,
  decodeCustomerShard,
  encodeCustomerShard,
  MAX_CUSTOMER_ID_BYTES,
  shardEntries,
  shardOf,
  type ShardEntry,
} from '../../core/format/customer-shard.js';
import { modelStorage } from '../../core/storage/pointer.js';
import { InputError } from '../data/errors.js';
import type { ModelStore } from './store.js';

/**
 * Writing a version's customer records as R2 shards (spec/model-format.md, "Customer
 * shards"): grouping the records by shard, encoding one shard at a time (bounded memory: only
 * the shards in flight are encoded), writing with a few in flight, reading each back and
 * comparing its SHA-256 before it counts as verified. Also the list of recently deleted
 * customers (`sellers/<S>/deletions`), which a publish under way keeps out of its shards.
 */

/** One customer's record bytes (encodeUserRecord), as publish takes them. */
export interface CustomerRecordInput {
  customer: string;
  record: Uint8Array;
}

/** Progress of the customer shards, reported after every verified shard. */
export interface PublishProgress {
  /** Customer records in verified shards (including those a resume skipped). */
  done: number;
  total: number;
  /** Records in shards already verified by an earlier, interrupted run of the same publish. */
  skipped: number;
  /** Shards verified so far, of `shardsTotal`. */
  shards: number;
  shardsTotal: number;
  elapsedMs: number;
  /** Records per second in this run. */
  rate: number;
  /** Estimated time left, in milliseconds. */
  etaMs: number;
}

/** The records grouped by shard: the records of shard k are `order[starts[k]]` to `order[starts[k + 1] - 1]`. */
export interface ShardPlan {
  count: number;
  order: Uint32Array;
  starts: Uint32Array;
}

const utf8 = new TextEncoder();

/**
 * Checks the customer ids before anything is written (1 to 1024 bytes of UTF-8, each once)
 * and groups the records by shard (a counting sort: no per-shard arrays of objects).
 */
export function planShards(records: readonly CustomerRecordInput[], count: number): ShardPlan {
  const n = records.length;
  const shardOfRecord = new Uint32Array(n);
  const sizes = new Uint32Array(count);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const id = records[i].customer;
    const bytes = utf8.encode(id).length;
    if (bytes === 0 || bytes > MAX_CUSTOMER_ID_BYTES)
      throw new InputError(
        `customer record ${i + 1}: the id ${JSON.stringify(id.slice(0, 40))} is ${bytes} bytes; ids are 1 to ${MAX_CUSTOMER_ID_BYTES} bytes`,
      );
    if (seen.has(id)) throw new InputError(`customer record ${i + 1}: customer ${JSON.stringify(id)} has two records; export the model again`);
    seen.add(id);
    const k = shardOf(customerHash(id), count);
    shardOfRecord[i] = k;
    sizes[k]++;
  }
  const starts = new Uint32Array(count + 1);
  for (let k = 0; k < count; k++) starts[k + 1] = starts[k] + sizes[k];
  const next = starts.slice(0, count);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[next[shardOfRecord[i]]++] = i;
  return { count, order, starts };
}

/** The records of shard `k` in a plan, without the customers in `without`. */
function entriesOf(records: readonly CustomerRecordInput[], plan: ShardPlan, k: number, without: ReadonlySet<string>): ShardEntry[] {
  const out: ShardEntry[] = [];
  for (let j = plan.starts[k]; j < plan.starts[k + 1]; j++) {
    const r = records[plan.order[j]];
    if (!without.has(r.customer)) out.push({ id: r.customer, record: r.record });
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes an object, reads it back and compares its SHA-256; throws (naming the key) when it differs. */
export async function putVerified(store: ModelStore, key: string, bytes: Uint8Array): Promise<void> {
  await store.putObject(key, bytes);
  const back = await store.getObject(key);
  if (back === null || sha256(back) !== sha256(bytes))
    throw new Error(`verification failed: ${key} reads back ${back === null ? 'missing' : 'different bytes'}`);
}

/** KV key of the customers deleted lately (the DELETE route appends to it; publishes read it). */
export const deletionsKey = (seller: string) => `sellers/${seller}/deletions`;

/** Customers deleted in the last days (see {@link deletionsKey}); an unreadable list counts as empty. */
export async function readDeletions(store: ModelStore, seller: string): Promise<Set<string>> {
  const text = await store.getValue(deletionsKey(seller));
  if (text === null) return new Set();
  try {
    const list = JSON.parse(text) as { customer?: unknown }[];
    return new Set(list.map((d) => d.customer).filter((c): c is string => typeof c === 'string'));
  } catch {
    return new Set();
  }
}

interface ShardJob {
  seller: string;
  version: string;
  records: readonly CustomerRecordInput[];
  plan: ShardPlan;
  /** Shards before this one are already verified (by an earlier run). */
  from: number;
  parallel: number;
  /** Customers left out of every shard (deleted since training); grows when a read-back shows a deletion. */
  without: Set<string>;
  log: (m: string) => void;
  onProgress?: ((p: PublishProgress) => void) | undefined;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Writes shards `job.from` to `count - 1`, `job.parallel` at once; each is read back and
 * compared. `verifiedUpTo(n)` is awaited whenever shards 0 to n - 1 all are (the resume
 * marker). A shard that reads back different because the DELETE route rewrote it meanwhile
 * is rebuilt without the customers deleted since, and written again.
 */
export async function writeShards(store: ModelStore, job: ShardJob, verifiedUpTo: (n: number) => Promise<void>): Promise<void> {
  const { seller, version, records, plan, from } = job;
  const count = plan.count;
  const total = records.length;
  const recordsBefore = (k: number) => plan.starts[k];
  job.log(
    `writing ${count - from} customer shards (${total - recordsBefore(from)} records${from > 0 ? `; ${from} shards already verified` : ''}), ${job.parallel} at a time`,
  );
  const started = performance.now();
  const finished = new Set<number>();
  let frontier = from;
  let shardsDone = from;
  let doneHere = 0;
  let lastLog = started;

  const step = async (k: number) => {
    const key = modelStorage.customerShard(seller, version, k);
    let bytes = encodeCustomerShard(k, count, entriesOf(records, plan, k, job.without));
    try {
      await putVerified(store, key, bytes);
    } catch (err) {
      // A customer deleted while this shard was on its way: the DELETE route rewrote it.
      const deleted = await readDeletions(store, seller);
      const fresh = [...deleted].filter((c) => !job.without.has(c));
      if (fresh.length === 0) throw err;
      for (const c of fresh) job.without.add(c);
      bytes = encodeCustomerShard(k, count, entriesOf(records, plan, k, job.without));
      await putVerified(store, key, bytes);
    }
    finished.add(k);
    shardsDone++;
    doneHere += plan.starts[k + 1] - plan.starts[k];
    const before = frontier;
    while (finished.has(frontier)) finished.delete(frontier++);
    report();
    if (frontier > before) await verifiedUpTo(frontier);
  };

  const report = () => {
    const now = performance.now();
    const elapsedMs = now - started;
    const rate = doneHere / Math.max(elapsedMs / 1000, 1e-3);
    const skipped = recordsBefore(from);
    const done = skipped + doneHere;
    const progress: PublishProgress = {
      done,
      total,
      skipped,
      shards: shardsDone,
      shardsTotal: count,
      elapsedMs,
      rate,
      etaMs: ((total - done) / Math.max(rate, 1e-9)) * 1000,
    };
    job.onProgress?.(progress);
    if (shardsDone === count || now - lastLog >= 5000) {
      lastLog = now;
      job.log(
        `shards ${shardsDone}/${count} (${Math.floor((shardsDone / count) * 100)}%), ${done}/${total} records, ${Math.round(rate)} records/s, ${duration(elapsedMs)} elapsed${shardsDone < count ? `, about ${duration(progress.etaMs)} left` : ''}`,
      );
    }
  };

  const pending = Array.from({ length: count - from }, (_, j) => from + j);
  await inParallel(pending, job.parallel, step);
}

/**
 * Takes customers out of one stored shard: reads it, drops their entries, writes it back
 * verified. Returns how many were there. Used for customers deleted while a publish ran.
 */
export async function removeFromShard(store: ModelStore, key: string, shard: number, count: number, customers: ReadonlySet<string>): Promise<number> {
  const bytes = await store.getObject(key);
  if (bytes === null) return 0;
  const entries = shardEntries(decodeCustomerShard(bytes, { shard, shardCount: count }));
  const kept = entries.filter((e) => !customers.has(e.id));
  if (kept.length === entries.length) return 0;
  await putVerified(store, key, encodeCustomerShard(shard, count, kept));
  return entries.length - kept.length;
}

/** Runs `fn` over `items`, `parallel` at once; the first failure stops new ones and is thrown. */
export async function inParallel<T>(items: readonly T[], parallel: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(parallel, items.length) }, lane));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
