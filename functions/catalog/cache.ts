/**
 * The sellers' catalogs as an isolate keeps them (spec/model-format.md, "Catalog updates
 * (storage layout)", Reading): the manifest read from R2 and reused for `memoMs`; the layers
 * it names fetched once and kept while it names them, within a byte budget over all sellers
 * (least recently used seller first out); and per loaded model the live view of its items
 * under the current catalog, built once per catalog version.
 */
import { LiveItems } from '../../core/catalog/live.js';
import { type CatalogLayer, decodeLayer } from '../../core/catalog/layer.js';
import { CatalogSnapshot } from '../../core/catalog/snapshot.js';
import type { LoadedModel } from '../../core/recommend/model.js';
import type { Log } from '../../core/recommend/recommend.js';
import { catalogStorage, parseManifest } from './manifest.js';
import type { CatalogObjects } from './objects.js';

interface SellerCatalog {
  /** The manifest's etag of the snapshot; null when there is none. */
  etag: string | null;
  snapshot: CatalogSnapshot | null;
  /** The layer keys of the snapshot (to reuse decoded layers across versions). */
  layers: Map<string, CatalogLayer>;
  /** When the manifest was last read (ms); -Infinity: read it on the next request. */
  readAt: number;
  usedAt: number;
  loading: Promise<void> | null;
  /** Live views of the models answered with under this snapshot (dropped with it). */
  views: WeakMap<LoadedModel, LiveItems>;
  lastProblem: string | null;
}

interface ReadOptions {
  memoMs: number;
  now: number;
  /** Bytes of layers kept over all sellers. */
  maxBytes: number;
}

/** Sellers whose catalog state is kept at most (the least recently used dropped first). */
const MAX_SELLERS = 10_000;

/** Catalogs in isolate memory. */
export class CatalogCache {
  private readonly sellers = new Map<string, SellerCatalog>();

  constructor(private readonly log: Log) {}

  private state(seller: string): SellerCatalog {
    let s = this.sellers.get(seller);
    if (s === undefined) {
      if (this.sellers.size >= MAX_SELLERS) {
        const oldest = [...this.sellers.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt)[0];
        if (oldest) this.sellers.delete(oldest[0]);
      }
      s = {
        etag: null,
        snapshot: null,
        layers: new Map(),
        readAt: Number.NEGATIVE_INFINITY,
        usedAt: 0,
        loading: null,
        views: new WeakMap(),
        lastProblem: null,
      };
      this.sellers.set(seller, s);
    }
    return s;
  }

  /**
   * The seller's current catalog (null: nothing pushed, or nothing readable yet). Never
   * throws: a manifest or layer that cannot be read is logged (`catalog_unreadable`) and the
   * last good catalog kept.
   */
  async snapshot(seller: string, objects: CatalogObjects, options: ReadOptions): Promise<CatalogSnapshot | null> {
    const s = this.state(seller);
    s.usedAt = options.now;
    if (options.now - s.readAt < options.memoMs) return s.snapshot;
    s.loading ??= this.refresh(seller, s, objects, options).finally(() => {
      s.loading = null;
    });
    await s.loading;
    return s.snapshot;
  }

  private async refresh(seller: string, s: SellerCatalog, objects: CatalogObjects, options: ReadOptions): Promise<void> {
    try {
      const got = await objects.get(catalogStorage.manifest(seller));
      if (got === null) {
        this.replace(s, null, null, new Map());
      } else if (got.etag !== s.etag) {
        const m = parseManifest(new TextDecoder().decode(got.bytes), seller);
        const layers = new Map<string, CatalogLayer>();
        const load = async (key: string) => {
          const have = s.layers.get(key);
          if (have !== undefined) return have;
          const o = await objects.get(key);
          if (o === null) throw new Error(`no object at ${key}`);
          return decodeLayer(o.bytes);
        };
        for (const ref of [m.base, m.delta]) if (ref !== null) layers.set(ref.key, await load(ref.key));
        const snapshot = new CatalogSnapshot(m.version, m.base ? layers.get(m.base.key)! : null, m.delta ? layers.get(m.delta.key)! : null);
        this.replace(s, snapshot, got.etag, layers);
        this.evict(seller, options.maxBytes);
      }
      s.lastProblem = null;
    } catch (err) {
      s.lastProblem = (err as Error).message;
      this.log({ event: 'catalog_unreadable', seller, error: s.lastProblem, serving: s.snapshot === null ? null : `version ${s.snapshot.version}` });
    }
    // Read again after the memo, whether or not this read succeeded.
    s.readAt = options.now;
  }

  private replace(s: SellerCatalog, snapshot: CatalogSnapshot | null, etag: string | null, layers: Map<string, CatalogLayer>): void {
    s.snapshot = snapshot;
    s.etag = etag;
    s.layers = layers;
    s.views = new WeakMap();
  }

  /** Drops the least recently used sellers' catalogs until the layers kept fit `maxBytes` (never `keep`'s). */
  private evict(keep: string, maxBytes: number): void {
    let total = 0;
    for (const s of this.sellers.values()) total += s.snapshot?.bytes ?? 0;
    if (total <= maxBytes) return;
    const byAge = [...this.sellers.entries()].filter(([k, s]) => k !== keep && s.snapshot !== null).sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [seller, s] of byAge) {
      if (total <= maxBytes) break;
      total -= s.snapshot!.bytes;
      this.log({ event: 'catalog_evicted', seller, bytes: s.snapshot!.bytes });
      this.replace(s, null, null, new Map());
      s.readAt = Number.NEGATIVE_INFINITY;
    }
  }

  /**
   * The model's items under the seller's current catalog (as the last `snapshot` call read
   * it): built once per model and catalog version.
   */
  live(seller: string, model: LoadedModel): LiveItems {
    const s = this.sellers.get(seller);
    if (s === undefined || s.snapshot === null) return LiveItems.of(model.artifact, null);
    let view = s.views.get(model);
    if (view === undefined) {
      view = LiveItems.of(model.artifact, s.snapshot);
      s.views.set(model, view);
    }
    return view;
  }

  /** Forgets the memo of a seller's manifest (this isolate just wrote it): the next request reads it. */
  forget(seller: string): void {
    const s = this.sellers.get(seller);
    if (s !== undefined) s.readAt = Number.NEGATIVE_INFINITY;
  }

  /** Forgets everything (tests). */
  clear(): void {
    this.sellers.clear();
  }
}
