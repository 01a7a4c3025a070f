import { instantiateDense, PANEL_X, PANEL_Y, type DenseSimd } from './dense-simd.js';

/** Default pivot block: the depth of every inner product of the update (see {@link invertSpd}). */
const DEFAULT_BLOCK = 128;
/** Rows and columns of C per kernel call, so that a call's panels of X and Y stay in cache. */
const TILE_ROWS = 64;
const TILE_COLS = 128;

/**
 * A symmetric positive definite matrix held in a WebAssembly memory, with the scratch that
 * {@link invertSpd} needs. Fill the lower triangle (j <= i) of `a` for i, j < n, where
 * `a[i * size + j]` is entry (i, j); the rest is managed by the solver.
 */
interface SpdWorkspace {
  /** Order of the matrix. */
  readonly n: number;
  /** n rounded up to a multiple of `block`: the row length of `a`. */
  readonly size: number;
  /** Pivot block: the number of rows eliminated at a time. */
  readonly block: number;
  /** size x size, row-major, over the module's memory. */
  readonly a: Float64Array;
  /** @internal */
  readonly simd: DenseSimd;
  /** @internal Byte offsets of the scratch areas (see `createSpdWorkspace`). */
  readonly offsets: { yx: number; yy: number; xx: number; xr: number; dn: number };
  /** @internal Float64 view of the whole memory. */
  readonly mem: Float64Array;
}

/**
 * Allocates a zeroed workspace for an n x n matrix. It needs 8 * size^2 bytes plus
 * 32 * size * block for the packed panels (a 3,500-item EASE: 100 MB).
 */
export function createSpdWorkspace(n: number, block: number = DEFAULT_BLOCK): SpdWorkspace {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(block) || block < 4 || block % 4 !== 0) {
    throw new RangeError(`block must be a positive multiple of 4, got ${block}`);
  }
  const size = Math.ceil(n / block) * block;
  const panel = size * block * 8;
  // Layout: a | Y packed for the X role | Y packed for the Y role | X packed | X row-major | -D^-1
  const yx = size * size * 8;
  const yy = yx + panel;
  const xx = yy + panel;
  const xr = xx + panel;
  const dn = xr + panel;
  const bytes = dn + block * block * 8;
  const { memory, simd } = instantiateDense(bytes);
  const mem = new Float64Array(memory.buffer);
  return { n, size, block, a: mem.subarray(0, size * size), simd, offsets: { yx, yy, xx, xr, dn }, mem };
}

/**
 * Inverts the symmetric positive definite matrix whose lower triangle is in `ws.a`; on
 * return `ws.a` holds the whole inverse (both triangles) in its first n rows and columns.
 *
 * Method: block Gauss-Jordan elimination in its symmetric form, the sweep operator. For
 * each block K of `block` pivots, with D = A[K,K] factored by Cholesky (which is where a
 * matrix that is not positive definite is caught) and B = A[other, K]:
 *
 *     A[K,K] <- -D^-1,   A[other,K] <- X = B D^-1,   A[other,other] <- A[other,other] - X B^T
 *
 * After every block has been swept once A holds -A^-1. This is the block LDL^T elimination
 * that Cholesky-based inversion (factor, invert the triangle, multiply) also performs, with
 * the same n^3 / 2 multiply-adds, but all in one kind of step: the last update, a product
 * of depth `block` that the SIMD kernel runs over packed panels, on the lower triangle.
 * Each matrix entry is read and written once per block, so the solver is compute bound.
 */
export function invertSpd(ws: SpdWorkspace, onProgress?: (done: number, total: number) => void): void {
  const { n, size, block: nb, a } = ws;
  // The padding is an identity block, which is its own inverse and couples with nothing.
  for (let i = n; i < size; i++) {
    a.fill(0, i * size, i * size + i);
    a[i * size + i] = 1;
  }
  const steps = size / nb;
  const d = new Float64Array(nb * nb);
  for (let s = 0; s < steps; s++) {
    const k0 = s * nb;
    sweepBlock(ws, k0, d);
    onProgress?.(s + 1, steps);
  }
  negateAndMirror(a, n, size);
}

