import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModelStore } from './store.js';

/** The part of Miniflare (wrangler's copy, loaded at run time) this store uses. */
interface Runtime {
  readonly ready: Promise<unknown>;
  dispatchFetch(url: string, init: { method: string; body?: string | Uint8Array }): Promise<unknown>;
  dispose(): Promise<void>;
}

type RuntimeClass = new (options: Record<string, unknown>) => Runtime;

interface ProxyStoreOptions {
  /**
   * Local state folder, as given to `wrangler dev --persist-to DIR`. The data lives in
   * `DIR/v3`, where `wrangler dev --persist-to DIR` and `wrangler kv|r2 … --local
   * --persist-to DIR` find it.
   */
  persistTo: string;
  /** wrangler.toml with the bindings (default: the one wrangler finds from the working folder). */
  config?: string;
  kvBinding?: string;
  r2Binding?: string;
  /** KV entries (or keys) sent to the runtime per request. */
  batchSize?: number;
  /**
   * A folder in memory (such as /dev/shm, see {@link ramFolder}) to build a new state in,
   * copied to `persistTo` by `dispose()`. Used only when `persistTo` holds no state yet.
   * Local KV keeps one file and one SQLite commit per value, and on a disk each waits for
   * the disk: in memory a first publish of many customer records runs several times faster.
   */
  stageIn?: string | null;
}

/**
 * A folder in memory with room for a local state (Linux: /dev/shm with `minBytes` free), or
 * null.
 */
export function ramFolder(minBytes = 2 ** 31): string | null {
  const dir = '/dev/shm';
  if (process.platform !== 'linux' || !existsSync(dir)) return null;
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize >= minBytes ? dir : null;
  } catch {
    return null;
  }
}

/**
 * The runtime side: one request carries a batch of KV writes, reads or deletes, or one R2
 * operation. Plain JavaScript, compiled by workerd.
 */
const BATCH_WORKER = `
const BULK_GET = 100;
const LANES = 16;
async function inLanes(items, fn) {
  let next = 0;
  const lane = async () => { while (next < items.length) await fn(items[next++]); };
  await Promise.all(Array.from({ length: Math.min(LANES, items.length) }, lane));
}
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/kv/put') {
      await inLanes(await request.json(), (e) => env.KV.put(e.key, e.value));
      return new Response(null, { status: 204 });
    }
    if (path === '/kv/get') {
      const keys = await request.json();
      const chunks = [];
      for (let s = 0; s < keys.length; s += BULK_GET) chunks.push(keys.slice(s, s + BULK_GET));
      const out = {};
      await inLanes(chunks, async (chunk) => {
        const got = await env.KV.get(chunk);
        for (const k of chunk) out[k] = got.get(k) ?? null;
      });
      return Response.json(out);
    }
    if (path === '/kv/list') {
      const { prefix } = await request.json();
      const names = [];
      let cursor;
      do {
        const page = await env.KV.list({ prefix, cursor });
        for (const k of page.keys) names.push(k.name);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return Response.json(names);
    }
    if (path === '/kv/delete') {
      await inLanes(await request.json(), (k) => env.KV.delete(k));
      return new Response(null, { status: 204 });
    }
    if (path.startsWith('/r2/')) {
      const key = decodeURIComponent(path.slice(4));
      if (request.method === 'PUT') {
        await env.MODELS.put(key, await request.arrayBuffer());
        return new Response(null, { status: 204 });
      }
      if (request.method === 'GET') {
        const object = await env.MODELS.get(key);
        return object === null ? new Response(null, { status: 404 }) : new Response(object.body);
      }
      if (request.method === 'DELETE') {
        await env.MODELS.delete(key);
        return new Response(null, { status: 204 });
      }
    }
    return new Response('unknown operation ' + request.method + ' ' + path, { status: 400 });
  },
};
`;

/** What wrangler derives from its configuration for one worker (the parts used here). */
interface WranglerWorkerOptions {
  compatibilityDate?: string;
  kvNamespaces?: Record<string, unknown>;
  r2Buckets?: Record<string, unknown>;
}

