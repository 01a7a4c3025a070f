import { describe, expect, it } from 'vitest';
import { decide } from './gate.js';

const cur = (model: string, score: number | null) => ({ version: `v-${model}`, model, score });

describe('retrain gate', () => {
  it('publishes candidates not worse than their type beyond the tolerance, and activates the best when it holds up against the active one', () => {
    const d = decide({
      candidates: [
        { model: 'item-knn', score: 0.25 },
        { model: 'lightfm', score: 0.19 },
        { model: 'user-knn', score: 0.1 },
      ],
      active: cur('item-knn', 0.24),
      ofType: new Map([
        ['item-knn', cur('item-knn', 0.24)],
        ['lightfm', cur('lightfm', 0.2)],
        ['user-knn', cur('user-knn', 0.2)],
      ]),
      tolerance: 0.1,
    });
    expect(d.map((x) => [x.model, x.publish, x.activate])).toEqual([
      ['item-knn', true, true],
      ['lightfm', true, false], // 0.19 >= 0.2 × 0.9
      ['user-knn', false, false], // 0.1 < 0.18
    ]);
    expect(d[2].reason).toMatch(/worse than the published user-knn/);
  });

  it('keeps the active model when the best candidate is worse than it, and publishes everything on a first run', () => {
    const worse = decide({ candidates: [{ model: 'lightfm', score: 0.1 }], active: cur('item-knn', 0.3), ofType: new Map(), tolerance: 0.02 });
    expect(worse[0]).toMatchObject({ publish: true, activate: false });
    expect(worse[0].reason).toMatch(/the active model stays/);
    const first = decide({
      candidates: [
        { model: 'lightfm', score: 0.1 },
        { model: 'item-knn', score: 0.2 },
      ],
      active: null,
      ofType: new Map(),
      tolerance: 0,
    });
    expect(first.map((x) => x.activate)).toEqual([false, true]);
  });

  it('never publishes a candidate it could not measure, and checks the tolerance', () => {
    expect(decide({ candidates: [{ model: 'lightfm', score: null }], active: null, ofType: new Map(), tolerance: 0 })[0].publish).toBe(false);
    expect(() => decide({ candidates: [], active: null, ofType: new Map(), tolerance: 1 })).toThrow(/tolerance/);
  });
});

describe('retrain gate and the surfaces a kind serves', () => {
  it('publishes a candidate that does not answer every surface by its own figure, but never activates it', () => {
    const d = decide({
      candidates: [
        { model: 'user-knn', score: 0.5, notServed: ['basket', 'similar'] },
        { model: 'item-knn', score: 0.2 },
      ],
      active: null,
      ofType: new Map(),
      tolerance: 0.02,
    });
    expect(d.map((x) => [x.model, x.publish, x.activate])).toEqual([
      ['user-knn', true, false],
      ['item-knn', true, true],
    ]);
    expect(d[0].reason).toMatch(/does not answer basket or similar at the edge/);
    const alone = decide({ candidates: [{ model: 'user-knn', score: 0.5, notServed: ['basket'] }], active: null, ofType: new Map(), tolerance: 0 });
    expect(alone[0]).toMatchObject({ publish: true, activate: false });
  });
});
