/**
 * Scoring straight from a decoded artifact, in whatever quantisation it was stored: the
 * edge's kernels (no node imports). Int8 rows are scored without dequantising them first:
 * dot(int8 row, query) * row scale.
 */
import type { Artifact } from '../format/artifact.js';
import { f16Table } from '../format/f16.js';

let halfTable: Float32Array | null = null;

/** out[i] = item i's vector . query + item i's bias, for every item. */
export function scoreByVector(artifact: Artifact, query: Float32Array, out: Float32Array, queryBias = 0): void {
  const vectors = artifact.vectors;
  if (!vectors) throw new Error('this artifact has no item vectors');
  const { dim, values, scales } = vectors;
  const biases = artifact.biases;
  const n = artifact.itemCount;
  if (query.length < dim) throw new RangeError(`query has ${query.length} values; the artifact's vectors have ${dim}`);
  if (values instanceof Int8Array) {
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      let s0 = 0;
      let s1 = 0;
      let j = 0;
      for (; j + 1 < dim; j += 2) {
        s0 += values[base + j] * query[j];
        s1 += values[base + j + 1] * query[j + 1];
      }
      if (j < dim) s0 += values[base + j] * query[j];
      out[i] = (s0 + s1) * scales![i] + (biases ? biases[i] : 0) + queryBias;
    }
  } else if (values instanceof Uint16Array) {
    const table = (halfTable ??= f16Table());
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += table[values[base + j]] * query[j];
      out[i] = s + (biases ? biases[i] : 0) + queryBias;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      let s = 0;
      for (let j = 0; j < dim; j++) s += values[base + j] * query[j];
      out[i] = s + (biases ? biases[i] : 0) + queryBias;
    }
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

/** out += the neighbour rows of `items` (item-item scores of a cart); unknown indices skipped. */
export function scoreByNeighbours(artifact: Artifact, items: ArrayLike<number>, out: Float32Array): void {
  const nb = artifact.neighbours;
  if (!nb) throw new Error('this artifact has no item neighbours');
  const { indptr, indices, weights, scales } = nb;
  const table = weights instanceof Uint16Array ? (halfTable ??= f16Table()) : null;
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    if (!(it >= 0 && it < artifact.itemCount)) continue;
    const start = indptr[it];
    const end = indptr[it + 1];
    if (weights instanceof Int8Array) {
      const scale = scales![it];
      for (let p = start; p < end; p++) out[indices[p]] += weights[p] * scale;
    } else if (table) {
      for (let p = start; p < end; p++) out[indices[p]] += table[(weights as Uint16Array)[p]];
    } else {
      for (let p = start; p < end; p++) out[indices[p]] += (weights as Float32Array)[p];
    }
  }
}
