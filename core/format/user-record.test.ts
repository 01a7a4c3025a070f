import { describe, expect, it } from 'vitest';
import { decodeUserRecord, encodeUserRecord, userRecordKey } from './user-record.js';
import { xxh32 } from './checksum.js';
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
      expect(r).toEqual({ kind: 'top-items', itemTableTag: TAG, items: Uint32Array.of(7, 2, 9), scores: Float32Array.of(3, 2.5, -1), history: null });
    }
  });

  it('round-trips a history record (version 2), from an unaligned buffer too', () => {
    const bytes = encodeUserRecord({ kind: 'history', itemTableTag: TAG, history: { items: [1, 4, 9], weights: [1, 2.5, 0] } });
    expect(bytes[4]).toBe(2);
    expect(bytes.length).toBe(24 + 3 * 8);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    for (const b of [bytes, shifted.subarray(3)]) {
      expect(decodeUserRecord(b, artifact)).toEqual({
        kind: 'history',
        itemTableTag: TAG,
        history: { items: Uint32Array.of(1, 4, 9), weights: Float32Array.of(1, 2.5, 0) },
      });
    }
  });

  it('adds a history block to a vector or a list (version 2), and writes version 1, byte for byte, without one', () => {
    const history = { items: [0, 3], weights: [2, 1] };
    const plain = encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: 0.5, vector, quantize: 'int8' });
    expect(plain[4]).toBe(1);
    expect([...plain.subarray(20, 24)]).toEqual([0, 0, 0, 0]);
    const withHistory = encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: 0.5, vector, quantize: 'int8', history });
    expect(withHistory[4]).toBe(2);
    expect(withHistory.length).toBe(plain.length + 16);
    // The payload is the same; only the version, H, the checksum and the block differ.
    expect([...withHistory.subarray(24, plain.length)]).toEqual([...plain.subarray(24)]);
    const r = decodeUserRecord(withHistory, artifact);
    if (r.kind !== 'user-vector') throw new Error('wrong kind');
    expect(r.bias).toBe(0.5);
    expect(r.history).toEqual({ items: Uint32Array.of(0, 3), weights: Float32Array.of(2, 1) });
    expect((decodeUserRecord(plain, artifact) as { history: unknown }).history).toBeNull();
    const list = decodeUserRecord(encodeUserRecord({ kind: 'top-items', itemTableTag: TAG, items: [5, 6], scores: [1, 0.5], history }), artifact);
    expect(list).toEqual({
      kind: 'top-items',
      itemTableTag: TAG,
      items: Uint32Array.of(5, 6),
      scores: Float32Array.of(1, 0.5),
      history: { items: Uint32Array.of(0, 3), weights: Float32Array.of(2, 1) },
    });
  });

  it('rejects a damaged or inconsistent history block', () => {
    const good = encodeUserRecord({ kind: 'history', itemTableTag: TAG, history: { items: [2, 5], weights: [1, 1] } });
    const resealed = (edit: (view: DataView) => void) => {
      const b = good.slice();
      const view = new DataView(b.buffer);
      edit(view);
      // A valid checksum, so that the check after it is what fails.
      view.setUint32(16, xxh32(b.subarray(24)), true);
      return b;
    };
    expect(
      formatErrorMessage(() =>
        decodeUserRecord(
          resealed((v) => v.setUint32(28, 2, true)),
          artifact,
        ),
      ),
    ).toBe('user record: history entry 1 is item 2 after 2; they must ascend');
    expect(
      formatErrorMessage(() =>
        decodeUserRecord(
          resealed((v) => v.setFloat32(32, -1, true)),
          artifact,
        ),
      ),
    ).toBe('user record: history entry 0 has weight -1; weights are finite and >= 0');
    expect(
      formatErrorMessage(() =>
        decodeUserRecord(
          resealed((v) => v.setUint32(28, 10, true)),
          artifact,
        ),
      ),
    ).toBe('user record: history entry 1 is item 10, but the artifact has 10 items');
    expect(formatErrorMessage(() => decodeUserRecord(good.subarray(0, 36)))).toBe('truncated: the history user record ends at byte 40 but has 36 bytes');
    const v1 = good.slice();
    v1[4] = 1;
    expect(formatErrorMessage(() => decodeUserRecord(v1))).toBe(
      'unknown user record kind 3 in a version 1 record; this reader knows 1 user-vector, 2 top-items, 3 history (version 2)',
    );
    const reserved = encodeUserRecord({ kind: 'top-items', itemTableTag: TAG, items: [1], scores: [1] });
    new DataView(reserved.buffer).setUint32(20, 1, true);
    expect(formatErrorMessage(() => decodeUserRecord(reserved))).toBe('a version 1 user record has reserved bytes 20-23 set (1)');
    expect(() => encodeUserRecord({ kind: 'history', itemTableTag: TAG, history: { items: [3, 1], weights: [1, 1] } })).toThrow(
      'history.items[1] is 1 after 3; history items are strictly ascending',
    );
    expect(() => encodeUserRecord({ kind: 'history', itemTableTag: TAG, history: { items: [3], weights: [Number.NaN] } })).toThrow(
      'history.weights[0] is NaN; history weights are finite f32 >= 0',
    );
  });

  it('rejects what is not a record, another version, a short or corrupt one', () => {
    const bytes = encodeUserRecord({ kind: 'user-vector', itemTableTag: TAG, bias: 0, vector, quantize: 'int8' });
    expect(formatErrorMessage(() => decodeUserRecord(new TextEncoder().encode('{"v":[1,2]}')))).toBe(
      'not a PlusOne user record (magic 0x7b227622, expected 0x50315552 "P1UR")',
    );
    const v3 = bytes.slice();
    v3[4] = 3;
    expect(formatErrorMessage(() => decodeUserRecord(v3))).toBe('unsupported user record version 3; this reader supports 1 and 2');
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
