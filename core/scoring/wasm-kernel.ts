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
import { quantizeQuery } from './js-kernels.js';

/** The functions kernel.wat exports (pointers are byte offsets into the memory). */
interface KernelExports {
  scoreInt8(values: number, scales: number, biases: number, query: number, out: number, n: number, dim: number, qScale: number, queryBias: number): void;
  scoreF32(values: number, biases: number, query: number, out: number, n: number, dim: number, queryBias: number): void;
  scoreF16(values: number, biases: number, query: number, out: number, n: number, dim: number, queryBias: number): void;
}

const EXPORTS: readonly (keyof KernelExports)[] = ['scoreInt8', 'scoreF32', 'scoreF16'];

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
}

let kernelModule: WebAssembly.Module | null = null;
let scorers = new WeakMap<Artifact, WasmScorer | null>();

/**
 * Scores with the WebAssembly kernel from now on: `kernel` is the compiled kernel.wasm (in
 * a worker, the imported module; in Node, `new WebAssembly.Module(bytes of kernel.wasm)`);
 * `null` goes back to JavaScript. Giving another module prepares every artifact again.
 */
export function useWasmKernel(kernel: WebAssembly.Module | null): void {
  if (kernel === kernelModule) return;
  if (kernel !== null) {
    let exports: Record<string, unknown>;
    try {
      exports = new WebAssembly.Instance(kernel, { env: { memory: newMemory(1) } }).exports;
    } catch (err) {
      throw new Error(
        `this is not the scoring kernel: it does not instantiate with one memory (${(err as Error).message}); rebuild kernel.wasm with \`npm run build:wasm\``,
      );
    }
    const missing = EXPORTS.filter((name) => typeof exports[name] !== 'function');
    if (missing.length) throw new Error(`this is not the scoring kernel: it lacks ${missing.join(', ')} (rebuild kernel.wasm with \`npm run build:wasm\`)`);
  }
  kernelModule = kernel;
  scorers = new WeakMap();
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
    ? { kernel: 'js', wasmBytes: 0, inPlace: false }
    : { kernel: 'wasm', wasmBytes: scorer.memory.buffer.byteLength, inPlace: scorer.inPlace };
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
  const total = at + align16(len) + 16;
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
  const total = values + n * dim + 16;
  if (total > MAX_MEMORY_BYTES) return null;
  const memory = newMemory(total);
  new Float32Array(memory.buffer, scales, n).set(v.scales.subarray(0, n));
  if (artifact.biases !== undefined) new Float32Array(memory.buffer, biases, n).set(artifact.biases.subarray(0, n));
  new Int8Array(memory.buffer, values, n * dim).set(v.values.subarray(0, n * dim));
  return new WasmScorer(instantiate(module, memory), memory, artifact, layout, { values, scales, biases, inPlace: false });
}

/** Where the query and the scores go: after 16 reserved bytes (offset 0 means "absent"). */
interface ScratchLayout {
  query: number;
  out: number;
  end: number;
}

function scratchLayout(n: number, dim: number): ScratchLayout {
  const query = 16;
  // f32 for the float kernels; i16 padded to a multiple of 16 for int8 (half of this).
  const out = query + align16(dim) * 4;
  return { query, out, end: out + align16(4 * n) };
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}

function newMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / PAGE_BYTES);
  return new WebAssembly.Memory({ initial: pages, maximum: pages });
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
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
  private readonly q16: Int16Array;
  private readonly qf32: Float32Array;
  private readonly scores: Float32Array;

  constructor(
    private readonly kernel: KernelExports,
    readonly memory: WebAssembly.Memory,
    artifact: Artifact,
    layout: ScratchLayout,
    at: { values: number; scales: number; biases: number; inPlace: boolean },
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
}
