/**
 * Runs one trainer API call in a process of its own, for figures that are per process (peak
 * RSS): `runInProcess(step, options)` forks this module, hands it the step and its options
 * over IPC and resolves to the call's result with the child's peak resident set, and the peak
 * of the processes it started (the local workerd of a ProxyStore). `trainInProcess(options)`
 * is the training step alone (TrainReport.max_rss_mb is the child's peak).
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate, exportModel, publish, train, type TrainOptions, type TrainReport } from '../trainer/api.js';
import { createApiKey } from '../trainer/publish/api-keys.js';
import { ProxyStore } from '../trainer/publish/proxy-store.js';
import { setServing } from '../trainer/publish/slots.js';
import { RULE_NAMES, typeServesRule } from '../core/storage/slots.js';
import { generateScaleSeller } from './scale/generate.js';

type EvaluateOptions = Parameters<typeof evaluate>[0];
type ExportOptions = Parameters<typeof exportModel>[0];

/** Publishes an artifact to a local state folder (one ProxyStore), and optionally creates a publishable key there. */
interface PublishLocalOptions {
  /** The state folder (`wrangler dev --persist-to`). */
  state: string;
  seller: string;
  artifact: string;
  /** Create a publishable key for the seller (no origin list, no rate limit to speak of). */
  createKey?: boolean;
  /**
   * Make the new slot the only one that serves: every surface its kind serves gets it, the
   * others lose their rule (and borrow its version's fallback ranking, as a seller whose only
   * model is of that kind would be answered), so the routes timed next are this model's.
   */
  serveOnly?: boolean;
}

async function publishLocal(options: PublishLocalOptions): Promise<Awaited<ReturnType<typeof publish>> & { key: string | null }> {
  const store = await ProxyStore.open({ persistTo: options.state });
  try {
    const report = await publish({ store, seller: options.seller, artifact: options.artifact, serve: 'none' });
    if (options.serveOnly) {
      const kind = report.pointer.model;
      await setServing(
        store,
        options.seller,
        Object.fromEntries(RULE_NAMES.map((r) => [r, typeServesRule(kind, r) && r !== 'new-items' ? { slot: report.slot, fallback: null } : null])),
      );
    }
    const key = options.createKey ? (await createApiKey(store, { seller: options.seller, type: 'publishable', rps: 1_000_000, burst: 1_000_000 })).key : null;
    return { ...report, key };
  } finally {
    sampleChildren();
    await store.dispose();
  }
}

/** The highest peak resident set seen among this process's descendants, MB. */
let childrenPeak = 0;
function sampleChildren(): void {
  for (const pid of descendants(process.pid)) childrenPeak = Math.max(childrenPeak, peakRssMb(pid));
}

/** The calls a child can run, by name; options must survive IPC (no callbacks, the model kind by name). */
const STEPS = {
  train: (o: TrainOptions & { model: string }) => train(o),
  evaluate: (o: EvaluateOptions) => evaluate(o),
  export: (o: ExportOptions) => exportModel(o),
  publishLocal,
  /** The scale seller of scripts/scale/generate.ts (not an API call, but measured the same way). */
  generateScale: async (o: Parameters<typeof generateScaleSeller>[0]) => generateScaleSeller(o),
};
type Steps = typeof STEPS;
export type StepName = keyof Steps;

export interface StepResult<T> {
  result: T;
  /** Peak resident set of the child process, MB. */
  max_rss_mb: number;
  /** Highest peak resident set among the processes the child started (e.g. workerd), MB; 0 when none. */
  children_max_rss_mb: number;
}

type Reply = { ok: true; result: unknown; max_rss_mb: number; children_max_rss_mb: number } | { ok: false; message: string };

/** Pids of the descendants of `pid` (Linux /proc; empty elsewhere). */
export function descendants(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const parent = new Map<number, number>();
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      out.push(child);
      todo.push(child);
    }
  }
  return out;
}

/** Peak resident set (VmHWM) of a process, MB; 0 when unknown. */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** An error's message with its causes (`fetch failed` says little without its cause). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      parts.push(e.message + (typeof code === 'string' && !e.message.includes(code) ? ` (${code})` : ''));
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(': ');
}

/** Runs `STEPS[step](options)` in a child process; rejects with the child's error message when it fails. */
export function runInProcess<S extends StepName>(step: S, options: Parameters<Steps[S]>[0]): Promise<StepResult<Awaited<ReturnType<Steps[S]>>>> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let reply: Reply | null = null;
    child.on('message', (m: Reply) => (reply = m));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const r = reply as Reply | null;
      if (r?.ok) resolve({ result: r.result as Awaited<ReturnType<Steps[S]>>, max_rss_mb: r.max_rss_mb, children_max_rss_mb: r.children_max_rss_mb });
      else if (r) reject(new Error(r.message));
      else reject(new Error(`the ${step} process exited (${signal ?? `code ${code}`}) before answering`));
    });
    child.send({ step, options });
  });
}

/** Runs `train(options)` in a child process (options without callbacks; the model kind by name). */
export async function trainInProcess(options: TrainOptions & { model: string }): Promise<TrainReport> {
  return (await runInProcess('train', options)).result;
}

// The child side: run once, answer, exit. The peak of started processes is sampled while the
// step runs (they may be gone by its end, as a disposed ProxyStore's workerd is).
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('message', ({ step, options }: { step: StepName; options: never }) => {
    const timer = setInterval(sampleChildren, 500);
    const answer = (reply: Reply, code: number) => {
      clearInterval(timer);
      process.send!(reply, () => process.exit(code));
    };
    const run = STEPS[step] as (o: never) => Promise<unknown>;
    if (!run) return answer({ ok: false, message: `unknown step ${JSON.stringify(step)}` }, 1);
    // Progress of long work to stderr (callbacks do not cross IPC), at most every 5 s per task.
    const last = new Map<string, number>();
    const onProgress = (task: string, done: number, total: number, note?: string) => {
      const now = performance.now();
      if (done < total && now - (last.get(task) ?? 0) < 5000) return;
      last.set(task, now);
      process.stderr.write(`  ${task}: ${done}/${total}${note ? ` ${note}` : ''}\n`);
    };
    const withProgress = step === 'train' || step === 'evaluate' ? { onProgress, ...(options as object) } : options;
    run(withProgress as never).then(
      (result) => answer({ ok: true, result, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), children_max_rss_mb: childrenPeak }, 0),
      (err: unknown) => answer({ ok: false, message: describe(err) }, 1),
    );
  });
}
