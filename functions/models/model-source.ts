import type { ActivePointer } from '../../core/storage/pointer.js';
import type { ServingConfig, StoredSlots } from '../../core/storage/slots.js';

/**
 * Where a seller's published models come from. The model cache and the scoring code speak
 * only this interface, so they never know whether bytes come from KV and R2 or memory.
 */
export interface ModelSource {
  /** A short name for logs. */
  readonly name: string;
  /**
   * A slot's pointer (`sellers/<S>/slots/<slot>/active`; for a slot named like a model type
   * without one, the older `sellers/<S>/active/<type>`), or without a slot the older active
   * pointer `sellers/<S>/active`; null when there is none. Throws when storage fails or the
   * pointer is malformed.
   */
  pointer(seller: string, slot?: string): Promise<ActivePointer | null>;
  /**
   * The seller's serving configuration (null: none), with the rules that did not parse
   * (left out). Throws when storage fails or the value is not a configuration at all.
   */
  serving(seller: string): Promise<{ config: ServingConfig; problems: string[] } | null>;
  /** Everything stored about the seller's slots, for listings (`GET …/models`); values that do not parse are named in `problems`. */
  slots(seller: string): Promise<StoredSlots & { problems: string[] }>;
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
