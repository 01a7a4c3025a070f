import { availableParallelism } from 'node:os';
import { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import { readFeatures } from '../data/features.js';
import { readInteractions, type InteractionRows } from '../data/interactions.js';
import { ordersToInteractions, parseColumnsArg, readOrders } from '../data/orders.js';
import type { DatasetInteractions } from '../data/dataset.js';
import type { Csr } from '../data/sparse.js';
import { HybridMF, LOSSES, SCHEDULES } from '../models/hybrid-mf/hybrid-mf.js';
import { saveHybrid } from '../models/hybrid-mf/persist.js';
import { cosineNeighbors, easeNeighbors, ItemKnnModel } from '../models/item-knn/index.js';
import { csrToArrays } from '../models/knn/persist.js';
import { recencyWeights } from '../models/knn/recency.js';
import { writeModelDir } from '../models/model-dir.js';
import { PopularityModel } from '../models/popularity/index.js';
import { UserKnnModel } from '../models/user-knn/index.js';
import { choiceOption, command, numberOption, type CommandSpec } from './args.js';
import { Progress } from './progress.js';

export const MODELS = ['lightfm', 'item-knn', 'user-knn', 'popularity'] as const;
export type ModelType = (typeof MODELS)[number];
export const SIMILARITIES = ['ease', 'cosine'] as const;

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'train a recommendation model on interactions or orders',
  usage: 'plusone train (--train F | --orders F [--columns SPEC]) --model lightfm|item-knn|user-knn|popularity [options] --out DIR [--json]',
  options: {
    train: { type: 'string', value: 'F', help: 'interactions CSV: user_id,item_id[,weight][,timestamp] (gzip ok)' },
    orders: { type: 'string', value: 'F', help: 'orders CSV: order_id,customer_id,item_id,quantity,unit_price,timestamp (instead of --train)' },
    columns: { type: 'string', value: 'SPEC', help: 'header names of the orders file, e.g. order_id=InvoiceNo,item_id=StockCode' },
    'item-features': { type: 'string', value: 'F', help: 'item features CSV, long format id,feature[,weight]' },
    'user-features': { type: 'string', value: 'F', help: 'user features CSV, long format id,feature[,weight]' },
    'no-item-identity': { type: 'boolean', help: 'items only have their listed features (cold-start "content" model)' },
    'no-user-identity': { type: 'boolean', help: 'users only have their listed features' },
    model: { type: 'string', value: 'TYPE', help: `model type: ${MODELS.join(', ')}`, default: 'lightfm' },
    similarity: { type: 'string', value: 'S', help: 'item-knn: ease (closed-form ridge regression) or cosine', default: 'ease' },
    lambda: { type: 'string', value: 'X', help: 'item-knn EASE: L2 penalty', default: '100' },
    neighbors: { type: 'string', value: 'K', help: 'item-knn: weights kept per item; user-knn: neighbours per user', default: '50' },
    'max-items': { type: 'string', value: 'N', help: 'item-knn EASE: refuse catalogs above this many items (dense n x n solve)', default: '20000' },
    'half-life-days': { type: 'string', value: 'D', help: 'weigh each interaction by 0.5^(age / D days), age from the latest timestamp (needs timestamps)' },
    loss: { type: 'string', value: 'L', help: `loss: ${LOSSES.join(', ')}`, default: 'warp' },
    dim: { type: 'string', value: 'N', help: 'embedding dimensions', default: '32' },
    epochs: { type: 'string', value: 'N', help: 'passes over the data', default: '30' },
    lr: { type: 'string', value: 'X', help: 'learning rate (adagrad)', default: '0.05' },
    schedule: { type: 'string', value: 'S', help: `learning-rate schedule: ${SCHEDULES.join(', ')}`, default: 'adagrad' },
    rho: { type: 'string', value: 'X', help: 'adadelta decay', default: '0.95' },
    epsilon: { type: 'string', value: 'X', help: 'adadelta epsilon', default: '1e-6' },
    'item-alpha': { type: 'string', value: 'X', help: 'L2 penalty on item features', default: '0' },
    'user-alpha': { type: 'string', value: 'X', help: 'L2 penalty on user features', default: '0' },
    'max-sampled': { type: 'string', value: 'N', help: 'WARP: most negatives drawn per positive', default: '10' },
    k: { type: 'string', value: 'N', help: 'k-OS WARP: the k-th positive is the anchor', default: '5' },
    n: { type: 'string', value: 'N', help: 'k-OS WARP: positives drawn per step', default: '10' },
    seed: { type: 'string', value: 'N', help: 'random seed', default: '42' },
    threads: { type: 'string', value: 'N', help: 'training threads (Hogwild); 1 gives byte-identical runs', default: '2' },
    strict: { type: 'boolean', help: 'a malformed input row is fatal instead of skipped' },
    out: { type: 'string', value: 'DIR', help: 'output model directory', required: true },
    json: { type: 'boolean', help: 'print one JSON line with the figures, nothing else on stdout' },
  },
};

