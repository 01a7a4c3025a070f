/**
 * The WebAssembly scoring kernel (kernel.wat, shipped compiled as kernel.wasm) and the
 * memory it scores in.
 *
 * The Workers runtime does not compile WebAssembly from bytes at run time
 * (`new WebAssembly.Module(bytes)` and `WebAssembly.instantiate(bytes)` throw "Wasm code
 * generation disallowed by embedder"): a worker imports the module, which wrangler bundles
 * as a compiled `WebAssembly.Module`, and hands it over once:
 *
 *     import scoringKernel from '../core/scoring/kernel.wasm';
 *     useWasmKernel(scoringKernel);
 *
 * Node (tests, benchmarks) compiles the bytes of kernel.wasm itself. Until then, or after
 * `useWasmKernel(null)`, scoring runs in JavaScript (js-kernels.ts).
 *
 * The kernel reads item vectors from its own linear memory, one memory per model version,
 * sized once and never grown (so views into it stay valid):
 *   - {@link decodeForScoring} copies the artifact's bytes into a new memory and decodes
 *     them there: the artifact's arrays are views into the memory, nothing else is copied
 *     (the memory is the artifact plus 4 bytes per item for the scores);
 *   - an int8 artifact decoded elsewhere (`decodeArtifact`) gets its vectors, scales and
 *     biases copied into a memory the first time it is scored (or by {@link prepareScoring}
 *     at load): dim + 12 bytes per item, 76 at 64 dimensions, beside the artifact.
 *     f16 and f32 artifacts decoded elsewhere are scored in JavaScript rather than copied
 *     (their vectors are 2 and 4 times larger).
 * Either way the memory belongs to the Artifact object and goes with it.
 */
import type { Artifact } from '../format/artifact.js';
import { decodeArtifact } from '../format/decode.js';
import { HEADER } from '../format/spec.js';
import { quantizeQuery, quantizeQueryTo } from './js-kernels.js';
import { selectTopN } from './select.js';

/** The functions kernel.wat exports (pointers are byte offsets into the memory). */
interface KernelExports {
  scoreInt8(values: number, scales: number, biases: number, query: number, out: number, n: number, dim: number, qScale: number, queryBias: number): void;
  scoreF32(values: number, biases: number, query: number, out: number, n: number, dim: number, queryBias: number): void;
  scoreF16(values: number, biases: number, query: number, out: number, n: number, dim: number, queryBias: number): void;
  topInt8(
    values: number,
    scales: number,
    biases: number,
    query: number,
    n: number,
    dim: number,
    qScale: number,
    queryBias: number,
    items: number,
    scores: number,
    lenPtr: number,
    cap: number,
    useAccept: number,
  ): number;
  topInt8D64(
    values: number,
    scales: number,
    biases: number,
    query: number,
    n: number,
    qScale: number,
    queryBias: number,
    items: number,
    scores: number,
    lenPtr: number,
    cap: number,
    useAccept: number,
  ): number;
  topInt4(
    codes: number,
    scales4: number,
    biases: number,
    query: number,
    n: number,
    dim: number,
    qScale: number,
    queryBias: number,
    qSum8: number,
    items: number,
    scores: number,
    lenPtr: number,
    cap: number,
    useAccept: number,
  ): number;
  scoreRowsInt8(
    values: number,
    scales: number,
    biases: number,
    query: number,
    rows: number,
    count: number,
    dim: number,
    qScale: number,
    queryBias: number,
    out: number,
  ): void;
  buildInt4(values: number, scales: number, n: number, dim: number, codes: number, scales4: number, usum: number): void;
  topInt8Batch(
    values: number,
    scales: number,
    biases: number,
    queries: number,
    count: number,
    n: number,
    dim: number,
    params: number,
    items: number,
    scores: number,
    lens: number,
    cap: number,
    useAccept: number,
  ): void;
  sumBytes(p: number, bytes: number): number;
}

const EXPORTS: readonly (keyof KernelExports)[] = [
  'scoreInt8',
  'scoreF32',
  'scoreF16',
  'topInt8',
  'topInt8D64',
  'topInt4',
  'scoreRowsInt8',
  'buildInt4',
  'sumBytes',
];

