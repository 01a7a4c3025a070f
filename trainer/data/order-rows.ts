import type { Dataset } from './dataset.js';
import { csrFromCoo, type Csr } from './sparse.js';

/**
 * The orders x items matrix of order lines: each order a row (in order of first appearance),
 * each distinct item of it a column with value 1, or, when `weights` are given (a half-life's
 * recency weights, one per line), the weight of the item's first line in the order. Lines
 * whose item the dataset does not know are left out; an order left with no item is no row.
 * Item-item weights fitted on it describe what is bought together, not everything a
 * customer ever bought.
 */
export function orderRows(orderIds: readonly string[], items: readonly string[], dataset: Dataset, weights: Float32Array | null = null): Csr {
  const n = orderIds.length;
  if (items.length !== n) throw new RangeError(`orderIds has ${n} lines but items has ${items.length}`);
  if (weights !== null && weights.length !== n) throw new RangeError(`orderIds has ${n} lines but weights has ${weights.length}`);
  const rowOf = new Map<string, number>();
  const seen = new Set<string>();
  const rowIdx: number[] = [];
  const colIdx: number[] = [];
  const values: number[] = [];
  for (let l = 0; l < n; l++) {
    const item = dataset.items.get(items[l]);
    if (item === undefined) continue;
    let row = rowOf.get(orderIds[l]);
    if (row === undefined) rowOf.set(orderIds[l], (row = rowOf.size));
    const key = `${row}\u0000${item}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rowIdx.push(row);
    colIdx.push(item);
    values.push(weights === null ? 1 : weights[l]);
  }
  return csrFromCoo(rowOf.size, dataset.items.size, Int32Array.from(rowIdx), Int32Array.from(colIdx), Float32Array.from(values));
}
