/**
 * A thread of the approximate EASE: solves the candidate regressions of one range of items
 * over the shared sparse Gram matrix, reporting progress, and sends the columns back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { solveColumns } from './ease-approx.js';
import type { Csr } from '../../data/sparse.js';

export interface EaseApproxTask {
  /** The Gram matrix, its arrays on shared memory. */
  gram: Csr;
  lambda: number;
  candidates: number;
  from: number;
  to: number;
}

/** What the thread posts: progress (items done of its range), then its columns or its error. */
export type EaseApproxMessage =
  | { kind: 'progress'; done: number }
  | { kind: 'done'; indptr: Int32Array; indices: Int32Array; data: Float32Array }
  | { kind: 'error'; error: string };

const task = workerData as EaseApproxTask;
const post = (m: EaseApproxMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);
try {
  const cols = solveColumns(task.gram, task.lambda, task.candidates, task.from, task.to, (done) => post({ kind: 'progress', done }));
  const indices = cols.indices.slice();
  const data = cols.data.slice();
  post({ kind: 'done', indptr: cols.indptr, indices, data }, [cols.indptr.buffer as ArrayBuffer, indices.buffer, data.buffer]);
} catch (err) {
  post({ kind: 'error', error: err instanceof Error ? err.message : String(err) });
}
