import { decodeArtifact, encodeUserRecord, type SectionKind } from '../../core/format/index.js';
import { encodeArtifact } from './encode.js';
import { sampleFeatures, sampleInput } from './test-data.js';

/** Folder of the kept fixtures, relative to the repository root. */
export const FIXTURE_DIR = 'test/fixtures/format';

/**
 * The kept format fixtures: valid artifacts for each quantisation, per-customer records,
 * and invalid files, each broken in one way. `write-fixtures.ts` writes them to
 * {@link FIXTURE_DIR}; a test checks that the kept files still match this (so a format
 * change shows up as a fixture change in review) and that each is read or rejected as it
 * should be.
 */
export function formatFixtures(): Record<string, Uint8Array> {
  const input = sampleInput();
  const valid = encodeArtifact(input, { quantize: 'int8' });
  const artifact = decodeArtifact(valid);
  const section = (kind: SectionKind) => artifact.sections.find((s) => s.name === kind)!;
  const vectors = section('item-vectors');
  const neighbours = section('neighbours');
  const changed = (edit: (b: Uint8Array) => void) => {
    const b = valid.slice();
    edit(b);
    return b;
  };
  const dim = input.dim!;
  return {
    'valid-int8.bin': valid,
    'valid-f16.bin': encodeArtifact(input, { quantize: 'f16' }),
    'valid-f32.bin': encodeArtifact(input, { quantize: 'f32' }),
    // A zip file's magic.
    'wrong-magic.bin': changed((b) => b.set([0x50, 0x4b, 0x03, 0x04], 0)),
    'future-version.bin': changed((b) => {
      b[4] = 2;
    }),
    // Cut in the middle of the item vectors.
    'truncated.bin': valid.slice(0, vectors.offset + (vectors.byteLength >> 1)),
    // One bit of one neighbour weight.
    'flipped-byte.bin': changed((b) => {
      b[neighbours.offset + neighbours.byteLength - 2] ^= 0x01;
    }),
    // One bit of the dimension in the header.
    'flipped-header.bin': changed((b) => {
      b[12] ^= 0x02;
    }),
    'user-vector-int8.bin': encodeUserRecord({
      kind: 'user-vector',
      itemTableTag: artifact.itemTableTag,
      bias: 0.25,
      vector: input.itemVectors!.slice(0, dim),
      quantize: 'int8',
    }),
    'user-top-items.bin': encodeUserRecord({
      kind: 'top-items',
      itemTableTag: artifact.itemTableTag,
      items: [4, 0, 2],
      scores: [0.9, 0.5, 0.25],
    }),
    // Record version 2: a customer's history alone (item-knn), and a vector with its history block.
    'user-history.bin': encodeUserRecord({ kind: 'history', itemTableTag: artifact.itemTableTag, history: { items: [0, 3, 4], weights: [2, 1, 0.5] } }),
    'user-vector-history.bin': encodeUserRecord({
      kind: 'user-vector',
      itemTableTag: artifact.itemTableTag,
      bias: 0.25,
      vector: input.itemVectors!.slice(0, dim),
      quantize: 'int8',
      history: { items: [1, 2], weights: [1, 3] },
    }),
    // An artifact with the history section (kind 9): repeats allowed on basket, a history weight and a boost.
    'valid-int8-history.bin': encodeArtifact(
      { ...input, history: { repeatBasket: true, repeatForYou: false, historyWeight: 0.25, repeatBoost: 0.5 } },
      { quantize: 'int8' },
    ),
    // An artifact with the item-features section (kind 10): a hybrid model's feature embeddings and their names.
    'valid-int8-features.bin': encodeArtifact({ ...input, itemFeatures: sampleFeatures({ dim }) }, { quantize: 'int8' }),
  };
}
