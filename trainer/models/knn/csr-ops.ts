import type { Csr } from '../../data/sparse.js';

/** The transpose of `m` (cols x rows), rows sorted as CSR requires. */
export function transposeCsr(m: Csr): Csr {
  const { rows, cols, indptr, indices, data } = m;
  const nnz = indices.length;
  const tptr = new Int32Array(cols + 1);
  for (let p = 0; p < nnz; p++) tptr[indices[p] + 1]++;
  for (let c = 0; c < cols; c++) tptr[c + 1] += tptr[c];
  const cursor = tptr.slice(0, cols);
  const tind = new Int32Array(nnz);
  const tdata = new Float32Array(nnz);
  // Rows are visited in order, so each transposed row comes out sorted.
  for (let r = 0; r < rows; r++) {
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const q = cursor[indices[p]]++;
      tind[q] = r;
      tdata[q] = data[p];
    }
  }
  return { rows: cols, cols: rows, indptr: tptr, indices: tind, data: tdata };
}

/** Euclidean norm of each row. */
export function rowNorms(m: Csr): Float64Array {
  const out = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) s += m.data[p] * m.data[p];
    out[r] = Math.sqrt(s);
  }
  return out;
}

/** Whether `i` is a valid row index of a matrix with `n` rows (integer, in range). */
export function inRange(i: number, n: number): boolean {
  return Number.isInteger(i) && i >= 0 && i < n;
}

/**
 * Throws a RangeError naming `what` unless `m` is a well-formed CSR matrix: row pointers
 * from 0 to nnz, never decreasing; columns sorted, unique, in range; finite values.
 */
export function checkCsr(m: Csr, what: string): void {
  const { rows, cols, indptr, indices, data } = m;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`${what} has shape ${rows} x ${cols}`);
  }
  if (indptr.length !== rows + 1 || indptr[0] !== 0 || indptr[rows] !== indices.length || data.length !== indices.length) {
    throw new RangeError(`${what} is not a CSR matrix of ${rows} rows (indptr, indices and data disagree)`);
  }
  for (let r = 0; r < rows; r++) {
    let last = -1;
    if (indptr[r + 1] < indptr[r]) throw new RangeError(`${what}: indptr decreases at row ${r}`);
    for (let p = indptr[r]; p < indptr[r + 1]; p++) {
      const c = indices[p];
      if (!(c > last && c < cols)) throw new RangeError(`${what}: row ${r} holds column ${c}, out of order or outside [0, ${cols})`);
      if (!Number.isFinite(data[p])) throw new RangeError(`${what}: row ${r}, column ${c} has the value ${data[p]}`);
      last = c;
    }
  }
}

/**
 * Rows of the item-item Gram matrix XᵀX of X (users x items), one item at a time, over
 * scratch reused from row to row: `row(i)` sums, for every item j that shares a user with
 * i, the products of their weights into `dot[j]` and lists those j in `touched` (in the
 * order met); read them, then `clear(n)` before the next row. Work per row: the items of
 * each of i's users. Cosine and approximate EASE both build on it.
 */
export class GramRows {
  readonly dot: Float64Array;
  readonly touched: Int32Array;
  private readonly seen: Uint8Array;
  private readonly byItem: Csr;

  constructor(private readonly X: Csr) {
    this.byItem = transposeCsr(X);
    this.dot = new Float64Array(X.cols);
    this.touched = new Int32Array(X.cols);
    this.seen = new Uint8Array(X.cols);
  }

  /** The items x users transpose of X. */
  get columns(): Csr {
    return this.byItem;
  }

  /** Accumulates row i (leaving out i itself with `skipSelf`); returns how many items it touched. */
  row(i: number, skipSelf = false): number {
    const { indptr: xPtr, indices: xIdx, data: xVal } = this.X;
    const { indptr: tPtr, indices: tIdx, data: tVal } = this.byItem;
    const { dot, touched, seen } = this;
    let n = 0;
    for (let p = tPtr[i]; p < tPtr[i + 1]; p++) {
      const u = tIdx[p];
      const w = tVal[p];
      for (let q = xPtr[u]; q < xPtr[u + 1]; q++) {
        const j = xIdx[q];
        if (skipSelf && j === i) continue;
        if (seen[j] === 0) {
          seen[j] = 1;
          touched[n++] = j;
        }
        dot[j] += w * xVal[q];
      }
    }
    return n;
  }

  /** Resets the scratch of the last row, which touched `n` items. */
  clear(n: number): void {
    for (let t = 0; t < n; t++) {
      const j = this.touched[t];
      this.dot[j] = 0;
      this.seen[j] = 0;
    }
  }
}
