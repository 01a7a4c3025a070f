import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../trainer/cli/main.js';
import { plantedProblem } from '../trainer/models/hybrid-mf/test-data.js';

/** Runs the CLI in-process and captures what it prints. */
async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

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
    const t = await run(['train', '--train', trainCsv, '--model', 'lightfm', '--loss', 'warp', '--dim', '8', '--epochs', '20', '--threads', '1', '--seed', '3', '--out', out, '--json']);
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
    const t = await run(['train', '--train', trainCsv, '--item-features', itemFeatures, '--no-item-identity', '--dim', '8', '--epochs', '20', '--threads', '1', '--out', out, '--json']);
    expect(t.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(manifest.meta.shape.itemFeatures).toBe(4); // 4 groups, no identity columns
    const e = await run(['evaluate', '--model', out, '--test', testCsv, '--json']);
    expect(JSON.parse(e.out[0]).auc).toBeGreaterThan(0.8);
  });

  it('the same seed with one thread gives the same model files', async () => {
    const a = join(dir, 'det-a');
    const b = join(dir, 'det-b');
    for (const out of [a, b]) await run(['train', '--train', trainCsv, '--loss', 'bpr', '--dim', '8', '--epochs', '3', '--threads', '1', '--seed', '9', '--out', out, '--json']);
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
    expect(bad.stderr).toMatch(/--model is required/);
  });
});
