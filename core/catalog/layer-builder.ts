/**
 * Writes catalog layers (P1CL). Entries are added in ascending id order; their strings are
 * texts, or strings of an existing layer, which are copied without being decoded (a
 * compaction copies most of the base this way). Categories and tags are stored once each;
 * ids, titles and links are not deduplicated (they are mostly unique), and titles and links
 * share the prefixes the builder is given.
 */
import { xxh32 } from '../format/checksum.js';
import { prefixCandidates } from '../format/string-table.js';
import { MAX_PREFIXES } from '../format/spec.js';
import { type CatalogLayer, compareBytes, LAYER_HEADER_BYTES, LAYER_MAGIC, LAYER_VERSION, layerLayout } from './layer.js';

/** A value of a string column: text, or string `k` of an existing layer. */
export type Str = string | { layer: CatalogLayer; k: number };

/** One entry as the builder takes it. */
export interface BuildEntry {
  id: Str;
  fields: number;
  flags: number;
  title: Str;
  url: Str;
  image: Str;
  category: Str;
  /** NaN when unknown or not set. */
  price: number;
  tags: readonly Str[];
}

const encoder = new TextEncoder();

/** A growable array of numbers of one typed-array kind. */
class Grow<T extends Uint32Array | Uint16Array | Uint8Array | Float64Array> {
  length = 0;
  private data: T;
  constructor(
    private readonly make: (n: number) => T,
    initial: readonly number[] = [],
  ) {
    this.data = make(Math.max(16, initial.length));
    for (const v of initial) this.push(v);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1);
    this.data[this.length++] = v;
  }
  reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const next = this.make(Math.max(this.data.length * 2, this.length + extra));
    next.set(this.data.subarray(0, this.length) as never);
    this.data = next;
  }
  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    (this.data as Uint8Array).set(bytes, this.length);
    this.length += bytes.length;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/** Builds one layer. */
export class LayerBuilder {
  private readonly ids = new Grow((n) => new Uint32Array(n));
  private readonly title = new Grow((n) => new Uint32Array(n));
  private readonly url = new Grow((n) => new Uint32Array(n));
  private readonly image = new Grow((n) => new Uint32Array(n));
  private readonly category = new Grow((n) => new Uint32Array(n));
  private readonly price = new Grow((n) => new Float64Array(n));
  private readonly fields = new Grow((n) => new Uint16Array(n));
  private readonly flags = new Grow((n) => new Uint8Array(n));
  private readonly tagOffsets = new Grow((n) => new Uint32Array(n), [0]);
  private readonly tagList = new Grow((n) => new Uint32Array(n));
  // The string table: offsets (string 0, '', starts and ends at 0), prefixes, suffix bytes.
  private readonly stringEnds = new Grow((n) => new Uint32Array(n), [0, 0]);
  private readonly stringPrefix = new Grow((n) => new Uint16Array(n), [0]);
  private readonly stringBytes = new Grow((n) => new Uint8Array(n));
  private readonly shared = new Map<string, number>([['', 0]]);
  private readonly prefixIndex = new Map<string, number>();
  private readonly prefixes: string[] = [''];
  private last: Uint8Array | null = null;

  /** `prefixes`: the prefixes titles and links may share (each ending at a '/'; at most 65535 are used). */
  constructor(prefixes: Iterable<string>) {
    for (const p of prefixes) {
      if (p === '' || this.prefixIndex.has(p) || this.prefixes.length >= MAX_PREFIXES) continue;
      this.prefixIndex.set(p, this.prefixes.length);
      this.prefixes.push(p);
    }
  }

  /** Entries added so far. */
  get count(): number {
    return this.ids.length;
  }

  private newString(prefix: number, suffix: Uint8Array): number {
    this.stringBytes.append(suffix);
    this.stringEnds.push(this.stringBytes.length);
    this.stringPrefix.push(prefix);
    return this.stringEnds.length - 2;
  }

  /** The best prefix of a text: its longest leading part ending at '/' that the table has. */
  private prefixOf(s: string): number {
    const candidates = prefixCandidates(s);
    for (let c = candidates.length - 1; c >= 0; c--) {
      const p = this.prefixIndex.get(candidates[c]);
      if (p !== undefined) return p;
    }
    return 0;
  }

