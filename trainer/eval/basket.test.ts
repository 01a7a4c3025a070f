import { describe, expect, it } from 'vitest';
import { basketHitRate } from './basket.js';

const basket = (user: number, items: number[]) => ({ user, items: Int32Array.from(items) });

/** A scorer that ignores its query and returns the same scores. */
const constant =
  (scores: number[]) =>
  (_user: number, _items: Int32Array, out: Float32Array): void => {
    out.set(scores);
  };

describe('basketHitRate', () => {
  const descending = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];

  it('hides each item in turn and removes the other basket items from the ranking', () => {
    // Hide 0: the pool is {0..4} and item 0 leads (hit at k = 1).
    // Hide 5: item 0 is removed, items 1..4 are above it: rank 4 (miss at k = 1, hit at k = 5).
    const input = { baskets: [basket(0, [0, 5])], nItems: 6, scoreBasket: constant(descending) };
    expect(basketHitRate({ ...input, k: 1 })).toEqual({ hitRate: 0.5, pairs: 2, nanScores: 0 });
    expect(basketHitRate({ ...input, k: 4 }).hitRate).toBe(0.5);
    expect(basketHitRate({ ...input, k: 5 }).hitRate).toBe(1);
  });

  it('passes the user and the other items, and skips baskets with fewer than 2 items', () => {
    const calls: [number, number[]][] = [];
    const r = basketHitRate({
      baskets: [basket(7, [3, 1, 4]), basket(-1, [2]), basket(2, [])],
      nItems: 6,
      k: 10,
      scoreBasket: (user, items, out) => {
        calls.push([user, Array.from(items)]);
        out.fill(0);
      },
    });
    expect(calls).toEqual([
      [7, [1, 4]],
      [7, [3, 4]],
      [7, [3, 1]],
    ]);
    expect(r.pairs).toBe(3);
  });

  it('breaks ties at random and counts the probability of a hit', () => {
    // Hide 1: pool {0, 1, 2}, items 0 and 2 tie with it: rank 0, 1 or 2, a hit 2 times in 3
    // at k = 2. Hide 3: pool {0, 2, 3}, both are above it: rank 2, a miss.
    const r = basketHitRate({
      baskets: [basket(-1, [1, 3])],
      nItems: 4,
      k: 2,
      scoreBasket: constant([1, 1, 1, 0]),
    });
    expect(r.pairs).toBe(2);
    expect(r.hitRate).toBeCloseTo((2 / 3 + 0) / 2, 12);
  });

  it('treats a basket as a set', () => {
    const r = basketHitRate({
      baskets: [basket(0, [2, 2]), basket(0, [0, 5, 0])],
      nItems: 6,
      k: 1,
      scoreBasket: constant(descending),
    });
    // [2, 2] has one distinct item and is skipped; [0, 5, 0] is the first test's basket.
    expect(r).toEqual({ hitRate: 0.5, pairs: 2, nanScores: 0 });
  });

  it('ranks NaN scores as -Infinity and counts them', () => {
    const r = basketHitRate({
      baskets: [basket(0, [0, 1])],
      nItems: 4,
      k: 1,
      scoreBasket: constant([0.5, Number.NaN, Number.NaN, 0.1]),
    });
    // Hide 0: pool {0, 2, 3}, item 2 is NaN, item 0 leads: hit.
    // Hide 1 (NaN): pool {1, 2, 3}, items 2 and 3 tie with or beat it: miss.
    expect(r).toEqual({ hitRate: 0.5, pairs: 2, nanScores: 3 });
  });

  it('returns NaN with no pair', () => {
    const r = basketHitRate({ baskets: [], nItems: 3, scoreBasket: constant([0, 0, 0]) });
    expect(r.pairs).toBe(0);
    expect(r.hitRate).toBeNaN();
  });

  it('matches a naive reference on random baskets', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    const nItems = 30;
    const baskets = Array.from({ length: 40 }, (_, b) => {
      const size = Math.floor(rand() * 6);
      const items = Array.from({ length: size }, () => Math.floor(rand() * nItems));
      return basket(b % 3 === 0 ? -1 : b, items);
    });
    const table = Array.from({ length: 1000 }, () => Math.floor(rand() * 5));
    // Deterministic in (user, query items), with many ties.
    const scoreBasket = (user: number, items: Int32Array, out: Float32Array): void => {
      let h = user + 1;
      for (const i of items) h = (h * 31 + i) % 997;
      for (let i = 0; i < nItems; i++) out[i] = table[(h + i * 7) % 1000];
    };
    const k = 5;

    let hits = 0;
    let pairs = 0;
    const out = new Float32Array(nItems);
    for (const { user, items } of baskets) {
      const distinct = [...new Set(items)];
      if (distinct.length < 2) continue;
      for (const hidden of distinct) {
        const others = distinct.filter((i) => i !== hidden);
        scoreBasket(user, Int32Array.from(others), out);
        // Under a random order of the ties, the hidden item's rank is uniform on
        // above..above+equal: count each possible rank below k.
        let above = 0;
        let equal = 0;
        for (let i = 0; i < nItems; i++) {
          if (i === hidden || others.includes(i)) continue;
          if (out[i] > out[hidden]) above++;
          else if (out[i] === out[hidden]) equal++;
        }
        let hitRanks = 0;
        for (let r = above; r <= above + equal; r++) if (r < k) hitRanks++;
        hits += hitRanks / (equal + 1);
        pairs++;
      }
    }

    const r = basketHitRate({ baskets, nItems, k, scoreBasket });
    expect(r.pairs).toBe(pairs);
    expect(r.hitRate).toBeCloseTo(hits / pairs, 12);
  });

  it('rejects bad inputs with a message that names them', () => {
    const scoreBasket = constant([0, 0, 0]);
    expect(() => basketHitRate({ baskets: [basket(0, [0, 3])], nItems: 3, scoreBasket })).toThrow(/baskets\[0\]\.items\[1\] = 3/);
    expect(() => basketHitRate({ baskets: [basket(-2, [0, 1])], nItems: 3, scoreBasket })).toThrow(/baskets\[0\]\.user = -2/);
    expect(() => basketHitRate({ baskets: [], nItems: 3, k: 0, scoreBasket })).toThrow(/k must be/);
  });
});