/**
 * A {@link ModelStore} over the local state of `wrangler dev`, for publishing many models at
 * once: one workerd runtime (Miniflare, which wrangler itself runs) serves every read and
 * write, where {@link WranglerStore} starts a wrangler process per operation. The KV
 * namespace and R2 bucket come from the wrangler configuration through wrangler's own
 * reader, and the state lives in `persistTo/v3` as `wrangler dev --persist-to` keeps it, so
 * the edge sees exactly what this store wrote.
 *
 * A small worker takes batches of KV operations: wrangler's platform proxy
 * (`getPlatformProxy`) makes one HTTP round trip from Node per KV write, which spends a
 * second core on the Node side for the same throughput.
 *
 * Open it with {@link ProxyStore.open} and `dispose()` it before anything else (a `wrangler
 * dev`, a `wrangler d1 migrations apply`) opens the same state: two runtimes on one folder
 * corrupt it.
 */
export class ProxyStore implements ModelStore {
  readonly description: string;
  private disposed = false;

  private constructor(
    private readonly mf: Runtime,
    private readonly batchSize: number,
    private readonly persistTo: string,
    /** The folder the new state is built in, when staged. */
    private readonly stage: string | null,
  ) {
    this.description = `local state in ${persistTo}${stage ? ` (built in ${stage})` : ''}`;
    if (stage) process.once('exit', this.dropStage);
  }