/** `plusone train`. */
export const trainCommand = command(trainSpec, async (values, io): Promise<number> => {
  const json = Boolean(values.json);
  const model = choiceOption(values, 'model', MODELS);
  const loss = choiceOption(values, 'loss', LOSSES);
  const schedule = choiceOption(values, 'schedule', SCHEDULES);
  const options = {
    loss,
    schedule,
    dim: numberOption(values, 'dim', { integer: true, min: 1, max: 4096 }),
    learningRate: numberOption(values, 'lr', { exclusiveMin: 0 }),
    rho: numberOption(values, 'rho', { exclusiveMin: 0, max: 0.999999 }),
    epsilon: numberOption(values, 'epsilon', { exclusiveMin: 0 }),
    itemAlpha: numberOption(values, 'item-alpha', { min: 0 }),
    userAlpha: numberOption(values, 'user-alpha', { min: 0 }),
    maxSampled: numberOption(values, 'max-sampled', { integer: true, min: 1 }),
    k: numberOption(values, 'k', { integer: true, min: 1 }),
    n: numberOption(values, 'n', { integer: true, min: 1 }),
    seed: numberOption(values, 'seed', { integer: true, min: 0 }),
  };
  if (options.n < options.k) throw new InputError(`--n (${options.n}) must be at least --k (${options.k})`);
  const epochs = numberOption(values, 'epochs', { integer: true, min: 1 });
  const threads = numberOption(values, 'threads', { integer: true, min: 1, max: Math.max(64, availableParallelism()) });
  const strict = Boolean(values.strict);
  const warn = (m: string) => io.err(`warning: ${m}`);
  const readOpts = { strict, onWarning: warn };

  const t0 = performance.now();
  const { rows, source } = await readTrainingInput(values, readOpts);
  if (typeof values['half-life-days'] === 'string') {
    const halfLife = numberOption(values, 'half-life-days', { exclusiveMin: 0 });
    if (!rows.timestamps) throw new InputError(`--half-life-days needs timestamps, and ${source} has no timestamp column`);
    const decay = recencyWeights(rows.timestamps, halfLife);
    rows.weights = Float32Array.from(decay, (d, i) => d * (rows.weights ? rows.weights[i] : 1));
  }
  const userFeatureRows = typeof values['user-features'] === 'string' ? await readFeatures(values['user-features'], readOpts) : undefined;
  const itemFeatureRows = typeof values['item-features'] === 'string' ? await readFeatures(values['item-features'], readOpts) : undefined;
  const noItemIdentity = Boolean(values['no-item-identity']);
  const noUserIdentity = Boolean(values['no-user-identity']);
  if (noItemIdentity && !itemFeatureRows) throw new InputError('--no-item-identity needs --item-features: items would have no features at all');
  if (noUserIdentity && !userFeatureRows) throw new InputError('--no-user-identity needs --user-features: users would have no features at all');
  if (model !== 'lightfm' && (userFeatureRows || itemFeatureRows)) {
    throw new InputError(`--model ${model} does not use features; drop --user-features/--item-features or use --model lightfm`);
  }

  const dataset = new Dataset({ userIdentity: !noUserIdentity, itemIdentity: !noItemIdentity });
  dataset.fit({ interactions: [rows], userFeatures: userFeatureRows, itemFeatures: itemFeatureRows });
  const inter = dataset.buildInteractions(rows, { unknown: 'error' });
  const loadSeconds = (performance.now() - t0) / 1000;
  if (!json) io.out(`read ${source}: ${rows.users.length} rows (${rows.skipped} skipped) -> ${inter.users.length} interactions, ${dataset.users.size} users, ${dataset.items.size} items`);

  const out = values.out as string;
  const common = { interactions: inter.users.length, users: dataset.users.size, items: dataset.items.size, load_s: round(loadSeconds) };
  let figures: Record<string, unknown>;
  if (model === 'lightfm') {
    const userFeatures = dataset.buildUserFeatures(userFeatureRows);
    const itemFeatures = dataset.buildItemFeatures(itemFeatureRows);
    if (!json && (userFeatureRows || itemFeatureRows)) io.out(`features: ${userFeatures.cols} user columns, ${itemFeatures.cols} item columns`);
    const hybrid = new HybridMF(options);
    // k-OS cannot weigh samples (as in LightFM): it trains on the binary interactions.
    const weights = loss === 'warp-kos' ? null : inter.weights;
    const progress = new Progress(`training ${model} (${loss})`, epochs, { enabled: !json });
    const report = await hybrid.fit(
      { users: inter.users, items: inter.items, weights, userFeatures, itemFeatures },
      { epochs, threads, onEpoch: (e, sec) => progress.update(e, `${(sec * 1000).toFixed(0)} ms/epoch`) },
    );
    progress.done();
    figures = { model, loss, epochs, fit_s: round(report.seconds), epoch_s_median: round(median(report.epochSeconds)), ...common, threads: report.threads };
    await saveHybrid(out, {
      model: hybrid,
      dataset,
      userFeatures,
      itemFeatures,
      train: inter.csr,
      meta: { training: { ...figures, source, item_features: values['item-features'] ?? null, user_features: values['user-features'] ?? null, epoch_s: report.epochSeconds.map(round) } },
    });
  } else {
    const fit = fitNeighborhood(model, values, inter, json ? null : new Progress('EASE: inverting the item-item matrix (%)', 100));
    figures = { model, ...fit.settings, fit_s: round(fit.seconds), ...common };
    await writeModelDir(out, { type: model, meta: { training: { ...figures, source } }, dataset, arrays: fit.arrays });
  }
  figures.max_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
  if (json) io.out(JSON.stringify(figures));
  else io.out(`trained ${model} in ${figures.fit_s} s; saved to ${out}`);
  return 0;
});

