/**
 * What the workers tests get from their global setup (test/worker-global-setup.ts, run in
 * Node): models trained by the trainer from a small fixture, exported with a catalog and
 * published by `publish()` into memory. The tests replay these KV values and R2 objects
 * into the real KV and R2 bindings of workerd.
 */
export interface WorkerFixtures {
  /** KV values as `publish` wrote them (pointers, version lists). */
  values: [string, string][];
  /** R2 objects, base64 (artifacts, cards, customer shards). */
  objects: [string, string][];
  /** Seller id of each published model type. */
  sellers: { lightfm: string; 'item-knn': string; 'user-knn': string; popularity: string };
  /** Item ids of the fixture (sku0 … sku23). */
  items: string[];
  /** Customers with a record in every model that has records. */
  customers: string[];
  /**
   * A seller with several slots (spec/model-format.md, "Slots"): `warp` (hybrid MF with item
   * features, two versions), `bpr` (hybrid MF), `ease` (item-knn), `lookalike` (user-knn),
   * each version's card with served figures; its serving configuration as the publishes
   * filled it (every surface -> warp).
   */
  slotsSeller: string;
  /** An item only the hybrid models of the slots seller know (it has features, no sales). */
  newItem: string;
}

/** The seller of each model type. */
export const FIXTURE_SELLERS: WorkerFixtures['sellers'] = {
  lightfm: 'shop-lightfm',
  'item-knn': 'shop-itemknn',
  'user-knn': 'shop-userknn',
  popularity: 'shop-popularity',
};

/** The seller with several slots. */
export const SLOTS_SELLER = 'shop-slots';

declare module 'vitest' {
  export interface ProvidedContext {
    plusone: WorkerFixtures;
  }
}
