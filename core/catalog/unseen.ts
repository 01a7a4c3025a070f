import { dequantize, type ItemFeatures } from '../format/artifact.js';

/** What {@link unseenVector} made of an item's tags. */
export interface UnseenVector {
  /** The item's bias: the weighted sum of its features' biases. */
  bias: number;
  /** How many of the tags the section names (0: the item cannot be scored). */
  known: number;
}

/**
 * The vector of an item the artifact does not list, from its tags (spec/model-format.md,
 * "10 `item-features`"): each tag the section names weighs 1 (a tag given twice, 2); when
 * the section says `identity`, the row also holds the item's own identity feature, weight 1,
 * with a zero embedding and bias (an item never trained has no identity embedding; zero is
 * the mean of its initialisation); the weights are divided by their sum when the section
 * says `normalised`, and the vector is the weighted sum of the features' (dequantised)
 * embedding rows, the bias the weighted sum of their biases: LightFM's representation of
 * that item-feature row, as the trainer builds rows. Writes `out[0..dim)` (zeros when no tag
 * is known) and returns the bias and the count.
 */
export function unseenVector(features: ItemFeatures, tags: readonly string[], out: Float32Array): UnseenVector {
  const { dim } = features;
  const rows: number[] = [];
  const weights: number[] = [];
  for (const tag of tags) {
    const f = features.names.indexOf(tag);
    if (f < 0) continue;
    const at = rows.indexOf(f);
    if (at >= 0) weights[at] += 1;
    else {
      rows.push(f);
      weights.push(1);
    }
  }
  out.fill(0, 0, dim);
  if (rows.length === 0) return { bias: 0, known: 0 };
  // The identity feature's weight counts in the row's sum, its zero embedding adds nothing.
  let total = features.identity ? 1 : 0;
  for (const w of weights) total += Math.abs(w);
  const acc = new Float64Array(dim);
  const row = new Float32Array(dim);
  let bias = 0;
  for (let k = 0; k < rows.length; k++) {
    const f = rows[k];
    const w = features.normalised ? weights[k] / total : weights[k];
    dequantize(features.values, features.quantization, features.scales === undefined ? 1 : features.scales[f], f * dim, dim, row);
    for (let j = 0; j < dim; j++) acc[j] += w * row[j];
    bias += w * features.biases[f];
  }
  for (let j = 0; j < dim; j++) out[j] = acc[j];
  let known = 0;
  for (const w of weights) known += w;
  return { bias: Math.fround(bias), known };
}
