import { dequantize } from './artifact.js';
import { xxh32 } from './checksum.js';
import { FormatError, hex32 } from './errors.js';
import { f16Fits } from './f16.js';
import { valueBytes } from './layout.js';
import { quantizeF16, quantizeRowInt8 } from './quantize.js';
import {
  nameOf,
  QUANTIZATIONS,
  USER_RECORD_HEADER_BYTES,
  USER_RECORD_KINDS,
  USER_RECORD_MAGIC,
  USER_RECORD_VERSION,
  USER_RECORD_VERSION_HISTORY,
  type Quantization,
} from './spec.js';

/** KV keys are at most 512 bytes. */
const MAX_KEY_BYTES = 512;
/** Payload offsets of a user-vector record. */
const VECTOR = { bias: 24, scale: 28, values: 32 } as const;

/**
 * What a customer bought in the training data: item indices, strictly ascending, and their
 * weights (the training interaction weights, >= 0). The history block of a version 2 record.
 */
export interface CustomerHistory {
  items: Uint32Array;
  weights: Float32Array;
}

/** A customer's history to encode (any array-likes; checked). */
interface HistoryInput {
  items: ArrayLike<number>;
  weights: ArrayLike<number>;
}

/**
 * A per-customer record to encode. `itemTableTag` is the artifact's {@link Artifact.itemTableTag}.
 * `history` (optional for kinds 1 and 2) adds the history block, which makes the record version 2.
 */
type UserRecordInput =
  | { kind: 'user-vector'; itemTableTag: number; bias: number; vector: Float32Array; quantize: Quantization; history?: HistoryInput }
  | { kind: 'top-items'; itemTableTag: number; items: ArrayLike<number>; scores: ArrayLike<number>; history?: HistoryInput }
  | { kind: 'history'; itemTableTag: number; history: HistoryInput };

/** A decoded per-customer record; `history` is null in a record without a history block (every version 1 record). */
export type UserRecord =
  | {
      kind: 'user-vector';
      itemTableTag: number;
      /** How the vector was stored. */
      quantization: Quantization;
      bias: number;
      /** The vector, dequantised. */
      vector: Float32Array;
      history: CustomerHistory | null;
    }
  | { kind: 'top-items'; itemTableTag: number; items: Uint32Array; scores: Float32Array; history: CustomerHistory | null }
  | { kind: 'history'; itemTableTag: number; history: CustomerHistory };

/** What a record must agree with: the artifact it is used with. */
interface UserRecordExpectation {
  itemTableTag: number;
  dim: number;
  itemCount: number;
}

/**
 * The KV key of a customer's record: `sellers/<seller>/models/<version>/users/<customerId>`,
 * the customer id percent-encoded. Throws a RangeError for an empty or slash-bearing
 * seller or version, or a key over KV's 512 bytes.
 */
export function userRecordKey(seller: string, version: string, customerId: string): string {
  for (const [name, value] of [
    ['seller', seller],
    ['version', version],
  ] as const) {
    if (value === '' || value.includes('/')) throw new RangeError(`${name} must be non-empty and without "/", got ${JSON.stringify(value)}`);
  }
  const key = `sellers/${seller}/models/${version}/users/${encodeURIComponent(customerId)}`;
  const bytes = new TextEncoder().encode(key).length;
  if (bytes > MAX_KEY_BYTES)
    throw new RangeError(`the KV key for customer ${JSON.stringify(customerId.slice(0, 40))}… is ${bytes} bytes; KV allows ${MAX_KEY_BYTES}`);
  return key;
}

