import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slotStorage } from '../../core/storage/slots.js';
import { MODEL_KINDS } from '../../trainer/models/registry.js';
import { MemoryStore } from '../../trainer/publish/store.js';
import { generateMarketplace } from '../demo/generate.js';
import { ordersFromFile, type OrderLine } from './data.js';
import { resolveSellers, retrainSellers, SellersError, summaryTable, type D1Reads, type SellersOptions } from './sellers.js';

/**
 * Many sellers in one run, in process: a memory store and a D1 of our own, so that nothing
 * but the run itself is exercised (test/retrain-sellers.test.ts runs the command line on
 * local state).
 */

let dir = '';
let sellers: string[] = [];
const KNN = MODEL_KINDS.filter((k) => k.name === 'item-knn' || k.name === 'user-knn');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-sellers-'));
  const m = await generateMarketplace({ out: join(dir, 'orders'), seed: 5, customers: 300, orders: 1500, months: 3 });
  sellers = m.sellers.map((s) => s.id).sort();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function options(over: Partial<SellersOptions>): SellersOptions {
  return {
    sellers: 'all',
    withEvents: false,
    models: KNN,
    holdoutDays: 14,
    metric: 'basket_hr@10',
    tolerance: 0.02,
    where: { mode: 'local' },
    work: join(dir, `work-${Math.random().toString(36).slice(2)}`),
    dryRun: false,
    concurrency: 2,
    cores: 2,
    openStore: async () => new MemoryStore(),
    d1: { sellers: async () => [], events: async () => [], deleted: async (s) => new Map(s.map((x) => [x, new Set<string>()])) },
    ...over,
  };
}

