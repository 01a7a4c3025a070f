import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { encodeArtifact } from '../artifact/encode.js';
import { keys, publish } from './publish.js';
import { slotPointer } from './slots.js';
import { isTransient, MemoryStore, WranglerStore, type WranglerRunner } from './store.js';

/**
 * A fake wrangler over a MemoryStore: `kv bulk put|get|delete FILE` and `r2 object
 * put|get|delete BUCKET/KEY --file F`, as the real commands take them. `fail(call)` may throw
 * before a command runs, to inject failures.
 */
function fakeWrangler(memory: MemoryStore, fail: (call: { n: number; args: string[] }) => void = () => {}) {
  const calls: string[][] = [];
  const runner: WranglerRunner = async (args) => {
    calls.push(args);
    fail({ n: calls.length, args });
    const [group, what, op] = args;
    if (group === 'kv' && what === 'bulk') {
      const body = JSON.parse(await readFile(args[3], 'utf8'));
      if (op === 'put') await memory.putValues(body as { key: string; value: string }[]);
      else if (op === 'delete') await memory.deleteValues(body as string[]);
      else if (op === 'get') {
        const got = await memory.getValues(body as string[]);
        return `${JSON.stringify(Object.fromEntries([...got].map(([k, v]) => [k, { value: v }])))}\nSuccess!\n`;
      }
      return 'Success!\n';
    }
    if (group === 'kv' && what === 'key' && op === 'list') {
      const prefix = args[args.indexOf('--prefix') + 1];
      return JSON.stringify(
        (await memory.listKeys(prefix)).map((name) => ({ name })),
        null,
        2,
      );
    }
    if (group === 'r2' && what === 'object') {
      const key = args[3].slice(args[3].indexOf('/') + 1);
      const file = args[args.indexOf('--file') + 1];
      if (op === 'put') await memory.putObject(key, new Uint8Array(await readFile(file)));
      else if (op === 'delete') await memory.deleteObject(key);
      else if (op === 'get') {
        const bytes = await memory.getObject(key);
        if (!bytes) throw new Error('wrangler r2 object get failed: The specified key does not exist.');
        await writeFile(file, bytes);
      }
      return '';
    }
    throw new Error(`the fake wrangler does not know ${args.join(' ')}`);
  };
  return { runner, calls };
}

const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `sellers/s1/models/v1/users/c${i}`, value: `r${i}` }));

