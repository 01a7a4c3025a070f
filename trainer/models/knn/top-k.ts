/**
 * The k best (index, value) pairs of a stream: a min-heap of size k whose root is the worst
 * pair kept. "Better" means a larger value, and on equal values the smaller index, so the
 * selection does not depend on the order of the stream. NaN values are never kept.
 */
export class TopK {
  readonly k: number;
  private readonly values: Float64Array;
  private readonly indices: Int32Array;
  private n = 0;

  constructor(k: number) {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be an integer >= 0, got ${k}`);
    this.k = k;
    this.values = new Float64Array(k);
    this.indices = new Int32Array(k);
  }

  /** Number of pairs held (at most k). */
  get size(): number {
    return this.n;
  }

  /** Forgets every pair. */
  clear(): void {
    this.n = 0;
  }

  /** Offers a pair; it is kept when fewer than k are held or it beats the worst one. */
  push(index: number, value: number): void {
    if (value !== value || this.k === 0) return;
    const vals = this.values;
    const idx = this.indices;
    if (this.n < this.k) {
      // Sift up from the new leaf.
      let c = this.n++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(value, index, vals[p], idx[p])) break;
        vals[c] = vals[p];
        idx[c] = idx[p];
        c = p;
      }
      vals[c] = value;
      idx[c] = index;
      return;
    }
    if (!worse(vals[0], idx[0], value, index)) return;
    // Replace the root.
    this.siftDown(value, index);
  }

  /**
   * Writes the pairs held, best first, into `indices` and `values` from `offset`, and
   * returns how many. Clears the heap.
   */
  drainBestFirst(indices: Int32Array, values: Float32Array | Float64Array, offset = 0): number {
    const count = this.n;
    // Popping the worst each time fills the output from its end.
    for (let p = count - 1; p >= 0; p--) {
      indices[offset + p] = this.indices[0];
      values[offset + p] = this.values[0];
      this.popRoot();
    }
    return count;
  }

  /**
   * Writes the pairs held, by ascending index (the order of a CSR row), into `indices` and
   * `values` from `offset`, and returns how many. Clears the heap.
   */
  drainByIndex(indices: Int32Array, values: Float32Array | Float64Array, offset = 0): number {
    const count = this.n;
    indices.set(this.indices.subarray(0, count), offset);
    values.set(this.values.subarray(0, count), offset);
    this.n = 0;
    sortByIndex(indices, values, offset, offset + count);
    return count;
  }

  private popRoot(): void {
    const n = --this.n;
    if (n === 0) return;
    this.siftDown(this.values[n], this.indices[n]);
  }

  /** Puts (value, index) at the root and sifts it down to its place among the n held. */
  private siftDown(value: number, index: number): void {
    const vals = this.values;
    const idx = this.indices;
    const n = this.n;
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= n) break;
      const r = l + 1;
      const w = r < n && worse(vals[r], idx[r], vals[l], idx[l]) ? r : l;
      if (!worse(vals[w], idx[w], value, index)) break;
      vals[c] = vals[w];
      idx[c] = idx[w];
      c = w;
    }
    vals[c] = value;
    idx[c] = index;
  }
}

/** Whether (va, ia) ranks below (vb, ib): a smaller value, or the same value and a larger index. */
function worse(va: number, ia: number, vb: number, ib: number): boolean {
  return va < vb || (va === vb && ia > ib);
}

/** Sorts `indices[start..end)` ascending, moving `values` along (heapsort: in place, n log n). */
export function sortByIndex(indices: Int32Array, values: Float32Array | Float64Array, start: number, end: number): void {
  const n = end - start;
  const siftDown = (root: number, size: number): void => {
    const index = indices[start + root];
    const value = values[start + root];
    let c = root;
    for (;;) {
      let child = 2 * c + 1;
      if (child >= size) break;
      if (child + 1 < size && indices[start + child + 1] > indices[start + child]) child++;
      if (indices[start + child] <= index) break;
      indices[start + c] = indices[start + child];
      values[start + c] = values[start + child];
      c = child;
    }
    indices[start + c] = index;
    values[start + c] = value;
  };
  for (let r = (n >> 1) - 1; r >= 0; r--) siftDown(r, n);
  for (let size = n - 1; size > 0; size--) {
    // Move the largest to the end of the shrinking heap.
    const index = indices[start];
    const value = values[start];
    indices[start] = indices[start + size];
    values[start] = values[start + size];
    indices[start + size] = index;
    values[start + size] = value;
    siftDown(0, size);
  }
}

/**
 * Each row of `m` cut to its `k` largest entries (in magnitude, or in value), ties to the
 * smaller column, the kept entries in column order: the neighbour rows a fit with `k`
 * neighbours keeps, from a fit that kept more.
 */
export function pruneRows(m: { rows: number; cols: number; indptr: Int32Array; indices: Int32Array; data: Float32Array }, k: number, byMagnitude = true) {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be an integer >= 1, got ${k}`);
  const { rows, indptr, indices, data } = m;
  const outPtr = new Int32Array(rows + 1);
  let nnz = 0;
  for (let r = 0; r < rows; r++) nnz += Math.min(k, indptr[r + 1] - indptr[r]);
  const outIdx = new Int32Array(nnz);
  const outVal = new Float32Array(nnz);
  const top = new TopK(k);
  const slot = new Int32Array(k);
  const score = new Float64Array(k);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    const start = indptr[r];
    const len = indptr[r + 1] - start;
    if (len <= k) {
      outIdx.set(indices.subarray(start, start + len), at);
      outVal.set(data.subarray(start, start + len), at);
      at += len;
    } else {
      // Offer positions within the row (ties by position are ties by column: the row is sorted).
      for (let p = 0; p < len; p++) top.push(p, byMagnitude ? Math.abs(data[start + p]) : data[start + p]);
      const kept = top.drainByIndex(slot, score);
      for (let t = 0; t < kept; t++) {
        outIdx[at + t] = indices[start + slot[t]];
        outVal[at + t] = data[start + slot[t]];
      }
      at += kept;
    }
    outPtr[r + 1] = at;
  }
  return { rows, cols: m.cols, indptr: outPtr, indices: outIdx, data: outVal };
}
