import { describe, expect, it } from 'vitest';
import { Random } from '../../util/random.js';
import { createSpdWorkspace, invertSmallSpd, invertSpd } from './spd-inverse.js';

/** A random symmetric positive definite matrix: M M^T / n + shift I, row-major. */
function randomSpd(n: number, seed: number, shift = 0.5): Float64Array {
  const rng = new Random(seed);
  const m = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
      a[i * n + j] = s / n + (i === j ? shift : 0);
    }
  }
  return a;
}

/** max |A B - I| for n x n matrices, B with row stride ldb. */
function identityError(a: Float64Array, b: Float64Array | Float32Array, n: number, ldb: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * ldb + j];
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

describe('invertSmallSpd', () => {
  it('inverts in place', () => {
    const a = randomSpd(9, 1);
    const inv = a.slice();
    invertSmallSpd(inv, 9);
    expect(identityError(a, inv, 9, 9)).toBeLessThan(1e-10);
  });

  it('rejects a matrix that is not positive definite, naming the pivot', () => {
    // [[1, 2], [2, 1]] has eigenvalues 3 and -1: the second pivot is 1 - 4 = -3.
    expect(() => invertSmallSpd(Float64Array.of(1, 2, 2, 1), 2, 10)).toThrow(/not positive definite: pivot 11 is -3/);
  });
});

describe('invertSpd (blocked sweep over the SIMD kernel)', () => {
  // 37 = 4 full blocks of 8 and a padded one; 16 = exactly 2 blocks; 3 = less than one.
  for (const [n, block] of [
    [37, 8],
    [16, 8],
    [3, 4],
    [70, 64],
  ] as const) {
    it(`inverts a ${n} x ${n} matrix with blocks of ${block}, returning both triangles`, () => {
      const a = randomSpd(n, n);
      const ws = createSpdWorkspace(n, block);
      // Only the lower triangle is read; garbage above it must not matter.
      for (let i = 0; i < n; i++) for (let j = 0; j < ws.size; j++) ws.a[i * ws.size + j] = j <= i ? a[i * n + j] : 1e30;
      invertSpd(ws);
      expect(identityError(a, ws.a, n, ws.size)).toBeLessThan(1e-10);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(ws.a[i * ws.size + j]).toBe(ws.a[j * ws.size + i]);
    });
  }

  it('inverts in float32 to float32 accuracy, the same for any number of threads', () => {
    const n = 37;
    const a = randomSpd(n, 5, 2);
    const ws = createSpdWorkspace(n, 8, 'f32');
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) ws.a[i * ws.size + j] = a[i * n + j];
    invertSpd(ws);
    expect(identityError(a, ws.a, n, ws.size)).toBeLessThan(1e-4);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(ws.a[i * ws.size + j]).toBe(ws.a[j * ws.size + i]);
  });

  for (const precision of ['f64', 'f32'] as const) {
    it(`gives the same bits with helper threads as alone (${precision}, n = 1100: above the threading threshold)`, () => {
      const n = 1100;
      // A sparse-ish Gram matrix like EASE's: X^T X + lambda I, built cheaply.
      const rng = new Random(9);
      const fill = (ws: ReturnType<typeof createSpdWorkspace>) => {
        const r = new Random(9);
        for (let i = 0; i < n; i++) {
          ws.a[i * ws.size + i] = 50 + 10 * r.next();
          for (let t = 0; t < 6; t++) {
            const j = Math.floor(r.next() * i);
            ws.a[i * ws.size + j] += r.next();
          }
        }
      };
      void rng;
      const alone = createSpdWorkspace(n, 64, precision);
      fill(alone);
      invertSpd(alone, undefined, 1);
      const threaded = createSpdWorkspace(n, 64, precision);
      fill(threaded);
      invertSpd(threaded, undefined, 2);
      let same = true;
      for (let i = 0; i < n && same; i++)
        for (let j = 0; j < n; j++) if (!Object.is(alone.a[i * alone.size + j], threaded.a[i * threaded.size + j])) same = false;
      expect(same).toBe(true);
      // and it is an inverse: row 0 of G times the inverse is e_0
      const g = createSpdWorkspace(n, 64, 'f64');
      fill(g);
      let worst = 0;
      for (const row of [0, 517, n - 1]) {
        for (let j = 0; j < n; j += 97) {
          let s = 0;
          for (let k = 0; k < n; k++) s += (k <= row ? g.a[row * g.size + k] : g.a[k * g.size + row]) * alone.a[k * alone.size + j];
          worst = Math.max(worst, Math.abs(s - (row === j ? 1 : 0)));
        }
      }
      expect(worst).toBeLessThan(precision === 'f64' ? 1e-10 : 1e-4);
    }, 60_000);
  }

  it('reports progress once per block', () => {
    const ws = createSpdWorkspace(20, 8);
    const a = randomSpd(20, 2);
    for (let i = 0; i < 20; i++) for (let j = 0; j <= i; j++) ws.a[i * ws.size + j] = a[i * 20 + j];
    const calls: number[][] = [];
    invertSpd(ws, (done, total) => calls.push([done, total]));
    expect(calls).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('rejects a matrix that is not positive definite', () => {
    const ws = createSpdWorkspace(12, 4);
    for (let i = 0; i < 12; i++) ws.a[i * ws.size + i] = i === 6 ? -1 : 1;
    expect(() => invertSpd(ws)).toThrow(/not positive definite: pivot 6/);
  });

  it('validates its sizes', () => {
    expect(() => createSpdWorkspace(0)).toThrow(/n must be an integer >= 1/);
    expect(() => createSpdWorkspace(10, 6)).toThrow(/block must be a positive multiple of 4/);
    expect(() => createSpdWorkspace(10, 8, 'f16' as never)).toThrow(/precision must be 'f64' or 'f32'/);
    expect(() => invertSpd(createSpdWorkspace(4, 4), undefined, 0)).toThrow(/threads must be an integer in \[1, 64\]/);
  });
});
