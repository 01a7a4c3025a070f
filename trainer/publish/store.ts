import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where published models live: R2 objects (immutable artifacts) and KV values (pointers,
 * version lists, per-customer records). Publishing speaks only this interface, so the same
 * steps run against local wrangler state, a real account, or memory in tests.
 */
export interface ModelStore {
  readonly description: string;
  putObject(key: string, bytes: Uint8Array): Promise<void>;
  getObject(key: string): Promise<Uint8Array | null>;
  deleteObject(key: string): Promise<void>;
  putValue(key: string, value: string): Promise<void>;
  getValue(key: string): Promise<string | null>;
  /** Many values at once (KV bulk write). Values are text; binary records go base64-encoded. */
  putValues(entries: { key: string; value: string }[]): Promise<void>;
  /** Many values at once; null for a missing key. */
  getValues(keys: string[]): Promise<Map<string, string | null>>;
  deleteValues(keys: string[]): Promise<void>;
  /** The KV keys that start with `prefix`, sorted (KV's listing; eventually consistent on Cloudflare). */
  listKeys(prefix: string): Promise<string[]>;
}

/** A store in memory, for tests and dry runs. */
export class MemoryStore implements ModelStore {
  readonly description = 'memory';
  readonly objects = new Map<string, Uint8Array>();
  readonly values = new Map<string, string>();

