/**
 * The trainer's typed API: train, evaluate, export and publish, each with typed options and
 * a typed report. The `plusone` CLI (trainer/cli/) is a thin shell over it (argument
 * parsing, progress output, --json), and scripts (the demo build, the retrain pipeline,
 * benchmarks) call it directly.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Quantization } from '../core/format/spec.js';
import type { ActivePointer } from '../core/storage/pointer.js';
import { readCatalog } from './artifact/catalog.js';
import { exportTrained, type ExportResult } from './artifact/export.js';
import { readCustomerRecords, writeCustomerRecords } from './artifact/customer-records.js';
import { readBaskets } from './data/baskets.js';
import type { Dataset } from './data/dataset.js';
import { InputError } from './data/errors.js';
import { readFeatures } from './data/features.js';
import { readInteractions } from './data/interactions.js';
import { readTrainingInput, trainingData, type TrainingInput } from './data/training-input.js';
import type { Csr } from './data/sparse.js';
import { basketHitRate } from './eval/basket.js';
import { coverageAndNovelty, usersPerItem } from './eval/beyond.js';
import { evaluateRanking, summarize } from './eval/metrics.js';
import { evaluateServed, holdoutFromFiles, holdoutFromOrders, type Holdout, type ServedMetrics } from './eval/served.js';
import { NO_REPEATS, resolveParams, type ModelKind, type RepeatSettings } from './models/kind.js';
import { recencyWeights } from './models/knn/recency.js';
import { loadModel, saveModel } from './models/load.js';
import { MODEL_KINDS, modelKind } from './models/registry.js';
import { tune as tuneSearch, type TuneOptions, type TuneReport } from './tune/tune.js';
import { type PublishProgress, publish as publishToStore } from './publish/publish.js';
import type { ModelStore } from './publish/store.js';

/** Warnings (bad rows skipped, unknown ids) and progress of long work, for whoever shows them. */
interface Reporting {
  onWarning?: (message: string) => void;
  /** `done` of `total` steps of `task` (e.g. an epoch of training, a share of the EASE solve). */
  onProgress?: (task: string, done: number, total: number, note?: string) => void;
  /** Lines for a person (what was read, what was written). */
  log?: (line: string) => void;
}

export type { TrainingInput, TuneOptions, TuneReport };

export interface TrainOptions<P extends object = Record<string, unknown>> extends Reporting {
  input: TrainingInput;
  /** The model kind, or its name (`plusone train --model`). */
  model: ModelKind<P> | string;
  /** A named preset of the kind (default `default`); `params` override it. */
  preset?: string;
  params?: Partial<Record<keyof P, unknown>>;
  /** Report a bad hyperparameter by its CLI flag (the CLI sets this). */
  flagNames?: boolean;
  /** Long-format feature files `id,feature[,weight]` (hybrid MF only). */
  itemFeatures?: string;
  userFeatures?: string;
  /** Whether each item (user) has its own identity feature; default true. */
  itemIdentity?: boolean;
  userIdentity?: boolean;
  /** Weigh each interaction by 0.5^(age / D days), age from the latest timestamp. */
  halfLifeDays?: number;
  /** Training threads (default 2). */
  threads?: number;
  /** A malformed input row is fatal instead of skipped. */
  strict?: boolean;
  /** Whether customers may be offered again what they bought, per surface (saved with the model; export writes it into the artifact). Default: on neither. */
  repeats?: RepeatSettings;
  /** The model directory to write. */
  out: string;
}

/** What `train` did: the figures `plusone train --json` prints. */
export interface TrainReport {
  model: string;
  fit_s: number;
  interactions: number;
  users: number;
  items: number;
  load_s: number;
  max_rss_mb: number;
  /** The kind's settings and figures (e.g. loss, epochs, similarity, neighbors). */
  [figure: string]: unknown;
}

