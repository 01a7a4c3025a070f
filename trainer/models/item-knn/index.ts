import { z } from 'zod';
import { InputError } from '../../data/errors.js';
import type { Csr } from '../../data/sparse.js';
import { choiceParam, defineKind, numberParam, type TrainedModel } from '../kind.js';
import { scoredTopLists } from '../knn/top-lists.js';
import type { Dataset } from '../../data/dataset.js';
import { cosineNeighbours } from './cosine.js';
import { easeNeighbours } from './ease.js';
import { ItemKnnModel } from './item-knn.js';

const SIMILARITIES = ['ease', 'cosine'] as const;

const params = z.object({
  similarity: choiceParam(SIMILARITIES, 'ease'),
  lambda: numberParam({ exclusiveMin: 0 }, 100),
  neighbours: numberParam({ integer: true, min: 1 }, 50),
  maxItems: numberParam({ integer: true, min: 1 }, 20_000),
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
      customers: { kind: 'top-items', topN: (n) => scoredTopLists(model, model.train, n) },
    }),
  };
}

/**
 * Item-item collaborative filtering: sparse top-K neighbours of every item, by EASE (a
 * closed-form ridge regression over the item x item Gram matrix) or cosine similarity.
 */
export const itemKnn = defineKind({
  name: 'item-knn',
  summary: 'item-item neighbours by EASE or cosine: "complete your order", "customers also bought"',
  params,
  flags: {
    similarity: { flag: 'similarity', value: 'S', help: `item-knn: ${SIMILARITIES.join(' (closed-form ridge regression) or ')}` },
    lambda: { flag: 'lambda', value: 'X', help: 'item-knn EASE: L2 penalty' },
    neighbours: { flag: 'neighbors', value: 'K', help: 'item-knn: weights kept per item; user-knn: neighbours per user' },
    maxItems: { flag: 'max-items', value: 'N', help: 'item-knn EASE: refuse catalogs above this many items (dense n x n solve)' },
  },
  presets: { default: {}, cosine: { similarity: 'cosine' } },
  usesFeatures: false,
  retrainCandidate: true,
  async fit(data, p, context) {
    const X: Csr = data.interactions.csr;
    const t0 = performance.now();
    let weights: Csr;
    if (p.similarity === 'ease') {
      try {
        weights = easeNeighbours(X, p.lambda, p.neighbours, {
          maxItems: p.maxItems,
          onProgress: (done, total) => context.onProgress?.(done, total, 'EASE: inverting the item-item matrix'),
        });
      } catch (err) {
        // Too many items for the dense solve: a user error with a way out, not a crash.
        if (err instanceof RangeError) throw new InputError(err.message.replace('maxItems', '--max-items'));
        throw err;
      }
    } else {
      weights = cosineNeighbours(X, p.neighbours);
    }
    const settings = { similarity: p.similarity, ...(p.similarity === 'ease' ? { lambda: p.lambda } : {}), neighbors: p.neighbours };
    return trained(new ItemKnnModel(weights, X), data.dataset, { ...settings, fit_s: round((performance.now() - t0) / 1000) });
  },
  fromContents(contents) {
    return trained(ItemKnnModel.fromArrays(contents.arrays), contents.dataset, {});
  },
});

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
