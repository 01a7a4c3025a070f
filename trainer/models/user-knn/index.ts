import { z } from 'zod';
import type { Dataset } from '../../data/dataset.js';
import { defineKind, numberParam, type TrainedModel } from '../kind.js';
import { UserKnnModel } from './user-knn.js';

const params = z.object({
  neighbours: numberParam({ integer: true, min: 1 }, 50),
});

export type UserKnnParams = z.infer<typeof params>;

function trained(model: UserKnnModel, dataset: Dataset, figures: Record<string, unknown>): TrainedModel {
  return {
    kind: userKnn.name,
    dataset,
    train: model.train,
    scorer: model,
    meta: {},
    arrays: model.toArrays(),
    figures,
    artifactParts: () => ({ customers: { kind: 'top-items', topN: (n, options) => model.topN(n, options) } }),
  };
}

/** User-user collaborative filtering: what the customers most like you bought. */
export const userKnn = defineKind({
  name: 'user-knn',
  summary: 'user-user neighbours: lookalike customers, "what people like you bought"',
  params,
  flags: {
    neighbours: { flag: 'neighbors', value: 'K', help: 'item-knn: weights kept per item; user-knn: neighbours per user' },
  },
  presets: { default: {} },
  surfaces: ['for-you'],
  usesFeatures: false,
  retrainCandidate: true,
  async fit(data, p) {
    const t0 = performance.now();
    const model = new UserKnnModel(data.interactions.csr, { neighbours: p.neighbours });
    return trained(model, data.dataset, { neighbors: p.neighbours, fit_s: round((performance.now() - t0) / 1000) });
  },
  fromContents(contents) {
    return trained(UserKnnModel.fromArrays(contents.arrays), contents.dataset, {});
  },
});

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
