import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recommend } from '../../core/recommend/recommend.js';
import { train } from '../api.js';
import { loaded } from '../eval/served.js';
import { NO_REPEATS, type RepeatSettings } from '../models/kind.js';
import { plantedProblem } from '../models/lightfm/test-data.js';
import { loadModel } from '../models/load.js';
import { MODEL_KINDS } from '../models/registry.js';
import { exportTrained } from './export.js';

/**
 * Whether a customer may be offered again what they bought is the seller's setting, stored
 * with the model (the artifact's history section), and it holds for every kind that serves
 * for-you: off (the default), no for-you answer holds an item the customer bought, however
 * the kind scores (a vector, a list, item-item, a ranking) and the fill included; on, they
 * may be offered again.
 */
let dir = '';
let csv = '';
const p = plantedProblem({ nUsers: 40, nItems: 24, seed: 5 });
const history = new Map<string, Set<string>>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-repeats-'));
  csv = join(dir, 'train.csv');
  const lines = Array.from(p.users, (u, k) => [`c${u}`, `sku${p.items[k]}`]);
  for (const [c, i] of lines) history.set(c, (history.get(c) ?? new Set()).add(i));
  await writeFile(csv, ['user_id,item_id', ...lines.map((l) => l.join(','))].join('\n') + '\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const PARAMS: Record<string, Record<string, unknown>> = {
  lightfm: { dim: 8, epochs: 10, seed: 1 },
  'item-knn': { similarity: 'ease', lambda: 5, neighbours: 8 },
  'user-knn': { neighbours: 8 },
  popularity: {},
};

/** Every customer's for-you answer of 10 from the kind trained with these repeat settings. */
async function answers(kind: string, repeats: RepeatSettings): Promise<Map<string, string[]>> {
  const out = join(dir, `${kind}-${repeats['for-you'] ? 'on' : 'off'}`);
  await train({ input: { interactions: csv }, model: kind, params: PARAMS[kind], repeats, threads: 1, out });
  const exported = exportTrained(await loadModel(out), { quantize: 'int8' });
  const records = new Map(exported.customers.map((r) => [r.customer, r.record]));
  const model = loaded(exported.artifact);
  const got = new Map<string, string[]>();
  for (const customer of history.keys()) {
    const r = await recommend(
      model,
      { surface: 'for-you', items: [], customer, n: 10, exclude: [], filters: { category: null, inStock: false, minPrice: null, maxPrice: null }, model: null },
      async (c) => records.get(c) ?? null,
      () => {},
    );
    expect(r.items.length, `${kind} ${customer}`).toBe(10);
    got.set(
      customer,
      r.items.map((x) => x.id),
    );
  }
  return got;
}

describe('the repeat-purchase setting, for every kind that serves for-you', () => {
  const kinds = MODEL_KINDS.filter((k) => k.surfaces.includes('for-you')).map((k) => k.name);

  it('covers every such kind of the registry', () => {
    expect(kinds.sort()).toEqual(['item-knn', 'lightfm', 'popularity', 'user-knn']);
  });

  it.each(kinds)('%s: off (the default), never what the customer bought; on, it may be offered again', async (kind) => {
    const off = await answers(kind, { ...NO_REPEATS });
    for (const [c, items] of off) for (const i of items) expect(history.get(c)!.has(i), `${kind}: ${c} bought ${i}`).toBe(false);
    const on = await answers(kind, { basket: false, 'for-you': true });
    let repeated = 0;
    for (const [c, items] of on) for (const i of items) if (history.get(c)!.has(i)) repeated++;
    expect(repeated, `${kind} with repeats on`).toBeGreaterThan(0);
  });
});
