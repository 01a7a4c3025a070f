/** What the benchmark scripts share: paths, the split loader, statistics, README tables. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBaskets, type Basket } from '../trainer/data/baskets.js';
import { Dataset, type DatasetInteractions } from '../trainer/data/dataset.js';
import { readFeatures } from '../trainer/data/features.js';
import { readInteractions } from '../trainer/data/interactions.js';
import type { Csr } from '../trainer/data/sparse.js';
import { tune, type TuneReport } from '../trainer/api.js';
import type { TuneSurface } from '../trainer/tune/tune.js';

/** The project root: the nearest folder above this file with a package.json (works from dist/ too). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the project root (package.json)');
    dir = up;
  }
  return dir;
}

export const PROJECT = projectRoot();
export const DEFAULT_BENCH = join(PROJECT, '../shared/bench');

/** A reference figure of anchors.json. */
export interface Anchor {
  system: string;
  dataset: string;
  variant: string;
  loss?: string;
  epoch_s_median?: number;
  fit_s?: number;
  build_s?: number;
  [metric: string]: unknown;
}

export async function readAnchors(benchDir: string): Promise<Anchor[]> {
  return (JSON.parse(await readFile(join(benchDir, 'anchors.json'), 'utf8')) as { results: Anchor[] }).results;
}

export interface Split {
  dataset: Dataset;
  train: DatasetInteractions;
  test: DatasetInteractions;
  userFeatures: Csr;
  itemFeatures: Csr;
  /** Cold-start protocol (ml100k-cold): the items in test and not in train. */
  candidates: Int32Array | null;
  /** retail: held-out baskets, items as indices, user -1 when unknown. */
  baskets: Basket[] | null;
}

/**
 * Loads a benchmark split. `variant`: cf (identity only), hybrid (identity + metadata) or
 * content (items by metadata only).
 */
export async function loadSplit(benchDir: string, name: string, variant: 'cf' | 'hybrid' | 'content'): Promise<Split> {
  const dir = join(benchDir, name);
  const train = await readInteractions(join(dir, 'train.csv'));
  const test = await readInteractions(join(dir, 'test.csv'));
  const itemFile = await readFeatures(join(dir, 'item_features.csv'));
  const userFile = await readFeatures(join(dir, 'user_features.csv'));
  const withFeatures = variant !== 'cf';
  const itemRows = withFeatures ? itemFile : undefined;
  const userRows = withFeatures ? userFile : undefined;
  const dataset = new Dataset({ itemIdentity: variant !== 'content', userIdentity: true });
  // Every variant ranks the whole catalog, as anchors.json does: the feature files list every
  // user and item, so cf registers their ids too (identity features only), and items that
  // no one bought before the cut are candidates like the rest.
  dataset.fit({ interactions: [train], users: userFile.ids, items: itemFile.ids, itemFeatures: itemRows, userFeatures: userRows });
  const trainIdx = dataset.buildInteractions(train, { unknown: 'error' });
  const testIdx = dataset.buildInteractions(test, { unknown: 'skip' });
  let candidates: Int32Array | null = null;
  if (name === 'ml100k-cold') {
    const inTrain = new Uint8Array(dataset.items.size);
    for (const i of trainIdx.items) inTrain[i] = 1;
    const cold = new Set<number>();
    for (const i of testIdx.items) if (!inTrain[i]) cold.add(i);
    candidates = Int32Array.from([...cold].sort((a, b) => a - b));
  }
  const basketFile = join(dir, 'baskets.csv');
  const baskets = existsSync(basketFile) ? (await readBaskets(basketFile, dataset)).baskets : null;
  return {
    dataset,
    train: trainIdx,
    test: testIdx,
    userFeatures: dataset.buildUserFeatures(userRows),
    itemFeatures: dataset.buildItemFeatures(itemRows),
    candidates,
    baskets,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function sd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** A number for a table; a dash when missing. */
export const fmt = (x: number | undefined | null, digits = 4): string => (x === undefined || x === null || Number.isNaN(x) ? '–' : x.toFixed(digits));

/** Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in README.md. */
export async function updateReadme(name: string, md: string): Promise<void> {
  const path = join(PROJECT, 'README.md');
  const readme = await readFile(path, 'utf8');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) {
    console.log(`README.md has no ${start} ... ${end} markers; table not inserted`);
    return;
  }
  await writeFile(path, readme.slice(0, a + start.length) + '\n' + md + readme.slice(b));
  console.log(`README.md: ${name} table updated`);
}

/** A `plusone tune` run of the benchmarks: the acceptance cases of the tune issue, with tune's defaults. */
export interface TunedCase {
  dataset: string;
  name: string;
  surface: TuneSurface;
  /** The training file, in the dataset's folder; `--orders` for an orders file. */
  file: string;
  orders: boolean;
}

export const TUNED_CASES: readonly TunedCase[] = [
  { dataset: 'ml100k', name: 'tune for-you (--train train.csv)', surface: 'for-you', file: 'train.csv', orders: false },
  { dataset: 'retail', name: 'tune basket (--orders train-orders.csv)', surface: 'basket', file: 'train-orders.csv', orders: true },
  { dataset: 'retail', name: 'tune for-you (--train train.csv)', surface: 'for-you', file: 'train.csv', orders: false },
  { dataset: 'retail', name: 'tune for-you (--orders train-orders.csv)', surface: 'for-you', file: 'train-orders.csv', orders: true },
];

/** The model directory of a tuned case under `tunedDir`. */
export function tunedDir(tunedDir: string, c: TunedCase): string {
  return join(tunedDir, `${c.dataset}-${c.surface}-${c.orders ? 'orders' : 'train'}`);
}

/** Runs `tune` with its defaults for a case (progress on stderr) into its model directory. */
export async function runTuned(benchDir: string, base: string, c: TunedCase, threads: number): Promise<{ report: TuneReport; dir: string }> {
  const input = join(benchDir, c.dataset, c.file);
  const dir = tunedDir(base, c);
  const report = await tune({
    input: c.orders ? { orders: input } : { interactions: input },
    surface: c.surface,
    out: dir,
    threads,
    log: (line) => process.stderr.write(`  tune ${c.dataset} ${c.surface}: ${line}\n`),
  });
  return { report, dir };
}
