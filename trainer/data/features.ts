import { parseNumber } from './cells.js';
import { CsvFile } from './csv.js';
import type { ReadOptions } from './interactions.js';

/** Entity features in long format: entity `ids[i]` has feature `features[i]`. */
export interface FeatureRows {
  ids: string[];
  features: string[];
  /** Positive weights, or null when the file has none (every feature then weighs 1). */
  weights: Float32Array | null;
  /** Rows left out. */
  skipped: number;
}

/**
 * Reads `id,feature[,weight]` (plain or gzip CSV), one feature per row. The id column may be
 * named `id`, `user_id` or `item_id`. A weight must be a finite number > 0; a row that breaks
 * this is reported and skipped like any malformed row. A repeated (id, feature) pair is kept
 * and its weights add up when the feature matrix is built.
 */
export async function readFeatures(path: string, opts: ReadOptions = {}): Promise<FeatureRows> {
  const csv = await CsvFile.open(path, {
    ...opts,
    required: ['id', 'feature'],
    optional: ['weight'],
    aliases: { id: ['user_id', 'item_id'] },
    numeric: ['weight'],
  });
  const kId = csv.index('id');
  const kFeature = csv.index('feature');
  const kWeight = csv.index('weight');
  const hasWeight = csv.has('weight');
  const ids: string[] = [];
  const features: string[] = [];
  const weights: number[] = [];

  for await (const { line, values } of csv.rows()) {
    if (hasWeight) {
      const w = parseNumber(values[kWeight]);
      if (!(w > 0) || !Number.isFinite(Math.fround(w))) {
        const shown = JSON.stringify(values[kWeight]);
        csv.reject(line, `column "${csv.headerName('weight')}": ${shown} is not a number > 0`);
        continue;
      }
      weights.push(w);
    }
    ids.push(values[kId]);
    features.push(values[kFeature]);
  }
  return {
    ids,
    features,
    weights: hasWeight ? Float32Array.from(weights) : null,
    skipped: csv.skipped,
  };
}
