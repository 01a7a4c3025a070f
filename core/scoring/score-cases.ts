/**
 * The cases every scoring kernel must pass, run against the JavaScript kernel
 * (score.test.ts) and the WebAssembly one (test/scoring-wasm.test.ts), plus the hand-made
 * artifacts they score.
 */
import { describe, expect, it } from 'vitest';
import { Artifact, type ItemVectors } from '../format/artifact.js';
import { fromF16, toF16 } from '../format/f16.js';
import { ItemTable } from '../format/item-table.js';
import { quantizeRowInt8 } from '../format/quantize.js';
import type { Quantization } from '../format/spec.js';
import { quantizeQuery, scoreInt8Js } from './js-kernels.js';
import { scoreByVector, scoreTopN, scoreTopNBatch, sumItemVectors } from './score.js';
import { selectTopN } from './select.js';

/** Uniform numbers in [-1, 1) from a seed (a 32-bit xorshift; tests only). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 31 - 1;
  };
}

interface TestArtifactOptions {
  n: number;
  dim: number;
  quantization: Quantization;
  biases?: boolean;
  seed?: number;
}

/** A lightfm Artifact built in memory (no bytes), with random vectors: row 1 all zero, row 2 with values that are subnormal in f16. */
export function testArtifact(opts: TestArtifactOptions): Artifact {
  const { n, dim, quantization } = opts;
  const rand = seeded(opts.seed ?? 7);
  const raw = new Float32Array(n * dim);
  for (let k = 0; k < raw.length; k++) raw[k] = rand() * (1 + (k % 5));
  if (n > 1) raw.fill(0, dim, 2 * dim);
  // Values that are subnormal in f16 (and a tiny one in an otherwise ordinary row).
  if (n > 2) {
    raw[2 * dim] = 1e-6;
    raw[3 * dim - 1] = -3e-7;
  }
  let vectors: ItemVectors;
  if (quantization === 'int8') {
    const values = new Int8Array(n * dim);
    const scales = new Float32Array(n);
    for (let i = 0; i < n; i++) scales[i] = quantizeRowInt8(raw, i * dim, (i + 1) * dim, values);
    vectors = { quantization, dim, values, scales };
  } else if (quantization === 'f16') {
    vectors = { quantization, dim, values: Uint16Array.from(raw, toF16), scales: undefined };
  } else {
    vectors = { quantization, dim, values: raw, scales: undefined };
  }
  const biases = opts.biases === false ? undefined : Float32Array.from({ length: n }, () => rand());
  return new Artifact({
    formatVersion: 1,
    modelType: 'lightfm',
    quantization,
    flags: 0,
    dim,
    byteLength: 0,
    sections: [],
    items: new ItemTable(new Uint32Array(n + 1), new Uint8Array(0)),
    itemTableTag: 0,
    vectors,
    biases,
    meta: {},
  });
}

/** Scores in f64 from the stored (dequantised) values: the reference. */
function exactScores(a: Artifact, query: Float32Array, queryBias = 0): Float64Array {
  const { dim, values, scales } = a.vectors!;
  const out = new Float64Array(a.itemCount);
  for (let i = 0; i < a.itemCount; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const stored = values[i * dim + j];
      const v = values instanceof Uint16Array ? fromF16(stored) : stored;
      s += v * query[j];
    }
    out[i] = s * (scales ? scales[i] : 1) + (a.biases ? a.biases[i] : 0) + queryBias;
  }
  return out;
}

/** How far an int8 score may be from {@link exactScores}: the query's quantisation, then f32. */
function int8Tolerance(a: Artifact, query: Float32Array, i: number): number {
  const { dim, values, scales } = a.vectors!;
  const q = new Int32Array(dim);
  const qScale = quantizeQuery(query, dim, q);
  let sumAbs = 0;
  for (let j = 0; j < dim; j++) sumAbs += Math.abs(values[i * dim + j]);
  return (scales![i] * qScale * sumAbs) / 2 + 1e-6;
}

function randomQuery(dim: number, seed: number, scale = 1): Float32Array {
  const rand = seeded(seed);
  return Float32Array.from({ length: dim }, () => rand() * scale);
}