/** Fits item-knn, user-knn or popularity; returns the arrays to save and the settings used. */
function fitNeighborhood(
  model: Exclude<ModelType, 'lightfm'>,
  values: Record<string, unknown>,
  inter: DatasetInteractions,
  progress: Progress | null,
): { arrays: Record<string, Int32Array | Float32Array | Float64Array>; settings: Record<string, unknown>; seconds: number } {
  const X: Csr = inter.csr;
  const t0 = performance.now();
  const neighbors = numberOption(values, 'neighbors', { integer: true, min: 1 });
  if (model === 'item-knn') {
    const similarity = choiceOption(values, 'similarity', SIMILARITIES);
    let lambda: number | undefined;
    let weights: Csr;
    if (similarity === 'ease') {
      lambda = numberOption(values, 'lambda', { exclusiveMin: 0 });
      const maxItems = numberOption(values, 'max-items', { integer: true, min: 1 });
      try {
        weights = easeNeighbors(X, lambda, neighbors, { maxItems, onProgress: (done, total) => progress?.update(Math.round((100 * done) / total)) });
      } catch (err) {
        // Too many items for the dense solve: a user error with a way out, not a crash.
        if (err instanceof RangeError) throw new InputError(`${err.message.replace('maxItems', '--max-items')}`);
        throw err;
      }
      progress?.done();
    } else {
      weights = cosineNeighbors(X, neighbors);
    }
    const m = new ItemKnnModel(weights, X);
    return { arrays: m.toArrays(), settings: { similarity, ...(lambda !== undefined ? { lambda } : {}), neighbors }, seconds: (performance.now() - t0) / 1000 };
  }
  if (model === 'user-knn') {
    const m = new UserKnnModel(X, { neighbors });
    return { arrays: m.toArrays(), settings: { neighbors }, seconds: (performance.now() - t0) / 1000 };
  }
  const m = PopularityModel.fit(X);
  return { arrays: { ...m.toArrays(), ...csrToArrays('train', X) }, settings: {}, seconds: (performance.now() - t0) / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Reads --train (interactions) or --orders (order lines, with --columns). */
async function readTrainingInput(
  values: Record<string, unknown>,
  readOpts: { strict: boolean; onWarning: (m: string) => void },
): Promise<{ rows: InteractionRows; source: string }> {
  const train = values.train as string | undefined;
  const orders = values.orders as string | undefined;
  if (train && orders) throw new InputError('give either --train or --orders, not both');
  if (!train && !orders) throw new InputError('--train F or --orders F is required. See "plusone train --help".');
  if (values.columns !== undefined && !orders) throw new InputError('--columns maps the headers of an --orders file; use it with --orders');
  if (train) return { rows: await readInteractions(train, readOpts), source: train };
  const columns = typeof values.columns === 'string' ? parseColumnsArg(values.columns) : undefined;
  const lines = await readOrders(orders!, { ...readOpts, columns });
  const skipped = Object.entries(lines.skipped)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${why}`)
    .join(', ');
  if (skipped) readOpts.onWarning(`${orders}: order lines left out: ${skipped}`);
  return { rows: ordersToInteractions(lines, { weight: 'lines' }), source: orders! };
}

