/**
 * Scoring straight from a decoded artifact, in whatever quantisation it was stored: the
 * edge's kernels (no node imports). Int8 rows are scored without dequantising them first:
 * an integer dot product with the query quantised to 16 bits, times the row's scale.
 *
 * `scoreByVector` runs the WebAssembly kernel once a worker has called `useWasmKernel`
 * (wasm-kernel.ts), and JavaScript otherwise; for int8 both give the same scores.
 */
import type { Artifact } from '../format/artifact.js';
import { f16Table } from '../format/f16.js';
import { quantizeQuery, scoreF16Js, scoreF32Js, scoreInt8Js } from './js-kernels.js';
import { selectTopN, type TopN } from './select.js';
import { wasmScorer } from './wasm-kernel.js';

let halfTable: Float32Array | null = null;
let q32 = new Int32Array(64);

/**
 * out[i] = item i's vector . query + item i's bias + queryBias, for every item. `query`
 * needs `dim` finite values; `out` at least itemCount places.
 *
 * int8: the query is quantised to integers first (|error| <= 2^-16 of its largest value
 * at 64 dimensions, see `quantizeQuery`), so a score differs from the exact dot product of
 * the stored int8 row by at most rowScale * qScale / 2 * sum |row|: some 2^-16 relative,
 * 256 times less than the int8 rows' own rounding. f16 and f32 are summed in f32 by the
 * WebAssembly kernel and in f64 by the JavaScript one.
 */
export function scoreByVector(artifact: Artifact, query: Float32Array, out: Float32Array, queryBias = 0): void {
  const vectors = artifact.vectors;
  if (!vectors) throw new Error('this artifact has no item vectors');
  const { dim, values, scales } = vectors;
  const n = artifact.itemCount;
  if (query.length < dim) throw new RangeError(`query has ${query.length} values; the artifact's vectors have ${dim}`);
  if (out.length < n) throw new RangeError(`out has ${out.length} places; the artifact has ${n} items`);
  for (let j = 0; j < dim; j++) {
    if (!Number.isFinite(query[j])) throw new RangeError(`query[${j}] is ${query[j]}; a query vector must be finite`);
  }
  if (!Number.isFinite(queryBias)) throw new RangeError(`queryBias is ${queryBias}; it must be finite`);
  const wasm = wasmScorer(artifact);
  if (wasm !== null) {
    wasm.score(query, out, queryBias);
    return;
  }
  const biases = artifact.biases;
  if (values instanceof Int8Array) {
    if (q32.length < dim) q32 = new Int32Array(dim);
    const qScale = quantizeQuery(query, dim, q32);
    scoreInt8Js(values, scales!, biases, q32, qScale, queryBias, n, dim, out);
  } else if (values instanceof Uint16Array) {
    scoreF16Js(values, biases, query, queryBias, n, dim, out);
  } else {
    scoreF32Js(values, biases, query, queryBias, n, dim, out);
  }
}

/** The sum of the (dequantised) vectors of `items` into `query` (unknown indices skipped). */
export function sumItemVectors(artifact: Artifact, items: ArrayLike<number>, query: Float32Array): void {
  const dim = artifact.dim;
  const row = new Float32Array(dim);
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    if (!(it >= 0 && it < artifact.itemCount)) continue;
    artifact.itemVector(it, row);
    for (let j = 0; j < dim; j++) query[j] += row[j];
  }
}

/**
 * out += the neighbour rows of `items` (item-item scores of a cart), each times its weight in
 * `rowWeights` (1 when not given); unknown indices skipped.
 */
export function scoreByNeighbours(artifact: Artifact, items: ArrayLike<number>, out: Float32Array, rowWeights?: ArrayLike<number>): void {
  const nb = artifact.neighbours;
  if (!nb) throw new Error('this artifact has no item neighbours');
  const { indptr, indices, weights, scales } = nb;
  const table = weights instanceof Uint16Array ? (halfTable ??= f16Table()) : null;
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    if (!(it >= 0 && it < artifact.itemCount)) continue;
    const w = rowWeights === undefined ? 1 : rowWeights[k];
    const start = indptr[it];
    const end = indptr[it + 1];
    if (weights instanceof Int8Array) {
      const scale = w * scales![it];
      for (let p = start; p < end; p++) out[indices[p]] += weights[p] * scale;
    } else if (table) {
      for (let p = start; p < end; p++) out[indices[p]] += w * table[(weights as Uint16Array)[p]];
    } else {
      for (let p = start; p < end; p++) out[indices[p]] += w * (weights as Float32Array)[p];
    }
  }
}

/**
 * The best `n` items for `query` (+ queryBias) that `accept` lets through, best first, ties
 * by the lower index: `scoreByVector` into `scratch` then `selectTopN`, or, for an int8
 * artifact under the WebAssembly kernel, one fused pass that selects as it scores and
 * stores no scores (the same items and the same scores, bit for bit). `scratch` needs
 * itemCount places when the fused pass does not apply.
 */
export function scoreTopN(artifact: Artifact, query: Float32Array, n: number, scratch: Float32Array, queryBias = 0, accept?: (item: number) => boolean): TopN {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  const wasm = wasmScorer(artifact);
  if (wasm?.canFuse(n)) {
    checkQuery(artifact, query, queryBias);
    return wasm.top(query, n, queryBias, accept);
  }
  scoreByVector(artifact, query, scratch, queryBias);
  return selectTopN(scratch, n, accept === undefined ? undefined : (i) => !accept(i));
}

/**
 * {@link scoreTopN} for several queries (a batched request): with the WebAssembly kernel
 * on an int8 artifact, four queries per pass over the catalog, each row read once for all
 * four; the same lists as one scoreTopN per query. `accept(q, item)` filters query q's list.
 */
export function scoreTopNBatch(
  artifact: Artifact,
  queries: readonly Float32Array[],
  n: number,
  scratch: Float32Array,
  queryBiases: readonly number[] = [],
  accept?: (query: number, item: number) => boolean,
): TopN[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer >= 0, got ${n}`);
  queries.forEach((q, k) => checkQuery(artifact, q, queryBiases[k] ?? 0));
  const wasm = wasmScorer(artifact);
  if (wasm?.canFuse(n)) return wasm.topBatch(queries, n, queryBiases, accept);
  return queries.map((q, k) => scoreTopN(artifact, q, n, scratch, queryBiases[k] ?? 0, accept === undefined ? undefined : (item) => accept(k, item)));
}

function checkQuery(artifact: Artifact, query: Float32Array, queryBias: number): void {
  const dim = artifact.dim;
  if (query.length < dim) throw new RangeError(`query has ${query.length} values; the artifact's vectors have ${dim}`);
  for (let j = 0; j < dim; j++) {
    if (!Number.isFinite(query[j])) throw new RangeError(`query[${j}] is ${query[j]}; a query vector must be finite`);
  }
  if (!Number.isFinite(queryBias)) throw new RangeError(`queryBias is ${queryBias}; it must be finite`);
}
