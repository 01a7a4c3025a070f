import { describe, expect, it } from 'vitest';
import type { Csr } from '../../data/sparse.js';
import { csrOf, denseRow, randomInteractions } from '../knn/test-data.js';
import { easeNeighbours } from './ease.js';
import { choleskySolve, easeApproxNeighbours, easeApproxNeighboursThreaded, sparseGram } from './ease-approx.js';

const dense = (b: Csr) => Array.from({ length: b.rows }, (_, i) => denseRow(b, i));

/** X^T X, dense. */
function gram(x: Csr): number[][] {
  const g = Array.from({ length: x.cols }, () => new Array<number>(x.cols).fill(0));
  for (let u = 0; u < x.rows; u++) {
    for (let p = x.indptr[u]; p < x.indptr[u + 1]; p++) {
      for (let q = x.indptr[u]; q < x.indptr[u + 1]; q++) g[x.indices[p]][x.indices[q]] += x.data[p] * x.data[q];
    }
  }
  return g;
}

describe('sparseGram', () => {
  it('is X^T X with sorted rows and only the co-occurring pairs stored', () => {
    const x = randomInteractions({ users: 40, items: 25, density: 0.08, seed: 3, weighted: true });
    const g = sparseGram(x);
    const want = gram(x);
    for (let i = 0; i < x.cols; i++) {
      const row = Array.from(g.indices.subarray(g.indptr[i], g.indptr[i + 1]));
      expect(row).toEqual([...row].sort((a, b) => a - b));
      expect(row).toEqual(want[i].flatMap((v, j) => (v !== 0 ? [j] : [])));
      const got = denseRow(g, i);
      for (let j = 0; j < x.cols; j++) expect(got[j]).toBeCloseTo(want[i][j], 4);
    }
  });
});

describe('choleskySolve', () => {
  it('solves an SPD system and rejects one that is not positive definite', () => {
    // A = [[4, 2], [2, 3]], b = (2, 1): x = (0.5, 0).
    const b = Float64Array.of(2, 1);
    choleskySolve(Float64Array.of(4, 0, 2, 3), 2, b);
    expect(b[0]).toBeCloseTo(0.5, 12);
    expect(b[1]).toBeCloseTo(0, 12);
    expect(() => choleskySolve(Float64Array.of(1, 0, 2, 1), 2, Float64Array.of(1, 1))).toThrow(/not positive definite at pivot 1/);
  });
});

