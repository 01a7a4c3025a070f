import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getPlatformProxy } from 'wrangler';
import { customerHash, decodeCustomerShard, recordInShard, shardOf } from '../core/format/customer-shard.js';
import { decodeArtifact } from '../core/format/decode.js';
import { decodeUserRecord } from '../core/format/user-record.js';
import { modelStorage } from '../core/storage/pointer.js';
import { runCli as run } from './run-cli.js';
import { plantedProblem } from '../trainer/models/lightfm/test-data.js';

/** The two bindings of wrangler.toml this test reads (a subset of the Workers types). */
interface Bindings {
  KV: { get(key: string): Promise<string | null> };
  MODELS: { get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null> };
}

let dir: string;
let trainCsv: string;
let catalogCsv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-publish-'));
  const p = plantedProblem({ nUsers: 40, nItems: 24, seed: 5 });
  trainCsv = join(dir, 'train.csv');
  await writeFile(trainCsv, ['user_id,item_id', ...Array.from(p.users, (u, k) => `c${u},sku${p.items[k]}`)].join('\n') + '\n');
  catalogCsv = join(dir, 'catalog.csv');
  // Half the items have display data; the rest must still work.
  const rows = Array.from(
    { length: 12 },
    (_, i) => `sku${i},"Mug ${i}, blue",https://shop.example/p/${i},https://cdn.example/${i}.jpg,${(9.5 + i).toFixed(2)},mugs,${i % 2 ? 'yes' : 'no'}`,
  );
  await writeFile(catalogCsv, ['item_id,title,url,image,price,category,in_stock', ...rows].join('\n') + '\n');
});

describe('plusone export', () => {
  it('exports every model type to an artifact the edge decoder accepts', async () => {
    const cases: [string, string[]][] = [
      ['lightfm', ['--dim', '8', '--epochs', '5', '--threads', '1']],
      ['item-knn', ['--similarity', 'ease', '--lambda', '5', '--neighbors', '8']],
      ['user-knn', ['--neighbors', '8']],
      ['popularity', []],
    ];
    for (const [model, extra] of cases) {
      const modelDir = join(dir, `model-${model}`);
      expect((await run(['train', '--train', trainCsv, '--model', model, ...extra, '--out', modelDir, '--json'])).code).toBe(0);
      const out = join(dir, `${model}.bin`);
      const e = await run(['export', '--model', modelDir, '--catalog', catalogCsv, '--out', out, '--quantize', 'int8', '--json']);
      expect(e.code, e.err.join('\n')).toBe(0);
      const summary = JSON.parse(e.out[0]);
      expect(summary).toMatchObject({ model, items: 24, catalog_matched: 12 });
      const a = decodeArtifact(new Uint8Array(await readFile(out)));
      expect(a.itemCount).toBe(24);
      expect(a.popularity?.items.length).toBe(24);
      const mug3 = a.catalog!.entry(a.itemIndex('sku3'));
      expect(mug3).toMatchObject({ title: 'Mug 3, blue', price: 12.5, inStock: true });
      expect(a.catalog!.entry(a.itemIndex('sku20')).listed).toBe(false);
      if (model === 'lightfm') expect(a.vectors?.dim).toBe(8);
      if (model === 'item-knn') expect(a.neighbours).toBeDefined();
      const lines = (await readFile(`${out}.customers.jsonl`, 'utf8')).trim().split('\n').filter(Boolean);
      // Every kind has records: popularity's are the customers' histories (what the default,
      // no repeats, leaves out of their answers).
      expect(lines.length).toBeGreaterThan(30);
      const { record } = JSON.parse(lines[0]);
      const decoded = decodeUserRecord(new Uint8Array(Buffer.from(record, 'base64')), { itemTableTag: a.itemTableTag, dim: a.dim, itemCount: a.itemCount });
      expect(decoded.kind).toBe(model === 'lightfm' ? 'user-vector' : model === 'item-knn' || model === 'popularity' ? 'history' : 'top-items');
      expect(decoded.history?.items.length).toBeGreaterThan(0);
    }
  });
});

describe('plusone export: catalog coverage', () => {
  it('says how much of the model the catalog describes, and loudly when it describes none of it', async () => {
    const modelDir = join(dir, 'model-popularity-coverage');
    expect((await run(['train', '--train', trainCsv, '--model', 'popularity', '--out', modelDir])).code).toBe(0);
    const half = await run(['export', '--model', modelDir, '--catalog', catalogCsv, '--out', join(dir, 'coverage-half.bin')]);
    expect(half.code, half.err.join('\n')).toBe(0);
    expect(half.err.join('\n')).toContain(`${catalogCsv} describes 12 of the model's 24 items (50.0%)`);
    const foreign = join(dir, 'foreign-catalog.csv');
    await writeFile(foreign, 'item_id,title,url,image,price,category,in_stock\nSKU-1,A mug,,,9.5,mugs,yes\nSKU-2,A tee,,,19,tees,yes\n');
    const none = await run(['export', '--model', modelDir, '--catalog', foreign, '--out', join(dir, 'coverage-none.bin')]);
    expect(none.code, none.err.join('\n')).toBe(0);
    expect(none.err.join('\n')).toMatch(
      /foreign-catalog\.csv describes none of the model's 24 items: .*Check that its item_id column holds the ids the orders use/,
    );
  });
});

