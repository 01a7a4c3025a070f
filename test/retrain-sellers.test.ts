import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { slotStorage } from '../core/storage/slots.js';
import { ProxyStore } from '../trainer/publish/proxy-store.js';
import { projectRoot } from '../scripts/bench-common.js';
import { generateMarketplace } from '../scripts/demo/generate.js';
import { wranglerCommand } from '../scripts/local-edge.js';

/**
 * `npm run retrain -- --sellers all --orders-dir DIR --local`, as CI runs it: four small
 * generated sellers, one with a malformed orders file, on one local state. Needs `npm run
 * build` first (npm test does it): the pipeline runs from dist/.
 */

const ROOT = projectRoot();
let home = '';

afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

function retrain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'dist', 'scripts', 'retrain.js'), ...args],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' }, maxBuffer: 1 << 26 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('npm run retrain -- --sellers', () => {
  it('retrains the sellers of an orders folder on one local state; the one that fails is named and the run exits 1', async () => {
    home = await mkdtemp(join(tmpdir(), 'plusone-retrain-sellers-'));
    const data = join(home, 'orders');
    const m = await generateMarketplace({ out: data, seed: 7, customers: 300, orders: 1500, months: 3 });
    const ids = m.sellers.map((s) => s.id).sort();
    await rm(join(data, ids[4]), { recursive: true });
    const bad = ids[2];
    await writeFile(join(data, bad, 'orders.csv'), 'order_id;customer_id;item_id\no1;c1;i1\n');
    const state = join(home, 'state');
    // The schema first (npm start and the deploy workflow apply it): without its list of deleted customers, retrain refuses.
    await wranglerCommand(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
    const run = await retrain(['--sellers', 'all', '--orders-dir', data, '--local', '--persist-to', state, '--work', join(home, 'work'), '--json']);
    expect(run.code, run.stderr).toBe(1);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ sellers: 4, ok: 3, failed: 1, failed_sellers: [bad] });
    expect(summary.results.find((r: { seller: string }) => r.seller === bad).error).toContain(join(data, bad, 'orders.csv'));
    expect(run.stderr).toContain(`| ${bad} | FAILED |`);
    expect(run.stderr).toContain('3 of 4 sellers retrained, 1 failed');

    // Each seller's serving rule for the cart, in the one state, names the slot of the version the run reports.
    const store = await ProxyStore.open({ persistTo: state });
    try {
      for (const r of summary.results.filter((x: { ok: boolean }) => x.ok)) {
        const basket = r.decisions.find((d: { serves: string[] }) => d.serves.includes('basket'));
        expect(basket?.version, r.seller).toMatch(/^\d{8}T\d{6}Z-[a-z-]+-[0-9a-f]{8}$/);
        const serving = JSON.parse((await store.getValue(slotStorage.serving(r.seller)))!);
        expect(serving.surfaces.basket.slot).toBe(basket.slot);
        expect(JSON.parse((await store.getValue(slotStorage.pointer(r.seller, basket.slot)))!).version).toBe(basket.version);
      }
      expect(await store.getValue(slotStorage.serving(bad))).toBeNull();
    } finally {
      await store.dispose();
    }
  }, 120_000);

  it('usage errors exit 2 and say what to do', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--seller S or --sellers all\|A,B,C is required/],
      [['--seller', 'a', '--sellers', 'b'], /not both/],
      [['--sellers', 'a,b', '--orders', 'o.csv'], /--orders is for one seller; with --sellers give --orders-dir/],
      [['--sellers', 'a,bad id'], /"bad id" not valid seller ids/],
      [['--sellers', 'a', '--concurrency', '0'], /--concurrency must be a whole number >= 1/],
      [['--sellers', 'all', '--orders-dir', join(ROOT, 'no-such-folder')], /cannot be read/],
      [['--sellers', 'a', '--with-events'], /without --orders-dir the orders are the D1 events already/],
      [['--seller', 'a', '--orders-dir', 'x'], /--orders-dir is for --sellers/],
    ];
    for (const [args, message] of cases) {
      const r = await retrain(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});
