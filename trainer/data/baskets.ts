import { CsvFile } from './csv.js';
import type { Dataset } from './dataset.js';
import type { ReadOptions } from './interactions.js';

/** A held-out order: its known items, and its customer (-1 when the model does not know them). */
export interface Basket {
  user: number;
  items: Int32Array;
}

/**
 * Reads `basket_id,[user_id,]item_id` (one item per row) into baskets of the items `dataset`
 * knows; `unknownItems` counts the rows whose item it does not.
 */
export async function readBaskets(path: string, dataset: Dataset, opts: ReadOptions = {}): Promise<{ baskets: Basket[]; unknownItems: number }> {
  const csv = await CsvFile.open(path, { ...opts, required: ['basket_id', 'item_id'], optional: ['user_id'] });
  const kB = csv.index('basket_id');
  const kU = csv.has('user_id') ? csv.index('user_id') : -1;
  const kI = csv.index('item_id');
  const byBasket = new Map<string, { user: number; items: number[] }>();
  let unknownItems = 0;
  for await (const row of csv.rows()) {
    let entry = byBasket.get(row.values[kB]);
    if (!entry) {
      entry = { user: kU >= 0 ? (dataset.users.get(row.values[kU]) ?? -1) : -1, items: [] };
      byBasket.set(row.values[kB], entry);
    }
    const it = dataset.items.get(row.values[kI]);
    if (it === undefined) unknownItems++;
    else entry.items.push(it);
  }
  return { baskets: [...byBasket.values()].map((e) => ({ user: e.user, items: Int32Array.from(e.items) })), unknownItems };
}
