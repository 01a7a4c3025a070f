import { describe, expect, it } from 'vitest';
import { seeded } from './score-cases.js';
import { selectTopN } from './select.js';

/** The reference: a full sort (score descending, index ascending), NaN and excluded left out. */
function sorted(scores: Float32Array, n: number, excluded: (i: number) => boolean = () => false) {
  const idx = Array.from(scores.keys()).filter((i) => !Number.isNaN(scores[i]) && !excluded(i));
  idx.sort((a, b) => (scores[a] === scores[b] ? a - b : scores[b] - scores[a]));
  const top = idx.slice(0, n);
  return { items: top, scores: top.map((i) => scores[i]) };
}

const plain = (t: { items: Int32Array; scores: Float32Array }) => ({ items: Array.from(t.items), scores: Array.from(t.scores) });

describe('selectTopN', () => {
  it('returns the n best, best first, as a full sort would', () => {
    const rand = seeded(11);
    for (const len of [0, 1, 5, 10, 11, 1000]) {
      const scores = Float32Array.from({ length: len }, () => rand());
      for (const n of [0, 1, 3, 10, 2000]) expect(plain(selectTopN(scores, n))).toEqual(sorted(scores, n));
    }
  });

  it('breaks ties by the lower index, also across the heap boundary', () => {
    const scores = Float32Array.of(1, 3, 2, 3, 3, 1, 2, 3);
    expect(plain(selectTopN(scores, 3))).toEqual({ items: [1, 3, 4], scores: [3, 3, 3] });
    expect(plain(selectTopN(scores, 6))).toEqual({ items: [1, 3, 4, 7, 2, 6], scores: [3, 3, 3, 3, 2, 2] });
    // Coarse scores: many ties everywhere.
    const rand = seeded(5);
    const coarse = Float32Array.from({ length: 500 }, () => Math.round(rand() * 4));
    expect(plain(selectTopN(coarse, 40))).toEqual(sorted(coarse, 40));
  });

  it('never selects NaN; -Infinity and +Infinity are scores like any other', () => {
    const scores = Float32Array.of(NaN, -Infinity, 0.5, Infinity, NaN, -0);
    expect(plain(selectTopN(scores, 10))).toEqual({ items: [3, 2, 5, 1], scores: [Infinity, 0.5, -0, -Infinity] });
    expect(plain(selectTopN(Float32Array.of(NaN, NaN), 1))).toEqual({ items: [], scores: [] });
  });

  it('leaves out excluded items, by predicate or by mask', () => {
    const rand = seeded(3);
    const scores = Float32Array.from({ length: 300 }, () => rand());
    const mask = new Uint8Array(250); // shorter than scores: the rest is kept
    for (let i = 0; i < 250; i += 3) mask[i] = 1;
    const byMask = (i: number) => i < 250 && i % 3 === 0;
    expect(plain(selectTopN(scores, 25, mask))).toEqual(sorted(scores, 25, byMask));
    expect(plain(selectTopN(scores, 25, byMask))).toEqual(sorted(scores, 25, byMask));
    expect(plain(selectTopN(scores, 5, () => true))).toEqual({ items: [], scores: [] });
  });

  it('asks the predicate only about items that would enter the top n', () => {
    const rand = seeded(17);
    const scores = Float32Array.from({ length: 10_000 }, () => rand());
    let calls = 0;
    selectTopN(scores, 10, () => {
      calls++;
      return false;
    });
    // About n (1 + ln(len / n)) = 79 for scores in random order.
    expect(calls).toBeLessThan(200);
  });

  it('rejects an n that is not a whole number >= 0', () => {
    expect(() => selectTopN(new Float32Array(3), -1)).toThrow(/n must be an integer >= 0, got -1/);
    expect(() => selectTopN(new Float32Array(3), 2.5)).toThrow(/got 2.5/);
    expect(() => selectTopN(new Float32Array(3), NaN)).toThrow(/got NaN/);
  });
});
