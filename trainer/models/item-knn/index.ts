import { z } from 'zod';
import { InputError } from '../../data/errors.js';
import type { Csr } from '../../data/sparse.js';
import { choiceParam, defineKind, numberParam, type FitContext, type TrainedModel, type TrainingData } from '../kind.js';
import type { Dataset } from '../../data/dataset.js';
import { cosineNeighbours } from './cosine.js';
import { easeNeighbours } from './ease.js';
import { easeApproxNeighboursThreaded, MAX_CANDIDATES } from './ease-approx.js';
import { ItemKnnModel } from './item-knn.js';

const SIMILARITIES = ['auto', 'ease', 'ease-approx', 'cosine'] as const;
/** What the rows of the matrix the item-item weights come from are: orders (auto, when the data has order ids) or customers. */
const ROWS = ['auto', 'orders', 'customers'] as const;

const params = z.object({
  similarity: choiceParam(SIMILARITIES, 'auto'),
  rows: choiceParam(ROWS, 'auto'),
  lambda: numberParam({ exclusiveMin: 0 }, 100),
  neighbours: numberParam({ integer: true, min: 1 }, 50),
  maxItems: numberParam({ integer: true, min: 1 }, 20_000),
  candidates: numberParam({ integer: true, min: 1, max: MAX_CANDIDATES }, 100),
  historyWeight: numberParam({ min: 0 }, 0),
  repeatBoost: numberParam({ min: 0 }, 0),
});

export type ItemKnnParams = z.infer<typeof params>;

function trained(model: ItemKnnModel, dataset: Dataset, figures: Record<string, unknown>): TrainedModel {
  const arrays = model.toArrays();
  return {
    kind: itemKnn.name,
    dataset,
    train: model.train,
    scorer: model,
    meta: {},
    arrays,
    figures,
    artifactParts: () => ({
      neighbours: model.neighbours,
      history: { historyWeight: model.historyWeight, repeatBoost: model.repeatBoost },
      customers: { kind: 'history' },
    }),
  };
}

/** Items with at least one interaction: the order of exact EASE's dense system. */
function itemsWithInteractions(X: Csr): number {
  const seen = new Uint8Array(X.cols);
  let n = 0;
  for (let p = 0; p < X.indices.length; p++) {
    if (seen[X.indices[p]] === 0) {
      seen[X.indices[p]] = 1;
      n++;
    }
  }
  return n;
}

/**
 * Item-item collaborative filtering: sparse top-K neighbours of every item, by EASE (a
 * closed-form ridge regression over the item x item Gram matrix), its scalable
 * approximation (the regression of each item on its most associated co-occurring items), or
 * cosine similarity. `auto` takes exact EASE up to `maxItems` items with interactions and
 * the approximation above.
 */
