import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli as run } from './run-cli.js';
import { loadModel } from '../trainer/models/load.js';
import { plantedProblem } from '../trainer/models/lightfm/test-data.js';

let dir: string;
let trainCsv: string;
let testCsv: string;
let itemFeatures: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-cli-'));
  // A planted problem written out as the CSV files a seller would export.
  const p = plantedProblem({ nUsers: 80, nItems: 40, seed: 21 });
  const rows = ['user_id,item_id'];
  for (let k = 0; k < p.users.length; k++) rows.push(`u${p.users[k]},i${p.items[k]}`);
  trainCsv = join(dir, 'train.csv');
  await writeFile(trainCsv, rows.join('\n') + '\n');
  const test = ['user_id,item_id'];
  for (let u = 0; u < p.test.rows; u++) for (let q = p.test.indptr[u]; q < p.test.indptr[u + 1]; q++) test.push(`u${u},i${p.test.indices[q]}`);
  testCsv = join(dir, 'test.csv');
  await writeFile(testCsv, test.join('\n') + '\n');
  const feats = ['item_id,feature'];
  for (let i = 0; i < p.nItems; i++) feats.push(`i${i},group:${p.itemCluster[i]}`);
  itemFeatures = join(dir, 'items.csv');
  await writeFile(itemFeatures, feats.join('\n') + '\n');
});

