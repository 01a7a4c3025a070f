import { decodeArtifact } from '../../core/format/decode.js';
import { modelStorage, parsePointer, type ActivePointer } from '../../core/storage/pointer.js';
import { planRollback, RollbackRefused, rollbackPointer, slotVersions, type RollbackPlan } from '../../core/storage/rollback.js';
import { readSlotPointer, readStoredSlots } from '../../core/storage/slot-reads.js';
import {
  listSlots,
  parseLegacyVersions,
  parseServingConfig,
  RULE_NAMES,
  ruleProblem,
  SURFACE_RULES,
  slotNameProblem,
  slotStorage,
  typeServesRule,
  type RuleName,
  type ServingConfig,
  type ServingRule,
  type SlotListing,
  type VersionEntry,
} from '../../core/storage/slots.js';
import { InputError } from '../data/errors.js';
import { sha256 } from './shards.js';
import type { ModelStore } from './store.js';

/**
 * A seller's slots as the publisher reads and changes them (spec/model-format.md, "Slots,
 * pointers and the serving configuration"): slot pointers and version entries, the older
 * layout read as slots named by model type, rollback within a slot, and the serving
 * configuration (`plusone serve`).
 */

/** A slot's pointer: its own, else (a slot named like a model type, of a seller published before the slots) the older type pointer. */
export function slotPointer(store: ModelStore, seller: string, slot: string): Promise<ActivePointer | null> {
  return readSlotPointer(store, seller, slot);
}

/** The slot's versions, oldest first: its entries, and those of the older list still there (slot = model type). */
export function slotEntries(store: ModelStore, seller: string, slot: string): Promise<VersionEntry[]> {
  return slotVersions(store, seller, slot);
}

/** The seller's slots (`plusone versions`), the serving configuration and the older active pointer. */
export async function readSlots(
  store: ModelStore,
  seller: string,
): Promise<{ slots: SlotListing[]; serving: ServingConfig | null; legacyActive: ActivePointer | null; problems: string[] }> {
  const stored = await readStoredSlots(store, seller);
  return { slots: listSlots(stored), serving: stored.serving, legacyActive: stored.legacyActive, problems: stored.problems };
}

/** Versions no prune may delete: those every pointer names (every slot's, the older active and type pointers). */
export async function pinnedVersions(store: ModelStore, seller: string): Promise<Set<string>> {
  const stored = await readStoredSlots(store, seller);
  // A pointer that does not parse might name any version: delete none.
  if (stored.problems.length > 0) throw new Error(`some of the seller's stored values do not parse (${stored.problems.join('; ')}); deleting nothing`);
  const pinned = new Set<string>();
  for (const p of [...stored.pointers.values(), ...stored.legacyTypePointers.values(), ...(stored.legacyActive ? [stored.legacyActive] : [])])
    pinned.add(p.version);
  return pinned;
}

/**
 * Moves the entries of the older version list into one entry per version (in the slot named
 * by their model type), then deletes the list. Repeating it (two publishes at once) writes
 * the same entries again.
 */
export async function adoptLegacyVersions(store: ModelStore, seller: string, log: (m: string) => void): Promise<void> {
  const text = await store.getValue(slotStorage.legacyVersions(seller));
  if (text === null) return;
  const entries = parseLegacyVersions(text, seller);
  const keyOf = (e: VersionEntry) => slotStorage.version(seller, e.slot, e.version);
  const present = await store.getValues(entries.map(keyOf));
  const missing = entries.filter((e) => !present.get(keyOf(e)));
  if (missing.length > 0) await store.putValues(missing.map((e) => ({ key: keyOf(e), value: JSON.stringify(e) })));
  await store.deleteValues([slotStorage.legacyVersions(seller)]);
  log(`moved ${entries.length} version${entries.length === 1 ? '' : 's'} of ${slotStorage.legacyVersions(seller)} into slots named by model type`);
}

/** The seller's serving configuration, or null. */
export async function readServing(store: ModelStore, seller: string): Promise<ServingConfig | null> {
  const text = await store.getValue(slotStorage.serving(seller));
  return text === null ? null : parseServingConfig(text, seller).config;
}

/**
 * Changes the rules of the surfaces in `changes` (null removes a rule) and writes the whole
 * configuration as one value. Each rule is checked against what is published (non-empty
 * slots of a kind that serves the surface); a bad one throws an InputError naming it and
 * nothing is written.
 */
export async function setServing(
  store: ModelStore,
  seller: string,
  changes: Partial<Record<RuleName, ServingRule | null>>,
  now = new Date(),
): Promise<ServingConfig> {
  const kinds = new Map<string, string | null>();
  for (const [surface, rule] of Object.entries(changes) as [RuleName, ServingRule | null][]) {
    if (!(RULE_NAMES as readonly string[]).includes(surface)) throw new InputError(`unknown surface "${surface}": use ${RULE_NAMES.join(', ')}`);
    if (rule === null) continue;
    for (const [role, slot] of [
      ['slot', rule.slot],
      ['fallback', rule.fallback],
    ] as const) {
      if (slot === null) continue;
      const problem = slotNameProblem(slot);
      if (problem !== null) throw new InputError(`${surface}: ${role}: ${problem}`);
      if (!kinds.has(slot)) kinds.set(slot, (await slotPointer(store, seller, slot))?.model ?? null);
    }
    if (rule.fallback === rule.slot) throw new InputError(`${surface}: the fallback is the slot itself; name another slot or none`);
    const problem = ruleProblem(surface, rule, (slot) => kinds.get(slot) ?? null);
    if (problem !== null) throw new InputError(problem);
  }
  const config = (await readServing(store, seller)) ?? { surfaces: {}, updated: '' };
  for (const [surface, rule] of Object.entries(changes) as [RuleName, ServingRule | null][]) {
    if (rule === null) delete config.surfaces[surface];
    else config.surfaces[surface] = { slot: rule.slot, fallback: rule.fallback ?? null };
  }
  config.updated = now.toISOString();
  await store.putValue(slotStorage.serving(seller), JSON.stringify(config));
  return config;
}

