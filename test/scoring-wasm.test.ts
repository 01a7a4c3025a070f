import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../core/format/decode.js';
import { FormatError } from '../core/format/errors.js';
import type { Quantization } from '../core/format/spec.js';
import { scoreByVectorCases, seeded } from '../core/scoring/score-cases.js';
import { scoreByVector, scoreTopN } from '../core/scoring/score.js';
import { selectTopN } from '../core/scoring/select.js';
import { decodeForScoring, prepareScoring, useWasmKernel, wasmKernelInUse } from '../core/scoring/wasm-kernel.js';
import { assembleWat, SCORING_KERNEL, SCORING_KERNEL_RELAXED } from '../scripts/build-wasm.js';
import { encodeArtifact } from '../trainer/artifact/encode.js';

// The worker imports kernel.wasm compiled (wrangler bundles it as a WebAssembly.Module);
// Node compiles the same file from its bytes.
const kernelBytes = await readFile(new URL('../core/scoring/kernel.wasm', import.meta.url));
const kernel = new WebAssembly.Module(kernelBytes);

/** An encoded lightfm artifact with random vectors. */
function encoded(n: number, dim: number, quantize: Quantization, seed = 1): Uint8Array {
  const rand = seeded(seed);
  return encodeArtifact(
    {
      modelType: 'lightfm',
      itemIds: Array.from({ length: n }, (_, i) => `sku-${i}`),
      dim,
      itemVectors: Float32Array.from({ length: n * dim }, () => rand()),
      itemBiases: Float32Array.from({ length: n }, () => rand()),
      meta: { version: 'v-test' },
    },
    { quantize },
  );
}

function scores(artifact: ReturnType<typeof decodeArtifact>, query: Float32Array): Float32Array {
  const out = new Float32Array(artifact.itemCount);
  scoreByVector(artifact, query, out, 0.125);
  return out;
}

