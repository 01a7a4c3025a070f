/** Input of {@link basketHitRate}. */
interface BasketEvalInput {
  /** Held-out baskets; `user` is -1 when the model does not know the customer. */
  baskets: { user: number; items: Int32Array }[];
  nItems: number;
  /** Cut-off; default 10. */
  k?: number;
  /**
   * Fills `out[0..nItems)` with scores given the user and the other items of the basket.
   * `items` and `out` are reused buffers, valid only during the call; `out` is pre-filled
   * with NaN, so entries left alone show up in `nanScores`.
   */
  scoreBasket: (user: number, items: Int32Array, out: Float32Array) => void;
}

/** Result of {@link basketHitRate}. */
interface BasketHitRate {
  /** hits / pairs; NaN when there is no pair. */
  hitRate: number;
  /** (basket, hidden item) pairs evaluated. */
  pairs: number;
  /** NaN scores met among the ranked items, read as -Infinity; non-zero hints at divergence. */
  nanScores: number;
}

/**
 * basket_hr@k as defined in shared/bench/README.md: for every basket and every item in it,
 * hide that item, score with the user and the other items, remove those other items from the
 * ranking, and count a hit when the hidden item ranks in the top k. Ties are broken at random
 * and the hit counted by its probability, as in `evaluateRanking`.
 *
 * A basket is a set: repeated items are counted once, and baskets with fewer than 2 distinct
 * items are skipped.
 */
export function basketHitRate(input: BasketEvalInput): BasketHitRate {
  const { baskets, nItems, scoreBasket } = input;
  const k = input.k ?? 10;
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`k must be an integer >= 1, got ${k}`);
  }
  if (!Number.isInteger(nItems) || nItems < 0) {
    throw new RangeError(`nItems must be an integer >= 0, got ${nItems}`);
  }

  let maxSize = 0;
  for (let b = 0; b < baskets.length; b++) {
    const { user, items } = baskets[b];
    if (!Number.isInteger(user) || user < -1) {
      throw new RangeError(`baskets[${b}].user = ${user}; expected a user index or -1 if unknown`);
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!(item >= 0 && item < nItems)) {
        throw new RangeError(`baskets[${b}].items[${i}] = ${item} is outside [0, ${nItems}); pass item indices`);
      }
    }
    if (items.length > maxSize) maxSize = items.length;
  }

  // Scratch, allocated once per call.
  const scores = new Float32Array(nItems);
  const inBasket = new Uint8Array(nItems);
  const distinct = new Int32Array(maxSize);
  const others = new Int32Array(Math.max(maxSize - 1, 0));

  let pairs = 0;
  let hits = 0;
  let nanScores = 0;
  for (const { user, items } of baskets) {
    let size = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (inBasket[item]) continue;
      inBasket[item] = 1;
      distinct[size++] = item;
    }

    if (size >= 2) {
      for (let h = 0; h < size; h++) {
        const hidden = distinct[h];
        let o = 0;
        for (let i = 0; i < size; i++) if (i !== h) others[o++] = distinct[i];

        scores.fill(Number.NaN);
        scoreBasket(user, others.subarray(0, o), scores);

        let s = scores[hidden];
        if (s !== s) {
          s = Number.NEGATIVE_INFINITY;
          nanScores++;
        }
        // The hidden item is still marked in `inBasket`, so this skips it along with the others.
        let above = 0;
        let equal = 0;
        for (let item = 0; item < nItems; item++) {
          if (inBasket[item]) continue;
          let v = scores[item];
          if (v !== v) {
            nanScores++;
            v = Number.NEGATIVE_INFINITY;
          }
          if (v > s) above++;
          else if (v === s) equal++;
        }
        if (above < k) hits += Math.min(1, (k - above) / (equal + 1));
        pairs++;
      }
    }

    for (let i = 0; i < size; i++) inBasket[distinct[i]] = 0;
  }

  return { hitRate: pairs > 0 ? hits / pairs : Number.NaN, pairs, nanScores };
}
