import { availableParallelism } from 'node:os';
import type { Csr } from '../../data/sparse.js';
import { TopK } from '../knn/top-k.js';
import { createSpdWorkspace, invertSpd } from './spd-inverse.js';

/** Options of {@link easeNeighbors}. */
interface EaseOptions {
  /** Largest number of items with interactions the dense solver accepts; default 20000. */
  maxItems?: number;
  /**
   * Which k weights of each row to keep: the largest in magnitude (default), which keeps
   * the strongest negative weights too (they push down the items a query argues against;
   * on the bench splits this gave a better top 10 than 'largest'), or the largest values.
   */
  keep?: 'largest' | 'magnitude';
  /** Called after each block of the inversion (the bulk of the time). */
  onProgress?: (done: number, total: number) => void;
  /** Threads of the inversion (the result does not depend on it); default: every core. */
  threads?: number;
}

const DEFAULTS = { maxItems: 20000, keep: 'magnitude' as const };

/**
 * The inverse is computed in float32: G's condition number is small for EASE's lambdas
 * (189 on the retail split at lambda 100), and p@10 and basket_hr@10 on retail are the
 * float64 figures to 4 digits (`npm run bench:ease`, bench:item-knn), at half the memory
 * and with twice the SIMD lanes.
 */
const PRECISION = 'f32';

/**
 * EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data") as item
 * neighbours. With G = X^T X + lambda I over the items that have interactions and
 * P = G^-1, the item-item weights are
 *
 *     B[i][j] = -P[i][j] / P[j][j]  (i != j),   B[i][i] = 0,
 *
 * and a user's score of item j is the sum over items i of x_ui B[i][j]. Row i of the
 * result keeps the k weights of B[i][.] largest in magnitude (or in value, see `keep`), so that scoring a query is summing the
 * rows of its items. Items without interactions keep their index with an empty row (in
 * G their row and column are lambda on the diagonal, which gives them no weight).
 *
 * The inverse is dense: 4 n^2 bytes (float32) and n^3 / 2 multiply-adds for n items with
 * interactions, on every core (3,500 items: 50 MB). Above `maxItems` it throws.
 */
export function easeNeighbours(X: Csr, lambda: number, k: number, options: EaseOptions = {}): Csr {
  const opts = { ...DEFAULTS, ...options };
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new RangeError(`lambda must be a finite number > 0, got ${lambda}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k (neighbours per item) must be an integer >= 1, got ${k}`);
  if (!Number.isInteger(opts.maxItems) || opts.maxItems < 1) {
    throw new RangeError(`maxItems must be an integer >= 1, got ${opts.maxItems}`);
  }
  if (opts.keep !== 'largest' && opts.keep !== 'magnitude') {
    throw new RangeError(`keep must be 'largest' or 'magnitude', got ${JSON.stringify(opts.keep)}`);
  }
  const byMagnitude = opts.keep === 'magnitude';
  const nItems = X.cols;
  const { indptr: xPtr, indices: xIdx, data: xVal } = X;

  // Dense indices of the items with interactions, in item order (so rows stay sorted).
  const dense = new Int32Array(nItems).fill(-1);
  for (let p = 0; p < xIdx.length; p++) dense[xIdx[p]] = 0;
  let n = 0;
  for (let i = 0; i < nItems; i++) if (dense[i] === 0) dense[i] = n++;
  const itemOf = new Int32Array(n);
  for (let i = 0; i < nItems; i++) if (dense[i] >= 0) itemOf[dense[i]] = i;
  if (n > opts.maxItems) {
    throw new RangeError(
      `EASE inverts a dense ${n} x ${n} matrix (${n} items with interactions), over maxItems = ${opts.maxItems}: ` +
        `it would need ${((4 * n * n) / 2 ** 30).toFixed(1)} GiB and n^3 time. Use --similarity ease-approx (or auto) or cosine for this catalogue.`,
    );
  }
  if (n === 0) return { rows: nItems, cols: nItems, indptr: new Int32Array(nItems + 1), indices: new Int32Array(0), data: new Float32Array(0) };

  // G = X^T X + lambda I, lower triangle. Each user adds the products of its item pairs.
  const ws = createSpdWorkspace(n, undefined, PRECISION);
  const { a, size } = ws;
  for (let u = 0; u < X.rows; u++) {
    const start = xPtr[u];
    const end = xPtr[u + 1];
    for (let p = start; p < end; p++) {
      const row = dense[xIdx[p]] * size;
      const w = xVal[p];
      for (let q = start; q <= p; q++) a[row + dense[xIdx[q]]] += w * xVal[q];
    }
  }
  for (let i = 0; i < n; i++) a[i * size + i] += lambda;

  invertSpd(ws, opts.onProgress, opts.threads ?? Math.min(64, availableParallelism()));

  // B[i][j] = -P[i][j] / P[j][j]; keep the k largest (or largest in magnitude) of each row.
  // f32 entries, f64 arithmetic from here on.
  const invDiag = new Float64Array(n);
  for (let j = 0; j < n; j++) invDiag[j] = 1 / a[j * size + j];
  const kk = Math.min(k, n - 1);
  const indptr = new Int32Array(nItems + 1);
  const indices = new Int32Array(n * kk);
  const data = new Float32Array(n * kk);
  const top = new TopK(kk);
  let nnz = 0;
  for (let item = 0; item < nItems; item++) {
    const i = dense[item];
    if (i >= 0) {
      const row = i * size;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const b = -a[row + j] * invDiag[j];
        // An exact 0 (items in separate components of G) is no neighbour.
        if (b !== 0) top.push(j, byMagnitude ? Math.abs(b) : b);
      }
      const start = nnz;
      nnz += top.drainByIndex(indices, data, nnz);
      for (let p = start; p < nnz; p++) {
        const j = indices[p];
        if (byMagnitude) data[p] = -a[row + j] * invDiag[j];
        // Dense indices grow with item indices, so the row stays sorted.
        indices[p] = itemOf[j];
      }
    }
    indptr[item + 1] = nnz;
  }
  return { rows: nItems, cols: nItems, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}
