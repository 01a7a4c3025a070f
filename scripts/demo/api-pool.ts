import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { evaluate, evaluateArtifact, exportModel, train, tune } from '../../trainer/api.js';
import { InputError } from '../../trainer/data/errors.js';

/**
 * Trainer API calls (train, export, evaluate) on a few worker threads: each thread loads the
 * trainer once and runs the calls it is given in turn, so that a machine's cores train
 * several models at once. Options cross the thread boundary as structured clones: name the
 * model kind by its name, and pass no callbacks (warnings come back with the result).
 *
 * Run from the TypeScript sources (tests under vitest, tsx), a thread could not load this
 * file: the calls then run in this thread, at most `size` at once.
 */

const OPS = { train, tune, exportModel, evaluate, evaluateArtifact } as const;
export type PoolOp = keyof typeof OPS;
export type PoolOptions<K extends PoolOp> = Parameters<(typeof OPS)[K]>[0];

/** What one call returned, with the warnings it gave and the time it ran (not its wait in the queue). */
export interface PoolResult<K extends PoolOp> {
  result: Awaited<ReturnType<(typeof OPS)[K]>>;
  warnings: string[];
  seconds: number;
}

interface Request {
  id: number;
  op: PoolOp;
  options: unknown;
}

type Reply = { id: number; warnings: string[]; seconds: number } & (
  | { ok: true; result: unknown }
  | { ok: false; message: string; stack: string; input: boolean }
);

interface Queued {
  request: Request;
  priority: number;
  done: (r: Reply) => void;
  fail: (e: Error) => void;
}

/** Runs one call, catching what it throws. */
async function runCall(id: number, op: PoolOp, options: unknown): Promise<Reply> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const call = OPS[op] as (o: unknown) => Promise<unknown>;
  try {
    const result = await call({ ...(options as object), onWarning: (m: string) => warnings.push(m) });
    return { id, ok: true, result, warnings, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    const err = e as Error;
    return {
      id,
      ok: false,
      message: err.message,
      stack: err.stack ?? String(e),
      input: e instanceof InputError,
      warnings,
      seconds: (performance.now() - t0) / 1000,
    };
  }
}

/** A failed pool call: the call's own message, and its warnings. */
export class PoolCallError extends Error {
  constructor(
    message: string,
    readonly warnings: string[],
    readonly input: boolean,
  ) {
    super(message);
    this.name = 'PoolCallError';
  }
}

/** Runs trainer API calls on `size` threads; `run` queues one and resolves when it ends. */
export class ApiPool {
  private readonly idle: Worker[] = [];
  private readonly workers = new Set<Worker>();
  private readonly queue: Queued[] = [];
  private readonly pending = new Map<number, { job: Queued; worker: Worker }>();
  private readonly inline: boolean;
  private inlineRunning = 0;
  private nextId = 0;
  private broken: Error | null = null;

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be an integer >= 1, got ${size}`);
    this.inline = fileURLToPath(import.meta.url).endsWith('.ts');
    if (this.inline) return;
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL(import.meta.url));
      worker.on('message', (reply: Reply) => this.finish(worker, reply));
      worker.on('error', (err) => this.crash(worker, err));
      this.workers.add(worker);
      this.idle.push(worker);
    }
  }

  /**
   * Runs `op(options)` when a thread comes free: lower `priority` first, then in the order
   * queued. Rejects with a {@link PoolCallError} when the call throws.
   */
  run<K extends PoolOp>(op: K, options: PoolOptions<K>, priority = 0): Promise<PoolResult<K>> {
    return new Promise<Reply>((done, fail) => {
      if (this.broken) return fail(this.broken);
      const job: Queued = { request: { id: this.nextId++, op, options }, priority, done, fail };
      let at = this.queue.length;
      while (at > 0 && this.queue[at - 1].priority > priority) at--;
      this.queue.splice(at, 0, job);
      this.pump();
    }).then((r) => {
      if (!r.ok) throw new PoolCallError(r.input ? r.message : r.stack, r.warnings, r.input);
      return { result: r.result as PoolResult<K>['result'], warnings: r.warnings, seconds: r.seconds };
    });
  }

  /** Stops the threads; calls in flight are abandoned. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }

  private pump(): void {
    if (this.inline) {
      while (this.inlineRunning < this.size && this.queue.length > 0) {
        const job = this.queue.shift()!;
        this.inlineRunning++;
        void runCall(job.request.id, job.request.op, job.request.options).then((r) => {
          this.inlineRunning--;
          job.done(r);
          this.pump();
        });
      }
      return;
    }
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const job = this.queue.shift()!;
      this.pending.set(job.request.id, { job, worker });
      worker.postMessage(job.request);
    }
  }

  private finish(worker: Worker, reply: Reply): void {
    const p = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    this.idle.push(worker);
    p?.job.done(reply);
    this.pump();
  }

  private crash(worker: Worker, err: Error): void {
    this.workers.delete(worker);
    const at = this.idle.indexOf(worker);
    if (at >= 0) this.idle.splice(at, 1);
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      p.job.fail(err);
    }
    // With no thread left, nothing queued will ever run.
    if (this.workers.size === 0) {
      this.broken = new Error(`every trainer thread failed: ${err.message}`);
      for (const job of this.queue.splice(0)) job.fail(this.broken);
    }
  }
}

// The thread side: run each call and answer.
if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', async ({ id, op, options }: Request) => {
    port.postMessage(await runCall(id, op, options));
  });
}
