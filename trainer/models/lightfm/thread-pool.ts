import { Worker } from 'node:worker_threads';
import type { EpochTask, WorkerInit } from './worker.js';

/**
 * Starts a worker on this folder's worker module. When the trainer runs from its
 * TypeScript sources (tests, tsx) the worker loads them through tsx too.
 */
function startWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./worker.ts', here).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    return new Worker(boot, { eval: true, workerData: init });
  }
  return new Worker(new URL('./worker.js', here), { workerData: init });
}

/** Worker threads that share the model's parameters and run epoch slices on request. */
export class ThreadPool {
  private readonly workers: Worker[];

  /** `size` workers; worker t gets scratch slot t + 1 (slot 0 is the calling thread's). */
  constructor(size: number, init: Omit<WorkerInit, 'slot'>) {
    this.workers = Array.from({ length: size }, (_, t) => startWorker({ ...init, slot: t + 1 }));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends one task to each worker; resolves when all have finished. */
  run(tasks: EpochTask[]): Promise<void> {
    return Promise.all(
      tasks.map(
        (task, i) =>
          new Promise<void>((resolve, reject) => {
            const w = this.workers[i];
            const onError = (err: Error) => {
              w.off('message', onMessage);
              reject(err);
            };
            const onMessage = (msg: { ok: boolean; error?: string }) => {
              w.off('error', onError);
              if (msg.ok) resolve();
              else reject(new Error(`training thread ${i + 1} failed: ${msg.error}`));
            };
            w.once('message', onMessage);
            w.once('error', onError);
            w.postMessage(task);
          }),
      ),
    ).then(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
