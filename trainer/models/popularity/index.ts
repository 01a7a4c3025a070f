import { z } from 'zod';
import type { Csr } from '../../data/sparse.js';
import type { Dataset } from '../../data/dataset.js';
import { defineKind, type TrainedModel } from '../kind.js';
import { csrFromArrays, csrToArrays } from '../knn/persist.js';
import { PopularityModel } from './popularity.js';

const params = z.object({});

function trained(model: PopularityModel, train: Csr, dataset: Dataset, figures: Record<string, unknown>): TrainedModel {
  return {
    kind: popularity.name,
    dataset,
    train,
    scorer: model,
    meta: {},
    arrays: { ...model.toArrays(), ...csrToArrays('train', train) },
    figures,
    artifactParts: () => ({ trending: model.scores, customers: { kind: 'none' } }),
  };
}

/**
 * Popularity (with `--half-life-days`, trending): the summed interaction weights of each
 * item. The fallback of every surface.
 */
export const popularity = defineKind({
  name: 'popularity',
  summary: 'popularity, or trending with --half-life-days: the fallback',
  params,
  flags: {},
  presets: { default: {} },
  surfaces: ['basket', 'similar', 'for-you'],
  usesFeatures: false,
  retrainCandidate: false,
  async fit(data) {
    const t0 = performance.now();
    const model = PopularityModel.fit(data.interactions.csr);
    return trained(model, data.interactions.csr, data.dataset, { fit_s: round((performance.now() - t0) / 1000) });
  },
  fromContents(contents) {
    const model = PopularityModel.fromArrays(contents.arrays);
    return trained(model, csrFromArrays(contents.arrays, 'train', model.nItems, 'popularity model'), contents.dataset, {});
  },
});

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
