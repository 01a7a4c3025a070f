/// <reference path="../../core/scoring/wasm-module.d.ts" />
/**
 * The worker that `npm run bench:scoring` runs inside workerd (wrangler's unstable_dev, on
 * 127.0.0.1), so that the scoring kernels are timed in the runtime that serves them. Edge
 * code: no node imports.
 *
 *   POST /part?name=N   body: a part of an artifact, the next /load of N appends its body to them.
 *   POST /load?name=N&mode=copy|in-place   body: an artifact (or its last part). Decodes it (decodeArtifact, as
 *        the model cache does, or decodeForScoring) and readies the kernel; answers sizes.
 *   POST /run    {name, variant, calls, warmup, top}: times `calls` warm calls of one
 *        variant (score every item + select the top `top`), each on its own
 *        (clock.ts), then their mean over one batch; answers the samples in ms.
 *   POST /recall {name, queries, top}: recall@top of scoreTopN against exact int8 scoring.
 *   POST /relaxed-agrees?name=N: the compressed path's answers with and without relaxed SIMD.
 *   POST /compress-above?items=K: the compressed path past K items (for tests; loads after it).
 *   POST /drop?name=N
 *   GET  /runtime   what this runtime allows: compiling WebAssembly from bytes (refused by
 *        the Workers runtime, hence the imported kernel.wasm) and the imported module.
 *
 * Variants: `floor` (the kernel's sumBytes: reads every byte of the int8 vectors once and
 * sums them, the least work a scoring pass can do: its memory floor), `fused` (scoreTopN:
 * the WebAssembly kernel selecting as it scores), `batch4` (scoreTopNBatch: four queries in
 * one pass, timed per call of four), `wasm` (scoreByVector with the
 * WebAssembly kernel, then selectTopN), `js` (the JavaScript int8 kernel scoreByVector
 * falls back to), `baseline` (the plain loop of baseline.ts). `cold: true` reads a 64 MB
 * buffer before each timed call (untimed), so that the call finds no vector in the caches:
 * the item vectors come from memory, as for a model that other work has pushed out.
 */
import type { Artifact } from '../../core/format/artifact.js';
import { decodeArtifact } from '../../core/format/decode.js';
import { quantizeQuery, scoreInt8Js } from '../../core/scoring/js-kernels.js';
import kernel from '../../core/scoring/kernel.wasm';
import relaxedKernel from '../../core/scoring/kernel-relaxed.wasm';
import { scoreByVector, scoreTopN, scoreTopNBatch } from '../../core/scoring/score.js';
import { selectTopN, type TopN } from '../../core/scoring/select.js';
import { COMPRESSED_ABOVE_ITEMS, decodeForScoring, prepareScoring, relaxedKernelInUse, useWasmKernel, wasmScorer } from '../../core/scoring/wasm-kernel.js';
import { baselineScore } from './baseline.js';
import { MsClock } from './clock.js';

let compressAboveItems = COMPRESSED_ABOVE_ITEMS;
useWasmKernel(kernel, relaxedKernel);

const VARIANTS = ['floor', 'fused', 'batch4', 'wasm', 'js', 'baseline'] as const;
type Variant = (typeof VARIANTS)[number];

interface Model {
  artifact: Artifact;
  out: Float32Array;
  q: Int32Array;
}

const models = new Map<string, Model>();
const uploads = new Map<string, Uint8Array[]>();

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

let mates: Float32Array[] = [];
function batchMates(dim: number): Float32Array[] {
  if (mates.length === 0 || mates[0].length !== dim) mates = queries(dim, 19).slice(16);
  return mates;
}

const EMPTY: TopN = { items: new Int32Array(0), scores: new Float32Array(0) };
let sink = 0;

function call(model: Model, variant: Variant, query: Float32Array, top: number): TopN {
  const { artifact, out, q } = model;
  if (variant === 'floor') {
    const scorer = wasmScorer(artifact);
    if (scorer === null) throw new Error('the floor needs the WebAssembly kernel');
    sink ^= scorer.sumVectorBytes();
    return EMPTY;
  }
  if (variant === 'fused') return scoreTopN(artifact, query, top, out);
  if (variant === 'batch4') {
    // Four queries in one pass (this one and three others); the caller divides by 4.
    return scoreTopNBatch(artifact, [query, ...batchMates(artifact.dim)], top, out)[0];
  }
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
  cold?: boolean;
}

/** 64 MB read before a cold call: more than this machine's caches, so the vectors leave them. */
let evictBuffer: Int32Array | null = null;
function evictCaches(): void {
  evictBuffer ??= new Int32Array(16 * 1024 * 1024).fill(1);
  let s = 0;
  for (let i = 0; i < evictBuffer.length; i += 16) s += evictBuffer[i];
  sink ^= s;
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
    if (req.cold) evictCaches();
    samples.push(clock.time(() => call(model, req.variant, query, req.top)));
  }
  // The same work as one batch, timed once: its mean checks the per-call timings (warm only).
  let batchMeanMs: number | null = null;
  if (!req.cold) {
    const batch = Math.max(1, Math.min(req.calls, 20));
    const t0 = performance.now();
    for (let k = 0; k < batch; k++) call(model, req.variant, qs[k % qs.length], req.top);
    batchMeanMs = (performance.now() - t0) / batch;
  }
  const first = call(model, req.variant, qs[0], req.top);
  return { samples, batchMeanMs, sink, top: { items: Array.from(first.items), scores: Array.from(first.scores) } };
}

