import { describe, expect, it } from 'vitest';
import { describeScorerContract } from '../scorer-contract.js';
import { csrOf, denseRow, randomInteractions } from '../knn/test-data.js';
import { UserKnnModel } from './user-knn.js';

describeScorerContract('user-knn', (train) => new UserKnnModel(train, { neighbours: 3 }));
describeScorerContract('user-knn (history weight 1)', (train) => new UserKnnModel(train, { neighbours: 3, historyWeight: 1 }));

// 4 users x 5 items:
//        i0 i1 i2 i3 i4
//   u0    1  1  .  .  .
//   u1    1  1  1  .  .
//   u2    .  1  1  1  .
//   u3    .  .  .  .  1
// Row norms √2, √3, √3, 1. Cosines: (0,1) 2/√6, (0,2) 1/√6, (1,2) 2/3; u3 shares nothing.
const X = csrOf(4, 5, [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
  [1, 2],
  [2, 1],
  [2, 2],
  [2, 3],
  [3, 4],
]);
const r6 = 1 / Math.sqrt(6);
const run = (f: (out: Float32Array) => void) => {
  const out = new Float32Array(5);
  f(out);
  return Array.from(out);
};
const close = (values: number[]) => values.map((v) => expect.closeTo(v, 6));

describe('UserKnnModel', () => {
  it("finds each user's K most similar users by cosine, itself excluded", () => {
    const model = new UserKnnModel(X, { neighbours: 2 });
    const nb = model.neighbours;
    expect(denseRow(nb, 0)).toEqual(close([0, 2 * r6, r6, 0]));
    expect(denseRow(nb, 1)).toEqual(close([2 * r6, 0, 2 / 3, 0]));
    expect(denseRow(nb, 2)).toEqual(close([r6, 2 / 3, 0, 0]));
    expect(denseRow(nb, 3)).toEqual([0, 0, 0, 0]);
    // K = 1 keeps the most similar only.
    expect(Array.from(new UserKnnModel(X, { neighbours: 1 }).neighbours.indices)).toEqual([1, 0, 1]);
  });

  it("scores a user as the similarity-weighted sum of the neighbours' rows", () => {
    const model = new UserKnnModel(X, { neighbours: 2 });
    // u0: 2/√6 * u1 + 1/√6 * u2
    expect(run((o) => model.scoreUser(0, o))).toEqual(close([2 * r6, 3 * r6, 3 * r6, r6, 0]));
    expect(run((o) => model.scoreUser(3, o))).toEqual([0, 0, 0, 0, 0]);
  });

  it('scores a list of items as a pseudo-user with its own neighbours', () => {
    const model = new UserKnnModel(X, { neighbours: 1 });
    // {i2, i3}: cos with u1 = 1/(√2√3), with u2 = 2/(√2√3) -> u2 alone (K = 1).
    const s = 2 / Math.sqrt(6);
    expect(run((o) => model.scoreItems(Int32Array.of(2, 3), -1, o))).toEqual(close([0, s, s, s, 0]));
    // One item: i4 -> u3.
    expect(run((o) => model.similar(4, o))).toEqual([0, 0, 0, 0, 1]);
  });

  it('never makes a known user its own neighbour, and adds the history when asked', () => {
    const model = new UserKnnModel(X, { neighbours: 1 });
    // u2's cart {i1}: u0 (1/√2), u1 and u2 (1/√3); u0 wins, u2 would not count anyway.
    expect(run((o) => model.scoreItems(Int32Array.of(1), 2, o))).toEqual(close([Math.SQRT1_2, Math.SQRT1_2, 0, 0, 0]));
    // With the history (weight 1), u2's row becomes {i1: 2, i2: 1, i3: 1}, norm √6; u2
    // itself is excluded, so the best is u1 (3 / (√6 √3)) over u0 (2 / (√6 √2)).
    const withHistory = new UserKnnModel(X, { neighbours: 1, historyWeight: 1 });
    const s = 3 / Math.sqrt(18);
    expect(run((o) => withHistory.scoreItems(Int32Array.of(1), 2, o))).toEqual(close([s, s, s, 0, 0]));
  });

  it("topN: each user's best items, best first, without the user's own items", () => {
    const model = new UserKnnModel(X, { neighbours: 2 });
    const top = model.topN(3);
    const list = (u: number) => Array.from(top.items.subarray(top.indptr[u], top.indptr[u + 1]));
    // u0 scores (2, 3, 3, 1, 0)/√6 and owns i0, i1: then i2 and i3.
    expect(list(0)).toEqual([2, 3]);
    expect(Array.from(top.scores.subarray(0, 2))).toEqual(close([3 * r6, r6]));
    expect(list(3)).toEqual([]);
    // On random data: the lists are the top of scoreUser without the train items.
    const x = randomInteractions({ users: 30, items: 20, density: 0.2, seed: 2 });
    const m = new UserKnnModel(x, { neighbours: 5 });
    const t = m.topN(4);
    const out = new Float32Array(20);
    for (let u = 0; u < 30; u++) {
      m.scoreUser(u, out);
      const own = new Set(x.indices.subarray(x.indptr[u], x.indptr[u + 1]));
      const expected = Array.from(out, (v, j) => [v, j] as const)
        .filter(([v, j]) => v > 0 && !own.has(j))
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, 4)
        .map(([, j]) => j);
      expect(Array.from(t.items.subarray(t.indptr[u], t.indptr[u + 1]))).toEqual(expected);
    }
  });

  it('round-trips through toArrays / fromArrays without searching again', () => {
    const x = randomInteractions({ users: 25, items: 12, density: 0.3, seed: 8, weighted: true });
    const model = new UserKnnModel(x, { neighbours: 4, historyWeight: 0.5 });
    const back = UserKnnModel.fromArrays(model.toArrays());
    expect([back.k, back.historyWeight, back.nItems]).toEqual([4, 0.5, 12]);
    expect(back.neighbours).toEqual(model.neighbours);
    const a = new Float32Array(12);
    const b = new Float32Array(12);
    for (let u = 0; u < 25; u++) {
      model.scoreItems(Int32Array.of(u % 12), u, a);
      back.scoreItems(Int32Array.of(u % 12), u, b);
      expect(b).toEqual(a);
    }
    expect(() => UserKnnModel.fromArrays({ ...model.toArrays(), k: Int32Array.of(0) })).toThrow(/neighbours \(K\) must be an integer >= 1/);
  });

  it('names bad options', () => {
    expect(() => new UserKnnModel(X, { neighbours: 0 })).toThrow(/neighbours \(K\) must be an integer >= 1, got 0/);
    expect(() => new UserKnnModel(X).topN(0)).toThrow(/n must be an integer >= 1/);
  });
});
