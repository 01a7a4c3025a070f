import { describe, expect, it } from 'vitest';
import { decodeUserRecord, encodeUserRecord, userRecordKey } from './user-record.js';
import { formatErrorMessage } from './format-error-message.js';

const TAG = 0x1234abcd;
const vector = Float32Array.from({ length: 64 }, (_, j) => Math.sin(j) * 0.7);
const artifact = { itemTableTag: TAG, dim: 64, itemCount: 10 };

describe('per-customer records', () => {
  it.each([
    ['int8', 96, (x: number, got: number, scale: number) => Math.abs(got - x) <= scale / 2 + 1e-7],
    ['f16', 160, (x: number, got: number) => Math.abs(got - x) <= Math.max(Math.abs(x) * 2 ** -11, 2 ** -25)],
    ['f32', 288, (x: number, got: number) => got === x],
  ] as const)('round-trips a %s user vector (%i bytes at dim 64)', (quantize, size, close) => {
    const bytes = encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: -0.75, vector, quantize });
    expect(bytes.length).toBe(size);
    const r = decodeUserRecord(bytes, artifact);
    if (r.kind !== 'user-vector') throw new Error('wrong kind');
    expect(r.quantization).toBe(quantize);
    expect(r.bias).toBe(-0.75);
    expect(r.itemTableTag).toBe(TAG);
    const scale = Math.fround(Math.max(...vector.map(Math.abs)) / 127);
    vector.forEach((x, j) => expect(close(x, r.vector[j], scale), `value ${j}`).toBe(true));
  });

  it('round-trips a top-items list, from an unaligned buffer too', () => {
    const bytes = encodeUserRecord({ kind: 'top-items', itemTableTag: TAG, items: [7, 2, 9], scores: [3, 2.5, -1] });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    for (const b of [bytes, shifted.subarray(1), bytes.slice().buffer]) {
      const r = decodeUserRecord(b, artifact);
      expect(r).toEqual({ kind: 'top-items', itemTableTag: TAG, items: Uint32Array.of(7, 2, 9), scores: Float32Array.of(3, 2.5, -1) });
    }
  });

  it('rejects what is not a record, another version, a short or corrupt one', () => {
    const bytes = encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: 0, vector, quantize: 'int8' });
    expect(formatErrorMessage(() => decodeUserRecord(new TextEncoder().encode('{"v":[1,2]}')))).toBe(
      'not a PlusOne user record (magic 0x7b227622, expected 0x50315552 "P1UR")',
    );
    const v2 = bytes.slice();
    v2[4] = 2;
    expect(formatErrorMessage(() => decodeUserRecord(v2))).toBe('unsupported user record version 2; this reader supports 1');
    expect(formatErrorMessage(() => decodeUserRecord(bytes.subarray(0, 90)))).toBe('truncated: the user-vector user record ends at byte 96 but has 90 bytes');
    expect(formatErrorMessage(() => decodeUserRecord(bytes.subarray(0, 10)))).toBe('truncated: the user record header ends at byte 24 but the record has 10');
    const flipped = bytes.slice();
    flipped[50] ^= 4;
    expect(formatErrorMessage(() => decodeUserRecord(flipped))).toBe('checksum mismatch in user record');
  });

  it('rejects a record made for another artifact, dimension or item count', () => {
    const bytes = encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: 0, vector, quantize: 'int8' });
    expect(formatErrorMessage(() => decodeUserRecord(bytes, { ...artifact, itemTableTag: 7 }))).toBe(
      'user record was made for another artifact (item table 0x1234abcd, this artifact 0x00000007)',
    );
    expect(formatErrorMessage(() => decodeUserRecord(bytes, { ...artifact, dim: 32 }))).toBe(
      "user vector has dimension 64 but the artifact's item vectors have 32",
    );
    const list = encodeUserRecord({ kind: 'top-items', itemTableTag: TAG, items: [3, 12], scores: [1, 0] });
    expect(formatErrorMessage(() => decodeUserRecord(list, artifact))).toBe('user record: entry 1 is item 12, but the artifact has 10 items');
  });

  it('refuses to encode values it cannot store', () => {
    expect(() => encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: 0, vector: Float32Array.of(1, NaN), quantize: 'int8' })).toThrow(
      'vector[1] is NaN, which int8 cannot hold',
    );
    expect(() => encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: 0, vector: Float32Array.of(70000), quantize: 'f16' })).toThrow(
      'vector[0] is 70000, which f16 cannot hold',
    );
    expect(() => encodeUserRecord({ kind: 'top-items', itemTableTag: TAG, items: [1, 1], scores: [1, 1] })).toThrow('items[1]: item 1 is listed twice');
    expect(() => encodeUserRecord({ kind: 'top-items', itemTableTag: TAG, items: [1], scores: [] })).toThrow('items has 1 entries but scores has 0');
  });

  it('builds KV keys with the customer id percent-encoded', () => {
    expect(userRecordKey('acme', '2026-07-01T12-00', 'c/17 850')).toBe('sellers/acme/models/2026-07-01T12-00/users/c%2F17%20850');
    expect(() => userRecordKey('ac/me', 'v1', 'c1')).toThrow('seller must be non-empty and without "/"');
    expect(() => userRecordKey('acme', 'v1', 'x'.repeat(600))).toThrow(/KV allows 512/);
  });
});