/**
 * Catalogs of more items than this (int8, dim a multiple of 32) also keep 4-bit codes of
 * their rows (dim / 2 + 4 bytes an item) and answer top-N asks by the compressed path: a
 * coarse pass over the codes (the query quantised to 7 bits) keeps {@link coarseCandidates} items, which are then scored
 * exactly on their int8 rows.
 */
export const COMPRESSED_ABOVE_ITEMS = 250_000;
let compressAbove = COMPRESSED_ABOVE_ITEMS;

/** Candidates the coarse pass keeps for a top `n`: enough for a recall@10 of 0.98 and more against exact int8 scoring (bench:scoring measures it). */
export function coarseCandidates(n: number): number {
  return Math.min(MAX_FUSED_TOP, Math.max(256, 16 * n));
}

/** Queries topInt8Batch scores in one pass over the rows. */
export const BATCH = 4;

/** Most entries a fused top list holds ({@link WasmScorer.top}); larger asks score all items, then select. */
export const MAX_FUSED_TOP = 1024;

/**
 * The filter of the call in progress, which the kernel's `accept` import asks. Scoring is
 * synchronous and single-threaded per isolate, so one slot is enough.
 */
let currentAccept: ((list: number, item: number) => boolean) | null = null;
const imports = (memory: WebAssembly.Memory) => ({
  env: { memory, accept: (list: number, item: number) => (currentAccept?.(list, item) ? 1 : 0) },
});

/** Memories stay below 2 GiB: the kernel's offsets are i32. */
const MAX_MEMORY_BYTES = 2 ** 31;
const PAGE_BYTES = 65536;

/** How an artifact is scored, and what it costs beside the artifact. */
export interface ScoringInfo {
  kernel: 'wasm' | 'js';
  /** Size of the kernel's memory (0 for the JavaScript kernel). */
  wasmBytes: number;
  /** Whether the artifact's own bytes live in that memory ({@link decodeForScoring}); otherwise the memory holds a copy of the vectors. */
  inPlace: boolean;
  /** Whether top-N asks take the compressed path (past {@link COMPRESSED_ABOVE_ITEMS} items). */
  compressed: boolean;
}

let kernelModule: WebAssembly.Module | null = null;
let relaxedModule: WebAssembly.Module | null = null;

/** What kernel-relaxed.wat exports. */
interface RelaxedExports {
  topInt4Relaxed(
    codes: number,
    scales4: number,
    biases: number,
    query: number,
    n: number,
    dim: number,
    qScale: number,
    queryBias: number,
    qSum8: number,
    usum: number,
    items: number,
    scores: number,
    lenPtr: number,
    cap: number,
    useAccept: number,
  ): number;
}
let scorers = new WeakMap<Artifact, WasmScorer | null>();

/**
 * Scores with the WebAssembly kernel from now on: `kernel` is the compiled kernel.wasm (in
 * a worker, the imported module; in Node, `new WebAssembly.Module(bytes of kernel.wasm)`);
 * `null` goes back to JavaScript. `relaxed`, the compiled kernel-relaxed.wasm where the
 * runtime has relaxed SIMD (workerd does; Node 20 only with --experimental-wasm-relaxed-simd),
 * runs the compressed path's coarse pass; without it the same pass runs on plain SIMD, with
 * the same results. `compressAboveItems` (default {@link COMPRESSED_ABOVE_ITEMS}) moves the
 * size past which the compressed path is taken (tests use small catalogs). Giving other
 * modules or options prepares every artifact again.
 */
export function useWasmKernel(
  kernel: WebAssembly.Module | null,
  relaxed: WebAssembly.Module | null = null,
  options: { compressAboveItems?: number } = {},
): void {
  const above = options.compressAboveItems ?? COMPRESSED_ABOVE_ITEMS;
  if (!Number.isInteger(above) || above < 0) throw new RangeError(`compressAboveItems must be an integer >= 0, got ${above}`);
  if (kernel === kernelModule && relaxed === relaxedModule && above === compressAbove) return;
  compressAbove = above;
  if (kernel !== null) checkExports(kernel, EXPORTS, 'the scoring kernel', 'kernel.wasm');
  if (relaxed !== null) checkExports(relaxed, ['topInt4Relaxed'], 'the relaxed-SIMD scoring kernel', 'kernel-relaxed.wasm');
  kernelModule = kernel;
  relaxedModule = kernel === null ? null : relaxed;
  scorers = new WeakMap();
}

