import { describe, expect, it } from 'vitest';
import { recommend, type RecommendQuery } from '../../../core/recommend/recommend.js';
import { exportTrained } from '../../artifact/export.js';
import { Dataset } from '../../data/dataset.js';
import type { Csr } from '../../data/sparse.js';
import { loaded } from '../../eval/served.js';
import { NO_REPEATS, resolveParams, type RepeatSettings } from '../kind.js';
import { csrOf, randomInteractions } from '../knn/test-data.js';
import { easeNeighbours } from './ease.js';
import { itemKnn, itemKnnFromWeights, type ItemKnnParams } from './index.js';
import { ItemKnnModel } from './item-knn.js';

/**
 * The customer's history in item-item answers: the repeat boost adds boost x ln(1 + w) to
 * each item the customer bought (w: its weight in their history) and changes nothing else;
 * the edge computes exactly what the trainer's scorer does; where repeats are off, what
 * the customer bought is never answered.
 */

const BOOST = 0.3;

describe('ItemKnnModel: the repeat boost', () => {
  // 4 items; user 0 bought item 0 twice and item 3 once; user 1 bought item 2.
  const neighbours = csrOf(4, 4, [
    [0, 1, 0.5],
    [0, 2, -0.25],
    [1, 0, 1],
    [2, 3, 0.75],
    [3, 1, 0.2],
  ]);
  const train = csrOf(2, 4, [
    [0, 0, 2],
    [0, 3, 1],
    [1, 2, 1],
  ]);
  const plain = new ItemKnnModel(neighbours, train);
  const boosted = new ItemKnnModel(neighbours, train, { repeatBoost: BOOST });
  const scores = (m: ItemKnnModel, f: (m: ItemKnnModel, out: Float32Array) => void) => {
    const out = new Float32Array(4);
    f(m, out);
    return Array.from(out);
  };

  it("adds boost x ln(1 + w) to the customer's own items, and nothing anywhere else", () => {
    for (const cart of [Int32Array.of(), Int32Array.of(2), Int32Array.of(1, 2)]) {
      const a = scores(plain, (m, o) => m.scoreItems(cart, 0, o));
      const b = scores(boosted, (m, o) => m.scoreItems(cart, 0, o));
      const expected = a.map((v, i) => v + (i === 0 ? BOOST * Math.log1p(2) : i === 3 ? BOOST * Math.log1p(1) : 0));
      b.forEach((v, i) => expect(v, `cart ${cart}, item ${i}`).toBeCloseTo(expected[i], 6));
    }
  });

  it('leaves anonymous carts, similar items and other customers’ other items alone', () => {
    const cart = Int32Array.of(1, 3);
    expect(scores(boosted, (m, o) => m.scoreItems(cart, -1, o))).toEqual(scores(plain, (m, o) => m.scoreItems(cart, -1, o)));
    for (let i = 0; i < 4; i++) expect(scores(boosted, (m, o) => m.similar(i, o))).toEqual(scores(plain, (m, o) => m.similar(i, o)));
    const a = scores(plain, (m, o) => m.scoreUser(1, o));
    const b = scores(boosted, (m, o) => m.scoreUser(1, o));
    expect(b.filter((_, i) => i !== 2)).toEqual(a.filter((_, i) => i !== 2));
    expect(b[2]).toBeCloseTo(a[2] + BOOST * Math.log1p(1), 6);
  });

  it('is kept in the model directory (read back as 0 from one written before it)', () => {
    const back = ItemKnnModel.fromArrays(boosted.toArrays());
    expect(back.repeatBoost).toBe(BOOST);
    const { repeatBoost: _, ...old } = boosted.toArrays();
    expect(ItemKnnModel.fromArrays(old).repeatBoost).toBe(0);
  });
});

