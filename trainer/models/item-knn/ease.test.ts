import { describe, expect, it } from 'vitest';
import type { Csr } from '../../data/sparse.js';
import { csrOf, denseRow, randomInteractions } from '../knn/test-data.js';
import { easeNeighbours } from './ease.js';

// 4 users x 5 items, with one weight of 2:
//        i0 i1 i2 i3 i4
//   u0    1  1  .  .  .
//   u1    .  1  1  .  .
//   u2    1  .  1  .  .
//   u3    .  .  .  1  2
// G = X^T X is block diagonal. Items 0..2: each bought twice, each pair once together, so
// G + λI = (1 + λ) I + J (J all ones). By Sherman-Morrison, (a I + J)^-1 = (I - J / (a + 3)) / a,
// so P[i][j] / P[j][j] = -(1 / (a + 3)) / (1 - 1 / (a + 3)) and B[i][j] = 1 / (a + 2) = 1 / (λ + 3).
// Items 3, 4: G + λI = [[1 + λ, 2], [2, 4 + λ]]; with λ = 1 that is [[2, 2], [2, 5]], whose
// inverse is [[5, -2], [-2, 2]] / 6, so B[3][4] = (2/6) / (2/6) = 1 and B[4][3] = (2/6) / (5/6) = 0.4.
// Across the blocks B is 0.
const X = csrOf(4, 5, [
  [0, 0],
  [0, 1],
  [1, 1],
  [1, 2],
  [2, 0],
  [2, 2],
  [3, 3],
  [3, 4, 2],
]);

/** B as a dense array (0 where pruned). */
const dense = (b: Csr) => Array.from({ length: b.rows }, (_, i) => denseRow(b, i));

/** G = X^T X + λ I, dense. */
function gram(x: Csr, lambda: number): number[][] {
  const g = Array.from({ length: x.cols }, (_, i) => Array.from({ length: x.cols }, (_, j) => (i === j ? lambda : 0)));
  for (let u = 0; u < x.rows; u++) {
    for (let p = x.indptr[u]; p < x.indptr[u + 1]; p++) {
      for (let q = x.indptr[u]; q < x.indptr[u + 1]; q++) g[x.indices[p]][x.indices[q]] += x.data[p] * x.data[q];
    }
  }
  return g;
}