describe('easeApproxNeighbours', () => {
  it('is exact EASE when every item co-occurs with every other and the candidates cover them', () => {
    // Dense enough that every pair of the 60 items shares a user (checked below).
    const x = randomInteractions({ users: 300, items: 60, density: 0.3, seed: 5, weighted: true });
    const g = sparseGram(x);
    for (let i = 0; i < 60; i++) expect(g.indptr[i + 1] - g.indptr[i]).toBe(60);
    const lambda = 4;
    const exact = dense(easeNeighbours(x, lambda, 59));
    const approx = dense(easeApproxNeighbours(x, lambda, 59, { candidates: 60 }));
    let largest = 0;
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 60; j++) {
        expect(Math.abs(approx[i][j] - exact[i][j])).toBeLessThan(1e-5);
        largest = Math.max(largest, Math.abs(exact[i][j]));
      }
    }
    expect(largest).toBeGreaterThan(0.01);
    // Pruned to k per row, the same neighbours are kept.
    const e = easeNeighbours(x, lambda, 5);
    const a = easeApproxNeighbours(x, lambda, 5, { candidates: 60 });
    expect(Array.from(a.indptr)).toEqual(Array.from(e.indptr));
    expect(Array.from(a.indices)).toEqual(Array.from(e.indices));
  });

  it('on sparse data, is close to exact EASE: most of the strongest neighbours are the same', () => {
    // Here items that never co-occur get small weights from exact EASE, none from the
    // approximation; the strong weights come from co-occurring items and agree.
    const x = randomInteractions({ users: 400, items: 80, density: 0.03, seed: 7 });
    const k = 5;
    const e = easeNeighbours(x, 2, k);
    const a = easeApproxNeighbours(x, 2, k, { candidates: 80 });
    let same = 0;
    for (let i = 0; i < 80; i++) {
      const want = new Set(e.indices.subarray(e.indptr[i], e.indptr[i + 1]));
      for (let p = a.indptr[i]; p < a.indptr[i + 1]; p++) if (want.has(a.indices[p])) same++;
    }
    // 0.865 here; cosine neighbours share 0.69 with EASE's, and 10 candidates 0.68.
    expect(same / e.indices.length).toBeGreaterThan(0.85);
  });

  it('with few candidates, each column solves the ridge regression on its top-ranked co-occurring items', () => {
    const x = randomInteractions({ users: 150, items: 40, density: 0.1, seed: 11 });
    const lambda = 2;
    const c = 6;
    const b = dense(easeApproxNeighbours(x, lambda, 40, { candidates: c }));
    const g = gram(x);
    for (let j = 0; j < 40; j++) {
      // The c items with the largest G[j][a] / (G[a][a] + lambda) (ties to the smaller index), a != j.
      const order = g[j]
        .map((v, a) => [v / (g[a][a] + lambda), a] as const)
        .filter(([v, a]) => a !== j && v > 0)
        .sort((p, q) => q[0] - p[0] || p[1] - q[1]);
      const n = order.slice(0, c).map(([, a]) => a);
      // Column j is zero outside n ...
      for (let a = 0; a < 40; a++) if (!n.includes(a)) expect(b[a][j]).toBe(0);
      // ... and on n satisfies (G[n, n] + lambda I) w = G[n, j].
      for (const s of n) {
        let lhs = lambda * b[s][j];
        for (const t of n) lhs += g[s][t] * b[t][j];
        expect(lhs).toBeCloseTo(g[s][j], 3);
      }
    }
  });

  it('keeps the k largest weights in magnitude per row, or the largest values with keep: largest', () => {
    const x = randomInteractions({ users: 120, items: 30, density: 0.15, seed: 2 });
    const full = dense(easeApproxNeighbours(x, 1, 29, { candidates: 10 }));
    for (const keep of ['magnitude', 'largest'] as const) {
      const pruned = easeApproxNeighbours(x, 1, 3, { candidates: 10, keep });
      for (let i = 0; i < 30; i++) {
        const row = denseRow(pruned, i);
        const key = (v: number) => (keep === 'magnitude' ? Math.abs(v) : v);
        const kept = row.flatMap((v, j) => (v !== 0 ? [j] : []));
        expect(kept.length).toBe(Math.min(3, full[i].filter((v) => v !== 0).length));
        const worstKept = Math.min(...kept.map((j) => key(full[i][j])));
        for (let j = 0; j < 30; j++) {
          if (!kept.includes(j) && full[i][j] !== 0) expect(key(full[i][j])).toBeLessThanOrEqual(worstKept);
          if (kept.includes(j)) expect(row[j]).toBe(full[i][j]);
        }
      }
    }
  });

  it('gives items without interactions, or with no co-occurring item, an empty row', () => {
    // Item 2 has no interactions; item 3 is only ever bought alone.
    const x = csrOf(3, 4, [
      [0, 0],
      [0, 1],
      [1, 3],
      [2, 0],
    ]);
    const b = easeApproxNeighbours(x, 1, 5);
    expect(Array.from(b.indptr)).toEqual([0, 1, 2, 2, 2]);
    expect(Array.from(b.indices)).toEqual([1, 0]);
  });

  it('gives the same result on 2 threads as on 1, and reports progress up to every item', async () => {
    const x = randomInteractions({ users: 150, items: 70, density: 0.08, seed: 13, weighted: true });
    const one = easeApproxNeighbours(x, 3, 6, { candidates: 15 });
    const progress: number[] = [];
    const two = await easeApproxNeighboursThreaded(x, 3, 6, { candidates: 15, threads: 2, onProgress: (done, total) => progress.push(done / total) });
    expect(two).toEqual(one);
    expect(Math.max(...progress)).toBe(1);
    await expect(easeApproxNeighboursThreaded(x, 3, 6, { threads: 0 })).rejects.toThrow(/threads must be an integer >= 1, got 0/);
    await expect(easeApproxNeighboursThreaded(x, 3, 6, { threads: 2, candidates: -1 })).rejects.toThrow(/candidates must be an integer from 1/);
  });

  it('rejects bad arguments with the name of the setting', () => {
    const x = csrOf(1, 2, [[0, 0]]);
    expect(() => easeApproxNeighbours(x, 0, 5)).toThrow(/lambda must be a finite number > 0, got 0/);
    expect(() => easeApproxNeighbours(x, 1, 0)).toThrow(/k \(neighbours per item\) must be an integer >= 1/);
    expect(() => easeApproxNeighbours(x, 1, 5, { candidates: 0 })).toThrow(/candidates must be an integer from 1 to 2000, got 0/);
  });
});
