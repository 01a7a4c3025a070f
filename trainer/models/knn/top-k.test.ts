import { describe, expect, it } from 'vitest';
import { Random } from '../../util/random.js';
import { sortByIndex, TopK } from './top-k.js';

describe('TopK', () => {
  it('keeps the k largest values, best first or by index', () => {
    const top = new TopK(3);
    [0.5, 2, -1, 7, 3, 0.1].forEach((v, i) => top.push(i, v));
    const idx = new Int32Array(3);
    const val = new Float64Array(3);
    expect(top.drainBestFirst(idx, val)).toBe(3);
    expect(Array.from(idx)).toEqual([3, 4, 1]);
    expect(Array.from(val)).toEqual([7, 3, 2]);
    [0.5, 2, -1, 7, 3, 0.1].forEach((v, i) => top.push(i, v));
    expect(top.drainByIndex(idx, val)).toBe(3);
    expect(Array.from(idx)).toEqual([1, 3, 4]);
    expect(Array.from(val)).toEqual([2, 7, 3]);
  });

  it('breaks ties by the smaller index, whatever the order of the stream', () => {
    for (const order of [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [2, 0, 3, 1],
    ]) {
      const top = new TopK(2);
      for (const i of order) top.push(i, 1);
      const idx = new Int32Array(2);
      top.drainByIndex(idx, new Float64Array(2));
      expect(Array.from(idx)).toEqual([0, 1]);
    }
  });

  it('holds fewer than k when fewer are offered, and never NaN', () => {
    const top = new TopK(5);
    top.push(4, Number.NaN);
    top.push(2, 1);
    expect(top.size).toBe(1);
    const idx = new Int32Array(5);
    expect(top.drainBestFirst(idx, new Float32Array(5), 2)).toBe(1);
    expect(idx[2]).toBe(2);
    expect(top.size).toBe(0);
  });

  it('agrees with a full sort on random streams', () => {
    const rng = new Random(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + rng.int(60);
      const k = 1 + rng.int(12);
      const values = Array.from({ length: n }, () => rng.int(20) / 4);
      const top = new TopK(k);
      values.forEach((v, i) => top.push(i, v));
      const idx = new Int32Array(k);
      const got = top.drainBestFirst(idx, new Float64Array(k));
      const expected = values
        .map((v, i) => [v, i] as const)
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, k)
        .map((p) => p[1]);
      expect(Array.from(idx.subarray(0, got))).toEqual(expected);
    }
  });
});

describe('sortByIndex', () => {
  it('sorts a segment by index and moves the values along', () => {
    const idx = Int32Array.of(9, 5, 3, 8, 1, 0);
    const val = Float32Array.of(0, 50, 30, 80, 10, 0);
    sortByIndex(idx, val, 1, 5);
    expect(Array.from(idx)).toEqual([9, 1, 3, 5, 8, 0]);
    expect(Array.from(val)).toEqual([0, 10, 30, 50, 80, 0]);
  });
});
