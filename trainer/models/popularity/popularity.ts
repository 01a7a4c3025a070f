import type { Csr } from '../../data/sparse.js';
import type { NamedArrays } from '../knn/persist.js';
import type { Scorer } from '../scorer.js';

/** Options of {@link PopularityModel}. */
interface PopularityOptions {
  /**
   * 'weight' (default): an item's score is the sum of its interaction weights, so recency
   * weights (see `recencyWeights`) and counts carry over; 'users': the number of users
   * who interacted with it.
   */
  by?: 'weight' | 'users';
}

const DEFAULTS: Required<PopularityOptions> = { by: 'weight' };

/** The popularity baseline: every query gets the same scores, each item's popularity. */
export class PopularityModel implements Scorer {
  readonly nItems: number;

  /** @param scores one popularity per item (see {@link PopularityModel.fit}) */
  constructor(readonly scores: Float32Array) {
    for (let i = 0; i < scores.length; i++) {
      if (!Number.isFinite(scores[i])) throw new RangeError(`popularity of item ${i} is ${scores[i]}; expected a finite number`);
    }
    this.nItems = scores.length;
  }

  /** Popularity from X (users x items, weights as given, e.g. recency-weighted). */
  static fit(X: Csr, options: PopularityOptions = {}): PopularityModel {
    const { by } = { ...DEFAULTS, ...options };
    if (by !== 'weight' && by !== 'users') throw new RangeError(`by must be 'weight' or 'users', got ${JSON.stringify(by)}`);
    const scores = new Float32Array(X.cols);
    const { indices, data } = X;
    // Summed in float64 so that large catalogues of small weights do not lose precision.
    const sums = new Float64Array(X.cols);
    for (let p = 0; p < indices.length; p++) sums[indices[p]] += by === 'weight' ? data[p] : 1;
    scores.set(sums);
    return new PopularityModel(scores);
  }

  scoreUser(_user: number, out: Float32Array): void {
    out.set(this.scores);
  }

  scoreItems(_items: Int32Array, _user: number, out: Float32Array): void {
    out.set(this.scores);
  }

  /** The same popular items, whatever the item. */
  similar(_item: number, out: Float32Array): void {
    out.set(this.scores);
  }

  /** The arrays that {@link PopularityModel.fromArrays} reads back. */
  toArrays(): NamedArrays {
    return { scores: this.scores };
  }

  /** Rebuilds a model from {@link PopularityModel.toArrays} output. */
  static fromArrays(arrays: Readonly<Record<string, unknown>>): PopularityModel {
    const scores = arrays.scores;
    if (!(scores instanceof Float32Array)) throw new RangeError('popularity model: array "scores" is missing or not float32; retrain the model');
    return new PopularityModel(scores);
  }
}
