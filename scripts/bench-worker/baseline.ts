import type { Artifact } from '../../core/format/artifact.js';

/**
 * The straightforward JavaScript loop that bench:scoring compares with: int8 rows times
 * the f32 query, summed in f64 (the edge's kernel before issue 5).
 */
export function baselineScore(artifact: Artifact, query: Float32Array, out: Float32Array, queryBias = 0): void {
  const { dim, values, scales } = artifact.vectors!;
  const biases = artifact.biases;
  const n = artifact.itemCount;
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
}
