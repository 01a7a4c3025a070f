/**
 * A training thread. It receives the shared parameters and the training data once, then
 * runs one slice of each epoch on request and answers when done.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createContext, runRange, type Examples, type Hyper } from './kernels.js';
import type { Params } from './params.js';
import type { Csr } from '../../data/sparse.js';

export interface WorkerInit {
  params: Params;
  itemFeatures: Csr;
  userFeatures: Csr;
  examples: Examples;
  hyper: Hyper;
  shuffle: Int32Array;
  /** This thread's scratch slot in the shared memory (the trainer thread has 0). */
  slot: number;
  /** The WARP loop's context in the memory (0: the JavaScript loop). */
  warpCtx: number;
}

export interface EpochTask {
  start: number;
  end: number;
  seed: number;
}

const init = workerData as WorkerInit;
const ctx = createContext(init.params, init.itemFeatures, init.userFeatures, init.examples, init.hyper, init.slot, init.warpCtx);

parentPort!.on('message', (task: EpochTask) => {
  try {
    runRange(ctx, init.shuffle, task.start, task.end, task.seed);
    parentPort!.postMessage({ ok: true });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
