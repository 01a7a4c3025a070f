import { xxh32 } from './checksum.js';
import { FormatError, hex32 } from './errors.js';

/**
 * Customer shards (spec/model-format.md, "Customer shards"): the per-customer records of one
 * model version packed into a few immutable R2 objects, `customers/<NNNN>.bin`, instead of one
 * KV value per customer. A customer's shard is xxh32 of the UTF-8 id modulo the shard count.
 *
 *   header (32 bytes)  magic, version, shard number and count, entry count, index length and checksum
 *   index              entry count x (u32 hash, u32 offset, u32 length), sorted by (hash, id)
 *   entries            each: u16 id length, the id (UTF-8), the record bytes (encodeUserRecord)
 *
 * The edge reads the header and index once (and caches them), then one byte range per
 * customer. Runtime-neutral: no Node or Workers APIs.
 */

export const CUSTOMER_SHARD_MAGIC = Uint8Array.of(0x50, 0x31, 0x43, 0x53); // "P1CS"
export const CUSTOMER_SHARD_VERSION = 1;
export const CUSTOMER_SHARD_HEADER_BYTES = 32;
export const CUSTOMER_SHARD_INDEX_ENTRY_BYTES = 12;
/** Publish aims at about this many customers per shard: one index read covers them. */
export const CUSTOMERS_PER_SHARD = 2048;
export const MAX_CUSTOMER_SHARDS = 4096;
/** Longest customer id a shard stores, in UTF-8 bytes (the entry's id length is a u16; this keeps entries small). */
export const MAX_CUSTOMER_ID_BYTES = 1024;

/** Header field offsets. */
const H = { version: 4, shard: 8, count: 12, entries: 16, indexBytes: 20, indexChecksum: 24, headerChecksum: 28 } as const;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One customer's record, as publish packs it. */
export interface ShardEntry {
  id: string;
  record: Uint8Array;
}

/** What the fixed header of a shard says. */
export interface ShardHeader {
  shard: number;
  shardCount: number;
  entryCount: number;
  indexBytes: number;
  indexChecksum: number;
}

/** The hash that places a customer in a shard and in the shard's index: xxh32 of the UTF-8 id. */
export function customerHash(id: string): number {
  return xxh32(utf8.encode(id));
}

/** The shard (0 to count - 1) of a customer hash. */
export function shardOf(hash: number, shardCount: number): number {
  return (hash >>> 0) % shardCount;
}

/** Whether `n` is a shard count this format allows: a power of two from 1 to 4096. */
export function isShardCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_CUSTOMER_SHARDS && (n & (n - 1)) === 0;
}

/**
 * The shard count for `customers` records: the smallest power of two that keeps shards at
 * about {@link CUSTOMERS_PER_SHARD} or fewer, at least 1 and at most 4096 (over 8.4 million
 * customers shards grow past 2,048).
 */
export function shardCountFor(customers: number): number {
  let n = 1;
  while (n < MAX_CUSTOMER_SHARDS && customers > n * CUSTOMERS_PER_SHARD) n *= 2;
  return n;
}

function checkShardNumber(shard: number, shardCount: number): void {
  if (!isShardCount(shardCount)) throw new RangeError(`the shard count must be a power of two from 1 to ${MAX_CUSTOMER_SHARDS}, got ${shardCount}`);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shardCount) throw new RangeError(`shard must be an integer from 0 to ${shardCount - 1}, got ${shard}`);
}

/** Byte order of two ids' UTF-8 (the order of entries with the same hash). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return a[k] - b[k];
  return a.length - b.length;
}

/**
 * Encodes one shard. The bytes depend only on the set of entries (not their order), so the
 * same records always give the same object and SHA-256. Throws a RangeError for an entry
 * that belongs to another shard, a repeated id, an empty or too long id.
 */
