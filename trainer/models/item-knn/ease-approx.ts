import type { Csr } from '../../data/sparse.js';
import { transposeCsr } from '../knn/csr-ops.js';
import { TopK } from '../knn/top-k.js';

/** Options of {@link easeApproxNeighbours}. */
interface EaseApproxOptions {
  /** Candidate items per regression: the items that co-occur most with the target; default 200. */
  candidates?: number;
  /** Which k weights of each row to keep, as in exact EASE (default 'magnitude'). */
  keep?: 'largest' | 'magnitude';
  /** Called every few hundred items of the regressions (the bulk of the time). */
  onProgress?: (done: number, total: number) => void;
}

const DEFAULTS = { candidates: 200, keep: 'magnitude' as const };
/** Largest candidate count accepted: one regression costs candidates^3 / 6 multiply-adds. */
export const MAX_CANDIDATES = 2000;

/**
 * The sparse Gram matrix G = X^T X of the item columns of X (users x items), both
 * triangles and the diagonal, each row sorted by column. Memory and time grow with its
 * number of non-zeros (pairs of items some user has both) and the sum over users of the
 * square of their item counts, not with items^2.
 */
export function sparseGram(X: Csr): Csr {
  const nItems = X.cols;
  const byItem = transposeCsr(X);
  const { indptr: xPtr, indices: xIdx, data: xVal } = X;
  const { indptr: tPtr, indices: tIdx, data: tVal } = byItem;
  const indptr = new Int32Array(nItems + 1);
  let indices = new Int32Array(Math.max(1024, 4 * xIdx.length));
  let data = new Float32Array(indices.length);
  const dot = new Float64Array(nItems);
  const seen = new Uint8Array(nItems);
  const touched = new Int32Array(nItems);
  let nnz = 0;
  for (let i = 0; i < nItems; i++) {
    let nTouched = 0;
    for (let p = tPtr[i]; p < tPtr[i + 1]; p++) {
      const u = tIdx[p];
      const w = tVal[p];
      for (let q = xPtr[u]; q < xPtr[u + 1]; q++) {
        const j = xIdx[q];
        if (seen[j] === 0) {
          seen[j] = 1;
          touched[nTouched++] = j;
        }
        dot[j] += w * xVal[q];
      }
    }
    if (nnz + nTouched > indices.length) {
      const capacity = Math.max(nnz + nTouched, Math.ceil(indices.length * 1.5));
      const grownIdx = new Int32Array(capacity);
      grownIdx.set(indices.subarray(0, nnz));
      indices = grownIdx;
      const grownVal = new Float32Array(capacity);
      grownVal.set(data.subarray(0, nnz));
      data = grownVal;
    }
    const row = touched.subarray(0, nTouched);
    row.sort();
    for (let t = 0; t < nTouched; t++) {
      const j = row[t];
      indices[nnz] = j;
      data[nnz++] = dot[j];
      dot[j] = 0;
      seen[j] = 0;
    }
    indptr[i + 1] = nnz;
  }
  return { rows: nItems, cols: nItems, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}

/**
 * EASE restricted to candidate neighbourhoods, for catalogues too large for the dense
 * inverse of {@link easeNeighbours}. Exact EASE's column j (the weights that predict item
 * j from the others) is the ridge regression of X[:, j] on all the other columns:
 *
 *     (G[N, N] + lambda I) b = G[N, j]   with N = every item but j, G = X^T X,
 *
 * and B[a][j] = b[a]. Here N is cut to the `candidates` items with the largest G[j][a]
 * (the items bought most often with j; ties to the smaller index), which leaves a small
 * dense system per item, solved by Cholesky. An item outside N has weight 0 in column j.
 * Only items that co-occur with j are candidates, so the result is exact EASE's when every
 * item co-occurs with every other of its connected part of G and candidates >= those items;
 * otherwise exact EASE also gives small second-order weights to items that never co-occur
 * with j (through the items they both co-occur with), which this leaves out. Row i of the
 * result then keeps the k weights B[i][.] largest in magnitude (or value, see `keep`), the
 * same format and rule as exact EASE.
 *
 * Memory: the sparse Gram matrix (8 bytes per co-occurring pair) plus 8 bytes per
 * candidate per item; time: the Gram matrix plus, per item, C^3 / 6 multiply-adds for its
 * C candidates and the look-ups of G[N, N] in the sparse rows.
 */
export function easeApproxNeighbours(X: Csr, lambda: number, k: number, options: EaseApproxOptions = {}): Csr {
  const opts = { ...DEFAULTS, ...options };
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new RangeError(`lambda must be a finite number > 0, got ${lambda}`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k (neighbours per item) must be an integer >= 1, got ${k}`);
  if (!Number.isInteger(opts.candidates) || opts.candidates < 1 || opts.candidates > MAX_CANDIDATES) {
    throw new RangeError(`candidates must be an integer from 1 to ${MAX_CANDIDATES}, got ${opts.candidates}`);
  }
  if (opts.keep !== 'largest' && opts.keep !== 'magnitude') {
    throw new RangeError(`keep must be 'largest' or 'magnitude', got ${JSON.stringify(opts.keep)}`);
  }
  const G = sparseGram(X);
  const columns = solveColumns(G, lambda, opts.candidates, 0, G.rows, opts.onProgress);
  return keepPerRow(columns, k, opts.keep === 'magnitude');
}

/**
 * The restricted regressions of the items [from, to): for each, its candidates (sorted by
 * index) and their weights, as a CSR whose row j is column j of B.
 */
export function solveColumns(G: Csr, lambda: number, candidates: number, from: number, to: number, onProgress?: (done: number, total: number) => void): Csr {
  const nItems = G.rows;
  const { indptr: gPtr, indices: gIdx, data: gVal } = G;
  const indptr = new Int32Array(to - from + 1);
  // Candidates per item are at most min(C, its co-occurring items); size the output exactly.
  let total = 0;
  for (let j = from; j < to; j++) total += Math.min(candidates, Math.max(gPtr[j + 1] - gPtr[j] - 1, 0));
  const indices = new Int32Array(total);
  const data = new Float32Array(total);
  const pos = new Int32Array(nItems).fill(-1);
  const top = new TopK(candidates);
  const cand = new Int32Array(candidates);
  const candVal = new Float32Array(candidates);
  const a = new Float64Array(candidates * candidates);
  const rhs = new Float64Array(candidates);
  let nnz = 0;
  const step = Math.max(1, Math.floor((to - from) / 100));
  for (let j = from; j < to; j++) {
    for (let p = gPtr[j]; p < gPtr[j + 1]; p++) if (gIdx[p] !== j) top.push(gIdx[p], gVal[p]);
    const c = top.drainByIndex(cand, candVal);
    if (c > 0) {
      for (let s = 0; s < c; s++) {
        pos[cand[s]] = s;
        rhs[s] = candVal[s];
      }
      // A = G[N, N] + lambda I, lower triangle (row s, columns t <= s), from the sparse rows.
      for (let s = 0; s < c; s++) {
        const row = s * c;
        a.fill(0, row, row + s + 1);
        const item = cand[s];
        const start = gPtr[item];
        const end = gPtr[item + 1];
        if (end - start <= 8 * c) {
          for (let p = start; p < end; p++) {
            const t = pos[gIdx[p]];
            if (t >= 0 && t <= s) a[row + t] = gVal[p];
          }
        } else {
          // A long row (a popular item): binary search for the candidates up to s instead.
          let lo = start;
          for (let t = 0; t <= s; t++) {
            const want = cand[t];
            let hi = end;
            while (lo < hi) {
              const mid = (lo + hi) >>> 1;
              if (gIdx[mid] < want) lo = mid + 1;
              else hi = mid;
            }
            if (lo < end && gIdx[lo] === want) a[row + t] = gVal[lo];
          }
        }
        a[row + s] += lambda;
      }
      choleskySolve(a, c, rhs);
      for (let s = 0; s < c; s++) {
        pos[cand[s]] = -1;
        indices[nnz] = cand[s];
        data[nnz++] = rhs[s];
      }
    }
    indptr[j - from + 1] = nnz;
    if (onProgress && (j - from + 1) % step === 0) onProgress(j - from + 1, to - from);
  }
  return { rows: to - from, cols: nItems, indptr, indices: indices.subarray(0, nnz), data: data.subarray(0, nnz) };
}

/**
 * Solves A x = b in place (x into `b`) for the symmetric positive definite n x n matrix
 * whose lower triangle is in `a` (row-major, rows n apart), overwriting it with its
 * Cholesky factor L (A = L L^T).
 */
export function choleskySolve(a: Float64Array, n: number, b: Float64Array): void {
  // Row by row: L[i][j] = (A[i][j] - L[i][<j] . L[j][<j]) / L[j][j], two rows j at a time so
  // that each value of row i read serves two dot products (this loop is most of the time).
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let j = 0;
    for (; j + 1 < i; j += 2) {
      const rj = j * n;
      const rk = rj + n;
      let s0 = 0;
      let s1 = 0;
      let t0 = 0;
      let t1 = 0;
      let q = 0;
      for (; q + 1 < j; q += 2) {
        const x0 = a[ri + q];
        const x1 = a[ri + q + 1];
        s0 += x0 * a[rj + q];
        s1 += x1 * a[rj + q + 1];
        t0 += x0 * a[rk + q];
        t1 += x1 * a[rk + q + 1];
      }
      if (q < j) {
        const x0 = a[ri + q];
        s0 += x0 * a[rj + q];
        t0 += x0 * a[rk + q];
      }
      const lij = (a[ri + j] - (s0 + s1)) / a[rj + j];
      a[ri + j] = lij;
      // Row j + 1 has one more term, q = j.
      a[ri + j + 1] = (a[ri + j + 1] - (t0 + t1) - lij * a[rk + j]) / a[rk + j + 1];
    }
    for (; j < i; j++) {
      const rj = j * n;
      let s = 0;
      for (let q = 0; q < j; q++) s += a[ri + q] * a[rj + q];
      a[ri + j] = (a[ri + j] - s) / a[rj + j];
    }
    let s = a[ri + i];
    for (let q = 0; q < i; q++) s -= a[ri + q] * a[ri + q];
    // G + lambda I is positive definite; a non-positive pivot means the data were not finite.
    if (!(s > 0)) throw new RangeError(`the candidate system is not positive definite at pivot ${i} (${s}); are the interaction weights finite?`);
    a[ri + i] = Math.sqrt(s);
  }
  // L y = b, then L^T x = y.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let q = 0; q < i; q++) s -= a[ri + q] * b[q];
    b[i] = s / a[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let q = i + 1; q < n; q++) s -= a[q * n + i] * b[q];
    b[i] = s / a[i * n + i];
  }
}

/**
 * From the columns of B (row j of `columns`: the weights B[a][j] of its candidates a), the
 * rows of B with the k weights of each kept (largest in magnitude, or in value), sorted by
 * column: the neighbour matrix the item-knn model scores with.
 */
export function keepPerRow(columns: Csr, k: number, byMagnitude: boolean): Csr {
  const n = columns.rows;
  // Transpose: row a gathers (j, B[a][j]) over the columns j that have a as a candidate.
  const rowsB = transposeCsr(columns);
  const { indptr: rPtr, indices: rIdx, data: rVal } = rowsB;
  const kk = Math.min(k, Math.max(n - 1, 0));
  const indptr = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.min(kk, rPtr[i + 1] - rPtr[i]);
  const indices = new Int32Array(total);
  const data = new Float32Array(total);
  const top = new TopK(kk);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    const start = nnz;
    // An exact 0 is no neighbour, as in exact EASE.
    for (let p = rPtr[i]; p < rPtr[i + 1]; p++) if (rVal[p] !== 0) top.push(rIdx[p], byMagnitude ? Math.abs(rVal[p]) : rVal[p]);
    nnz += top.drainByIndex(indices, data, nnz);
    if (byMagnitude) {
      // Restore the signs: both lists are sorted by column, so walk them together.
      let p = rPtr[i];
      for (let q = start; q < nnz; q++) {
        while (rIdx[p] !== indices[q]) p++;
        data[q] = rVal[p];
      }
    }
    indptr[i + 1] = nnz;
  }
  return { rows: n, cols: n, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}