describe('kernel.wasm', () => {
  it('is the assembly of kernel.wat (run `npm run build:wasm` after editing the .wat)', async () => {
    expect(new Uint8Array(kernelBytes)).toEqual(await assembleWat(SCORING_KERNEL));
  });

  it('kernel-relaxed.wasm is the assembly of kernel-relaxed.wat', async () => {
    const relaxed = await readFile(new URL('../core/scoring/kernel-relaxed.wasm', import.meta.url));
    expect(new Uint8Array(relaxed)).toEqual(await assembleWat(SCORING_KERNEL_RELAXED));
  });

  it('is refused when it is not the scoring kernel (or not the relaxed one)', () => {
    const empty = new WebAssembly.Module(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
    expect(() => useWasmKernel(empty)).toThrow(/not the scoring kernel: it lacks scoreInt8, scoreF32, scoreF16/);
    expect(() => useWasmKernel(kernel, empty)).toThrow(/not the relaxed-SIMD scoring kernel: it lacks topInt4Relaxed/);
  });
});

scoreByVectorCases('WebAssembly', () => useWasmKernel(kernel));

describe('the WebAssembly kernel on decoded artifacts', () => {
  const query = Float32Array.from({ length: 64 }, (_, j) => Math.sin(j) * 0.3);
  let int8: Uint8Array;
  let js: Float32Array;
  beforeAll(() => {
    int8 = encoded(1000, 64, 'int8');
    useWasmKernel(null);
    js = scores(decodeArtifact(int8), query);
  });

  it("gives the JavaScript kernel's int8 scores bit for bit, copied or decoded in place", () => {
    useWasmKernel(kernel);
    expect(wasmKernelInUse()).toBe(true);
    const copied = decodeArtifact(int8);
    expect(scores(copied, query)).toEqual(js);
    const inPlace = decodeForScoring(int8);
    expect(scores(inPlace, query)).toEqual(js);
  });

  it('copies an int8 artifact decoded elsewhere once (dim + 12 bytes per item), and decodes in place without a copy', () => {
    useWasmKernel(kernel);
    const copied = prepareScoring(decodeArtifact(int8));
    expect(copied).toMatchObject({ kernel: 'wasm', inPlace: false });
    // 1000 items: 64 KiB pages holding 76 bytes per item, the scores and the query.
    expect(copied.wasmBytes).toBe(2 * 65536);
    const inPlace = prepareScoring(decodeForScoring(int8));
    expect(inPlace).toMatchObject({ kernel: 'wasm', inPlace: true });
    expect(inPlace.wasmBytes).toBe(Math.ceil((int8.length + 4 * 1000 + 16 + 256 + 32) / 65536) * 65536);
  });

  it.each(['f16', 'f32'] as const)('%s: scores in place when decoded for scoring, in JavaScript otherwise', (q) => {
    const bytes = encoded(300, 20, q, 4);
    const qv = query.subarray(0, 20);
    useWasmKernel(null);
    const reference = scores(decodeArtifact(bytes), qv);
    useWasmKernel(kernel);
    const elsewhere = decodeArtifact(bytes);
    expect(prepareScoring(elsewhere).kernel).toBe('js');
    expect(scores(elsewhere, qv)).toEqual(reference);
    const inPlace = decodeForScoring(bytes);
    expect(prepareScoring(inPlace)).toMatchObject({ kernel: 'wasm', inPlace: true });
    const got = scores(inPlace, qv);
    for (let i = 0; i < 300; i++) expect(got[i]).toBeCloseTo(reference[i], 5);
  });

  it('decodeForScoring rejects a bad artifact as decodeArtifact does', () => {
    useWasmKernel(kernel);
    const bad = int8.slice();
    bad[bad.length - 1] ^= 1;
    expect(() => decodeForScoring(bad)).toThrow(FormatError);
    expect(() => decodeForScoring(bad)).toThrow(/checksum mismatch/);
    expect(() => decodeForScoring(new Uint8Array(3))).toThrow(/not a PlusOne model artifact/);
  });
});

describe('the compressed path (4-bit coarse pass, int8 rescoring), on plain SIMD', () => {
  it('returns exact int8 scores of items the filter lets through, best first, and finds the exact top 10 nearly always', () => {
    // Past 2,000 items here instead of 250,000, to keep the test small.
    useWasmKernel(kernel, null, { compressAboveItems: 2000 });
    try {
      const n = 6001;
      const dim = 64;
      const artifact = decodeForScoring(encoded(n, dim, 'int8', 11));
      expect(prepareScoring(artifact)).toMatchObject({ kernel: 'wasm', inPlace: true, compressed: true });
      const rand = seeded(12);
      const all = new Float32Array(n);
      let hits = 0;
      const queries = 40;
      for (let k = 0; k < queries; k++) {
        const query = Float32Array.from({ length: dim }, () => rand());
        const accept = (i: number) => i % 4 !== k % 4;
        scoreByVector(artifact, query, all, 0.5);
        const exact = selectTopN(all, 10, (i) => !accept(i));
        const got = scoreTopN(artifact, query, 10, new Float32Array(n), 0.5, accept);
        expect(got.items).toHaveLength(10);
        for (let r = 0; r < 10; r++) {
          expect(accept(got.items[r])).toBe(true);
          expect(got.scores[r]).toBe(all[got.items[r]]);
          if (r > 0) expect(got.scores[r]).toBeLessThanOrEqual(got.scores[r - 1]);
        }
        const want = new Set(exact.items);
        for (const i of got.items) if (want.has(i)) hits++;
      }
      // 256 candidates of 6,001 from 4-bit codes: the exact top 10 is nearly always among them.
      expect(hits / (queries * 10)).toBeGreaterThanOrEqual(0.98);
      // Below the threshold the fused exact path answers: the same as scoreByVector + selectTopN.
      useWasmKernel(kernel, null, { compressAboveItems: n });
      const exactPath = decodeForScoring(encoded(n, dim, 'int8', 11));
      expect(prepareScoring(exactPath)).toMatchObject({ compressed: false });
      const query = Float32Array.from({ length: dim }, () => rand());
      scoreByVector(exactPath, query, all);
      expect(scoreTopN(exactPath, query, 10, new Float32Array(n))).toEqual(selectTopN(all, 10));
    } finally {
      useWasmKernel(kernel);
    }
  });

  it('rejects a negative threshold', () => {
    expect(() => useWasmKernel(kernel, null, { compressAboveItems: -1 })).toThrow(/compressAboveItems must be an integer >= 0/);
  });
});
