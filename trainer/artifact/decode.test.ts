import { describe, expect, it } from 'vitest';
import { decodeArtifact, ENTRY, FormatError, HEADER, HEADER_BYTES, SECTION_ENTRY_BYTES, xxh32, type SectionKind } from '../../core/format/index.js';
import { encodeArtifact } from './encode.js';
import { sampleInput } from './test-data.js';

const valid = encodeArtifact(sampleInput(), { quantize: 'int8' });
const layout = decodeArtifact(valid).sections;

function entryAt(kind: SectionKind): number {
  const k = layout.findIndex((s) => s.name === kind);
  return HEADER_BYTES + k * SECTION_ENTRY_BYTES;
}
function sectionOf(kind: SectionKind) {
  return layout.find((s) => s.name === kind)!;
}

/** A copy of the valid artifact changed by `edit`, with every checksum recomputed, so that the checks behind the checksums are reached. */
function patched(edit: (b: Uint8Array, v: DataView) => void, bytes = valid): Uint8Array {
  const b = bytes.slice();
  const v = new DataView(b.buffer);
  edit(b, v);
  const count = b[HEADER.sectionCount];
  const tableEnd = HEADER_BYTES + count * SECTION_ENTRY_BYTES;
  for (let k = 0; k < count && tableEnd <= b.length; k++) {
    const e = HEADER_BYTES + k * SECTION_ENTRY_BYTES;
    const at = v.getUint32(e + ENTRY.offset, true);
    const end = at + v.getUint32(e + ENTRY.byteLength, true);
    if (end <= b.length) v.setUint32(e + ENTRY.checksum, xxh32(b.subarray(at, end)), true);
  }
  if (tableEnd <= b.length) v.setUint32(HEADER.tableChecksum, xxh32(b.subarray(HEADER_BYTES, tableEnd)), true);
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

describe('decodeArtifact rejects', () => {
  it('what is not an artifact, or too short to say', () => {
    expect(rejection(new TextEncoder().encode('{"items": []}'))).toBe('not a PlusOne model artifact (magic 0x7b226974, expected 0x50314d41 "P1MA")');
    expect(rejection(valid.subarray(0, 2))).toBe('not a PlusOne model artifact (only 2 bytes, expected 0x50314d41 "P1MA")');
    expect(rejection(valid.subarray(0, 20))).toBe('truncated: the header ends at byte 32 but the file has 20');
  });

  it('a later version before reading anything else', () => {
    const v9 = valid.slice(0, 10);
    v9[4] = 9;
    expect(rejection(v9)).toBe('unsupported format version 9; this reader supports 1');
  });

  it('unknown header values', () => {
    expect(rejection(patched((b) => (b[HEADER.modelType] = 9)))).toBe(
      'unknown model type 9 in the header; this reader knows 1 lightfm, 2 item-knn, 3 user-knn, 4 popularity',
    );
    expect(rejection(patched((b) => (b[HEADER.quantization] = 7)))).toBe('unknown quantisation 7 in the header; this reader knows 0 f32, 1 f16, 2 int8');
    expect(rejection(patched((_, v) => v.setUint32(HEADER.flags, 1 << 16, true)))).toBe(
      'the artifact needs features this reader does not have (flags 0x00010000); update the reader',
    );
    // Informational flags it does not know are ignored.
    expect(decodeArtifact(patched((_, v) => v.setUint32(HEADER.flags, 1 << 5, true))).flags).toBe(32);
  });

  it('a section table that runs past the end, or does not match its checksum', () => {
    expect(rejection(patched((b) => (b[HEADER.sectionCount] = 200)))).toBe('truncated: the section table ends at byte 4832 but the file has 1192');
    const b = valid.slice();
    b[HEADER_BYTES + 5] ^= 1;
    expect(rejection(b)).toBe('checksum mismatch in section table');
  });

  it('sections out of place, twice, or past the end', () => {
    const at = entryAt('item-vectors');
    expect(rejection(patched((_, v) => v.setUint32(at + ENTRY.offset, sectionOf('item-vectors').offset + 8, true)))).toBe(
      'section item-vectors starts at byte 320; expected 312 (sections follow each other at the next multiple of 8)',
    );
    expect(rejection(patched((_, v) => v.setUint16(entryAt('trending') + ENTRY.kind, 5, true)))).toBe('section popularity appears twice in the section table');
    const meta = sectionOf('meta');
    expect(rejection(patched((_, v) => v.setUint32(entryAt('meta') + ENTRY.byteLength, meta.byteLength + 100, true)))).toBe(
      `truncated: section meta ends at byte ${meta.offset + meta.byteLength + 100} but the file has ${valid.length}`,
    );
  });

  it('a file longer or shorter than its header says', () => {
    const longer = new Uint8Array(valid.length + 8);
    longer.set(valid);
    expect(rejection(longer)).toBe('8 unexpected bytes after the end of the artifact (the header says 1192 bytes)');
    expect(rejection(patched((_, v) => v.setUint32(HEADER.fileLength, valid.length + 8, true)))).toBe(
      'truncated: the header says 1200 bytes but the file has 1192',
    );
  });

  it('non-zero padding', () => {
    const ids = sectionOf('item-ids');
    const pad = ids.offset + ids.byteLength;
    expect(pad % 8).not.toBe(0);
    expect(rejection(patched((b) => (b[pad] = 1)))).toBe(`padding byte at ${pad} is not zero`);
  });

  it('a section whose size does not match its counts', () => {
    expect(rejection(patched((_, v) => v.setUint32(entryAt('item-biases') + ENTRY.count, 5, true)))).toBe(
      'section item-biases has 5 rows; the header says 6 items',
    );
    expect(rejection(patched((_, v) => v.setUint32(HEADER.dim, 3, true)))).toBe(
      'section item-vectors is 48 bytes; 42 expected for 6 int8 vectors of dimension 3',
    );
    expect(rejection(patched((_, v) => v.setUint32(entryAt('neighbours') + ENTRY.extra, 14, true)))).toBe(
      'section neighbours is 135 bytes; 126 expected for 6 rows and 14 int8 weights',
    );
  });

  it('bad contents behind a good checksum', () => {
    const nb = sectionOf('neighbours');
    const indices = nb.offset + 32; // align8(4 x 7)
    expect(rejection(patched((_, v) => v.setUint32(indices, 99, true)))).toBe('section neighbours: neighbour 0 is item 99, but there are 6 items');
    expect(rejection(patched((_, v) => v.setUint32(nb.offset + 8, 40, true)))).toBe('section neighbours: row pointers decrease at entry 3');
    const pop = sectionOf('popularity');
    expect(rejection(patched((_, v) => v.setUint32(pop.offset + 4, v.getUint32(pop.offset, true), true)))).toMatch(
      /^section popularity: item \d is ranked twice$/,
    );
    const vectors = sectionOf('item-vectors');
    expect(rejection(patched((_, v) => v.setFloat32(vectors.offset + 4, -1, true)))).toBe(
      'section item-vectors: the int8 scale of row 1 is -1; scales are finite and >= 0',
    );
    expect(rejection(patched((b) => (b[entryAt('neighbours') + ENTRY.encoding] = 0)))).toBe(
      'section neighbours is encoded f32 but the header says int8; format version 1 uses one scheme',
    );
    const meta = sectionOf('meta');
    expect(rejection(patched((b) => (b[meta.offset] = 0x5b)))).toMatch(/^section meta is not valid UTF-8 JSON \(/);
    const catalog = sectionOf('catalog');
    expect(rejection(patched((_, v) => v.setUint32(catalog.offset + 16 + 4, 1000, true)))).toMatch(
      /^section catalog: the title of item 1 is string 1000 of \d+$/,
    );
  });

  it('a model type without its required sections', () => {
    const users = encodeArtifact({ modelType: 'user-knn', itemIds: ['a', 'b'], meta: {} }, { quantize: 'int8' });
    expect(rejection(patched((b) => (b[HEADER.modelType] = 2), users))).toBe('item-knn artifacts need the neighbours section; this one has none');
    expect(rejection(patched((b) => (b[HEADER.modelType] = 1), users))).toBe('lightfm artifacts need the item-vectors section; this one has none');
  });

  it('repeated item ids, on the first lookup', () => {
    const two = encodeArtifact({ modelType: 'user-knn', itemIds: ['ab', 'ac'], meta: {} }, { quantize: 'f32' });
    const ids = decodeArtifact(two).sections[0];
    const a = decodeArtifact(patched((b) => (b[ids.offset + 16 + 3] = 0x62), two)); // "ac" -> "ab"
    expect(() => a.itemIndex('ab')).toThrow(new FormatError('section item-ids: item id "ab" appears twice (items 0 and 1)', 'item-ids'));
  });

  it('every single-bit flip, and every truncation', () => {
    const missed: number[] = [];
    for (let bit = 0; bit < valid.length * 8; bit++) {
      const b = valid.slice();
      b[bit >> 3] ^= 1 << (bit & 7);
      try {
        decodeArtifact(b);
        missed.push(bit);
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
      }
    }
    expect(missed).toEqual([]);
    for (let len = 0; len < valid.length; len++) {
      expect(() => decodeArtifact(valid.subarray(0, len))).toThrow(FormatError);
    }
  });
});

describe('decodeArtifact accepts', () => {
  it('a section kind it does not know, after checking it', () => {
    const a = decodeArtifact(patched((_, v) => v.setUint16(entryAt('trending') + ENTRY.kind, 99, true)));
    expect(a.trending).toBeUndefined();
    expect(a.sections.map((s) => s.name)).toContain('kind 99');
    const b = valid.slice();
    new DataView(b.buffer).setUint16(entryAt('trending') + ENTRY.kind, 99, true);
    expect(rejection(b)).toBe('checksum mismatch in section table');
  });

  it('an ArrayBuffer', () => {
    expect(decodeArtifact(valid.slice().buffer).itemCount).toBe(6);
  });
});

describe('the history section', () => {
  const withHistory = encodeArtifact(
    { ...sampleInput(), history: { repeatBasket: false, repeatForYou: true, historyWeight: 0.5, repeatBoost: 2 } },
    { quantize: 'int8' },
  );
  const info = decodeArtifact(withHistory).sections.find((s) => s.name === 'history')!;

  it('round-trips, and an artifact without it keeps the behaviour from before it existed', () => {
    expect(decodeArtifact(withHistory).historySettings).toEqual({ repeatBasket: false, repeatForYou: true, historyWeight: 0.5, repeatBoost: 2 });
    expect(decodeArtifact(valid).historySettings).toEqual({ repeatBasket: true, repeatForYou: true, historyWeight: 0, repeatBoost: 0 });
  });

  it('rejects unknown flag bits, weights that are not finite and >= 0, and set reserved bytes', () => {
    expect(rejection(patched((_, v) => v.setUint32(info.offset, 4, true), withHistory))).toBe('section history has unknown flag bits 0x00000004');
    expect(rejection(patched((_, v) => v.setFloat32(info.offset + 4, -1, true), withHistory))).toBe(
      'section history: the history weight is -1; it must be finite and >= 0',
    );
    expect(rejection(patched((_, v) => v.setFloat32(info.offset + 8, Number.NaN, true), withHistory))).toBe(
      'section history: the repeat boost is NaN; it must be finite and >= 0',
    );
    expect(rejection(patched((_, v) => v.setUint32(info.offset + 12, 1, true), withHistory))).toBe('section history: reserved bytes 12-15 are not zero');
  });

  it('is refused by the encoder with a weight it cannot store', () => {
    expect(() =>
      encodeArtifact(
        { ...sampleInput(), history: { repeatBasket: true, repeatForYou: true, historyWeight: Number.POSITIVE_INFINITY, repeatBoost: 0 } },
        { quantize: 'int8' },
      ),
    ).toThrow('history.historyWeight is Infinity; it must be a finite f32 >= 0');
  });
});