/** Whether the compressed path's coarse pass runs on relaxed SIMD. */
export function relaxedKernelInUse(): boolean {
  return relaxedModule !== null;
}

function checkExports(module: WebAssembly.Module, names: readonly string[], what: string, file: string): void {
  let exports: Record<string, unknown>;
  try {
    exports = new WebAssembly.Instance(module, imports(newMemory(1))).exports;
  } catch (err) {
    throw new Error(`this is not ${what}: it does not instantiate with one memory (${(err as Error).message}); rebuild ${file} with \`npm run build:wasm\``);
  }
  const missing = names.filter((name) => typeof exports[name] !== 'function');
  if (missing.length) throw new Error(`this is not ${what}: it lacks ${missing.join(', ')} (rebuild ${file} with \`npm run build:wasm\`)`);
}

/** Whether {@link useWasmKernel} has been given a module. */
export function wasmKernelInUse(): boolean {
  return kernelModule !== null;
}

/**
 * Readies `artifact` for scoring now (the copy into the kernel's memory, where there is
 * one) rather than on the first request, and says which kernel scores it.
 */
export function prepareScoring(artifact: Artifact): ScoringInfo {
  const scorer = wasmScorer(artifact);
  return scorer === null
    ? { kernel: 'js', wasmBytes: 0, inPlace: false, compressed: false }
    : { kernel: 'wasm', wasmBytes: scorer.memory.buffer.byteLength, inPlace: scorer.inPlace, compressed: scorer.compressed };
}

/**
 * Decodes an artifact straight into the scoring kernel's memory (see the file comment):
 * like `decodeArtifact`, and the same errors, but the artifact then costs its own size
 * plus 4 bytes per item, instead of its size plus a copy of the vectors. The input can be
 * dropped afterwards. Without a kernel in use, or for an artifact without item vectors,
 * it is `decodeArtifact`.
 */
export function decodeForScoring(input: ArrayBuffer | Uint8Array): Artifact {
  const module = kernelModule;
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const len = bytes.length;
  if (module === null || len < HEADER.itemCount + 4) return decodeArtifact(input);
  // The header is not validated yet (decodeArtifact does that next): its counts only size
  // the scratch space, so they are bounded by the file's length first.
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const dim = view.getUint32(HEADER.dim, true);
  const n = view.getUint32(HEADER.itemCount, true);
  if (dim === 0 || n > len || dim > len) return decodeArtifact(input);
  const layout = scratchLayout(n, dim);
  const at = layout.end;
  const codes = compressedBytes(n, dim);
  const total = at + align16(len) + codes + 16;
  if (total > MAX_MEMORY_BYTES) return decodeArtifact(input);
  const memory = newMemory(total);
  const inMemory = new Uint8Array(memory.buffer, at, len);
  inMemory.set(bytes);
  const artifact = decodeArtifact(inMemory);
  const v = artifact.vectors;
  // decodeArtifact copies arrays that are not 8-byte aligned; these are (at is a multiple of 16).
  if (v !== undefined && v.values.buffer === memory.buffer) {
    const scorer = new WasmScorer(instantiate(module, memory), memory, artifact, layout, {
      values: v.values.byteOffset,
      scales: v.scales === undefined ? 0 : v.scales.byteOffset,
      biases: artifact.biases === undefined ? 0 : artifact.biases.byteOffset,
      inPlace: true,
      codes: codes > 0 && v.quantization === 'int8' ? at + align16(len) : 0,
    });
    scorers.set(artifact, scorer);
  }
  return artifact;
}

/** The WebAssembly scorer of `artifact`, made on first use; null where JavaScript scores it. */
export function wasmScorer(artifact: Artifact): WasmScorer | null {
  if (kernelModule === null) return null;
  let scorer = scorers.get(artifact);
  if (scorer === undefined) {
    scorer = copyIntoMemory(kernelModule, artifact);
    scorers.set(artifact, scorer);
  }
  return scorer;
}

