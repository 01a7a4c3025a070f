/**
 * Beyond accuracy: does a model show the whole catalog, and things customers would not have
 * found by themselves?
 *
 * - coverage@k: share of the catalog that appears in at least one user's top k.
 * - novelty@k: mean over every recommended slot of -log2(popularity share of the item), the
 *   share being the fraction of training users who interacted with the item (an item no one
 *   bought counts as bought by one user, so the value stays finite). Higher is less obvious.
 */
export function coverageAndNovelty(
  top: Int32Array,
  k: number,
  nItems: number,
  itemUsers: Float64Array | Int32Array,
  nUsers: number,
): { coverage: number; novelty: number } {
  if (top.length % k !== 0) throw new RangeError(`top has ${top.length} entries, not a multiple of k = ${k}`);
  const seen = new Uint8Array(nItems);
  let distinct = 0;
  let info = 0;
  let slots = 0;
  for (let q = 0; q < top.length; q++) {
    const item = top[q];
    if (item < 0) continue;
    if (!seen[item]) {
      seen[item] = 1;
      distinct++;
    }
    info += -Math.log2(Math.max(itemUsers[item], 1) / nUsers);
    slots++;
  }
  return { coverage: nItems > 0 ? distinct / nItems : Number.NaN, novelty: slots > 0 ? info / slots : Number.NaN };
}

/** Number of users with a training interaction, per item (columns of a users x items CSR). */
export function usersPerItem(train: { cols: number; indices: Int32Array }): Int32Array {
  const counts = new Int32Array(train.cols);
  for (let q = 0; q < train.indices.length; q++) counts[train.indices[q]]++;
  return counts;
}