/** The shared cases; `use` switches the kernel under test on before each group runs. */
export function scoreByVectorCases(label: string, use: () => void): void {
  describe(`scoreByVector (${label})`, () => {
    const dims = [1, 3, 8, 15, 16, 17, 64, 100];

    it.each(dims)('int8, dim %i: within the query-quantisation bound of the exact dot product', (dim) => {
      use();
      for (const biases of [true, false]) {
        const a = testArtifact({ n: 37, dim, quantization: 'int8', biases, seed: dim });
        const query = randomQuery(dim, dim + 1, 3);
        const out = new Float32Array(a.itemCount);
        scoreByVector(a, query, out, 0.25);
        const exact = exactScores(a, query, 0.25);
        for (let i = 0; i < a.itemCount; i++) {
          expect(Math.abs(out[i] - exact[i])).toBeLessThanOrEqual(int8Tolerance(a, query, i) + Math.abs(exact[i]) * 2 ** -23);
        }
      }
    });

    it.each(dims)('int8, dim %i: the same f32 scores as the JavaScript reference, bit for bit', (dim) => {
      use();
      const a = testArtifact({ n: 29, dim, quantization: 'int8', seed: 100 + dim });
      const query = randomQuery(dim, 3, 0.01);
      const out = new Float32Array(a.itemCount);
      scoreByVector(a, query, out, -1.5);
      const q = new Int32Array(dim);
      const qScale = quantizeQuery(query, dim, q);
      const ref = new Float32Array(a.itemCount);
      // The values one byte off alignment, so that the reference takes the byte-at-a-time loop.
      const shifted = new Int8Array(a.itemCount * dim + 1);
      shifted.set(a.vectors!.values as Int8Array, 1);
      scoreInt8Js(shifted.subarray(1), a.vectors!.scales!, a.biases, q, qScale, -1.5, a.itemCount, dim, ref);
      expect(out).toEqual(ref);
    });

    it.each(['f16', 'f32'] as const)('%s: close to the exact dot product at every dimension', (quantization) => {
      use();
      for (const dim of dims) {
        const a = testArtifact({ n: 23, dim, quantization, seed: dim });
        const query = randomQuery(dim, dim + 5, 2);
        const out = new Float32Array(a.itemCount);
        scoreByVector(a, query, out, 0.5);
        const exact = exactScores(a, query, 0.5);
        for (let i = 0; i < a.itemCount; i++) expect(out[i]).toBeCloseTo(exact[i], 3);
      }
    });

    it('f16: every kind of half reads back exactly (subnormal, signed zero, largest, both signs)', () => {
      use();
      // 17 values: a vector step of 8, another, and a scalar tail of 1.
      const halves = Uint16Array.of(
        0x0001,
        0x8001,
        0x03ff,
        0x0400,
        0x8000,
        0x0000,
        0x7bff,
        0xfbff,
        0x3c00,
        0xbc00,
        0x3555,
        0x0200,
        0x8200,
        0x1234,
        0x9234,
        0x7800,
        0xc001,
      );
      const dim = halves.length;
      const a = testArtifact({ n: 1, dim, quantization: 'f16', biases: false });
      (a.vectors!.values as Uint16Array).set(halves);
      const out = new Float32Array(1);
      for (let j = 0; j < dim; j++) {
        const query = new Float32Array(dim);
        query[j] = 1;
        scoreByVector(a, query, out);
        expect(out[0]).toBe(fromF16(halves[j]) + 0);
      }
    });

    it('a zero query scores each item by its bias (plus the query bias)', () => {
      use();
      for (const quantization of ['int8', 'f16', 'f32'] as const) {
        const a = testArtifact({ n: 10, dim: 16, quantization });
        const out = new Float32Array(10);
        scoreByVector(a, new Float32Array(16), out, 2);
        expect(Array.from(out)).toEqual(Array.from(a.biases!, (b) => Math.fround(b + 2)));
      }
    });

    it('scores only the first dim values of a longer query and leaves out past itemCount alone', () => {
      use();
      const a = testArtifact({ n: 5, dim: 8, quantization: 'int8' });
      const query = randomQuery(12, 9);
      const out = new Float32Array(7).fill(42);
      scoreByVector(a, query, out);
      const short = new Float32Array(5);
      scoreByVector(a, query.slice(0, 8), short);
      expect(Array.from(out.subarray(0, 5))).toEqual(Array.from(short));
      expect(Array.from(out.subarray(5))).toEqual([42, 42]);
    });

    it('scores again with a new query (nothing of the last one is left behind)', () => {
      use();
      const a = testArtifact({ n: 50, dim: 64, quantization: 'int8' });
      const first = new Float32Array(50);
      const second = new Float32Array(50);
      scoreByVector(a, randomQuery(64, 1), first);
      scoreByVector(a, randomQuery(64, 2), second);
      const again = new Float32Array(50);
      scoreByVector(a, randomQuery(64, 1), again);
      expect(again).toEqual(first);
      expect(second).not.toEqual(first);
    });

    it('names what is wrong with its arguments', () => {
      use();
      const a = testArtifact({ n: 4, dim: 8, quantization: 'int8' });
      expect(() => scoreByVector(a, new Float32Array(7), new Float32Array(4))).toThrow(/query has 7 values; the artifact's vectors have 8/);
      expect(() => scoreByVector(a, new Float32Array(8), new Float32Array(3))).toThrow(/out has 3 places; the artifact has 4 items/);
      const nan = new Float32Array(8);
      nan[5] = NaN;
      expect(() => scoreByVector(a, nan, new Float32Array(4))).toThrow(/query\[5\] is NaN/);
      expect(() => scoreByVector(a, new Float32Array(8), new Float32Array(4), Infinity)).toThrow(/queryBias is Infinity/);
      const noVectors = new Artifact({
        formatVersion: 1,
        modelType: 'user-knn',
        quantization: 'int8',
        flags: 0,
        dim: 0,
        byteLength: 0,
        sections: [],
        items: a.items,
        itemTableTag: 0,
        meta: {},
      });
      expect(() => scoreByVector(noVectors, new Float32Array(8), new Float32Array(4))).toThrow(/no item vectors/);
    });

    it('sumItemVectors adds the dequantised rows of known items and skips unknown ones', () => {
      use();
      const a = testArtifact({ n: 6, dim: 4, quantization: 'int8' });
      const query = new Float32Array(4);
      sumItemVectors(a, [0, 3, -1, 6, 3], query);
      const row0 = a.itemVector(0);
      const row3 = a.itemVector(3);
      for (let j = 0; j < 4; j++) expect(query[j]).toBeCloseTo(row0[j] + 2 * row3[j], 6);
    });
  });

  describe(`scoreTopN (${label})`, () => {
    const dims = [1, 3, 8, 17, 24, 32, 64, 100];
    const exclusions: [string, ((i: number) => boolean) | undefined][] = [
      ['no filter', undefined],
      ['every third item refused', (i) => i % 3 !== 1],
      ['all refused', () => false],
    ];

    it.each(dims)('int8, dim %i: the items and the scores of scoreByVector then selectTopN, for any n and filter', (dim) => {
      use();
      // 4k + 1, 4k + 2, 4k + 3 and 4k items: every tail of a block of four rows.
      for (const n of [1, 2, 3, 4, 5, 37, 38, 39, 40]) {
        const a = testArtifact({ n, dim, quantization: 'int8', seed: 7 * dim + n });
        const query = randomQuery(dim, dim + n, 2);
        const all = new Float32Array(n);
        scoreByVector(a, query, all, 0.125);
        for (const [, accept] of exclusions) {
          for (const k of [0, 1, 3, 10, n, n + 5]) {
            const want = selectTopN(all, k, accept === undefined ? undefined : (i) => !accept(i));
            const got = scoreTopN(a, query, k, new Float32Array(n), 0.125, accept);
            expect(Array.from(got.items)).toEqual(Array.from(want.items));
            expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
          }
        }
      }
    });

    it('ties: equal scores keep the lower index first, and a filter is asked only about items that would enter', () => {
      use();
      const dim = 64;
      const a = testArtifact({ n: 41, dim, quantization: 'int8', biases: false, seed: 3 });
      // Every row the same: every score ties.
      const v = a.vectors!.values as Int8Array;
      for (let i = 1; i < 41; i++) v.copyWithin(i * dim, 0, dim);
      a.vectors!.scales!.fill(a.vectors!.scales![0]);
      const asked: number[] = [];
      const top = scoreTopN(a, randomQuery(dim, 5), 5, new Float32Array(41), 0, (i) => {
        asked.push(i);
        return i !== 2;
      });
      expect(Array.from(top.items)).toEqual([0, 1, 3, 4, 5]);
      // The first five fill the list (2 refused, so 5 enters too); no later tie can enter.
      expect(asked).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('f16 and f32 artifacts: scoreByVector then selectTopN', () => {
      use();
      for (const quantization of ['f16', 'f32'] as const) {
        const a = testArtifact({ n: 30, dim: 16, quantization });
        const query = randomQuery(16, 8);
        const all = new Float32Array(30);
        scoreByVector(a, query, all);
        const got = scoreTopN(a, query, 7, new Float32Array(30));
        expect(got).toEqual(selectTopN(all, 7));
      }
    });

    it.each([8, 17, 64])('scoreTopNBatch, dim %i: each query gets the list scoreTopN gives it alone (1 to 9 queries, biases, filters)', (dim) => {
      use();
      const a = testArtifact({ n: 53, dim, quantization: 'int8', seed: dim });
      for (let count = 1; count <= 9; count++) {
        const queries = Array.from({ length: count }, (_, k) => randomQuery(dim, 40 + k, 1 + k));
        const biases = queries.map((_, k) => k * 0.25 - 0.5);
        const accept = (q: number, item: number) => (item + q) % 5 !== 0;
        const batch = scoreTopNBatch(a, queries, 7, new Float32Array(53), biases, accept);
        expect(batch).toHaveLength(count);
        queries.forEach((query, k) => {
          const alone = scoreTopN(a, query, 7, new Float32Array(53), biases[k], (item) => accept(k, item));
          expect(Array.from(batch[k].items)).toEqual(Array.from(alone.items));
          expect(Array.from(batch[k].scores)).toEqual(Array.from(alone.scores));
        });
      }
    });

    it('names what is wrong with its arguments', () => {
      use();
      const a = testArtifact({ n: 4, dim: 8, quantization: 'int8' });
      expect(() => scoreTopNBatch(a, [new Float32Array(8), new Float32Array(7)], 2, new Float32Array(4))).toThrow(/query has 7 values/);
      expect(() => scoreTopN(a, new Float32Array(7), 2, new Float32Array(4))).toThrow(/query has 7 values; the artifact's vectors have 8/);
      expect(() => scoreTopN(a, new Float32Array(8), -1, new Float32Array(4))).toThrow(/n must be an integer >= 0, got -1/);
      const nan = new Float32Array(8);
      nan[2] = NaN;
      expect(() => scoreTopN(a, nan, 2, new Float32Array(4))).toThrow(/query\[2\] is NaN/);
    });
  });
}
