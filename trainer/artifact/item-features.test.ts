import { describe, expect, it } from 'vitest';
import { unseenVector } from '../../core/catalog/unseen.js';
import { decodeArtifact, ENTRY, FormatError, HEADER, HEADER_BYTES, SECTION_ENTRY_BYTES, xxh32 } from '../../core/format/index.js';
import { Dataset } from '../data/dataset.js';
import type { FeatureRows } from '../data/features.js';
import { lightfm } from '../models/lightfm/index.js';
import { hybridFromContents } from '../models/lightfm/persist.js';
import { plantedProblem } from '../models/lightfm/test-data.js';
import { resolveParams } from '../models/kind.js';
import { encodeArtifact } from './encode.js';
import { exportTrained } from './export.js';
import { sampleFeatures, sampleInput } from './test-data.js';

const input = { ...sampleInput(), itemFeatures: sampleFeatures() };
const valid = encodeArtifact(input, { quantize: 'int8' });
const info = decodeArtifact(valid).sections.find((s) => s.name === 'item-features')!;

/** A copy changed by `edit`, with the section's, the table's and the header's checksums recomputed. */
function patched(edit: (b: Uint8Array, v: DataView) => void, bytes = valid): Uint8Array {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  edit(b, v);
  const count = b[HEADER.sectionCount];
  for (let k = 0; k < count; k++) {
    const e = HEADER_BYTES + k * SECTION_ENTRY_BYTES;
    const at = v.getUint32(e + ENTRY.offset, true);
    v.setUint32(e + ENTRY.checksum, xxh32(b.subarray(at, at + v.getUint32(e + ENTRY.byteLength, true))), true);
  }
  v.setUint32(HEADER.tableChecksum, xxh32(b.subarray(HEADER_BYTES, HEADER_BYTES + count * SECTION_ENTRY_BYTES)), true);
  v.setUint32(HEADER.headerChecksum, xxh32(b.subarray(0, HEADER.headerChecksum)), true);
  return b;
}

