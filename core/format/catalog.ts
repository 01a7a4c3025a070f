import { CATALOG_FLAGS } from './spec.js';

const utf8 = new TextDecoder();

/** Display data of one item. Items without a catalog row read `listed: false` and empty values. */
interface CatalogEntry {
  /** Whether the catalog had a row for the item. */
  listed: boolean;
  title: string;
  url: string;
  image: string;
  category: string;
  /** Null when unknown. */
  price: number | null;
  /** Null when unknown. */
  inStock: boolean | null;
}

/** The arrays of a `catalog` section (views into the artifact). */
interface CatalogArrays {
  title: Uint32Array;
  url: Uint32Array;
  image: Uint32Array;
  category: Uint32Array;
  price: Float64Array;
  flags: Uint8Array;
  stringOffsets: Uint32Array;
  stringPrefix: Uint16Array;
  prefixOffsets: Uint32Array;
  prefixBytes: Uint8Array;
  stringBytes: Uint8Array;
}

/**
 * Catalog display data over the `catalog` section. The per-item columns are typed arrays
 * (string columns hold string indices: equal strings have equal indices, so categories
 * compare as integers); strings are decoded only when asked for.
 */
export class Catalog {
  readonly title: Uint32Array;
  readonly url: Uint32Array;
  readonly image: Uint32Array;
  readonly category: Uint32Array;
  /** Prices; NaN when unknown. */
  readonly price: Float64Array;
  /** Per-item bits: 1 listed, 2 stock known, 4 in stock. */
  readonly flags: Uint8Array;
  /** Number of strings in the string table (string 0 is ''). */
  readonly stringCount: number;
  private readonly a: CatalogArrays;
  private readonly prefixes: string[];

  constructor(arrays: CatalogArrays) {
    this.a = arrays;
    this.title = arrays.title;
    this.url = arrays.url;
    this.image = arrays.image;
    this.category = arrays.category;
    this.price = arrays.price;
    this.flags = arrays.flags;
    this.stringCount = arrays.stringPrefix.length;
    const p = arrays.prefixOffsets;
    this.prefixes = [];
    for (let k = 0; k + 1 < p.length; k++) this.prefixes.push(utf8.decode(arrays.prefixBytes.subarray(p[k], p[k + 1])));
  }

  /** String `k` of the string table. */
  string(k: number): string {
    const a = this.a;
    const suffix = utf8.decode(a.stringBytes.subarray(a.stringOffsets[k], a.stringOffsets[k + 1]));
    return this.prefixes[a.stringPrefix[k]] + suffix;
  }

  /** The display data of item `i`. */
  entry(i: number): CatalogEntry {
    const f = this.flags[i];
    const price = this.price[i];
    return {
      listed: (f & CATALOG_FLAGS.listed) !== 0,
      title: this.string(this.title[i]),
      url: this.string(this.url[i]),
      image: this.string(this.image[i]),
      category: this.string(this.category[i]),
      price: Number.isNaN(price) ? null : price,
      inStock: (f & CATALOG_FLAGS.stockKnown) !== 0 ? (f & CATALOG_FLAGS.inStock) !== 0 : null,
    };
  }
}
