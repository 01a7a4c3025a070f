import { describe, expect, it } from 'vitest';
import { LiveItems } from '../core/catalog/live.js';
import { decodeLayer } from '../core/catalog/layer.js';
import { applyChanges, type CatalogChange } from '../core/catalog/merge.js';
import { CatalogSnapshot } from '../core/catalog/snapshot.js';
import type { Quantization } from '../core/format/spec.js';
import { recommend, scoreAllVectors, type RecommendQuery } from '../core/recommend/recommend.js';
import { encodeArtifact, type ArtifactInput } from '../trainer/artifact/encode.js';
import { loaded } from '../trainer/eval/served.js';

/**
 * A hybrid model in two dimensions: items a0-a3 point along x, b0-b3 along y; the features
 * `theme:x` and `theme:y` are those directions, `colour:red` a little of both. Item a3 is
 * out of stock and c0 (a poster) has no vector direction of its own.
 */
function artifactInput(withFeatures: boolean): ArtifactInput {
  const ids = ['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'b3'];
  const itemVectors = Float32Array.from(ids.flatMap((id, i) => (id.startsWith('a') ? [1 - i / 100, 0.01] : [0.01, 1 - i / 100])));
  return {
    modelType: 'lightfm',
    itemIds: ids,
    dim: 2,
    itemVectors,
    itemBiases: new Float32Array(ids.length),
    popularity: { order: Int32Array.from(ids.keys()).reverse(), scores: Float32Array.from(ids, (_, r) => 8 - r) },
    catalog: new Map(
      ids.map((id, i) => [
        id,
        { title: `Item ${id}`, url: `https://shop.example/p/${id}`, category: id.startsWith('a') ? 'mugs' : 'tees', price: 10 + i, inStock: id !== 'a3' },
      ]),
    ),
    meta: { version: 'v1' },
    ...(withFeatures
      ? {
          itemFeatures: {
            names: ['theme:x', 'theme:y', 'colour:red'],
            embeddings: Float32Array.of(2, 0, 0, 2, 0.2, 0.2),
            biases: Float32Array.of(0.1, 0, 0),
            normalised: true,
            identity: false,
          },
        }
      : {}),
  };
}

function model(withFeatures = true, quantize: Quantization = 'int8') {
  return loaded(encodeArtifact(artifactInput(withFeatures), { quantize }));
}

function snapshot(...calls: CatalogChange[][]): CatalogSnapshot {
  let delta = null;
  for (const c of calls) delta = decodeLayer(applyChanges(delta, c));
  return new CatalogSnapshot(calls.length, null, delta);
}

function query(surface: RecommendQuery['surface'], items: string[], extra: Partial<RecommendQuery> = {}): RecommendQuery {
  return {
    surface,
    items,
    customer: null,
    n: 4,
    exclude: [],
    filters: { category: null, inStock: false, minPrice: null, maxPrice: null },
    model: null,
    ...extra,
  };
}

const noRecords = async () => null;
const log = () => {};

describe('recommend() with the latest catalog', () => {
  const newMug: CatalogChange = {
    upsert: { id: 'new-mug', title: 'New mug', price: 9, in_stock: true, category: 'mugs', features: ['theme:x', 'colour:red'] },
  };

  it('scores a pushed item the model never saw from its tags: similar?item=NEW answers related items, not a fallback', async () => {
    for (const q of ['int8', 'f16', 'f32'] as const) {
      const m = model(true, q);
      const live = LiveItems.of(m.artifact, snapshot([newMug]));
      expect(live.unseenCount).toBe(1);
      expect(live.index('new-mug')).toBe(8);
      const r = await recommend(m, query('similar', ['new-mug']), noRecords, log, live);
      expect(r.fallback).toBe(false);
      expect(r.items.map((i) => i.id)).toEqual(['a0', 'a1', 'a2', 'a3']);
      // And it is a candidate beside the items it is related to.
      const s = await recommend(m, query('similar', ['a1'], { n: 3 }), noRecords, log, live);
      expect(s.items.map((i) => i.id)).toContain('new-mug');
      expect(s.items.find((i) => i.id === 'new-mug')).toMatchObject({ title: 'New mug', price: 9, url: null });
      const b = await recommend(m, query('basket', ['b0'], { n: 3 }), noRecords, log, live);
      expect(b.items.map((i) => i.id)).not.toContain('new-mug');
    }
  });

  it('gives the unseen item the score its tags make: (2x + 0.2(x+y)) / 2 against a query along x', () => {
    const m = model(true, 'f32');
    const live = LiveItems.of(m.artifact, snapshot([newMug]));
    const scores = scoreAllVectors(m, live, Float32Array.of(1, 0), 0);
    expect(scores.length).toBe(9);
    expect(scores[8]).toBeCloseTo((2 + 0.2) / 2 + 0.1 / 2, 6);
    // A model whose items had identity features: the row's identity weighs 1 with a zero embedding.
    const input = artifactInput(true);
    const withIdentity = loaded(encodeArtifact({ ...input, itemFeatures: { ...input.itemFeatures!, identity: true } }, { quantize: 'f32' }));
    const scored = scoreAllVectors(withIdentity, LiveItems.of(withIdentity.artifact, snapshot([newMug])), Float32Array.of(1, 0), 0);
    expect(scored[8]).toBeCloseTo((2 + 0.2) / 3 + 0.1 / 3, 6);
  });

  it('does not score unseen items with an artifact without the item-features section (the new-items rule then looks elsewhere)', async () => {
    const m = model(false);
    const live = LiveItems.of(m.artifact, snapshot([newMug]));
    expect(live.unseenCount).toBe(0);
    expect(live.knowsAny(['new-mug'])).toBe(false);
    const r = await recommend(m, query('similar', ['new-mug']), noRecords, log, live);
    expect(r.fallback).toBe(true);
    expect(r.items.map((i) => i.id)).not.toContain('new-mug');
  });

  it('leaves out what in_stock=1 refuses by the latest stock, and keeps display data pushed', async () => {
    const m = model();
    const q = query('similar', ['a0'], { n: 8, filters: { category: null, inStock: true, minPrice: null, maxPrice: null } });
    const before = await recommend(m, q, noRecords, log, LiveItems.of(m.artifact, null));
    expect(before.items.map((i) => i.id)).toContain('a1');
    expect(before.items.map((i) => i.id)).not.toContain('a3');
    const live = LiveItems.of(
      m.artifact,
      snapshot([{ upsert: { id: 'a1', in_stock: false } }, { upsert: { id: 'a3', in_stock: true, title: 'Back in stock' } }]),
    );
    const after = await recommend(m, q, noRecords, log, live);
    expect(after.items.map((i) => i.id)).not.toContain('a1');
    expect(after.items.find((i) => i.id === 'a3')).toMatchObject({ title: 'Back in stock', url: 'https://shop.example/p/a3', price: 13 });
    // Without the filter the out-of-stock item may still be answered, as before.
    const unfiltered = await recommend(m, query('similar', ['a0'], { n: 8 }), noRecords, log, live);
    expect(unfiltered.items.map((i) => i.id)).toContain('a1');
  });

  it('filters by the pushed category and price, and the artifact where nothing was pushed', async () => {
    const m = model();
    const live = LiveItems.of(m.artifact, snapshot([{ upsert: { id: 'b1', category: 'MUGS', price: 5 } }, { upsert: { id: 'a2', price: null } }]));
    const mugs = await recommend(
      m,
      query('similar', ['a0'], { n: 8, filters: { category: 'mugs', inStock: false, minPrice: null, maxPrice: null } }),
      noRecords,
      log,
      live,
    );
    expect(mugs.items.map((i) => i.id).sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
    const cheap = await recommend(
      m,
      query('similar', ['a0'], { n: 8, filters: { category: null, inStock: false, minPrice: 0, maxPrice: 12 } }),
      noRecords,
      log,
      live,
    );
    // a1 11 (artifact), b1 5 (pushed); a2 had 12 but its price was pushed as unknown.
    expect(cheap.items.map((i) => i.id).sort()).toEqual(['a1', 'b1']);
  });

  it('never answers a retired item, from the model or the fallback fill, until it is upserted again', async () => {
    const m = model();
    const retired = LiveItems.of(m.artifact, snapshot([{ retire: 'a1' }, { retire: 'b3' }]));
    const sim = await recommend(m, query('similar', ['a0'], { n: 8 }), noRecords, log, retired);
    expect(sim.items.map((i) => i.id).sort()).toEqual(['a2', 'a3', 'b0', 'b1', 'b2']);
    const pop = await recommend(m, query('similar', ['a0'], { n: 8, model: 'popularity' }), noRecords, log, retired);
    expect(pop.items.map((i) => i.id)).not.toContain('b3');
    expect(pop.items.map((i) => i.id)).not.toContain('a1');
    const back = LiveItems.of(m.artifact, snapshot([{ retire: 'a1' }], [{ upsert: { id: 'a1', title: 'Back' } }]));
    const again = await recommend(m, query('similar', ['a0'], { n: 1 }), noRecords, log, back);
    expect(again.items[0]).toMatchObject({ id: 'a1', title: 'Back' });
    // A retired unseen item is not scored at all.
    const gone = LiveItems.of(m.artifact, snapshot([newMug], [{ retire: 'new-mug' }]));
    expect(gone.index('new-mug')).toBe(-1);
  });

  it('answers exactly as before without a catalog', async () => {
    const m = model();
    const q = query('similar', ['a0'], { n: 8, filters: { category: 'tees', inStock: true, minPrice: null, maxPrice: null } });
    const plain = await recommend(m, q, noRecords, log);
    const empty = await recommend(m, q, noRecords, log, LiveItems.of(m.artifact, new CatalogSnapshot(0, null, null)));
    expect(empty).toEqual(plain);
    expect(plain.items.map((i) => i.id)).toEqual(['b0', 'b1', 'b2', 'b3']);
  });
});
