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
}

/** The seller of each model type. */
export const FIXTURE_SELLERS: WorkerFixtures['sellers'] = {
  lightfm: 'shop-lightfm',
  'item-knn': 'shop-itemknn',
  'user-knn': 'shop-userknn',
  popularity: 'shop-popularity',
};

declare module 'vitest' {
  export interface ProvidedContext {
    plusone: WorkerFixtures;
  }
}
