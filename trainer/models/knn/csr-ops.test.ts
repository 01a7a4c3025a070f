import { describe, expect, it } from 'vitest';
import { checkCsr, rowNorms, transposeCsr } from './csr-ops.js';
import { csrFromArrays, csrToArrays } from './persist.js';
import { csrOf, denseRow } from './test-data.js';

describe('CSR helpers', () => {
  const m = csrOf(3, 4, [
    [0, 1, 2],
    [0, 3, 1],
    [2, 0, 4],
    [2, 1, 1],
  ]);

  it('transposes with sorted rows', () => {
    const t = transposeCsr(m);
    expect([t.rows, t.cols]).toEqual([4, 3]);
    expect([0, 1, 2, 3].map((r) => denseRow(t, r))).toEqual([
      [0, 0, 4],
      [2, 0, 1],
      [0, 0, 0],
      [1, 0, 0],
    ]);
    expect(() => checkCsr(t, 't')).not.toThrow();
  });

  it('computes row norms', () => {
    expect(Array.from(rowNorms(m))).toEqual([Math.sqrt(5), 0, Math.sqrt(17)]);
  });

  it('round-trips through named arrays and rejects damaged ones', () => {
    const arrays = csrToArrays('x', m);
    expect(csrFromArrays(arrays, 'x', 4, 'test')).toEqual(m);
    expect(() => csrFromArrays(arrays, 'x', 3, 'test')).toThrow(/row 0 holds column 3, out of order or outside \[0, 3\); retrain the model/);
    expect(() => csrFromArrays({ ...arrays, 'x.data': new Float64Array(4) }, 'x', 4, 'test')).toThrow(/x"\.data is missing or not float32/);
    expect(() => csrFromArrays({ ...arrays, 'x.indptr': Int32Array.of(0, 2, 1, 4) }, 'x', 4, 'test')).toThrow(/indptr decreases at row 1/);
  });
});
