import { describe, expect, it } from 'vitest';
import { csrFromCoo } from '../data/sparse.js';
import { coverageAndNovelty, usersPerItem } from './beyond.js';
import { evaluateRanking } from './metrics.js';

describe('coverage and novelty', () => {
  it('counts distinct recommended items and their self-information', () => {
    // 2 users x top 2 over 4 items; items 0 and 1 bought by 2 of 4 users, item 2 by 1, item 3 by none.
    const top = Int32Array.from([0, 2, 0, 3]);
    const r = coverageAndNovelty(top, 2, 4, Int32Array.from([2, 2, 1, 0]), 4);
    expect(r.coverage).toBeCloseTo(3 / 4, 12);
    // -log2(2/4) = 1 twice, -log2(1/4) = 2 for item 2 and for item 3 (counted as one user)
    expect(r.novelty).toBeCloseTo((1 + 2 + 1 + 2) / 4, 12);
  });

  it("evaluateRanking collects each user's top k from the pool, best first", () => {
    const test = csrFromCoo(2, 5, Int32Array.from([0, 1]), Int32Array.from([4, 0]));
    const train = csrFromCoo(2, 5, Int32Array.from([0]), Int32Array.from([1]));
    const scores = [
      [0.1, 0.9, 0.5, 0.5, 0.2],
      [0.3, 0.2, 0.8, 0.1, 0.7],
    ];
    const m = evaluateRanking({ test, train, k: 2, collectTop: true, score: (u, out) => out.set(scores[u]) });
    // user 0: item 1 is a train positive; items 2 and 3 tie, the lower index first
    expect(Array.from(m.top!)).toEqual([2, 3, 2, 4]);
    expect(Array.from(usersPerItem(train))).toEqual([0, 1, 0, 0, 0]);
  });
});
