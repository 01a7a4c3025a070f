import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { assembleWat, DENSE_SIMD, renderModule } from '../../../scripts/build-wasm.js';
import { Random } from '../../util/random.js';
import { instantiateDense, PANEL_X, PANEL_Y } from './dense-simd.js';

describe('dense SIMD kernel', () => {
  it('dense-simd-wasm.ts is the assembly of dense-simd.wat (run `npm run build:wasm` after editing the .wat)', async () => {
    const committed = await readFile(new URL('./dense-simd-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderModule(await assembleWat(DENSE_SIMD), DENSE_SIMD));
  });

  it('gemmNtSub: C -= X Y^T over packed panels, touching only the m x n block', () => {
    const m = 8;
    const n = 6;
    const kk = 6;
    const ld = 9;
    const rng = new Random(11);
    const X = Array.from({ length: m * kk }, () => rng.normal());
    const Y = Array.from({ length: n * kk }, () => rng.normal());
    const C0 = Array.from({ length: (m + 1) * ld }, () => rng.normal());
    const { memory, simd } = instantiateDense(65536);
    const f = new Float64Array(memory.buffer);
    // Layout in float64 units: C at 0, X at 256, Y at 512.
    const pack = (base: number, src: number[], p: number) => {
      for (let r = 0; r < src.length / kk; r++) {
        for (let k = 0; k < kk; k++) f[base + (r - (r % p)) * kk + (k >> 1) * 2 * p + (r % p) * 2 + (k & 1)] = src[r * kk + k];
      }
    };
    f.set(C0, 0);
    pack(256, X, PANEL_X);
    pack(512, Y, PANEL_Y);
    simd.gemmNtSub(0, ld * 8, 256 * 8, 512 * 8, m, n, kk);
    for (let i = 0; i <= m; i++) {
      for (let j = 0; j < ld; j++) {
        let expected = C0[i * ld + j];
        if (i < m && j < n) for (let k = 0; k < kk; k++) expected -= X[i * kk + k] * Y[j * kk + k];
        expect(f[i * ld + j]).toBeCloseTo(expected, 12);
      }
    }
  });
  it('gemmNtSubF32: the same product in float32, packed by quads of columns', () => {
    const m = 8;
    const n = 6;
    const kk = 8;
    const ld = 9;
    const rng = new Random(12);
    const X = Array.from({ length: m * kk }, () => Math.fround(rng.normal()));
    const Y = Array.from({ length: n * kk }, () => Math.fround(rng.normal()));
    const C0 = Array.from({ length: (m + 1) * ld }, () => Math.fround(rng.normal()));
    const { memory, simd } = instantiateDense(65536);
    const f = new Float32Array(memory.buffer);
    // Layout in float32 units: C at 0, X at 256, Y at 512.
    const pack = (base: number, src: number[], p: number) => {
      for (let r = 0; r < src.length / kk; r++) {
        for (let k = 0; k < kk; k++) f[base + (r - (r % p)) * kk + (k >> 2) * 4 * p + (r % p) * 4 + (k & 3)] = src[r * kk + k];
      }
    };
    f.set(C0, 0);
    pack(256, X, PANEL_X);
    pack(512, Y, PANEL_Y);
    simd.gemmNtSubF32(0, ld * 4, 256 * 4, 512 * 4, m, n, kk);
    for (let i = 0; i <= m; i++) {
      for (let j = 0; j < ld; j++) {
        let expected = C0[i * ld + j];
        if (i < m && j < n) for (let k = 0; k < kk; k++) expected -= X[i * kk + k] * Y[j * kk + k];
        expect(f[i * ld + j]).toBeCloseTo(expected, 4);
      }
    }
  });
});
