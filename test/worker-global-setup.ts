import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { readCustomerRecords } from '../trainer/artifact/customer-records.js';
import { runCliOrThrow } from '../trainer/cli/run.js';
import { plantedProblem } from '../trainer/models/lightfm/test-data.js';
import { publish } from '../trainer/publish/publish.js';
import { MemoryStore } from '../trainer/publish/store.js';
import { FIXTURE_SELLERS, SLOTS_SELLER, type WorkerFixtures } from './worker-fixtures.js';

const NEW_ITEM = 'sku-new';

/**
 * Global setup of the workers project (runs in Node): trains every model type on a small
 * planted problem with the trainer's own CLI, exports each with a catalog, publishes each
 * into a MemoryStore (customer records in four shards each), and hands the stored values
 * and objects to the tests.
 */
async function run(argv: string[]): Promise<void> {
  await runCliOrThrow(argv);
}

export async function buildFixtures(): Promise<WorkerFixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'plusone-worker-fixtures-'));
  try {
    const p = plantedProblem({ nUsers: 40, nItems: 24, seed: 5 });
    const train = join(dir, 'train.csv');
    await writeFile(train, ['user_id,item_id', ...Array.from(p.users, (u, k) => `c${u},sku${p.items[k]}`)].join('\n') + '\n');
    // 20 of the 24 items have display data; three categories; prices 5..24; stock yes / no / unknown.
    const stock = ['yes', 'no', 'yes', ''];
    const category = ['mugs', 't-shirts', 'posters'];
    const rows = Array.from({ length: 20 }, (_, i) => {
      const title = i === 1 ? '"Tasse « café » ☕"' : `"Item ${i}, blue"`;
      return `sku${i},${title},https://shop.example/p/${i},https://cdn.example/${i}.jpg,${(5 + i).toFixed(2)},${category[i % 3]},${stock[i % 4]}`;
    });
    const catalog = join(dir, 'catalog.csv');
    await writeFile(catalog, ['item_id,title,url,image,price,category,in_stock', ...rows].join('\n') + '\n');

    const store = new MemoryStore();
    const cases: [keyof WorkerFixtures['sellers'], string[]][] = [
      ['lightfm', ['--dim', '8', '--epochs', '10', '--threads', '1', '--seed', '1']],
      ['item-knn', ['--similarity', 'ease', '--lambda', '5', '--neighbors', '8']],
      ['user-knn', ['--neighbors', '8']],
      ['popularity', []],
    ];
    let day = 1;
    for (const [model, extra] of cases) {
      const modelDir = join(dir, `model-${model}`);
      await run(['train', '--train', train, '--model', model, ...extra, '--out', modelDir, '--json']);
      const out = join(dir, `${model}.bin`);
      await run(['export', '--model', modelDir, '--catalog', catalog, '--out', out, '--quantize', 'int8', '--json']);
      const artifact = new Uint8Array(await readFile(out));
      const customers = await readCustomerRecords(`${out}.customers.jsonl`);
      // Four shards for 40 customers: the edge reads several, as for a large seller.
      await publish(store, { seller: FIXTURE_SELLERS[model], artifact, customers, shards: 4, now: new Date(Date.UTC(2026, 0, day++, 12)) });
    }
    // The slots seller: hybrid MF trained with item features (one item, NEW_ITEM, has features
    // and no sales: only the hybrid models know it), EASE and user-user, each in its own slot.
    const features = join(dir, 'item-features.csv');
    const tags = (i: number) => [`category:${category[i % 3]}`, `colour:${['red', 'blue', 'green', 'black'][i % 4]}`];
    await writeFile(
      features,
      [
        'item_id,feature',
        ...Array.from({ length: 24 }, (_, i) => tags(i).map((t) => `sku${i},${t}`)).flat(),
        `${NEW_ITEM},category:mugs`,
        `${NEW_ITEM},colour:red`,
      ].join('\n') + '\n',
    );
    const slots: [string, string, string[]][] = [
      ['warp', 'lightfm', ['--loss', 'warp', '--dim', '8', '--epochs', '10', '--threads', '1', '--seed', '1', '--item-features', features]],
      ['warp', 'lightfm', ['--loss', 'warp', '--dim', '8', '--epochs', '12', '--threads', '1', '--seed', '2', '--item-features', features]],
      ['bpr', 'lightfm', ['--loss', 'bpr', '--dim', '8', '--epochs', '10', '--threads', '1', '--seed', '1', '--item-features', features]],
      ['ease', 'item-knn', ['--similarity', 'ease', '--lambda', '5', '--neighbors', '8']],
      ['lookalike', 'user-knn', ['--neighbors', '8']],
    ];
    for (const [k, [slot, model, extra]] of slots.entries()) {
      const modelDir = join(dir, `slots-${k}`);
      await run(['train', '--train', train, '--model', model, ...extra, '--out', modelDir, '--json']);
      const out = join(dir, `slots-${k}.bin`);
      await run(['export', '--model', modelDir, '--catalog', catalog, '--out', out, '--quantize', 'int8', '--json']);
      const artifact = new Uint8Array(await readFile(out));
      const customers = await readCustomerRecords(`${out}.customers.jsonl`);
      // A card with served figures, as npm start and the retrain pipeline write them.
      const card = { metrics: { candidate: { 'p@10': 0.1 + k / 100, 'basket_hr@10': 0.2 + k / 100, surfaces: ['for-you'] } } };
      await publish(store, { seller: SLOTS_SELLER, slot, artifact, customers, card, shards: 2, now: new Date(Date.UTC(2026, 1, 1 + k, 12)) });
    }
    return {
      values: [...store.values.entries()],
      objects: [...store.objects.entries()].map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      sellers: FIXTURE_SELLERS,
      items: Array.from({ length: 24 }, (_, i) => `sku${i}`),
      customers: Array.from({ length: 40 }, (_, u) => `c${u}`),
      slotsSeller: SLOTS_SELLER,
      newItem: NEW_ITEM,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide('plusone', await buildFixtures());
}
