/**
 * A local state for the widget's browser tests and benchmark: one demo seller with an
 * item-knn model trained through the trainer API on a small planted problem and exported with a catalog
 * whose urls and images point at the demo storefront, published to the state, a
 * publishable key for any origin, a secret key, the seller listed in KV `demo/sellers`, and
 * the D1 schema applied.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportModel, publish, train } from '../trainer/api.js';
import { itemKnn } from '../trainer/models/item-knn/index.js';
import { plantedProblem } from '../trainer/models/lightfm/test-data.js';
import { createApiKey } from '../trainer/publish/api-keys.js';
import { ProxyStore } from '../trainer/publish/proxy-store.js';
import { wranglerCommand } from './local-edge.js';

/** What {@link prepareWidgetState} made. */
export interface WidgetState {
  /** The state folder (`wrangler dev --persist-to`). */
  state: string;
  seller: string;
  publishableKey: string;
  secretKey: string;
  /** Item ids, sku0 … */
  items: string[];
  /** Item ids by planted cluster (items of one cluster are bought together). */
  clusters: string[][];
  categories: string[];
}

const CATEGORIES = ['Mugs', 'T-shirts', 'Posters', 'Stickers'];

/**
 * Prepares the state under `dir` (`dir/state`); `seller` defaults to "demo-shop". The model
 * goes into the slot `item-knn` (which serves every surface), and its artifact also into each
 * of `extraSlots` (experiments over several slots).
 */
export async function prepareWidgetState(dir: string, seller = 'demo-shop', extraSlots: readonly string[] = []): Promise<WidgetState> {
  const state = join(dir, 'state');
  let keys: { publishableKey: string; secretKey: string };
  const clusters = 4;
  const p = plantedProblem({ nUsers: 120, nItems: 48, clusters, seed: 11 });
  const items = Array.from({ length: p.nItems }, (_, i) => `sku${i}`);
  const train_ = join(dir, 'train.csv');
  await writeFile(train_, ['user_id,item_id', ...Array.from(p.users, (u, k) => `c${u},${items[p.items[k]]}`)].join('\n') + '\n');
  const rows = items.map((id, i) => {
    const category = CATEGORIES[p.itemCluster[i]];
    const title = `${category.replace(/s$/, '')} no. ${i} "${['Aurora', 'Basalt', 'Cedar', 'Dune', 'Ember', 'Fjord'][Math.floor(i / 4) % 6]}"`;
    return [
      id,
      `"${title.replace(/"/g, '""')}"`,
      `/demo/${seller}/products/${id}`,
      `/demo/${seller}/images/${id}.svg`,
      (6 + (i % 9) * 2.5).toFixed(2),
      category,
      i % 7 === 6 ? 'no' : 'yes',
    ].join(',');
  });
  const catalog = join(dir, 'catalog.csv');
  await writeFile(catalog, ['item_id,title,url,image,price,category,in_stock', ...rows].join('\n') + '\n');

  const modelDir = join(dir, 'model');
  const artifact = join(dir, 'model.bin');
  await train({ input: { interactions: train_ }, model: itemKnn, params: { similarity: 'ease', lambda: 5, neighbours: 8 }, out: modelDir });
  await exportModel({ model: modelDir, catalog, out: artifact });
  const store = await ProxyStore.open({ persistTo: state });
  try {
    await publish({ store, seller, artifact });
    for (const slot of extraSlots) await publish({ store, seller, artifact, slot });
    const publishableKey = (await createApiKey(store, { seller, type: 'publishable', origins: ['*'], rps: 1000, burst: 1000 })).key;
    const secretKey = (await createApiKey(store, { seller, type: 'secret' })).key;
    await store.putValue('demo/sellers', JSON.stringify([{ id: seller, name: 'Demo Shop', publishable_key: publishableKey }]));
    keys = { publishableKey, secretKey };
  } finally {
    await store.dispose();
  }
  await wranglerCommand(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
  const byCluster = Array.from({ length: clusters }, (_, k) => items.filter((_, i) => p.itemCluster[i] === k));
  return { state, seller, ...keys, items, clusters: byCluster, categories: CATEGORIES };
}