interface RecallRequest {
  name: string;
  queries: number;
  top: number;
}

/**
 * recall@top of scoreTopN (the compressed path, past 250,000 items) against exact int8
 * scoring (scoreByVector, then selectTopN) over `queries` queries: the share of the exact
 * top list that scoreTopN returns, and whether the scores it returns are the exact ones.
 */
function recall(req: RecallRequest): Record<string, unknown> {
  const model = models.get(req.name);
  if (!model) throw new Error(`no model named ${req.name}; POST /load first`);
  const { artifact, out } = model;
  const qs = queries(artifact.dim, req.queries);
  let hits = 0;
  let exactScores = true;
  for (const q of qs) {
    scoreByVector(artifact, q, out);
    const exact = selectTopN(out, req.top);
    const got = scoreTopN(artifact, q, req.top, out);
    const want = new Set(exact.items);
    for (let k = 0; k < got.items.length; k++) {
      if (want.has(got.items[k])) hits++;
      if (!Object.is(got.scores[k], out[got.items[k]])) exactScores = false;
    }
  }
  return { recall: hits / (req.queries * req.top), exactScores, compressed: wasmScorer(artifact)?.compressed ?? false };
}

/**
 * The compressed path's answers with the relaxed-SIMD coarse pass and with the plain one
 * (the same model prepared again under each), first calls included: they must agree.
 */
function relaxedAgrees(name: string, count: number): Record<string, unknown> {
  const model = models.get(name);
  if (!model) throw new Error(`no model named ${name}; POST /load first`);
  const qs = queries(model.artifact.dim, count);
  const answers = (relaxed: WebAssembly.Module | null, compressAbove: number) => {
    useWasmKernel(kernel, relaxed, { compressAboveItems: compressAbove });
    return qs.map((q) => {
      const t = scoreTopN(model.artifact, q, 10, model.out, 0, (i) => i % 3 !== 0);
      return JSON.stringify([Array.from(t.items), Array.from(t.scores)]);
    });
  };
  const above = compressAboveItems;
  try {
    const withRelaxed = answers(relaxedKernel, above);
    const compressed = wasmScorer(model.artifact)?.compressed ?? false;
    const plain = answers(null, above);
    return { agree: withRelaxed.every((a, k) => a === plain[k]), compressed, first: withRelaxed[0] };
  } finally {
    useWasmKernel(kernel, relaxedKernel, { compressAboveItems: above });
  }
}

/** Whether WebAssembly compiles from bytes here (the 8-byte empty module), and what the import gave. */
function runtime(): Record<string, unknown> {
  let fromBytes = 'allowed';
  try {
    new (WebAssembly.Module as unknown as new (bytes: Uint8Array) => WebAssembly.Module)(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0));
  } catch (err) {
    fromBytes = `refused: ${(err as Error).message}`;
  }
  return { compileFromBytes: fromBytes, importedKernelIsModule: kernel instanceof WebAssembly.Module, relaxed: relaxedKernelInUse() };
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get('name') ?? '';
    try {
      if (request.method === 'POST' && url.pathname === '/part') {
        // Large artifacts arrive in parts (a request body of 82 MB is refused locally).
        const parts = uploads.get(name) ?? [];
        parts.push(new Uint8Array(await request.arrayBuffer()));
        uploads.set(name, parts);
        return Response.json({ parts: parts.length });
      }
      if (request.method === 'POST' && url.pathname === '/load') {
        let bytes = new Uint8Array(await request.arrayBuffer());
        const parts = uploads.get(name);
        if (parts) {
          uploads.delete(name);
          const whole = new Uint8Array(parts.reduce((s, p) => s + p.length, 0) + bytes.length);
          let at = 0;
          for (const p of [...parts, bytes]) {
            whole.set(p, at);
            at += p.length;
          }
          bytes = whole;
        }
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
      if (request.method === 'POST' && url.pathname === '/compress-above') {
        // Tests: take the compressed path past this many items (models loaded after this).
        compressAboveItems = Number(url.searchParams.get('items'));
        useWasmKernel(kernel, relaxedKernel, { compressAboveItems });
        return Response.json({ compressAboveItems });
      }
      if (request.method === 'POST' && url.pathname === '/relaxed-agrees')
        return Response.json(relaxedAgrees(name, Number(url.searchParams.get('queries') ?? '20')));
      if (request.method === 'POST' && url.pathname === '/recall') return Response.json(recall((await request.json()) as RecallRequest));
      if (request.method === 'GET' && url.pathname === '/runtime') return Response.json(runtime());
      if (request.method === 'POST' && url.pathname === '/drop') {
        models.delete(name);
        // The cold runs' 64 MB goes too: the isolate keeps its memory for the next model.
        evictBuffer = null;
        return Response.json({ dropped: name });
      }
      return Response.json({ error: `no route ${request.method} ${url.pathname}` }, { status: 404 });
    } catch (err) {
      return Response.json({ error: String((err as Error).stack ?? err) }, { status: 500 });
    }
  },
};
