/**
 * Compressed sparse row matrix over typed arrays: row r holds the column indices
 * `indices[indptr[r]..indptr[r+1])` (sorted ascending, unique) and their values in `data`.
 */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float32Array;
}

/**
 * Builds a CSR matrix from coordinate triples. Duplicate (row, col) pairs are summed;
 * columns come out sorted within each row, so `csrHas` can binary-search them.
 */
export function csrFromCoo(rows: number, cols: number, rowIdx: Int32Array, colIdx: Int32Array, values?: Float32Array): Csr {
  const n = rowIdx.length;
  const counts = new Int32Array(rows + 1);
  for (let i = 0; i < n; i++) counts[rowIdx[i] + 1]++;
  for (let r = 0; r < rows; r++) counts[r + 1] += counts[r];
  const order = new Int32Array(n);
  const cursor = counts.slice(0, rows);
  for (let i = 0; i < n; i++) order[cursor[rowIdx[i]]++] = i;

  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(n);
  const data = new Float32Array(n);
  let out = 0;
  const scratch: number[] = [];
  for (let r = 0; r < rows; r++) {
    scratch.length = 0;
    for (let p = counts[r]; p < counts[r + 1]; p++) scratch.push(order[p]);
    scratch.sort((a, b) => colIdx[a] - colIdx[b]);
    let last = -1;
    for (const i of scratch) {
      const c = colIdx[i];
      const v = values ? values[i] : 1;
      if (c === last) {
        data[out - 1] += v;
      } else {
        indices[out] = c;
        data[out] = v;
        out++;
        last = c;
      }
    }
    indptr[r + 1] = out;
  }
  return { rows, cols, indptr, indices: indices.slice(0, out), data: data.slice(0, out) };
}

/** Whether row `row` of `m` holds column `col` (binary search over the sorted row). */
export function csrHas(m: Csr, row: number, col: number): boolean {
  let lo = m.indptr[row];
  let hi = m.indptr[row + 1] - 1;
  const idx = m.indices;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = idx[mid];
    if (v === col) return true;
    if (v < col) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