/** Checks a history to encode; returns its length. */
function checkHistory(history: HistoryInput): number {
  const { items, weights } = history;
  const h = items.length;
  if (weights.length !== h) throw new RangeError(`history.items has ${h} entries but history.weights has ${weights.length}`);
  for (let r = 0; r < h; r++) {
    const item = items[r];
    if (!Number.isInteger(item) || item < 0 || item > 0xffffffff) throw new RangeError(`history.items[${r}] is ${item}; item indices are integers >= 0`);
    if (r > 0 && !(item > items[r - 1])) throw new RangeError(`history.items[${r}] is ${item} after ${items[r - 1]}; history items are strictly ascending`);
    const w = Math.fround(weights[r]);
    if (!(w >= 0 && w < Infinity)) throw new RangeError(`history.weights[${r}] is ${weights[r]}; history weights are finite f32 >= 0`);
  }
  return h;
}

/** Encodes one per-customer record (spec/model-format.md, "Per-customer records"): version 1 without a history block, 2 with one. */
export function encodeUserRecord(input: UserRecordInput): Uint8Array {
  if (!Number.isInteger(input.itemTableTag) || input.itemTableTag < 0 || input.itemTableTag > 0xffffffff) {
    throw new RangeError(`itemTableTag must be a u32 (the artifact's itemTableTag), got ${input.itemTableTag}`);
  }
  if (!Object.hasOwn(USER_RECORD_KINDS, input.kind)) throw new RangeError(`kind must be user-vector, top-items or history, got ${String(input.kind)}`);
  const history = input.history;
  const h = history === undefined ? 0 : checkHistory(history);
  let encoding = 0;
  let count = 0;
  let payload = 0;
  if (input.kind === 'user-vector') {
    const { vector, bias, quantize } = input;
    if (QUANTIZATIONS[quantize] === undefined) throw new RangeError(`quantize must be f32, f16 or int8, got ${String(quantize)}`);
    if (!Number.isFinite(Math.fround(bias))) throw new RangeError(`bias must be a finite f32, got ${bias}`);
    for (let j = 0; j < vector.length; j++) {
      const ok = quantize === 'f16' ? f16Fits(vector[j]) : Number.isFinite(vector[j]);
      if (!ok) throw new RangeError(`vector[${j}] is ${vector[j]}, which ${quantize} cannot hold`);
    }
    count = vector.length;
    encoding = QUANTIZATIONS[quantize];
    payload = VECTOR.values - USER_RECORD_HEADER_BYTES + count * valueBytes(quantize);
  } else if (input.kind === 'top-items') {
    count = input.items.length;
    if (input.scores.length !== count) throw new RangeError(`items has ${count} entries but scores has ${input.scores.length}`);
    payload = 8 * count;
  }
  const out = new Uint8Array(USER_RECORD_HEADER_BYTES + payload + 8 * h);
  const view = new DataView(out.buffer);
  if (input.kind === 'user-vector') {
    const { vector, bias, quantize } = input;
    view.setFloat32(VECTOR.bias, bias, true);
    if (quantize === 'int8') {
      const q = new Int8Array(count);
      view.setFloat32(VECTOR.scale, quantizeRowInt8(vector, 0, count, q), true);
      out.set(new Uint8Array(q.buffer), VECTOR.values);
    } else if (quantize === 'f16') {
      const half = new Uint16Array(count);
      quantizeF16(vector, half);
      for (let j = 0; j < count; j++) view.setUint16(VECTOR.values + 2 * j, half[j], true);
    } else {
      for (let j = 0; j < count; j++) view.setFloat32(VECTOR.values + 4 * j, vector[j], true);
    }
  } else if (input.kind === 'top-items') {
    const { items, scores } = input;
    const seen = new Set<number>();
    for (let r = 0; r < count; r++) {
      const item = items[r];
      if (!Number.isInteger(item) || item < 0 || item > 0xffffffff) throw new RangeError(`items[${r}] is ${item}; item indices are integers >= 0`);
      if (seen.has(item)) throw new RangeError(`items[${r}]: item ${item} is listed twice`);
      seen.add(item);
      if (!Number.isFinite(Math.fround(scores[r]))) throw new RangeError(`scores[${r}] is ${scores[r]}; scores are finite f32`);
      view.setUint32(USER_RECORD_HEADER_BYTES + 4 * r, item, true);
      view.setFloat32(USER_RECORD_HEADER_BYTES + 4 * count + 4 * r, scores[r], true);
    }
  }
  if (history !== undefined) {
    const at = USER_RECORD_HEADER_BYTES + payload;
    for (let r = 0; r < h; r++) {
      view.setUint32(at + 4 * r, history.items[r], true);
      view.setFloat32(at + 4 * h + 4 * r, history.weights[r], true);
    }
  }
  out.set(USER_RECORD_MAGIC, 0);
  // Without a history block a record is version 1, byte for byte as before version 2.
  out[4] = input.kind === 'history' || history !== undefined ? USER_RECORD_VERSION_HISTORY : USER_RECORD_VERSION;
  out[5] = USER_RECORD_KINDS[input.kind];
  out[6] = encoding;
  view.setUint32(8, count, true);
  view.setUint32(12, input.itemTableTag, true);
  view.setUint32(20, h, true);
  view.setUint32(16, xxh32(out.subarray(USER_RECORD_HEADER_BYTES)), true);
  return out;
}

