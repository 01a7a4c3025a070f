import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { assembleSimd, renderModule } from '../../../scripts/build-wasm.js';
import { instantiateSimd, sharedMemory } from './simd.js';

describe('SIMD loops', () => {
  it('simd-wasm.ts is the assembly of simd.wat (run `npm run build:wasm` after editing the .wat)', async () => {
    const committed = await readFile(new URL('./simd-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(renderModule(await assembleSimd()));
  });

  // n = 7 exercises one vector step and a scalar tail of 3.
  const n = 7;
  const memory = sharedMemory(4096);
  const simd = instantiateSimd(memory);
  const f32 = (offset: number, values: number[]) => {
    const a = new Float32Array(memory.buffer, offset, values.length);
    a.set(values);
    return a;
  };
  const xs = [0.5, -1, 2, 3.25, -0.75, 1.5, 4];
  const ys = [1, 2, -3, 0.5, 2.5, -1, 0.25];

  it('dot', () => {
    f32(0, xs);
    f32(64, ys);
    const expected = xs.reduce((s, x, j) => s + x * ys[j], 0);
    expect(simd.dot(0, 64, n)).toBeCloseTo(expected, 5);
  });

  it('dot over every path: 16 a step, 4 a step, the scalar tail (n = 0 to 40)', () => {
    const a = Array.from({ length: 40 }, (_, j) => Math.fround(Math.sin(j + 1)));
    const b = Array.from({ length: 40 }, (_, j) => Math.fround(Math.cos(2 * j)));
    f32(1024, a);
    f32(2048, b);
    for (let len = 0; len <= 40; len++) {
      const expected = a.slice(0, len).reduce((s, x, j) => s + x * b[j], 0);
      expect(simd.dot(1024, 2048, len), `n = ${len}`).toBeCloseTo(expected, 5);
    }
  });

  it('scale, axpy and scaledDiff', () => {
    f32(0, xs);
    f32(64, ys);
    const y = f32(128, new Array(n).fill(9));
    simd.scale(128, 2, 0, n);
    expect(Array.from(y)).toEqual(xs.map((x) => 2 * x));
    simd.axpy(128, -0.5, 64, n);
    expect(Array.from(y)).toEqual(xs.map((x, j) => Math.fround(2 * x - 0.5 * ys[j])));
    simd.scaledDiff(128, 3, 0, 64, n);
    expect(Array.from(y)).toEqual(xs.map((x, j) => Math.fround(3 * (x - ys[j]))));
  });

  it('adagrad: emb -= lr / sqrt(acc) * g; acc += g^2, with g = grad * w', () => {
    const emb = f32(0, xs);
    const acc = f32(64, [1, 4, 9, 16, 1, 2, 3]);
    const accBefore = Array.from(acc);
    f32(128, ys);
    simd.adagrad(0, 64, 128, 0.5, 0.1, n);
    for (let j = 0; j < n; j++) {
      const g = ys[j] * 0.5;
      expect(emb[j]).toBeCloseTo(xs[j] - (0.1 / Math.sqrt(accBefore[j])) * g, 6);
      expect(acc[j]).toBeCloseTo(accBefore[j] + g * g, 6);
    }
  });

  it('gemv: out[i] = bias[i] + rows[i] . q', () => {
    const m = 3;
    const rows = [xs, ys, xs.map((x, j) => x * ys[j])];
    f32(0, rows.flat());
    f32(256, [0.5, -1, 2]);
    f32(320, ys);
    const out = f32(384, [0, 0, 0]);
    simd.gemv(0, 256, 320, 384, m, n);
    rows.forEach((r, i) => expect(out[i]).toBeCloseTo([0.5, -1, 2][i] + r.reduce((s, x, j) => s + x * ys[j], 0), 4));
  });
});