/** A copy of an int8 artifact's vectors, scales and biases in a new memory; null when not worth it. */
function copyIntoMemory(module: WebAssembly.Module, artifact: Artifact): WasmScorer | null {
  const v = artifact.vectors;
  if (v === undefined || v.quantization !== 'int8' || v.scales === undefined) return null;
  const n = artifact.itemCount;
  const dim = v.dim;
  const layout = scratchLayout(n, dim);
  const scales = layout.end;
  const biases = artifact.biases === undefined ? 0 : scales + align16(4 * n);
  const values = (biases || scales) + align16(4 * n);
  const codes = compressedBytes(n, dim);
  const total = values + align16(n * dim) + codes + 16;
  if (total > MAX_MEMORY_BYTES) return null;
  const memory = newMemory(total);
  new Float32Array(memory.buffer, scales, n).set(v.scales.subarray(0, n));
  if (artifact.biases !== undefined) new Float32Array(memory.buffer, biases, n).set(artifact.biases.subarray(0, n));
  new Int8Array(memory.buffer, values, n * dim).set(v.values.subarray(0, n * dim));
  return new WasmScorer(instantiate(module, memory), memory, artifact, layout, {
    values,
    scales,
    biases,
    inPlace: false,
    codes: codes > 0 ? values + align16(n * dim) : 0,
  });
}

/**
 * Where the query, a top list (its length, items and scores) and the scores go: after 16
 * reserved bytes (offset 0 means "absent").
 */
interface ScratchLayout {
  query: number;
  query8: number;
  /** topInt8Batch: four i16 queries, their f64 scales and biases, four list lengths and lists. */
  batchQueries: number;
  batchParams: number;
  batchLens: number;
  batchItems: number;
  batchScores: number;
  topLen: number;
  topItems: number;
  topScores: number;
  out: number;
  end: number;
}

function scratchLayout(n: number, dim: number): ScratchLayout {
  const query = 16;
  // f32 for the float kernels; i16 padded to a multiple of 16 for int8 (half of this).
  const query8 = query + align16(dim) * 4;
  const topLen = query8 + align16(dim) * 2;
  const topItems = topLen + 16;
  const topScores = topItems + 4 * MAX_FUSED_TOP;
  const batchQueries = topScores + 4 * MAX_FUSED_TOP;
  const batchParams = batchQueries + BATCH * align16(dim) * 2;
  const batchLens = batchParams + 64;
  const batchItems = batchLens + 16;
  const batchScores = batchItems + BATCH * 4 * MAX_FUSED_TOP;
  const out = batchScores + BATCH * 4 * MAX_FUSED_TOP;
  return { query, query8, topLen, topItems, topScores, batchQueries, batchParams, batchLens, batchItems, batchScores, out, end: out + align16(4 * n) };
}

/** Bytes of the compressed path's codes and scales for n rows of dim values; 0 where it does not apply. */
function compressedBytes(n: number, dim: number): number {
  return n > compressAbove && dim % 32 === 0 ? align16((n * dim) / 2) + 2 * align16(4 * n) : 0;
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}

function newMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / PAGE_BYTES);
  return new WebAssembly.Memory({ initial: pages, maximum: pages });
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, imports(memory)).exports as unknown as KernelExports;
}

function instantiateRelaxed(memory: WebAssembly.Memory): RelaxedExports | null {
  return relaxedModule === null ? null : (new WebAssembly.Instance(relaxedModule, imports(memory)).exports as unknown as RelaxedExports);
}

/** One artifact's kernel instance and memory. */
class WasmScorer {
  readonly inPlace: boolean;
  private readonly n: number;
  private readonly dim: number;
  private readonly quantization: Artifact['quantization'];
  private readonly values: number;
  private readonly scales: number;
  private readonly biases: number;
  private readonly query: number;
  private readonly out: number;
  private readonly layout: ScratchLayout;
  /** Offsets of the 4-bit codes and their scales (0: no compressed path). */
  private readonly codes: number;
  private readonly scales4: number;
  private readonly usum: number;
  private readonly q16: Int16Array;
  private readonly q8: Int16Array;
  private readonly relaxed: RelaxedExports | null;
  private readonly qf32: Float32Array;
  private readonly scores: Float32Array;

