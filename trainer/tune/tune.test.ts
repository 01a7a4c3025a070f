import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../core/format/decode.js';
import { exportModel, tune, type TuneReport } from '../api.js';
import { InputError } from '../data/errors.js';
import { readModelDir } from '../models/model-dir.js';
import { syntheticSeller } from './test-data.js';
import { GRID, neighbourGrid, neighbourSectionBytes } from './tune.js';

let dir = '';
let orders = '';
let interactions = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-tune-'));
  const seller = syntheticSeller();
  orders = join(dir, 'orders.csv');
  interactions = join(dir, 'interactions.csv');
  await writeFile(orders, seller.orders);
  await writeFile(interactions, seller.interactions);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The report without its timings, which vary from run to run. */
function withoutTimes(r: TuneReport): unknown {
  return JSON.parse(JSON.stringify(r, (key, v) => (key === 'fit_s' || key === 'eval_s' || key === 'tune_s' || key === 'out' ? undefined : v)));
}

describe('tune', () => {
  it('chooses, refits on all the data and writes the model with its card; the same seed gives the same choice and the same model', async () => {
    const run = (out: string) => tune({ input: { orders }, surface: 'basket', out: join(dir, out), seed: 7 });
    const a = await run('a');
    const b = await run('b');
    expect(withoutTimes(b)).toEqual(withoutTimes(a));
    expect(a.validation).toMatchObject({ method: 'time', figure: 'basket_hr@10' });
    expect(a.validation.baskets).toBeGreaterThan(20);
    // Every kind that serves the basket, each candidate with its figure; the choice is the best of them.
    expect(new Set(a.candidates.map((c) => c.model))).toEqual(new Set(['lightfm', 'item-knn']));
    const best = Math.max(...a.candidates.map((c) => c.figure ?? -1));
    expect(a.validation.value).toBe(best);
    expect(a.candidates.some((c) => c.stage === 'repeats' && c.repeats.basket)).toBe(true);
    const card = JSON.parse(await readFile(join(dir, 'a', 'tune.json'), 'utf8')) as TuneReport;
    expect(card.candidates).toHaveLength(a.candidates.length);
    const [ma, mb] = await Promise.all([readModelDir(join(dir, 'a')), readModelDir(join(dir, 'b'))]);
    expect(ma.type).toBe(a.model);
    expect(ma.meta.repeats).toEqual(a.repeats);
    expect(Object.keys(mb.arrays)).toEqual(Object.keys(ma.arrays));
    for (const [name, arr] of Object.entries(ma.arrays)) expect(Buffer.compare(Buffer.from(arr.buffer), Buffer.from(mb.arrays[name].buffer)), name).toBe(0);
  });

  it('for-you from interactions without timestamps: a seeded 20% of each customer’s items, every kind that serves for-you', async () => {
    const r = await tune({ input: { interactions }, surface: 'for-you', out: join(dir, 'foryou'), seed: 3 });
    expect(r.validation).toMatchObject({ method: 'random-positives', figure: 'p@10', baskets: 0 });
    expect(r.validation.customers).toBeGreaterThan(50);
    expect(new Set(r.candidates.map((c) => c.model))).toEqual(new Set(['lightfm', 'item-knn', 'user-knn']));
    // No customer's held-out item is one they kept in training: repeats can only lose here.
    expect(r.repeats['for-you']).toBe(false);
  });

  it('keeps the neighbour section within --budget-mb, and says which neighbour counts it left out', async () => {
    const budgetMb = 0.002;
    const budget = budgetMb * 2 ** 20;
    const r = await tune({ input: { orders }, surface: 'basket', out: join(dir, 'small'), budgetMb, seed: 7 });
    const knn = r.candidates.filter((c) => c.model === 'item-knn');
    const most = Math.max(...knn.map((c) => c.params.neighbours as number));
    expect(most).toBeLessThan(20);
    expect(r.skipped).toContain('item-knn neighbours 20, 50: over the 0.002 MB budget');
    // The item-knn candidate refitted and exported: its neighbour section fits.
    const forced = await tune({ input: { orders }, surface: 'basket', out: join(dir, 'small-knn'), budgetMb, seed: 7, kinds: ['item-knn'] });
    expect(forced.model).toBe('item-knn');
    const artifact = join(dir, 'small-knn.bin');
    await exportModel({ model: join(dir, 'small-knn'), out: artifact });
    const a = decodeArtifact(new Uint8Array(await readFile(artifact)));
    const section = a.sections.find((s) => s.name === 'neighbours')!;
    expect(section.byteLength).toBeLessThanOrEqual(budget);
    // A larger budget allows more.
    const roomy = await tune({ input: { orders }, surface: 'basket', out: join(dir, 'roomy'), seed: 7, kinds: ['item-knn'] });
    expect(Math.max(...roomy.candidates.map((c) => c.params.neighbours as number))).toBeGreaterThan(most);
  });

  it('refuses what it cannot do, saying why', async () => {
    await expect(tune({ input: { interactions }, surface: 'basket', out: join(dir, 'x') })).rejects.toThrow(/needs orders \(--orders F\)/);
    await expect(tune({ input: { orders }, surface: 'basket', out: join(dir, 'x'), budgetMb: 0.0001 })).rejects.toThrow(/too small for the neighbours of/);
    const tiny = join(dir, 'tiny.csv');
    await writeFile(tiny, 'order_id,customer_id,item_id,quantity\no1,c1,a,1\no2,c1,b,1\n');
    await expect(tune({ input: { orders: tiny }, surface: 'basket', out: join(dir, 'x') })).rejects.toThrow(InputError);
    await expect(tune({ input: { orders }, surface: 'similar' as never, out: join(dir, 'x') })).rejects.toThrow(/--surface must be one of basket, for-you/);
    await expect(tune({ input: { orders }, surface: 'basket', out: join(dir, 'x'), kinds: ['popularity'] })).rejects.toThrow(
      'tune: none of the kinds given (popularity) has settings to choose for the basket surface; tune searches item-knn, lightfm, user-knn',
    );
    await expect(tune({ input: { orders }, surface: 'basket', out: join(dir, 'x'), kinds: ['user-knn'] })).rejects.toThrow(
      /none of the kinds given \(user-knn\)/,
    );
  });
});

describe('neighbourGrid', () => {
  it('the grid below the budget, the most the budget allows, and what it leaves out', () => {
    const n = 1000;
    const budget = neighbourSectionBytes(n, n, 300);
    const { grid, over } = neighbourGrid(n, n, budget);
    expect(grid).toEqual([20, 50, 100, 200, 300]);
    expect(over).toEqual([500]);
    for (const k of grid) expect(neighbourSectionBytes(n, n, k)).toBeLessThanOrEqual(budget);
    expect(neighbourSectionBytes(n, n, 301)).toBeGreaterThan(budget);
    // A small catalogue: every other item, once.
    expect(neighbourGrid(30, 30, 2 ** 30).grid).toEqual([20, 29]);
    expect(GRID.neighbours[0]).toBe(20);
  });
});
