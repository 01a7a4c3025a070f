import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { main } from '../../trainer/cli/main.js';

/**
 * `plusone` commands on a few worker threads: each thread loads the trainer once and runs
 * the commands it is given in turn, so that a machine's cores train several models at once
 * without a Node start per command.
 *
 * Run from the TypeScript sources (tests under vitest, tsx), a thread could not load this
 * file: the commands then run in this thread, at most `size` at once.
 */

/** What one command printed and returned. */
export interface CliResult {
  code: number;
  out: string[];
  err: string[];
  /** Time the command ran (not counting its wait in the queue). */
  seconds: number;
}

interface Request {
  id: number;
  argv: string[];
}

interface Reply extends CliResult {
  id: number;
}

interface Queued {
  request: Request;
  priority: number;
  done: (r: CliResult) => void;
  fail: (e: Error) => void;
}

/** Runs one command with its output captured. */
async function runCommand(argv: string[]): Promise<CliResult> {
  const t0 = performance.now();
  const out: string[] = [];
  const err: string[] = [];
  let code: number;
  try {
    code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  } catch (e) {
    code = 1;
    err.push((e as Error).stack ?? String(e));
  }
  return { code, out, err, seconds: (performance.now() - t0) / 1000 };
}

/** Runs `plusone` commands on `size` threads; `run` queues one and resolves when it ends. */
export class CliPool {
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
   * Runs `plusone <argv>` when a thread comes free: lower `priority` first, then in the
   * order queued.
   */
  run(argv: string[], priority = 0): Promise<CliResult> {
    return new Promise((done, fail) => {
      if (this.broken) return fail(this.broken);
      const job: Queued = { request: { id: this.nextId++, argv }, priority, done, fail };
      let at = this.queue.length;
      while (at > 0 && this.queue[at - 1].priority > priority) at--;
      this.queue.splice(at, 0, job);
      this.pump();
    });
  }

  /** Stops the threads; commands in flight are abandoned. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }

  private pump(): void {
    if (this.inline) {
      while (this.inlineRunning < this.size && this.queue.length > 0) {
        const job = this.queue.shift()!;
        this.inlineRunning++;
        void runCommand(job.request.argv).then((r) => {
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
    p?.job.done({ code: reply.code, out: reply.out, err: reply.err, seconds: reply.seconds });
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
      this.broken = new Error(`every plusone thread failed: ${err.message}`);
      for (const job of this.queue.splice(0)) job.fail(this.broken);
    }
  }
}

// The thread side: run each command and answer.
if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', async ({ id, argv }: Request) => {
    port.postMessage({ id, ...(await runCommand(argv)) } satisfies Reply);
  });
}
