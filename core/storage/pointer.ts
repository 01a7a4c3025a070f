import { CUSTOMER_SHARD_VERSION, isShardCount } from '../format/customer-shard.js';

/**
 * Where a version's customer records are (spec/model-format.md, "Customer shards"): `count`
 * shard objects `customers/<NNNN>.bin` in the version's folder, of shard format `format`.
 */
export interface CustomerShards {
  count: number;
  format: number;
}

/**
 * What `sellers/<S>/active` holds: the JSON that `plusone publish` and `plusone rollback`
 * write (trainer/publish/publish.ts), read here without importing the trainer.
 */
export interface ActivePointer {
  version: string;
  /** Model type of the artifact (`lightfm`, `item-knn`, `user-knn`, `popularity`). */
  model: string;
  /** R2 key of the artifact. */
  artifact: string;
  /** SHA-256 (hex) of the artifact's bytes. */
  sha256: string;
  items: number;
  customers: number;
  published: string;
  previous: string | null;
  /**
   * The version's customer records are in R2 shards. Absent: the older layout, one KV value
   * per customer (`users/<C>`), which the edge still reads for versions published before.
   */
  customerShards?: CustomerShards;
  /** The slot the version is in (core/storage/slots.ts); absent in pointers written before the slots. */
  slot?: string;
}

/**
 * KV and R2 keys of the published-model layout (spec/model-format.md; the slots' keys are in
 * core/storage/slots.ts).
 */
export const modelStorage = {
  /** The older active pointer (before the slots): every surface without a serving rule. */
  active: (seller: string) => `sellers/${seller}/active`,
  /**
   * The older pointer to the latest version of one model type (`lightfm`, `item-knn`, …),
   * written beside `active` by publishes before the slots; read as the slot of that name.
   */
  activeOfType: (seller: string, type: string) => `sellers/${seller}/active/${type}`,
  artifact: (seller: string, version: string) => `sellers/${seller}/models/${version}/artifact.bin`,
  /** R2 key of one customer shard: the shard number zero-padded to 4 digits (shard counts go to 4096). */
  customerShard: (seller: string, version: string, shard: number) => `sellers/${seller}/models/${version}/customers/${String(shard).padStart(4, '0')}.bin`,
};

/**
 * Checks a `customerShards` field (of a pointer or a version entry); throws an Error naming
 * what is wrong. An unknown shard format is refused: this reader could not find the records.
 */
export function parseCustomerShards(raw: unknown, where: string): CustomerShards {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where} has a customerShards that is not an object`);
  const { count, format } = raw as Record<string, unknown>;
  if (!isShardCount(count)) throw new Error(`${where} has customerShards.count ${JSON.stringify(count)}; it must be a power of two from 1 to 4096`);
  if (format !== CUSTOMER_SHARD_VERSION)
    throw new Error(`${where} has customerShards.format ${JSON.stringify(format)}; this edge reads format ${CUSTOMER_SHARD_VERSION} (deploy a newer worker)`);
  return { count, format };
}

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A slot name (core/storage/slots.ts repeats it with the rules around it). */
const SLOT_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Reads a pointer (`key`, default the older `sellers/<S>/active`, names it in errors),
 * checking the fields the edge uses; throws an Error naming the bad field.
 */
export function parsePointer(text: string, seller: string, key = modelStorage.active(seller)): ActivePointer {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`the pointer ${key} is not JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`the pointer ${key} is not a JSON object`);
  const p = raw as Record<string, unknown>;
  const bad = (field: string) => new Error(`the pointer ${key} has a missing or invalid ${field}`);
  if (typeof p.version !== 'string' || !VERSION.test(p.version)) throw bad('version');
  if (typeof p.artifact !== 'string' || !p.artifact.startsWith(`sellers/${seller}/`)) throw bad('artifact (it must be under sellers/<seller>/)');
  if (typeof p.sha256 !== 'string' || !SHA256.test(p.sha256)) throw bad('sha256');
  if (typeof p.model !== 'string') throw bad('model');
  const pointer: ActivePointer = {
    version: p.version,
    model: p.model,
    artifact: p.artifact,
    sha256: p.sha256,
    items: typeof p.items === 'number' ? p.items : 0,
    customers: typeof p.customers === 'number' ? p.customers : 0,
    published: typeof p.published === 'string' ? p.published : '',
    previous: typeof p.previous === 'string' ? p.previous : null,
  };
  if (p.customerShards !== undefined) pointer.customerShards = parseCustomerShards(p.customerShards, `the pointer ${key}`);
  if (p.slot !== undefined) {
    if (typeof p.slot !== 'string' || !SLOT_NAME.test(p.slot)) throw bad('slot');
    pointer.slot = p.slot;
  }
  return pointer;
}