describe('plusone train / evaluate', () => {
  it('trains, saves, and evaluates with the JSON contract', async () => {
    const out = join(dir, 'model-warp');
    const t = await run([
      'train',
      '--train',
      trainCsv,
      '--model',
      'lightfm',
      '--loss',
      'warp',
      '--dim',
      '8',
      '--epochs',
      '20',
      '--threads',
      '1',
      '--seed',
      '3',
      '--out',
      out,
      '--json',
    ]);
    expect(t.code).toBe(0);
    expect(t.out).toHaveLength(1);
    const fig = JSON.parse(t.out[0]);
    expect(fig).toMatchObject({ model: 'lightfm', loss: 'warp', epochs: 20, interactions: expect.any(Number) });
    expect(fig.fit_s).toBeGreaterThan(0);
    expect(fig.epoch_s_median).toBeGreaterThan(0);

    const e = await run(['evaluate', '--model', out, '--test', testCsv, '--json']);
    expect(e.code).toBe(0);
    expect(e.out).toHaveLength(1);
    const m = JSON.parse(e.out[0]);
    for (const key of ['p@10', 'r@10', 'auc', 'mrr', 'ndcg@10', 'users']) expect(m).toHaveProperty([key]);
    expect(m.auc).toBeGreaterThan(0.85);
    expect(m.users).toBeGreaterThan(40);
  });

  it('remembers features given at training time and supports the content-only model', async () => {
    const out = join(dir, 'model-content');
    const t = await run([
      'train',
      '--train',
      trainCsv,
      '--item-features',
      itemFeatures,
      '--no-item-identity',
      '--dim',
      '8',
      '--epochs',
      '20',
      '--threads',
      '1',
      '--out',
      out,
      '--json',
    ]);
    expect(t.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(manifest.meta.shape.itemFeatures).toBe(4); // 4 groups, no identity columns
    const e = await run(['evaluate', '--model', out, '--test', testCsv, '--json']);
    expect(JSON.parse(e.out[0]).auc).toBeGreaterThan(0.8);
  });

  it('the same seed with one thread gives the same model files', async () => {
    const a = join(dir, 'det-a');
    const b = join(dir, 'det-b');
    for (const out of [a, b])
      await run(['train', '--train', trainCsv, '--loss', 'bpr', '--dim', '8', '--epochs', '3', '--threads', '1', '--seed', '9', '--out', out, '--json']);
    expect((await readFile(join(a, 'arrays.bin'))).equals(await readFile(join(b, 'arrays.bin')))).toBe(true);
  });

  it('reads gzip input and reports malformed rows with file and line', async () => {
    const gz = join(dir, 'train-bad.csv.gz');
    const text = (await readFile(trainCsv, 'utf8')).replace('\n', '\nu1,i2,extra,fields\n');
    await writeFile(gz, gzipSync(text));
    const t = await run(['train', '--train', gz, '--dim', '4', '--epochs', '1', '--threads', '1', '--out', join(dir, 'gz'), '--json']);
    expect(t.code).toBe(0);
    expect(t.err.join('\n')).toMatch(/train-bad\.csv\.gz:2:/);
    const strict = await run(['train', '--train', gz, '--strict', '--epochs', '1', '--out', join(dir, 'gz2')]);
    expect(strict.code).toBe(2);
    expect(strict.err.join('\n')).toMatch(/train-bad\.csv\.gz:2/);
  });

  it('answers bad input with exit code 2 and a message that says what to do', async () => {
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, '');
    const noCol = join(dir, 'nocol.csv');
    await writeFile(noCol, 'user,item\nu1,i1\n');
    const cases: [string[], RegExp][] = [
      [['train', '--train', empty, '--out', join(dir, 'x')], /empty/i],
      [['train', '--train', noCol, '--out', join(dir, 'x')], /item_id/],
      [['train', '--train', trainCsv], /--out is required/],
      [['train', '--train', trainCsv, '--out', join(dir, 'x'), '--loss', 'hinge'], /--loss must be one of logistic, bpr, warp, warp-kos/],
      [['train', '--train', trainCsv, '--out', join(dir, 'x'), '--dim', 'abc'], /--dim must be a number/],
      [['train', '--train', trainCsv, '--out', join(dir, 'x'), '--bogus'], /Unknown option '--bogus'/],
      [['train', '--train', join(dir, 'missing.csv'), '--out', join(dir, 'x')], /missing\.csv/],
      [['evaluate', '--model', join(dir, 'nowhere'), '--test', testCsv], /no model\.json/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.join('\n'), argv.join(' ')).toMatch(msg);
    }
  });

  it('has --help on every command', async () => {
    for (const cmd of ['train', 'evaluate']) {
      const r = await run([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out.join('\n')).toMatch(new RegExp(`Usage: plusone ${cmd}`));
    }
    const top = await run(['--help']);
    expect(top.out.join('\n')).toMatch(/train/);
  });

  it('works as the installed command (bin/plusone.js over the build)', () => {
    const help = execFileSync(process.execPath, ['bin/plusone.js', 'train', '--help'], { encoding: 'utf8' });
    expect(help).toMatch(/--max-sampled/);
    const bad = spawnSync(process.execPath, ['bin/plusone.js', 'evaluate'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/give --artifact F .* or --model DIR/);
  });

  it('trains and evaluates item-knn (EASE and cosine), user-knn and popularity, with baskets', async () => {
    // Baskets: pairs of items of one group, bought by a known and an unknown customer.
    const baskets = join(dir, 'baskets.csv');
    await writeFile(baskets, 'basket_id,user_id,item_id\nb1,u0,i0\nb1,u0,i4\nb1,u0,i8\nb2,nobody,i1\nb2,nobody,i5\n');
    const runs: [string, string[], Record<string, unknown>][] = [
      ['item-knn', ['--similarity', 'ease', '--lambda', '10', '--neighbors', '10'], { similarity: 'ease', lambda: 10, neighbors: 10 }],
      ['item-knn', ['--similarity', 'cosine', '--neighbors', '10'], { similarity: 'cosine', neighbors: 10 }],
      // auto with a catalogue over --max-items: the approximation, and the figures say so.
      [
        'item-knn',
        ['--max-items', '5', '--candidates', '20', '--lambda', '10', '--neighbors', '10'],
        { similarity: 'auto', method: 'ease-approx', lambda: 10, candidates: 20, neighbors: 10 },
      ],
      ['user-knn', ['--neighbors', '10'], { neighbors: 10 }],
      ['popularity', [], {}],
    ];
    for (const [model, extra, settings] of runs) {
      const out = join(dir, `m-${model}-${extra[1] ?? 'plain'}`);
      const t = await run(['train', '--train', trainCsv, '--model', model, ...extra, '--out', out, '--json']);
      expect(t.code, t.err.join('\n')).toBe(0);
      expect(JSON.parse(t.out[0])).toMatchObject({ model, ...settings, interactions: expect.any(Number) });
      const e = await run(['evaluate', '--model', out, '--test', testCsv, '--baskets', baskets, '--json']);
      expect(e.code, e.err.join('\n')).toBe(0);
      const m = JSON.parse(e.out[0]);
      expect(m.basket_pairs).toBe(5);
      for (const key of ['p@10', 'auc', 'basket_hr@10', 'coverage@10', 'novelty@10']) expect(m[key], `${model} ${key}`).toEqual(expect.any(Number));
      // The planted groups are learnable by every model but popularity.
      if (model !== 'popularity') expect(m.auc, model).toBeGreaterThan(0.8);
      // Baskets alone: the same basket figure, no ranking metrics.
      const b = await run(['evaluate', '--model', out, '--baskets', baskets, '--json']);
      expect(b.code, b.err.join('\n')).toBe(0);
      const only = JSON.parse(b.out[0]);
      expect(only['basket_hr@10']).toBe(m['basket_hr@10']);
      expect(only['p@10']).toBeUndefined();
    }
    const neither = await run(['evaluate', '--model', join(dir, 'm-popularity-plain')]);
    expect(neither.code).toBe(2);
    expect(neither.err.join('\n')).toMatch(/evaluate needs held-out data: a test file .* a baskets file/);
  });

  it('evaluates an exported artifact as served: the surfaces its kind serves, "not served" for the others', async () => {
    const orders = join(dir, 'holdout-orders.csv');
    // Two held-out orders of two items each, and the test file's purchases as one-item orders.
    const lines = [
      'order_id,customer_id,item_id,quantity,unit_price,timestamp',
      'o1,u0,i0,1,5,2026-01-01',
      'o1,u0,i4,1,5,2026-01-01',
      'o2,u3,i1,1,5,2026-01-02',
      'o2,u3,i5,2,5,2026-01-02',
    ];
    const test = (await readFile(testCsv, 'utf8')).trim().split('\n').slice(1, 40);
    test.forEach((row, k) => lines.push(`t${k},${row},1,5,2026-01-03`));
    await writeFile(orders, lines.join('\n') + '\n');
    for (const model of ['item-knn', 'user-knn']) {
      const out = join(dir, `served-${model}`);
      expect((await run(['train', '--train', trainCsv, '--model', model, '--out', out])).code).toBe(0);
      const artifact = join(dir, 'artifacts', `${model}.bin`);
      const x = await run(['export', '--model', out, '--out', artifact]);
      expect(x.code, x.err.join('\n')).toBe(0);
      const e = await run(['evaluate', '--artifact', artifact, '--orders', orders, '--json']);
      expect(e.code, e.err.join('\n')).toBe(0);
      const m = JSON.parse(e.out[0]);
      expect(m).toMatchObject({ model, holdout_orders: 2 + test.length, basket_pairs: model === 'item-knn' ? 4 : 0 });
      expect(m['p@10']).toEqual(expect.any(Number));
      if (model === 'item-knn') {
        expect(m.surfaces).toEqual(['basket', 'similar', 'for-you']);
        expect(m['basket_hr@10']).toEqual(expect.any(Number));
        expect(m.similar_pairs).toBe(4);
      } else {
        expect(m.surfaces).toEqual(['for-you']);
        expect(m['basket_hr@10']).toBeNull();
        const text = await run(['evaluate', '--artifact', artifact, '--orders', orders]);
        expect(text.out.join('\n')).toMatch(/basket_hr@10\s+not served/);
      }
    }
    const both = await run(['evaluate', '--artifact', join(dir, 'artifacts', 'item-knn.bin'), '--model', join(dir, 'served-item-knn'), '--orders', orders]);
    expect(both.code).toBe(2);
    expect(both.err.join('\n')).toMatch(/give --artifact F .* or --model DIR/);
    const noHoldout = await run(['evaluate', '--artifact', join(dir, 'artifacts', 'item-knn.bin')]);
    expect(noHoldout.code).toBe(2);
    expect(noHoldout.err.join('\n')).toMatch(/needs held-out data: an orders file/);
    const missing = await run(['evaluate', '--artifact', join(dir, 'nothing.bin'), '--orders', orders]);
    expect(missing.code).toBe(2);
    expect(missing.err.join('\n')).toMatch(/no such artifact/);
  });

  it('takes a preset, says when a flag belongs to another kind, and lists the kinds in --help', async () => {
    const out = join(dir, 'm-preset');
    const t = await run([
      'train',
      '--train',
      trainCsv,
      '--model',
      'item-knn',
      '--preset',
      'cosine',
      '--neighbors',
      '7',
      '--loss',
      'bpr',
      '--out',
      out,
      '--json',
    ]);
    expect(t.code, t.err.join('\n')).toBe(0);
    expect(JSON.parse(t.out[0])).toMatchObject({ model: 'item-knn', similarity: 'cosine', neighbors: 7 });
    expect(t.err.join('\n')).toMatch(/warning: --loss is not an option of --model item-knn; ignored/);
    const bad = await run(['train', '--train', trainCsv, '--model', 'lightfm', '--preset', 'turbo', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toMatch(/lightfm has no preset "turbo" \(known: default, logistic, bpr, warp-kos\)/);
    const help = (await run(['train', '--help'])).out.join('\n');
    for (const kind of ['lightfm', 'item-knn', 'user-knn', 'popularity']) expect(help).toContain(kind);
    expect(help).toMatch(/--lambda X\s+item-knn EASE: L2 penalty \(default 100\)/);
  });

  it('weighs by recency only when the data has timestamps', async () => {
    const r = await run(['train', '--train', trainCsv, '--model', 'popularity', '--half-life-days', '30', '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/--half-life-days needs timestamps/);
    const timed = join(dir, 'timed.csv');
    await writeFile(timed, 'user_id,item_id,timestamp\nu1,a,2024-01-01\nu2,a,2024-01-02\nu3,b,2024-06-01\n');
    const scoresOf = async (extra: string[]) => {
      const out = join(dir, `trend-${extra.length}`);
      expect((await run(['train', '--train', timed, '--model', 'popularity', ...extra, '--out', out, '--json'])).code).toBe(0);
      const m = await loadModel(out);
      const scores = new Float32Array(m.scorer.nItems);
      m.scorer.scoreItems(new Int32Array(0), -1, scores);
      return { a: scores[m.dataset.items.get('a')!], b: scores[m.dataset.items.get('b')!] };
    };
    // All time, "a" (2 buyers) leads; with a 30-day half-life the recent "b" trends above it.
    const plain = await scoresOf([]);
    expect(plain.a).toBeGreaterThan(plain.b);
    const trending = await scoresOf(['--half-life-days', '30']);
    expect(trending.b).toBeGreaterThan(trending.a);
  });
});