export function encodeCustomerShard(shard: number, shardCount: number, entries: readonly ShardEntry[]): Uint8Array {
  checkShardNumber(shard, shardCount);
  const n = entries.length;
  const ids = entries.map((e) => utf8.encode(e.id));
  const hashes = new Uint32Array(n);
  let bodyBytes = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id.length === 0 || id.length > MAX_CUSTOMER_ID_BYTES)
      throw new RangeError(
        `customer id ${JSON.stringify(entries[i].id.slice(0, 40))} is ${id.length} bytes; ids are 1 to ${MAX_CUSTOMER_ID_BYTES} bytes of UTF-8`,
      );
    hashes[i] = xxh32(id);
    if (shardOf(hashes[i], shardCount) !== shard)
      throw new RangeError(`customer ${JSON.stringify(entries[i].id)} belongs to shard ${shardOf(hashes[i], shardCount)} of ${shardCount}, not ${shard}`);
    bodyBytes += 2 + id.length + entries[i].record.length;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => hashes[a] - hashes[b] || compareBytes(ids[a], ids[b]));
  for (let k = 1; k < n; k++) {
    if (hashes[order[k]] === hashes[order[k - 1]] && compareBytes(ids[order[k]], ids[order[k - 1]]) === 0)
      throw new RangeError(`customer ${JSON.stringify(entries[order[k]].id)} is listed twice`);
  }
  const indexBytes = n * CUSTOMER_SHARD_INDEX_ENTRY_BYTES;
  const first = CUSTOMER_SHARD_HEADER_BYTES + indexBytes;
  if (first + bodyBytes > 0xffffffff) throw new RangeError(`shard ${shard} would be ${first + bodyBytes} bytes; shards are under 4 GiB (use more shards)`);
  const out = new Uint8Array(first + bodyBytes);
  const view = new DataView(out.buffer);
  let at = first;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const id = ids[i];
    const record = entries[i].record;
    const length = 2 + id.length + record.length;
    const slot = CUSTOMER_SHARD_HEADER_BYTES + k * CUSTOMER_SHARD_INDEX_ENTRY_BYTES;
    view.setUint32(slot, hashes[i], true);
    view.setUint32(slot + 4, at, true);
    view.setUint32(slot + 8, length, true);
    view.setUint16(at, id.length, true);
    out.set(id, at + 2);
    out.set(record, at + 2 + id.length);
    at += length;
  }
  out.set(CUSTOMER_SHARD_MAGIC, 0);
  out[H.version] = CUSTOMER_SHARD_VERSION;
  view.setUint32(H.shard, shard, true);
  view.setUint32(H.count, shardCount, true);
  view.setUint32(H.entries, n, true);
  view.setUint32(H.indexBytes, indexBytes, true);
  view.setUint32(H.indexChecksum, xxh32(out.subarray(CUSTOMER_SHARD_HEADER_BYTES, first)), true);
  view.setUint32(H.headerChecksum, xxh32(out.subarray(0, H.headerChecksum)), true);
  return out;
}

/**
 * Reads the fixed header from the first 32 (or more) bytes of a shard. With `expect`, also
 * checks that it is that shard of that count (a shard under another key, or of another
 * publish, is refused). Throws a {@link FormatError} naming the problem.
 */
