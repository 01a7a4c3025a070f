import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeArtifact } from '../core/format/decode.js';
import { evaluate, exportModel, publish, train } from './api.js';
import { InputError } from './data/errors.js';
import { itemKnn } from './models/item-knn/index.js';
import { lightfm } from './models/lightfm/index.js';
import { plantedProblem } from './models/lightfm/test-data.js';
import { loadModel } from './models/load.js';
import { MemoryStore } from './publish/store.js';

let dir: string;
let trainCsv: string;
let testCsv: string;
let features: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-api-'));
  const p = plantedProblem({ nUsers: 60, nItems: 30, seed: 4 });
  trainCsv = join(dir, 'train.csv');
  await writeFile(trainCsv, ['user_id,item_id', ...Array.from(p.users, (u, k) => `u${u},i${p.items[k]}`)].join('\n') + '\n');
  const test = ['user_id,item_id'];
  for (let u = 0; u < p.test.rows; u++) for (let q = p.test.indptr[u]; q < p.test.indptr[u + 1]; q++) test.push(`u${u},i${p.test.indices[q]}`);
  testCsv = join(dir, 'test.csv');
  await writeFile(testCsv, test.join('\n') + '\n');
  features = join(dir, 'features.csv');
  await writeFile(features, ['item_id,feature', ...Array.from({ length: p.nItems }, (_, i) => `i${i},group:${p.itemCluster[i]}`)].join('\n') + '\n');
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the trainer API', () => {
  it('trains a kind with typed settings over its default preset, and evaluates, exports and publishes it', async () => {
    const out = join(dir, 'ease');
    const report = await train({ input: { interactions: trainCsv }, model: itemKnn, params: { lambda: 10, neighbours: 12 }, out });
    expect(report).toMatchObject({ model: 'item-knn', similarity: 'auto', method: 'ease', lambda: 10, neighbors: 12, users: 60, items: 30 });
    expect(report.fit_s).toBeGreaterThanOrEqual(0);
    const saved = await loadModel(out);
    expect(saved.type).toBe('item-knn');
    expect((saved.meta.training as Record<string, unknown>).source).toBe(trainCsv);

    const metrics = await evaluate({ model: out, test: testCsv });
    expect(metrics['p@10']).toBeGreaterThan(0);
    expect(metrics.auc).toBeGreaterThan(0.8);

    const artifact = join(dir, 'ease.bin');
    const exported = await exportModel({ model: out, out: artifact, topN: 5 });
    expect(exported).toMatchObject({ model: 'item-knn', items: 30, quantize: 'int8', out: artifact });
    expect(decodeArtifact(new Uint8Array(await readFile(artifact))).modelType).toBe('item-knn');

    const store = new MemoryStore();
    const published = await publish({ store, seller: 'shop1', artifact });
    expect(published.pointer).toMatchObject({ model: 'item-knn', items: 30, customers: exported.customers });
    expect(published.customers).toBe(exported.customers);
  });

  it('trains hybrid MF with features by preset, and refuses features for a kind that has none', async () => {
    const report = await train({
      input: { interactions: trainCsv },
      model: lightfm,
      preset: 'bpr',
      params: { epochs: 3, dim: 8 },
      itemFeatures: features,
      threads: 1,
      out: join(dir, 'bpr'),
    });
    expect(report).toMatchObject({ model: 'lightfm', loss: 'bpr', epochs: 3, threads: 1 });
    await expect(train({ input: { interactions: trainCsv }, model: 'user-knn', itemFeatures: features, out: join(dir, 'x') })).rejects.toThrow(
      /--model user-knn does not use features; .* use --model lightfm/,
    );
  });

  it('names a bad setting, a bad kind and a missing file', async () => {
    const out = join(dir, 'bad');
    await expect(train({ input: { interactions: trainCsv }, model: itemKnn, params: { neighbours: 0 }, out })).rejects.toThrow(
      /^item-knn neighbours must be >= 1, got "0"$/,
    );
    await expect(train({ input: { interactions: trainCsv }, model: 'svd', out })).rejects.toThrow(InputError);
    await expect(evaluate({ model: join(dir, 'nowhere'), test: testCsv })).rejects.toThrow(/no model\.json/);
  });
});