/** One sweep, over the pivots k0 .. k0 + block. `d` is nb x nb scratch. */
function sweepBlock(ws: SpdWorkspace, k0: number, d: Float64Array): void {
  const { size, block: nb, a, simd, mem } = ws;
  const { yx, yy, xx, xr, dn } = ws.offsets;
  const k1 = k0 + nb;

  // d <- D^-1, then -D^-1 packed for the kernel.
  for (let i = 0; i < nb; i++) {
    for (let j = 0; j <= i; j++) {
      const v = a[(k0 + i) * size + k0 + j];
      d[i * nb + j] = v;
      d[j * nb + i] = v;
    }
  }
  invertSmallSpd(d, nb, k0);
  const dn8 = dn / 8;
  for (let i = 0; i < nb; i++) for (let k = 0; k < nb; k++) mem[dn8 + packedIndex(i, k, nb, PANEL_Y)] = -d[i * nb + k];

  // B = A[other, K], packed twice: as the left factor (for X = B D^-1) and as the right one
  // (for the update). Rows above the block read it from the block's rows (lower triangle).
  const yx8 = yx / 8;
  const yy8 = yy / 8;
  for (let k = 0; k < nb; k++) {
    const row = (k0 + k) * size;
    for (let i = 0; i < k0; i++) {
      const v = a[row + i];
      mem[yx8 + packedIndex(i, k, nb, PANEL_X)] = v;
      mem[yy8 + packedIndex(i, k, nb, PANEL_Y)] = v;
    }
  }
  for (let i = k1; i < size; i++) {
    const row = i * size + k0;
    for (let k = 0; k < nb; k++) {
      const v = a[row + k];
      mem[yx8 + packedIndex(i, k, nb, PANEL_X)] = v;
      mem[yy8 + packedIndex(i, k, nb, PANEL_Y)] = v;
    }
  }

  // X = B D^-1 (row-major in xr), computed as 0 - B (-D^-1)^T since D^-1 is symmetric.
  const xr8 = xr / 8;
  const xx8 = xx / 8;
  const rowParts: [number, number][] = [
    [0, k0],
    [k1, size],
  ];
  for (const [r0, r1] of rowParts) {
    if (r1 <= r0) continue;
    mem.fill(0, xr8 + r0 * nb, xr8 + r1 * nb);
    simd.gemmNtSub(xr + r0 * nb * 8, nb * 8, yx + r0 * nb * 8, dn, r1 - r0, nb, nb);
  }
  // X packed for the update, and written back as the new A[other, K].
  for (let i = 0; i < k0; i++) {
    for (let k = 0; k < nb; k++) mem[xx8 + packedIndex(i, k, nb, PANEL_X)] = mem[xr8 + i * nb + k];
  }
  for (let k = 0; k < nb; k++) {
    const row = (k0 + k) * size;
    for (let i = 0; i < k0; i++) a[row + i] = mem[xr8 + i * nb + k];
  }
  for (let i = k1; i < size; i++) {
    const row = i * size + k0;
    for (let k = 0; k < nb; k++) {
      const v = mem[xr8 + i * nb + k];
      mem[xx8 + packedIndex(i, k, nb, PANEL_X)] = v;
      a[row + k] = v;
    }
  }
  for (let i = 0; i < nb; i++) for (let j = 0; j < nb; j++) a[(k0 + i) * size + k0 + j] = -d[i * nb + j];

  // A[other, other] -= X B^T on the lower triangle, by tiles of TILE_ROWS rows. A tile on
  // the diagonal is computed whole; its part above the diagonal is scratch nobody reads.
  for (const [p0, p1] of rowParts) {
    for (let r0 = p0; r0 < p1; r0 += TILE_ROWS) {
      const r1 = Math.min(r0 + TILE_ROWS, p1);
      const colParts: [number, number][] =
        r0 < k0
          ? [[0, r1]]
          : [
              [0, k0],
              [k1, r1],
            ];
      for (const [c0, c1] of colParts) {
        for (let j0 = c0; j0 < c1; j0 += TILE_COLS) {
          const j1 = Math.min(j0 + TILE_COLS, c1);
          simd.gemmNtSub((r0 * size + j0) * 8, size * 8, xx + r0 * nb * 8, yy + j0 * nb * 8, r1 - r0, j1 - j0, nb);
        }
      }
    }
  }
}