/** Reads the training data, trains the model and writes its model directory. */
export async function train<P extends object>(options: TrainOptions<P>): Promise<TrainReport> {
  const kind = (typeof options.model === 'string' ? modelKind(options.model) : options.model) as ModelKind<P>;
  const params = resolveParams(kind, options.params ?? {}, { preset: options.preset, flagNames: options.flagNames });
  const readOpts = { strict: Boolean(options.strict), onWarning: options.onWarning ?? (() => {}) };
  const itemIdentity = options.itemIdentity ?? true;
  const userIdentity = options.userIdentity ?? true;
  if (!itemIdentity && !options.itemFeatures) throw new InputError('--no-item-identity needs --item-features: items would have no features at all');
  if (!userIdentity && !options.userFeatures) throw new InputError('--no-user-identity needs --user-features: users would have no features at all');
  if (!kind.usesFeatures && (options.userFeatures || options.itemFeatures)) {
    const withFeatures = MODEL_KINDS.filter((k) => k.usesFeatures).map((k) => `--model ${k.name}`);
    throw new InputError(`--model ${kind.name} does not use features; drop --user-features/--item-features or use ${withFeatures.join(' or ')}`);
  }

  const t0 = performance.now();
  const { rows, source, orderIds } = await readTrainingInput(options.input, readOpts);
  if (options.halfLifeDays !== undefined) {
    if (!(options.halfLifeDays > 0)) throw new InputError(`--half-life-days must be > 0, got "${options.halfLifeDays}"`);
    if (!rows.timestamps) throw new InputError(`--half-life-days needs timestamps, and ${source} has no timestamp column`);
    const decay = recencyWeights(rows.timestamps, options.halfLifeDays);
    rows.weights = Float32Array.from(decay, (d, i) => d * (rows.weights ? rows.weights[i] : 1));
  }
  const userFeatureRows = options.userFeatures ? await readFeatures(options.userFeatures, readOpts) : undefined;
  const itemFeatureRows = options.itemFeatures ? await readFeatures(options.itemFeatures, readOpts) : undefined;
  const data = trainingData(rows, orderIds, {
    usesFeatures: kind.usesFeatures,
    userFeatures: userFeatureRows,
    itemFeatures: itemFeatureRows,
    itemIdentity,
    userIdentity,
    recencyWeighted: options.halfLifeDays !== undefined,
  });
  const { dataset, interactions } = data;
  const loadSeconds = (performance.now() - t0) / 1000;
  options.log?.(
    `read ${source}: ${rows.users.length} rows (${rows.skipped} skipped) -> ${interactions.users.length} interactions, ${dataset.users.size} users, ${dataset.items.size} items`,
  );

  const task = `training ${kind.name}`;
  const trained = await kind.fit(data, params, {
    threads: options.threads ?? 2,
    onProgress: (done, total, note) => options.onProgress?.(task, done, total, note),
  });
  const common = { interactions: interactions.users.length, users: dataset.users.size, items: dataset.items.size, load_s: round(loadSeconds) };
  const { fit_s, ...settings } = trained.figures as { fit_s: number };
  const figures = { model: kind.name, ...settings, fit_s, ...common };
  const training = {
    ...figures,
    source,
    ...(kind.usesFeatures ? { item_features: options.itemFeatures ?? null, user_features: options.userFeatures ?? null } : {}),
    ...trained.details,
  };
  await saveModel(options.out, trained, { training, repeats: options.repeats ?? { ...NO_REPEATS } });
  return { ...figures, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) };
}

/**
 * Chooses a model for one surface by validation (trainer/tune/tune.ts): carves a validation
 * split out of the training data, scores a small grid of candidates of every kind that
 * serves the surface as the edge serves them, refits the best on all the data and writes it
 * to `out` with `tune.json`, the card of the search (every candidate's validation figure).
 * What `plusone tune --json` prints is the report's surface, model, params, validation and fit_s.
 */
export async function tune(options: TuneOptions): Promise<TuneReport> {
  return tuneSearch(options);
}

interface EvaluateOptions extends Reporting {
  /** A model directory written by `train`. */
  model: string;
  /** Held-out positives `user_id,item_id` (p@k, r@k, ...); at least one of `test` and `baskets`. */
  test?: string;
  /** Positives to leave out of each user's ranking (default: the model's training data). */
  train?: string;
  /** Cut-off of p@k, r@k, ndcg@k (default 10). */
  k?: number;
  /** `test-only` ranks only items absent from training (the cold-start protocol). */
  candidates?: 'all' | 'test-only';
  /** Held-out orders `basket_id,user_id,item_id`: adds basket_hr@k. */
  baskets?: string;
}

