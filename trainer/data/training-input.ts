import type { TrainingData } from '../models/kind.js';
import { Dataset } from './dataset.js';
import type { FeatureRows } from './features.js';
import { readInteractions, type InteractionRows } from './interactions.js';
import { orderRows } from './order-rows.js';
import { ordersToInteractions, readOrders } from './orders.js';

/** Where training data comes from: an interactions file, or an orders file (with its header names). */
export type TrainingInput = { interactions: string } | { orders: string; columns?: Record<string, string> };

/** Training lines as read: interactions (one per line), the order id of each line for an orders file, and the file's name. */
export interface ReadTraining {
  rows: InteractionRows;
  orderIds: string[] | null;
  source: string;
}

/** Reads interactions, or order lines turned into interactions (one per line) with their order ids. */
export async function readTrainingInput(input: TrainingInput, readOpts: { strict: boolean; onWarning: (m: string) => void }): Promise<ReadTraining> {
  if ('interactions' in input) return { rows: await readInteractions(input.interactions, readOpts), orderIds: null, source: input.interactions };
  const lines = await readOrders(input.orders, { ...readOpts, columns: input.columns });
  const skipped = Object.entries(lines.skipped)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${why}`)
    .join(', ');
  if (skipped) readOpts.onWarning(`${input.orders}: order lines left out: ${skipped}`);
  return { rows: ordersToInteractions(lines, { weight: 'lines' }), orderIds: lines.orderIds, source: input.orders };
}

/** What {@link trainingData} builds from besides the lines. */
interface TrainingDataOptions {
  /** Whether the kind uses features (hybrid MF). */
  usesFeatures: boolean;
  userFeatures?: FeatureRows;
  itemFeatures?: FeatureRows;
  itemIdentity?: boolean;
  userIdentity?: boolean;
  /** The lines' weights are recency weights (a half-life): order rows take them too. */
  recencyWeighted?: boolean;
}

/**
 * Indexes training lines for a kind's `fit`: the dataset (ids, features), the customer x
 * item interactions, the features when the kind uses them, and the order x item matrix when
 * the lines have order ids.
 */
export function trainingData(rows: InteractionRows, orderIds: readonly string[] | null, options: TrainingDataOptions): TrainingData {
  const dataset = new Dataset({ userIdentity: options.userIdentity ?? true, itemIdentity: options.itemIdentity ?? true });
  dataset.fit({ interactions: [rows], userFeatures: options.userFeatures, itemFeatures: options.itemFeatures });
  const interactions = dataset.buildInteractions(rows, { unknown: 'error' });
  const uses = options.usesFeatures;
  return {
    dataset,
    interactions,
    userFeatures: uses ? dataset.buildUserFeatures(options.userFeatures) : null,
    itemFeatures: uses ? dataset.buildItemFeatures(options.itemFeatures) : null,
    orders: orderIds ? orderRows(orderIds, rows.items, dataset, options.recencyWeighted ? rows.weights : null) : null,
  };
}