// 16 items: most queries touch a quarter of the catalogue (the edge sums every item); 240: few do (it sums the candidates only).
describe.each([16, 240])('the edge answers a known customer as the trainer scores them (%i items)', (nItems) => {
  const nUsers = 30;
  const X = randomInteractions({ users: nUsers, items: nItems, density: 4 / nItems, seed: 9, weighted: true });
  const weights = easeNeighbours(X, 2, 8);
  const dataset = new Dataset();
  dataset.fit({ users: Array.from({ length: nUsers }, (_, u) => `c${u}`), items: Array.from({ length: nItems }, (_, i) => `i${i}`) });
  const data = { dataset, interactions: { csr: X } as never, userFeatures: null, itemFeatures: null };
  const base = resolveParams(itemKnn, { similarity: 'ease', lambda: 2, neighbours: 8 }) as ItemKnnParams;
  const build = (p: Partial<ItemKnnParams>, repeats: RepeatSettings, quantize: 'f32' | 'int8' = 'f32') => {
    const trained = itemKnnFromWeights(weights, data, { ...base, ...p }, {});
    const out = exportTrained(trained, { quantize, repeats });
    const records = new Map(out.customers.map((r) => [r.customer, r.record]));
    return { scorer: trained.scorer as ItemKnnModel, model: loaded(out.artifact), record: async (c: string) => records.get(c) ?? null };
  };
  const ask = async (m: ReturnType<typeof build>, q: Partial<RecommendQuery>) =>
    recommend(
      m.model,
      {
        surface: 'basket',
        items: [],
        customer: null,
        n: nItems,
        exclude: [],
        filters: { category: null, inStock: false, minPrice: null, maxPrice: null },
        model: null,
        ...q,
      },
      m.record,
      () => {},
    );
  const historyOf = (X: Csr, u: number) => new Set(Array.from(X.indices.subarray(X.indptr[u], X.indptr[u + 1]), (i) => `i${i}`));
  const on = { basket: true, 'for-you': true };

  it('basket and for-you with the boost: the trainer scorer’s positive scores, best first, the cart left out', async () => {
    const m = build({ repeatBoost: BOOST, historyWeight: 0.1 }, on);
    let checked = 0;
    for (let u = 0; u < nUsers; u++) {
      for (const items of [[], ['i1', 'i5']]) {
        const surface = items.length === 0 ? 'for-you' : 'basket';
        const got = await ask(m, { surface, items, customer: `c${u}` });
        const out = new Float32Array(nItems);
        m.scorer.scoreItems(
          Int32Array.from(items, (id) => Number(id.slice(1))),
          u,
          out,
        );
        const want = Array.from(out, (s, i) => ({ id: `i${i}`, s }))
          .filter((x) => x.s > 0 && !items.includes(x.id))
          .sort((a, b) => b.s - a.s);
        const fromModel = got.items.slice(0, want.length);
        expect(
          fromModel.map((x) => x.score),
          `c${u} ${surface}`,
        ).toEqual(want.map((x) => expect.closeTo(x.s, 5)));
        checked += want.length;
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('the boost changes only the scores of what the customer bought; anonymous, similar and unknown customers are untouched', async () => {
    const zero = build({}, on);
    const boosted = build({ repeatBoost: BOOST }, on);
    let moved = 0;
    for (let u = 0; u < nUsers; u++) {
      const a = new Map((await ask(zero, { items: ['i3'], customer: `c${u}` })).items.map((x) => [x.id, x.score]));
      const b = new Map((await ask(boosted, { items: ['i3'], customer: `c${u}` })).items.map((x) => [x.id, x.score]));
      // The trainer's sums without the boost (the rest of an answer is the popularity fill).
      const out = new Float32Array(nItems);
      zero.scorer.scoreItems(Int32Array.of(3), u, out);
      for (let p = X.indptr[u]; p < X.indptr[u + 1]; p++) {
        const id = `i${X.indices[p]}`;
        const want = out[X.indices[p]] + BOOST * Math.log1p(X.data[p]);
        if (id === 'i3' || !(want > 0)) continue;
        expect(b.get(id), `c${u} ${id}`).toBeCloseTo(want, 5);
        moved++;
      }
      for (let i = 0; i < nItems; i++) {
        const id = `i${i}`;
        if (out[i] > 0 && id !== 'i3' && !historyOf(X, u).has(id)) expect(b.get(id), `c${u} ${id}`).toBe(a.get(id));
      }
    }
    expect(moved).toBeGreaterThan(20);
    for (const q of [{ items: ['i3'] }, { surface: 'similar' as const, items: ['i4'] }, { items: ['i3'], customer: 'stranger' }]) {
      expect((await ask(boosted, q)).items).toEqual((await ask(zero, q)).items);
    }
  });

  it('with repeats off, nothing the customer bought is answered, fill included; the other items score as with repeats on', async () => {
    const off = build({ repeatBoost: BOOST }, { ...NO_REPEATS });
    const allowed = build({}, on);
    for (let u = 0; u < nUsers; u++) {
      const own = historyOf(X, u);
      for (const surface of ['basket', 'for-you'] as const) {
        const items = surface === 'basket' ? ['i3'] : [];
        const got = await ask(off, { surface, items, customer: `c${u}` });
        expect(got.items.length, `c${u}`).toBe(nItems - new Set([...own, ...items]).size);
        for (const x of got.items) expect(own.has(x.id), `c${u} ${surface} ${x.id}`).toBe(false);
        const others = new Map((await ask(allowed, { surface, items, customer: `c${u}` })).items.map((x) => [x.id, x.score]));
        if (!got.fallback) for (const x of got.items.filter((y) => (others.get(y.id) ?? 0) > 0 && y.score > 0)) expect(x.score).toBe(others.get(x.id));
      }
    }
  });
});
