/**
 * Catalog layers (P1CL, spec/model-format.md "Catalog updates (storage layout)"): one
 * immutable object of catalog entries, sorted by id, each holding the fields pushed for the
 * item. The reader keeps views into the bytes and decodes strings only when asked.
 */
import { xxh32 } from '../format/checksum.js';
import { FormatError, hex32 } from '../format/errors.js';
import { align8, MAX_PREFIXES } from '../format/spec.js';

/** First four bytes of a layer: ASCII "P1CL". */
export const LAYER_MAGIC = Uint8Array.of(0x50, 0x31, 0x43, 0x4c);
/** The layer format version this code reads and writes. */
export const LAYER_VERSION = 1;
/** Size of a layer's header. */
export const LAYER_HEADER_BYTES = 40;

/** Bits of an entry's `fields`: which fields the entry sets (the others come from the layer below, or the artifact). */
export const FIELD = {
  title: 1 << 0,
  url: 1 << 1,
  image: 1 << 2,
  price: 1 << 3,
  inStock: 1 << 4,
  category: 1 << 5,
  features: 1 << 6,
  retired: 1 << 7,
} as const;
const ALL_FIELDS = 0xff;

/** Bits of an entry's `flags`. */
export const ENTRY_FLAGS = { stockKnown: 1 << 0, inStock: 1 << 1, retired: 1 << 2 } as const;
const ALL_ENTRY_FLAGS = 0x7;

