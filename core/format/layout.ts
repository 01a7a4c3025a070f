// Where each array sits inside a section, from the counts in the section table. The
// writer and the reader both place arrays with these functions; the offsets are those of
// spec/model-format.md (the fixtures pin them down byte for byte).
import { align8, type Quantization } from './spec.js';

/** Bytes per stored value of a quantisation scheme. */
export function valueBytes(q: Quantization): number {
  return q === 'f32' ? 4 : q === 'f16' ? 2 : 1;
}

/** `item-ids`: u32 offsets[n+1], then the UTF-8 bytes. */
export function itemIdsLayout(n: number, bytes: number) {
  const data = align8(4 * (n + 1));
  return { offsets: 0, bytes: data, total: data + bytes };
}

/**
 * `item-vectors` and the values of a per-customer vector: with int8, f32 scales[rows] then
 * the values; otherwise just the values. `scales` is -1 when there are none.
 */
export function vectorsLayout(rows: number, dim: number, q: Quantization) {
  if (q === 'int8') {
    const values = align8(4 * rows);
    return { scales: 0, values, total: values + rows * dim };
  }
  return { scales: -1, values: 0, total: rows * dim * valueBytes(q) };
}

/** `neighbours`: indptr, indices, then (int8) per-row scales and the weights. */
export function neighboursLayout(rows: number, nnz: number, q: Quantization) {
  const indices = align8(4 * (rows + 1));
  const w = align8(indices + 4 * nnz);
  if (q === 'int8') {
    const weights = align8(w + 4 * rows);
    return { indptr: 0, indices, scales: w, weights, total: weights + nnz };
  }
  return { indptr: 0, indices, scales: -1, weights: w, total: w + nnz * valueBytes(q) };
}

/** `popularity` and `trending`: u32 items[k], then f32 scores[k]. */
export function rankingLayout(k: number) {
  const scores = align8(4 * k);
  return { items: 0, scores, total: scores + 4 * k };
}

/** Size of the catalog section's own header (string and prefix counts). */
export const CATALOG_HEADER_BYTES = 16;

/** `catalog`: per-item columns, then the string table and the prefix table. */
export function catalogLayout(n: number, strings: number, stringBytes: number, prefixes: number, prefixBytes: number) {
  const title = CATALOG_HEADER_BYTES;
  const url = align8(title + 4 * n);
  const image = align8(url + 4 * n);
  const category = align8(image + 4 * n);
  const price = align8(category + 4 * n);
  const flags = price + 8 * n;
  const stringOffsets = align8(flags + n);
  const stringPrefix = align8(stringOffsets + 4 * (strings + 1));
  const prefixOffsets = align8(stringPrefix + 2 * strings);
  const prefixData = align8(prefixOffsets + 4 * (prefixes + 1));
  const stringData = align8(prefixData + prefixBytes);
  return {
    title,
    url,
    image,
    category,
    price,
    flags,
    stringOffsets,
    stringPrefix,
    prefixOffsets,
    prefixData,
    stringData,
    total: stringData + stringBytes,
  };
}

/** Size of the `item-features` section's own header (flags, reserved). */
export const ITEM_FEATURES_HEADER_BYTES = 8;

/**
 * `item-features`: flags, the name offsets and bytes, f32 biases[F], then the embeddings
 * laid out as F rows of `item-vectors` (int8: scales, then values).
 */
export function itemFeaturesLayout(features: number, nameBytes: number, dim: number, q: Quantization) {
  const nameOffsets = ITEM_FEATURES_HEADER_BYTES;
  const names = align8(nameOffsets + 4 * (features + 1));
  const biases = align8(names + nameBytes);
  const vectors = align8(biases + 4 * features);
  const rows = vectorsLayout(features, dim, q);
  return {
    nameOffsets,
    names,
    biases,
    scales: rows.scales < 0 ? -1 : vectors + rows.scales,
    values: vectors + rows.values,
    total: vectors + rows.total,
  };
}