function rejection(bytes: Uint8Array): string {
  try {
    decodeArtifact(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return (err as Error).message;
  }
  throw new Error('expected the artifact to be rejected');
}

describe('the item-features section', () => {
  it.each(['int8', 'f16', 'f32'] as const)('round-trips in %s: names, biases, rows within the quantisation', (q) => {
    const f = decodeArtifact(encodeArtifact(input, { quantize: q })).features!;
    expect(f.names.ids()).toEqual(input.itemFeatures.names);
    expect(f.biases).toEqual(input.itemFeatures.biases);
    const dim = input.dim!;
    const out = new Float32Array(dim);
    for (let k = 0; k < 3; k++) {
      // One feature alone: its own row (normalised weight 1).
      expect(unseenVector(f, [input.itemFeatures.names[k]], out).known).toBe(1);
      const row = input.itemFeatures.embeddings.subarray(k * dim, (k + 1) * dim);
      const tolerance = q === 'int8' ? Math.max(...row.map(Math.abs)) / 127 / 2 + 1e-7 : q === 'f16' ? 1e-3 : 0;
      for (let j = 0; j < dim; j++) expect(Math.abs(out[j] - row[j])).toBeLessThanOrEqual(tolerance);
    }
  });

  it('forms an unseen vector as the normalised sum of the known tags, a repeated tag weighing twice, unknown tags ignored', () => {
    const f = decodeArtifact(encodeArtifact(input, { quantize: 'f32' })).features!;
    const dim = input.dim!;
    const e = input.itemFeatures.embeddings;
    const b = input.itemFeatures.biases;
    const out = new Float32Array(dim);
    const r = unseenVector(f, ['type:mug', 'colour:red', 'colour:red', 'design:new-one'], out);
    expect(r.known).toBe(3);
    for (let j = 0; j < dim; j++) expect(out[j]).toBeCloseTo((2 * e[j] + e[dim + j]) / 3, 6);
    expect(r.bias).toBeCloseTo((2 * b[0] + b[1]) / 3, 6);
    expect(unseenVector(f, ['design:new-one'], out)).toEqual({ bias: 0, known: 0 });
    expect([...out]).toEqual([0, 0, 0, 0]);
  });

  it('is refused by the encoder without item vectors, with repeated or empty names, or rows of the wrong size', () => {
    const { itemVectors: _, itemBiases: __, ...noVectors } = input;
    expect(() => encodeArtifact({ ...noVectors, modelType: 'item-knn' }, { quantize: 'int8' })).toThrow('itemFeatures needs itemVectors');
    const f = sampleFeatures();
    expect(() => encodeArtifact({ ...input, itemFeatures: { ...f, names: ['a', 'b', 'a'] } }, { quantize: 'int8' })).toThrow(
      'itemFeatures.names[2]: "a" is also names[0]; feature names must be unique',
    );
    expect(() => encodeArtifact({ ...input, itemFeatures: { ...f, names: ['a', '', 'c'] } }, { quantize: 'int8' })).toThrow('itemFeatures.names[1] is ""');
    expect(() => encodeArtifact({ ...input, itemFeatures: { ...f, biases: new Float32Array(2) } }, { quantize: 'int8' })).toThrow(
      'itemFeatures.biases has 2 values; expected one per feature (3)',
    );
  });

  it('rejects unknown flag bits, repeated or empty names, biases that are not finite, bad scales, and a wrong size', () => {
    expect(rejection(patched((_, v) => v.setUint32(info.offset, 7, true)))).toBe('section item-features has unknown flag bits 0x00000004');
    expect(rejection(patched((_, v) => v.setUint32(info.offset + 4, 1, true)))).toBe('section item-features: reserved bytes 4-7 are not zero');
    // nameOffsets at 8: [0, 10, 18, 30]; names at align8(8 + 16) = 24; biases at align8(24 + 30) = 56; scales at 72.
    expect(rejection(patched((_, v) => v.setUint32(info.offset + 12, 0, true)))).toBe('section item-features: feature 0 has an empty name');
    expect(rejection(patched((_, v) => v.setFloat32(info.offset + 56 + 4, Number.NaN, true)))).toBe(
      'section item-features: the bias of feature 1 is NaN; biases are finite',
    );
    expect(rejection(patched((_, v) => v.setFloat32(info.offset + 72, -1, true)))).toBe(
      'section item-features: the int8 scale of row 0 is -1; scales are finite and >= 0',
    );
    const entry = HEADER_BYTES + decodeArtifact(valid).sections.findIndex((s) => s.name === 'item-features') * SECTION_ENTRY_BYTES;
    expect(rejection(patched((_, v) => v.setUint32(entry + ENTRY.count, 4, true)))).toMatch(
      /^section item-features is \d+ bytes; \d+ expected for 4 int8 feature embeddings of dimension 4 and 30 bytes of names$/,
    );
    const twins = encodeArtifact({ ...input, itemFeatures: { ...sampleFeatures(), names: ['ab', 'ac', 'ad'] } }, { quantize: 'int8' });
    const t = decodeArtifact(twins).sections.find((s) => s.name === 'item-features')!;
    expect(rejection(patched((b) => (b[t.offset + 24 + 3] = 0x62), twins))).toBe('section item-features: feature "ab" appears twice');
  });

  it('is read only beside item vectors', () => {
    // The header says item-knn and dimension 0: the section has nothing to be scored beside.
    const knn = encodeArtifact({ ...sampleInput(), itemFeatures: sampleFeatures() }, { quantize: 'int8' });
    const vectors = decodeArtifact(knn).sections.findIndex((s) => s.name === 'item-vectors');
    const changed = patched((_, v) => v.setUint16(HEADER_BYTES + vectors * SECTION_ENTRY_BYTES + ENTRY.kind, 99, true), knn);
    expect(
      rejection(
        patched(
          (_, v) => v.setUint32(HEADER.dim, 0, true),
          patched((b) => (b[HEADER.modelType] = 2), changed),
        ),
      ),
    ).toBe('the artifact has an item-features section but no item vectors to score with it');
  });
});

describe('export of a hybrid model trained with item features', () => {
  // Items 0-9 fall into two groups by tag; item 9 is in no interaction (known by its tags alone).
  const tags = (i: number) => (i % 2 === 0 ? ['group:even', `shade:${i % 4}`] : ['group:odd', `shade:${i % 4}`]);
  const p = plantedProblem({ nUsers: 30, nItems: 10, clusters: 2, seed: 3 });
  const rows = { users: Array.from(p.users, (u) => `u${u}`), items: Array.from(p.items, (i) => `i${i}`), weights: null, timestamps: null, skipped: 0 };
  const features: FeatureRows = { ids: [], features: [], weights: null, skipped: 0 };
  for (let i = 0; i < 10; i++) {
    for (const t of tags(i)) {
      features.ids.push(`i${i}`);
      features.features.push(t);
    }
  }

  async function trained(itemIdentity: boolean) {
    const dataset = new Dataset({ itemIdentity });
    dataset.fit({ interactions: [rows], itemFeatures: features });
    const interactions = dataset.buildInteractions(rows, { unknown: 'error' });
    const model = await lightfm.fit(
      { dataset, interactions, userFeatures: dataset.buildUserFeatures(), itemFeatures: dataset.buildItemFeatures(features), orders: null },
      resolveParams(lightfm, { dim: 8, epochs: 5, seed: 1 }),
      { threads: 1 },
    );
    return { dataset, model };
  }

  it('carries the named features (not the identity block), and forms an unseen item as the trainer represents a row of its tags', async () => {
    for (const identity of [false, true]) {
      const { dataset, model } = await trained(identity);
      const artifact = decodeArtifact(exportTrained(model, { quantize: 'f32' }).artifact);
      const f = artifact.features!;
      const names = dataset.itemFeatures.toJSON();
      expect(f.names.ids()).toEqual(names);
      expect(f.normalised).toBe(true);
      expect(f.identity).toBe(identity);
      // The trainer's own representation of the row of an item with these two tags: with identity
      // features, its identity weighs 1 too (its embedding, never trained, taken as zero).
      const hybrid = hybridFromContents({ type: 'lightfm', meta: model.meta, dataset, arrays: model.arrays }).model;
      const cols = hybrid.shape.itemFeatures;
      const first = cols - names.length;
      const row = {
        rows: 1,
        cols,
        indptr: Int32Array.of(0, 2),
        indices: Int32Array.of(first + names.indexOf('group:odd'), first + names.indexOf('shade:3')),
        data: identity ? Float32Array.of(1 / 3, 1 / 3) : Float32Array.of(0.5, 0.5),
      };
      const expected = hybrid.getItemRepresentations(row);
      const out = new Float32Array(artifact.dim);
      const r = unseenVector(f, ['group:odd', 'shade:3', 'unknown:tag'], out);
      expect(r.known).toBe(2);
      for (let j = 0; j < artifact.dim; j++) expect(out[j]).toBeCloseTo(expected.embeddings[j], 6);
      expect(r.bias).toBeCloseTo(expected.biases[0], 6);
      if (!identity) {
        // Without identity features, item i3 (tags group:odd, shade:3) is that very row.
        const i3 = artifact.itemVector(artifact.itemIndex('i3'));
        for (let j = 0; j < artifact.dim; j++) expect(out[j]).toBeCloseTo(i3[j], 6);
      }
    }
  });

  it('writes no section for a hybrid model trained without item features', async () => {
    const dataset = new Dataset();
    dataset.fit({ interactions: [rows] });
    const interactions = dataset.buildInteractions(rows, { unknown: 'error' });
    const model = await lightfm.fit(
      { dataset, interactions, userFeatures: null, itemFeatures: null, orders: null },
      resolveParams(lightfm, { dim: 4, epochs: 1, seed: 1 }),
      { threads: 1 },
    );
    const artifact = decodeArtifact(exportTrained(model, { quantize: 'int8' }).artifact);
    expect(artifact.features).toBeUndefined();
    expect(artifact.sections.map((s) => s.name)).not.toContain('item-features');
  });
});