describe('retrainSellers', () => {
  it('retrains every seller of an orders folder on one store; a malformed orders file fails that seller only', async () => {
    const bad = sellers[1];
    const original = await readFile(join(dir, 'orders', bad, 'orders.csv'), 'utf8');
    await writeFile(join(dir, 'orders', bad, 'orders.csv'), 'this is not,an orders file\n1,2\n');
    let opened = 0;
    const store = new MemoryStore();
    const run = await retrainSellers(
      options({
        ordersDir: join(dir, 'orders'),
        openStore: async () => {
          opened++;
          return store;
        },
      }),
    );
    expect(opened).toBe(1);
    expect(run.sellers).toBe(sellers.length);
    expect(run.failed_sellers).toEqual([bad]);
    const failed = run.results.find((r) => r.seller === bad)!;
    expect(failed.ok).toBe(false);
    expect(failed.error).toContain(join(dir, 'orders', bad, 'orders.csv'));
    for (const r of run.results.filter((x) => x.ok)) {
      expect(r.decisions.map((d) => [d.slot, d.model])).toEqual([
        ['item-knn', 'item-knn'],
        ['user-knn', 'user-knn'],
      ]);
      // EASE serves the cart and the item pages; user-user may win for-you, never the others.
      const knn = r.decisions.find((d) => d.model === 'item-knn')!;
      expect(knn.serves).toEqual(expect.arrayContaining(['basket', 'similar']));
      expect(knn.version).toMatch(/^\d{8}T\d{6}Z-item-knn-[0-9a-f]{8}$/);
      expect(r.decisions.find((d) => d.model === 'user-knn')!.serves).not.toContain('basket');
      // What the store serves is what the run says it published.
      const serving = JSON.parse(store.values.get(slotStorage.serving(r.seller))!);
      expect(serving.surfaces.basket).toEqual({ slot: 'item-knn', fallback: null });
      expect(JSON.parse(store.values.get(slotStorage.pointer(r.seller, 'item-knn'))!).version).toBe(knn.version);
    }
    expect(store.values.has(slotStorage.serving(bad))).toBe(false);
    expect(run.published).toBe(2 * (sellers.length - 1));
    const table = summaryTable(run);
    expect(table).toContain(`| ${bad} | FAILED |`);
    expect(table).toContain(`${sellers.length - 1} of ${sellers.length} sellers retrained, 1 failed (${bad})`);
    // A seller named but without a folder fails with where its orders were looked for.
    const missing = await retrainSellers(options({ sellers: [sellers[0], 'no-such-shop'], ordersDir: join(dir, 'orders') }));
    expect(missing.failed_sellers).toEqual(['no-such-shop']);
    expect(missing.results[1].error).toMatch(/no orders file at .*no-such-shop.orders\.csv/);
    await writeFile(join(dir, 'orders', bad, 'orders.csv'), original);
  }, 60_000);

  it('without files: the sellers of D1, their events, at most `concurrency` at a time', async () => {
    const events = new Map<string, OrderLine[]>();
    for (const s of sellers) events.set(s, (await ordersFromFile(join(dir, 'orders', s, 'orders.csv'))).lines);
    events.set(sellers[0], []); // a seller whose events are gone
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => {};
    const both = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const d1: D1Reads = {
      sellers: async () => [...sellers],
      events: async (s) => {
        calls.push(`events ${s}`);
        inFlight++;
        most = Math.max(most, inFlight);
        if (inFlight === 2) release();
        // The first two wait for each other: a run that read one seller at a time would hang here (and fail on the test's timeout).
        if (calls.length <= 2) await both;
        inFlight--;
        return events.get(s) ?? [];
      },
      deleted: async (list) => new Map(list.map((s) => [s, new Set<string>()])),
    };
    const remote = await retrainSellers(options({ where: { mode: 'remote' }, d1, concurrency: 2 }));
    expect(most).toBe(2);
    expect(remote.failed_sellers).toEqual([sellers[0]]);
    expect(remote.results[0].error).toMatch(/no orders/);
    expect(remote.ok).toBe(sellers.length - 1);

    // On local state every D1 read comes before the store is opened.
    calls.length = 0;
    const local = await retrainSellers(
      options({
        d1: {
          ...d1,
          events: async (s) => {
            calls.push(`events ${s}`);
            return events.get(s) ?? [];
          },
        },
        openStore: async () => {
          calls.push('open');
          return new MemoryStore();
        },
      }),
    );
    expect(local.ok).toBe(sellers.length - 1);
    expect(calls).toEqual([...sellers.map((s) => `events ${s}`), 'open']);
  }, 60_000);

  it("leaves out deleted customers' orders, and retrains nobody when D1's deleted customers cannot be read or are not there", async () => {
    const two = sellers.slice(0, 2);
    const lines = (await ordersFromFile(join(dir, 'orders', two[0], 'orders.csv'))).lines;
    const gone = lines[0].customer;
    const goneLines = lines.filter((l) => l.customer === gone).length;
    const logged: string[] = [];
    // Two sellers from their orders files, with D1's deleted customers read by `deleted`.
    const retrainWith = (deleted: D1Reads['deleted']) =>
      retrainSellers(
        options({
          sellers: two,
          ordersDir: join(dir, 'orders'),
          log: (line) => logged.push(line),
          d1: { sellers: async () => [], events: async () => [], deleted },
        }),
      );
    const run = await retrainWith(async (list) => new Map(list.map((s) => [s, new Set(s === two[0] ? [gone, 'never-ordered'] : [])])));
    expect(run.failed_sellers).toEqual([]);
    const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
    expect(logged.join('\n')).toContain(`(${plural(goneLines, 'order line')} of 1 deleted customer left out, of 2 deleted;`);

    // D1 unreachable: with only an orders file, a deleted customer could be trained on again.
    const down = await retrainWith(async () => Promise.reject(new Error('wrangler d1 execute DB failed: Authentication error [code: 10000]')));
    expect(down.failed_sellers).toEqual(two);
    expect(down.results[0].error).toMatch(/could not read .*deleted customers from D1 \(wrangler d1 execute DB failed: Authentication error.*not retraining/);
    expect(down.published).toBe(0);

    // A D1 whose migrations never ran has no list of deletions: nothing says who was deleted, so nobody is retrained.
    const fresh = await retrainWith(async () => Promise.reject(new Error('no such table: deleted_customers: SQLITE_ERROR')));
    expect(fresh.failed_sellers).toEqual(two);
    expect(fresh.results[0].error).toMatch(/has no list of deleted customers .*not retraining .*npx wrangler d1 migrations apply DB --local/);
    expect(fresh.published).toBe(0);
    // Nor one that has the first migration only (no deleted visitors).
    const half = await retrainWith(async () => Promise.reject(new Error('no such table: deleted_visitors: SQLITE_ERROR')));
    expect(half.failed_sellers).toEqual(two);
  }, 60_000);

  it('names what is wrong with the sellers asked for', async () => {
    const d1: D1Reads = { sellers: async () => [], events: async () => [], deleted: async () => new Map() };
    await expect(resolveSellers({ sellers: ['a', 'bad id!'] }, d1)).rejects.toThrow(/"bad id!" not valid seller ids/);
    await expect(resolveSellers({ sellers: [' ', ''] }, d1)).rejects.toThrow(/names no seller/);
    await expect(resolveSellers({ sellers: 'all', ordersDir: join(dir, 'nowhere') }, d1)).rejects.toThrow(/cannot be read/);
    await expect(resolveSellers({ sellers: 'all' }, d1)).rejects.toThrow(/no seller has purchase events in D1/);
    const usage = await resolveSellers({ sellers: ['bad id!'] }, d1).catch((e: unknown) => e);
    expect(usage).toBeInstanceOf(SellersError);
    expect((usage as SellersError).usage).toBe(true);
    expect(await resolveSellers({ sellers: ['b', 'a', 'b'] }, d1)).toEqual(['b', 'a']);
    expect(await resolveSellers({ sellers: 'all', ordersDir: join(dir, 'orders') }, d1)).toEqual(sellers);
  });
});
