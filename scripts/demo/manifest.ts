import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the manifest remembers of a finished step. */
interface StepRecord {
  /** The settings and input identities the step ran with. */
  fingerprint: string;
  finished: string;
  seconds: number;
  /** What the step produced that later runs show without redoing it (metrics, versions). */
  result?: unknown;
}

/**
 * `.plusone/manifest.json`: the steps `npm start` finished, so that a second run redoes only
 * what changed. A step is fresh when its outputs exist, none is older than any input, and it
 * last ran with the same fingerprint (settings, seeds, artifact hashes).
 */
export class Manifest {
  private constructor(
    private readonly path: string,
    private readonly steps: Record<string, StepRecord>,
  ) {}

  /** Reads the manifest at `path`; a missing or unreadable one is empty (everything reruns). */
  static async load(path: string): Promise<Manifest> {
    try {
      const raw = JSON.parse(await readFile(path, 'utf8')) as { version?: number; steps?: Record<string, StepRecord> };
      if (raw.version === 1 && raw.steps && typeof raw.steps === 'object') return new Manifest(path, raw.steps);
    } catch {
      // Missing or damaged: start over.
    }
    return new Manifest(path, {});
  }

  get(id: string): StepRecord | undefined {
    return this.steps[id];
  }

  /** Whether step `id` can be skipped. */
  fresh(id: string, fingerprint: string, inputs: string[] = [], outputs: string[] = []): boolean {
    const record = this.steps[id];
    if (record === undefined || record.fingerprint !== fingerprint) return false;
    let oldestOutput = Infinity;
    for (const f of outputs) {
      if (!existsSync(f)) return false;
      oldestOutput = Math.min(oldestOutput, statSync(f).mtimeMs);
    }
    for (const f of inputs) {
      if (!existsSync(f) || statSync(f).mtimeMs > oldestOutput) return false;
    }
    return true;
  }

  /** Records a finished step and writes the manifest (atomically: a crash leaves the old one). */
  async record(id: string, fingerprint: string, seconds: number, result?: unknown): Promise<void> {
    this.steps[id] = { fingerprint, finished: new Date().toISOString(), seconds: Math.round(seconds * 100) / 100, ...(result === undefined ? {} : { result }) };
    await this.save();
  }

  /** Forgets a step (its outputs are gone or were replaced by hand). */
  async forget(id: string): Promise<void> {
    delete this.steps[id];
    await this.save();
  }

  private saving: Promise<void> = Promise.resolve();

  private save(): Promise<void> {
    // Steps finish concurrently: write one after another, each with everything so far.
    this.saving = this.saving.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ version: 1, steps: this.steps }, null, 2) + '\n');
      await rename(tmp, this.path);
    });
    return this.saving;
  }
}