/** Where each array of a layer starts (offsets from the start of the object). */
export function layerLayout(n: number, tags: number, strings: number, stringBytes: number, prefixes: number, prefixBytes: number) {
  const id = LAYER_HEADER_BYTES;
  const title = align8(id + 4 * n);
  const url = align8(title + 4 * n);
  const image = align8(url + 4 * n);
  const category = align8(image + 4 * n);
  const price = align8(category + 4 * n);
  const fields = price + 8 * n;
  const flags = align8(fields + 2 * n);
  const tagOffsets = align8(flags + n);
  const tagList = align8(tagOffsets + 4 * (n + 1));
  const stringOffsets = align8(tagList + 4 * tags);
  const stringPrefix = align8(stringOffsets + 4 * (strings + 1));
  const prefixOffsets = align8(stringPrefix + 2 * strings);
  const prefixData = align8(prefixOffsets + 4 * (prefixes + 1));
  const stringData = align8(prefixData + prefixBytes);
  return {
    id,
    title,
    url,
    image,
    category,
    price,
    fields,
    flags,
    tagOffsets,
    tagList,
    stringOffsets,
    stringPrefix,
    prefixOffsets,
    prefixData,
    stringData,
    total: stringData + stringBytes,
  };
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

/** Byte order of two UTF-8 byte strings (<0, 0, >0). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const len = Math.min(a.length, b.length);
  for (let k = 0; k < len; k++) if (a[k] !== b[k]) return a[k] - b[k];
  return a.length - b.length;
}

/** A decoded layer: typed views into its bytes. */
export class CatalogLayer {
  readonly count: number;
  readonly byteLength: number;
  readonly titleCol: Uint32Array;
  readonly urlCol: Uint32Array;
  readonly imageCol: Uint32Array;
  readonly categoryCol: Uint32Array;
  readonly price: Float64Array;
  readonly fields: Uint16Array;
  readonly flags: Uint8Array;
  readonly tagOffsets: Uint32Array;
  readonly tagList: Uint32Array;
  readonly stringOffsets: Uint32Array;
  readonly stringPrefix: Uint16Array;
  readonly prefixOffsets: Uint32Array;
  readonly prefixBytes: Uint8Array;
  readonly stringBytes: Uint8Array;
  private readonly idCol: Uint32Array;
  private readonly prefixes: string[];

  constructor(parts: {
    id: Uint32Array;
    title: Uint32Array;
    url: Uint32Array;
    image: Uint32Array;
    category: Uint32Array;
    price: Float64Array;
    fields: Uint16Array;
    flags: Uint8Array;
    tagOffsets: Uint32Array;
    tagList: Uint32Array;
    stringOffsets: Uint32Array;
    stringPrefix: Uint16Array;
    prefixOffsets: Uint32Array;
    prefixBytes: Uint8Array;
    stringBytes: Uint8Array;
    byteLength: number;
  }) {
    this.count = parts.id.length;
    this.byteLength = parts.byteLength;
    this.idCol = parts.id;
    this.titleCol = parts.title;
    this.urlCol = parts.url;
    this.imageCol = parts.image;
    this.categoryCol = parts.category;
    this.price = parts.price;
    this.fields = parts.fields;
    this.flags = parts.flags;
    this.tagOffsets = parts.tagOffsets;
    this.tagList = parts.tagList;
    this.stringOffsets = parts.stringOffsets;
    this.stringPrefix = parts.stringPrefix;
    this.prefixOffsets = parts.prefixOffsets;
    this.prefixBytes = parts.prefixBytes;
    this.stringBytes = parts.stringBytes;
    const p = parts.prefixOffsets;
    this.prefixes = [];
    for (let k = 0; k + 1 < p.length; k++) this.prefixes.push(utf8.decode(parts.prefixBytes.subarray(p[k], p[k + 1])));
  }

  /** String `k` of the string table. */
  string(k: number): string {
    const suffix = utf8.decode(this.stringBytes.subarray(this.stringOffsets[k], this.stringOffsets[k + 1]));
    return this.prefixes[this.stringPrefix[k]] + suffix;
  }

  /** The suffix bytes of string `k` (its prefix is `stringPrefix[k]`). */
  suffix(k: number): Uint8Array {
    return this.stringBytes.subarray(this.stringOffsets[k], this.stringOffsets[k + 1]);
  }

  /** Prefix `p` as text. */
  prefix(p: number): string {
    return this.prefixes[p];
  }

  /** Number of prefixes (prefix 0 is the empty one). */
  get prefixCount(): number {
    return this.prefixes.length;
  }

  /** The UTF-8 bytes of entry `i`'s id (ids are stored without a prefix): a view, not a copy. */
  idBytes(i: number): Uint8Array {
    return this.suffix(this.idCol[i]);
  }

  /** Entry `i`'s id. */
  id(i: number): string {
    return utf8.decode(this.idBytes(i));
  }

  /** The string index of entry `i`'s id. */
  idString(i: number): number {
    return this.idCol[i];
  }

  /** The entry of this id (UTF-8 bytes, or text), or -1: a binary search over the sorted ids. */
  find(id: Uint8Array | string): number {
    const key = typeof id === 'string' ? encoder.encode(id) : id;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.idBytes(mid), key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Entry `i`'s tags, in the order pushed. */
  tags(i: number): string[] {
    const out: string[] = [];
    for (let p = this.tagOffsets[i]; p < this.tagOffsets[i + 1]; p++) out.push(this.string(this.tagList[p]));
    return out;
  }
}

/**
 * Decodes a layer. Checks the magic, the version (before anything after byte 4), both
 * checksums, the layout against the length, the offsets, string indices, field and flag bits
 * and the order of the ids; any problem is a {@link FormatError} naming it.
 */
export function decodeLayer(input: Uint8Array | ArrayBuffer): CatalogLayer {
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const len = bytes.length;
  if (len < 4 || !LAYER_MAGIC.every((b, k) => bytes[k] === b)) {
    const got = len < 4 ? `only ${len} bytes` : `magic ${hex32(bytes)}`;
    throw new FormatError(`not a PlusOne catalog layer (${got}, expected ${hex32(LAYER_MAGIC)} "P1CL")`, 'header');
  }
  if (len > 4 && bytes[4] !== LAYER_VERSION) {
    throw new FormatError(`unsupported catalog layer version ${bytes[4]}; this reader supports ${LAYER_VERSION}`, 'header');
  }
  if (len < LAYER_HEADER_BYTES) throw new FormatError(`truncated: the layer header ends at byte ${LAYER_HEADER_BYTES} but the object has ${len}`, 'header');
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const u32 = (at: number) => view.getUint32(at, true);
  if (xxh32(bytes.subarray(0, 36)) !== u32(36)) throw new FormatError('checksum mismatch in the catalog layer header', 'header');
  if (bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new FormatError('catalog layer: reserved header bytes 5-7 are not zero', 'header');
  const [n, tags, strings, stringBytes, prefixes, prefixBytes] = [u32(8), u32(12), u32(16), u32(20), u32(24), u32(28)];
  if (strings < 1) throw new FormatError('catalog layer: the string table is empty; string 0 (the empty string) is always there', 'header');
  if (prefixes < 1 || prefixes > MAX_PREFIXES) throw new FormatError(`catalog layer: ${prefixes} prefixes; 1 to ${MAX_PREFIXES} allowed`, 'header');
  const lay = layerLayout(n, tags, strings, stringBytes, prefixes, prefixBytes);
  if (lay.total !== len)
    throw new FormatError(`catalog layer is ${len} bytes; ${lay.total} expected for ${n} entries, ${tags} tags and ${strings} strings`, 'header');
  if (xxh32(bytes.subarray(LAYER_HEADER_BYTES)) !== u32(32)) throw new FormatError('checksum mismatch in the catalog layer', 'body');

  const buf = bytes.buffer;
  const base = bytes.byteOffset;
  const u32a = (at: number, k: number) => new Uint32Array(buf, base + at, k);
  const parts = {
    id: u32a(lay.id, n),
    title: u32a(lay.title, n),
    url: u32a(lay.url, n),
    image: u32a(lay.image, n),
    category: u32a(lay.category, n),
    price: new Float64Array(buf, base + lay.price, n),
    fields: new Uint16Array(buf, base + lay.fields, n),
    flags: new Uint8Array(buf, base + lay.flags, n),
    tagOffsets: u32a(lay.tagOffsets, n + 1),
    tagList: u32a(lay.tagList, tags),
    stringOffsets: u32a(lay.stringOffsets, strings + 1),
    stringPrefix: new Uint16Array(buf, base + lay.stringPrefix, strings),
    prefixOffsets: u32a(lay.prefixOffsets, prefixes + 1),
    prefixBytes: new Uint8Array(buf, base + lay.prefixData, prefixBytes),
    stringBytes: new Uint8Array(buf, base + lay.stringData, stringBytes),
    byteLength: len,
  };
  checkOffsets(parts.stringOffsets, stringBytes, 'string offsets');
  checkOffsets(parts.prefixOffsets, prefixBytes, 'prefix offsets');
  checkOffsets(parts.tagOffsets, tags, 'tag offsets');
  if (parts.stringOffsets[1] !== 0 || parts.stringPrefix[0] !== 0) throw new FormatError('catalog layer: string 0 must be the empty string', 'body');
  for (let k = 0; k < strings; k++) {
    if (parts.stringPrefix[k] >= prefixes) throw new FormatError(`catalog layer: string ${k} has prefix ${parts.stringPrefix[k]} of ${prefixes}`, 'body');
  }
  for (const column of ['id', 'title', 'url', 'image', 'category', 'tagList'] as const) {
    const col = parts[column];
    for (let i = 0; i < col.length; i++) {
      if (col[i] >= strings)
        throw new FormatError(`catalog layer: the ${column === 'tagList' ? 'tag' : column} at ${i} is string ${col[i]} of ${strings}`, 'body');
    }
  }
  for (let i = 0; i < n; i++) {
    if ((parts.fields[i] & ~ALL_FIELDS) !== 0) throw new FormatError(`catalog layer: entry ${i} has unknown field bits ${parts.fields[i]}`, 'body');
    if ((parts.flags[i] & ~ALL_ENTRY_FLAGS) !== 0) throw new FormatError(`catalog layer: entry ${i} has unknown flag bits ${parts.flags[i]}`, 'body');
    if (parts.stringPrefix[parts.id[i]] !== 0) throw new FormatError(`catalog layer: the id of entry ${i} has a prefix; ids are stored whole`, 'body');
  }
  const layer = new CatalogLayer(parts);
  for (let i = 0; i < n; i++) {
    if (layer.idBytes(i).length === 0) throw new FormatError(`catalog layer: entry ${i} has an empty id`, 'body');
    if (i > 0 && compareBytes(layer.idBytes(i - 1), layer.idBytes(i)) >= 0)
      throw new FormatError(`catalog layer: ids are not sorted and unique at entry ${i} (${JSON.stringify(layer.id(i))})`, 'body');
  }
  return layer;
}

function checkOffsets(offsets: Uint32Array, end: number, what: string): void {
  if (offsets[0] !== 0) throw new FormatError(`catalog layer: ${what} start at ${offsets[0]}, not 0`, 'body');
  for (let k = 1; k < offsets.length; k++) {
    if (offsets[k] < offsets[k - 1]) throw new FormatError(`catalog layer: ${what} decrease at entry ${k}`, 'body');
  }
  if (offsets[offsets.length - 1] !== end) throw new FormatError(`catalog layer: ${what} end at ${offsets[offsets.length - 1]}, expected ${end}`, 'body');
}
