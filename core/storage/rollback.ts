/**
 * Rolling a slot back (spec/model-format.md, "Slots, pointers and the serving configuration"):
 * which version a rollback goes to, and the pointer it writes. Shared by the publisher
 * (`plusone rollback`, trainer/publish/slots.ts) and the edge (`POST
 * /v1/sellers/:seller/slots/:slot/rollback`), which check the target's artifact each in their
 * own way (the publisher decodes it; the edge compares its SHA-256) and write the pointer.
 */
import { modelStorage, type ActivePointer } from './pointer.js';
import { readSlotPointer, type KeyValueReads } from './slot-reads.js';
import { byPublished, parseLegacyVersions, parseSlotKey, parseVersionEntry, slotNameProblem, slotStorage, type VersionEntry } from './slots.js';

/** Why a rollback cannot be done as asked; nothing was written. */
export type RollbackRefusal = 'invalid_slot' | 'empty_slot' | 'no_older_version' | 'unknown_version';

/** A rollback that cannot be done as asked (a bad slot name, nothing to go back to, an unknown version); the store is unchanged. */
export class RollbackRefused extends Error {
  override readonly name = 'RollbackRefused';
  constructor(
    readonly reason: RollbackRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** The slot's versions, oldest first: its entries, and those of the older list still there (slot = model type). */
export async function slotVersions(kv: KeyValueReads, seller: string, slot: string): Promise<VersionEntry[]> {
  const entryKeys = await kv.listKeys(slotStorage.versionsPrefix(seller, slot));
  const got = await kv.getValues([...entryKeys, slotStorage.legacyVersions(seller)]);
  const byVersion = new Map<string, VersionEntry>();
  const legacy = got.get(slotStorage.legacyVersions(seller));
  if (legacy) for (const e of parseLegacyVersions(legacy, seller)) if (e.slot === slot) byVersion.set(e.version, e);
  for (const key of entryKeys) {
    const text = got.get(key);
    if (text) byVersion.set(parseSlotKey(seller, key)?.version ?? key, parseVersionEntry(text, key, slot));
  }
  return [...byVersion.values()].sort(byPublished);
}

/** What a rollback goes from and to. */
export interface RollbackPlan {
  /** The slot's pointer now (null: the slot has versions but no pointer). */
  current: ActivePointer | null;
  /** The version it goes back to. */
  target: VersionEntry;
  /** Every kept version of the slot, oldest first. */
  versions: VersionEntry[];
}

/**
 * Which version a rollback of `slot` goes to: `to`, which must be one of the slot's kept
 * versions, else the one before the current one. Throws {@link RollbackRefused} when there is
 * none (the messages name the CLI's commands, which the edge's API mirrors).
 */
export async function planRollback(kv: KeyValueReads, seller: string, slot: string, to?: string): Promise<RollbackPlan> {
  const problem = slotNameProblem(slot);
  if (problem !== null) throw new RollbackRefused('invalid_slot', problem);
  const current = await readSlotPointer(kv, seller, slot);
  const versions = await slotVersions(kv, seller, slot);
  if (current === null && versions.length === 0) throw new RollbackRefused('empty_slot', `seller ${seller} has nothing published in slot ${slot}`);
  let target: VersionEntry | undefined;
  if (to) {
    target = versions.find((v) => v.version === to);
    if (!target)
      throw new RollbackRefused(
        'unknown_version',
        `version ${to} is not among the versions of ${seller}'s slot ${slot} (${versions.map((v) => v.version).join(', ') || 'none'}); see "plusone versions --seller ${seller}"`,
      );
  } else {
    const i = versions.findIndex((v) => v.version === current?.version);
    target = i > 0 ? versions[i - 1] : undefined;
    if (!target)
      throw new RollbackRefused('no_older_version', `slot ${slot} of seller ${seller} has no version older than its current ${current?.version ?? '(none)'}`);
  }
  return { current, target, versions };
}

/**
 * The pointer a rollback writes at `slotStorage.pointer(seller, slot)`: the target version
 * (with its own customer-record layout), `items` as its artifact holds them, `previous` the
 * version it replaces.
 */
export function rollbackPointer(seller: string, slot: string, plan: RollbackPlan, items: number, now: Date): ActivePointer {
  const { target, current } = plan;
  return {
    version: target.version,
    model: target.model,
    artifact: modelStorage.artifact(seller, target.version),
    sha256: target.sha256,
    items,
    customers: target.customers,
    published: now.toISOString(),
    previous: current?.version ?? null,
    // The version's own layout: shards, or (published before them) KV records.
    ...(target.customerShards ? { customerShards: target.customerShards } : {}),
    slot,
  };
}
