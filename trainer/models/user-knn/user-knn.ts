import type { Csr } from '../../data/sparse.js';
import { inRange, rowNorms, transposeCsr } from '../knn/csr-ops.js';
import { csrFromArrays, csrToArrays, scalarFromArrays, type NamedArrays } from '../knn/persist.js';
import { sortByIndex, TopK } from '../knn/top-k.js';
import type { TopLists } from '../kind.js';
import { scoredTopLists } from '../knn/top-lists.js';
import type { Scorer } from '../scorer.js';

/** Options of {@link UserKnnModel}. */
interface UserKnnOptions {
  /** K, the number of most similar users that score for a user; default 50. */
  neighbours?: number;
  /**
   * Factor on a known user's history when it joins a query that has items (a cart);
   * default 0, the cart alone (as for item-knn, the history dilutes the cart). A query
   * without items always uses the whole history: that is `scoreUser`.
   */
  historyWeight?: number;
}

const DEFAULTS: Required<UserKnnOptions> = { neighbours: 50, historyWeight: 0 };

/** Each known user's best items, best first (see {@link UserKnnModel.topN}). */
type TopNLists = TopLists;

/**
 * User-user neighbourhood scoring: the score of item j for user u is the sum, over the K
 * users v most similar to u (cosine of the rows of X, weights as given), of
 * sim(u, v) * X[v][j]. A list of items (a cart, a session, an anonymous visitor) is scored
 * as a pseudo-user whose row holds those items with weight 1, with its own K nearest users.
 *
 * Each known user's K neighbours are found once, when the model is built; `topN` turns
 * them into the ready lists the edge serves.
 */
export class UserKnnModel implements Scorer {
  readonly nItems: number;
  readonly nUsers: number;
  /** K. */
  readonly k: number;
  readonly historyWeight: number;
  /** users x items, the training interactions. */
  readonly train: Csr;
  /** users x users: row u holds u's K nearest users and their similarities. */
  readonly neighbours: Csr;
  private readonly byItem: Csr;
  private readonly norms: Float64Array;
  // Scratch of the query path, allocated once.
  private readonly query: Float64Array;
  private readonly queryItems: Int32Array;
  private readonly inQuery: Uint8Array;
  private readonly dot: Float64Array;
  private readonly touched: Int32Array;
  private readonly seen: Uint8Array;
  private readonly top: TopK;
  private readonly nbIdx: Int32Array;
  private readonly nbSim: Float64Array;

  /**
   * @param train users x items, the interactions and their weights
   * @param neighbors the users x users neighbour matrix saved by `toArrays`, to skip the
   *   search; when absent it is computed (work: the sum over items of (users of the item)^2)
   */
  constructor(train: Csr, options: UserKnnOptions = {}, neighbours?: Csr) {
    const opts = { ...DEFAULTS, ...options };
    if (!Number.isInteger(opts.neighbours) || opts.neighbours < 1) {
      throw new RangeError(`neighbours (K) must be an integer >= 1, got ${opts.neighbours}`);
    }
    if (!(opts.historyWeight >= 0) || !Number.isFinite(opts.historyWeight)) {
      throw new RangeError(`historyWeight must be a finite number >= 0, got ${opts.historyWeight}`);
    }
    this.k = opts.neighbours;
    this.historyWeight = opts.historyWeight;
    this.train = train;
    this.nUsers = train.rows;
    this.nItems = train.cols;
    this.byItem = transposeCsr(train);
    this.norms = rowNorms(train);
    this.query = new Float64Array(this.nItems);
    this.queryItems = new Int32Array(this.nItems);
    this.inQuery = new Uint8Array(this.nItems);
    this.dot = new Float64Array(this.nUsers);
    this.touched = new Int32Array(this.nUsers);
    this.seen = new Uint8Array(this.nUsers);
    this.top = new TopK(this.k);
    this.nbIdx = new Int32Array(this.k);
    this.nbSim = new Float64Array(this.k);
    if (neighbours) {
      if (neighbours.rows !== this.nUsers || neighbours.cols !== this.nUsers) {
        throw new RangeError(`neighbors is ${neighbours.rows} x ${neighbours.cols}; expected ${this.nUsers} x ${this.nUsers} (users x users)`);
      }
      this.neighbours = neighbours;
    } else {
      this.neighbours = this.findAllNeighbours();
    }
  }

  /** Scores from the precomputed neighbours of `user` (all 0 for an unknown user). */
  scoreUser(user: number, out: Float32Array): void {
    out.fill(0, 0, this.nItems);
    if (!inRange(user, this.nUsers)) return;
    const { indptr, indices, data } = this.neighbours;
    for (let p = indptr[user]; p < indptr[user + 1]; p++) this.addUser(indices[p], data[p], out);
  }

  /**
   * Scores for a list of items as a pseudo-user (each known item weight 1, repeats adding
   * up), plus the user's history times `historyWeight` when the user is known; the user is
   * never its own neighbour. With no known item, a known user gets `scoreUser`. Items
   * outside [0, nItems) are ignored, and a user outside [0, nUsers) is anonymous.
   */
  scoreItems(items: Int32Array, user: number, out: Float32Array): void {
    const knownUser = inRange(user, this.nUsers);
    let nq = 0;
    for (let i = 0; i < items.length; i++) if (inRange(items[i], this.nItems)) nq = this.addToQuery(nq, items[i], 1);
    if (nq === 0) {
      if (knownUser) this.scoreUser(user, out);
      else out.fill(0, 0, this.nItems);
      return;
    }
    if (knownUser && this.historyWeight > 0) {
      const { indptr, indices, data } = this.train;
      for (let p = indptr[user]; p < indptr[user + 1]; p++) nq = this.addToQuery(nq, indices[p], this.historyWeight * data[p]);
    }
    const q = this.query;
    const qItems = this.queryItems;
    const count = this.nearest(qItems, q, nq, knownUser ? user : -1, this.nbIdx, this.nbSim);
    for (let i = 0; i < nq; i++) {
      q[qItems[i]] = 0;
      this.inQuery[qItems[i]] = 0;
    }
    out.fill(0, 0, this.nItems);
    for (let p = 0; p < count; p++) this.addUser(this.nbIdx[p], this.nbSim[p], out);
  }