  /** Starts the runtime over `options.persistTo` with the KV and R2 bindings of the configuration. */
  static async open(options: ProxyStoreOptions): Promise<ProxyStore> {
    const o = { kvBinding: 'KV', r2Binding: 'MODELS', batchSize: 1000, ...options };
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`batchSize must be an integer >= 1, got ${o.batchSize}`);
    // Loaded here: wrangler is large, and only local publishing needs it. Miniflare is
    // wrangler's own copy, so that both agree on the state's layout.
    const wrangler = await import('wrangler');
    const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(resolve(o.config ?? 'wrangler.toml')) as { workerOptions: WranglerWorkerOptions };
    const kv = workerOptions.kvNamespaces?.[o.kvBinding];
    const r2 = workerOptions.r2Buckets?.[o.r2Binding];
    if (kv === undefined || r2 === undefined) {
      const missing = [kv === undefined && `KV namespace "${o.kvBinding}"`, r2 === undefined && `R2 bucket "${o.r2Binding}"`].filter(Boolean).join(' and ');
      throw new Error(`${o.config ?? 'wrangler.toml'} has no binding for the ${missing}; add it to the configuration`);
    }
    const target = resolve(o.persistTo, 'v3');
    const stage = o.stageIn && !existsSync(target) ? mkdtempSync(join(o.stageIn, 'plusone-state-')) : null;
    const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
    const { Miniflare } = (await import(pathToFileURL(fromWrangler.resolve('miniflare')).href)) as { Miniflare: RuntimeClass };
    let mf: Runtime | null = null;
    try {
      mf = new Miniflare({
        workers: [
          {
            name: 'plusone-proxy-store',
            modules: true,
            script: BATCH_WORKER,
            compatibilityDate: workerOptions.compatibilityDate ?? '2025-06-01',
            kvNamespaces: { KV: kv },
            r2Buckets: { MODELS: r2 },
          },
        ],
        defaultPersistRoot: stage ? join(stage, 'v3') : target,
      });
      await mf.ready;
    } catch (err) {
      await mf?.dispose().catch(() => undefined);
      if (stage) rmSync(stage, { recursive: true, force: true });
      throw err;
    }
    return new ProxyStore(mf, o.batchSize, o.persistTo, stage);
  }

  // A staged state lives in memory: an exit before dispose() (Ctrl-C) must not leave it there.
  private readonly dropStage = () => {
    if (this.stage) rmSync(this.stage, { recursive: true, force: true });
  };

  /**
   * Stops the runtime (and moves a staged state to `persistTo`); the store is unusable
   * afterwards. Safe to call twice: both calls resolve when the state is in place.
   */
  dispose(): Promise<void> {
    // A second call (Ctrl-C while a command closes the store) waits for the first.
    this.disposing ??= this.close();
    return this.disposing;
  }

  private disposing: Promise<void> | null = null;

  private async close(): Promise<void> {
    this.disposed = true;
    await this.mf.dispose();
    if (this.stage === null) return;
    process.removeListener('exit', this.dropStage);
    const target = resolve(this.persistTo, 'v3');
    if (existsSync(target))
      throw new Error(`${target} appeared while this store built its state in ${this.stage}; not overwriting it (the new state is left in ${this.stage})`);
    // Copied beside, then renamed: the state appears whole or not at all.
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    if (existsSync(join(this.stage, 'v3'))) {
      mkdirSync(this.persistTo, { recursive: true });
      cpSync(join(this.stage, 'v3'), partial, { recursive: true });
      renameSync(partial, target);
    }
    rmSync(this.stage, { recursive: true, force: true });
  }

  private async call(method: string, path: string, body?: string | Uint8Array): Promise<Response> {
    if (this.disposed) throw new Error('this ProxyStore was disposed; open a new one');
    const res = (await this.mf.dispatchFetch(`http://store${path}`, { method, ...(body === undefined ? {} : { body }) })) as unknown as Response;
    if (!res.ok && res.status !== 404) throw new Error(`local state: ${method} ${path} failed (${res.status}): ${(await res.text()).slice(0, 300)}`);
    return res;
  }

  /** Sends `items` in batches, two requests in flight (the runtime works while Node encodes). */
  private async batches<T>(items: readonly T[], fn: (batch: T[]) => Promise<void>): Promise<void> {
    const list: T[][] = [];
    for (let s = 0; s < items.length; s += this.batchSize) list.push(items.slice(s, s + this.batchSize));
    let next = 0;
    const lane = async () => {
      while (next < list.length) await fn(list[next++]);
    };
    await Promise.all([lane(), lane()]);
  }

  async putObject(key: string, bytes: Uint8Array): Promise<void> {
    await (await this.call('PUT', `/r2/${encodeURIComponent(key)}`, bytes)).arrayBuffer();
  }

  async getObject(key: string): Promise<Uint8Array | null> {
    const res = await this.call('GET', `/r2/${encodeURIComponent(key)}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return res.status === 404 ? null : bytes;
  }

  async deleteObject(key: string): Promise<void> {
    await (await this.call('DELETE', `/r2/${encodeURIComponent(key)}`)).arrayBuffer();
  }

  async putValue(key: string, value: string): Promise<void> {
    await this.putValues([{ key, value }]);
  }

  async getValue(key: string): Promise<string | null> {
    return (await this.getValues([key])).get(key) ?? null;
  }

  async putValues(entries: { key: string; value: string }[]): Promise<void> {
    await this.batches(entries, async (batch) => {
      await (await this.call('POST', '/kv/put', JSON.stringify(batch))).arrayBuffer();
    });
  }

  async getValues(keys: string[]): Promise<Map<string, string | null>> {
    const found = new Map<string, string | null>();
    await this.batches([...new Set(keys)], async (batch) => {
      const got = (await (await this.call('POST', '/kv/get', JSON.stringify(batch))).json()) as Record<string, string | null>;
      for (const k of batch) found.set(k, got[k] ?? null);
    });
    return new Map(keys.map((k) => [k, found.get(k) ?? null]));
  }

  async listKeys(prefix: string): Promise<string[]> {
    const names = (await (await this.call('POST', '/kv/list', JSON.stringify({ prefix }))).json()) as string[];
    return names.sort();
  }

  async deleteValues(keys: string[]): Promise<void> {
    await this.batches(keys, async (batch) => {
      await (await this.call('POST', '/kv/delete', JSON.stringify(batch))).arrayBuffer();
    });
  }
}
