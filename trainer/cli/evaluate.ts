import { readBaskets } from '../data/baskets.js';
import type { Dataset } from '../data/dataset.js';
import { readInteractions } from '../data/interactions.js';
import type { Csr } from '../data/sparse.js';
import { basketHitRate } from '../eval/basket.js';
import { evaluateRanking, summarize } from '../eval/metrics.js';
import { coverageAndNovelty, usersPerItem } from '../eval/beyond.js';
import { loadModel } from '../models/load.js';
import { choiceOption, command, numberOption, type CommandSpec } from './args.js';
import { Progress } from './progress.js';

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  summary: 'rank held-out interactions with a trained model and report p@k, r@k, auc, mrr, ndcg@k',
  usage: 'plusone evaluate --model DIR --test F [--train F] [--k 10] [--candidates all|test-only] [--baskets F] [--json]',
  options: {
    model: { type: 'string', value: 'DIR', help: 'model directory written by "plusone train"', required: true },
    test: { type: 'string', value: 'F', help: 'held-out positives: user_id,item_id', required: true },
    train: { type: 'string', value: 'F', help: "positives to leave out of each user's ranking (default: the model's training data)" },
    k: { type: 'string', value: 'N', help: 'cut-off of p@k, r@k, ndcg@k', default: '10' },
    candidates: { type: 'string', value: 'C', help: 'all: rank every item; test-only: only items absent from train (cold start)', default: 'all' },
    baskets: { type: 'string', value: 'F', help: 'held-out orders basket_id,user_id,item_id: adds basket_hr@k' },
    json: { type: 'boolean', help: 'print one JSON line with the metrics' },
  },
};

/** `plusone evaluate`. */
export const evaluateCommand = command(evaluateSpec, async (values, io): Promise<number> => {
  const json = Boolean(values.json);
  const k = numberOption(values, 'k', { integer: true, min: 1 });
  const candidatesMode = choiceOption(values, 'candidates', ['all', 'test-only'] as const);
  const warn = (m: string) => io.err(`warning: ${m}`);
  const t0 = performance.now();

  const saved = await loadModel(values.model as string);
  const { dataset, scorer } = saved;
  const test = await mapped(values.test as string, dataset, warn);
  const train = typeof values.train === 'string' ? (await mapped(values.train, dataset, warn)).csr : saved.train;
  if (test.skipped > 0) warn(`${values.test}: ${test.skipped} test rows name a user or item the model does not know; left out`);

  let candidates: Int32Array | null = null;
  if (candidatesMode === 'test-only') {
    // Items with no training interaction that appear in the test set: the cold items.
    const inTrain = new Uint8Array(dataset.items.size);
    for (let q = 0; q < train.indices.length; q++) inTrain[train.indices[q]] = 1;
    const inTest = new Uint8Array(dataset.items.size);
    for (let q = 0; q < test.csr.indices.length; q++) inTest[test.csr.indices[q]] = 1;
    const list: number[] = [];
    for (let i = 0; i < inTest.length; i++) if (inTest[i] && !inTrain[i]) list.push(i);
    candidates = Int32Array.from(list);
  }

  const progress = new Progress('evaluating', test.csr.rows, { enabled: !json });
  const metrics = evaluateRanking({
    test: test.csr,
    train,
    k,
    candidates,
    score: (u, out) => scorer.scoreUser(u, out),
    onProgress: (done) => progress.update(done),
    collectTop: true,
  });
  progress.done();
  const result: Record<string, number> = summarize(metrics, k);
  const beyond = coverageAndNovelty(metrics.top!, k, dataset.items.size, usersPerItem(saved.train), dataset.users.size);
  result[`coverage@${k}`] = beyond.coverage;
  result[`novelty@${k}`] = beyond.novelty;
  if (candidates) result.candidates = candidates.length;
  if (metrics.nanScores) warn(`${metrics.nanScores} scores were NaN (ranked last); the model may have diverged`);

  if (typeof values.baskets === 'string') {
    const { baskets, unknownItems } = await readBaskets(values.baskets, dataset, { onWarning: warn });
    if (unknownItems > 0) warn(`${values.baskets}: ${unknownItems} basket lines name items the model does not know; left out`);
    const hr = basketHitRate({ baskets, nItems: scorer.nItems, k, scoreBasket: (u, items, out) => scorer.scoreItems(items, u, out) });
    result[`basket_hr@${k}`] = hr.hitRate;
    result.basket_pairs = hr.pairs;
  }
  result.eval_s = Math.round((performance.now() - t0) / 10) / 100;

  if (json) {
    io.out(JSON.stringify(roundAll(result)));
  } else {
    for (const [key, v] of Object.entries(roundAll(result))) io.out(`${key.padEnd(14)} ${v}`);
  }
  return 0;
});

function roundAll(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([key, v]) => [key, Number.isInteger(v) ? v : Math.round(v * 1e4) / 1e4]));
}

/** Reads a user_id,item_id file and maps it through the model's ids; unknown ids are skipped. */
async function mapped(path: string, dataset: Dataset, warn: (m: string) => void): Promise<{ csr: Csr; skipped: number }> {
  const rows = await readInteractions(path, { onWarning: warn });
  const built = dataset.buildInteractions(rows, { unknown: 'skip' });
  return { csr: built.csr, skipped: built.skippedUnknown };
}
