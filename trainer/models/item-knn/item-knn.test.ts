import { describe, expect, it } from 'vitest';
import { Dataset } from '../../data/dataset.js';
import type { Csr } from '../../data/sparse.js';
import { resolveParams, type TrainedModel, type TrainingData } from '../kind.js';
import { csrOf, randomInteractions } from '../knn/test-data.js';
import { describeScorerContract } from '../scorer-contract.js';
import { cosineNeighbours } from './cosine.js';
import { easeNeighbours } from './ease.js';
import { easeApproxNeighbours } from './ease-approx.js';
import { itemKnn } from './index.js';
import { ItemKnnModel } from './item-knn.js';

describeScorerContract('item-knn (cosine)', (train) => new ItemKnnModel(cosineNeighbours(train, 4), train));
describeScorerContract('item-knn (EASE, approximate)', (train) => new ItemKnnModel(easeApproxNeighbours(train, 2, 4, { candidates: 3 }), train));
describeScorerContract('item-knn (EASE)', (train) => new ItemKnnModel(easeNeighbours(train, 2, 4), train, { historyWeight: 0.5 }));

// 3 items; neighbour rows: 0 -> {1: 0.5, 2: 0.25}, 1 -> {0: 1}, 2 -> {} ; 2 users.
const neighbours = csrOf(3, 3, [
  [0, 1, 0.5],
  [0, 2, 0.25],
  [1, 0, 1],
]);
const train = csrOf(2, 3, [
  [0, 0, 2],
  [0, 1, 1],
  [1, 2, 1],
]);
const run = (f: (out: Float32Array) => void) => {
  const out = new Float32Array(3);
  f(out);
  return Array.from(out);
};

