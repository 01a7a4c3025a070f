/**
 * The JavaScript scoring kernels: one score per item for one query vector. They are the
 * path wherever the WebAssembly kernel (kernel.wat) is not in use, and its reference: for
 * int8 both give the same scores bit for bit. Typed arrays and numbers in, nothing
 * allocated in the loops.
 */
import { f16Table } from '../format/f16.js';

/** Largest |i16| a quantised query value takes. */
const Q16_MAX = 32767;

/**
 * The largest |q| for a quantised query of length `dim` such that an int8 row's dot
 * product with it stays exact in a signed 32-bit integer (|sum| <= 127 * qMax * dim < 2^31):
 * 32767 (i16) up to dim 516, fewer bits beyond.
 */
function queryLimit(dim: number): number {
  return Math.min(Q16_MAX, Math.floor(0x7fffffff / (127 * Math.max(1, dim))));
}

/**
 * Quantises `query[0..dim)` to integers for the int8 kernels: q[j] = round(query[j] / qScale)
 * with qScale = max |query| / queryLimit(dim); returns qScale (0 for a zero query). The
 * error is at most qScale / 2 per value, 2^-16 of the largest at 64 dimensions: far below
 * the int8 rows' own (scale / 2, 2^-8 of the row's largest). Entries of `q` from `dim`
 * on are set to 0 (the WebAssembly kernel reads the query padded to a multiple of 16).
 */
export function quantizeQuery(query: Float32Array, dim: number, q: Int16Array | Int32Array): number {
  return quantizeQueryTo(query, dim, q, queryLimit(dim));
}

/** {@link quantizeQuery} to integers of at most `limit` in magnitude (the compressed path's coarse pass uses 127). */
export function quantizeQueryTo(query: Float32Array, dim: number, q: Int16Array | Int32Array, limit: number): number {
  let max = 0;
  for (let j = 0; j < dim; j++) {
    const a = Math.abs(query[j]);
    if (a > max) max = a;
  }
  q.fill(0, dim);
  if (max === 0) {
    q.fill(0, 0, dim);
    return 0;
  }
  const qScale = max / limit;
  for (let j = 0; j < dim; j++) {
    const v = Math.round(query[j] / qScale);
    q[j] = v > limit ? limit : Math.max(v, -limit);
  }
  return qScale;
}

/**
 * int8 rows, integer dot products: out[i] = dot(values row i, q) * scales[i] * qScale +
 * biases[i] + queryBias, the dot product exact in int32 (see {@link queryLimit}), the rest
 * in f64 in this order (the WebAssembly kernel uses the same), stored as f32.
 */
export function scoreInt8Js(
  values: Int8Array,
  scales: Float32Array,
  biases: Float32Array | undefined,
  q: Int32Array,
  qScale: number,
  queryBias: number,
  n: number,
  dim: number,
  out: Float32Array,
): void {
  if ((dim & 3) === 0 && (values.byteOffset & 3) === 0) {
    const words = new Int32Array(values.buffer, values.byteOffset, (n * dim) / 4);
    const even = scoreInt8Packed(words, scales, biases, q, qScale, queryBias, n, dim, out);
    if (even < n) scoreInt8Bytes(values, scales, biases, q, qScale, queryBias, even, n, dim, out);
  } else {
    scoreInt8Bytes(values, scales, biases, q, qScale, queryBias, 0, n, dim, out);
  }
}

/**
 * Rows of a multiple of 4 values read as little-endian words, two rows per step (each
 * query value loaded once for both). Returns how many rows it scored (n rounded down to even).
 */
function scoreInt8Packed(
  words: Int32Array,
  scales: Float32Array,
  biases: Float32Array | undefined,
  q: Int32Array,
  qScale: number,
  queryBias: number,
  n: number,
  dim: number,
  out: Float32Array,
): number {
  const perRow = dim >> 2;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = i * perRow;
    let m = k + perRow;
    let s0 = 0;
    let s1 = 0;
    for (let j = 0; j < dim; j += 4, k++, m++) {
      const q0 = q[j];
      const q1 = q[j + 1];
      const q2 = q[j + 2];
      const q3 = q[j + 3];
      const w = words[k];
      const u = words[m];
      s0 = (s0 + Math.imul((w << 24) >> 24, q0) + Math.imul((w << 16) >> 24, q1) + Math.imul((w << 8) >> 24, q2) + Math.imul(w >> 24, q3)) | 0;
      s1 = (s1 + Math.imul((u << 24) >> 24, q0) + Math.imul((u << 16) >> 24, q1) + Math.imul((u << 8) >> 24, q2) + Math.imul(u >> 24, q3)) | 0;
    }
    out[i] = s0 * scales[i] * qScale + (biases === undefined ? 0 : biases[i]) + queryBias;
    out[i + 1] = s1 * scales[i + 1] * qScale + (biases === undefined ? 0 : biases[i + 1]) + queryBias;
  }
  return i;
}

/** Rows `from..n` one byte at a time. */
function scoreInt8Bytes(
  values: Int8Array,
  scales: Float32Array,
  biases: Float32Array | undefined,
  q: Int32Array,
  qScale: number,
  queryBias: number,
  from: number,
  n: number,
  dim: number,
  out: Float32Array,
): void {
  for (let i = from; i < n; i++) {
    const base = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s = (s + Math.imul(values[base + j], q[j])) | 0;
    out[i] = s * scales[i] * qScale + (biases === undefined ? 0 : biases[i]) + queryBias;
  }
}

let halfTable: Float32Array | null = null;

/** f16 rows (raw bits): out[i] = dot(row i, query) + biases[i] + queryBias, summed in f64. */
export function scoreF16Js(
  values: Uint16Array,
  biases: Float32Array | undefined,
  query: Float32Array,
  queryBias: number,
  n: number,
  dim: number,
  out: Float32Array,
): void {
  const table = (halfTable ??= f16Table());
  for (let i = 0; i < n; i++) {
    const base = i * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += table[values[base + j]] * query[j];
    out[i] = s + (biases === undefined ? 0 : biases[i]) + queryBias;
  }
}

/** f32 rows: out[i] = dot(row i, query) + biases[i] + queryBias, summed in f64. */
export function scoreF32Js(
  values: Float32Array,
  biases: Float32Array | undefined,
  query: Float32Array,
  queryBias: number,
  n: number,
  dim: number,
  out: Float32Array,
): void {
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
    out[i] = s0 + s1 + (biases === undefined ? 0 : biases[i]) + queryBias;
  }
}
