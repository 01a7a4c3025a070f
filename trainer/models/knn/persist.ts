import type { Csr } from '../../data/sparse.js';
import { checkCsr } from './csr-ops.js';

/** Typed arrays by name, as a model directory stores them (see model-dir.ts). */
export type NamedArrays = Record<string, Int32Array | Float32Array | Float64Array>;

/** The three arrays of a CSR matrix, named `<prefix>.indptr`, `.indices` and `.data`. */
export function csrToArrays(prefix: string, m: Csr): NamedArrays {
  return { [`${prefix}.indptr`]: m.indptr, [`${prefix}.indices`]: m.indices, [`${prefix}.data`]: m.data };
}

/**
 * Rebuilds a CSR matrix of `cols` columns (as many as rows when `cols` is 'square') from
 * {@link csrToArrays} output, checking what a damaged file could break: types, lengths,
 * row pointers, column order and range. `what` names the model in messages.
 */
export function csrFromArrays(arrays: Readonly<Record<string, unknown>>, prefix: string, cols: number | 'square', what: string): Csr {
  const indptr = arrays[`${prefix}.indptr`];
  const indices = arrays[`${prefix}.indices`];
  const data = arrays[`${prefix}.data`];
  const where = `${what}: array "${prefix}"`;
  if (!(indptr instanceof Int32Array) || indptr.length < 1) throw new RangeError(`${where}.indptr is missing or not int32; retrain the model`);
  if (!(indices instanceof Int32Array)) throw new RangeError(`${where}.indices is missing or not int32; retrain the model`);
  if (!(data instanceof Float32Array)) throw new RangeError(`${where}.data is missing or not float32; retrain the model`);
  const rows = indptr.length - 1;
  const m: Csr = { rows, cols: cols === 'square' ? rows : cols, indptr, indices, data };
  try {
    checkCsr(m, where);
  } catch (err) {
    throw new RangeError(`${(err as Error).message}; retrain the model`);
  }
  return m;
}

/** A scalar stored as a one-element array, read back with a check. */
export function scalarFromArrays(arrays: Readonly<Record<string, unknown>>, name: string, what: string): number {
  const a = arrays[name];
  if (!(a instanceof Int32Array || a instanceof Float32Array || a instanceof Float64Array) || a.length !== 1) {
    throw new RangeError(`${what}: array "${name}" is missing or not a single number; retrain the model`);
  }
  return a[0];
}