export function readShardHeader(bytes: Uint8Array, expect?: { shard: number; shardCount: number }): ShardHeader {
  const len = bytes.length;
  if (len < 4 || !CUSTOMER_SHARD_MAGIC.every((b, k) => bytes[k] === b)) {
    const got = len < 4 ? `only ${len} byte${len === 1 ? '' : 's'}` : `magic ${hex32(bytes)}`;
    throw new FormatError(`not a PlusOne customer shard (${got}, expected ${hex32(CUSTOMER_SHARD_MAGIC)} "P1CS")`, 'customer shard');
  }
  if (len > H.version && bytes[H.version] !== CUSTOMER_SHARD_VERSION)
    throw new FormatError(`unsupported customer shard version ${bytes[H.version]}; this reader supports ${CUSTOMER_SHARD_VERSION}`, 'customer shard');
  if (len < CUSTOMER_SHARD_HEADER_BYTES)
    throw new FormatError(`truncated: the customer shard header ends at byte ${CUSTOMER_SHARD_HEADER_BYTES} but there are ${len} bytes`, 'customer shard');
  const view = new DataView(bytes.buffer, bytes.byteOffset, CUSTOMER_SHARD_HEADER_BYTES);
  if (xxh32(bytes.subarray(0, H.headerChecksum)) !== view.getUint32(H.headerChecksum, true))
    throw new FormatError('checksum mismatch in the customer shard header', 'customer shard');
  const header: ShardHeader = {
    shard: view.getUint32(H.shard, true),
    shardCount: view.getUint32(H.count, true),
    entryCount: view.getUint32(H.entries, true),
    indexBytes: view.getUint32(H.indexBytes, true),
    indexChecksum: view.getUint32(H.indexChecksum, true),
  };
  if (!isShardCount(header.shardCount) || header.shard >= header.shardCount)
    throw new FormatError(`the customer shard header says shard ${header.shard} of ${header.shardCount}, which is not a valid shard`, 'customer shard');
  if (header.indexBytes !== header.entryCount * CUSTOMER_SHARD_INDEX_ENTRY_BYTES)
    throw new FormatError(
      `the customer shard index is ${header.indexBytes} bytes; ${header.entryCount} entries take ${header.entryCount * 12}`,
      'customer shard',
    );
  if (expect !== undefined && (header.shard !== expect.shard || header.shardCount !== expect.shardCount))
    throw new FormatError(
      `expected customer shard ${expect.shard} of ${expect.shardCount}, the object holds shard ${header.shard} of ${header.shardCount}`,
      'customer shard',
    );
  return header;
}

/** The decoded index of a shard: where each customer's entry is, found by hash. */
export class ShardIndex {
  /** hash, offset, length of entry i at 3i, 3i + 1, 3i + 2. */
  private readonly table: Uint32Array;

  constructor(
    readonly header: ShardHeader,
    table: Uint32Array,
  ) {
    this.table = table;
  }

  get count(): number {
    return this.header.entryCount;
  }
  /** Bytes this index holds in memory (for cache bounds). */
  get byteLength(): number {
    return this.table.byteLength;
  }
  hash(i: number): number {
    return this.table[3 * i];
  }
  offset(i: number): number {
    return this.table[3 * i + 1];
  }
  length(i: number): number {
    return this.table[3 * i + 2];
  }
  /** Where the shard ends: after the last entry. */
  get end(): number {
    const n = this.count;
    return n === 0 ? CUSTOMER_SHARD_HEADER_BYTES : this.offset(n - 1) + this.length(n - 1);
  }

  /** The entries whose hash is `hash`, as [from, to): usually none or one; more on a hash collision. */
  find(hash: number): [number, number] {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.hash(mid) < hash) lo = mid + 1;
      else hi = mid;
    }
    let to = lo;
    while (to < this.count && this.hash(to) === hash) to++;
    return [lo, to];
  }
}

/**
 * Reads and checks the index of a shard from its first `32 + header.indexBytes` bytes (more
 * may follow): its checksum, hashes in order, entries back to back from the end of the index.
 * Throws a {@link FormatError}.
 */
export function readShardIndex(bytes: Uint8Array, header: ShardHeader): ShardIndex {
  const first = CUSTOMER_SHARD_HEADER_BYTES + header.indexBytes;
  if (bytes.length < first)
    throw new FormatError(`truncated: the customer shard index ends at byte ${first} but there are ${bytes.length} bytes`, 'customer shard');
  const raw = bytes.subarray(CUSTOMER_SHARD_HEADER_BYTES, first);
  if (xxh32(raw) !== header.indexChecksum) throw new FormatError('checksum mismatch in the customer shard index', 'customer shard');
  const n = header.entryCount;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const table = new Uint32Array(3 * n);
  let expected = first;
  for (let i = 0; i < n; i++) {
    const hash = view.getUint32(12 * i, true);
    const offset = view.getUint32(12 * i + 4, true);
    const length = view.getUint32(12 * i + 8, true);
    if (i > 0 && hash < table[3 * (i - 1)]) throw new FormatError(`customer shard index entry ${i} is out of hash order`, 'customer shard');
    if (shardOf(hash, header.shardCount) !== header.shard)
      throw new FormatError(
        `customer shard index entry ${i} has a hash of shard ${shardOf(hash, header.shardCount)}, in shard ${header.shard}`,
        'customer shard',
      );
    if (offset !== expected) throw new FormatError(`customer shard index entry ${i} starts at byte ${offset}; byte ${expected} expected`, 'customer shard');
    if (length < 3 || offset + length > 0xffffffff) throw new FormatError(`customer shard index entry ${i} has length ${length}`, 'customer shard');
    table[3 * i] = hash;
    table[3 * i + 1] = offset;
    table[3 * i + 2] = length;
    expected = offset + length;
  }
  return new ShardIndex(header, table);
}

