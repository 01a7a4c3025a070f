import { describe, expect, it } from 'vitest';
import { csrFromCoo, csrHas } from '../data/sparse.js';
import type { Csr } from '../data/sparse.js';
import { evaluateRanking, mean, summarize } from './metrics.js';
import type { RankingMetrics } from './metrics.js';

/** CSR with one list of item indices per user. */
function csr(nItems: number, rows: number[][]): Csr {
  const r: number[] = [];
  const c: number[] = [];
  rows.forEach((items, u) => {
    for (const i of items) {
      r.push(u);
      c.push(i);
    }
  });
  return csrFromCoo(rows.length, nItems, Int32Array.from(r), Int32Array.from(c));
}

/** A scorer that copies fixed per-user rows. */
function fixed(rows: number[][]): (user: number, out: Float32Array) => void {
  return (user, out) => out.set(rows[user]);
}

const log2 = Math.log2;

describe('evaluateRanking: hand-computed cases', () => {
  it('ranks by score with no train and no ties', () => {
    // Order: item0 .9, item4 .7, item2 .5, item3 .3, item1 .1; positives 4 (rank 1), 3 (rank 3).
    const m = evaluateRanking({
      test: csr(5, [[3, 4]]),
      k: 2,
      score: fixed([[0.9, 0.1, 0.5, 0.3, 0.7]]),
    });
    expect(Array.from(m.users)).toEqual([0]);
    expect(m.precision[0]).toBeCloseTo(0.5, 12);
    expect(m.recall[0]).toBeCloseTo(0.5, 12);
    expect(m.mrr[0]).toBeCloseTo(0.5, 12);
    expect(m.ndcg[0]).toBeCloseTo(1 / log2(3) / (1 + 1 / log2(3)), 12);
    // Negatives 0, 1, 2: item4 beats 2 of 3, item3 beats 1 of 3.
    expect(m.auc[0]).toBeCloseTo(0.5, 12);
    expect(m.nanScores).toBe(0);
  });

  it('breaks ties at random: each metric is its expectation', () => {
    const m = evaluateRanking({ test: csr(4, [[1]]), k: 2, score: fixed([[1, 1, 1, 0]]) });
    // Items 0 and 2 tie with item 1, so its rank is uniform on {0, 1, 2}.
    expect(m.precision[0]).toBeCloseTo(2 / 3 / 2, 12);
    expect(m.recall[0]).toBeCloseTo(2 / 3, 12);
    expect(m.mrr[0]).toBeCloseTo((1 + 1 / 2 + 1 / 3) / 3, 12);
    expect(m.ndcg[0]).toBeCloseTo((1 + 1 / log2(3)) / 3, 12);
    // Of 3 negatives, 2 tie (each half above): 1 - 1/3.
    expect(m.auc[0]).toBeCloseTo(2 / 3, 12);
  });

  it('counts ties between test positives neither for nor against them in auc', () => {
    // Positives 0 and 1 tie; item 2 beats both, item 3 loses to both: auc 0.5 each.
    const m = evaluateRanking({ test: csr(4, [[0, 1]]), score: fixed([[0.5, 0.5, 0.9, 0.1]]) });
    expect(m.auc[0]).toBeCloseTo(0.5, 12);
    // The first of the two tied positives is always at rank 1.
    expect(m.mrr[0]).toBeCloseTo(1 / 2, 12);
  });

  it('removes train positives from the ranking', () => {
    const test = csr(5, [[2]]);
    const train = csr(5, [[0]]);
    const score = fixed([[0.9, 0.8, 0.7, 0.6, 0.5]]);
    // Pool {1, 2, 3, 4}: only item 1 is above item 2.
    const k1 = evaluateRanking({ test, train, k: 1, score });
    expect(k1.precision[0]).toBe(0);
    expect(k1.mrr[0]).toBeCloseTo(0.5, 12);
    expect(k1.auc[0]).toBeCloseTo(1 - 1 / 3, 12);
    const k2 = evaluateRanking({ test, train, k: 2, score });
    expect(k2.precision[0]).toBeCloseTo(0.5, 12);
    expect(k2.recall[0]).toBe(1);
    expect(k2.ndcg[0]).toBeCloseTo(1 / log2(3), 12);
    // Without train, item 0 is also above.
    const noTrain = evaluateRanking({ test, k: 2, score });
    expect(noTrain.precision[0]).toBe(0);
    expect(noTrain.mrr[0]).toBeCloseTo(1 / 3, 12);
  });

  it('keeps a test positive that is also a train positive, ranked against the pool', () => {
    // Pool {1, 3, 4, 5}. Item 0 (train and test) is ranked against the pool: rank 0.
    // Item 3 does not count item 0: rank 1. Negatives in the pool: {1, 4, 5}; item 1 beats
    // item 3, so auc = (1 + (1 - 1/3)) / 2. (LightFM would subtract the overlap twice.)
    const m = evaluateRanking({
      test: csr(6, [[0, 3]]),
      train: csr(6, [[0, 2]]),
      k: 1,
      score: fixed([[0.9, 0.8, 0.7, 0.6, 0.5, 0.4]]),
    });
    expect(m.precision[0]).toBe(1);
    expect(m.recall[0]).toBeCloseTo(0.5, 12);
    expect(m.mrr[0]).toBe(1);
    expect(m.ndcg[0]).toBe(1);
    expect(m.auc[0]).toBeCloseTo(5 / 6, 12);
  });

  it('gives auc 0.5 to a user without negatives', () => {
    const m = evaluateRanking({ test: csr(2, [[0, 1]]), score: fixed([[0.3, 0.2]]) });
    expect(m.auc[0]).toBe(0.5);
    expect(m.recall[0]).toBe(1);
    expect(m.precision[0]).toBeCloseTo(0.2, 12);
  });

  it('takes the best rank for mrr and min(k, positives) for the ideal DCG', () => {
    // Order: 4, 3, 2, 1, 0. Positives 0, 1, 3 at ranks 4, 3, 1.
    const m = evaluateRanking({
      test: csr(5, [[0, 1, 3]]),
      k: 2,
      score: fixed([[0.1, 0.2, 0.3, 0.4, 0.5]]),
    });
    expect(m.mrr[0]).toBeCloseTo(0.5, 12);
    expect(m.precision[0]).toBeCloseTo(0.5, 12);
    expect(m.recall[0]).toBeCloseTo(1 / 3, 12);
    expect(m.ndcg[0]).toBeCloseTo(1 / log2(3) / (1 + 1 / log2(3)), 12);
    // Negatives 2, 4. Item 3 beats 1, items 1 and 0 beat none: (1/2 + 0 + 0) / 3.
    expect(m.auc[0]).toBeCloseTo(1 / 6, 12);
  });

  it('ranks only the candidates and skips users without a candidate positive', () => {
    const calls: number[] = [];
    const rows = [
      [1.0, 0.2, 0.9, 0.5, 0.8],
      [0.1, 0.2, 0.3, 0.4, 0.5],
    ];
    const input = {
      test: csr(5, [
        [0, 3],
        [0, 2],
      ]),
      candidates: Int32Array.from([1, 3, 4]),
      score: (u: number, out: Float32Array) => {
        calls.push(u);
        out.set(rows[u]);
      },
    };
    // User 0: item 0 is not a candidate, so the only positive is 3, below item 4 in {1, 3, 4}.
    // User 1 has no candidate positive and is skipped.
    const k1 = evaluateRanking({ ...input, k: 1 });
    expect(Array.from(k1.users)).toEqual([0]);
    expect(calls).toEqual([0]);
    expect(k1.recall[0]).toBe(0);
    expect(k1.mrr[0]).toBeCloseTo(0.5, 12);
    expect(k1.auc[0]).toBeCloseTo(0.5, 12);
    const k2 = evaluateRanking({ ...input, k: 2 });
    expect(k2.recall[0]).toBe(1);
    expect(k2.precision[0]).toBeCloseTo(0.5, 12);
  });

  it('skips users without test positives and reports progress over evaluated users', () => {
    const progress: [number, number][] = [];
    const m = evaluateRanking({
      test: csr(3, [[0], [], [2]]),
      score: fixed([
        [0.3, 0.2, 0.1],
        [0, 0, 0],
        [0.3, 0.2, 0.1],
      ]),
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(Array.from(m.users)).toEqual([0, 2]);
    expect(Array.from(m.mrr)).toEqual([1, 1 / 3]);
    expect(progress).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it('ranks NaN scores as -Infinity and counts them', () => {
    const m = evaluateRanking({
      test: csr(3, [[2], [1]]),
      k: 1,
      score: fixed([
        [Number.NaN, 0.5, 0.2],
        [0.1, Number.NaN, Number.NaN],
      ]),
    });
    // User 0: the NaN item falls below item 2, rank 1. User 1: its positive is NaN; item 0
    // beats it and item 2 (also NaN) ties: rank 1 or 2.
    expect(m.mrr[0]).toBeCloseTo(0.5, 12);
    expect(m.mrr[1]).toBeCloseTo((1 / 2 + 1 / 3) / 2, 12);
    expect(m.nanScores).toBe(3);
  });

  it('counts entries that the scorer leaves unfilled as NaN', () => {
    const m = evaluateRanking({
      test: csr(3, [[0]]),
      score: (_u, out) => {
        out[0] = 1;
      },
    });
    expect(m.mrr[0]).toBe(1);
    expect(m.nanScores).toBe(2);
  });

  it('rejects bad inputs with a message that names them', () => {
    const test = csr(3, [[0]]);
    const score = fixed([[1, 2, 3]]);
    expect(() => evaluateRanking({ test, train: csr(4, [[0]]), score })).toThrow(/train is 1 x 4/);
    expect(() => evaluateRanking({ test, k: 0, score })).toThrow(/k must be/);
    expect(() => evaluateRanking({ test, k: 1.5, score })).toThrow(/k must be/);
    expect(() => evaluateRanking({ test, candidates: Int32Array.from([0, 3]), score })).toThrow(/candidates\[1\] = 3/);
    expect(() => evaluateRanking({ test, candidates: Int32Array.from([0, 1, 0]), score })).toThrow(/appears twice/);
  });

  it('handles an empty test matrix', () => {
    const m = evaluateRanking({ test: csr(3, [[], []]), score: fixed([]) });
    expect(m.users.length).toBe(0);
    expect(summarize(m, 10).users).toBe(0);
  });
});

describe('mean and summarize', () => {
  it('averages per-user values under the anchors.json keys', () => {
    const m: RankingMetrics = {
      users: Int32Array.from([0, 3]),
      precision: Float64Array.from([0.1, 0.3]),
      recall: Float64Array.from([0.5, 1]),
      auc: Float64Array.from([0.75, 0.25]),
      mrr: Float64Array.from([1, 0.5]),
      ndcg: Float64Array.from([0.2, 0.4]),
    };
    const s = summarize(m, 10);
    expect(Object.keys(s).sort()).toEqual(['auc', 'mrr', 'ndcg@10', 'p@10', 'r@10', 'users']);
    expect(s['p@10']).toBeCloseTo(0.2, 12);
    expect(s['r@10']).toBeCloseTo(0.75, 12);
    expect(s.auc).toBeCloseTo(0.5, 12);
    expect(s.mrr).toBeCloseTo(0.75, 12);
    expect(s['ndcg@10']).toBeCloseTo(0.3, 12);
    expect(s.users).toBe(2);
  });

  it('returns NaN for the mean of nothing', () => {
    expect(mean(new Float64Array(0))).toBeNaN();
  });
});

// ---------------------------------------------------------------------------------------------
// Randomized cross-check against a literal transcription of LightFM's algorithm:
// predict_rank's O(items x positives) loop, then calculate_auc_from_rank's sort-and-subtract.

interface Reference {
  users: number[];
  precision: number[];
  recall: number[];
  auc: number[];
  mrr: number[];
  ndcg: number[];
}

function reference(test: Csr, train: Csr | null, candidates: Int32Array | null, scores: Float32Array[], k: number): Reference {
  const nItems = test.cols;
  const items = candidates ? Array.from(candidates) : Array.from({ length: nItems }, (_, i) => i);
  const inItems = new Set(items);
  const isTrain = (u: number, i: number): boolean => train !== null && csrHas(train, u, i);
  const out: Reference = { users: [], precision: [], recall: [], auc: [], mrr: [], ndcg: [] };
  for (let u = 0; u < test.rows; u++) {
    const positives: number[] = [];
    for (let p = test.indptr[u]; p < test.indptr[u + 1]; p++) {
      if (inItems.has(test.indices[p])) positives.push(test.indices[p]);
    }
    if (positives.length === 0) continue;
    const s = (i: number): number => (Number.isNaN(scores[u][i]) ? -Infinity : scores[u][i]);
    const ranks = positives.map(() => 0);
    for (const j of items) {
      if (isTrain(u, j)) continue;
      positives.forEach((pos, idx) => {
        if (j !== pos && s(j) >= s(pos)) ranks[idx]++;
      });
    }
    const P = positives.length;
    const nTrain = items.filter((i) => isTrain(u, i)).length;
    const hits = ranks.filter((r) => r < k).length;
    let dcg = 0;
    for (const r of ranks) if (r < k) dcg += 1 / Math.log2(r + 2);
    let idcg = 0;
    for (let i = 0; i < Math.min(k, P); i++) idcg += 1 / Math.log2(i + 2);
    const negatives = items.length - (P + nTrain);
    let auc = 0.5;
    if (negatives > 0) {
      const sorted = [...ranks].sort((a, b) => a - b);
      auc = 0;
      sorted.forEach((r, j) => (auc += 1 - (r - j) / negatives));
      auc /= P;
    }
    out.users.push(u);
    out.precision.push(hits / k);
    out.recall.push(hits / P);
    out.auc.push(auc);
    out.mrr.push(1 / (1 + Math.min(...ranks)));
    out.ndcg.push(dcg / idcg);
  }
  return out;
}

/** mulberry32: a small seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCsr(rand: () => number, rows: number, cols: number, density: number): Csr {
  return csr(
    cols,
    Array.from({ length: rows }, () => Array.from({ length: cols }, (_, i) => i).filter(() => rand() < density)),
  );
}

/** Random test/train (disjoint) and candidates for the cross-checks. */
function randomProblem(rand: () => number, shape: { maxItems: number; minTestDensity: number } = { maxItems: 40, minTestDensity: 0 }) {
  const nUsers = 1 + Math.floor(rand() * 8);
  const nItems = 1 + Math.floor(rand() * shape.maxItems);
  const test = randomCsr(rand, nUsers, nItems, shape.minTestDensity + rand() * 0.4);
  let train: Csr | null = null;
  if (rand() < 0.8) {
    const t = randomCsr(rand, nUsers, nItems, rand() * 0.5);
    train = csr(
      nItems,
      Array.from({ length: nUsers }, (_, u) => Array.from(t.indices.subarray(t.indptr[u], t.indptr[u + 1])).filter((i) => !csrHas(test, u, i))),
    );
  }
  let candidates: Int32Array | null = null;
  if (rand() < 0.3) {
    const picked = Array.from({ length: nItems }, (_, i) => i).filter(() => rand() < 0.6);
    // Shuffle: candidates need not be sorted.
    for (let i = picked.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [picked[i], picked[j]] = [picked[j], picked[i]];
    }
    candidates = Int32Array.from(picked);
  }
  return { nUsers, nItems, test, train, candidates, k: 1 + Math.floor(rand() * 12) };
}

function expectMatch(got: RankingMetrics, want: Reference, where: string, digits: number): void {
  expect(Array.from(got.users), where).toEqual(want.users);
  for (const key of ['precision', 'recall', 'auc', 'mrr', 'ndcg'] as const) {
    want[key].forEach((w, i) => {
      expect(got[key][i], `${where} ${key} user ${want.users[i]}`).toBeCloseTo(w, digits);
    });
  }
}

describe('evaluateRanking: randomized cross-checks', () => {
  // Users with many test positives are ranked by sorting the pool, the others by a scan per
  // positive (SCAN_BELOW_POSITIVES in metrics.ts): these problems exercise both branches.
  const shapes = [
    { name: 'few positives', shape: { maxItems: 40, minTestDensity: 0 } },
    { name: 'many positives', shape: { maxItems: 60, minTestDensity: 0.4 } },
  ];
  it.each(shapes)("equals LightFM's O(items x positives) algorithm when there are no ties (200 problems, $name)", ({ shape }) => {
    const rand = rng(20240917);
    for (let trial = 0; trial < 200; trial++) {
      const { nUsers, nItems, test, train, candidates, k } = randomProblem(rand, shape);
      // Distinct scores: a random permutation of 0..nItems-1 per user.
      const scores = Array.from({ length: nUsers }, () => {
        const perm = Array.from({ length: nItems }, (_, i) => i);
        for (let i = perm.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        return Float32Array.from(perm, (x) => x / nItems - 0.5);
      });
      const got = evaluateRanking({ test, train, candidates, k, score: (u, out) => out.set(scores[u]) });
      expectMatch(got, reference(test, train, candidates, scores, k), `trial ${trial}`, 12);
    }
  });

  it.each(shapes)('with ties, equals the average over random tie-breaks (Monte Carlo, 40 problems, $name)', ({ shape }) => {
    const rand = rng(77);
    for (let trial = 0; trial < 40; trial++) {
      const { nUsers, nItems, test, train, candidates, k } = randomProblem(rand, shape);
      // Coarse scores make ties common; a few NaNs on top.
      const scores = Array.from({ length: nUsers }, () =>
        Float32Array.from({ length: nItems }, () => (rand() < 0.05 ? Number.NaN : Math.floor(rand() * 4) / 4)),
      );
      const got = evaluateRanking({ test, train, candidates, k, score: (u, out) => out.set(scores[u]) });
      // Break ties by a small random jitter, many times, and average the tie-free metrics.
      const draws = 3000;
      let sum: Reference | null = null;
      for (let d = 0; d < draws; d++) {
        const jittered = scores.map((row) => Float64Array.from(row, (x) => (Number.isNaN(x) ? -1 : x) + rand() * 1e-3)) as unknown as Float32Array[];
        const r = reference(test, train, candidates, jittered, k);
        if (!sum) sum = r;
        else for (const key of ['precision', 'recall', 'auc', 'mrr', 'ndcg'] as const) r[key].forEach((v, i) => (sum![key][i] += v));
      }
      for (const key of ['precision', 'recall', 'auc', 'mrr', 'ndcg'] as const) sum![key] = sum![key].map((v) => v / draws);
      expectMatch(got, sum!, `trial ${trial}`, 1);
    }
  });
});
