import { SIMD_WASM_BASE64 } from './simd-wasm.js';

/** The SIMD inner loops (see simd.wat); pointers are byte offsets into the shared memory. */
export interface Simd {
  dot(a: number, b: number, n: number): number;
  scale(y: number, alpha: number, x: number, n: number): void;
  axpy(y: number, alpha: number, x: number, n: number): void;
  scaledDiff(y: number, alpha: number, a: number, b: number, n: number): void;
  adagrad(emb: number, acc: number, grad: number, w: number, lr: number, n: number): void;
  gemv(rows: number, bias: number, q: number, out: number, m: number, n: number): void;
  /** Runs examples shuffle[start..end) of a WARP epoch (see simd.wat); returns the sampling state. */
  warpRange(ctx: number, scratch: number, shuffle: number, start: number, end: number, seed: number): number;
}

let compiled: WebAssembly.Module | null = null;

/** The compiled module (compiled once per thread; it is under 1 KB). */
function simdModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(SIMD_WASM_BASE64, 'base64'));
  return compiled;
}

/** Instantiates the SIMD loops over `memory` (shared between the training threads). */
export function instantiateSimd(memory: WebAssembly.Memory): Simd {
  const instance = new WebAssembly.Instance(simdModule(), { env: { memory } });
  return instance.exports as unknown as Simd;
}

/** A shared memory of at least `bytes` bytes that never grows (so typed-array views stay valid). */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536)
    throw new RangeError(`the model needs ${bytes} bytes of parameters, more than the 4 GiB a wasm memory holds; lower --dim or the number of features`);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}
