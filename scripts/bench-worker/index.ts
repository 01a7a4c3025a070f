/// <reference path="../../core/scoring/wasm-module.d.ts" />
/**
 * The worker that `npm run bench:scoring` runs inside workerd (wrangler's unstable_dev, on
 * 127.0.0.1), so that the scoring kernels are timed in the runtime that serves them. Edge
 * code: no node imports.
 *
 *   POST /load?name=N&mode=copy|in-place   body: an artifact. Decodes it (decodeArtifact, as
 *        the model cache does, or decodeForScoring) and readies the kernel; answers sizes.
 *   POST /run    {name, variant, calls, warmup, top}: times `calls` warm calls of one
 *        variant (score every item + select the top `top`), each on its own
 *        (clock.ts), then their mean over one batch; answers the samples in ms.
 *   POST /drop?name=N
 *   GET  /runtime   what this runtime allows: compiling WebAssembly from bytes (refused by
 *        the Workers runtime, hence the imported kernel.wasm) and the imported module.
 *
 * Variants: `wasm` (scoreByVector with the WebAssembly kernel), `js` (the JavaScript int8
 * kernel scoreByVector falls back to), `baseline` (the plain loop of baseline.ts).
 */
import type { Artifact } from '../../core/format/artifact.js';
import { decodeArtifact } from '../../core/format/decode.js';
import { quantizeQuery, scoreInt8Js } from '../../core/scoring/js-kernels.js';
import kernel from '../../core/scoring/kernel.wasm';
import { scoreByVector } from '../../core/scoring/score.js';
import { selectTopN, type TopN } from '../../core/scoring/select.js';
import { decodeForScoring, prepareScoring, useWasmKernel } from '../../core/scoring/wasm-kernel.js';
import { baselineScore } from './baseline.js';
import { MsClock } from './clock.js';

useWasmKernel(kernel);

const VARIANTS = ['wasm', 'js', 'baseline'] as const;
type Variant = (typeof VARIANTS)[number];

interface Model {
  artifact: Artifact;
  out: Float32Array;
  q: Int32Array;
}

const models = new Map<string, Model>();

/** Queries that change from call to call (a fixed set, the same in every run). */
function queries(dim: number, count: number): Float32Array[] {
  let s = 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: dim }, next));
}

function call(model: Model, variant: Variant, query: Float32Array, top: number): TopN {
  const { artifact, out, q } = model;
  if (variant === 'wasm') {
    scoreByVector(artifact, query, out);
  } else if (variant === 'js') {
    const { dim, values, scales } = artifact.vectors!;
    const qScale = quantizeQuery(query, dim, q);
    scoreInt8Js(values as Int8Array, scales!, artifact.biases, q, qScale, 0, artifact.itemCount, dim, out);
  } else {
    baselineScore(artifact, query, out);
  }
  return selectTopN(out, top);
}

interface RunRequest {
  name: string;
  variant: Variant;
  calls: number;
  warmup: number;
  top: number;
}

function run(req: RunRequest): Record<string, unknown> {
  const model = models.get(req.name);
  if (!model) throw new Error(`no model named ${req.name}; POST /load first`);
  if (!VARIANTS.includes(req.variant)) throw new Error(`variant must be one of ${VARIANTS.join(', ')}`);
  const qs = queries(model.artifact.dim, 16);
  for (let k = 0; k < req.warmup; k++) call(model, req.variant, qs[k % qs.length], req.top);
  const clock = new MsClock();
  const samples: number[] = [];
  for (let k = 0; k < req.calls; k++) {
    const query = qs[k % qs.length];
    samples.push(clock.time(() => call(model, req.variant, query, req.top)));
  }
  // The same work as one batch, timed once: its mean checks the per-call timings.
  const batch = Math.max(1, Math.min(req.calls, 20));
  const t0 = performance.now();
  for (let k = 0; k < batch; k++) call(model, req.variant, qs[k % qs.length], req.top);
  const batchMeanMs = (performance.now() - t0) / batch;
  const first = call(model, req.variant, qs[0], req.top);
  return { samples, batchMeanMs, top: { items: Array.from(first.items), scores: Array.from(first.scores) } };
}

/** Whether WebAssembly compiles from bytes here (the 8-byte empty module), and what the import gave. */
function runtime(): Record<string, unknown> {
  let fromBytes = 'allowed';
  try {
    new (WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module)(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
  } catch (err) {
    fromBytes = `refused: ${(err as Error).message}`;
  }
  return { compileFromBytes: fromBytes, importedKernelIsModule: kernel instanceof WebAssembly.Module };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? '';
    try {
      if (request.method === 'POST' && url.pathname === '/load') {
        const bytes = new Uint8Array(await request.arrayBuffer());
        const inPlace = url.searchParams.get('mode') === 'in-place';
        const t0 = performance.now();
        const artifact = inPlace ? decodeForScoring(bytes) : decodeArtifact(bytes);
        const info = prepareScoring(artifact);
        const loadMs = performance.now() - t0;
        models.set(name, { artifact, out: new Float32Array(artifact.itemCount), q: new Int32Array(artifact.dim) });
        return Response.json({
          items: artifact.itemCount,
          dim: artifact.dim,
          artifactBytes: artifact.byteLength,
          scoresBytes: 4 * artifact.itemCount,
          loadMs,
          ...info,
        });
      }
      if (request.method === 'POST' && url.pathname === '/run') return Response.json(run((await request.json()) as RunRequest));
      if (request.method === 'GET' && url.pathname === '/runtime') return Response.json(runtime());
      if (request.method === 'POST' && url.pathname === '/drop') {
        models.delete(name);
        return Response.json({ dropped: name });
      }
      return Response.json({ error: `no route ${request.method} ${url.pathname}` }, { status: 404 });
    } catch (err) {
      return Response.json({ error: String((err as Error).stack ?? err) }, { status: 500 });
    }
  },
};
