import { userRecordKey } from '../../core/format/user-record.js';
import { modelStorage, parsePointer, type ActivePointer } from '../../core/storage/pointer.js';
import { readSlotPointer, readStoredSlots, type KeyValueReads } from '../../core/storage/slot-reads.js';
import { parseServingConfig, slotStorage, type ServingConfig, type StoredSlots } from '../../core/storage/slots.js';
import { kvReads } from './kv-reads.js';
import { CustomerCache, CustomerShardReader, DEFAULT_CUSTOMER_CACHE_BYTES, r2ShardObjects } from './customer-shards.js';
import { fromBase64, type ModelSource } from './model-source.js';

interface KvR2SourceOptions {
  /** `cacheTtl` of KV reads, seconds (at least 30). */
  cacheTtl: number;
  /** The isolate's cache of shard indexes and records (the app's); default one of this source's own. */
  customers?: CustomerCache;
  /** Bound of that cache, bytes. */
  customerCacheBytes?: number;
}

/** Published models on Cloudflare: pointers (and older versions' per-customer records) in KV; artifacts and customer shards in R2. */
export class KvR2Source implements ModelSource {
  readonly name = 'kv+r2';
  private readonly cache: CustomerCache;
  private readonly shards: CustomerShardReader;
  private readonly reads: KeyValueReads;

  constructor(
    private readonly kv: KVNamespace,
    private readonly bucket: R2Bucket,
    private readonly options: KvR2SourceOptions,
  ) {
    this.cache = options.customers ?? new CustomerCache();
    this.reads = kvReads(kv, options.cacheTtl);
    this.shards = new CustomerShardReader(r2ShardObjects(bucket), this.cache, options.customerCacheBytes ?? DEFAULT_CUSTOMER_CACHE_BYTES);
  }

  async pointer(seller: string, slot?: string): Promise<ActivePointer | null> {
    if (slot !== undefined) return readSlotPointer(this.reads, seller, slot);
    const text = await this.kv.get(modelStorage.active(seller), { type: 'text', cacheTtl: this.options.cacheTtl });
    return text === null ? null : parsePointer(text, seller);
  }

  async serving(seller: string): Promise<{ config: ServingConfig; problems: string[] } | null> {
    const text = await this.kv.get(slotStorage.serving(seller), { type: 'text', cacheTtl: this.options.cacheTtl });
    return text === null ? null : parseServingConfig(text, seller);
  }

  slots(seller: string): Promise<StoredSlots & { problems: string[] }> {
    return readStoredSlots(this.reads, seller);
  }

  async artifact(key: string): Promise<Uint8Array | null> {
    const object = await this.bucket.get(key);
    if (object === null) return null;
    // A fresh ArrayBuffer starts 8-byte aligned, so the decoder views its arrays in place.
    return new Uint8Array(await object.arrayBuffer());
  }

  async userRecord(seller: string, pointer: ActivePointer, customer: string): Promise<Uint8Array | null> {
    if (pointer.customerShards) return this.shards.record(seller, pointer.version, pointer.customerShards, customer);
    // A version published before the shards: one KV value per customer.
    let key: string;
    try {
      key = userRecordKey(seller, pointer.version, customer);
    } catch {
      return null; // an id too long for a KV key has no record
    }
    // Records never change once written (they belong to one version): cache them longer.
    const text = await this.kv.get(key, { type: 'text', cacheTtl: Math.max(this.options.cacheTtl, 300) });
    return text === null ? null : fromBase64(text);
  }

  forgetCustomer(seller: string, customer: string): void {
    this.cache.forgetCustomer(seller, customer);
  }
}