export const itemKnn = defineKind({
  name: 'item-knn',
  summary: 'item-item neighbours by EASE or cosine: "complete your order", "customers also bought"',
  params,
  flags: {
    similarity: {
      flag: 'similarity',
      value: 'S',
      help:
        'item-knn: auto (ease up to --max-items items, ease-approx above), ease (exact closed-form ridge regression), ' +
        "ease-approx (the regression on each item's --candidates most associated co-occurring items) or cosine",
    },
    rows: {
      flag: 'rows',
      value: 'R',
      help: 'item-knn: the rows of the matrix the weights come from: orders (each order a row: what is bought together) or customers (everything a customer bought); auto: orders when the input has order ids (--orders), else customers',
    },
    lambda: { flag: 'lambda', value: 'X', help: 'item-knn EASE: L2 penalty' },
    neighbours: { flag: 'neighbors', value: 'K', help: 'item-knn: weights kept per item; user-knn: neighbours per user' },
    maxItems: {
      flag: 'max-items',
      value: 'N',
      help: 'item-knn EASE: the most items with interactions for the exact dense n x n solve (auto switches to ease-approx above)',
    },
    candidates: {
      flag: 'candidates',
      value: 'C',
      help: `item-knn ease-approx: candidate items per regression, the co-occurring items a with the largest G[j][a] / (G[a][a] + lambda) (1-${MAX_CANDIDATES}; time grows as C^3)`,
    },
    historyWeight: {
      flag: 'history-weight',
      value: 'X',
      help: "item-knn: factor on a known customer's history (the neighbour rows of what they bought) in a query that has items",
    },
    repeatBoost: {
      flag: 'repeat-boost',
      value: 'X',
      help: 'item-knn: added to each item a known customer bought before, X * ln(1 + times bought), where --repeats lets them be offered again',
    },
  },
  presets: { default: {}, exact: { similarity: 'ease' }, approx: { similarity: 'ease-approx' }, cosine: { similarity: 'cosine' } },
  surfaces: ['basket', 'similar', 'for-you'],
  usesFeatures: false,
  retrainCandidate: true,
  async fit(data, p, context) {
    const rows = p.rows === 'auto' ? (data.orders ? 'orders' : 'customers') : p.rows;
    if (rows === 'orders' && !data.orders) {
      throw new InputError('--rows orders needs order ids: train from an orders file (--orders), or use --rows customers');
    }
    const X: Csr = rows === 'orders' ? data.orders! : data.interactions.csr;
    const t0 = performance.now();
    const weights = await fitWeights(X, p, context);
    const method = methodOf(X, p);
    const settings = {
      similarity: p.similarity,
      ...(p.similarity === 'auto' ? { method } : {}),
      rows,
      ...(method !== 'cosine' ? { lambda: p.lambda } : {}),
      ...(method === 'ease-approx' ? { candidates: p.candidates, threads: context.threads } : {}),
      neighbors: p.neighbours,
      ...(p.historyWeight > 0 ? { history_weight: p.historyWeight } : {}),
      ...(p.repeatBoost > 0 ? { repeat_boost: p.repeatBoost } : {}),
    };
    const model = new ItemKnnModel(weights, data.interactions.csr, { historyWeight: p.historyWeight, repeatBoost: p.repeatBoost });
    return trained(model, data.dataset, { ...settings, fit_s: round((performance.now() - t0) / 1000) });
  },
  fromContents(contents) {
    return trained(ItemKnnModel.fromArrays(contents.arrays), contents.dataset, {});
  },
});

/** The method `similarity` resolves to on X: auto takes exact EASE up to maxItems items with interactions. */
function methodOf(X: Csr, p: ItemKnnParams): 'ease' | 'ease-approx' | 'cosine' {
  return p.similarity === 'auto' ? (itemsWithInteractions(X) <= p.maxItems ? 'ease' : 'ease-approx') : p.similarity;
}

/**
 * The item x item weights from X (orders x items or customers x items), each row's
 * `neighbours` largest in magnitude (cosine: the largest). Exported for `tune`, which fits
 * once per setting and prunes the rows to each neighbour count it tries.
 */
export async function fitWeights(X: Csr, p: ItemKnnParams, context: FitContext): Promise<Csr> {
  const method = methodOf(X, p);
  if (method === 'ease') {
    try {
      return easeNeighbours(X, p.lambda, p.neighbours, {
        maxItems: p.maxItems,
        onProgress: (done, total) => context.onProgress?.(done, total, 'EASE: inverting the item-item matrix'),
      });
    } catch (err) {
      // Too many items for the dense solve: a user error with a way out, not a crash.
      if (err instanceof RangeError) throw new InputError(err.message.replace('maxItems', '--max-items'));
      throw err;
    }
  }
  if (method === 'ease-approx') {
    return easeApproxNeighboursThreaded(X, p.lambda, p.neighbours, {
      candidates: p.candidates,
      threads: context.threads,
      onProgress: (done, total) => context.onProgress?.(done, total, 'EASE (approximate): solving the candidate regressions'),
    });
  }
  return cosineNeighbours(X, p.neighbours);
}

/** An item-knn model from weights already fitted (tune), with the given history settings. */
export function itemKnnFromWeights(weights: Csr, data: TrainingData, p: ItemKnnParams, figures: Record<string, unknown>): TrainedModel {
  const model = new ItemKnnModel(weights, data.interactions.csr, { historyWeight: p.historyWeight, repeatBoost: p.repeatBoost });
  return trained(model, data.dataset, figures);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
