import type { Surface } from '../../core/format/spec.js';
import type { LoadedModel } from '../../core/recommend/model.js';
import type { RuleName, ServingConfig } from '../../core/storage/slots.js';

/** The model that answers, and the slot it was found in (null: the older active pointer, or no model). */
export interface Served {
  model: LoadedModel | null;
  slot: string | null;
}

/** Loads a slot's current version (without a slot: the seller's older active pointer); null when it has none usable. */
export type SlotLoader = (slot?: string) => Promise<LoadedModel | null>;

/** The rules whose version answers a surface that has neither a rule nor the older active pointer. */
const BORROW_ORDER: readonly RuleName[] = ['for-you', 'basket', 'similar', 'new-items'];

/** Whether the model's item table holds any of `items`. */
function inItemTable(model: LoadedModel, items: readonly string[]): boolean {
  return items.some((id) => model.artifact.itemIndex(id) >= 0);
}

/**
 * Which version answers a surface by the seller's serving configuration (spec/edge-api.md,
 * "Slots and serving"): the surface's rule (its slot, else its fallback slot); without a
 * rule, or when neither slot can be loaded, the older active pointer; without one, the
 * version of another rule. Then the `new-items`
 * rule: when the query names items and the chosen version knows none of them, the
 * new-items slot (or its fallback) answers if it knows at least one. `knowsAny` says what a
 * version knows (default its item table; with catalog updates, also the unseen items a
 * hybrid version scores from their tags).
 */
export async function servingModel(
  load: SlotLoader,
  config: ServingConfig | null,
  surface: Surface,
  items: readonly string[],
  knowsAny: (model: LoadedModel, items: readonly string[]) => boolean = inItemTable,
): Promise<Served> {
  let served: Served = { model: null, slot: null };
  const rule = config?.surfaces[surface];
  for (const slot of rule ? [rule.slot, rule.fallback] : []) {
    if (slot === null) continue;
    const model = await load(slot);
    if (model !== null) {
      served = { model, slot };
      break;
    }
  }
  if (served.model === null) served = { model: await load(), slot: null };
  // Nothing for this surface: the version of another rule, as it answers this surface (a
  // user-knn version, the only one of a seller, answers a cart from its fallback ranking).
  if (served.model === null && config !== null) {
    for (const other of BORROW_ORDER) {
      const r = config.surfaces[other];
      if (other === surface || r === undefined) continue;
      for (const slot of [r.slot, r.fallback]) {
        if (slot === null) continue;
        const model = await load(slot);
        if (model !== null) {
          served = { model, slot };
          break;
        }
      }
      if (served.model !== null) break;
    }
  }
  const fresh = config?.surfaces['new-items'];
  if (fresh !== undefined && items.length > 0 && (served.model === null || !knowsAny(served.model, items))) {
    for (const slot of [fresh.slot, fresh.fallback]) {
      if (slot === null || slot === served.slot) continue;
      const model = await load(slot);
      if (model !== null && knowsAny(model, items)) return { model, slot };
    }
  }
  return served;
}
