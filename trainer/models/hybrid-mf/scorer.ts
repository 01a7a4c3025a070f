import type { Csr } from '../../data/sparse.js';
import type { Scorer } from '../scorer.js';
import { scoreAll, type HybridMF } from './hybrid-mf.js';

/**
 * Scores from precomputed user and item representations. A list of items (a cart, a
 * session) is scored with the sum of their embeddings, plus the user's when known.
 */
export class HybridScorer implements Scorer {
  readonly nItems: number;
  private readonly dim: number;
  private readonly userEmb: Float32Array;
  private readonly userBias: Float32Array;
  private readonly itemEmb: Float32Array;
  private readonly itemBias: Float32Array;
  private readonly query: Float32Array;

  constructor(model: HybridMF, features: { userFeatures?: Csr; itemFeatures?: Csr } = {}) {
    const users = model.getUserRepresentations(features.userFeatures);
    const items = model.getItemRepresentations(features.itemFeatures);
    this.dim = model.options.dim;
    this.userEmb = users.embeddings;
    this.userBias = users.biases;
    this.itemEmb = items.embeddings;
    this.itemBias = items.biases;
    this.nItems = items.biases.length;
    this.query = new Float32Array(this.dim);
  }

  scoreUser(user: number, out: Float32Array): void {
    scoreAll(this.userEmb, this.userBias[user], user, this.itemEmb, this.itemBias, this.dim, out);
  }

  scoreItems(items: Int32Array, user: number, out: Float32Array): void {
    const d = this.dim;
    const q = this.query;
    q.fill(0);
    if (user >= 0) for (let j = 0; j < d; j++) q[j] = this.userEmb[user * d + j];
    for (const it of items) for (let j = 0; j < d; j++) q[j] += this.itemEmb[it * d + j];
    scoreAll(q, 0, 0, this.itemEmb, this.itemBias, d, out);
  }
}
