import { userRecordKey } from '../../core/format/user-record.js';
import { fromBase64, type ModelSource } from './model-source.js';
import { modelStorage, parsePointer, type ActivePointer } from '../../core/storage/pointer.js';

/**
 * Published models in memory, in the same layout as KV (text values) and R2 (objects):
 * for tests, and for replaying what `publish` wrote to a MemoryStore.
 */
export class MemorySource implements ModelSource {
  readonly name = 'memory';

  constructor(
    readonly values: Map<string, string> = new Map(),
    readonly objects: Map<string, Uint8Array> = new Map(),
  ) {}

  async pointer(seller: string, type?: string): Promise<ActivePointer | null> {
    const text = this.values.get(type === undefined ? modelStorage.active(seller) : modelStorage.activeOfType(seller, type));
    return text === undefined ? null : parsePointer(text, seller);
  }

  async artifact(key: string): Promise<Uint8Array | null> {
    const bytes = this.objects.get(key);
    // A copy in a fresh buffer, as R2 gives.
    return bytes === undefined ? null : bytes.slice();
  }

  async userRecord(seller: string, version: string, customer: string): Promise<Uint8Array | null> {
    let key: string;
    try {
      key = userRecordKey(seller, version, customer);
    } catch {
      return null;
    }
    const text = this.values.get(key);
    return text === undefined ? null : fromBase64(text);
  }
}
