import {
  CUSTOMER_SHARD_HEADER_BYTES,
  customerHash,
  MAX_CUSTOMER_ID_BYTES,
  readShardEntry,
  readShardHeader,
  readShardIndex,
  shardOf,
  type ShardIndex,
} from '../../core/format/customer-shard.js';
import { modelStorage, type CustomerShards } from '../../core/storage/pointer.js';

/**
 * Reading one customer's record out of a version's customer shards (spec/model-format.md,
 * "Customer shards"): the shard's header and index are read once and kept in isolate memory;
 * after that a record costs one ranged read of its entry, and is kept too. Everything kept
 * expires after {@link CUSTOMER_CACHE_TTL_MS} (so a customer deleted in another isolate
 * lingers here at most that long) and the total is bounded in bytes, least recently used
 * dropped first.
 *
 * Staleness: a shard is rewritten when a customer is deleted, and the entries after the
 * deleted one move. Every ranged read is conditional on the etag the index was read with; a
 * shard that changed since is read again (header and index) before the entry is.
 */

/** How long an index or a record is reused: KV's cacheTtl for records was 300 s, and the spec promises no longer. */
export const CUSTOMER_CACHE_TTL_MS = 300_000;
/** Default bound of the cache, bytes over all sellers (a 500,000-customer seller's 256 indexes take 6 MB). */
export const DEFAULT_CUSTOMER_CACHE_BYTES = 16 * 1024 * 1024;
/** Cost of a cache entry beyond its bytes (the key, the Map slot, the object). */
const ENTRY_OVERHEAD = 96;

/** The reads a shard reader needs: R2 on Cloudflare, a Map in tests. */
export interface ShardObjects {
  /**
   * The start of an object, at least `need(bytesSoFar)` bytes (the reader asks for the header,
   * then for the index the header announces), and the object's etag; null when there is no object.
   */
  readStart(key: string, need: (got: Uint8Array) => number): Promise<{ bytes: Uint8Array; etag: string } | null>;
  /** `length` bytes at `offset` if the object still has `etag`; 'changed' when it was rewritten; null when it is gone. */
  readRange(key: string, offset: number, length: number, etag: string): Promise<Uint8Array | 'changed' | null>;
}

interface CachedIndex {
  kind: 'index';
  index: ShardIndex;
  etag: string;
}

interface CachedRecord {
  kind: 'record';
  record: Uint8Array;
}

interface Slot {
  value: CachedIndex | CachedRecord;
  bytes: number;
  expires: number;
}

/**
 * Shard indexes and customer records kept in isolate memory, shared by every request of the
 * isolate (created once with the app). Keys: the shard's R2 key for an index, the shard key
 * and the customer id for a record.
 */
export class CustomerCache {
  /** Insertion order is recency order: a hit moves its slot to the end. */
  private readonly slots = new Map<string, Slot>();
  /** Index reads under way, so that concurrent requests for one shard read it once. */
  readonly loading = new Map<string, Promise<CachedIndex | null>>();
  private total = 0;

  constructor(readonly ttlMs = CUSTOMER_CACHE_TTL_MS) {}

  get bytes(): number {
    return this.total;
  }

  get<K extends Slot['value']['kind']>(key: string, kind: K, now: number): Extract<Slot['value'], { kind: K }> | null {
    const slot = this.slots.get(key);
    if (slot === undefined) return null;
    if (now >= slot.expires || slot.value.kind !== kind) {
      this.drop(key);
      return null;
    }
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.value as Extract<Slot['value'], { kind: K }>;
  }

  set(key: string, value: Slot['value'], now: number, maxBytes: number): void {
    this.drop(key);
    const bytes = ENTRY_OVERHEAD + 2 * key.length + (value.kind === 'index' ? value.index.byteLength : value.record.byteLength);
    if (bytes > maxBytes) return;
    this.slots.set(key, { value, bytes, expires: now + this.ttlMs });
    this.total += bytes;
    for (const [k] of this.slots) {
      if (this.total <= maxBytes) break;
      this.drop(k);
    }
  }

  drop(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    this.total -= slot.bytes;
  }

  /**
   * Forgets what this isolate kept of a customer of `seller`: their records, and the indexes
   * of the shards they fall in (the DELETE route calls it after rewriting those shards).
   */
  forgetCustomer(seller: string, customer: string): void {
    const prefix = `sellers/${seller}/`;
    const hash = customerHash(customer);
    for (const [key, slot] of [...this.slots]) {
      if (!key.startsWith(prefix)) continue;
      const v = slot.value;
      if (v.kind === 'record' ? key.endsWith(`\u0000${customer}`) : shardOf(hash, v.index.header.shardCount) === v.index.header.shard) this.drop(key);
    }
  }

  /** Forgets everything (tests). */
  clear(): void {
    this.slots.clear();
    this.total = 0;
  }
}

const utf8 = new TextEncoder();