/** The metrics `plusone evaluate --json` prints (keys carry k, e.g. `p@10`). */
type EvalReport = Record<string, number>;

/** Ranks held-out interactions with a trained model. */
export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  const k = options.k ?? 10;
  const warn = options.onWarning ?? (() => {});
  const t0 = performance.now();
  if (options.test === undefined && options.baskets === undefined) {
    throw new InputError(
      'evaluate needs held-out data: a test file (user_id,item_id) for p@k and the ranking metrics, a baskets file (basket_id,user_id,item_id) for basket_hr@k, or both',
    );
  }
  const saved = await loadModel(options.model);
  const { dataset, scorer } = saved;
  const result: EvalReport = options.test !== undefined ? await rankingMetrics(options as EvaluateOptions & { test: string }, saved, k, warn) : {};

  if (options.baskets !== undefined) {
    const { baskets, unknownItems } = await readBaskets(options.baskets, dataset, { onWarning: warn });
    if (unknownItems > 0) warn(`${options.baskets}: ${unknownItems} basket lines name items the model does not know; left out`);
    const hr = basketHitRate({ baskets, nItems: scorer.nItems, k, scoreBasket: (u, items, out) => scorer.scoreItems(items, u, out) });
    result[`basket_hr@${k}`] = hr.hitRate;
    result.basket_pairs = hr.pairs;
  }
  result.eval_s = Math.round((performance.now() - t0) / 10) / 100;
  return roundAll(result);
}

interface EvaluateArtifactOptions extends Reporting {
  /** An artifact written by `exportModel`; its customer records are read from the sidecar beside it (FILE.customers.jsonl). */
  artifact: string;
  /** Held-out order lines (the trainer's orders format): the holdout's baskets and what each customer bought. */
  orders?: string;
  /** Header names of the orders file. */
  columns?: Record<string, string>;
  /** Or the benchmark splits' files: held-out positives `user_id,item_id` (for-you)... */
  test?: string;
  /** ...and held-out baskets `basket_id,user_id,item_id` (basket, similar). */
  baskets?: string;
}

/** What `evaluateArtifact` reports: the served figures and the holdout they were measured on. */
export interface ServedReport extends ServedMetrics {
  holdout_orders: number;
  holdout_customers: number;
  eval_s: number;
}

/**
 * Evaluates an exported artifact as the edge serves it (trainer/eval/served.ts): the same
 * figures the retrain pipeline measures on a published version, for the surfaces its model
 * type serves (null for the others).
 */
export async function evaluateArtifact(options: EvaluateArtifactOptions): Promise<ServedReport> {
  const t0 = performance.now();
  const warn = options.onWarning ?? (() => {});
  if ((options.orders === undefined) === (options.test === undefined && options.baskets === undefined)) {
    throw new InputError(
      "evaluating an artifact needs held-out data: an orders file (--orders, the holdout's order lines), or a test file and/or a baskets file (--test, --baskets), not both kinds",
    );
  }
  if (!existsSync(options.artifact)) throw new InputError(`${options.artifact}: no such artifact; write one with "plusone export"`);
  const readOptions = { onWarning: warn, ...(options.columns ? { columns: options.columns } : {}) };
  let holdout: Holdout;
  if (options.orders !== undefined) {
    const read = await holdoutFromOrders(options.orders, readOptions);
    if (read.skipped > 0) warn(`${options.orders}: ${read.skipped} order lines skipped (cancelled, non-positive quantity or price, no customer, malformed)`);
    holdout = read.holdout;
  } else {
    holdout = await holdoutFromFiles(
      { ...(options.test ? { test: options.test } : {}), ...(options.baskets ? { baskets: options.baskets } : {}) },
      readOptions,
    );
  }
  const bytes = new Uint8Array(await readFile(options.artifact));
  const side = sidecars(options.artifact).customers;
  const records = new Map<string, Uint8Array>();
  if (existsSync(side)) {
    for (const r of await readCustomerRecords(side)) records.set(r.customer, r.record);
  } else {
    warn(`${side} is missing: customers are answered as the edge answers unknown ones`);
  }
  const metrics = await evaluateServed({
    artifact: bytes,
    record: async (c) => records.get(c) ?? null,
    holdout,
    onProgress: (done, total) => options.onProgress?.('evaluating as served', done, total),
  });
  const report: ServedReport = {
    ...metrics,
    holdout_orders: holdout.baskets.length,
    holdout_customers: holdout.customers.size,
    eval_s: Math.round((performance.now() - t0) / 10) / 100,
  };
  return roundServed(report);
}

