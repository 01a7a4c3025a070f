import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateScaleSeller, type ScaleSummary } from './generate.js';

const SMALL = { orders: 5000, items: 2000, customers: 2500, months: 12 };

let root: string;
let summary: ScaleSummary;

function filesOf(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
}

function rows(dir: string, file: string): string[][] {
  return readFileSync(join(dir, file), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'plusone-scale-'));
  summary = generateScaleSeller({ out: join(root, 'a'), seed: 3, ...SMALL });
  generateScaleSeller({ out: join(root, 'b'), seed: 3, ...SMALL });
  generateScaleSeller({ out: join(root, 'c'), seed: 4, ...SMALL });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the scale seller generator', () => {
  it('writes byte-identical files for a seed, and other files for another seed', () => {
    const a = filesOf(join(root, 'a'));
    const b = filesOf(join(root, 'b'));
    const c = filesOf(join(root, 'c'));
    expect([...a.keys()].sort()).toEqual([
      'catalog.csv',
      'item-features.csv',
      'orders.csv',
      'scale.json',
      'test-baskets.csv',
      'test-orders.csv',
      'test.csv',
      'train-orders.csv',
    ]);
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!), name).toBe(true);
    for (const name of ['catalog.csv', 'orders.csv', 'test.csv']) expect(a.get(name)!.equals(c.get(name)!), name).toBe(false);
  });

  it('has the asked counts, about 70% single-item orders, and every ordered item in the catalog', () => {
    const dir = join(root, 'a');
    const catalog = rows(dir, 'catalog.csv');
    const ids = new Set(catalog.map((r) => r[0]));
    expect(catalog.length).toBe(SMALL.items);
    expect(ids.size).toBe(SMALL.items);
    const lines = rows(dir, 'orders.csv');
    const perOrder = new Map<string, number>();
    for (const [order, customer, item, quantity, price, when] of lines) {
      expect(ids.has(item), item).toBe(true);
      expect(customer).toMatch(/^c\d+$/);
      expect(Number(quantity)).toBeGreaterThanOrEqual(1);
      expect(Number(price)).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(when))).toBe(false);
      perOrder.set(order, (perOrder.get(order) ?? 0) + 1);
    }
    expect(perOrder.size).toBe(SMALL.orders);
    const single = [...perOrder.values()].filter((n) => n === 1).length / perOrder.size;
    expect(single).toBeGreaterThan(0.65);
    expect(single).toBeLessThan(0.75);
    expect(summary.single_item_share).toBeCloseTo(single, 4);
    // Repeat customers, and a heavy head of popular items.
    expect(summary.repeat_buyer_share).toBeGreaterThan(0.2);
    expect(summary.top1pct_item_line_share).toBeGreaterThan(0.05);
    // Every item has its five features.
    const features = rows(dir, 'item-features.csv');
    expect(features.length).toBe(5 * SMALL.items);
    for (const [id] of features) expect(ids.has(id)).toBe(true);
  });

  it('splits on the last 30 days: test rows are of customers and items seen in training', () => {
    const dir = join(root, 'a');
    const from = Date.parse(summary.holdout_from);
    const train = rows(dir, 'train-orders.csv');
    const test = rows(dir, 'test-orders.csv');
    expect(train.length + test.length).toBe(rows(dir, 'orders.csv').length);
    for (const r of train) expect(Date.parse(r[5])).toBeLessThan(from);
    for (const r of test) expect(Date.parse(r[5])).toBeGreaterThanOrEqual(from);
    const customers = new Set(train.map((r) => r[1]));
    const items = new Set(train.map((r) => r[2]));
    const pairs = new Set(train.map((r) => `${r[1]}:${r[2]}`));
    const held = rows(dir, 'test.csv');
    expect(held.length).toBeGreaterThan(50);
    for (const [u, i] of held) {
      expect(customers.has(u)).toBe(true);
      expect(items.has(i)).toBe(true);
      expect(pairs.has(`${u}:${i}`)).toBe(false);
    }
    const baskets = new Map<string, string[]>();
    for (const [b, , i] of rows(dir, 'test-baskets.csv')) baskets.set(b, [...(baskets.get(b) ?? []), i]);
    expect(baskets.size).toBe(summary.test_baskets);
    expect(baskets.size).toBeGreaterThan(10);
    for (const list of baskets.values()) {
      expect(list.length).toBeGreaterThanOrEqual(2);
      expect(new Set(list).size).toBe(list.length);
      for (const i of list) expect(items.has(i)).toBe(true);
    }
  });

  it('puts item-item structure in baskets: their items share a design or a theme far more often than chance', () => {
    const dir = join(root, 'a');
    const design = new Map<string, string>();
    const theme = new Map<string, string>();
    for (const [id, f] of rows(dir, 'item-features.csv')) {
      if (f.startsWith('design:')) design.set(id, f);
      if (f.startsWith('theme:')) theme.set(id, f);
    }
    const orders = new Map<string, string[]>();
    for (const [o, , i] of rows(dir, 'orders.csv')) orders.set(o, [...(orders.get(o) ?? []), i]);
    let pairs = 0;
    let sameDesign = 0;
    let sameTheme = 0;
    for (const items of orders.values()) {
      for (let a = 1; a < items.length; a++) {
        pairs++;
        if (design.get(items[a]) === design.get(items[0])) sameDesign++;
        if (theme.get(items[a]) === theme.get(items[0])) sameTheme++;
      }
    }
    expect(pairs).toBeGreaterThan(500);
    expect(sameDesign / pairs).toBeGreaterThan(0.3);
    expect(sameTheme / pairs).toBeGreaterThan(0.6);
  });

  it('refuses bad options with a clear error', () => {
    expect(() => generateScaleSeller({ out: join(root, 'bad'), orders: 0 })).toThrow(/orders must be an integer/);
    expect(() => generateScaleSeller({ out: join(root, 'bad'), months: 1, holdoutDays: 40 })).toThrow(/holdoutDays/);
  });
});
