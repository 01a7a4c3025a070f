import { type CatalogLayer, compareBytes, ENTRY_FLAGS, FIELD } from './layer.js';

const encoder = new TextEncoder();

/** What the latest catalog holds for one item: the fields pushed for it (the others come from the artifact). */
export interface CatalogEntryView {
  title?: string;
  url?: string;
  image?: string;
  price?: number | null;
  in_stock?: boolean | null;
  category?: string;
  features?: string[];
  retired: boolean;
}

/**
 * One version of a seller's catalog overlay as the edge reads it: the delta over the base,
 * field by field. Merged positions `r` (0 to size - 1) run over the distinct ids of both
 * layers in id order.
 */
export class CatalogSnapshot {
  /** Distinct ids of base and delta. */
  readonly size: number;
  /** Per merged position: the base's entry, or -1. */
  private readonly rb: Int32Array;
  /** Per merged position: the delta's entry, or -1. */
  private readonly rd: Int32Array;

  constructor(
    /** The manifest's version number. */
    readonly version: number,
    readonly base: CatalogLayer | null,
    readonly delta: CatalogLayer | null,
  ) {
    const nb = base?.count ?? 0;
    const nd = delta?.count ?? 0;
    const rb = new Int32Array(nb + nd);
    const rd = new Int32Array(nb + nd);
    let b = 0;
    let d = 0;
    let r = 0;
    while (b < nb || d < nd) {
      const c = b >= nb ? 1 : d >= nd ? -1 : compareBytes(base!.idBytes(b), delta!.idBytes(d));
      rb[r] = c <= 0 ? b++ : -1;
      rd[r] = c >= 0 ? d++ : -1;
      r++;
    }
    this.size = r;
    this.rb = rb.subarray(0, r);
    this.rd = rd.subarray(0, r);
  }

  /** Memory the snapshot holds: its layers and the merged positions. */
  get bytes(): number {
    return (this.base?.byteLength ?? 0) + (this.delta?.byteLength ?? 0) + 8 * this.size;
  }

  /** The id bytes at merged position `r`. */
  idBytes(r: number): Uint8Array {
    return this.rd[r] >= 0 ? this.delta!.idBytes(this.rd[r]) : this.base!.idBytes(this.rb[r]);
  }

  /** The id at merged position `r`. */
  id(r: number): string {
    return this.rd[r] >= 0 ? this.delta!.id(this.rd[r]) : this.base!.id(this.rb[r]);
  }

  /** The merged position of an id, or -1 (binary search). */
  find(id: string | Uint8Array): number {
    const key = typeof id === 'string' ? encoder.encode(id) : id;
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.idBytes(mid), key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The layer and entry that decide field `bit` at `r`: the delta's when it sets it, else the base's; null when neither does. */
  private source(r: number, bit: number): [CatalogLayer, number] | null {
    const d = this.rd[r];
    if (d >= 0 && (this.delta!.fields[d] & bit) !== 0) return [this.delta!, d];
    const b = this.rb[r];
    if (b >= 0 && (this.base!.fields[b] & bit) !== 0) return [this.base!, b];
    return null;
  }

  /** Whether the catalog sets field `bit` for the item at `r`. */
  has(r: number, bit: number): boolean {
    return this.source(r, bit) !== null;
  }

  /** A text field ('' when pushed as null), or undefined when not pushed. */
  text(r: number, field: 'title' | 'url' | 'image' | 'category'): string | undefined {
    const bit = FIELD[field];
    const s = this.source(r, bit);
    if (s === null) return undefined;
    const [layer, i] = s;
    const col = field === 'title' ? layer.titleCol : field === 'url' ? layer.urlCol : field === 'image' ? layer.imageCol : layer.categoryCol;
    return layer.string(col[i]);
  }

  /** The category's string as stored (for comparing without decoding), or undefined when not pushed. */
  categoryRef(r: number): [CatalogLayer, number] | undefined {
    const s = this.source(r, FIELD.category);
    return s === null ? undefined : [s[0], s[0].categoryCol[s[1]]];
  }

  /** The price (NaN: pushed as unknown), or undefined when not pushed. */
  price(r: number): number | undefined {
    const s = this.source(r, FIELD.price);
    return s === null ? undefined : s[0].price[s[1]];
  }

  /** The stock (null: pushed as unknown), or undefined when not pushed. */
  stock(r: number): boolean | null | undefined {
    const s = this.source(r, FIELD.inStock);
    if (s === null) return undefined;
    const f = s[0].flags[s[1]];
    return (f & ENTRY_FLAGS.stockKnown) === 0 ? null : (f & ENTRY_FLAGS.inStock) !== 0;
  }

  /** Whether the item is retired. */
  retired(r: number): boolean {
    const s = this.source(r, FIELD.retired);
    return s !== null && (s[0].flags[s[1]] & ENTRY_FLAGS.retired) !== 0;
  }

  /** The tags pushed for the item, or undefined when none were. */
  tags(r: number): string[] | undefined {
    const s = this.source(r, FIELD.features);
    return s === null ? undefined : s[0].tags(s[1]);
  }

  /** The fields the catalog holds for the item at `r` (`GET …/catalog/:item`). */
  entry(r: number): CatalogEntryView {
    const out: CatalogEntryView = { retired: this.retired(r) };
    for (const f of ['title', 'url', 'image'] as const) {
      const v = this.text(r, f);
      if (v !== undefined) out[f] = v;
    }
    const price = this.price(r);
    if (price !== undefined) out.price = Number.isNaN(price) ? null : price;
    const stock = this.stock(r);
    if (stock !== undefined) out.in_stock = stock;
    const category = this.text(r, 'category');
    if (category !== undefined) out.category = category;
    const tags = this.tags(r);
    if (tags !== undefined) out.features = tags;
    return out;
  }
}
