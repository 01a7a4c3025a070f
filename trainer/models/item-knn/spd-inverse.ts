import { Worker } from 'node:worker_threads';
import { denseOver, instantiateDense, PANEL_X, PANEL_Y, type DenseSimd } from './dense-simd.js';

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
  /** Element type: float64 (default) or float32 (half the memory, twice the SIMD lanes). */
  readonly precision: SpdPrecision;
  /** n rounded up to a multiple of `block`: the row length of `a`. */
  readonly size: number;
  /** Pivot block: the number of rows eliminated at a time. */
  readonly block: number;
  /** size x size, row-major, over the module's memory. */
  readonly a: Float64Array | Float32Array;
  /** @internal */
  readonly simd: DenseSimd;
  /** @internal Byte offsets of the scratch areas (see `createSpdWorkspace`). */
  readonly offsets: { yx: number; yy: number; xx: number; xr: number; dn: number; ctrl: number };
  /** @internal View of the whole memory in the element type. */
  readonly mem: Float64Array | Float32Array;
  /** @internal The shared memory itself, for the helper threads. */
  readonly memory: WebAssembly.Memory;
}

/** The solver's element type. */
export type SpdPrecision = 'f64' | 'f32';

/**
 * Allocates a zeroed workspace for an n x n matrix. It needs e * size^2 bytes plus
 * 4 * e * size * block for the packed panels, e = 8 (f64) or 4 (f32): a 3,500-item EASE
 * takes 100 MB in f64, 50 MB in f32.
 */
