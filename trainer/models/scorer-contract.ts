import { beforeAll, describe, expect, it } from 'vitest';
import type { Csr } from '../data/sparse.js';
import { randomInteractions } from './knn/test-data.js';
import type { Scorer } from './scorer.js';

/**
 * The behaviour every model shares, run against each (one suite, several implementations;
 * trainer/models/registry.test.ts runs it against every registered kind): the four kinds of
 * query (a known customer, a cart with and without a customer, one item), finite scores,
 * and unknown or out-of-range ids that are ignored instead of failing.
 */
export function describeScorerContract(name: string, build: (train: Csr) => Scorer | Promise<Scorer>): void {
  describe(`${name}: the Scorer contract`, () => {
    const nUsers = 14;
    const train = randomInteractions({ users: nUsers, items: 11, density: 0.35, seed: 5 });
    let model: Scorer;
    let n = 0;
    beforeAll(async () => {
      model = await build(train);
      n = model.nItems;
    });
    const similar = (item: number, out: Float32Array) => model.scoreItems(Int32Array.of(item), -1, out);
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
      for (let i = 0; i < n; i++) expectFinite(scores((o) => similar(i, o)));
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
      expectFinite(scores((o) => model.scoreUser(-1, o)));
      expectFinite(scores((o) => model.scoreUser(2 ** 31 - 1, o)));
      expectFinite(scores((o) => model.scoreUser(0.5, o)));
      // An unknown user is scored as an anonymous visitor with an empty cart.
      expect(scores((o) => model.scoreUser(nUsers, o))).toEqual(scores((o) => model.scoreItems(new Int32Array(0), -1, o)));
      expectFinite(scores((o) => similar(n + 1, o)));
      expectFinite(scores((o) => model.scoreItems(Int32Array.of(-1, n), -1, o)));
    });

    it('an empty query with a known user is scoreUser', () => {
      for (let u = 0; u < nUsers; u++) {
        expect(scores((o) => model.scoreItems(new Int32Array(0), u, o))).toEqual(scores((o) => model.scoreUser(u, o)));
      }
    });
  });
}
