import { describe, expect, it } from 'vitest';
import { csrOf, denseRow } from '../knn/test-data.js';
import { cosineNeighbours } from './cosine.js';

// 4 users x 5 items:
//        i0 i1 i2 i3 i4
//   u0    1  1  1  .  .
//   u1    1  1  .  .  .
//   u2    .  1  1  1  .
//   u3    .  .  .  1  1
// Column norms: i0 √2, i1 √3, i2 √2, i3 √2, i4 1. Cosine = shared users / (norm * norm):
//   (0,1) 2/√6   (0,2) 1/2   (1,2) 2/√6   (1,3) 1/√6   (2,3) 1/2   (3,4) 1/√2
// and 0 for the pairs that share no user.
const X = csrOf(4, 5, [
  [0, 0],
  [0, 1],
  [0, 2],
  [1, 0],
  [1, 1],
  [2, 1],
  [2, 2],
  [2, 3],
  [3, 3],
  [3, 4],
]);
const r6 = 1 / Math.sqrt(6);

describe('cosineNeighbors', () => {
  it('gives every co-occurring item its cosine, itself excluded', () => {
    const nb = cosineNeighbours(X, 10);
    const expected = [
      [0, 2 * r6, 0.5, 0, 0],
      [2 * r6, 0, 2 * r6, r6, 0],
      [0.5, 2 * r6, 0, 0.5, 0],
      [0, r6, 0.5, 0, Math.SQRT1_2],
      [0, 0, 0, Math.SQRT1_2, 0],
    ];
    for (let i = 0; i < 5; i++) denseRow(nb, i).forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 6));
    // Pairs that share no user are not stored at all.
    expect(Array.from(nb.indices.subarray(nb.indptr[4], nb.indptr[5]))).toEqual([3]);
  });

  it('keeps the k most similar, ties going to the smaller index', () => {
    const nb = cosineNeighbours(X, 2);
    const rows = [0, 1, 2, 3, 4].map((i) => Array.from(nb.indices.subarray(nb.indptr[i], nb.indptr[i + 1])));
    // i2: 2/√6 for i1, then 1/2 for both i0 and i3 -> i0.
    expect(rows).toEqual([[1, 2], [0, 2], [0, 1], [2, 4], [3]]);
    const one = cosineNeighbours(X, 1);
    // i1: i0 and i2 tie at 2/√6 -> i0.
    expect(Array.from(one.indices)).toEqual([1, 0, 1, 4, 3]);
  });

  it('uses the weights as given', () => {
    // u2's weight on i3 tripled, u3's on i4 doubled: i2 = (1, 0, 1, 0), i3 = (0, 0, 3, 1),
    // i4 = (0, 0, 0, 2), so cos(3, 4) = 2 / (√10 * 2) and cos(2, 3) = 3 / (√2 √10).
    const W = csrOf(4, 5, [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
      [2, 1],
      [2, 2],
      [2, 3, 3],
      [3, 3],
      [3, 4, 2],
    ]);
    const nb = cosineNeighbours(W, 10);
    expect(denseRow(nb, 3)[4]).toBeCloseTo(1 / Math.sqrt(10), 6);
    expect(denseRow(nb, 2)[3]).toBeCloseTo(3 / Math.sqrt(20), 6);
  });

  it('rejects a bad k', () => {
    expect(() => cosineNeighbours(X, 0)).toThrow(/k \(neighbours per item\) must be an integer >= 1/);
  });
});
