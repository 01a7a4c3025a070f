/**
 * A model's items as the edge answers with them today: the artifact's items with the
 * seller's latest catalog over them (display data, filters, retired items), and the unseen
 * items of the catalog that a hybrid model scores from their tags (spec/edge-api.md,
 * "Catalog updates"). Without a catalog it is the artifact alone, answered as before.
 */
import type { Artifact } from '../format/artifact.js';
import { fromF16, toF16 } from '../format/f16.js';
import { quantizeRowInt8 } from '../format/quantize.js';
import { CATALOG_FLAGS } from '../format/spec.js';
import { compileFilter, type FilterSpec } from '../recommend/filters.js';
import { quantizeQuery, scoreF32Js, scoreInt8Js } from '../scoring/js-kernels.js';
import type { CatalogSnapshot } from './snapshot.js';
import { unseenVector } from './unseen.js';

/** Display data of an answered item. */
export interface ItemDisplay {
  title: string | null;
  url: string | null;
  image: string | null;
  price: number | null;
}

/** The unseen items' vectors, stored as the artifact's are (int8 rows with a scale, else f32). */
interface UnseenBlock {
  count: number;
  dim: number;
  int8: Int8Array | null;
  scales: Float32Array | null;
  f32: Float32Array | null;
  biases: Float32Array;
}

const STOCK_MASK = CATALOG_FLAGS.stockKnown | CATALOG_FLAGS.inStock;

/**
 * Item indices 0 to n - 1 are the artifact's items; n to count - 1 the unseen items of the
 * catalog that this model can score (only for an artifact with item vectors and an
 * `item-features` section).
 */
export class LiveItems {
  /** Items of the artifact. */
  readonly n: number;
  /** Items answerable: the artifact's and the unseen ones. */
  readonly count: number;
  /**
   * Scratch scores for all `count` items when there are unseen ones (else null: the model's
   * own scratch serves), reused by every request on this model and catalog version.
   */
  readonly scores: Float32Array | null;
  /** Artifact item -> merged catalog position, or -1 (null: no catalog). */
  private readonly over: Int32Array | null;
  /** Unseen item k -> merged catalog position. */
  private readonly unseenR: Int32Array;
  /** Merged catalog position -> unseen item k, or -1 (null: no unseen items). */
  private readonly unseenOf: Int32Array | null;
  private readonly unseen: UnseenBlock | null;
  private q32 = new Int32Array(0);

  private constructor(
    readonly artifact: Artifact,
    readonly snapshot: CatalogSnapshot | null,
  ) {
    this.n = artifact.itemCount;
    if (snapshot === null || snapshot.size === 0) {
      this.over = null;
      this.unseenR = new Int32Array(0);
      this.unseenOf = null;
      this.unseen = null;
      this.count = this.n;
      this.scores = null;
      return;
    }
    const over = new Int32Array(this.n).fill(-1);
    const candidates: number[] = [];
    for (let r = 0; r < snapshot.size; r++) {
      const i = artifact.itemIndex(snapshot.id(r));
      if (i >= 0) over[i] = r;
      else candidates.push(r);
    }
    this.over = over;
    const block = LiveItems.unseenBlock(artifact, snapshot, candidates);
    this.unseen = block?.vectors ?? null;
    this.unseenR = block?.positions ?? new Int32Array(0);
    if (block !== null) {
      const of = new Int32Array(snapshot.size).fill(-1);
      block.positions.forEach((r, k) => {
        of[r] = k;
      });
      this.unseenOf = of;
    } else this.unseenOf = null;
    this.count = this.n + this.unseenR.length;
    this.scores = this.unseenR.length > 0 ? new Float32Array(this.count) : null;
  }

  /** The items of `artifact` under the catalog `snapshot` (null: the artifact alone). */
  static of(artifact: Artifact, snapshot: CatalogSnapshot | null): LiveItems {
    return new LiveItems(artifact, snapshot);
  }

