import type { TrainedModel } from './kind.js';
import { readModelDir, writeModelDir, type ModelDirContents } from './model-dir.js';
import { modelKind } from './registry.js';

/** A trained model read back from its model directory. */
interface LoadedModel extends TrainedModel {
  /** The model kind's name (the model directory's type). */
  type: string;
  /** The model directory as read (its named arrays). */
  contents: ModelDirContents;
}

/** Loads a model directory of any registered kind and builds its scorer. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const contents = await readModelDir(dir);
  const kind = modelKind(contents.type, `${dir}: model type`);
  const trained = kind.fromContents(contents);
  return { ...trained, meta: contents.meta, type: kind.name, contents };
}

/** Writes a trained model as a model directory, with `extraMeta` (e.g. the training figures) in its manifest. */
export async function saveModel(dir: string, model: TrainedModel, extraMeta: Record<string, unknown> = {}): Promise<void> {
  await writeModelDir(dir, { type: model.kind, meta: { ...extraMeta, ...model.meta }, dataset: model.dataset, arrays: model.arrays });
}
