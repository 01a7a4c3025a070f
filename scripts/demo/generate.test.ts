import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../trainer/cli/run.js';
import { generateMarketplace, type MarketplaceSummary } from './generate.js';
import { drawMarketplace } from './marketplace.js';

const SMALL = { customers: 600, orders: 4000, months: 6 };

let root: string;
let summary: MarketplaceSummary;

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path.slice(dir.length), await readFile(path));
  }
  return out;
}

function rows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
}

const run = runCli;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'plusone-demo-'));
  summary = await generateMarketplace({ out: join(root, 'a'), seed: 7, ...SMALL });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('generateMarketplace', () => {
  it('writes the same bytes for the same seed, and other bytes for another seed', async () => {
    await generateMarketplace({ out: join(root, 'b'), seed: 7, ...SMALL });
    await generateMarketplace({ out: join(root, 'c'), seed: 8, ...SMALL });
    const a = await filesOf(join(root, 'a'));
    const b = await filesOf(join(root, 'b'));
    const c = await filesOf(join(root, 'c'));
    expect(a.size).toBe(1 + 5 * 7);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!), name).toBe(true);
    const orders = `/${summary.sellers[0].dir}/orders.csv`;
    expect(c.get(orders)!.equals(a.get(orders)!)).toBe(false);
  });

  it('sells what each seller lists, to known customers, inside the period, split at the holdout', async () => {
    expect(summary.sellers.map((s) => s.id)).toEqual(['stellar-stitch', 'purrfect-press', 'wild-fern', 'loud-letters', 'neon-arcade']);
    let total = 0;
    for (const s of summary.sellers) {
      const dir = join(root, 'a', s.dir);
      const catalog = rows(await readFile(join(dir, 'catalog.csv'), 'utf8'));
      const ids = new Set(catalog.map((r) => r[0]));
      expect(ids.size).toBe(catalog.length);
      expect(catalog[0][2]).toBe(`/demo/${s.id}/products/${catalog[0][0]}`);
      expect(catalog[0][3]).toBe(`/demo/${s.id}/images/${catalog[0][0]}.svg`);
      const features = rows(await readFile(join(dir, 'item-features.csv'), 'utf8'));
      for (const prefix of ['theme:', 'type:', 'colour:', 'price:']) expect(features.filter((r) => r[1].startsWith(prefix)).length).toBe(catalog.length);
      const lines = rows(await readFile(join(dir, 'orders.csv'), 'utf8'));
      for (const [order, customer, item, quantity, price, when] of lines) {
        expect(ids.has(item), `${s.id} order ${order} sells ${item}`).toBe(true);
        expect(customer).toMatch(/^u\d{5}$/);
        expect(Number(quantity)).toBeGreaterThanOrEqual(1);
        expect(Number(price)).toBeGreaterThan(0);
        expect(when >= summary.start && when < summary.end).toBe(true);
      }
      total += new Set(lines.map((l) => l[0])).size;
      const train = rows(await readFile(join(dir, 'train-orders.csv'), 'utf8'));
      const test = rows(await readFile(join(dir, 'test-orders.csv'), 'utf8'));
      expect(train.length + test.length).toBe(lines.length);
      expect(train.every((r) => r[5] < summary.holdout_from)).toBe(true);
      expect(test.every((r) => r[5] >= summary.holdout_from)).toBe(true);
      expect(test.length).toBeGreaterThan(0);
    }
    expect(total).toBe(SMALL.orders);
  });

  it('trains, evaluates and exports through the trainer CLI without a warning', async () => {
    const dir = join(root, 'a', summary.sellers[0].dir);
    const cases: string[][] = [
      ['--model', 'lightfm', '--item-features', join(dir, 'item-features.csv'), '--dim', '8', '--epochs', '3', '--threads', '1'],
      ['--model', 'item-knn', '--similarity', 'ease', '--lambda', '50', '--neighbors', '20'],
      ['--model', 'user-knn', '--neighbors', '20'],
    ];
    for (const args of cases) {
      const model = join(root, `model-${args[1]}`);
      const train = await run(['train', '--orders', join(dir, 'train-orders.csv'), ...args, '--out', model, '--json']);
      expect(train.err, args[1]).toEqual([]);
      expect(train.code).toBe(0);
      const evaluated = await run(['evaluate', '--model', model, '--test', join(dir, 'test.csv'), '--baskets', join(dir, 'test-baskets.csv'), '--json']);
      expect(evaluated.err, args[1]).toEqual([]);
      const metrics = JSON.parse(evaluated.out[0]) as Record<string, number>;
      expect(metrics.users).toBeGreaterThan(0);
      expect(metrics.basket_pairs).toBeGreaterThan(0);
      const exported = await run(['export', '--model', model, '--catalog', join(dir, 'catalog.csv'), '--out', join(root, `${args[1]}.bin`), '--json']);
      expect(exported.err, args[1]).toEqual([]);
      expect(JSON.parse(exported.out[0]).catalog_matched).toBe(JSON.parse(exported.out[0]).items);
    }
  });
});

describe('drawMarketplace', () => {
  it('has about 70% single-item orders, and multi-item orders that share a design or theme', () => {
    const m = drawMarketplace({ seed: 3, customers: 4000, orders: 20_000 });
    const single = m.orders.filter((o) => o.lines.length === 1).length / m.orders.length;
    expect(single).toBeGreaterThan(0.67);
    expect(single).toBeLessThan(0.73);
    // Basket completion is learnable: the second item mostly goes with the first.
    let pairs = 0;
    let related = 0;
    for (const o of m.orders) {
      if (o.lines.length < 2) continue;
      const items = m.catalogs[o.seller].items;
      const [a, b] = [items[o.lines[0].item], items[o.lines[1].item]];
      pairs++;
      if (a.design === b.design || a.theme === b.theme) related++;
    }
    expect(related / pairs).toBeGreaterThan(0.8);
  });

  it('keeps its catalogs when only the number of orders changes, and names the bad option', () => {
    const a = drawMarketplace({ seed: 5, customers: 100, orders: 200 });
    const b = drawMarketplace({ seed: 5, customers: 300, orders: 900 });
    expect(b.catalogs.map((c) => c.items.map((i) => i.id))).toEqual(a.catalogs.map((c) => c.items.map((i) => i.id)));
    expect(a.catalogs.map((c) => c.items.length).every((n) => n >= 250 && n <= 1600)).toBe(true);
    expect(() => drawMarketplace({ orders: 0 })).toThrow(/orders must be an integer/);
    expect(() => drawMarketplace({ end: 'soon' })).toThrow(/end must be an ISO date/);
  });
});
