import { FormatError } from './errors.js';

const utf8 = new TextDecoder();

/**
 * The item ids of an artifact, in item index order, over the `item-ids` section's bytes.
 * Ids are decoded on demand. The id -> index lookup is an open-addressing hash table of
 * item indices over those bytes, built on the first lookup: for 250k items it takes a few
 * milliseconds and 2 MB, where a Map of strings takes about 100 ms and several times the memory.
 */
export class ItemTable {
  /** Number of items. */
  readonly count: number;
  private list: string[] | undefined;
  private slots: Int32Array | undefined;
  private mask = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    /** Byte offsets of each id in `bytes` (count + 1 entries). */
    readonly offsets: Uint32Array,
    /** The ids, UTF-8, back to back. */
    readonly bytes: Uint8Array,
  ) {
    this.count = offsets.length - 1;
  }

  /** The id of item `i` (0 <= i < count). */
  id(i: number): string {
    if (this.list !== undefined) return this.list[i];
    return utf8.decode(this.bytes.subarray(this.offsets[i], this.offsets[i + 1]));
  }

  /** The index of the item with this id, or -1 when the artifact has no such item. */
  indexOf(id: string): number {
    const slots = this.slots ?? this.buildIndex();
    const mask = this.mask;
    let ascii = true;
    for (let k = 0; k < id.length; k++) {
      if (id.charCodeAt(k) >= 0x80) {
        ascii = false;
        break;
      }
    }
    // An ASCII string's UTF-16 code units are its UTF-8 bytes: hash and compare them directly.
    const key = ascii ? undefined : this.encoder.encode(id);
    let p = (key === undefined ? hashString(id) : hashBytes(key, 0, key.length)) & mask;
    for (let i = slots[p]; i >= 0; i = slots[p]) {
      if (key === undefined ? this.equalsString(i, id) : this.equalsBytes(i, key, 0, key.length)) return i;
      p = (p + 1) & mask;
    }
    return -1;
  }

  /** All ids, in item order (decoded once, then kept). */
  ids(): readonly string[] {
    if (this.list === undefined) this.list = decodeAll(this.offsets, this.bytes);
    return this.list;
  }

  private buildIndex(): Int32Array {
    const { count, offsets, bytes } = this;
    let size = 2;
    while (size < 2 * count) size *= 2;
    const slots = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let i = 0; i < count; i++) {
      const start = offsets[i];
      const end = offsets[i + 1];
      let p = hashBytes(bytes, start, end) & mask;
      for (let j = slots[p]; j >= 0; j = slots[p]) {
        if (this.equalsBytes(j, bytes, start, end)) {
          throw new FormatError(`section item-ids: item id ${JSON.stringify(this.id(i))} appears twice (items ${j} and ${i})`, 'item-ids');
        }
        p = (p + 1) & mask;
      }
      slots[p] = i;
    }
    this.mask = mask;
    this.slots = slots;
    return slots;
  }

  private equalsBytes(i: number, key: Uint8Array, start: number, end: number): boolean {
    const a = this.offsets[i];
    if (this.offsets[i + 1] - a !== end - start) return false;
    const bytes = this.bytes;
    for (let k = 0; k < end - start; k++) if (bytes[a + k] !== key[start + k]) return false;
    return true;
  }

  private equalsString(i: number, id: string): boolean {
    const a = this.offsets[i];
    if (this.offsets[i + 1] - a !== id.length) return false;
    const bytes = this.bytes;
    for (let k = 0; k < id.length; k++) if (bytes[a + k] !== id.charCodeAt(k)) return false;
    return true;
  }
}

// FNV-1a over bytes, then a final mix so that the low bits (the table index) depend on all of them.
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
  return finish(h);
}

/** hashBytes of an ASCII string's bytes, without encoding it. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
  return finish(h);
}

function decodeAll(offsets: Uint32Array, bytes: Uint8Array): string[] {
  const n = offsets.length - 1;
  const out = new Array<string>(n);
  let ascii = true;
  for (let k = 0; k < bytes.length; k++) {
    if (bytes[k] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    // One decode for the whole table; byte offsets are character offsets in ASCII.
    const all = utf8.decode(bytes);
    for (let i = 0; i < n; i++) out[i] = all.slice(offsets[i], offsets[i + 1]);
  } else {
    for (let i = 0; i < n; i++) out[i] = utf8.decode(bytes.subarray(offsets[i], offsets[i + 1]));
  }
  return out;
}
