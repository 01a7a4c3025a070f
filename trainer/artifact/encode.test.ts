import { describe, expect, it } from 'vitest';
import { decodeArtifact, fromF16, type Artifact, type Quantization } from '../../core/format/index.js';
import type { CatalogRow } from './catalog.js';
import { encodeArtifact, type ArtifactInput } from './encode.js';
import { sampleInput } from './test-data.js';

/** Largest error a quantised value may have, per the spec. */
function bound(q: Quantization, x: number, rowScale: number): number {
  if (q === 'f32') return 0;
  if (q === 'f16') return Math.max(Math.abs(x) * 2 ** -11, 2 ** -25);
  // scale / 2, plus the f32 rounding of q x scale (|q x scale| <= 127 scale).
  return rowScale * (0.5 + 127 * 2 ** -24);
}

function section(a: Artifact, name: string) {
  const s = a.sections.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no ${name} section`);
  return s;
}

describe.each(['f32', 'f16', 'int8'] as const)('encode / decode round trip, %s', (q) => {
  const input = sampleInput();
  const bytes = encodeArtifact(input, { quantize: q });
  const a = decodeArtifact(bytes);
  const n = input.itemIds.length;
  const dim = input.dim!;

  it('keeps the header fields', () => {
    expect(a.formatVersion).toBe(1);
    expect(a.modelType).toBe('lightfm');
    expect(a.quantization).toBe(q);
    expect(a.dim).toBe(dim);
    expect(a.itemCount).toBe(n);
    expect(a.byteLength).toBe(bytes.length);
    expect(a.hasUserRecords).toBe(false);
    expect(a.sections.map((s) => s.name)).toEqual(['item-ids', 'item-vectors', 'item-biases', 'neighbours', 'popularity', 'trending', 'catalog', 'meta']);
    for (const s of a.sections) expect(s.offset % 8).toBe(0);
  });

  it('keeps the item ids, and finds items by id', () => {
    expect(a.items.ids()).toEqual(input.itemIds);
    input.itemIds.forEach((id, i) => {
      expect(a.itemId(i)).toBe(id);
      expect(a.itemIndex(id)).toBe(i);
    });
    expect(a.itemIndex('no-such-item')).toBe(-1);
  });

  it('keeps item vectors within the error bound of the scheme', () => {
    const src = input.itemVectors!;
    const out = new Float32Array(dim);
    for (let i = 0; i < n; i++) {
      a.itemVector(i, out);
      const scale = a.vectors!.scales?.[i] ?? 0;
      for (let j = 0; j < dim; j++) {
        const x = src[i * dim + j];
        expect(Math.abs(out[j] - x), `item ${i} value ${j}`).toBeLessThanOrEqual(bound(q, x, scale));
      }
    }
    if (q === 'int8') {
      const scales = a.vectors!.scales!;
      expect(scales[2]).toBe(0); // the zero row
      for (let i = 0; i < n; i++) {
        let max = 0;
        for (let j = 0; j < dim; j++) max = Math.max(max, Math.abs(src[i * dim + j]));
        expect(scales[i]).toBe(Math.fround(max / 127));
      }
    } else {
      expect(a.vectors!.scales).toBeUndefined();
    }
    if (q === 'f16') expect(fromF16(a.vectors!.values[1 * dim + 1])).toBe(a.itemVector(1)[1]);
  });

  it('keeps biases, popularity and trending exactly', () => {
    expect(a.biases).toEqual(input.itemBiases);
    const pop = input.popularity!;
    expect(Array.from(a.popularity!.items)).toEqual(Array.from(pop.order));
    expect(a.popularity!.scores).toEqual(Float32Array.from(pop.scores));
    const tr = input.trending!;
    expect(Array.from(a.trending!.items)).toEqual(Array.from(tr.order));
    expect(a.trending!.scores).toEqual(Float32Array.from(tr.scores));
  });

  it('keeps neighbours: the same rows, weights within the bound', () => {
    const nb = input.neighbours!;
    expect(Array.from(a.neighbours!.indptr)).toEqual(Array.from(nb.indptr));
    expect(Array.from(a.neighbours!.indices)).toEqual(Array.from(nb.indices));
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const len = a.neighbourWeights(i, out);
      expect(len).toBe(nb.indptr[i + 1] - nb.indptr[i]);
      const scale = a.neighbours!.scales?.[i] ?? 0;
      for (let k = 0; k < len; k++) {
        const w = nb.data[nb.indptr[i] + k];
        expect(Math.abs(out[k] - w), `row ${i} neighbour ${k}`).toBeLessThanOrEqual(bound(q, w, scale));
      }
    }
    expect(a.neighbourWeights(0, out)).toBe(0); // the empty row
  });

  it('keeps the catalog, with empty entries for items it lacks', () => {
    const rows = input.catalog as Map<string, CatalogRow>;
    input.itemIds.forEach((id, i) => {
      const row = rows.get(id);
      expect(a.catalog!.entry(i), id).toEqual({
        listed: row !== undefined,
        title: row?.title ?? '',
        url: row?.url ?? '',
        image: row?.image ?? '',
        category: row?.category ?? '',
        price: row?.price ?? null,
        inStock: row?.inStock ?? null,
      });
    });
  });

  it('keeps the meta object', () => {
    expect(a.meta).toEqual(input.meta);
  });

  it('is deterministic', () => {
    expect(encodeArtifact(input, { quantize: q })).toEqual(bytes);
  });
});

describe('encodeArtifact', () => {
  it('keeps item vectors and biases within 72 bytes per item at dim 64 in int8', () => {
    const n = 1000;
    const input = sampleInput({ items: n, dim: 64 });
    const perItem = (q: Quantization) => {
      const a = decodeArtifact(encodeArtifact(input, { quantize: q }));
      return (section(a, 'item-vectors').byteLength + section(a, 'item-biases').byteLength) / n;
    };
    expect(perItem('int8')).toBeLessThanOrEqual(72);
    expect(perItem('int8')).toBe(72);
    expect(perItem('f16')).toBe(132);
    expect(perItem('f32')).toBe(260);
  });

  it('joins the catalog by item id: items it lacks are unlisted, items the model lacks are left out', () => {
    const input = sampleInput();
    const a = decodeArtifact(encodeArtifact(input, { quantize: 'int8' }));
    const c = a.catalog!;
    const last = input.itemIds.length - 1;
    expect(c.entry(last).listed).toBe(false);
    expect(Number.isNaN(c.price[last])).toBe(true);
    expect(c.flags[last]).toBe(0);
    const strings = Array.from({ length: c.stringCount }, (_, k) => c.string(k));
    expect(strings[0]).toBe('');
    expect(strings).not.toContain('Gone');
    // Equal strings share one index, so categories compare as integers.
    expect(c.category[0]).toBe(c.category[2]);
    expect(c.category[0]).not.toBe(c.category[1]);
  });

  it('takes the catalog as one row per item too', () => {
    const input = sampleInput();
    const byId = input.catalog as Map<string, CatalogRow>;
    const rows = input.itemIds.map((id) => byId.get(id));
    const fromRows = encodeArtifact({ ...input, catalog: rows }, { quantize: 'f32' });
    expect(fromRows).toEqual(encodeArtifact(input, { quantize: 'f32' }));
  });

  it('writes each model type with only the sections it needs', () => {
    const base = sampleInput();
    const ids = { itemIds: base.itemIds, meta: { version: 'v1' } };
    const knn = decodeArtifact(encodeArtifact({ ...ids, modelType: 'item-knn', neighbours: base.neighbours }, { quantize: 'int8' }));
    expect(knn.modelType).toBe('item-knn');
    expect(knn.dim).toBe(0);
    expect(knn.vectors).toBeUndefined();
    expect(knn.sections.map((s) => s.name)).toEqual(['item-ids', 'neighbours', 'meta']);
    const pop = decodeArtifact(encodeArtifact({ ...ids, modelType: 'popularity', popularity: base.popularity }, { quantize: 'f32' }));
    expect(pop.modelType).toBe('popularity');
    const users = decodeArtifact(encodeArtifact({ ...ids, modelType: 'user-knn', userRecords: true }, { quantize: 'f32' }));
    expect(users.hasUserRecords).toBe(true);
    expect(users.sections.map((s) => s.name)).toEqual(['item-ids', 'meta']);
  });

  it('returns views into the bytes when they are aligned, and copies once when not', () => {
    const bytes = encodeArtifact(sampleInput(), { quantize: 'int8' });
    const a = decodeArtifact(bytes);
    expect(a.vectors!.values.buffer).toBe(bytes.buffer);
    expect(a.biases!.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const b = decodeArtifact(shifted.subarray(3));
    expect(b.vectors!.values.buffer).not.toBe(shifted.buffer);
    expect(b.itemVector(4)).toEqual(a.itemVector(4));
  });

  it('names the bad input', () => {
    const good = sampleInput();
    const cases: [Partial<ArtifactInput>, string][] = [
      [{ itemVectors: undefined }, 'lightfm artifacts need itemVectors; the input has none'],
      [{ itemIds: [...good.itemIds.slice(0, 5), 'sku-100'] }, 'itemIds[5]: "sku-100" is also itemIds[0]; item ids must be unique'],
      [{ itemIds: ['', ...good.itemIds.slice(1)] }, 'itemIds[0] is ""; item ids are non-empty strings'],
      [{ dim: 5 }, 'itemVectors has 24 values; expected itemIds.length x dim = 6 x 5 = 30'],
      [{ itemVectors: good.itemVectors!.map((x, k) => (k === 9 ? NaN : x)) }, 'itemVectors row 2: value 1 is NaN; values must be finite'],
      [{ itemBiases: new Float32Array(5) }, 'itemBiases has 5 values; expected one per item (6)'],
      [
        { neighbours: { ...good.neighbours!, indices: good.neighbours!.indices.map((x, k) => (k === 0 ? 6 : x)) } },
        'neighbours row 1 lists item 6; indices are 0..5',
      ],
      [{ popularity: { order: [1, 1], scores: [2, 1] } }, 'popularity.order[1]: item 1 is ranked twice'],
      [{ trending: { order: [0], scores: [1, 2] } }, 'trending.order has 1 entries but trending.scores has 2'],
      [{ catalog: [{ title: 'x' }] }, 'catalog has 1 rows; expected one (or undefined) per item (6), or pass a Map by item id'],
    ];
    for (const [change, message] of cases) {
      expect(() => encodeArtifact({ ...good, ...change }, { quantize: 'int8' })).toThrow(message);
    }
    const big = good.itemVectors!.map((x, k) => (k === 5 ? 70000 : x));
    expect(() => encodeArtifact({ ...good, itemVectors: big }, { quantize: 'f16' })).toThrow(
      'itemVectors row 1: value 1 is 70000, beyond the f16 range (+-65504); use quantize "int8" or "f32"',
    );
    expect(() => encodeArtifact(good, { quantize: 'int4' as Quantization })).toThrow('quantize must be "int8", "f16" or "f32", got "int4"');
  });
});
