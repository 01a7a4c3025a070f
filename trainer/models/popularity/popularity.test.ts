import { describe, expect, it } from 'vitest';
import { describeScorerContract } from '../scorer-contract.js';
import { recencyWeights } from '../knn/recency.js';
import { csrOf } from '../knn/test-data.js';
import { PopularityModel } from './popularity.js';

describeScorerContract('popularity', (train) => PopularityModel.fit(train));

// 3 users x 4 items, one weight of 3.
const X = csrOf(3, 4, [
  [0, 0],
  [0, 1, 3],
  [1, 1],
  [2, 1],
  [2, 2],
]);

describe('PopularityModel', () => {
  it('scores items by their summed weights, or by their number of users', () => {
    expect(Array.from(PopularityModel.fit(X).scores)).toEqual([1, 5, 1, 0]);
    expect(Array.from(PopularityModel.fit(X, { by: 'users' }).scores)).toEqual([1, 3, 1, 0]);
  });

  it('gives every query the same scores', () => {
    const model = PopularityModel.fit(X);
    const a = new Float32Array(4);
    const b = new Float32Array(4);
    model.scoreUser(0, a);
    model.scoreItems(Int32Array.of(2), -1, b);
    expect(b).toEqual(a);
    model.similar(3, b);
    expect(b).toEqual(a);
  });

  it('takes recency-weighted interactions', () => {
    const day = 86_400_000;
    // Item 1's three interactions are 0, 10 and 20 days old; half-life 10 days.
    const ts = Float64Array.of(20 * day, 20 * day, 10 * day, 0, 20 * day);
    const w = recencyWeights(ts, 10);
    const weighted = { ...X, data: Float32Array.from(X.data, (v, p) => v * w[p]) };
    const scores = PopularityModel.fit(weighted).scores;
    expect(scores[1]).toBeCloseTo(3 + 0.5 + 0.25, 6);
  });

  it('round-trips through toArrays / fromArrays and checks the scores', () => {
    const model = PopularityModel.fit(X);
    expect(PopularityModel.fromArrays(model.toArrays()).scores).toEqual(model.scores);
    expect(() => PopularityModel.fromArrays({})).toThrow(/"scores" is missing/);
    expect(() => new PopularityModel(Float32Array.of(1, Number.NaN))).toThrow(/popularity of item 1 is NaN/);
    expect(() => PopularityModel.fit(X, { by: 'clicks' as 'users' })).toThrow(/by must be 'weight' or 'users'/);
  });
});
