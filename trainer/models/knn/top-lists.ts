import type { Csr } from '../../data/sparse.js';
import type { TopLists } from '../kind.js';
import type { Scorer } from '../scorer.js';
import { TopK } from './top-k.js';

/**
 * Every known customer's `n` best items with a positive score, best first, their own
 * training items left out (unless `repeats`): what the edge serves to a known customer of
 * a neighbourhood model (a customer with nothing to recommend gets an empty list).
 */
export function scoredTopLists(scorer: Scorer, train: Csr, n: number, options: { repeats?: boolean } = {}): TopLists {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  const nn = Math.min(n, scorer.nItems);
  const indptr = new Int32Array(train.rows + 1);
  let items = new Int32Array(train.rows * nn);
  let scores = new Float32Array(train.rows * nn);
  const out = new Float32Array(scorer.nItems);
  const top = new TopK(nn);
  let total = 0;
  for (let u = 0; u < train.rows; u++) {
    scorer.scoreUser(u, out);
    if (!options.repeats) for (let p = train.indptr[u]; p < train.indptr[u + 1]; p++) out[train.indices[p]] = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < out.length; i++) if (out[i] > 0 && Number.isFinite(out[i])) top.push(i, out[i]);
    total += top.drainBestFirst(items, scores, total);
    indptr[u + 1] = total;
  }
  items = items.slice(0, total);
  scores = scores.slice(0, total);
  return { indptr, items, scores };
}