  /** A title or link: its own string, sharing a prefix. */
  private plain(v: Str): number {
    if (typeof v === 'string') {
      if (v === '') return 0;
      const p = this.prefixOf(v);
      return this.newString(p, encoder.encode(p === 0 ? v : v.slice(this.prefixes[p].length)));
    }
    if (v.k === 0) return 0;
    const from = v.layer.stringPrefix[v.k];
    const p = from === 0 ? 0 : this.prefixIndex.get(v.layer.prefix(from));
    // A prefix this layer does not have: the text is split again.
    if (p === undefined) return this.plain(v.layer.string(v.k));
    return this.newString(p, v.layer.suffix(v.k));
  }

  /** A category or tag: stored once per layer. */
  private sharedString(v: Str): number {
    const text = typeof v === 'string' ? v : v.layer.string(v.k);
    let k = this.shared.get(text);
    if (k === undefined) {
      k = this.newString(0, encoder.encode(text));
      this.shared.set(text, k);
    }
    return k;
  }

  /** Adds an entry; ids must come in ascending UTF-8 byte order, each once. */
  add(e: BuildEntry): void {
    const idBytes = typeof e.id === 'string' ? encoder.encode(e.id) : e.id.layer.suffix(e.id.k);
    if (idBytes.length === 0) throw new RangeError('a catalog entry needs a non-empty id');
    if (this.last !== null && compareBytes(this.last, idBytes) >= 0) {
      throw new RangeError(
        `catalog entries must come in ascending id order, each once: ${JSON.stringify(new TextDecoder().decode(idBytes))} comes after or equals the one before`,
      );
    }
    // Ids are stored whole (prefix 0), so that a reader compares them in place.
    this.ids.push(this.newString(0, idBytes));
    this.last = idBytes;
    this.title.push(this.plain(e.title));
    this.url.push(this.plain(e.url));
    this.image.push(this.plain(e.image));
    this.category.push(e.category === '' ? 0 : this.sharedString(e.category));
    this.price.push(e.price);
    this.fields.push(e.fields);
    this.flags.push(e.flags);
    for (const t of e.tags) this.tagList.push(this.sharedString(t));
    this.tagOffsets.push(this.tagList.length);
  }

  /** The layer's bytes. */
  finish(): Uint8Array {
    const n = this.ids.length;
    const tags = this.tagList.length;
    const strings = this.stringPrefix.length;
    const stringBytes = this.stringBytes.length;
    const prefixBytes = this.prefixes.map((p) => encoder.encode(p));
    const prefixTotal = prefixBytes.reduce((s, b) => s + b.length, 0);
    const lay = layerLayout(n, tags, strings, stringBytes, prefixBytes.length, prefixTotal);
    const out = new Uint8Array(lay.total);
    const buf = out.buffer;
    new Uint32Array(buf, lay.id, n).set(this.ids.view());
    new Uint32Array(buf, lay.title, n).set(this.title.view());
    new Uint32Array(buf, lay.url, n).set(this.url.view());
    new Uint32Array(buf, lay.image, n).set(this.image.view());
    new Uint32Array(buf, lay.category, n).set(this.category.view());
    new Float64Array(buf, lay.price, n).set(this.price.view());
    new Uint16Array(buf, lay.fields, n).set(this.fields.view());
    new Uint8Array(buf, lay.flags, n).set(this.flags.view());
    new Uint32Array(buf, lay.tagOffsets, n + 1).set(this.tagOffsets.view());
    new Uint32Array(buf, lay.tagList, tags).set(this.tagList.view());
    new Uint32Array(buf, lay.stringOffsets, strings + 1).set(this.stringEnds.view());
    new Uint16Array(buf, lay.stringPrefix, strings).set(this.stringPrefix.view());
    const prefixOffsets = new Uint32Array(buf, lay.prefixOffsets, prefixBytes.length + 1);
    let at = 0;
    prefixBytes.forEach((b, k) => {
      out.set(b, lay.prefixData + at);
      at += b.length;
      prefixOffsets[k + 1] = at;
    });
    out.set(this.stringBytes.view(), lay.stringData);
    out.set(LAYER_MAGIC, 0);
    out[4] = LAYER_VERSION;
    const view = new DataView(buf);
    [n, tags, strings, stringBytes, prefixBytes.length, prefixTotal].forEach((v, k) => view.setUint32(8 + 4 * k, v, true));
    view.setUint32(32, xxh32(out.subarray(LAYER_HEADER_BYTES)), true);
    view.setUint32(36, xxh32(out.subarray(0, 36)), true);
    return out;
  }
}
