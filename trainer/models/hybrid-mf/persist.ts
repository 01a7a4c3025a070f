import type { Csr } from '../../data/sparse.js';
import type { Dataset } from '../../data/dataset.js';
import { readModelDir, writeModelDir, type ModelDirContents } from '../model-dir.js';
import { HybridMF, type HybridMFOptions } from './hybrid-mf.js';

/** A hybrid MF model with everything needed to score it again: mappings, features, train positives. */
export interface SavedHybrid {
  model: HybridMF;
  dataset: Dataset;
  userFeatures: Csr;
  itemFeatures: Csr;
  /** users x items training positives (their weights), excluded when evaluating. */
  train: Csr;
  meta: Record<string, unknown>;
}

function csrArrays(prefix: string, m: Csr): Record<string, Int32Array | Float32Array> {
  return { [`${prefix}.indptr`]: m.indptr, [`${prefix}.indices`]: m.indices, [`${prefix}.data`]: m.data };
}

function csrFrom(arrays: Record<string, unknown>, prefix: string, rows: number, cols: number): Csr {
  const indptr = arrays[`${prefix}.indptr`] as Int32Array;
  const indices = arrays[`${prefix}.indices`] as Int32Array;
  const data = arrays[`${prefix}.data`] as Float32Array;
  if (!indptr || !indices || !data || indptr.length !== rows + 1) throw new Error(`model directory: ${prefix} matrix is missing or has the wrong shape`);
  return { rows, cols, indptr, indices, data };
}

/** Saves a trained hybrid MF model as a model directory (type "lightfm"). */
export async function saveHybrid(dir: string, saved: Omit<SavedHybrid, 'model'> & { model: HybridMF }): Promise<void> {
  const p = saved.model.exportParams();
  await writeModelDir(dir, {
    type: 'lightfm',
    meta: {
      ...saved.meta,
      options: saved.model.options,
      shape: { users: saved.userFeatures.rows, items: saved.itemFeatures.rows, userFeatures: saved.userFeatures.cols, itemFeatures: saved.itemFeatures.cols, dim: p.dim },
    },
    dataset: saved.dataset,
    arrays: {
      itemEmb: p.itemEmb,
      itemBias: p.itemBias,
      userEmb: p.userEmb,
      userBias: p.userBias,
      ...csrArrays('userFeatures', saved.userFeatures),
      ...csrArrays('itemFeatures', saved.itemFeatures),
      ...csrArrays('train', saved.train),
    },
  });
}

/** Loads a model directory of type "lightfm". */
export async function loadHybrid(dir: string): Promise<SavedHybrid> {
  const contents = await readModelDir(dir);
  if (contents.type !== 'lightfm') throw new Error(`${dir} holds a ${contents.type} model, not lightfm`);
  return hybridFromContents(contents);
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