  async putObject(key: string, bytes: Uint8Array): Promise<void> {
    this.objects.set(key, bytes.slice());
  }
  async getObject(key: string): Promise<Uint8Array | null> {
    return this.objects.get(key)?.slice() ?? null;
  }
  async deleteObject(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async putValue(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }
  async getValue(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async putValues(entries: { key: string; value: string }[]): Promise<void> {
    for (const e of entries) this.values.set(e.key, e.value);
  }
  async getValues(keys: string[]): Promise<Map<string, string | null>> {
    return new Map(keys.map((k) => [k, this.values.get(k) ?? null]));
  }
  async deleteValues(keys: string[]): Promise<void> {
    for (const k of keys) this.values.delete(k);
  }
  async listKeys(prefix: string): Promise<string[]> {
    return [...this.values.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/** Runs one wrangler command (arguments after `wrangler`); resolves with its standard output. */
export type WranglerRunner = (args: string[]) => Promise<string>;

/** KV's bulk write and delete take up to 10,000 keys per request. */
export const KV_BULK_MAX = 10_000;

interface WranglerStoreOptions {
  /** local: the state `wrangler dev` uses; remote: the account wrangler is logged in to. */
  mode: 'local' | 'remote';
  /** wrangler.toml to read the bindings from (default: the project's). */
  config?: string;
  /** Local state folder (wrangler's --persist-to); default wrangler's own (.wrangler/state). */
  persistTo?: string;
  kvBinding?: string;
  bucket?: string;
  /** Entries per KV bulk request (Cloudflare takes up to 10,000). */
  bulkSize?: number;
  /**
   * Bulk requests in flight at once (remote; default 4). Local runs one at a time: two
   * wrangler processes over one local state crash the runtime.
   */
  parallel?: number;
  /** Attempts per command when it fails for a transient reason (rate limit, 5xx, network); default 5. */
  attempts?: number;
  /** First wait before a retry, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** Runs the wrangler commands (tests pass a fake one). */
  runner?: WranglerRunner;
  /** Told about each retry. */
  log?: (message: string) => void;
}

/** Failures worth another attempt: rate limits, server errors, the network. */
const TRANSIENT =
  /\b(429|5\d\d)\b|too many requests|rate limit|service unavailable|bad gateway|gateway time-?out|internal server error|timed? ?out|ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENOTFOUND|socket hang up|fetch failed|network/i;

/** Whether a failed wrangler command may succeed when run again. */
export function isTransient(err: unknown): boolean {
  return TRANSIENT.test(err instanceof Error ? err.message : String(err));
}

/**
 * The store behind `plusone publish --remote` (and `--local` through wrangler, when asked):
 * wrangler's own `kv` and `r2` commands. KV bulk requests go in chunks of `bulkSize`
 * (at most Cloudflare's 10,000), `parallel` at once, each retried on transient failures.
 */
export class WranglerStore implements ModelStore {
  readonly description: string;
  private readonly bin: string;
  private readonly opts: Required<Omit<WranglerStoreOptions, 'persistTo' | 'config' | 'runner' | 'log'>> &
    Pick<WranglerStoreOptions, 'persistTo' | 'config' | 'log'>;
  private readonly runner: WranglerRunner;

  constructor(options: WranglerStoreOptions) {
    this.opts = { kvBinding: 'KV', bucket: 'plusone-models', bulkSize: KV_BULK_MAX, parallel: 4, attempts: 5, retryDelayMs: 1000, ...options };
    const { bulkSize, parallel, attempts } = this.opts;
    if (!Number.isInteger(bulkSize) || bulkSize < 1 || bulkSize > KV_BULK_MAX)
      throw new RangeError(`bulkSize must be an integer from 1 to ${KV_BULK_MAX} (Cloudflare's limit per bulk request), got ${bulkSize}`);
    if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`parallel must be an integer >= 1, got ${parallel}`);
    if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be an integer >= 1, got ${attempts}`);
    if (options.mode === 'local') this.opts.parallel = 1;
    this.bin = options.runner ? '' : createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
    this.runner = options.runner ?? ((args) => this.exec(args));
    this.description = `${options.mode} (KV binding ${this.opts.kvBinding}, R2 bucket ${this.opts.bucket}${options.persistTo ? `, state in ${options.persistTo}` : ''})`;
  }

  private flags(): string[] {
    const f = [this.opts.mode === 'local' ? '--local' : '--remote'];
    if (this.opts.persistTo && this.opts.mode === 'local') f.push('--persist-to', this.opts.persistTo);
    if (this.opts.config) f.push('--config', this.opts.config);
    return f;
  }

  // Local: one wrangler at a time (concurrent local runs over the same state crash the runtime).
  private queue: Promise<unknown> = Promise.resolve();

  /** One command, with retries on transient failures (local commands queue behind each other). */
  private run(args: string[]): Promise<string> {
    const full = [...args, ...this.flags()];
    const attempt = async (): Promise<string> => {
      for (let n = 1; ; n++) {
        try {
          return await this.runner(full);
        } catch (err) {
          if (n >= this.opts.attempts || !isTransient(err)) throw err;
          const wait = this.opts.retryDelayMs * 2 ** (n - 1);
          this.opts.log?.(`wrangler ${args.slice(0, 3).join(' ')}: ${(err as Error).message}; attempt ${n + 1} of ${this.opts.attempts} in ${wait} ms`);
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    };
    if (this.opts.mode === 'remote') return attempt();
    const next = this.queue.then(attempt);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private exec(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [this.bin, ...args],
        { maxBuffer: 1 << 30, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
        (err, stdout, stderr) => {
          if (err)
            reject(new Error(`wrangler ${args.slice(0, 3).join(' ')} failed: ${(stderr || stdout || err.message).trim().split('\n').slice(-5).join(' ')}`));
          else resolve(stdout);
        },
      );
    });
  }

  /** Runs `fn` over chunks of `bulkSize` items, `parallel` at once; the first failure stops new chunks. */
  private async chunked<T>(items: readonly T[], fn: (chunk: T[]) => Promise<void>): Promise<void> {
    const chunks: T[][] = [];
    for (let s = 0; s < items.length; s += this.opts.bulkSize) chunks.push(items.slice(s, s + this.opts.bulkSize));
    let next = 0;
    let failed = false;
    const lane = async () => {
      while (!failed && next < chunks.length) {
        const chunk = chunks[next++];
        try {
          await fn(chunk);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: Math.min(this.opts.parallel, chunks.length) }, lane));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  }

  private async withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'plusone-wrangler-'));
    try {
      return await fn(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async putObject(key: string, bytes: Uint8Array): Promise<void> {
    await this.withTemp(async (dir) => {
      const file = join(dir, 'object.bin');
      await writeFile(file, bytes);
      await this.run(['r2', 'object', 'put', `${this.opts.bucket}/${key}`, '--file', file]);
    });
  }

  async getObject(key: string): Promise<Uint8Array | null> {
    return this.withTemp(async (dir) => {
      const file = join(dir, 'object.bin');
      try {
        await this.run(['r2', 'object', 'get', `${this.opts.bucket}/${key}`, '--file', file]);
      } catch (err) {
        if (/not found|does not exist|NoSuchKey/i.test((err as Error).message)) return null;
        throw err;
      }
      return new Uint8Array(await readFile(file));
    });
  }

  async deleteObject(key: string): Promise<void> {
    await this.run(['r2', 'object', 'delete', `${this.opts.bucket}/${key}`]);
  }

  async putValue(key: string, value: string): Promise<void> {
    await this.putValues([{ key, value }]);
  }

  async getValue(key: string): Promise<string | null> {
    return (await this.getValues([key])).get(key) ?? null;
  }

  async putValues(entries: { key: string; value: string }[]): Promise<void> {
    await this.chunked(entries, async (chunk) => {
      await this.withTemp(async (dir) => {
        const file = join(dir, 'bulk.json');
        await writeFile(file, JSON.stringify(chunk));
        await this.run(['kv', 'bulk', 'put', file, '--binding', this.opts.kvBinding]);
      });
    });
  }

  async getValues(keys: string[]): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    await this.chunked([...new Set(keys)], async (chunk) => {
      const text = await this.withTemp(async (dir) => {
        const file = join(dir, 'keys.json');
        await writeFile(file, JSON.stringify(chunk));
        return this.run(['kv', 'bulk', 'get', file, '--binding', this.opts.kvBinding]);
      });
      // wrangler prints the JSON object, then a "Success!" line.
      const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
      let parsed: Record<string, { value: string | null } | undefined>;
      try {
        parsed = JSON.parse(json) as Record<string, { value: string | null } | undefined>;
      } catch {
        throw new Error(`wrangler kv bulk get printed no JSON object (got ${JSON.stringify(text.slice(0, 200))}); is the wrangler version supported?`);
      }
      for (const k of chunk) found.set(k, parsed[k]?.value ?? null);
    });
    return new Map(keys.map((k) => [k, found.get(k) ?? null]));
  }

  async listKeys(prefix: string): Promise<string[]> {
    const text = await this.run(['kv', 'key', 'list', '--prefix', prefix, '--binding', this.opts.kvBinding]);
    // wrangler prints a JSON list of {"name", …}, every page of the listing.
    const json = text.slice(text.indexOf('['), text.lastIndexOf(']') + 1);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new Error(`wrangler kv key list printed no JSON list (got ${JSON.stringify(text.slice(0, 200))}); is the wrangler version supported?`);
    }
    if (!Array.isArray(parsed)) throw new Error('wrangler kv key list printed no JSON list');
    return parsed
      .map((e) => (e as { name?: unknown }).name)
      .filter((n): n is string => typeof n === 'string' && n.startsWith(prefix))
      .sort();
  }

  async deleteValues(keys: string[]): Promise<void> {
    await this.chunked(keys, async (chunk) => {
      await this.withTemp(async (dir) => {
        const file = join(dir, 'keys.json');
        await writeFile(file, JSON.stringify(chunk));
        await this.run(['kv', 'bulk', 'delete', file, '--binding', this.opts.kvBinding, '--force']);
      });
    });
  }
}