export function createSpdWorkspace(n: number, block: number = DEFAULT_BLOCK, precision: SpdPrecision = 'f64'): SpdWorkspace {
  if (precision !== 'f64' && precision !== 'f32') throw new RangeError(`precision must be 'f64' or 'f32', got ${JSON.stringify(precision)}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(block) || block < 4 || block % 4 !== 0) {
    throw new RangeError(`block must be a positive multiple of 4, got ${block}`);
  }
  const size = Math.ceil(n / block) * block;
  const eb = precision === 'f64' ? 8 : 4;
  const panel = size * block * eb;
  // Layout: a | Y packed for the X role | Y packed for the Y role | X packed | X row-major | -D^-1
  const yx = size * size * eb;
  const yy = yx + panel;
  const xx = yy + panel;
  const xr = xx + panel;
  const dn = xr + panel;
  const ctrl = dn + block * block * eb;
  const bytes = ctrl + CTRL_SLOTS * 4;
  const { memory, simd } = instantiateDense(bytes);
  const mem = precision === 'f64' ? new Float64Array(memory.buffer) : new Float32Array(memory.buffer);
  return { n, precision, size, block, a: mem.subarray(0, size * size), simd, offsets: { yx, yy, xx, xr, dn, ctrl }, mem, memory };
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
 *
 * With `threads` > 1 (and n >= 1,024) helper threads share the work over the same shared
 * memory: the products (X, then the update) are cut into tiles that every thread claims
 * from an atomic counter, the largest first; the main thread does the small serial parts
 * (the pivot block, the packing) between them. Each tile is computed the same way whoever
 * runs it, so the inverse is bit-identical for any number of threads.
 */
export function invertSpd(ws: SpdWorkspace, onProgress?: (done: number, total: number) => void, threads = 1): void {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new RangeError(`threads must be an integer in [1, 64], got ${threads}`);
  const { n, size, block: nb, a } = ws;
  // The padding is an identity block, which is its own inverse and couples with nothing.
  for (let i = n; i < size; i++) {
    a.fill(0, i * size, i * size + i);
    a[i * size + i] = 1;
  }
  const ctrl = new Int32Array(ws.memory.buffer, ws.offsets.ctrl, CTRL_SLOTS);
  ctrl.fill(0);
  const tc = tileContext(ws.precision, size, nb, ws.simd, ws.mem, ctrl, ws.offsets);
  const helperCount = n >= MIN_THREADED_N ? threads - 1 : 0;
  const helpers: Worker[] = [];
  try {
    for (let t = 0; t < helperCount; t++) {
      const w = startHelper({ memory: ws.memory, precision: ws.precision, size, block: nb, offsets: ws.offsets });
      // A helper never keeps the process alive; its errors surface through C_FAILED.
      w.unref();
      w.on('error', () => {});
      helpers.push(w);
    }
    const steps = size / nb;
    const d = new Float64Array(nb * nb);
    for (let s = 0; s < steps; s++) {
      sweepBlock(ws, s * nb, d, tc, helpers.length > 0);
      onProgress?.(s + 1, steps);
    }
  } finally {
    if (helpers.length > 0) {
      Atomics.store(ctrl, C_QUIT, 1);
      Atomics.add(ctrl, C_GEN, 2);
      Atomics.notify(ctrl, C_GEN);
    }
  }
  negateAndMirror(a, n, size);
}

/** Kinds of work a phase hands out (see {@link invertSpd}). */
const PHASE_X = 1;
const PHASE_UPDATE = 2;

/**
 * The control block in the shared memory, in Int32 slots: GEN is a sequence lock over the
 * phase description (odd while the main thread writes it); tiles are numbered across
 * phases without reset, so phase g owns tile numbers [BASE, END), NEXT is the next one to
 * claim (by compare-and-swap, never past END) and DONE counts the finished ones.
 */
const C_GEN = 0;
const C_PHASE = 1;
const C_K0 = 2;
const C_BASE = 3;
const C_END = 4;
const C_NEXT = 5;
const C_DONE = 6;
const C_QUIT = 7;
const C_FAILED = 8;
const CTRL_SLOTS = 16;
/** A helper that finishes no claimed tile for this long is taken for dead. */
const HELPER_TIMEOUT_MS = 120_000;
/** Below this order the inverse takes well under a second: no helper threads. */
const MIN_THREADED_N = 1024;

/**
 * What a thread needs to run tiles: the sizes, the offsets, a view and a kernel over the
 * memory, the element size `eb` in bytes and `lg`, log2 of the values per SIMD vector.
 */
interface TileContext {
  size: number;
  block: number;
  gemm: DenseSimd['gemmNtSub'];
  mem: Float64Array | Float32Array;
  ctrl: Int32Array;
  offsets: SpdWorkspace['offsets'];
  eb: number;
  lg: number;
}

function tileContext(
  precision: SpdPrecision,
  size: number,
  block: number,
  simd: DenseSimd,
  mem: Float64Array | Float32Array,
  ctrl: Int32Array,
  offsets: SpdWorkspace['offsets'],
): TileContext {
  const f64 = precision === 'f64';
  return { size, block, gemm: f64 ? simd.gemmNtSub : simd.gemmNtSubF32, mem, ctrl, offsets, eb: f64 ? 8 : 4, lg: f64 ? 1 : 2 };
}

/** What a helper thread receives (workerData); see spd-inverse-worker.ts. */
export interface SpdHelperInit {
  memory: WebAssembly.Memory;
  precision: SpdPrecision;
  size: number;
  block: number;
  offsets: SpdWorkspace['offsets'];
}

/** One sweep, over the pivots k0 .. k0 + block. `d` is nb x nb scratch. */
function sweepBlock(ws: SpdWorkspace, k0: number, d: Float64Array, tc: TileContext, threaded: boolean): void {
  const { size, block: nb, a, mem } = ws;
  const { yx, yy, xx, xr, dn } = ws.offsets;
  const { eb, lg } = tc;
  const k1 = k0 + nb;

  // d <- D^-1 (in float64 whatever the precision), then -D^-1 packed for the kernel.
  for (let i = 0; i < nb; i++) {
    for (let j = 0; j <= i; j++) {
      const v = a[(k0 + i) * size + k0 + j];
      d[i * nb + j] = v;
      d[j * nb + i] = v;
    }
  }
  invertSmallSpd(d, nb, k0);
  const dnE = dn / eb;
  for (let i = 0; i < nb; i++) for (let k = 0; k < nb; k++) mem[dnE + packedIndex(i, k, nb, PANEL_Y, lg)] = -d[i * nb + k];

  // B = A[other, K], packed twice: as the left factor (for X = B D^-1) and as the right one
  // (for the update). Rows above the block read it from the block's rows (lower triangle).
  const yxE = yx / eb;
  const yyE = yy / eb;
  for (let k = 0; k < nb; k++) {
    const row = (k0 + k) * size;
    for (let i = 0; i < k0; i++) {
      const v = a[row + i];
      mem[yxE + packedIndex(i, k, nb, PANEL_X, lg)] = v;
      mem[yyE + packedIndex(i, k, nb, PANEL_Y, lg)] = v;
    }
  }
  for (let i = k1; i < size; i++) {
    const row = i * size + k0;
    for (let k = 0; k < nb; k++) {
      const v = a[row + k];
      mem[yxE + packedIndex(i, k, nb, PANEL_X, lg)] = v;
      mem[yyE + packedIndex(i, k, nb, PANEL_Y, lg)] = v;
    }
  }

  // X = B D^-1 (row-major in xr), by tiles of rows.
  runPhase(tc, PHASE_X, k0, xTileCount(k0, nb, size), threaded);

  // X packed for the update, and written back as the new A[other, K].
  const xrE = xr / eb;
  const xxE = xx / eb;
  for (let i = 0; i < k0; i++) {
    for (let k = 0; k < nb; k++) mem[xxE + packedIndex(i, k, nb, PANEL_X, lg)] = mem[xrE + i * nb + k];
  }
  for (let k = 0; k < nb; k++) {
    const row = (k0 + k) * size;
    for (let i = 0; i < k0; i++) a[row + i] = mem[xrE + i * nb + k];
  }
  for (let i = k1; i < size; i++) {
    const row = i * size + k0;
    for (let k = 0; k < nb; k++) {
      const v = mem[xrE + i * nb + k];
      mem[xxE + packedIndex(i, k, nb, PANEL_X, lg)] = v;
      a[row + k] = v;
    }
  }
  for (let i = 0; i < nb; i++) for (let j = 0; j < nb; j++) a[(k0 + i) * size + k0 + j] = -d[i * nb + j];

  // A[other, other] -= X B^T on the lower triangle, by tiles.
  runPhase(tc, PHASE_UPDATE, k0, updateTiles(k0, nb, size).length / 4, threaded);
}

/** Tiles of phase X: TILE_ROWS rows of [0, k0), then of [k0 + nb, size). */
function xTileCount(k0: number, nb: number, size: number): number {
  return Math.ceil(k0 / TILE_ROWS) + Math.ceil((size - k0 - nb) / TILE_ROWS);
}

/** X[r0..r1) = 0 - B[r0..r1) (-D^-1)^T, which is B D^-1 since D^-1 is symmetric. */
function runXTile(tc: TileContext, k0: number, t: number): void {
  const { size, block: nb, gemm, mem, eb } = tc;
  const { xr, yx, dn } = tc.offsets;
  const above = Math.ceil(k0 / TILE_ROWS);
  const r0 = t < above ? t * TILE_ROWS : k0 + nb + (t - above) * TILE_ROWS;
  const r1 = Math.min(r0 + TILE_ROWS, t < above ? k0 : size);
  mem.fill(0, xr / eb + r0 * nb, xr / eb + r1 * nb);
  gemm(xr + r0 * nb * eb, nb * eb, yx + r0 * nb * eb, dn, r1 - r0, nb, nb);
}

/**
 * Tiles of the update, as (r0, r1, j0, j1) quadruples: bands of TILE_ROWS rows, the
 * lowest (longest) band first so that the threads finish together, each cut into
 * TILE_COLS columns of the lower triangle, the pivot block's columns left out. A tile on
 * the diagonal is computed whole; its part above the diagonal is scratch nobody reads.
 */
const tileCache = new Map<string, Int32Array>();
function updateTiles(k0: number, nb: number, size: number): Int32Array {
  const key = `${k0}/${nb}/${size}`;
  const cached = tileCache.get(key);
  if (cached) return cached;
  const out: number[] = [];
  const k1 = k0 + nb;
  const bands: [number, number][] = [];
  for (let r0 = 0; r0 < k0; r0 += TILE_ROWS) bands.push([r0, Math.min(r0 + TILE_ROWS, k0)]);
  for (let r0 = k1; r0 < size; r0 += TILE_ROWS) bands.push([r0, Math.min(r0 + TILE_ROWS, size)]);
  bands.reverse();
  for (const [r0, r1] of bands) {
    const colParts: [number, number][] =
      r0 < k0
        ? [[0, r1]]
        : [
            [0, k0],
            [k1, r1],
          ];
    for (const [c0, c1] of colParts) {
      for (let j0 = c0; j0 < c1; j0 += TILE_COLS) out.push(r0, r1, j0, Math.min(j0 + TILE_COLS, c1));
    }
  }
  const tiles = Int32Array.from(out);
  // One step's list is asked for by every thread; older steps are never asked again.
  tileCache.clear();
  tileCache.set(key, tiles);
  return tiles;
}

function runUpdateTile(tc: TileContext, tiles: Int32Array, t: number): void {
  const { size, block: nb, gemm, eb } = tc;
  const { xx, yy } = tc.offsets;
  const r0 = tiles[4 * t];
  const r1 = tiles[4 * t + 1];
  const j0 = tiles[4 * t + 2];
  const j1 = tiles[4 * t + 3];
  gemm((r0 * size + j0) * eb, size * eb, xx + r0 * nb * eb, yy + j0 * nb * eb, r1 - r0, j1 - j0, nb);
}

/**
 * Claims and runs tiles of the current phase until none is left. Tiles write disjoint
 * parts of the memory and each is computed the same way whichever thread runs it, so the
 * result does not depend on the number of threads or on who ran what.
 */
function claimTiles(tc: TileContext, phase: number, k0: number, base: number, end: number): void {
  const { ctrl } = tc;
  const tiles = phase === PHASE_UPDATE ? updateTiles(k0, tc.block, tc.size) : null;
  for (;;) {
    const i = Atomics.load(ctrl, C_NEXT);
    if (i >= end) return;
    if (Atomics.compareExchange(ctrl, C_NEXT, i, i + 1) !== i) continue;
    if (tiles) runUpdateTile(tc, tiles, i - base);
    else runXTile(tc, k0, i - base);
    if (Atomics.add(ctrl, C_DONE, 1) + 1 === end) Atomics.notify(ctrl, C_DONE);
  }
}

/** The main thread's side of one phase: publish it, take part, wait for the helpers. */
function runPhase(tc: TileContext, phase: number, k0: number, count: number, threaded: boolean): void {
  const { ctrl } = tc;
  const base = Atomics.load(ctrl, C_NEXT);
  const end = base + count;
  Atomics.add(ctrl, C_GEN, 1); // odd: the description is being written
  Atomics.store(ctrl, C_PHASE, phase);
  Atomics.store(ctrl, C_K0, k0);
  Atomics.store(ctrl, C_BASE, base);
  Atomics.store(ctrl, C_END, end);
  Atomics.add(ctrl, C_GEN, 1);
  if (threaded) Atomics.notify(ctrl, C_GEN);
  claimTiles(tc, phase, k0, base, end);
  // Every tile is claimed; wait for those a helper is still running.
  let done = Atomics.load(ctrl, C_DONE);
  let since = Date.now();
  while (done < end) {
    if (Atomics.load(ctrl, C_FAILED) !== 0) throw new Error('a thread of the EASE solver failed (see its error above); run again with one thread');
    Atomics.wait(ctrl, C_DONE, done, 1000);
    const now = Atomics.load(ctrl, C_DONE);
    if (now !== done) {
      done = now;
      since = Date.now();
    } else if (Date.now() - since > HELPER_TIMEOUT_MS) {
      throw new Error(`a thread of the EASE solver finished no work in ${HELPER_TIMEOUT_MS / 1000} s; run again with one thread`);
    }
  }
}

/**
 * A helper thread's loop (spd-inverse-worker.ts): wait for a phase, read its description
 * under the sequence lock, claim tiles, repeat until told to quit.
 */
export function helperLoop(init: SpdHelperInit): void {
  const { memory, precision, size, block, offsets } = init;
  const ctrl = new Int32Array(memory.buffer, offsets.ctrl, CTRL_SLOTS);
  const mem = precision === 'f64' ? new Float64Array(memory.buffer) : new Float32Array(memory.buffer);
  const tc = tileContext(precision, size, block, denseOver(memory), mem, ctrl, offsets);
  let seen = 0;
  try {
    for (;;) {
      Atomics.wait(ctrl, C_GEN, seen);
      if (Atomics.load(ctrl, C_QUIT) !== 0) return;
      const g = Atomics.load(ctrl, C_GEN);
      seen = g;
      if (g & 1) continue; // being written: wait for the even value
      const phase = Atomics.load(ctrl, C_PHASE);
      const k0 = Atomics.load(ctrl, C_K0);
      const base = Atomics.load(ctrl, C_BASE);
      const end = Atomics.load(ctrl, C_END);
      if (Atomics.load(ctrl, C_GEN) !== g) continue;
      claimTiles(tc, phase, k0, base, end);
    }
  } catch (err) {
    Atomics.store(ctrl, C_FAILED, 1);
    Atomics.notify(ctrl, C_DONE);
    throw err;
  }
}

/** Starts a helper thread; from the TypeScript sources (tests, tsx) it loads them through tsx. */
function startHelper(init: SpdHelperInit): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./spd-inverse-worker.ts', here).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    return new Worker(boot, { eval: true, workerData: init });
  }
  return new Worker(new URL('./spd-inverse-worker.js', here), { workerData: init });
}

/**
 * Index of entry (row, k) of a matrix with `kk` columns packed in panels of `p` rows, as the
 * kernel reads it: panel by panel, and within a panel by groups of 2^lg columns (pairs in
 * f64, quads in f32: one SIMD vector), row after row.
 */
function packedIndex(row: number, k: number, kk: number, p: number, lg: number): number {
  const r = row % p;
  const w = 1 << lg;
  return (row - r) * kk + (k >> lg) * w * p + r * w + (k & (w - 1));
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
function negateAndMirror(a: Float64Array | Float32Array, n: number, size: number): void {
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