/** Figures to 4 digits, as every table shows them (counts stay whole). */
export function roundServed<T extends ServedMetrics>(m: T): T {
  const out: Record<string, unknown> = { ...(m as object) };
  for (const [key, v] of Object.entries(m)) if (typeof v === 'number' && !Number.isInteger(v)) out[key] = Math.round(v * 1e4) / 1e4;
  return out as T;
}

/** p@k, r@k, auc, mrr, ndcg@k, coverage and novelty of a model on a test file. */
async function rankingMetrics(
  options: EvaluateOptions & { test: string },
  saved: Awaited<ReturnType<typeof loadModel>>,
  k: number,
  warn: (m: string) => void,
): Promise<EvalReport> {
  const { dataset, scorer } = saved;
  const test = await mapped(options.test, dataset, warn);
  const trainCsr = options.train !== undefined ? (await mapped(options.train, dataset, warn)).csr : saved.train;
  if (test.skipped > 0) warn(`${options.test}: ${test.skipped} test rows name a user or item the model does not know; left out`);
  let candidates: Int32Array | null = null;
  if (options.candidates === 'test-only') {
    // Items with no training interaction that appear in the test set: the cold items.
    const inTrain = new Uint8Array(dataset.items.size);
    for (let q = 0; q < trainCsr.indices.length; q++) inTrain[trainCsr.indices[q]] = 1;
    const inTest = new Uint8Array(dataset.items.size);
    for (let q = 0; q < test.csr.indices.length; q++) inTest[test.csr.indices[q]] = 1;
    const list: number[] = [];
    for (let i = 0; i < inTest.length; i++) if (inTest[i] && !inTrain[i]) list.push(i);
    candidates = Int32Array.from(list);
  }

  const metrics = evaluateRanking({
    test: test.csr,
    train: trainCsr,
    k,
    candidates,
    score: (u, out) => scorer.scoreUser(u, out),
    onProgress: (done) => options.onProgress?.('evaluating', done, test.csr.rows),
    collectTop: true,
  });
  const result: EvalReport = summarize(metrics, k);
  const beyond = coverageAndNovelty(metrics.top!, k, dataset.items.size, usersPerItem(saved.train), dataset.users.size);
  result[`coverage@${k}`] = beyond.coverage;
  result[`novelty@${k}`] = beyond.novelty;
  if (candidates) result.candidates = candidates.length;
  if (metrics.nanScores) warn(`${metrics.nanScores} scores were NaN (ranked last); the model may have diverged`);
  return result;
}

function roundAll(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([key, v]) => [key, Number.isInteger(v) ? v : Math.round(v * 1e4) / 1e4]));
}

/** Reads a user_id,item_id file and maps it through the model's ids; unknown ids are skipped. */
async function mapped(path: string, dataset: Dataset, warn: (m: string) => void): Promise<{ csr: Csr; skipped: number }> {
  const rows = await readInteractions(path, { onWarning: warn });
  const built = dataset.buildInteractions(rows, { unknown: 'skip' });
  return { csr: built.csr, skipped: built.skippedUnknown };
}

/** Sidecar files that `exportModel` writes beside the artifact and `publish` picks up. */
export const sidecars = (artifact: string) => ({ customers: `${artifact}.customers.jsonl`, card: `${artifact}.card.json` });

interface ExportOptions extends Reporting {
  /** A model directory written by `train`. */
  model: string;
  /** Catalog CSV `item_id,title,url,image,price,category,in_stock`. */
  catalog?: string;
  /** The artifact to write; the customer records go to OUT.customers.jsonl, the card to OUT.card.json. */
  out: string;
  quantize?: Quantization;
  /** Length of the precomputed per-customer lists (neighbourhood models; default 50). */
  topN?: number;
}

