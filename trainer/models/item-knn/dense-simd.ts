import { DENSE_SIMD_WASM_BASE64 } from './dense-simd-wasm.js';

/** The dense kernel (see dense-simd.wat); pointers are byte offsets into the module's memory. */
export interface DenseSimd {
  /**
   * C -= X * Y^T for an m x n block of C (rows `ldc` bytes apart), X packed in panels of
   * {@link PANEL_X} rows and Y in panels of {@link PANEL_Y} rows, each row `kk` values long.
   */
  gemmNtSub(c: number, ldc: number, x: number, y: number, m: number, n: number, kk: number): void;
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

/** A memory of at least `bytes` bytes (never grown, so views stay valid) and the kernel over it. */
export function instantiateDense(bytes: number): { memory: WebAssembly.Memory; simd: DenseSimd } {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536) {
    throw new RangeError(`the dense solver needs ${bytes} bytes, more than the 4 GiB a wasm memory holds`);
  }
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(denseModule(), { env: { memory } });
  return { memory, simd: instance.exports as unknown as DenseSimd };
}