/** Finds customer records in shards through a {@link ShardObjects}, keeping what it read in a {@link CustomerCache}. */
export class CustomerShardReader {
  constructor(
    private readonly objects: ShardObjects,
    private readonly cache: CustomerCache,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The record of `customer` in `version`, or null when the version has none for them. Throws when storage fails or a shard is damaged. */
  async record(seller: string, version: string, shards: CustomerShards, customer: string): Promise<Uint8Array | null> {
    const idBytes = utf8.encode(customer).length;
    if (idBytes === 0 || idBytes > MAX_CUSTOMER_ID_BYTES) return null; // no shard holds such an id
    const hash = customerHash(customer);
    const shard = shardOf(hash, shards.count);
    const key = modelStorage.customerShard(seller, version, shard);
    const recordKey = `${key}\u0000${customer}`;
    const now = this.now();
    const hit = this.cache.get(recordKey, 'record', now);
    if (hit !== null) return hit.record;

    // Twice at most: the second time after the shard changed under a cached index.
    for (let attempt = 0; attempt < 2; attempt++) {
      const cached = await this.index(key, shard, shards.count, now);
      if (cached === null) return null;
      const found = await this.entry(key, cached, hash, customer);
      if (found === 'changed') {
        this.cache.drop(key);
        continue;
      }
      if (found !== null) this.cache.set(recordKey, { kind: 'record', record: found }, now, this.maxBytes);
      return found;
    }
    throw new Error(`customer shard ${key} kept changing while it was read; try again`);
  }

  /** The shard's index, from the cache or read (header, then the index it announces). */
  private async index(key: string, shard: number, count: number, now: number): Promise<CachedIndex | null> {
    const hit = this.cache.get(key, 'index', now);
    if (hit !== null) return hit;
    let loading = this.cache.loading.get(key);
    if (loading === undefined) {
      loading = this.readIndex(key, shard, count, now).finally(() => this.cache.loading.delete(key));
      this.cache.loading.set(key, loading);
    }
    return loading;
  }

  private async readIndex(key: string, shard: number, count: number, now: number): Promise<CachedIndex | null> {
    let cached: CachedIndex;
    try {
      const start = await this.objects.readStart(key, (got) =>
        got.length < CUSTOMER_SHARD_HEADER_BYTES ? CUSTOMER_SHARD_HEADER_BYTES : CUSTOMER_SHARD_HEADER_BYTES + readShardHeader(got).indexBytes,
      );
      if (start === null) return null;
      const header = readShardHeader(start.bytes, { shard, shardCount: count });
      cached = { kind: 'index', index: readShardIndex(start.bytes, header), etag: start.etag };
    } catch (err) {
      // Named by its key (no customer id in it): the log says which object to look at.
      throw new Error(`${key}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.cache.set(key, cached, now, this.maxBytes);
    return cached;
  }

  /**
   * The record of `customer` among the index entries of its hash: each is read (ranged, if
   * the shard is unchanged) and its stored id compared, so a hash collision answers null
   * rather than another customer's record.
   */
  private async entry(key: string, cached: CachedIndex, hash: number, customer: string): Promise<Uint8Array | 'changed' | null> {
    const { index, etag } = cached;
    const [from, to] = index.find(hash);
    for (let i = from; i < to; i++) {
      const bytes = await this.objects.readRange(key, index.offset(i), index.length(i), etag);
      // Gone, rewritten or shorter than the index says: the index is stale, read it again.
      if (bytes === null || bytes === 'changed' || bytes.length !== index.length(i)) return 'changed';
      const entry = readShardEntry(bytes);
      // A fresh copy: the cache must not keep a larger buffer alive.
      if (entry.id === customer) return entry.record.slice();
    }
    return null;
  }
}

/** The shard reads over an R2 bucket: the start of an object streamed (one read), entries as conditional ranged reads. */
export function r2ShardObjects(bucket: R2Bucket): ShardObjects {
  return {
    async readStart(key, need) {
      const object = await bucket.get(key);
      if (object === null) return null;
      return { bytes: await readPrefix(object.body, need), etag: object.etag };
    },
    async readRange(key, offset, length, etag) {
      const object = await bucket.get(key, { range: { offset, length }, onlyIf: { etagMatches: etag } });
      if (object === null) return null;
      // A failed condition answers the object's metadata without a body.
      if (!('body' in object)) return 'changed';
      return new Uint8Array(await object.arrayBuffer());
    },
  };
}

/**
 * Reads a stream until `need(bytes so far)` bytes are in, then cancels the rest: the header
 * and index of a shard in one R2 read, without its entries. Throws when the stream ends first.
 */
async function readPrefix(body: ReadableStream<Uint8Array>, need: (got: Uint8Array) => number): Promise<Uint8Array> {
  const reader = body.getReader();
  let buf = new Uint8Array(0);
  try {
    for (;;) {
      const wanted = need(buf);
      if (buf.length >= wanted) return buf;
      const { done, value } = await reader.read();
      if (done) throw new Error(`the object ended after ${buf.length} bytes, before byte ${wanted} that its header announces`);
      const joined = new Uint8Array(buf.length + value.length);
      joined.set(buf);
      joined.set(value, buf.length);
      buf = joined;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** Etags of in-memory objects: a new Uint8Array under a key is a new object. */
const memoryEtags = new WeakMap<Uint8Array, string>();
let memoryEtagCounter = 0;

function memoryEtag(bytes: Uint8Array): string {
  let etag = memoryEtags.get(bytes);
  if (etag === undefined) {
    etag = `m${++memoryEtagCounter}`;
    memoryEtags.set(bytes, etag);
  }
  return etag;
}

/** The shard reads over objects in a Map (the memory source): replacing an object's bytes changes its etag. */
export function memoryShardObjects(objects: ReadonlyMap<string, Uint8Array>): ShardObjects {
  return {
    async readStart(key) {
      const bytes = objects.get(key);
      return bytes === undefined ? null : { bytes: bytes.slice(), etag: memoryEtag(bytes) };
    },
    async readRange(key, offset, length, etag) {
      const bytes = objects.get(key);
      if (bytes === undefined) return null;
      if (memoryEtag(bytes) !== etag) return 'changed';
      return bytes.slice(offset, offset + length);
    },
  };
}