export type ExportReport = ExportResult['summary'] & { out: string };

/** Turns a trained model into the artifact the edge serves, with its customer records and card. */
export async function exportModel(options: ExportOptions): Promise<ExportReport> {
  const quantize = options.quantize ?? 'int8';
  const catalog = options.catalog !== undefined ? await readCatalog(options.catalog, { onWarning: options.onWarning }) : undefined;
  const loaded = await loadModel(options.model);
  const result = exportTrained(loaded, { quantize, topN: options.topN ?? 50, ...(catalog ? { catalog: catalog.rows } : {}) });
  if (catalog && options.catalog !== undefined)
    warnCatalogCoverage(options.catalog, result.summary.catalog_matched ?? 0, result.summary.items, options.onWarning);
  const side = sidecars(options.out);
  await mkdir(dirname(resolve(options.out)), { recursive: true });
  await writeFile(options.out, result.artifact);
  await writeCustomerRecords(side.customers, result.customers);
  await writeFile(side.card, JSON.stringify({ ...result.summary, model_dir: options.model }, null, 2) + '\n');
  return { ...result.summary, out: options.out };
}

/** Says how many of the model's items the catalog describes, loudly when none or few. */
function warnCatalogCoverage(path: string, matched: number, items: number, warn: ((m: string) => void) | undefined): void {
  if (warn === undefined || matched === items) return;
  const share = items > 0 ? `${((100 * matched) / items).toFixed(1)}%` : '0%';
  if (matched === 0) {
    warn(
      `${path} describes none of the model's ${items} items: answers will carry ids but no title, url, image or price, and price and stock filters cannot apply. Check that its item_id column holds the ids the orders use.`,
    );
  } else {
    warn(`${path} describes ${matched} of the model's ${items} items (${share}); the other ${items - matched} are served without title, url, image or price.`);
  }
}

interface PublishOptions {
  store: ModelStore;
  seller: string;
  /** The slot to publish into (default: the artifact's model type). */
  slot?: string;
  /** An artifact written by `exportModel`; its sidecars (customer records, card) are published with it. */
  artifact: string;
  /** Versions of the slot to keep (default 5). */
  keep?: number;
  /** `unmapped` (default): the surfaces the kind serves that no slot serves yet get this slot; `none`: leave the serving configuration. */
  serve?: 'unmapped' | 'none';
  /** Replaces the card read from the sidecar. */
  card?: Record<string, unknown>;
  log?: (line: string) => void;
  /** Progress of the customer records (after every verified shard). */
  onProgress?: (progress: PublishProgress) => void;
}

interface PublishReport {
  seller: string;
  slot: string;
  pointer: ActivePointer;
  pruned: string[];
  /** Surfaces that the serving configuration now answers from this slot (they had no rule). */
  served: string[];
  /** Problems after the pointer moved (pruning, the serving fill): reported, not undone. */
  warnings: string[];
  store: string;
  bytes: number;
  customers: number;
}

/** Uploads an artifact as a new version of a seller's slot, verifies it, then makes it the slot's current version. */
export async function publish(options: PublishOptions): Promise<PublishReport> {
  const path = options.artifact;
  if (!existsSync(path)) throw new InputError(`${path}: no such artifact; write one with "plusone export"`);
  const artifact = new Uint8Array(await readFile(path));
  const side = sidecars(path);
  const customers = await readCustomerRecords(side.customers);
  const card = options.card ?? (existsSync(side.card) ? (JSON.parse(await readFile(side.card, 'utf8')) as Record<string, unknown>) : {});
  const r = await publishToStore(options.store, {
    seller: options.seller,
    artifact,
    customers,
    card,
    ...(options.slot !== undefined ? { slot: options.slot } : {}),
    ...(options.keep !== undefined ? { keep: options.keep } : {}),
    ...(options.serve !== undefined ? { serve: options.serve } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return {
    seller: options.seller,
    slot: r.slot,
    pointer: r.pointer,
    pruned: r.pruned,
    served: r.served,
    warnings: r.warnings,
    store: options.store.description,
    bytes: artifact.length,
    customers: customers.length,
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