describe('WranglerStore bulk requests', () => {
  it("splits KV bulk writes at Cloudflare's 10,000 keys and passes the mode's flags", async () => {
    const memory = new MemoryStore();
    const { runner, calls } = fakeWrangler(memory);
    const sizes: number[] = [];
    const counting: WranglerRunner = async (args) => {
      if (args[0] === 'kv' && args[2] === 'put') sizes.push((JSON.parse(await readFile(args[3], 'utf8')) as unknown[]).length);
      return runner(args);
    };
    const store = new WranglerStore({ mode: 'remote', config: 'w.toml', runner: counting });
    await store.putValues(entries(25_000));
    expect(sizes.sort((x, y) => y - x)).toEqual([10_000, 10_000, 5_000]);
    expect(calls[0].slice(-3)).toEqual(['--remote', '--config', 'w.toml']);
    expect(memory.values.size).toBe(25_000);
    const got = await store.getValues(['sellers/s1/models/v1/users/c7', 'nope']);
    expect([...got]).toEqual([
      ['sellers/s1/models/v1/users/c7', 'r7'],
      ['nope', null],
    ]);
    expect(() => new WranglerStore({ mode: 'remote', bulkSize: 10_001, runner })).toThrow(/from 1 to 10000/);
  });

  it('keeps at most `parallel` bulk requests in flight remotely, and one locally', async () => {
    for (const [mode, parallel, expected] of [
      ['remote', 4, 4],
      ['local', 4, 1],
    ] as const) {
      let inFlight = 0;
      let most = 0;
      let started = 0;
      const chunks = 9;
      const waiting: (() => void)[] = [];
      const runner: WranglerRunner = async () => {
        started++;
        inFlight++;
        most = Math.max(most, inFlight);
        // Held until `expected` requests wait (or the last ones): the bound is what stops more.
        await new Promise<void>((release) => {
          waiting.push(release);
          if (waiting.length === expected || started === chunks) for (const r of waiting.splice(0)) r();
        });
        inFlight--;
        return '';
      };
      const store = new WranglerStore({ mode, bulkSize: 100, parallel, runner });
      await store.putValues(entries(100 * chunks));
      expect({ mode, started, most }).toEqual({ mode, started: chunks, most: expected });
    }
  });

  it('retries transient failures with backoff, not the others', async () => {
    const memory = new MemoryStore();
    const log: string[] = [];
    let flaky = 2;
    const { runner, calls } = fakeWrangler(memory, () => {
      if (flaky-- > 0) throw new Error('wrangler kv bulk put failed: 503 Service Unavailable');
    });
    const store = new WranglerStore({ mode: 'remote', runner, retryDelayMs: 0, log: (m) => log.push(m) });
    await store.putValues(entries(3));
    expect(calls).toHaveLength(3);
    expect(log).toHaveLength(2);
    expect(log[0]).toMatch(/503 Service Unavailable; attempt 2 of 5/);
    expect(memory.values.size).toBe(3);

    const denied = fakeWrangler(new MemoryStore(), () => {
      throw new Error('wrangler kv bulk put failed: Authentication error [code: 10000]');
    });
    await expect(new WranglerStore({ mode: 'remote', runner: denied.runner, retryDelayMs: 0 }).putValues(entries(3))).rejects.toThrow(/Authentication/);
    expect(denied.calls).toHaveLength(1);

    const limited = fakeWrangler(new MemoryStore(), () => {
      throw new Error('wrangler kv bulk put failed: 429 Too Many Requests');
    });
    await expect(new WranglerStore({ mode: 'remote', runner: limited.runner, retryDelayMs: 0, attempts: 3 }).putValues(entries(3))).rejects.toThrow(/429/);
    expect(limited.calls).toHaveLength(3);
    expect([isTransient(new Error('fetch failed')), isTransient(new Error('ECONNRESET')), isTransient(new Error('no such namespace'))]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('a failed chunk stops the chunks not yet started', async () => {
    const { runner, calls } = fakeWrangler(new MemoryStore(), ({ n }) => {
      if (n === 2) throw new Error('wrangler kv bulk put failed: value too large');
    });
    const store = new WranglerStore({ mode: 'remote', bulkSize: 10, parallel: 1, runner });
    await expect(store.putValues(entries(50))).rejects.toThrow(/value too large/);
    expect(calls).toHaveLength(2);
  });

  it('publishes shards as R2 objects through wrangler commands and resumes after a failure without rewriting verified shards', async () => {
    const memory = new MemoryStore();
    let failAt = 4;
    const isShardPut = (args: string[]) => args[0] === 'r2' && args[2] === 'put' && args[3].includes('/customers/');
    const { runner, calls } = fakeWrangler(memory, ({ args }) => {
      if (isShardPut(args) && --failAt === 0) throw new Error('wrangler r2 object put failed: Authentication error');
    });
    const store = new WranglerStore({ mode: 'remote', bulkSize: 10, runner, retryDelayMs: 0 });
    const artifact = encodeArtifact(
      { modelType: 'popularity', itemIds: ['a', 'b'], popularity: { order: [1, 0], scores: [2, 1] }, meta: {} },
      { quantize: 'f32' },
    );
    const customers = Array.from({ length: 45 }, (_, i) => ({ customer: `c${i}`, record: Uint8Array.of(i, 1, 2) }));
    const input = { seller: 's1', artifact, customers, shards: 8, parallel: 2 };
    await expect(publish(store, input)).rejects.toThrow(/Authentication/);
    expect(await slotPointer(memory, 's1', 'popularity')).toBeNull();
    const [marker] = await memory.listKeys(keys.pendingPrefix('s1'));
    const verified = JSON.parse(memory.values.get(marker)!).verified as number;
    expect(verified).toBe(3);
    const shardPuts = () => calls.filter(isShardPut).map((c) => c[3]);
    const before = shardPuts().length;
    const r = await publish(store, input);
    expect((await slotPointer(memory, 's1', 'popularity'))?.version).toBe(r.pointer.version);
    expect(r.pointer.customerShards).toEqual({ count: 8, format: 1 });
    // Only the shards after the verified ones, each once; no per-customer KV key.
    const again = shardPuts().slice(before);
    expect(again.sort()).toEqual(Array.from({ length: 8 - verified }, (_, j) => `plusone-models/${keys.customerShard('s1', r.pointer.version, verified + j)}`));
    expect([...memory.values.keys()].some((k) => k.includes('/users/'))).toBe(false);
  });
});
