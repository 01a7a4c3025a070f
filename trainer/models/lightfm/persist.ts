import type { Csr } from '../../data/sparse.js';
import type { Dataset } from '../../data/dataset.js';
import { csrToArrays, type NamedArrays } from '../knn/persist.js';
import type { ModelDirContents } from '../model-dir.js';
import { HybridMF, type HybridMFOptions } from './hybrid-mf.js';

/** A hybrid MF model with everything needed to score it again: mappings, features, train positives. */
interface SavedHybrid {
  model: HybridMF;
  dataset: Dataset;
  userFeatures: Csr;
  itemFeatures: Csr;
  /** users x items training positives (their weights), excluded when evaluating. */
  train: Csr;
  meta: Record<string, unknown>;
}

function csrFrom(arrays: Record<string, unknown>, prefix: string, rows: number, cols: number): Csr {
  const indptr = arrays[`${prefix}.indptr`] as Int32Array;
  const indices = arrays[`${prefix}.indices`] as Int32Array;
  const data = arrays[`${prefix}.data`] as Float32Array;
  if (!indptr || !indices || !data || indptr.length !== rows + 1) throw new Error(`model directory: ${prefix} matrix is missing or has the wrong shape`);
  return { rows, cols, indptr, indices, data };
}

/** The model directory of a trained hybrid MF model (type "lightfm"): its meta and arrays. */
export function hybridModelDir(saved: { model: HybridMF; userFeatures: Csr; itemFeatures: Csr; train: Csr }): {
  meta: Record<string, unknown>;
  arrays: NamedArrays;
  train: Csr;
} {
  const p = saved.model.exportParams();
  return {
    meta: {
      options: saved.model.options,
      shape: {
        users: saved.userFeatures.rows,
        items: saved.itemFeatures.rows,
        userFeatures: saved.userFeatures.cols,
        itemFeatures: saved.itemFeatures.cols,
        dim: p.dim,
      },
    },
    arrays: {
      itemEmb: p.itemEmb,
      itemBias: p.itemBias,
      userEmb: p.userEmb,
      userBias: p.userBias,
      ...csrToArrays('userFeatures', saved.userFeatures),
      ...csrToArrays('itemFeatures', saved.itemFeatures),
      ...csrToArrays('train', saved.train),
    },
    train: saved.train,
  };
}

/** Rebuilds a hybrid MF model from a model directory already read. */
export function hybridFromContents({ meta, dataset, arrays }: ModelDirContents): SavedHybrid {
  const shape = meta.shape as { users: number; items: number; userFeatures: number; itemFeatures: number; dim: number };
  const model = new HybridMF(meta.options as HybridMFOptions);
  const userFeatures = csrFrom(arrays, 'userFeatures', shape.users, shape.userFeatures);
  const itemFeatures = csrFrom(arrays, 'itemFeatures', shape.items, shape.itemFeatures);
  const train = csrFrom(arrays, 'train', shape.users, shape.items);
  model.importParams(
    {
      itemEmb: arrays.itemEmb as Float32Array,
      itemBias: arrays.itemBias as Float32Array,
      userEmb: arrays.userEmb as Float32Array,
      userBias: arrays.userBias as Float32Array,
    },
    { userFeatures, itemFeatures },
  );
  return { model, dataset, userFeatures, itemFeatures, train, meta };
}
