import type { Csr } from '../../data/sparse.js';
import type { Scorer } from '../scorer.js';
import type { HybridMF } from './hybrid-mf.js';
import { instantiateSimd, sharedMemory, type Simd } from './simd.js';

const NO_ITEMS = new Int32Array(0);

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
  // The item matrix, the query and the scores live in a wasm memory for the SIMD gemv.
  private readonly simd: Simd;
  private readonly query: Float32Array;
  private readonly scores: Float32Array;
  private readonly ptr: { emb: number; bias: number; query: number; scores: number };

  constructor(model: HybridMF, features: { userFeatures?: Csr; itemFeatures?: Csr } = {}) {
    const users = model.getUserRepresentations(features.userFeatures);
    const items = model.getItemRepresentations(features.itemFeatures);
    const d = (this.dim = model.options.dim);
    const n = (this.nItems = items.biases.length);
    this.userEmb = users.embeddings;
    this.userBias = users.biases;
    const align = (bytes: number) => Math.ceil(bytes / 16) * 16;
    const emb = 16;
    const bias = emb + align(n * d * 4);
    const query = bias + align(n * 4);
    const scores = query + align(d * 4);
    const memory = sharedMemory(scores + align(n * 4));
    this.simd = instantiateSimd(memory);
    this.itemEmb = new Float32Array(memory.buffer, emb, n * d);
    this.itemEmb.set(items.embeddings);
    new Float32Array(memory.buffer, bias, n).set(items.biases);
    this.query = new Float32Array(memory.buffer, query, d);
    this.scores = new Float32Array(memory.buffer, scores, n);
    this.ptr = { emb, bias, query, scores };
  }

  /** Scores of every item for the query vector in `this.query`, plus `offset`. */
  private run(offset: number, out: Float32Array): void {
    const p = this.ptr;
    this.simd.gemv(p.emb, p.bias, p.query, p.scores, this.nItems, this.dim);
    out.set(this.scores);
    if (offset !== 0) for (let i = 0; i < out.length; i++) out[i] += offset;
  }

  /** Whether `user` is the index of a known user (anything else is an anonymous visitor). */
  private known(user: number): boolean {
    return Number.isInteger(user) && user >= 0 && user < this.userBias.length;
  }

  /** A known user's scores; an unknown index scores as an anonymous visitor with an empty cart (the item biases). */
  scoreUser(user: number, out: Float32Array): void {
    if (!this.known(user)) {
      this.scoreItems(NO_ITEMS, -1, out);
      return;
    }
    const d = this.dim;
    this.query.set(this.userEmb.subarray(user * d, user * d + d));
    this.run(this.userBias[user], out);
  }

  scoreItems(items: Int32Array, user: number, out: Float32Array): void {
    const d = this.dim;
    const q = this.query;
    q.fill(0);
    if (this.known(user)) for (let j = 0; j < d; j++) q[j] = this.userEmb[user * d + j];
    for (const it of items) {
      if (!(it >= 0 && it < this.nItems)) continue; // unknown ids are ignored
      for (let j = 0; j < d; j++) q[j] += this.itemEmb[it * d + j];
    }
    // The user's bias shifts every score alike: kept so that an empty cart is scoreUser.
    this.run(this.known(user) ? this.userBias[user] : 0, out);
  }
}