  constructor(
    private readonly kernel: KernelExports,
    readonly memory: WebAssembly.Memory,
    artifact: Artifact,
    layout: ScratchLayout,
    at: { values: number; scales: number; biases: number; inPlace: boolean; codes: number },
  ) {
    this.n = artifact.itemCount;
    this.dim = artifact.dim;
    this.quantization = artifact.quantization;
    this.values = at.values;
    this.scales = at.scales;
    this.biases = at.biases;
    this.inPlace = at.inPlace;
    this.query = layout.query;
    this.out = layout.out;
    this.layout = layout;
    this.codes = at.codes;
    this.scales4 = at.codes === 0 ? 0 : at.codes + align16((this.n * this.dim) / 2);
    this.usum = at.codes === 0 ? 0 : this.scales4 + align16(4 * this.n);
    if (this.codes !== 0) kernel.buildInt4(this.values, this.scales, this.n, this.dim, this.codes, this.scales4, this.usum);
    this.q8 = new Int16Array(memory.buffer, layout.query8, align16(this.dim));
    this.relaxed = this.codes === 0 ? null : instantiateRelaxed(memory);
    this.q16 = new Int16Array(memory.buffer, layout.query, align16(this.dim));
    this.qf32 = new Float32Array(memory.buffer, layout.query, this.dim);
    this.scores = new Float32Array(memory.buffer, layout.out, this.n);
  }

  /** out[i] = item i's score for `query` (length >= dim, finite) + queryBias. */
  score(query: Float32Array, out: Float32Array, queryBias: number): void {
    const { kernel, n, dim } = this;
    if (this.quantization === 'int8') {
      const qScale = quantizeQuery(query, dim, this.q16);
      kernel.scoreInt8(this.values, this.scales, this.biases, this.query, this.out, n, dim, qScale, queryBias);
    } else {
      this.qf32.set(query.subarray(0, dim));
      const fn = this.quantization === 'f16' ? kernel.scoreF16 : kernel.scoreF32;
      fn(this.values, this.biases, this.query, this.out, n, dim, queryBias);
    }
    out.set(this.scores);
  }

  /** Whether {@link top} can serve this artifact (int8 vectors) for `n` results. */
  canFuse(n: number): boolean {
    return this.quantization === 'int8' && (this.codes !== 0 ? coarseCandidates(n) >= n : n <= MAX_FUSED_TOP);
  }

  /**
   * The `n` best items for `query` (+ queryBias) that `accept` lets through, best first,
   * ties by the lower index: what scoring every item and selectTopN give, in one pass that
   * stores no scores. `accept` is asked only for items that would enter the list.
   */
  top(query: Float32Array, n: number, queryBias: number, accept?: (item: number) => boolean): { items: Int32Array; scores: Float32Array } {
    if (this.codes !== 0) return this.topCompressed(query, n, queryBias, accept);
    const { kernel, layout, dim } = this;
    const qScale = quantizeQuery(query, dim, this.q16);
    const useAccept = accept === undefined ? 0 : 1;
    currentAccept = accept === undefined ? null : (_list, item) => accept(item);
    let len: number;
    try {
      len =
        dim === 64
          ? kernel.topInt8D64(
              this.values,
              this.scales,
              this.biases,
              this.query,
              this.n,
              qScale,
              queryBias,
              layout.topItems,
              layout.topScores,
              layout.topLen,
              n,
              useAccept,
            )
          : kernel.topInt8(
              this.values,
              this.scales,
              this.biases,
              this.query,
              this.n,
              dim,
              qScale,
              queryBias,
              layout.topItems,
              layout.topScores,
              layout.topLen,
              n,
              useAccept,
            );
    } finally {
      currentAccept = null;
    }
    return {
      items: new Int32Array(this.memory.buffer, layout.topItems, len).slice(),
      scores: new Float32Array(this.memory.buffer, layout.topScores, len).slice(),
    };
  }