describe('plusone publish to local wrangler state', () => {
  it('publishes into slots, serves them by rule, is read back through the worker bindings, and rolls a slot back', async () => {
    const state = join(dir, 'state');
    const modelDir = join(dir, 'model-item-knn');
    const v1File = join(dir, 'item-knn.bin');
    const local = ['--local', '--persist-to', state];
    const p1 = await run(['publish', '--seller', 'shop1', '--artifact', v1File, '--slot', 'ease', ...local, '--json']);
    expect(p1.code, p1.err.join('\n')).toBe(0);
    const v1 = JSON.parse(p1.out[0]).version as string;
    expect(v1).toMatch(/^\d{8}T\d{6}Z-ease-[0-9a-f]{8}$/);
    // The first publish serves every surface its kind serves.
    expect(JSON.parse(p1.out[0]).served).toEqual(['basket', 'similar', 'for-you']);

    // A second version from another export of the same model, and the first into another slot.
    const v2File = join(dir, 'item-knn-f16.bin');
    expect((await run(['export', '--model', modelDir, '--out', v2File, '--quantize', 'f16'])).code).toBe(0);
    const p2 = await run(['publish', '--seller', 'shop1', '--artifact', v2File, '--slot', 'ease', ...local, '--json']);
    expect(p2.code, p2.err.join('\n')).toBe(0);
    const v2 = JSON.parse(p2.out[0]).version as string;
    expect(v2).not.toBe(v1);
    const other = await run(['publish', '--seller', 'shop1', '--artifact', v1File, '--slot', 'ease-int8', '--no-serve', ...local, '--json']);
    expect(JSON.parse(other.out[0])).toMatchObject({ slot: 'ease-int8', served: [] });

    // What the worker will see: its own KV and R2 bindings over the same local state.
    const readBack = async () => {
      const proxy = await getPlatformProxy<Bindings>({ persist: { path: join(state, 'v3') } });
      try {
        const serving = JSON.parse((await proxy.env.KV.get('sellers/shop1/serving'))!);
        const pointer = JSON.parse((await proxy.env.KV.get(`sellers/shop1/slots/${serving.surfaces.basket.slot}/active`))!);
        const object = await proxy.env.MODELS.get(pointer.artifact);
        const artifact = decodeArtifact(new Uint8Array(await object!.arrayBuffer()));
        // The customer's shard, where the edge finds their record.
        const count = pointer.customerShards.count as number;
        const k = shardOf(customerHash('c0'), count);
        const shardObject = await proxy.env.MODELS.get(modelStorage.customerShard('shop1', pointer.version, k));
        const shard = decodeCustomerShard(new Uint8Array(await shardObject!.arrayBuffer()), { shard: k, shardCount: count });
        const record = recordInShard(shard, 'c0');
        const legacyKey = await proxy.env.KV.get(`sellers/shop1/models/${pointer.version}/users/c0`);
        return { serving, pointer, artifact, record, legacyKey };
      } finally {
        await proxy.dispose();
      }
    };
    const after2 = await readBack();
    expect(after2.pointer).toMatchObject({ version: v2, previous: v1, model: 'item-knn', slot: 'ease' });
    expect(after2.artifact.quantization).toBe('f16');
    expect(after2.pointer.customerShards).toEqual({ count: 1, format: 1 });
    expect(decodeUserRecord(after2.record!).kind).toBe('history');
    expect(after2.legacyKey).toBeNull();

    // Another slot serves the cart; a user-knn slot could not.
    const served = await run(['serve', '--seller', 'shop1', '--surface', 'basket', '--slot', 'ease-int8', '--fallback', 'ease', ...local, '--json']);
    expect(served.code, served.err.join('\n')).toBe(0);
    expect(JSON.parse(served.out[0]).surfaces.basket).toEqual({ slot: 'ease-int8', fallback: 'ease' });
    const refused = await run(['serve', '--seller', 'shop1', '--surface', 'basket', '--slot', 'ghost', ...local]);
    expect(refused.code).toBe(2);
    expect(refused.err.join('\n')).toMatch(/basket: slot "ghost" is empty/);
    expect((await readBack()).pointer).toMatchObject({ slot: 'ease-int8', version: JSON.parse(other.out[0]).version });
    await run(['serve', '--seller', 'shop1', '--surface', 'basket', '--slot', 'ease', ...local]);

    const noSlot = await run(['rollback', '--seller', 'shop1', ...local]);
    expect(noSlot.code).toBe(2);
    expect(noSlot.err.join('\n')).toMatch(/name the one to roll back with --slot/);
    const r = await run(['rollback', '--seller', 'shop1', '--slot', 'ease', ...local, '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    const after = await readBack();
    expect(after.pointer).toMatchObject({ version: v1, previous: v2 });
    expect(after.artifact.quantization).toBe('int8');

    const list = await run(['versions', '--seller', 'shop1', ...local, '--json']);
    const listed = JSON.parse(list.out[0]);
    expect(listed.slots.map((s: { slot: string }) => s.slot)).toEqual(['ease', 'ease-int8']);
    expect(listed.slots[0]).toMatchObject({
      kind: 'item-knn',
      current: v1,
      versions: [
        { version: v1, current: true },
        { version: v2, current: false },
      ],
    });
    const text = await run(['versions', '--seller', 'shop1', ...local]);
    expect(text.out[0]).toBe('slot ease (item-knn), serves basket, similar, for-you');
    expect(text.out.some((l) => l.startsWith(`  * ${v1}  item-knn`))).toBe(true);
  }, 240_000);
});
