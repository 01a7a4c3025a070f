import type { Csr } from '../../data/sparse.js';
import { inRange } from '../knn/csr-ops.js';
import { csrFromArrays, csrToArrays, scalarFromArrays, type NamedArrays } from '../knn/persist.js';
import type { Scorer } from '../scorer.js';

/** Options of {@link ItemKnnModel}. */
interface ItemKnnOptions {
  /**
   * Factor on a known user's history when it joins a query that has items (a cart);
   * default 0, the cart alone. A user's history is often long and mostly unrelated to the
   * cart, and on the retail split any weight above 0 lowered basket_hr@10 (0.235 with 0,
   * 0.140 with 1, for EASE with 50 neighbours). A query without items always uses the
   * history in full: that is `scoreUser`.
   */
  historyWeight?: number;
  /**
   * Added to the score of each item of a known user's history: repeatBoost x ln(1 + x),
   * x the user's weight of the item (for an orders file, the order lines that hold it);
   * default 0. Repeat purchases: where a seller's customers buy again what they bought,
   * this puts their own items forward (where they may not, the edge leaves those items out
   * and the boost changes nothing).
   */
  repeatBoost?: number;
}

const DEFAULTS: Required<ItemKnnOptions> = { historyWeight: 0, repeatBoost: 0 };
const NO_ITEMS = new Int32Array(0);

/**
 * Item-item neighbourhood scoring (cosine kNN or EASE, whichever built the neighbours): the
 * score of item j for a query is the sum, over the query's items i, of the weight of j in
 * the neighbour row of i. A known user's history is such a query, each item counted with
 * its interaction weight. The query's own items are not removed here (evaluation and
 * serving do that).
 */
export class ItemKnnModel implements Scorer {
  readonly nItems: number;
  readonly nUsers: number;
  readonly historyWeight: number;
  readonly repeatBoost: number;

  /**
   * @param neighbors items x items: row i holds the neighbours of item i and their weights
   *   (from `cosineNeighbors` or `easeNeighbors`)
   * @param train users x items: each user's history and its weights
   */
  constructor(
    readonly neighbours: Csr,
    readonly train: Csr,
    options: ItemKnnOptions = {},
  ) {
    const opts = { ...DEFAULTS, ...options };
    for (const name of ['historyWeight', 'repeatBoost'] as const) {
      if (!(opts[name] >= 0) || !Number.isFinite(opts[name])) throw new RangeError(`${name} must be a finite number >= 0, got ${opts[name]}`);
    }
    this.historyWeight = opts.historyWeight;
    this.repeatBoost = opts.repeatBoost;
    if (neighbours.rows !== neighbours.cols) {
      throw new RangeError(`neighbors must be items x items, got ${neighbours.rows} x ${neighbours.cols}`);
    }
    if (train.cols !== neighbours.rows) {
      throw new RangeError(`train has ${train.cols} items but neighbors has ${neighbours.rows}; build both from the same dataset`);
    }
    this.nItems = neighbours.rows;
    this.nUsers = train.rows;
  }

  scoreUser(user: number, out: Float32Array): void {
    this.scoreItems(NO_ITEMS, user, out);
  }

  /**
   * Scores for a list of items, plus, when the user is known, their history times
   * `historyWeight` (the whole history when no item of the list is known) and the repeat
   * boost on their own items. The edge computes the same sum from the artifact and the
   * customer's record (core/recommend/recommend.ts). Items outside [0, nItems) are ignored,
   * and a user outside [0, nUsers) is anonymous.
   */
  scoreItems(items: Int32Array, user: number, out: Float32Array): void {
    out.fill(0, 0, this.nItems);
    let known = 0;
    for (let q = 0; q < items.length; q++) {
      const item = items[q];
      if (!inRange(item, this.nItems)) continue;
      this.addRow(item, 1, out);
      known++;
    }
    if (!inRange(user, this.nUsers)) return;
    const { indptr, indices, data } = this.train;
    const w = known === 0 ? 1 : this.historyWeight;
    if (w > 0) for (let p = indptr[user]; p < indptr[user + 1]; p++) this.addRow(indices[p], w * data[p], out);
    const boost = this.repeatBoost;
    if (boost > 0) for (let p = indptr[user]; p < indptr[user + 1]; p++) out[indices[p]] += boost * Math.log1p(data[p]);
  }

  /** The same model with other history settings (the neighbours and the history are shared, not copied). */
  withHistory(options: ItemKnnOptions): ItemKnnModel {
    return new ItemKnnModel(this.neighbours, this.train, { historyWeight: this.historyWeight, repeatBoost: this.repeatBoost, ...options });
  }

  /** Items similar to `item`: its neighbour weights, 0 elsewhere (all 0 for an unknown item). */
  similar(item: number, out: Float32Array): void {
    out.fill(0, 0, this.nItems);
    if (!inRange(item, this.nItems)) return;
    const { indptr, indices, data } = this.neighbours;
    for (let p = indptr[item]; p < indptr[item + 1]; p++) out[indices[p]] = data[p];
  }

  /** The arrays that {@link ItemKnnModel.fromArrays} reads back. */
  toArrays(): NamedArrays {
    return {
      ...csrToArrays('neighbors', this.neighbours),
      ...csrToArrays('train', this.train),
      historyWeight: Float64Array.of(this.historyWeight),
      repeatBoost: Float64Array.of(this.repeatBoost),
    };
  }

  /** Rebuilds a model from {@link ItemKnnModel.toArrays} output, checking the arrays. */
  static fromArrays(arrays: Readonly<Record<string, unknown>>): ItemKnnModel {
    const neighbours = csrFromArrays(arrays, 'neighbors', 'square', 'item-knn model');
    const train = csrFromArrays(arrays, 'train', neighbours.rows, 'item-knn model');
    const historyWeight = scalarFromArrays(arrays, 'historyWeight', 'item-knn model');
    // Model directories written before the boost have none: 0.
    const repeatBoost = arrays.repeatBoost === undefined ? 0 : scalarFromArrays(arrays, 'repeatBoost', 'item-knn model');
    return new ItemKnnModel(neighbours, train, { historyWeight, repeatBoost });
  }

  /** out += w * (neighbour row of item) */
  private addRow(item: number, w: number, out: Float32Array): void {
    const { indptr, indices, data } = this.neighbours;
    for (let p = indptr[item]; p < indptr[item + 1]; p++) out[indices[p]] += w * data[p];
  }
}
