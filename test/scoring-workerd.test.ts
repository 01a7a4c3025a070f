import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_dev } from 'wrangler';
import { PROJECT } from '../scripts/bench-common.js';
import { encodeArtifact } from '../trainer/artifact/encode.js';
import { Random } from '../trainer/util/random.js';

// The scoring kernel inside workerd, through the worker that bench:scoring uses: the
// runtime refuses to compile WebAssembly from bytes, the imported kernel.wasm works, and
// it selects what the JavaScript kernels select. (Timings are the benchmark's business.)

type Worker = Awaited<ReturnType<typeof unstable_dev>>;
let worker: Worker;

beforeAll(async () => {
  worker = await unstable_dev(join(PROJECT, 'scripts/bench-worker/index.ts'), {
    config: join(PROJECT, 'scripts/bench-worker/wrangler.toml'),
    ip: '127.0.0.1',
    port: 0,
    inspect: false,
    logLevel: 'error',
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

async function post(path: string, body: string | Uint8Array): Promise<Record<string, unknown>> {
  const res = await worker.fetch(`http://127.0.0.1${path}`, { method: 'POST', body });
  const json = (await res.json()) as Record<string, unknown>;
  expect(res.status, String(json.error)).toBe(200);
  return json;
}

describe('the scoring kernel in workerd', () => {
  it('is imported as a compiled module; compiling WebAssembly from bytes is refused', async () => {
    const res = await worker.fetch('http://127.0.0.1/runtime');
    expect(await res.json()).toMatchObject({
      importedKernelIsModule: true,
      compileFromBytes: expect.stringMatching(/^refused: .*disallowed by embedder/),
      // workerd has relaxed SIMD: the compressed path's coarse pass runs on it
      relaxed: true,
    });
  });

  it('scores with WebAssembly, copied or decoded in place, and selects what JavaScript selects', async () => {
    const rng = new Random(3);
    const n = 2001;
    const dim = 24;
    const bytes = encodeArtifact(
      {
        modelType: 'lightfm',
        itemIds: Array.from({ length: n }, (_, i) => `sku-${i}`),
        dim,
        itemVectors: Float32Array.from({ length: n * dim }, () => rng.normal()),
        itemBiases: Float32Array.from({ length: n }, () => rng.normal() * 0.1),
        meta: {},
      },
      { quantize: 'int8' },
    );
    const copied = await post('/load?name=copy&mode=copy', bytes);
    expect(copied).toMatchObject({ items: n, kernel: 'wasm', inPlace: false });
    const inPlace = await post('/load?name=in-place&mode=in-place', bytes);
    expect(inPlace).toMatchObject({ items: n, kernel: 'wasm', inPlace: true });
    const top = async (name: string, variant: string) => {
      const r = await post('/run', JSON.stringify({ name, variant, calls: 2, warmup: 1, top: 10 }));
      return r.top as { items: number[]; scores: number[] };
    };
    const wasm = await top('copy', 'wasm');
    expect(wasm.items).toHaveLength(10);
    expect(await top('copy', 'js')).toEqual(wasm);
    // selection fused into the kernel: the same list, the same scores
    expect(await top('copy', 'fused')).toEqual(wasm);
    expect(await top('in-place', 'fused')).toEqual(wasm);
    expect(await top('in-place', 'wasm')).toEqual(wasm);
    // The plain f64 loop: the same items (its scores differ in the last bits).
    expect((await top('copy', 'baseline')).items).toEqual(wasm.items);
  });

  it('the compressed path: the relaxed-SIMD coarse pass gives what the plain one gives, first calls included, with exact int8 scores', async () => {
    await post('/compress-above?items=2000', '');
    try {
      const rng = new Random(8);
      const n = 5003;
      const dim = 64;
      const bytes = encodeArtifact(
        {
          modelType: 'lightfm',
          itemIds: Array.from({ length: n }, (_, i) => `sku-${i}`),
          dim,
          itemVectors: Float32Array.from({ length: n * dim }, () => rng.normal()),
          itemBiases: Float32Array.from({ length: n }, () => rng.normal() * 0.1),
          meta: {},
        },
        { quantize: 'int8' },
      );
      expect(await post('/load?name=big&mode=in-place', bytes)).toMatchObject({ items: n, kernel: 'wasm' });
      expect(await post('/relaxed-agrees?name=big&queries=20', '')).toMatchObject({ agree: true, compressed: true });
      const recall = await post('/recall', JSON.stringify({ name: 'big', queries: 30, top: 10 }));
      expect(recall).toMatchObject({ compressed: true, exactScores: true });
      expect(recall.recall as number).toBeGreaterThanOrEqual(0.98);
    } finally {
      await post('/compress-above?items=250000', '');
    }
  });
});
