/**
 * `npm run bench:warp`: the hybrid MF WARP epoch against LightFM's on the same matrices.
 *
 * For each case it builds the interactions and feature matrices the trainer trains on,
 * writes them for scripts/reference/lightfm_epoch.py, and alternates, `--rounds` times,
 * `--epochs` epochs of ours (HybridMF, `--threads` threads) and as many of LightFM (same
 * threads, dim, learning rate, adagrad, max_sampled 10) from one fresh model each round.
 * The ratio is the median of all our epochs over the median of LightFM's, from one run.
 * Cases: the ml100k and retail splits of ../shared/bench (cf: identity features only;
 * hybrid: identity + metadata, as bench:lightfm), and generated sellers (orders weighted by
 * their lines, item features from item-features.csv, as `plusone train` reads them):
 *
 *   npm run bench:warp -- [--bench ../shared/bench] [--seller DIR[,DIR]] [--rounds 3]
 *       [--epochs 5] [--threads 2] [--dim 32] [--only ml100k/cf,retail/hybrid,seller]
 *       [--lightfm PYTHONPATH] [--name warp]
 *
 * LightFM must be importable by python3 (`--lightfm DIR` puts a source build on PYTHONPATH);
 * without it the script says so and times ours alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Dataset } from '../trainer/data/dataset.js';
import { readFeatures } from '../trainer/data/features.js';
import { ordersToInteractions, readOrders } from '../trainer/data/orders.js';
import type { Csr } from '../trainer/data/sparse.js';
import { HybridMF } from '../trainer/models/lightfm/hybrid-mf.js';
import { DEFAULT_BENCH, PROJECT, loadSplit, median, updateReadme } from './bench-common.js';

interface Case {
  name: string;
  users: Int32Array;
  items: Int32Array;
  weights: Float32Array;
  userFeatures: Csr;
  itemFeatures: Csr;
}

interface Row {
  name: string;
  interactions: number;
  users: number;
  items: number;
  itemFeatures: number;
  ours: number[];
  lightfm: number[] | null;
  load: number[];
}

const { values } = parseArgs({
  options: {
    bench: { type: 'string', default: DEFAULT_BENCH },
    seller: { type: 'string', default: '' },
    rounds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    dim: { type: 'string', default: '32' },
    only: { type: 'string' },
    lightfm: { type: 'string' },
    name: { type: 'string', default: 'warp' },
  },
});
const int = (k: string, v: string, min: number) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new Error(`--${k} must be an integer >= ${min}, got ${v}`);
  return x;
};
const rounds = int('rounds', values.rounds, 1);
const epochs = int('epochs', values.epochs, 1);
const threads = int('threads', values.threads, 1);
const dim = int('dim', values.dim, 1);
const only = values.only ? new Set(values.only.split(',')) : null;
const wanted = (name: string) => only === null || only.has(name) || only.has(name.split('/')[0]);
const uptime = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
const env = values.lightfm ? { ...process.env, PYTHONPATH: resolve(values.lightfm) } : process.env;

function lightfmVersion(): string | null {
  try {
    return execFileSync('python3', ['-c', 'import lightfm, lightfm._lightfm_fast as f; print(lightfm.__version__)'], { env, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

async function splitCase(dataset: string, variant: 'cf' | 'hybrid'): Promise<Case> {
  const s = await loadSplit(resolve(values.bench), dataset, variant);
  return {
    name: `${dataset}/${variant}`,
    users: s.train.users,
    items: s.train.items,
    weights: s.train.weights,
    userFeatures: s.userFeatures,
    itemFeatures: s.itemFeatures,
  };
}

async function sellerCase(dir: string): Promise<Case> {
  const rows = ordersToInteractions(await readOrders(join(dir, 'train-orders.csv')), { weight: 'lines' });
  const itemRows = await readFeatures(join(dir, 'item-features.csv'));
  const dataset = new Dataset();
  dataset.fit({ interactions: [rows], itemFeatures: itemRows });
  const inter = dataset.buildInteractions(rows, { unknown: 'error' });
  return {
    name: `seller ${basename(dir)}`,
    users: inter.users,
    items: inter.items,
    weights: inter.weights,
    userFeatures: dataset.buildUserFeatures(),
    itemFeatures: dataset.buildItemFeatures(itemRows),
  };
}

async function writeCase(c: Case, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const bin = (name: string, a: Int32Array | Float32Array) => writeFile(join(dir, `${name}.bin`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  await bin('users', c.users);
  await bin('items', c.items);
  await bin('weights', c.weights);
  for (const [prefix, m] of [
    ['user_features', c.userFeatures],
    ['item_features', c.itemFeatures],
  ] as const) {
    await bin(`${prefix}.indptr`, m.indptr);
    await bin(`${prefix}.indices`, m.indices);
    await bin(`${prefix}.data`, m.data);
  }
  const meta = { users: c.userFeatures.rows, items: c.itemFeatures.rows, user_features: c.userFeatures.cols, item_features: c.itemFeatures.cols };
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta));
}

async function measure(c: Case, work: string, withLightfm: boolean): Promise<Row> {
  const dir = join(work, c.name.replace(/[^a-z0-9]+/gi, '-'));
  await writeCase(c, dir);
  const ours: number[] = [];
  const lfm: number[] = [];
  const load: number[] = [];
  console.log(
    `${c.name}: ${c.users.length} interactions, ${c.userFeatures.rows} users, ${c.itemFeatures.rows} items (${c.itemFeatures.cols} item features); load ${uptime()}`,
  );
  for (let r = 0; r < rounds; r++) {
    const model = new HybridMF({ loss: 'warp', dim, learningRate: 0.05, seed: r + 1 });
    const report = await model.fit(
      { users: c.users, items: c.items, weights: c.weights, userFeatures: c.userFeatures, itemFeatures: c.itemFeatures },
      { epochs, threads },
    );
    ours.push(...report.epochSeconds);
    let line = `  round ${r + 1}: ours ${report.epochSeconds.map((x) => x.toFixed(3)).join(' ')}`;
    if (withLightfm) {
      const out = execFileSync(
        'python3',
        [
          join(PROJECT, 'scripts/reference/lightfm_epoch.py'),
          dir,
          '--epochs',
          String(epochs),
          '--threads',
          String(threads),
          '--dim',
          String(dim),
          '--seed',
          String(r + 1),
        ],
        { env, encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      const t = (JSON.parse(out.trim().split('\n').pop()!) as { epoch_s: number[] }).epoch_s;
      lfm.push(...t);
      line += `; LightFM ${t.map((x) => x.toFixed(3)).join(' ')}`;
    }
    load.push(loadavg()[0]);
    console.log(`${line}; load ${uptime()}`);
  }
  return {
    name: c.name,
    interactions: c.users.length,
    users: c.userFeatures.rows,
    items: c.itemFeatures.rows,
    itemFeatures: c.itemFeatures.cols,
    ours,
    lightfm: withLightfm ? lfm : null,
    load,
  };
}

const version = lightfmVersion();
if (version === null) console.log('LightFM is not importable by python3 (give --lightfm DIR with a source build): timing ours alone');
const work = await mkdtemp(join(tmpdir(), 'plusone-bench-warp-'));
const rows: Row[] = [];
try {
  for (const dataset of ['ml100k', 'retail']) {
    for (const variant of ['cf', 'hybrid'] as const) {
      if (wanted(`${dataset}/${variant}`)) rows.push(await measure(await splitCase(dataset, variant), work, version !== null));
    }
  }
  for (const dir of values.seller.split(',').filter(Boolean)) {
    if (wanted('seller')) rows.push(await measure(await sellerCase(resolve(dir)), work, version !== null));
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const cpu = cpus();
const lines = [
  `Hybrid MF WARP epochs (dim ${dim}, learning rate 0.05, adagrad, max_sampled 10, ${threads} threads) against ${version ? `LightFM ${version} (built from source here, OpenMP)` : 'nobody (LightFM not importable)'} on the same matrices: ${rounds} rounds of ${epochs} epochs each, alternating the two, each round a fresh model (seed = round); median epoch over all rounds. ${cpu.length} cores (${cpu[0]?.model.trim()}) shared with other work; \`npm run bench:warp\`.`,
  '',
  '| case | interactions | users | items (features) | ours s | LightFM s | ratio | load (1 min) at each round |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
];
for (const r of rows) {
  const ratio = r.lightfm ? median(r.ours) / median(r.lightfm) : null;
  lines.push(
    `| ${r.name} | ${r.interactions.toLocaleString('en-US')} | ${r.users.toLocaleString('en-US')} | ${r.items.toLocaleString('en-US')} (${r.itemFeatures.toLocaleString('en-US')}) | ${median(r.ours).toFixed(4)} | ${r.lightfm ? median(r.lightfm).toFixed(4) : '–'} | ${ratio === null ? '–' : `${ratio.toFixed(2)} ${ratio <= 0.7 ? '✓' : '✗'}`} | ${r.load.map((x) => x.toFixed(1)).join(', ')} |`,
  );
}
lines.push('', '✓/✗: the bar (at most 0.7 x LightFM).');
const md = lines.join('\n');
console.log(`\n${md}\n\nuptime load average: ${uptime()}`);
await mkdir(join(PROJECT, 'benchmarks'), { recursive: true });
await writeFile(
  join(PROJECT, `benchmarks/${values.name}.json`),
  JSON.stringify({ dim, threads, epochs, rounds, lightfm: version, rows, load: loadavg() }, null, 1),
);
await writeFile(join(PROJECT, `benchmarks/${values.name}.md`), `${md}\n`);
await updateReadme(values.name, `${md}\n`);
