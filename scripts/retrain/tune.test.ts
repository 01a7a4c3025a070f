import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TuneReport } from '../../trainer/api.js';
import { itemKnn } from '../../trainer/models/item-knn/index.js';
import { readModelDir } from '../../trainer/models/model-dir.js';
import { userKnn } from '../../trainer/models/user-knn/index.js';
import { MemoryStore } from '../../trainer/publish/store.js';
import { generateMarketplace, type MarketplaceSummary } from '../demo/generate.js';
import { retrainSeller, type SellerOptions } from './seller.js';

/**
 * The retrain pipeline chooses each candidate's settings with tune, per surface, on the
 * training orders (never the holdout), and says so in the model card; --no-tune trains the
 * default presets.
 */
let dir = '';
let market: MarketplaceSummary;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-retrain-tune-'));
  market = await generateMarketplace({ out: join(dir, 'data'), seed: 13, customers: 600, orders: 4000, months: 4 });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function options(work: string, tune: boolean): SellerOptions {
  const data = join(dir, 'data', market.sellers[0].dir);
  return {
    seller: market.sellers[0].id,
    orders: join(data, 'orders.csv'),
    withEvents: false,
    models: [itemKnn, userKnn],
    holdoutDays: market.holdout_days,
    metric: 'basket_hr@10',
    tolerance: 0.02,
    work: join(dir, work),
    dryRun: true,
    threads: 1,
    tune,
    events: { mode: 'test', events: async () => [], deleted: async () => new Set() },
    store: async () => new MemoryStore(),
  };
}

interface Card {
  hyperparameters: Record<string, unknown> & { chosen_by: string; repeats: Record<string, boolean> };
  tuning: Record<'basket' | 'for-you', TuneReport | null> | null;
  data: { holdout_from: string };
}

describe('retrain with tune', () => {
  it('trains each kind with its best settings on the training orders, per surface, and writes them into the card', async () => {
    const { summary } = await retrainSeller(options('tuned', true));
    expect(summary.tuned?.basket?.model).toBeDefined();
    expect(summary.tuned?.['for-you']?.model).toBeDefined();
    const card = JSON.parse(await readFile(join(dir, 'tuned', 'item-knn.bin.card.json'), 'utf8')) as Card;
    expect(card.hyperparameters.chosen_by).toMatch(/^tune/);
    const basket = card.tuning!.basket!;
    // Tune saw only the training orders: its validation ends before the holdout.
    expect(Date.parse(basket.validation.cut!)).toBeLessThan(Date.parse(card.data.holdout_from));
    const best = basket.candidates.filter((c) => c.model === 'item-knn').reduce((a, c) => ((c.figure ?? -1) > (a.figure ?? -1) ? c : a));
    for (const [key, value] of Object.entries(best.params)) expect(card.hyperparameters[key], key).toEqual(value);
    expect(card.hyperparameters.repeats.basket).toBe(best.repeats.basket);
    // The trained model keeps the repeat settings (export writes them into the artifact).
    expect((await readModelDir(join(dir, 'tuned', 'model-item-knn'))).meta.repeats).toEqual(card.hyperparameters.repeats);
    // user-knn serves for-you only: judged, and so tuned, there.
    const uknn = JSON.parse(await readFile(join(dir, 'tuned', 'user-knn.bin.card.json'), 'utf8')) as Card;
    const bestUser = card.tuning!['for-you']!.candidates.filter((c) => c.model === 'user-knn').reduce((a, c) => ((c.figure ?? -1) > (a.figure ?? -1) ? c : a));
    expect(uknn.hyperparameters.neighbours).toBe(bestUser.params.neighbours);
  }, 180_000);

  it('--no-tune: the default presets', async () => {
    const { summary } = await retrainSeller(options('plain', false));
    expect(summary.tuned).toBeNull();
    const card = JSON.parse(await readFile(join(dir, 'plain', 'item-knn.bin.card.json'), 'utf8')) as Card;
    expect(card.hyperparameters).toMatchObject({ chosen_by: 'the default preset', lambda: 100, neighbours: 50, repeats: { basket: false, 'for-you': false } });
  }, 120_000);
});
