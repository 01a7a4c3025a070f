import type { Dataset } from '../data/dataset.js';
import type { Csr } from '../data/sparse.js';
import { readModelDir } from './model-dir.js';
import { loadHybrid } from './hybrid-mf/persist.js';
import { HybridScorer } from './hybrid-mf/scorer.js';
import { ItemKnnModel } from './item-knn/index.js';
import { csrFromArrays } from './knn/persist.js';
import { PopularityModel } from './popularity/index.js';
import type { Scorer } from './scorer.js';
import { UserKnnModel } from './user-knn/index.js';

/** A trained model of any type, ready to score. */
export interface LoadedModel {
  type: string;
  dataset: Dataset;
  /** users x items training interactions (weights), excluded from rankings by default. */
  train: Csr;
  scorer: Scorer;
  meta: Record<string, unknown>;
}

/** Loads a model directory of any type and builds its scorer. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const contents = await readModelDir(dir);
  switch (contents.type) {
    case 'lightfm': {
      const saved = await loadHybrid(dir);
      return { type: 'lightfm', dataset: saved.dataset, train: saved.train, scorer: new HybridScorer(saved.model), meta: saved.meta };
    }
    case 'item-knn': {
      const m = ItemKnnModel.fromArrays(contents.arrays);
      return { type: contents.type, dataset: contents.dataset, train: m.train, scorer: m, meta: contents.meta };
    }
    case 'user-knn': {
      const m = UserKnnModel.fromArrays(contents.arrays);
      return { type: contents.type, dataset: contents.dataset, train: m.train, scorer: m, meta: contents.meta };
    }
    case 'popularity': {
      const m = PopularityModel.fromArrays(contents.arrays);
      const train = csrFromArrays(contents.arrays, 'train', m.nItems, 'popularity model');
      return { type: contents.type, dataset: contents.dataset, train, scorer: m, meta: contents.meta };
    }
    default:
      throw new Error(`${dir}: model type "${contents.type}" is not known to this trainer`);
  }
}