  /** Items for a visitor who looks at `item`: the pseudo-user of that one item. */
  similar(item: number, out: Float32Array): void {
    this.scoreItems(Int32Array.of(item), -1, out);
  }

  /**
   * Each known user's `n` best items, best first, leaving out items that score 0 (a user
   * with few neighbours may get a shorter list) and, unless `repeats`, the user's training items.
   */
  topN(n: number, options: { repeats?: boolean } = {}): TopNLists {
    return scoredTopLists(this, this.train, n, options);
  }

  /** The arrays that {@link UserKnnModel.fromArrays} reads back. */
  toArrays(): NamedArrays {
    return {
      ...csrToArrays('train', this.train),
      ...csrToArrays('neighbors', this.neighbours),
      k: Int32Array.of(this.k),
      nItems: Int32Array.of(this.nItems),
      historyWeight: Float64Array.of(this.historyWeight),
    };
  }

  /** Rebuilds a model from {@link UserKnnModel.toArrays} output, checking the arrays. */
  static fromArrays(arrays: Readonly<Record<string, unknown>>): UserKnnModel {
    const nItems = scalarFromArrays(arrays, 'nItems', 'user-knn model');
    const train = csrFromArrays(arrays, 'train', nItems, 'user-knn model');
    const neighbours = csrFromArrays(arrays, 'neighbors', train.rows, 'user-knn model');
    const k = scalarFromArrays(arrays, 'k', 'user-knn model');
    const historyWeight = scalarFromArrays(arrays, 'historyWeight', 'user-knn model');
    return new UserKnnModel(train, { neighbours: k, historyWeight }, neighbours);
  }

  /** Every user's K nearest other users. */
  private findAllNeighbours(): Csr {
    const { indptr: tPtr, indices: tIdx, data: tVal } = this.train;
    const indptr = new Int32Array(this.nUsers + 1);
    let indices = new Int32Array(this.nUsers * this.k);
    let data = new Float32Array(this.nUsers * this.k);
    const q = this.query;
    let nnz = 0;
    for (let u = 0; u < this.nUsers; u++) {
      const start = tPtr[u];
      const len = tPtr[u + 1] - start;
      for (let p = 0; p < len; p++) q[tIdx[start + p]] = tVal[start + p];
      const count = this.nearest(tIdx.subarray(start, start + len), q, len, u, this.nbIdx, this.nbSim);
      for (let p = 0; p < len; p++) q[tIdx[start + p]] = 0;
      for (let p = 0; p < count; p++) {
        indices[nnz + p] = this.nbIdx[p];
        data[nnz + p] = this.nbSim[p];
      }
      nnz += count;
      indptr[u + 1] = nnz;
    }
    indices = indices.slice(0, nnz);
    data = data.slice(0, nnz);
    // CSR rows are sorted by column.
    for (let u = 0; u < this.nUsers; u++) sortByIndex(indices, data, indptr[u], indptr[u + 1]);
    return { rows: this.nUsers, cols: this.nUsers, indptr, indices, data };
  }

  /**
   * The K users most similar to the query row (`q[item]` for the `nq` items in `qItems`),
   * `exclude` left out, similarity > 0 only; written best first, returns how many.
   */
  private nearest(qItems: Int32Array, q: Float64Array, nq: number, exclude: number, idx: Int32Array, sim: Float64Array): number {
    const { indptr, indices, data } = this.byItem;
    const dot = this.dot;
    const touched = this.touched;
    const seen = this.seen;
    let qNorm = 0;
    let nTouched = 0;
    for (let t = 0; t < nq; t++) {
      const item = qItems[t];
      const w = q[item];
      qNorm += w * w;
      for (let p = indptr[item]; p < indptr[item + 1]; p++) {
        const v = indices[p];
        if (seen[v] === 0) {
          seen[v] = 1;
          touched[nTouched++] = v;
        }
        dot[v] += w * data[p];
      }
    }
    qNorm = Math.sqrt(qNorm);
    const top = this.top;
    for (let t = 0; t < nTouched; t++) {
      const v = touched[t];
      const s = dot[v] / (qNorm * this.norms[v]);
      if (v !== exclude && s > 0) top.push(v, s);
      dot[v] = 0;
      seen[v] = 0;
    }
    return top.drainBestFirst(idx, sim);
  }

  /** Adds weight w to the query row's item; returns the new number of query items. */
  private addToQuery(nq: number, item: number, w: number): number {
    if (this.inQuery[item] === 0) {
      this.inQuery[item] = 1;
      this.queryItems[nq++] = item;
    }
    this.query[item] += w;
    return nq;
  }

  /** out += s * X[v] */
  private addUser(v: number, s: number, out: Float32Array): void {
    const { indptr, indices, data } = this.train;
    for (let p = indptr[v]; p < indptr[v + 1]; p++) out[indices[p]] += s * data[p];
  }
}