/**
 * Decodes a per-customer record. With `expect` (the artifact it will be used with, or its
 * tag, dimension and item count) it also checks that the record was made for that artifact.
 * Throws a {@link FormatError} naming the problem.
 */
export function decodeUserRecord(input: ArrayBuffer | Uint8Array, expect?: UserRecordExpectation): UserRecord {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const len = bytes.length;
  if (len < 4 || !USER_RECORD_MAGIC.every((b, k) => bytes[k] === b)) {
    const got = len < 4 ? `only ${len} byte${len === 1 ? '' : 's'}` : `magic ${hex32(bytes)}`;
    throw new FormatError(`not a PlusOne user record (${got}, expected ${hex32(USER_RECORD_MAGIC)} "P1UR")`, 'user record');
  }
  const version = bytes[4];
  if (len > 4 && version !== USER_RECORD_VERSION && version !== USER_RECORD_VERSION_HISTORY) {
    throw new FormatError(
      `unsupported user record version ${version}; this reader supports ${USER_RECORD_VERSION} and ${USER_RECORD_VERSION_HISTORY}`,
      'user record',
    );
  }
  if (len < USER_RECORD_HEADER_BYTES)
    throw new FormatError(`truncated: the user record header ends at byte ${USER_RECORD_HEADER_BYTES} but the record has ${len}`, 'user record');
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const kind = nameOf(USER_RECORD_KINDS, bytes[5]);
  if (kind === undefined || (kind === 'history' && version === USER_RECORD_VERSION)) {
    throw new FormatError(
      `unknown user record kind ${bytes[5]} in a version ${version} record; this reader knows 1 user-vector, 2 top-items, 3 history (version 2)`,
      'user record',
    );
  }
  const count = view.getUint32(8, true);
  const itemTableTag = view.getUint32(12, true);
  // Version 1: bytes 20..23 are reserved and 0. Version 2: the history length.
  const h = view.getUint32(20, true);
  if (version === USER_RECORD_VERSION && h !== 0) throw new FormatError(`a version 1 user record has reserved bytes 20-23 set (${h})`, 'user record');
  let payload: number;
  let quantization: Quantization = 'f32';
  if (kind === 'user-vector') {
    const q = nameOf(QUANTIZATIONS, bytes[6]);
    if (q === undefined) throw new FormatError(`unknown encoding ${bytes[6]} in the user record`, 'user record');
    quantization = q;
    payload = VECTOR.values - USER_RECORD_HEADER_BYTES + count * valueBytes(q);
  } else {
    if (bytes[6] !== 0) throw new FormatError(`a ${kind} user record has encoding ${bytes[6]}; it must be 0`, 'user record');
    if (kind === 'history' && count !== 0) throw new FormatError(`a history user record has count ${count}; it must be 0`, 'user record');
    payload = 8 * count;
  }
  // In f64: a damaged count or H must not wrap around.
  const expected = USER_RECORD_HEADER_BYTES + payload + 8 * h;
  const what = h > 0 ? `count ${count} and history ${h}` : `count ${count}`;
  if (len < expected) throw new FormatError(`truncated: the ${kind} user record ends at byte ${expected} but has ${len} bytes`, 'user record');
  if (len > expected) throw new FormatError(`the ${kind} user record has ${len} bytes; ${expected} expected for ${what}`, 'user record');
  if (xxh32(bytes.subarray(USER_RECORD_HEADER_BYTES)) !== view.getUint32(16, true)) {
    throw new FormatError('checksum mismatch in user record', 'user record');
  }
  if (expect !== undefined && expect.itemTableTag !== itemTableTag) {
    const hx = (x: number) => `0x${x.toString(16).padStart(8, '0')}`;
    throw new FormatError(
      `user record was made for another artifact (item table ${hx(itemTableTag)}, this artifact ${hx(expect.itemTableTag)})`,
      'user record',
    );
  }
  const history = version === USER_RECORD_VERSION ? null : readHistory(view, USER_RECORD_HEADER_BYTES + payload, h, expect);

  if (kind === 'user-vector') {
    if (expect !== undefined && count !== expect.dim) {
      throw new FormatError(`user vector has dimension ${count} but the artifact's item vectors have ${expect.dim}`, 'user record');
    }
    const scale = view.getFloat32(VECTOR.scale, true);
    if (!(scale >= 0 && scale < Infinity)) throw new FormatError(`user record: int8 scale ${scale} is not finite and >= 0`, 'user record');
    const vector = new Float32Array(count);
    // Copied out with DataView: a record is small and may sit at any alignment.
    if (quantization === 'int8') {
      dequantize(new Int8Array(bytes.buffer, bytes.byteOffset + VECTOR.values, count), 'int8', scale, 0, count, vector);
    } else if (quantization === 'f16') {
      const half = new Uint16Array(count);
      for (let j = 0; j < count; j++) half[j] = view.getUint16(VECTOR.values + 2 * j, true);
      dequantize(half, 'f16', 1, 0, count, vector);
    } else {
      for (let j = 0; j < count; j++) vector[j] = view.getFloat32(VECTOR.values + 4 * j, true);
    }
    return { kind, itemTableTag, quantization, bias: view.getFloat32(VECTOR.bias, true), vector, history };
  }
  if (kind === 'history') return { kind, itemTableTag, history: history! };
  const items = new Uint32Array(count);
  const scores = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    items[r] = view.getUint32(USER_RECORD_HEADER_BYTES + 4 * r, true);
    scores[r] = view.getFloat32(USER_RECORD_HEADER_BYTES + 4 * count + 4 * r, true);
    if (expect !== undefined && items[r] >= expect.itemCount) {
      throw new FormatError(`user record: entry ${r} is item ${items[r]}, but the artifact has ${expect.itemCount} items`, 'user record');
    }
  }
  return { kind, itemTableTag, items, scores, history };
}

/** Reads and checks the history block of `h` entries at `at`. */
function readHistory(view: DataView, at: number, h: number, expect: UserRecordExpectation | undefined): CustomerHistory {
  const items = new Uint32Array(h);
  const weights = new Float32Array(h);
  for (let r = 0; r < h; r++) {
    const item = view.getUint32(at + 4 * r, true);
    if (r > 0 && !(item > items[r - 1]))
      throw new FormatError(`user record: history entry ${r} is item ${item} after ${items[r - 1]}; they must ascend`, 'user record');
    if (expect !== undefined && item >= expect.itemCount) {
      throw new FormatError(`user record: history entry ${r} is item ${item}, but the artifact has ${expect.itemCount} items`, 'user record');
    }
    const w = view.getFloat32(at + 4 * h + 4 * r, true);
    if (!(w >= 0 && w < Infinity)) throw new FormatError(`user record: history entry ${r} has weight ${w}; weights are finite and >= 0`, 'user record');
    items[r] = item;
    weights[r] = w;
  }
  return { items, weights };
}