  /**
   * {@link top} for several queries, BATCH at a time in one pass over the rows (each row
   * read once for all of them): the same lists as one call per query. `accept(q, item)`
   * filters query q's list. The compressed path answers one query at a time.
   */
  topBatch(
    queries: readonly Float32Array[],
    n: number,
    queryBiases: readonly number[],
    accept?: (query: number, item: number) => boolean,
  ): { items: Int32Array; scores: Float32Array }[] {
    if (this.codes !== 0) {
      return queries.map((q, k) => this.top(q, n, queryBiases[k] ?? 0, accept === undefined ? undefined : (item) => accept(k, item)));
    }
    const { kernel, layout, dim, memory } = this;
    const span = align16(dim);
    const out: { items: Int32Array; scores: Float32Array }[] = [];
    for (let first = 0; first < queries.length; first += BATCH) {
      const count = Math.min(BATCH, queries.length - first);
      const params = new Float64Array(memory.buffer, layout.batchParams, 8);
      params.fill(0);
      for (let k = 0; k < BATCH; k++) {
        const q16 = new Int16Array(memory.buffer, layout.batchQueries + k * span * 2, span);
        if (k < count) {
          params[k] = quantizeQuery(queries[first + k], dim, q16);
          params[4 + k] = queryBiases[first + k] ?? 0;
        } else {
          q16.fill(0);
        }
      }
      currentAccept = accept === undefined ? null : (list, item) => accept(first + list, item);
      try {
        kernel.topInt8Batch(
          this.values,
          this.scales,
          this.biases,
          layout.batchQueries,
          count,
          this.n,
          dim,
          layout.batchParams,
          layout.batchItems,
          layout.batchScores,
          layout.batchLens,
          n,
          accept === undefined ? 0 : 1,
        );
      } finally {
        currentAccept = null;
      }
      const lens = new Int32Array(memory.buffer, layout.batchLens, BATCH);
      for (let k = 0; k < count; k++) {
        out.push({
          items: new Int32Array(memory.buffer, layout.batchItems + k * 4 * n, lens[k]).slice(),
          scores: new Float32Array(memory.buffer, layout.batchScores + k * 4 * n, lens[k]).slice(),
        });
      }
    }
    return out;
  }

  /** Whether this artifact answers {@link top} by the compressed path. */
  get compressed(): boolean {
    return this.codes !== 0;
  }

  /**
   * The compressed path: the coarse pass keeps coarseCandidates(n) items (those `accept`
   * lets through), then they are scored exactly on their int8 rows and the best n kept,
   * ties by the lower index. The scores are the exact int8 scores of the items returned;
   * an item the coarse pass missed is missing (recall, not exactness: bench:scoring).
   */
  topCompressed(query: Float32Array, n: number, queryBias: number, accept?: (item: number) => boolean): { items: Int32Array; scores: Float32Array } {
    const { kernel, layout, dim } = this;
    const q8Scale = quantizeQueryTo(query, dim, this.q8, 63);
    let qSum = 0;
    for (let j = 0; j < dim; j++) qSum += this.q8[j];
    const cap = coarseCandidates(n);
    currentAccept = accept === undefined ? null : (_list, item) => accept(item);
    let len: number;
    try {
      const useAccept = accept === undefined ? 0 : 1;
      if (this.relaxed !== null) {
        // The same values plus 64 as bytes, in the same order (see kernel-relaxed.wat), over
        // the same place: byte j overwrites only i16 values already read.
        const bytes = new Uint8Array(this.memory.buffer, layout.query8, dim);
        for (let j = 0; j < dim; j++) bytes[j] = this.q8[j] + 64;
        len = this.relaxed.topInt4Relaxed(
          this.codes,
          this.scales4,
          this.biases,
          layout.query8,
          this.n,
          dim,
          q8Scale,
          queryBias,
          8 * qSum,
          this.usum,
          layout.topItems,
          layout.topScores,
          layout.topLen,
          cap,
          useAccept,
        );
      } else {
        len = kernel.topInt4(
          this.codes,
          this.scales4,
          this.biases,
          layout.query8,
          this.n,
          dim,
          q8Scale,
          queryBias,
          8 * qSum,
          layout.topItems,
          layout.topScores,
          layout.topLen,
          cap,
          useAccept,
        );
      }
    } finally {
      currentAccept = null;
    }
    // The candidates in index order (so that equal exact scores keep the lower index first).
    const rows = new Int32Array(this.memory.buffer, layout.topItems, len);
    rows.sort();
    const qScale = quantizeQuery(query, dim, this.q16);
    kernel.scoreRowsInt8(this.values, this.scales, this.biases, this.query, layout.topItems, len, dim, qScale, queryBias, layout.topScores);
    const exact = new Float32Array(this.memory.buffer, layout.topScores, len);
    const best = selectTopN(exact, n);
    for (let k = 0; k < best.items.length; k++) best.items[k] = rows[best.items[k]];
    return best;
  }

  /** Reads every byte of the item vectors once and sums them: the memory floor of a scoring pass. */
  sumVectorBytes(): number {
    const bytes = this.n * this.dim;
    return this.kernel.sumBytes(this.values, bytes & ~63);
  }
}
