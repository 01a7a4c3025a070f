import { userRecordKey } from '../../core/format/user-record.js';
import { fromBase64, type ModelSource } from './model-source.js';
import { modelStorage, parsePointer, type ActivePointer } from '../../core/storage/pointer.js';

interface KvR2SourceOptions {
  /** `cacheTtl` of KV reads, seconds (at least 30). */
  cacheTtl: number;
}

/** Published models on Cloudflare: pointers and per-customer records in KV, artifacts in R2. */
export class KvR2Source implements ModelSource {
  readonly name = 'kv+r2';

  constructor(
    private readonly kv: KVNamespace,
    private readonly bucket: R2Bucket,
    private readonly options: KvR2SourceOptions,
  ) {}

  async pointer(seller: string, type?: string): Promise<ActivePointer | null> {
    const key = type === undefined ? modelStorage.active(seller) : modelStorage.activeOfType(seller, type);
    const text = await this.kv.get(key, { type: 'text', cacheTtl: this.options.cacheTtl });
    return text === null ? null : parsePointer(text, seller);
  }

  async artifact(key: string): Promise<Uint8Array | null> {
    const object = await this.bucket.get(key);
    if (object === null) return null;
    // A fresh ArrayBuffer starts 8-byte aligned, so the decoder views its arrays in place.
    return new Uint8Array(await object.arrayBuffer());
  }

  async userRecord(seller: string, version: string, customer: string): Promise<Uint8Array | null> {
    let key: string;
    try {
      key = userRecordKey(seller, version, customer);
    } catch {
      return null; // an id too long for a KV key has no record
    }
    // Records never change once written (they belong to one version): cache them longer.
    const text = await this.kv.get(key, { type: 'text', cacheTtl: Math.max(this.options.cacheTtl, 300) });
    return text === null ? null : fromBase64(text);
  }
}