/**
 * Index of entry (row, k) of a matrix with `kk` columns packed in panels of `p` rows, as the
 * kernel reads it: panel by panel, and within a panel by pairs of columns, row after row.
 */
function packedIndex(row: number, k: number, kk: number, p: number): number {
  const r = row % p;
  return (row - r) * kk + (k >> 1) * 2 * p + r * 2 + (k & 1);
}

/**
 * Inverts the symmetric positive definite n x n matrix `d` in place (row-major, both
 * triangles): Cholesky L L^T, W = L^-1, then d = W^T W. `first` is the index of d's first
 * pivot in the whole matrix, for the error message.
 */
export function invertSmallSpd(d: Float64Array, n: number, first = 0): void {
  // Cholesky, L in the lower triangle.
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = d[rj + j];
    for (let k = 0; k < j; k++) s -= d[rj + k] * d[rj + k];
    if (!(s > 0) || !Number.isFinite(s)) {
      throw new RangeError(
        `the matrix is not positive definite: pivot ${first + j} is ${s} after elimination. ` +
          'For EASE, check that the interaction weights are finite and raise lambda.',
      );
    }
    const ljj = Math.sqrt(s);
    d[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let t = d[ri + j];
      for (let k = 0; k < j; k++) t -= d[ri + k] * d[rj + k];
      d[ri + j] = t / ljj;
    }
  }
  // W = L^-1 (lower), kept in the upper triangle transposed: w[j][i] = W[i][j], diagonal apart.
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) diag[i] = 1 / d[i * n + i];
  for (let j = 0; j < n; j++) {
    for (let i = j + 1; i < n; i++) {
      // W[i][j] = -(sum over j <= k < i of L[i][k] W[k][j]) / L[i][i]
      let t = d[i * n + j] * diag[j];
      for (let k = j + 1; k < i; k++) t += d[i * n + k] * d[j * n + k];
      d[j * n + i] = -t * diag[i];
    }
  }
  // d = W^T W: entry (p, q), p <= q, sums W[k][p] W[k][q] over k >= q.
  for (let p = 0; p < n; p++) {
    for (let q = p; q < n; q++) {
      // The k = q term: W[q][p] W[q][q].
      let t = (q === p ? diag[p] : d[p * n + q]) * diag[q];
      for (let k = q + 1; k < n; k++) t += d[p * n + k] * d[q * n + k];
      d[q * n + p] = t;
    }
  }
  for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) d[p * n + q] = d[q * n + p];
}

/** a <- -a on the lower triangle, then copied to the upper one (by tiles, for the cache). */
function negateAndMirror(a: Float64Array, n: number, size: number): void {
  const T = 32;
  for (let bi = 0; bi < n; bi += T) {
    const ei = Math.min(bi + T, n);
    for (let bj = 0; bj <= bi; bj += T) {
      const ej = Math.min(bj + T, n);
      for (let i = bi; i < ei; i++) {
        const jEnd = Math.min(ej, i);
        for (let j = bj; j < jEnd; j++) {
          const v = -a[i * size + j];
          a[i * size + j] = v;
          a[j * size + i] = v;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) a[i * size + i] = -a[i * size + i];
}
