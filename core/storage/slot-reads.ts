/**
 * Reading a seller's slots from any key-value store that can read many keys and list by
 * prefix: the publisher's ModelStore (trainer/publish/) and the edge's KV (functions/models/)
 * read through these, so both see the same slots (the older layout included).
 */
import { MODEL_TYPE_NAMES } from '../format/spec.js';
import { modelStorage, parsePointer, type ActivePointer } from './pointer.js';
import { legacyTypePointerKeys, parseLegacyVersions, parseServingConfig, parseSlotKey, parseVersionEntry, slotStorage, type StoredSlots } from './slots.js';

/** What the readers need of a store: many values at once (null for a missing key), and the keys under a prefix. */
export interface KeyValueReads {
  getValues(keys: string[]): Promise<Map<string, string | null>>;
  listKeys(prefix: string): Promise<string[]>;
}

const isModelType = (slot: string) => (MODEL_TYPE_NAMES as readonly string[]).includes(slot);

function pointerOrNull(text: string | null | undefined, seller: string, key: string): ActivePointer | null {
  return text ? parsePointer(text, seller, key) : null;
}

/**
 * A slot's pointer: its own, else (a slot named like a model type, of a seller published
 * before the slots) the older type pointer; null when there is none.
 */
export async function readSlotPointer(kv: Pick<KeyValueReads, 'getValues'>, seller: string, slot: string): Promise<ActivePointer | null> {
  const own = slotStorage.pointer(seller, slot);
  const legacy = isModelType(slot) ? modelStorage.activeOfType(seller, slot) : null;
  const got = await kv.getValues(legacy === null ? [own] : [own, legacy]);
  return pointerOrNull(got.get(own), seller, own) ?? (legacy === null ? null : pointerOrNull(got.get(legacy), seller, legacy));
}

/**
 * Everything stored about a seller's slots: one listing, then one read of many keys. A value
 * that does not parse is left out and named in `problems` (a listing shows the rest); a store
 * that fails throws.
 */
export async function readStoredSlots(kv: KeyValueReads, seller: string): Promise<StoredSlots & { legacyActive: ActivePointer | null; problems: string[] }> {
  const listed = await kv.listKeys(slotStorage.slotsPrefix(seller));
  const typeKeys = legacyTypePointerKeys(seller);
  const extra = [slotStorage.legacyVersions(seller), modelStorage.active(seller), slotStorage.serving(seller), ...typeKeys.values()];
  const got = await kv.getValues([...listed, ...extra]);
  const problems: string[] = [];
  const tolerant = <T>(read: () => T): T | null => {
    try {
      return read();
    } catch (err) {
      problems.push((err as Error).message);
      return null;
    }
  };
  const stored: StoredSlots & { legacyActive: ActivePointer | null; problems: string[] } = {
    pointers: new Map(),
    entries: [],
    legacyEntries: [],
    legacyTypePointers: new Map(),
    serving: null,
    legacyActive: tolerant(() => pointerOrNull(got.get(modelStorage.active(seller)), seller, modelStorage.active(seller))),
    problems,
  };
  for (const key of listed) {
    const at = parseSlotKey(seller, key);
    const text = got.get(key);
    if (at === null || !text) continue;
    if (at.version === null) {
      const p = tolerant(() => parsePointer(text, seller, key));
      if (p !== null) stored.pointers.set(at.slot, p);
    } else {
      const e = tolerant(() => parseVersionEntry(text, key, at.slot));
      if (e !== null) stored.entries.push(e);
    }
  }
  const legacy = got.get(slotStorage.legacyVersions(seller));
  if (legacy) stored.legacyEntries = tolerant(() => parseLegacyVersions(legacy, seller)) ?? [];
  for (const [type, key] of typeKeys) {
    const p = tolerant(() => pointerOrNull(got.get(key), seller, key));
    if (p !== null) stored.legacyTypePointers.set(type, p);
  }
  const serving = got.get(slotStorage.serving(seller));
  if (serving) {
    const read = tolerant(() => parseServingConfig(serving, seller));
    if (read !== null) {
      stored.serving = read.config;
      problems.push(...read.problems);
    }
  }
  return stored;
}
