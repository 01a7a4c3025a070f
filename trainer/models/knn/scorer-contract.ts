import { describe, expect, it } from 'vitest';
import type { Csr } from '../../data/sparse.js';
import type { Scorer } from '../scorer.js';
import { randomInteractions } from './test-data.js';

/** A scorer with the "similar items" convenience that every neighbourhood model has. */
export interface ContractScorer extends Scorer {
  similar(item: number, out: Float32Array): void;
}

/**
 * The behaviour every model shares, run against each (one suite, several implementations):
 * the four kinds of query, and unknown ids that are ignored instead of failing.
 */
export function describeScorerContract(name: string, build: (train: Csr) => ContractScorer): void {
  describe(`${name}: the Scorer contract`, () => {
    const nUsers = 14;
    const train = randomInteractions({ users: nUsers, items: 11, density: 0.35, seed: 5 });
    const model = build(train);
    const n = model.nItems;
    // Pre-filled with NaN, so an entry the model leaves alone shows up.
    const scores = (fill: (out: Float32Array) => void): Float32Array => {
      const out = new Float32Array(n).fill(Number.NaN);
      fill(out);
      return out;
    };
    const expectFinite = (s: Float32Array) => expect(s.every((v) => Number.isFinite(v))).toBe(true);

    it('has one score per item of the training data', () => {
      expect(n).toBe(train.cols);
    });

    it('known user: scoreUser writes a finite score for every item', () => {
      for (let u = 0; u < nUsers; u++) expectFinite(scores((o) => model.scoreUser(u, o)));
    });

    it('a cart with a known user, and the same cart from an anonymous visitor', () => {
      const cart = Int32Array.of(1, 4, 6);
      const known = scores((o) => model.scoreItems(cart, 3, o));
      const anonymous = scores((o) => model.scoreItems(cart, -1, o));
      expectFinite(known);
      expectFinite(anonymous);
      // Same query, same answer.
      expect(scores((o) => model.scoreItems(cart, 3, o))).toEqual(known);
    });

    it('one item: similar items', () => {
      for (let i = 0; i < n; i++) expectFinite(scores((o) => model.similar(i, o)));
    });

    it('unknown and out-of-range ids in a query are ignored, not fatal', () => {
      const clean = scores((o) => model.scoreItems(Int32Array.of(2, 5), 3, o));
      const noisy = scores((o) => model.scoreItems(Int32Array.of(-1, 2, n, 5, 2 ** 31 - 1, -7), 3, o));
      expect(noisy).toEqual(clean);
      // An unknown user is an anonymous visitor.
      const anonymous = scores((o) => model.scoreItems(Int32Array.of(2, 5), -1, o));
      expect(scores((o) => model.scoreItems(Int32Array.of(2, 5), nUsers + 3, o))).toEqual(anonymous);
      expect(scores((o) => model.scoreItems(Int32Array.of(2, 5), 1.5, o))).toEqual(anonymous);
      expectFinite(scores((o) => model.scoreUser(nUsers, o)));
      expectFinite(scores((o) => model.scoreUser(-2, o)));
      expectFinite(scores((o) => model.similar(n + 1, o)));
      expectFinite(scores((o) => model.scoreItems(Int32Array.of(-1, n), -1, o)));
    });

    it('an empty query with a known user is scoreUser', () => {
      for (let u = 0; u < nUsers; u++) {
        expect(scores((o) => model.scoreItems(new Int32Array(0), u, o))).toEqual(scores((o) => model.scoreUser(u, o)));
      }
    });
  });
}
