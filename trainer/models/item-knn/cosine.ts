import type { Csr } from '../../data/sparse.js';
import { GramRows, rowNorms } from '../knn/csr-ops.js';
import { TopK } from '../knn/top-k.js';

/**
 * Item-item neighbours by cosine similarity of the item columns of X (users x items, the
 * weights used as given): for each item, the k items most similar to it, itself excluded,
 * as an items x items matrix whose row i holds them with their similarities. Only items
 * that share a user with i can be neighbours; ties go to the smaller index.
 *
 * Work: the sum over users of (items of the user)^2, each pair once per direction.
 */
export function cosineNeighbours(X: Csr, k: number): Csr {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k (neighbours per item) must be an integer >= 1, got ${k}`);
  const nItems = X.cols;
  const gram = new GramRows(X);
  const norms = rowNorms(gram.columns);
  const { dot, touched } = gram;

  const kk = Math.min(k, Math.max(nItems - 1, 0));
  const indptr = new Int32Array(nItems + 1);
  let indices = new Int32Array(nItems * kk);
  let data = new Float32Array(nItems * kk);
  const top = new TopK(kk);
  let nnz = 0;
  for (let i = 0; i < nItems; i++) {
    const nTouched = gram.row(i, true);
    const ni = norms[i];
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t];
      const denom = ni * norms[j];
      if (denom > 0) top.push(j, dot[j] / denom);
    }
    gram.clear(nTouched);
    nnz += top.drainByIndex(indices, data, nnz);
    indptr[i + 1] = nnz;
  }
  indices = indices.slice(0, nnz);
  data = data.slice(0, nnz);
  return { rows: nItems, cols: nItems, indptr, indices, data };
}
