/**
 * Trains one model in a process of its own, for figures that are per process (peak RSS):
 * `trainInProcess(options)` forks this module, hands it the options over IPC and resolves
 * to the trainer's report (TrainReport.max_rss_mb is the child's peak).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { train, type TrainOptions, type TrainReport } from '../trainer/api.js';

type Reply = { ok: true; report: TrainReport } | { ok: false; message: string };

/** Runs `train(options)` in a child process (options without callbacks; the model kind by name). */
export function trainInProcess(options: TrainOptions & { model: string }): Promise<TrainReport> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let reply: Reply | null = null;
    child.on('message', (m: Reply) => (reply = m));
    child.on('error', reject);
    child.on('exit', (code) => {
      const r = reply as Reply | null;
      if (r?.ok) resolve(r.report);
      else reject(new Error(r ? `training failed in the child process: ${r.message}` : `the training process exited with code ${code} before answering`));
    });
    child.send(options);
  });
}

// The child side: train once, answer, exit.
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('message', (options: TrainOptions) => {
    train(options).then(
      (report) => process.send!({ ok: true, report } satisfies Reply, () => process.exit(0)),
      (err: unknown) => process.send!({ ok: false, message: err instanceof Error ? err.message : String(err) } satisfies Reply, () => process.exit(1)),
    );
  });
}
