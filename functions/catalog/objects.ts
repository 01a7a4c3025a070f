/**
 * The object storage the catalog lives in (R2), as the catalog code needs it: reads with an
 * etag, conditional writes, deletes. One interface, two implementations: R2 (the worker)
 * and memory (tests, which can also interleave another writer).
 */

/** An object's bytes and its etag. */
export interface StoredObject {
  bytes: Uint8Array;
  etag: string;
}

/** A write's condition: the object still has this etag, or (null) there is no object yet. */
export type WriteCondition = { etag: string } | { absent: true };

export interface CatalogObjects {
  get(key: string): Promise<StoredObject | null>;
  /** Writes `bytes`; with `onlyIf`, only when the condition holds: false when it did not (nothing written). */
  put(key: string, bytes: Uint8Array, onlyIf?: WriteCondition): Promise<boolean>;
  delete(keys: string[]): Promise<void>;
}

/** R2 as {@link CatalogObjects}. */
export function r2Objects(bucket: R2Bucket): CatalogObjects {
  return {
    async get(key) {
      const object = await bucket.get(key);
      if (object === null) return null;
      // A fresh ArrayBuffer starts 8-byte aligned: the layer decoder views it in place.
      return { bytes: new Uint8Array(await object.arrayBuffer()), etag: object.etag };
    },
    async put(key, bytes, onlyIf) {
      if (onlyIf === undefined) {
        await bucket.put(key, bytes);
        return true;
      }
      const condition: R2Conditional | Headers = 'etag' in onlyIf ? { etagMatches: onlyIf.etag } : new Headers({ 'If-None-Match': '*' });
      return (await bucket.put(key, bytes, { onlyIf: condition })) !== null;
    },
    async delete(keys) {
      if (keys.length > 0) await bucket.delete(keys);
    },
  };
}

/** Objects in memory; `beforePut` runs before each write (a test's concurrent writer). */
export class MemoryObjects implements CatalogObjects {
  readonly objects = new Map<string, StoredObject>();
  private counter = 0;
  beforePut: ((key: string) => Promise<void> | void) | null = null;

  async get(key: string): Promise<StoredObject | null> {
    const o = this.objects.get(key);
    return o === undefined ? null : { bytes: o.bytes.slice(), etag: o.etag };
  }

  async put(key: string, bytes: Uint8Array, onlyIf?: WriteCondition): Promise<boolean> {
    const hook = this.beforePut;
    if (hook !== null) await hook(key);
    const current = this.objects.get(key);
    if (onlyIf !== undefined) {
      if ('etag' in onlyIf ? current?.etag !== onlyIf.etag : current !== undefined) return false;
    }
    this.objects.set(key, { bytes: bytes.slice(), etag: `e${++this.counter}` });
    return true;
  }

  async delete(keys: string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}
