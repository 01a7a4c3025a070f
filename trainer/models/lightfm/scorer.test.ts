import { describe, expect, it } from 'vitest';
import { HybridMF } from './hybrid-mf.js';
import { HybridScorer } from './scorer.js';
import { plantedProblem } from './test-data.js';

describe('HybridScorer', () => {
  it('scores a known user as the model predicts, and a cart as the sum of item embeddings', async () => {
    const p = plantedProblem({ seed: 31 });
    const model = new HybridMF({ dim: 6, seed: 2 });
    await model.fit({ users: p.users, items: p.items, itemFeatures: p.itemFeatures, userFeatures: p.userFeatures }, { epochs: 5 });
    const scorer = new HybridScorer(model);
    const all = Int32Array.from({ length: p.nItems }, (_, i) => i);
    const out = new Float32Array(p.nItems);

    scorer.scoreUser(3, out);
    const expected = model.predict(new Int32Array(p.nItems).fill(3), all);
    for (let i = 0; i < p.nItems; i++) expect(out[i]).toBeCloseTo(expected[i], 4);

    // A cart of items 1 and 2 for an anonymous visitor: (e1 + e2) . e_i + b_i
    const { embeddings: e, biases: b } = model.getItemRepresentations();
    const d = 6;
    scorer.scoreItems(Int32Array.from([1, 2, 999, -4]), -1, out); // unknown ids are ignored
    for (let i = 0; i < p.nItems; i++) {
      let s = b[i];
      for (let j = 0; j < d; j++) s += (e[d + j] + e[2 * d + j]) * e[i * d + j];
      expect(out[i]).toBeCloseTo(s, 4);
    }

    // One item: similar items, with the item itself scoring high against its own embedding.
    scorer.scoreItems(Int32Array.from([5]), -1, out);
    expect(Number.isFinite(out[5])).toBe(true);
  });
});
