import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SURFACES } from '../../core/format/spec.js';
import { evaluateArtifact, exportModel, train, type ServedReport } from '../../trainer/api.js';
import { readCustomerRecords } from '../../trainer/artifact/customer-records.js';
import { FIGURE_SURFACE } from '../../trainer/eval/served.js';
import { MODEL_KINDS } from '../../trainer/models/registry.js';
import { publish } from '../../trainer/publish/publish.js';
import { MemoryStore } from '../../trainer/publish/store.js';
import { generateMarketplace, type MarketplaceSummary } from '../demo/generate.js';
import { METRICS, retrainSeller } from './seller.js';

/**
 * One evaluation path: every kind is trained on a generated seller's training orders,
 * exported with the catalog, and evaluated the way `npm start` does it (the trainer API on
 * the artifact file, its customer-records sidecar and the holdout's orders file). The same
 * artifacts are then published to a store, and the retrain pipeline, given the seller's whole
 * orders file, holds out the same orders and evaluates the published versions from the store
 * (records read back from the customer shards). Both tables must show the same figures to
 * 4 digits for every surface the kind serves, and "not served" for the others.
 */

let dir = '';
let market: MarketplaceSummary;
const SELLER_INDEX = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-served-'));
  market = await generateMarketplace({ out: join(dir, 'data'), seed: 11, customers: 800, orders: 6000, months: 4 });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the served figures of npm start and of the retrain pipeline', () => {
  it('agree to 4 digits for every kind and every surface it serves, on the same holdout', async () => {
    const seller = market.sellers[SELLER_INDEX];
    const data = join(dir, 'data', seller.dir);
    const store = new MemoryStore();
    const demo = new Map<string, ServedReport>();
    for (const kind of MODEL_KINDS) {
      const modelDir = join(dir, 'models', kind.name);
      const artifact = join(dir, 'artifacts', `${kind.name}.bin`);
      await train({
        input: { orders: join(data, 'train-orders.csv') },
        model: kind,
        threads: 1,
        out: modelDir,
        ...(kind.usesFeatures ? { itemFeatures: join(data, 'item-features.csv') } : {}),
      });
      await exportModel({ model: modelDir, catalog: join(data, 'catalog.csv'), out: artifact, quantize: 'int8', topN: 50 });
      const served = await evaluateArtifact({ artifact, orders: join(data, 'test-orders.csv') });
      demo.set(kind.name, served);
      const bytes = new Uint8Array(await readFile(artifact));
      await publish(store, { seller: seller.id, artifact: bytes, customers: await readCustomerRecords(`${artifact}.customers.jsonl`) });
    }

    const { summary } = await retrainSeller({
      seller: seller.id,
      orders: join(data, 'orders.csv'),
      withEvents: false,
      catalog: join(data, 'catalog.csv'),
      itemFeatures: join(data, 'item-features.csv'),
      models: MODEL_KINDS,
      holdoutDays: market.holdout_days,
      metric: 'basket_hr@10',
      tolerance: 0.02,
      work: join(dir, 'retrain'),
      dryRun: true,
      threads: 1,
      // The same recipes as above (each kind's default preset), not settings chosen by tune.
      tune: false,
      events: { mode: 'test', events: async () => [], deleted: async () => new Set() },
      store: async () => store,
    });

    // The retrain pipeline held out exactly the demo's holdout.
    const card = JSON.parse(await readFile(join(dir, 'retrain', 'item-knn.bin.card.json'), 'utf8')) as {
      data: { holdout_from: string; holdout_orders: number };
    };
    expect(Date.parse(card.data.holdout_from)).toBe(Date.parse(market.holdout_from));
    expect(card.data.holdout_orders).toBe(demo.get('item-knn')!.holdout_orders);

    // Every kind was published and evaluated from the store once.
    expect(summary.published_before.map((v) => v.model).sort()).toEqual(MODEL_KINDS.map((k) => k.name).sort());
    const round4 = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);
    for (const kind of MODEL_KINDS) {
      const mine = demo.get(kind.name)!;
      const theirs = summary.published_before.find((v) => v.model === kind.name)!.metrics;
      expect(mine.surfaces, kind.name).toEqual([...kind.surfaces]);
      expect(theirs.surfaces, kind.name).toEqual([...kind.surfaces]);
      for (const figure of METRICS) {
        const surface = FIGURE_SURFACE[figure];
        if (kind.surfaces.includes(surface)) {
          expect(mine[figure], `${kind.name} ${figure}`).toEqual(expect.any(Number));
          expect(round4(theirs[figure]), `${kind.name} ${figure}`).toBe(mine[figure]);
        } else {
          expect(mine[figure], `${kind.name} ${figure} is not served`).toBeNull();
          expect(theirs[figure], `${kind.name} ${figure} is not served`).toBeNull();
        }
      }
      expect(round4(theirs['coverage@10']), kind.name).toBe(mine['coverage@10']);
      // The pipeline's own candidate trained on the same training orders, one thread: the same model, the same figures.
      const candidate = summary.candidates.find((c) => c.model === kind.name)!.metrics;
      for (const figure of METRICS) expect(round4(candidate[figure]), `${kind.name} candidate ${figure}`).toBe(mine[figure]);
    }
    // user-knn answers no cart: it is not offered there.
    expect(SURFACES.filter((s) => !MODEL_KINDS.find((k) => k.name === 'user-knn')!.surfaces.includes(s))).toEqual(['basket', 'similar']);
    // The models learned something a shopper sees: the basket figure of item-item is above popularity's.
    expect(demo.get('item-knn')!['basket_hr@10']!).toBeGreaterThan(demo.get('popularity')!['basket_hr@10']!);
  }, 240_000);
});