/** Decodes one entry (the bytes at its offset and length in the index). Throws a {@link FormatError}. */
export function readShardEntry(bytes: Uint8Array): ShardEntry {
  if (bytes.length < 2) throw new FormatError(`a customer shard entry of ${bytes.length} bytes is too short`, 'customer shard');
  const idBytes = bytes[0] | (bytes[1] << 8);
  if (idBytes === 0 || 2 + idBytes > bytes.length)
    throw new FormatError(`a customer shard entry of ${bytes.length} bytes says its id has ${idBytes} bytes`, 'customer shard');
  let id: string;
  try {
    id = fromUtf8.decode(bytes.subarray(2, 2 + idBytes));
  } catch {
    throw new FormatError('a customer shard entry has an id that is not UTF-8', 'customer shard');
  }
  return { id, record: bytes.subarray(2 + idBytes) };
}

/** A whole shard, decoded and checked (header, index, length): what the trainer and the deletion route read. */
export interface DecodedShard {
  header: ShardHeader;
  index: ShardIndex;
  bytes: Uint8Array;
}

/** Decodes and checks a whole shard object. Throws a {@link FormatError}. */
export function decodeCustomerShard(bytes: Uint8Array, expect?: { shard: number; shardCount: number }): DecodedShard {
  const header = readShardHeader(bytes, expect);
  const index = readShardIndex(bytes, header);
  if (index.end !== bytes.length)
    throw new FormatError(`the customer shard is ${bytes.length} bytes but its entries end at byte ${index.end}`, 'customer shard');
  return { header, index, bytes };
}

/** Every entry of a decoded shard, in index order (the records are views into its bytes). */
export function shardEntries(shard: DecodedShard): ShardEntry[] {
  const out: ShardEntry[] = [];
  for (let i = 0; i < shard.index.count; i++) {
    const at = shard.index.offset(i);
    out.push(readShardEntry(shard.bytes.subarray(at, at + shard.index.length(i))));
  }
  return out;
}

/** The entry index of customer `id` in a decoded shard, or -1 (ids are compared, not only hashes). */
export function findInShard(shard: DecodedShard, id: string): number {
  const [from, to] = shard.index.find(customerHash(id));
  for (let i = from; i < to; i++) {
    const at = shard.index.offset(i);
    if (readShardEntry(shard.bytes.subarray(at, at + shard.index.length(i))).id === id) return i;
  }
  return -1;
}

/** The record bytes of customer `id` in a decoded shard, or null. */
export function recordInShard(shard: DecodedShard, id: string): Uint8Array | null {
  const i = findInShard(shard, id);
  if (i < 0) return null;
  const at = shard.index.offset(i);
  return readShardEntry(shard.bytes.subarray(at, at + shard.index.length(i))).record;
}

/**
 * The shard rebuilt without customer `id`, or null when the customer is not in it. The new
 * object is what {@link encodeCustomerShard} makes of the other entries: no byte of the
 * customer's id or record is left, and the offsets of the entries after it move (a reader
 * holding the old index must notice the object changed; see spec/model-format.md).
 */
export function shardWithout(shard: DecodedShard, id: string): Uint8Array | null {
  const gone = findInShard(shard, id);
  if (gone < 0) return null;
  const kept = shardEntries(shard).filter((_, i) => i !== gone);
  return encodeCustomerShard(shard.header.shard, shard.header.shardCount, kept);
}
