/** The best `n` items of a score array, without sorting it. */

/** Items to leave out: a predicate on the item index, or a mask where a non-zero byte excludes the item. */
type ExcludeItems = ((item: number) => boolean) | Uint8Array;

/** What {@link selectTopN} returns: parallel arrays, best first. */
export interface TopN {
  items: Int32Array;
  scores: Float32Array;
}

/**
 * The `n` highest scores and their item indices, best first; equal scores rank the lower
 * index first. NaN scores are never selected; -Infinity is a score like any other. Fewer
 * than `n` come back when fewer items are eligible.
 *
 * `exclude` leaves items out (already in the basket, out of stock): a predicate, or a mask
 * with a non-zero byte for each excluded index (indices past its end are kept). It is
 * consulted only for items whose score would enter the current top `n`: for scores in
 * random order, about n (1 + ln(len / n)) times per call rather than once per item.
 *
 * One pass with a min-heap of `n` entries: O(len + k log n) where k, the number of times
 * the heap changes, is about n log(len / n) for scores in random order.
 */
export function selectTopN(scores: Float32Array, n: number, exclude?: ExcludeItems): TopN {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  const cap = Math.min(n, scores.length);
  const heapItems = new Int32Array(cap);
  const heapScores = new Float32Array(cap);
  const mask = exclude instanceof Uint8Array ? exclude : undefined;
  const skip = typeof exclude === 'function' ? exclude : undefined;
  const len = scores.length;
  let size = 0;
  let i = 0;
  // Fill the heap with the first eligible items.
  for (; i < len && size < cap; i++) {
    const s = scores[i];
    if (s !== s || mask?.[i] || skip?.(i)) continue;
    siftUp(heapItems, heapScores, size++, i, s);
  }
  // Then only a strictly higher score than the root's (the worst kept: lowest score,
  // highest index among equals) enters; an equal one has a higher index. NaN fails `>`.
  if (size === cap && cap > 0) {
    let floor = heapScores[0];
    for (; i < len; i++) {
      const s = scores[i];
      if (!(s > floor)) continue;
      if (mask?.[i] || skip?.(i)) continue;
      siftDown(heapItems, heapScores, cap, i, s);
      floor = heapScores[0];
    }
  }
  // The kept entries, best first (n is small).
  const order = Array.from({ length: size }, (_, k) => k);
  order.sort((a, b) => heapScores[b] - heapScores[a] || heapItems[a] - heapItems[b]);
  const items = new Int32Array(size);
  const best = new Float32Array(size);
  for (let k = 0; k < size; k++) {
    items[k] = heapItems[order[k]];
    best[k] = heapScores[order[k]];
  }
  return { items, scores: best };
}

/** Whether entry (sa, ia) ranks below (sb, ib). */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/** Adds (item, score) at position `at` (the heap's new last place) and restores the heap. */
function siftUp(items: Int32Array, scores: Float32Array, at: number, item: number, score: number): void {
  let k = at;
  while (k > 0) {
    const parent = (k - 1) >> 1;
    if (!worse(score, item, scores[parent], items[parent])) break;
    items[k] = items[parent];
    scores[k] = scores[parent];
    k = parent;
  }
  items[k] = item;
  scores[k] = score;
}

/** Replaces the root with (item, score) and restores the heap of `size` entries. */
function siftDown(items: Int32Array, scores: Float32Array, size: number, item: number, score: number): void {
  let k = 0;
  for (;;) {
    let child = 2 * k + 1;
    if (child >= size) break;
    if (child + 1 < size && worse(scores[child + 1], items[child + 1], scores[child], items[child])) child++;
    if (!worse(scores[child], items[child], score, item)) break;
    items[k] = items[child];
    scores[k] = scores[child];
    k = child;
  }
  items[k] = item;
  scores[k] = score;
}
