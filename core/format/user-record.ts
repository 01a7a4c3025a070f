import { dequantize } from './artifact.js';
import { xxh32 } from './checksum.js';
import { FormatError, hex32 } from './errors.js';
import { f16Fits } from './f16.js';
import { valueBytes } from './layout.js';
import { quantizeF16, quantizeRowInt8 } from './quantize.js';
import { nameOf, QUANTIZATIONS, USER_RECORD_HEADER_BYTES, USER_RECORD_KINDS, USER_RECORD_MAGIC, USER_RECORD_VERSION, type Quantization } from './spec.js';

/** KV keys are at most 512 bytes. */
const MAX_KEY_BYTES = 512;
/** Payload offsets of a user-vector record. */
const VECTOR = { bias: 24, scale: 28, values: 32 } as const;

/** A per-customer record to encode. `itemTableTag` is the artifact's {@link Artifact.itemTableTag}. */
type UserRecordInput =
  | { kind: 'user-vector'; itemTableTag: number; bias: number; vector: Float32Array; quantize: Quantization }
  | { kind: 'top-items'; itemTableTag: number; items: ArrayLike<number>; scores: ArrayLike<number> };

/** A decoded per-customer record. */
export type UserRecord =
  | {
      kind: 'user-vector';
      itemTableTag: number;
      /** How the vector was stored. */
      quantization: Quantization;
      bias: number;
      /** The vector, dequantised. */
      vector: Float32Array;
    }
  | { kind: 'top-items'; itemTableTag: number; items: Uint32Array; scores: Float32Array };

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

/** Encodes one per-customer record (spec/model-format.md, "Per-customer records"). */
export function encodeUserRecord(input: UserRecordInput): Uint8Array {
  if (!Number.isInteger(input.itemTableTag) || input.itemTableTag < 0 || input.itemTableTag > 0xffffffff) {
    throw new RangeError(`itemTableTag must be a u32 (the artifact's itemTableTag), got ${input.itemTableTag}`);
  }
  let out: Uint8Array;
  let encoding = 0;
  let count: number;
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
    out = new Uint8Array(VECTOR.values + count * valueBytes(quantize));
    const view = new DataView(out.buffer);
    view.setFloat32(VECTOR.bias, bias, true);
    if (quantize === 'int8') {
      const q = new Int8Array(count);
      view.setFloat32(VECTOR.scale, quantizeRowInt8(vector, 0, count, q), true);
      out.set(new Uint8Array(q.buffer), VECTOR.values);
    } else if (quantize === 'f16') {
      const h = new Uint16Array(count);
      quantizeF16(vector, h);
      for (let j = 0; j < count; j++) view.setUint16(VECTOR.values + 2 * j, h[j], true);
    } else {
      for (let j = 0; j < count; j++) view.setFloat32(VECTOR.values + 4 * j, vector[j], true);
    }
  } else {
    const { items, scores } = input;
    count = items.length;
    if (scores.length !== count) throw new RangeError(`items has ${count} entries but scores has ${scores.length}`);
    out = new Uint8Array(USER_RECORD_HEADER_BYTES + 8 * count);
    const view = new DataView(out.buffer);
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
  out.set(USER_RECORD_MAGIC, 0);
  out[4] = USER_RECORD_VERSION;
  out[5] = USER_RECORD_KINDS[input.kind];
  out[6] = encoding;
  const view = new DataView(out.buffer);
  view.setUint32(8, count, true);
  view.setUint32(12, input.itemTableTag, true);
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
  if (len > 4 && bytes[4] !== USER_RECORD_VERSION) {
    throw new FormatError(`unsupported user record version ${bytes[4]}; this reader supports ${USER_RECORD_VERSION}`, 'user record');
  }
  if (len < USER_RECORD_HEADER_BYTES)
    throw new FormatError(`truncated: the user record header ends at byte ${USER_RECORD_HEADER_BYTES} but the record has ${len}`, 'user record');
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const kind = nameOf(USER_RECORD_KINDS, bytes[5]);
  if (kind === undefined) throw new FormatError(`unknown user record kind ${bytes[5]}; this reader knows 1 user-vector, 2 top-items`, 'user record');
  const count = view.getUint32(8, true);
  const itemTableTag = view.getUint32(12, true);
  let expected: number;
  let quantization: Quantization = 'f32';
  if (kind === 'user-vector') {
    const q = nameOf(QUANTIZATIONS, bytes[6]);
    if (q === undefined) throw new FormatError(`unknown encoding ${bytes[6]} in the user record`, 'user record');
    quantization = q;
    expected = VECTOR.values + count * valueBytes(q);
  } else {
    if (bytes[6] !== 0) throw new FormatError(`a top-items user record has encoding ${bytes[6]}; it must be 0`, 'user record');
    expected = USER_RECORD_HEADER_BYTES + 8 * count;
  }
  if (len < expected) throw new FormatError(`truncated: the ${kind} user record ends at byte ${expected} but has ${len} bytes`, 'user record');
  if (len > expected) throw new FormatError(`the ${kind} user record has ${len} bytes; ${expected} expected for count ${count}`, 'user record');
  if (xxh32(bytes.subarray(USER_RECORD_HEADER_BYTES)) !== view.getUint32(16, true)) {
    throw new FormatError('checksum mismatch in user record', 'user record');
  }
  if (expect !== undefined && expect.itemTableTag !== itemTableTag) {
    const h = (x: number) => `0x${x.toString(16).padStart(8, '0')}`;
    throw new FormatError(`user record was made for another artifact (item table ${h(itemTableTag)}, this artifact ${h(expect.itemTableTag)})`, 'user record');
  }

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
      const h = new Uint16Array(count);
      for (let j = 0; j < count; j++) h[j] = view.getUint16(VECTOR.values + 2 * j, true);
      dequantize(h, 'f16', 1, 0, count, vector);
    } else {
      for (let j = 0; j < count; j++) vector[j] = view.getFloat32(VECTOR.values + 4 * j, true);
    }
    return { kind, itemTableTag, quantization, bias: view.getFloat32(VECTOR.bias, true), vector };
  }
  const items = new Uint32Array(count);
  const scores = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    items[r] = view.getUint32(USER_RECORD_HEADER_BYTES + 4 * r, true);
    scores[r] = view.getFloat32(USER_RECORD_HEADER_BYTES + 4 * count + 4 * r, true);
    if (expect !== undefined && items[r] >= expect.itemCount) {
      throw new FormatError(`user record: entry ${r} is item ${items[r]}, but the artifact has ${expect.itemCount} items`, 'user record');
    }
  }
  return { kind, itemTableTag, items, scores };
}
