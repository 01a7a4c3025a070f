import type { Dataset } from '../data/dataset.js';
import type { Csr } from '../data/sparse.js';
import type { HybridMF } from './hybrid-mf/hybrid-mf.js';
import { hybridFromContents } from './hybrid-mf/persist.js';
import { readModelDir, type ModelDirContents } from './model-dir.js';
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
  /** The model directory as read (its named arrays). */
  contents: ModelDirContents;
  /** The hybrid MF model itself, for type lightfm. */
  hybrid?: HybridMF;
}

/** Loads a model directory of any type and builds its scorer. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const contents = await readModelDir(dir);
  const base = { type: contents.type, dataset: contents.dataset, meta: contents.meta, contents };
  switch (contents.type) {
    case 'lightfm': {
      const saved = hybridFromContents(contents);
      return { ...base, train: saved.train, scorer: new HybridScorer(saved.model), hybrid: saved.model };
    }
    case 'item-knn': {
      const m = ItemKnnModel.fromArrays(contents.arrays);
      return { ...base, train: m.train, scorer: m };
    }
    case 'user-knn': {
      const m = UserKnnModel.fromArrays(contents.arrays);
      return { ...base, train: m.train, scorer: m };
    }
    case 'popularity': {
      const m = PopularityModel.fromArrays(contents.arrays);
      const train = csrFromArrays(contents.arrays, 'train', m.nItems, 'popularity model');
      return { ...base, train, scorer: m };
    }
    default:
      throw new Error(`${dir}: model type "${contents.type}" is not known to this trainer`);
  }
}
