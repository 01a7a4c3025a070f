import { userRecordKey } from '../../core/format/user-record.js';
import { modelStorage, parsePointer, type ActivePointer } from '../../core/storage/pointer.js';
import { readSlotPointer, readStoredSlots } from '../../core/storage/slot-reads.js';
import { parseServingConfig, slotStorage, type ServingConfig, type StoredSlots } from '../../core/storage/slots.js';
import { mapReads } from './kv-reads.js';
import { CustomerCache, CustomerShardReader, DEFAULT_CUSTOMER_CACHE_BYTES, memoryShardObjects } from './customer-shards.js';
import { fromBase64, type ModelSource } from './model-source.js';

/**
 * Published models in memory, in the same layout as KV (text values) and R2 (objects):
 * for tests, and for replaying what `publish` wrote to a MemoryStore. Customer shards are
 * read the way the KV and R2 source reads them (header and index, then ranged entries, with
 * the same cache), so tests of one hold for the other.
 */
export class MemorySource implements ModelSource {
  readonly name = 'memory';
  private readonly cache = new CustomerCache();
  private readonly shards: CustomerShardReader;

  constructor(
    readonly values: Map<string, string> = new Map(),
    readonly objects: Map<string, Uint8Array> = new Map(),
  ) {
    this.shards = new CustomerShardReader(memoryShardObjects(objects), this.cache, DEFAULT_CUSTOMER_CACHE_BYTES);
  }

  async pointer(seller: string, slot?: string): Promise<ActivePointer | null> {
    if (slot !== undefined) return readSlotPointer(mapReads(this.values), seller, slot);
    const text = this.values.get(modelStorage.active(seller));
    return text === undefined ? null : parsePointer(text, seller);
  }

  async serving(seller: string): Promise<{ config: ServingConfig; problems: string[] } | null> {
    const text = this.values.get(slotStorage.serving(seller));
    return text === undefined ? null : parseServingConfig(text, seller);
  }

  slots(seller: string): Promise<StoredSlots & { problems: string[] }> {
    return readStoredSlots(mapReads(this.values), seller);
  }

  async artifact(key: string): Promise<Uint8Array | null> {
    const bytes = this.objects.get(key);
    // A copy in a fresh buffer, as R2 gives.
    return bytes === undefined ? null : bytes.slice();
  }

  async userRecord(seller: string, pointer: ActivePointer, customer: string): Promise<Uint8Array | null> {
    if (pointer.customerShards) return this.shards.record(seller, pointer.version, pointer.customerShards, customer);
    let key: string;
    try {
      key = userRecordKey(seller, pointer.version, customer);
    } catch {
      return null;
    }
    const text = this.values.get(key);
    return text === undefined ? null : fromBase64(text);
  }

  forgetCustomer(seller: string, customer: string): void {
    this.cache.forgetCustomer(seller, customer);
  }
}
