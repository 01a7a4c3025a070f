import { describe, expect, it } from 'vitest';
import { MODEL_TYPE_NAMES, SERVED_SURFACES } from '../../core/format/spec.js';
import { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import type { Csr } from '../data/sparse.js';
import { resolveParams, type ModelKind, type TrainingData } from './kind.js';
import { MODEL_KIND_NAMES, MODEL_KINDS, modelKind } from './registry.js';
import { describeScorerContract } from './scorer-contract.js';

/** Training data for a kind from a users x items matrix (ids u0.., i0..; every item known). */
function trainingData(train: Csr): TrainingData {
  const users: string[] = [];
  const items: string[] = [];
  for (let u = 0; u < train.rows; u++) {
    for (let p = train.indptr[u]; p < train.indptr[u + 1]; p++) {
      users.push(`u${u}`);
      items.push(`i${train.indices[p]}`);
    }
  }
  const dataset = new Dataset().fit({
    users: Array.from({ length: train.rows }, (_, u) => `u${u}`),
    items: Array.from({ length: train.cols }, (_, i) => `i${i}`),
  });
  const interactions = dataset.buildInteractions({ users, items, weights: null, timestamps: null, skipped: 0 }, { unknown: 'error' });
  return { dataset, interactions, userFeatures: null, itemFeatures: null };
}

// The one scorer contract, against every registered kind trained by its default preset,
// and item-knn's approximate EASE (which its default preset takes above --max-items).
describeScorerContract(
  'item-knn (registry, approx preset)',
  async (train) =>
    (await modelKind('item-knn').fit(trainingData(train), resolveParams(modelKind('item-knn'), {}, { preset: 'approx' }), { threads: 1 })).scorer,
);
for (const kind of MODEL_KINDS) {
  describeScorerContract(
    `${kind.name} (registry, default preset)`,
    async (train) => (await kind.fit(trainingData(train), resolveParams(kind), { threads: 1 })).scorer,
  );
}

describe('the model registry', () => {
  it('names the same kinds as the edge (core/format/spec.ts MODEL_TYPES)', () => {
    expect([...MODEL_KIND_NAMES].sort()).toEqual([...MODEL_TYPE_NAMES].sort());
  });

  it('has a valid default preset for every kind, and a flag for every hyperparameter', () => {
    for (const kind of MODEL_KINDS as ModelKind<Record<string, unknown>>[]) {
      const params = resolveParams(kind);
      expect(Object.keys(params).sort(), kind.name).toEqual(Object.keys(kind.flags).sort());
      for (const preset of Object.keys(kind.presets)) expect(() => resolveParams(kind, {}, { preset }), `${kind.name} ${preset}`).not.toThrow();
    }
  });

  it('finds a kind by name, and names the known ones otherwise', () => {
    expect(modelKind('user-knn').name).toBe('user-knn');
    expect(() => modelKind('svd')).toThrow(InputError);
    expect(() => modelKind('svd')).toThrow(/--model must be one of lightfm, item-knn, user-knn, popularity, got "svd"/);
  });

  it('checks hyperparameters with messages that name the bad one', () => {
    const lightfm = modelKind('lightfm') as ModelKind<Record<string, unknown>>;
    const itemKnn = modelKind('item-knn') as ModelKind<Record<string, unknown>>;
    expect(resolveParams(itemKnn, { lambda: '25' })).toMatchObject({ similarity: 'auto', lambda: 25, neighbours: 50, candidates: 100 });
    expect(() => resolveParams(itemKnn, { candidates: 0 }, { flagNames: true })).toThrow(/^--candidates must be >= 1, got "0"$/);
    expect(() => resolveParams(itemKnn, { candidates: 12.5 }, { flagNames: true })).toThrow(/^--candidates must be an integer, got "12.5"$/);
    expect(() => resolveParams(itemKnn, { candidates: 5000 }, { flagNames: true })).toThrow(/^--candidates must be <= 2000, got "5000"$/);
    expect(() => resolveParams(itemKnn, { similarity: 'sansa' }, { flagNames: true })).toThrow(
      /^--similarity must be one of auto, ease, ease-approx, cosine, got "sansa"$/,
    );
    expect(() => resolveParams(itemKnn, { lambda: -1 })).toThrow(/^item-knn lambda must be > 0, got "-1"$/);
    expect(() => resolveParams(itemKnn, { neighbours: 'many' }, { flagNames: true })).toThrow(/^--neighbors must be a number, got "many"$/);
    expect(() => resolveParams(lightfm, { loss: 'hinge' }, { flagNames: true })).toThrow(/^--loss must be one of logistic, bpr, warp, warp-kos, got "hinge"$/);
    expect(() => resolveParams(lightfm, { dim: 2.5 }, { flagNames: true })).toThrow(/^--dim must be an integer, got "2.5"$/);
    expect(() => resolveParams(lightfm, { k: 12 }, { flagNames: true })).toThrow(/^--n \(10\) must be at least --k \(12\)$/);
    expect(() => resolveParams(lightfm, { bogus: 1 })).toThrow(/lightfm has no hyperparameter "bogus"/);
    expect(() => resolveParams(lightfm, {}, { preset: 'fast' })).toThrow(/lightfm has no preset "fast" \(known: default, logistic, bpr, warp-kos\)/);
    expect(resolveParams(lightfm, {}, { preset: 'bpr' })).toMatchObject({ loss: 'bpr', epochs: 30, dim: 32 });
  });
});

describe('surfaces', () => {
  it('each kind serves at the edge what the edge says it answers', () => {
    for (const kind of MODEL_KINDS) expect([...kind.surfaces], kind.name).toEqual([...SERVED_SURFACES[kind.name]]);
  });
  it('user-knn answers no cart and no item (its artifact holds per-customer lists only)', () => {
    expect(modelKind('user-knn').surfaces).toEqual(['for-you']);
  });
});