describe('easeNeighbors', () => {
  it('matches the closed form of the hand example', () => {
    const b = dense(easeNeighbours(X, 1, 10));
    const expected = [
      [0, 0.25, 0.25, 0, 0],
      [0.25, 0, 0.25, 0, 0],
      [0.25, 0.25, 0, 0, 0],
      [0, 0, 0, 0, 1],
      [0, 0, 0, 0.4, 0],
    ];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(b[i][j]).toBeCloseTo(expected[i][j], 6);
    // B[i][j] = 1 / (λ + 3) within the first block for any λ.
    expect(dense(easeNeighbours(X, 7, 10))[1][2]).toBeCloseTo(0.1, 6);
  });

  it('stores no weight across independent blocks, and none on the diagonal', () => {
    const b = easeNeighbours(X, 1, 10);
    const rows = [0, 1, 2, 3, 4].map((i) => Array.from(b.indices.subarray(b.indptr[i], b.indptr[i + 1])));
    expect(rows).toEqual([[1, 2], [0, 2], [0, 1], [4], [3]]);
  });

  it('satisfies the EASE normal equations on a random matrix (several blocks of the solver)', () => {
    // EASE minimises |X - X B|^2 + λ |B|^2 subject to diag(B) = 0. With G = X^T X and a
    // Lagrange multiplier μ_j for B[j][j] = 0, column j must satisfy
    //     (G + λI) B[:,j] = G[:,j] - μ_j e_j,
    // that is, (G + λI)(I - B) = λI + diag(μ) =: D, a diagonal matrix. (The closed form
    // B = I - P diag(1/diag P) with P = (G + λI)^-1 gives D = diag(1 / P[j][j]) > 0.)
    // So check: B[j][j] = 0, and (G + λI)(I - B) is diagonal with a positive diagonal.
    // 150 items make two 128-wide blocks of the solver, the second one padded.
    const x = randomInteractions({ users: 260, items: 150, density: 0.06, seed: 9, weighted: true });
    const lambda = 3;
    const n = x.cols;
    const b = dense(easeNeighbours(x, lambda, n));
    const g = gram(x, lambda);
    let scale = 0;
    for (const row of g) for (const v of row) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < n; j++) {
      expect(b[j][j]).toBe(0);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += g[i][k] * ((k === j ? 1 : 0) - b[k][j]);
        if (i === j) expect(s).toBeGreaterThan(0);
        else expect(Math.abs(s) / scale).toBeLessThan(1e-4);
      }
    }
  });

  it("top-k with keep: 'largest' keeps the largest weights of each row", () => {
    const x = randomInteractions({ users: 60, items: 30, density: 0.15, seed: 4 });
    const full = dense(easeNeighbours(x, 2, 29));
    const k = 5;
    const pruned = easeNeighbours(x, 2, k, { keep: 'largest' });
    for (let i = 0; i < 30; i++) {
      const kept = Array.from(pruned.indices.subarray(pruned.indptr[i], pruned.indptr[i + 1]));
      const best = full[i]
        .map((v, j) => [v, j] as const)
        .filter(([v, j]) => j !== i && v !== 0)
        .sort((a, c) => c[0] - a[0] || a[1] - c[1])
        .slice(0, k)
        .map(([, j]) => j)
        .sort((a, c) => a - c);
      expect(kept).toEqual(best);
      for (const j of kept) expect(denseRow(pruned, i)[j]).toBe(full[i][j]);
    }
  });

  it("keep: 'magnitude' keeps the largest weights in absolute value, negative ones too", () => {
    const x = randomInteractions({ users: 60, items: 30, density: 0.15, seed: 4 });
    const full = dense(easeNeighbours(x, 2, 29));
    const pruned = easeNeighbours(x, 2, 5, { keep: 'magnitude' });
    let negatives = 0;
    for (let i = 0; i < 30; i++) {
      const row = denseRow(pruned, i);
      const kept = Array.from(pruned.indices.subarray(pruned.indptr[i], pruned.indptr[i + 1]));
      const threshold = Math.min(...kept.map((j) => Math.abs(full[i][j])));
      for (let j = 0; j < 30; j++) if (j !== i && !kept.includes(j)) expect(Math.abs(full[i][j])).toBeLessThanOrEqual(threshold);
      for (const j of kept) {
        expect(row[j]).toBe(full[i][j]);
        if (row[j] < 0) negatives++;
      }
    }
    expect(negatives).toBeGreaterThan(0);
  });

  it('gives items without interactions an index and an empty row', () => {
    // X with a sixth item nobody bought, and one in the middle (index 2 shifted right).
    const wide = csrOf(4, 7, [
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 3],
      [2, 0],
      [2, 3],
      [3, 4],
      [3, 5, 2],
    ]);
    const b = easeNeighbours(wide, 1, 10);
    expect([b.rows, b.cols]).toEqual([7, 7]);
    expect(b.indptr[3] - b.indptr[2]).toBe(0);
    expect(b.indptr[7] - b.indptr[6]).toBe(0);
    expect(denseRow(b, 0)).toEqual([0, 0.25, 0, 0.25, 0, 0, 0].map((v) => expect.closeTo(v, 6)));
    expect(denseRow(b, 5)[4]).toBeCloseTo(0.4, 6);
  });

  it('refuses more items than maxItems, pointing at the approximation', () => {
    expect(() => easeNeighbours(X, 1, 10, { maxItems: 4 })).toThrow(RangeError);
    expect(() => easeNeighbours(X, 1, 10, { maxItems: 4 })).toThrow(/5 items with interactions.*--similarity ease-approx/);
  });

  it('names bad parameters', () => {
    expect(() => easeNeighbours(X, 0, 10)).toThrow(/lambda must be a finite number > 0, got 0/);
    expect(() => easeNeighbours(X, 1, 0)).toThrow(/k \(neighbours per item\) must be an integer >= 1/);
    expect(() => easeNeighbours(X, 1, 5, { keep: 'all' as 'largest' })).toThrow(/keep must be 'largest' or 'magnitude'/);
  });

  it('reports the progress of the inversion', () => {
    const calls: number[] = [];
    easeNeighbours(X, 1, 3, { onProgress: (done, total) => calls.push(done, total) });
    expect(calls).toEqual([1, 1]);
  });
});