  /** Vectors of the catalog's items at `candidates` that this artifact can score: not retired, with a tag its features name. */
  private static unseenBlock(a: Artifact, snapshot: CatalogSnapshot, candidates: number[]): { positions: Int32Array; vectors: UnseenBlock } | null {
    const features = a.features;
    if (features === undefined || a.vectors === undefined || candidates.length === 0) return null;
    const dim = a.dim;
    const row = new Float32Array(dim);
    const kept: number[] = [];
    const rows: Float32Array[] = [];
    const biases: number[] = [];
    for (const r of candidates) {
      if (snapshot.retired(r)) continue;
      const tags = snapshot.tags(r);
      if (tags === undefined || tags.length === 0) continue;
      const made = unseenVector(features, tags, row);
      if (made.known === 0) continue;
      kept.push(r);
      rows.push(row.slice());
      biases.push(made.bias);
    }
    if (kept.length === 0) return null;
    const m = kept.length;
    const vectors: UnseenBlock = { count: m, dim, int8: null, scales: null, f32: null, biases: Float32Array.from(biases) };
    if (a.vectors.quantization === 'int8') {
      // As the artifact's rows: int8 with one scale per row (the spec's int8 rule).
      const values = new Int8Array(m * dim);
      const scales = new Float32Array(m);
      const flat = new Float32Array(m * dim);
      rows.forEach((v, k) => flat.set(v, k * dim));
      for (let k = 0; k < m; k++) scales[k] = quantizeRowInt8(flat, k * dim, (k + 1) * dim, values);
      vectors.int8 = values;
      vectors.scales = scales;
    } else {
      const values = new Float32Array(m * dim);
      rows.forEach((v, k) => values.set(v, k * dim));
      // f16 artifacts: the values an f16 row would hold.
      if (a.vectors.quantization === 'f16') for (let j = 0; j < values.length; j++) values[j] = fromF16(toF16(values[j]));
      vectors.f32 = values;
    }
    return { positions: Int32Array.from(kept), vectors };
  }

  /** Unseen items this model scores from their tags. */
  get unseenCount(): number {
    return this.count - this.n;
  }

  /** Bytes this view holds beside the artifact and the catalog. */
  get bytes(): number {
    const u = this.unseen;
    const vectorBytes = u === null ? 0 : (u.int8?.byteLength ?? 0) + (u.scales?.byteLength ?? 0) + (u.f32?.byteLength ?? 0) + u.biases.byteLength;
    return (this.over?.byteLength ?? 0) + this.unseenR.byteLength + (this.unseenOf?.byteLength ?? 0) + vectorBytes + (this.scores?.byteLength ?? 0);
  }

  /** The item index of an id (an artifact item, or an unseen item this model scores), or -1. */
  index(id: string): number {
    const i = this.artifact.itemIndex(id);
    if (i >= 0 || this.unseenOf === null) return i;
    const r = this.snapshot!.find(id);
    const k = r < 0 ? -1 : this.unseenOf[r];
    return k < 0 ? -1 : this.n + k;
  }

  /** Whether this model knows any of the ids. */
  knowsAny(ids: readonly string[]): boolean {
    return ids.some((id) => this.index(id) >= 0);
  }

  /** The id of item `i`. */
  id(i: number): string {
    return i < this.n ? this.artifact.itemId(i) : this.snapshot!.id(this.unseenR[i - this.n]);
  }

  /** The merged catalog position of item `i`, or -1. */
  private positionOf(i: number): number {
    if (i >= this.n) return this.unseenR[i - this.n];
    return this.over === null ? -1 : this.over[i];
  }

  /** Whether the catalog retired item `i`. */
  retired(i: number): boolean {
    const r = this.positionOf(i);
    return r >= 0 && this.snapshot!.retired(r);
  }

