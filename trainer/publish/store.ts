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
}

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
}

/**
 * The store behind `plusone publish --local | --remote`: wrangler's own `kv` and `r2`
 * commands, so local and remote publishing are the same steps with one flag changed.
 */
export class WranglerStore implements ModelStore {
  readonly description: string;
  private readonly bin: string;
  private readonly opts: Required<Omit<WranglerStoreOptions, 'persistTo' | 'config'>> & Pick<WranglerStoreOptions, 'persistTo' | 'config'>;

  constructor(options: WranglerStoreOptions) {
    this.opts = { kvBinding: 'KV', bucket: 'plusone-models', bulkSize: 10_000, ...options };
    this.bin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
    this.description = `${options.mode} (KV binding ${this.opts.kvBinding}, R2 bucket ${this.opts.bucket}${options.persistTo ? `, state in ${options.persistTo}` : ''})`;
  }

  private flags(): string[] {
    const f = [this.opts.mode === 'local' ? '--local' : '--remote'];
    if (this.opts.persistTo && this.opts.mode === 'local') f.push('--persist-to', this.opts.persistTo);
    if (this.opts.config) f.push('--config', this.opts.config);
    return f;
  }

  // One wrangler at a time: concurrent local runs over the same state crash the runtime.
  private queue: Promise<unknown> = Promise.resolve();

  private run(args: string[]): Promise<string> {
    const next = this.queue.then(() => this.exec(args));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private exec(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [this.bin, ...args, ...this.flags()],
        { maxBuffer: 1 << 30, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
        (err, stdout, stderr) => {
          if (err)
            reject(new Error(`wrangler ${args.slice(0, 3).join(' ')} failed: ${(stderr || stdout || err.message).trim().split('\n').slice(-5).join(' ')}`));
          else resolve(stdout);
        },
      );
    });
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
    for (let s = 0; s < entries.length; s += this.opts.bulkSize) {
      const chunk = entries.slice(s, s + this.opts.bulkSize);
      await this.withTemp(async (dir) => {
        const file = join(dir, 'bulk.json');
        await writeFile(file, JSON.stringify(chunk));
        await this.run(['kv', 'bulk', 'put', file, '--binding', this.opts.kvBinding]);
      });
    }
  }

  async getValues(keys: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (let s = 0; s < keys.length; s += this.opts.bulkSize) {
      const chunk = keys.slice(s, s + this.opts.bulkSize);
      const text = await this.withTemp(async (dir) => {
        const file = join(dir, 'keys.json');
        await writeFile(file, JSON.stringify(chunk));
        return this.run(['kv', 'bulk', 'get', file, '--binding', this.opts.kvBinding]);
      });
      // wrangler prints the JSON object, then a "Success!" line.
      const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
      const parsed = JSON.parse(json) as Record<string, { value: string | null }>;
      for (const k of chunk) out.set(k, parsed[k]?.value ?? null);
    }
    return out;
  }

  async deleteValues(keys: string[]): Promise<void> {
    for (let s = 0; s < keys.length; s += this.opts.bulkSize) {
      const chunk = keys.slice(s, s + this.opts.bulkSize);
      await this.withTemp(async (dir) => {
        const file = join(dir, 'keys.json');
        await writeFile(file, JSON.stringify(chunk));
        await this.run(['kv', 'bulk', 'delete', file, '--binding', this.opts.kvBinding, '--force']);
      });
    }
  }
}