describe('ItemKnnModel', () => {
  const model = new ItemKnnModel(neighbours, train);

  it('scores a user as the sum of the neighbour rows of the history, times the weights', () => {
    // 2 * row 0 + 1 * row 1 = (0, 1, 0.5) + (1, 0, 0)
    expect(run((o) => model.scoreUser(0, o))).toEqual([1, 1, 0.5]);
    expect(run((o) => model.scoreUser(1, o))).toEqual([0, 0, 0]);
  });

  it('scores a list of items as the sum of their rows; repeats count again', () => {
    expect(run((o) => model.scoreItems(Int32Array.of(0, 1), -1, o))).toEqual([1, 0.5, 0.25]);
    expect(run((o) => model.scoreItems(Int32Array.of(1, 1), -1, o))).toEqual([2, 0, 0]);
  });

  it('a cart with a known user: the cart alone by default, the history times historyWeight if set', () => {
    expect(run((o) => model.scoreItems(Int32Array.of(1), 0, o))).toEqual([1, 0, 0]);
    const withHistory = new ItemKnnModel(neighbours, train, { historyWeight: 0.5 });
    // row 1 + 0.5 * (2 * row 0 + row 1)
    expect(run((o) => withHistory.scoreItems(Int32Array.of(1), 0, o))).toEqual([1.5, 0.5, 0.25]);
    // A query whose items are all unknown falls back to the whole history.
    expect(run((o) => withHistory.scoreItems(Int32Array.of(7), 0, o))).toEqual([1, 1, 0.5]);
  });

  it('similar(item) is the neighbour row', () => {
    expect(run((o) => model.similar(0, o))).toEqual([0, 0.5, 0.25]);
    expect(run((o) => model.similar(3, o))).toEqual([0, 0, 0]);
  });

  it('round-trips through toArrays / fromArrays', () => {
    const model2 = new ItemKnnModel(neighbours, train, { historyWeight: 0.25 });
    const back = ItemKnnModel.fromArrays(model2.toArrays());
    expect(back.historyWeight).toBe(0.25);
    expect(back.neighbours).toEqual(neighbours);
    expect(back.train).toEqual(train);
    for (const u of [0, 1]) expect(run((o) => back.scoreItems(Int32Array.of(0), u, o))).toEqual(run((o) => model2.scoreItems(Int32Array.of(0), u, o)));
  });

  it('rejects damaged arrays and mismatched shapes', () => {
    const arrays = model.toArrays();
    expect(() => ItemKnnModel.fromArrays({ ...arrays, 'neighbors.indices': Int32Array.of(1, 2, 5) })).toThrow(
      /item-knn model: array "neighbors": row 1 holds column 5/,
    );
    expect(() => ItemKnnModel.fromArrays({ ...arrays, historyWeight: undefined as unknown as Float64Array })).toThrow(/historyWeight" is missing/);
    expect(() => new ItemKnnModel(neighbours, csrOf(2, 4, []))).toThrow(/train has 4 items but neighbors has 3/);
    expect(() => new ItemKnnModel(neighbours, train, { historyWeight: -1 })).toThrow(/historyWeight must be a finite number >= 0/);
  });
});

describe('the item-knn kind: similarity auto', () => {
  /** Training data for the kind from a users x items matrix. */
  function trainingData(x: Csr): TrainingData {
    const users: string[] = [];
    const items: string[] = [];
    for (let u = 0; u < x.rows; u++) {
      for (let p = x.indptr[u]; p < x.indptr[u + 1]; p++) {
        users.push(`u${u}`);
        items.push(`i${x.indices[p]}`);
      }
    }
    const dataset = new Dataset().fit({ users: Array.from({ length: x.rows }, (_, u) => `u${u}`), items: Array.from({ length: x.cols }, (_, i) => `i${i}`) });
    const interactions = dataset.buildInteractions({ users, items, weights: null, timestamps: null, skipped: 0 }, { unknown: 'error' });
    return { dataset, interactions, userFeatures: null, itemFeatures: null };
  }
  const x = randomInteractions({ users: 80, items: 30, density: 0.12, seed: 4 });
  const data = trainingData(x);
  const trainWith = async (overrides: Record<string, unknown>) => {
    const notes = new Set<string>();
    const model = await itemKnn.fit(data, resolveParams(itemKnn, overrides), { threads: 1, onProgress: (_d, _t, note) => notes.add(note ?? '') });
    return { model, notes: [...notes] };
  };
  const weights = (m: TrainedModel) => (m.scorer as ItemKnnModel).neighbours;

  it('takes exact EASE up to --max-items items with interactions, and says so in the figures', async () => {
    const { model, notes } = await trainWith({ lambda: 5, neighbours: 8, maxItems: 30 });
    expect(model.figures).toMatchObject({ similarity: 'auto', method: 'ease', lambda: 5, neighbors: 8 });
    expect(model.figures).not.toHaveProperty('candidates');
    expect(notes.some((n) => n.startsWith('EASE: inverting'))).toBe(true);
    expect(weights(model)).toEqual(weights((await trainWith({ similarity: 'ease', lambda: 5, neighbours: 8 })).model));
  });

  it('takes the approximation above --max-items, with its candidate count in the figures', async () => {
    const { model, notes } = await trainWith({ lambda: 5, neighbours: 8, maxItems: 29, candidates: 12 });
    expect(model.figures).toMatchObject({ similarity: 'auto', method: 'ease-approx', lambda: 5, candidates: 12, neighbors: 8 });
    expect(notes.some((n) => n.startsWith('EASE (approximate)'))).toBe(true);
    const direct = (await trainWith({ similarity: 'ease-approx', lambda: 5, neighbours: 8, candidates: 12 })).model;
    expect(direct.figures).not.toHaveProperty('method');
    expect(weights(model)).toEqual(weights(direct));
    expect(weights(model)).toEqual(easeApproxNeighbours(data.interactions.csr, 5, 8, { candidates: 12 }));
    // Fewer candidates than co-occurring items changes the weights: the setting is used.
    expect(weights(model)).not.toEqual(weights((await trainWith({ similarity: 'ease-approx', lambda: 5, neighbours: 8, candidates: 3 })).model));
  });

  it('exact EASE over --max-items is an error that names the flag and the way out', async () => {
    await expect(trainWith({ similarity: 'ease', maxItems: 10 })).rejects.toThrow(/over --max-items = 10.*--similarity ease-approx/);
  });
});