  /** Display data of item `i`: the catalog's fields, else the artifact's. */
  display(i: number): ItemDisplay {
    const r = this.positionOf(i);
    const e = i < this.n ? this.artifact.catalog?.entry(i) : undefined;
    if (r < 0) return { title: e?.title || null, url: e?.url || null, image: e?.image || null, price: e?.price ?? null };
    const s = this.snapshot!;
    const price = s.price(r);
    return {
      title: (s.text(r, 'title') ?? e?.title) || null,
      url: (s.text(r, 'url') ?? e?.url) || null,
      image: (s.text(r, 'image') ?? e?.image) || null,
      price: price === undefined ? (e?.price ?? null) : Number.isNaN(price) ? null : price,
    };
  }

  /**
   * Which items a query's filters let through (spec/edge-api.md, "Query parameters"): the
   * catalog's fields first, then the artifact's; never a retired item. Null when nothing is
   * filtered (no filter and no catalog).
   */
  filter(spec: FilterSpec): ((i: number) => boolean) | null {
    const base = compileFilter(this.artifact, spec);
    const s = this.snapshot;
    if (s === null || this.over === null) return base;
    const active = spec.category !== null || spec.inStock || spec.minPrice !== null || spec.maxPrice !== null;
    const catalog = this.artifact.catalog;
    const wanted = spec.category?.toLowerCase() ?? null;
    const min = spec.minPrice ?? Number.NEGATIVE_INFINITY;
    const max = spec.maxPrice ?? Number.POSITIVE_INFINITY;
    const priced = spec.minPrice !== null || spec.maxPrice !== null;
    const n = this.n;
    return (i) => {
      const r = this.positionOf(i);
      // Not in the catalog's updates: the artifact's catalog decides, as before.
      if (r < 0) return base === null || base(i);
      if (s.retired(r)) return false;
      if (!active) return true;
      if (wanted !== null) {
        const own = s.text(r, 'category');
        const category = own ?? (i < n && catalog !== undefined ? catalog.string(catalog.category[i]) : '');
        if (category.toLowerCase() !== wanted) return false;
      }
      if (spec.inStock) {
        const own = s.stock(r);
        if (own !== undefined ? own !== true : !(i < n && catalog !== undefined && (catalog.flags[i] & STOCK_MASK) === STOCK_MASK)) return false;
      }
      if (priced) {
        const own = s.price(r);
        const p = own !== undefined ? own : i < n && catalog !== undefined ? catalog.price[i] : Number.NaN;
        // NaN (unknown price) fails both comparisons.
        if (!(p >= min && p <= max)) return false;
      }
      return true;
    };
  }

  /** Adds item `i`'s vector to `out` (`row`: scratch of the dimension). */
  addVector(i: number, out: Float32Array, row: Float32Array): void {
    const dim = this.artifact.dim;
    if (i < this.n) {
      this.artifact.itemVector(i, row);
    } else {
      const u = this.unseen!;
      const k = i - this.n;
      if (u.int8 !== null) {
        const scale = u.scales![k];
        for (let j = 0; j < dim; j++) row[j] = u.int8[k * dim + j] * scale;
      } else {
        row.set(u.f32!.subarray(k * dim, (k + 1) * dim));
      }
    }
    for (let j = 0; j < dim; j++) out[j] += row[j];
  }

  /**
   * Scores the unseen items for `query` into `out[n .. count)`: vector . query + bias +
   * queryBias, with the kernels' arithmetic (int8: the query quantised as `scoreByVector` does).
   */
  scoreUnseen(query: Float32Array, out: Float32Array, queryBias = 0): void {
    const u = this.unseen;
    if (u === null) return;
    const target = out.subarray(this.n, this.count);
    if (u.int8 !== null) {
      if (this.q32.length < u.dim) this.q32 = new Int32Array(u.dim);
      const qScale = quantizeQuery(query, u.dim, this.q32);
      scoreInt8Js(u.int8, u.scales!, u.biases, this.q32, qScale, queryBias, u.count, u.dim, target);
    } else {
      scoreF32Js(u.f32!, u.biases, query, queryBias, u.count, u.dim, target);
    }
  }
}
