import { DENSE_SIMD_WASM_BASE64 } from './dense-simd-wasm.js';

/** The dense kernel (see dense-simd.wat); pointers are byte offsets into the module's memory. */
export interface DenseSimd {
  /**
   * C -= X * Y^T for an m x n block of C (rows `ldc` bytes apart), X packed in panels of
   * {@link PANEL_X} rows and Y in panels of {@link PANEL_Y} rows, each row `kk` values long.
   */
  gemmNtSub(c: number, ldc: number, x: number, y: number, m: number, n: number, kk: number): void;
  /** The same in float32, X and Y packed by quads of columns (kk a multiple of 4). */
  gemmNtSubF32(c: number, ldc: number, x: number, y: number, m: number, n: number, kk: number): void;
}

/** Rows per packed panel of X and of Y; m, n and kk must be multiples of these and of 2. */
export const PANEL_X = 4;
export const PANEL_Y = 2;

let compiled: WebAssembly.Module | null = null;

/** The compiled module (compiled once per thread; it is under 1 KB). */
function denseModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(DENSE_SIMD_WASM_BASE64, 'base64'));
  return compiled;
}

/**
 * A shared memory of at least `bytes` bytes (never grown, so views stay valid) and the
 * kernel over it. Other threads run the kernel on the same memory with {@link denseOver}.
 */
export function instantiateDense(bytes: number): { memory: WebAssembly.Memory; simd: DenseSimd } {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536) {
    throw new RangeError(`the dense solver needs ${bytes} bytes, more than the 4 GiB a wasm memory holds`);
  }
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  return { memory, simd: denseOver(memory) };
}

/** The kernel over an existing (shared) memory, e.g. one received by a worker thread. */
export function denseOver(memory: WebAssembly.Memory): DenseSimd {
  const instance = new WebAssembly.Instance(denseModule(), { env: { memory } });
  return instance.exports as unknown as DenseSimd;
}