/**
 * After a publish into `slot` (of model type `kind`): a rule naming the slot for each surface
 * the kind serves that has no rule yet (not `new-items`, which is set on purpose). Returns
 * the rules added.
 */
export async function fillServing(store: ModelStore, seller: string, slot: string, kind: string, log: (m: string) => void): Promise<RuleName[]> {
  const config = (await readServing(store, seller)) ?? { surfaces: {}, updated: '' };
  const added = SURFACE_RULES.filter((s) => config.surfaces[s] === undefined && typeServesRule(kind, s));
  if (added.length === 0) return [];
  for (const s of added) config.surfaces[s] = { slot, fallback: null };
  config.updated = new Date().toISOString();
  await store.putValue(slotStorage.serving(seller), JSON.stringify(config));
  log(`serving: ${added.join(', ')} -> slot ${slot} (no slot served ${added.length === 1 ? 'it' : 'them'} yet)`);
  return added;
}

/**
 * Points a slot back at an earlier version of it (default: the one before its current one),
 * after checking the artifact. Without a slot, a seller published before the slots (no slot,
 * no serving configuration) rolls back its older active pointer as it used to.
 */
export async function rollback(store: ModelStore, seller: string, options: { slot?: string; to?: string } = {}): Promise<ActivePointer> {
  const { to } = options;
  if (options.slot === undefined) {
    const { slots, serving } = await readSlots(store, seller);
    const own = (await store.listKeys(slotStorage.slotsPrefix(seller))).length > 0;
    if (own || serving !== null) {
      throw new InputError(
        `seller ${seller} has slots (${slots.map((s) => s.slot).join(', ')}); name the one to roll back with --slot (see "plusone versions --seller ${seller}")`,
      );
    }
    return legacyRollback(store, seller, to);
  }
  const slot = options.slot;
  let plan: RollbackPlan;
  try {
    plan = await planRollback(store, seller, slot, to);
  } catch (err) {
    throw err instanceof RollbackRefused ? new InputError(err.message) : err;
  }
  const decoded = await checkedArtifact(store, seller, plan.target);
  const pointer = rollbackPointer(seller, slot, plan, decoded.itemCount, new Date());
  await store.putValue(slotStorage.pointer(seller, slot), JSON.stringify(pointer));
  return pointer;
}

async function checkedArtifact(store: ModelStore, seller: string, target: VersionEntry) {
  const bytes = await store.getObject(modelStorage.artifact(seller, target.version));
  if (!bytes || sha256(bytes) !== target.sha256)
    throw new Error(`version ${target.version}: its artifact is ${bytes ? 'damaged' : 'missing'}; not rolling back to it`);
  return decodeArtifact(bytes);
}

const pointerOrNull = (text: string | null | undefined, seller: string, key: string): ActivePointer | null => (text ? parsePointer(text, seller, key) : null);

/** The older rollback (a seller published before the slots): the active pointer and its type's pointer. */
async function legacyRollback(store: ModelStore, seller: string, to: string | undefined): Promise<ActivePointer> {
  const got = await store.getValues([modelStorage.active(seller), slotStorage.legacyVersions(seller)]);
  const active = pointerOrNull(got.get(modelStorage.active(seller)), seller, modelStorage.active(seller));
  const listText = got.get(slotStorage.legacyVersions(seller));
  const versions = listText ? parseLegacyVersions(listText, seller) : [];
  if (!active) throw new InputError(`seller ${seller} has no published model to roll back`);
  let target: VersionEntry | undefined;
  if (to) {
    target = versions.find((v) => v.version === to);
    if (!target)
      throw new InputError(
        `version ${to} is not among ${seller}'s versions (${versions.map((v) => v.version).join(', ') || 'none'}); see "plusone versions --seller ${seller}"`,
      );
  } else {
    const i = versions.findIndex((v) => v.version === active.version);
    target = i > 0 ? versions[i - 1] : undefined;
    if (!target) throw new InputError(`seller ${seller} has no version older than the active ${active.version}`);
  }
  const decoded = await checkedArtifact(store, seller, target);
  const pointer: ActivePointer = {
    version: target.version,
    model: target.model,
    artifact: modelStorage.artifact(seller, target.version),
    sha256: target.sha256,
    items: decoded.itemCount,
    customers: target.customers,
    published: new Date().toISOString(),
    previous: active.version,
    ...(target.customerShards ? { customerShards: target.customerShards } : {}),
  };
  await store.putValues([
    { key: modelStorage.active(seller), value: JSON.stringify(pointer) },
    { key: modelStorage.activeOfType(seller, target.model), value: JSON.stringify(pointer) },
  ]);
  return pointer;
}
