import type { ActivePointer } from '../../core/storage/pointer.js';

/**
 * Where a seller's published models come from. The model cache and the scoring code speak
 * only this interface, so they never know whether bytes come from KV and R2 or memory.
 */
export interface ModelSource {
  /** A short name for logs. */
  readonly name: string;
  /**
   * The seller's active pointer, or with `type` the pointer to the latest version of that
   * model type; null when there is none. Throws when storage fails or the pointer is malformed.
   */
  pointer(seller: string, type?: string): Promise<ActivePointer | null>;
  /** An artifact's bytes by its storage key; null when there is no such object. */
  artifact(key: string): Promise<Uint8Array | null>;
  /**
   * A customer's record for the version a pointer names (spec/model-format.md, "Per-customer
   * records"): from its customer shards when the pointer has `customerShards`, else from the
   * older per-customer KV values. Null when there is none. Throws when storage fails.
   */
  userRecord(seller: string, pointer: ActivePointer, customer: string): Promise<Uint8Array | null>;
  /** Forgets what this isolate keeps of a customer's records (after the customer was deleted). */
  forgetCustomer(seller: string, customer: string): void;
}

/** Decodes base64 text (how records are stored in KV); throws when it is not base64. */
export function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text.trim());
  } catch {
    throw new Error('the stored record is not base64');
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
