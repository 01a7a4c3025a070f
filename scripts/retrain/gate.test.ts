import { describe, expect, it } from 'vitest';
import { decide } from './gate.js';

const cur = (slot: string | null, model: string, score: number | null) => ({ version: `v-${slot ?? model}`, slot, model, score });
/** A candidate whose surface figures all equal its gate figure, unless given. */
const cand = (slot: string, model: string, score: number | null, figures?: Record<string, number | null>, notServed?: string[]) => ({
  slot,
  model,
  score,
  figures: figures ?? { basket: score, similar: score, 'for-you': score },
  ...(notServed ? { notServed } : {}),
});

describe('retrain gate', () => {
  it('publishes candidates not worse than their slot beyond the tolerance, and lets the best of each surface serve it when it holds up', () => {
    const d = decide({
      candidates: [cand('ease', 'item-knn', 0.25), cand('warp', 'lightfm', 0.19, { basket: 0.19, similar: 0.19, 'for-you': 0.3 }), cand('bpr', 'lightfm', 0.1)],
      ofSlot: new Map([
        ['ease', cur('ease', 'item-knn', 0.24)],
        ['warp', cur('warp', 'lightfm', 0.2)],
        ['bpr', cur('bpr', 'lightfm', 0.2)],
      ]),
      serving: { basket: cur('ease', 'item-knn', 0.24), similar: cur('ease', 'item-knn', 0.24), 'for-you': cur('ease', 'item-knn', 0.28) },
      tolerance: 0.1,
    });
    expect(d.map((x) => [x.slot, x.publish, x.serves])).toEqual([
      ['ease', true, ['basket', 'similar']],
      ['warp', true, ['for-you']], // 0.19 >= 0.2 × 0.9; the best for-you (0.3 vs 0.28)
      ['bpr', false, []], // 0.1 < 0.18
    ]);
    expect(d[2].reason).toMatch(/worse than slot bpr's current lightfm v-bpr/);
    expect(d[1].reason).toMatch(/serves for-you: 0.3000 vs 0.2800 for slot ease \(item-knn v-ease\)/);
  });

  it('keeps a surface with what serves it when the best candidate is worse, and serves everything on a first run', () => {
    const worse = decide({ candidates: [cand('warp', 'lightfm', 0.1)], ofSlot: new Map(), serving: { basket: cur(null, 'item-knn', 0.3) }, tolerance: 0.02 });
    expect(worse[0]).toMatchObject({ publish: true, serves: ['similar', 'for-you'] });
    expect(worse[0].reason).toMatch(/the best for basket \(0.1000\), but worse than the active item-knn v-item-knn \(0.3000\): basket stays/);
    const first = decide({ candidates: [cand('warp', 'lightfm', 0.1), cand('ease', 'item-knn', 0.2)], ofSlot: new Map(), serving: {}, tolerance: 0 });
    expect(first.map((x) => x.serves)).toEqual([[], ['basket', 'similar', 'for-you']]);
    expect(first[1].reason).toMatch(/serves basket \(nothing served it\)/);
  });

  it('never publishes a candidate it could not measure, and checks the tolerance', () => {
    expect(decide({ candidates: [cand('warp', 'lightfm', null)], ofSlot: new Map(), serving: {}, tolerance: 0 })[0]).toMatchObject({
      publish: false,
      serves: [],
    });
    expect(() => decide({ candidates: [], ofSlot: new Map(), serving: {}, tolerance: 1 })).toThrow(/tolerance/);
  });
});

describe('retrain gate and the surfaces a kind serves', () => {
  it('publishes a candidate that does not answer every surface, and lets it serve only the surfaces it answers', () => {
    const d = decide({
      candidates: [cand('lookalike', 'user-knn', 0.5, { 'for-you': 0.5 }, ['basket', 'similar']), cand('ease', 'item-knn', 0.2)],
      ofSlot: new Map(),
      serving: {},
      tolerance: 0.02,
    });
    expect(d.map((x) => [x.slot, x.publish, x.serves])).toEqual([
      ['lookalike', true, ['for-you']],
      ['ease', true, ['basket', 'similar']],
    ]);
    // Even with figures for the cart, a user-knn slot never serves it.
    const alone = decide({ candidates: [cand('lookalike', 'user-knn', 0.5, undefined, ['basket', 'similar'])], ofSlot: new Map(), serving: {}, tolerance: 0 });
    expect(alone[0]).toMatchObject({ publish: true, serves: ['for-you'] });
  });
});
