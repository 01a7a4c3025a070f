import { z } from 'zod';
import { choiceParam, defineKind, numberParam, type KindArtifactParts, type TrainedModel } from '../kind.js';
import type { ModelDirContents } from '../model-dir.js';
import { DEFAULT_OPTIONS, HybridMF, LOSSES, SCHEDULES, type HybridMFOptions } from './hybrid-mf.js';
import { hybridFromContents, hybridModelDir } from './persist.js';
import { HybridScorer } from './scorer.js';

const params = z
  .object({
    loss: choiceParam(LOSSES as ['logistic', 'bpr', 'warp', 'warp-kos'], DEFAULT_OPTIONS.loss),
    dim: numberParam({ integer: true, min: 1, max: 4096 }, DEFAULT_OPTIONS.dim),
    epochs: numberParam({ integer: true, min: 1 }, 30),
    learningRate: numberParam({ exclusiveMin: 0 }, DEFAULT_OPTIONS.learningRate),
    schedule: choiceParam(SCHEDULES as ['adagrad', 'adadelta'], DEFAULT_OPTIONS.schedule),
    rho: numberParam({ exclusiveMin: 0, max: 0.999999 }, DEFAULT_OPTIONS.rho),
    epsilon: numberParam({ exclusiveMin: 0 }, DEFAULT_OPTIONS.epsilon),
    itemAlpha: numberParam({ min: 0 }, DEFAULT_OPTIONS.itemAlpha),
    userAlpha: numberParam({ min: 0 }, DEFAULT_OPTIONS.userAlpha),
    maxSampled: numberParam({ integer: true, min: 1 }, DEFAULT_OPTIONS.maxSampled),
    k: numberParam({ integer: true, min: 1 }, DEFAULT_OPTIONS.k),
    n: numberParam({ integer: true, min: 1 }, DEFAULT_OPTIONS.n),
    seed: numberParam({ integer: true, min: 0 }, DEFAULT_OPTIONS.seed),
  })
  .superRefine((p, ctx) => {
    if (p.n < p.k) ctx.addIssue({ code: 'custom', path: ['n'], message: `(${p.n}) must be at least --k (${p.k})` });
  });

export type LightfmParams = z.infer<typeof params>;

function trained(
  model: HybridMF,
  parts: ReturnType<typeof hybridModelDir> & { dataset: TrainedModel['dataset'] },
  figures: Record<string, unknown>,
  details: Record<string, unknown> = {},
): TrainedModel {
  return {
    kind: 'lightfm',
    dataset: parts.dataset,
    train: parts.train,
    scorer: new HybridScorer(model),
    meta: parts.meta,
    arrays: parts.arrays,
    figures,
    details,
    artifactParts: () => {
      const items = model.getItemRepresentations();
      const users = model.getUserRepresentations();
      const dim = model.options.dim;
      return {
        vectors: { dim, items: items.embeddings, biases: items.biases },
        customers: { kind: 'vectors', dim, embeddings: users.embeddings, biases: users.biases },
        ...namedFeatures(model, parts.dataset),
      };
    },
  };
}

/**
 * Hybrid matrix factorisation, LightFM's model: users and items are sums of the embeddings
 * of their features, trained by SGD with logistic, BPR, WARP or k-OS WARP loss.
 */
export const lightfm = defineKind({
  name: 'lightfm',
  summary: 'hybrid matrix factorisation equivalent to LightFM (features, logistic/BPR/WARP/k-OS WARP)',
  params,
  flags: {
    loss: { flag: 'loss', value: 'L', help: `loss: ${LOSSES.join(', ')}` },
    dim: { flag: 'dim', value: 'N', help: 'embedding dimensions' },
    epochs: { flag: 'epochs', value: 'N', help: 'passes over the data' },
    learningRate: { flag: 'lr', value: 'X', help: 'learning rate (adagrad)' },
    schedule: { flag: 'schedule', value: 'S', help: `learning-rate schedule: ${SCHEDULES.join(', ')}` },
    rho: { flag: 'rho', value: 'X', help: 'adadelta decay' },
    epsilon: { flag: 'epsilon', value: 'X', help: 'adadelta epsilon' },
    itemAlpha: { flag: 'item-alpha', value: 'X', help: 'L2 penalty on item features' },
    userAlpha: { flag: 'user-alpha', value: 'X', help: 'L2 penalty on user features' },
    maxSampled: { flag: 'max-sampled', value: 'N', help: 'WARP: most negatives drawn per positive' },
    k: { flag: 'k', value: 'N', help: 'k-OS WARP: the k-th positive is the anchor' },
    n: { flag: 'n', value: 'N', help: 'k-OS WARP: positives drawn per step' },
    seed: { flag: 'seed', value: 'N', help: 'random seed' },
  },
  presets: { default: {}, logistic: { loss: 'logistic' }, bpr: { loss: 'bpr' }, 'warp-kos': { loss: 'warp-kos' } },
  surfaces: ['basket', 'similar', 'for-you'],
  usesFeatures: true,
  retrainCandidate: true,
  async fit(data, p, context) {
    const { epochs, ...options } = p;
    const hybrid = new HybridMF(options satisfies HybridMFOptions);
    const inter = data.interactions;
    const userFeatures = data.userFeatures ?? data.dataset.buildUserFeatures();
    const itemFeatures = data.itemFeatures ?? data.dataset.buildItemFeatures();
    // k-OS cannot weigh samples (as in LightFM): it trains on the binary interactions.
    const weights = p.loss === 'warp-kos' ? null : inter.weights;
    const report = await hybrid.fit(
      { users: inter.users, items: inter.items, weights, userFeatures, itemFeatures },
      { epochs, threads: context.threads, onEpoch: (e, sec) => context.onProgress?.(e, epochs, `${(sec * 1000).toFixed(0)} ms/epoch`) },
    );
    const s = [...report.epochSeconds].sort((a, b) => a - b);
    const median = s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2;
    const parts = hybridModelDir({ model: hybrid, userFeatures, itemFeatures, train: inter.csr });
    const figures = { loss: p.loss, epochs, fit_s: round(report.seconds), epoch_s_median: round(median), threads: report.threads };
    return trained(hybrid, { ...parts, dataset: data.dataset }, figures, { epoch_s: report.epochSeconds.map(round) });
  },
  fromContents(contents: ModelDirContents) {
    const saved = hybridFromContents(contents);
    return trained(saved.model, { meta: contents.meta, arrays: contents.arrays, train: saved.train, dataset: contents.dataset }, {});
  },
});

/**
 * The embeddings of the named item features (the columns after the identity block of the
 * item-feature matrix, spec/model-format.md "10 `item-features`"), for the edge to score
 * items the model never saw; nothing for a model trained without item features. The trainer
 * always normalises feature rows (LightFM's normalize=True).
 */
function namedFeatures(model: HybridMF, dataset: TrainedModel['dataset']): Pick<KindArtifactParts, 'features'> {
  const names = dataset.itemFeatures.toJSON();
  if (names.length === 0) return {};
  const p = model.exportParams();
  const d = p.dim;
  const first = p.itemBias.length - names.length;
  // The identity block comes first: as many columns as items when items have identity features, else none.
  if (first !== (dataset.itemIdentity ? dataset.items.size : 0)) {
    throw new Error(`the model has ${p.itemBias.length} item feature columns but its dataset names ${names.length} features and ${dataset.items.size} items`);
  }
  return {
    features: {
      names,
      embeddings: p.itemEmb.slice(first * d, (first + names.length) * d),
      biases: p.itemBias.slice(first, first + names.length),
      normalised: true,
      identity: dataset.itemIdentity,
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
