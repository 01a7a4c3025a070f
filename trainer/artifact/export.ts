import { decodeArtifact } from '../../core/format/decode.js';
import type { Quantization } from '../../core/format/spec.js';
import { encodeUserRecord } from '../../core/format/user-record.js';
import { usersPerItem } from '../eval/beyond.js';
import { repeatsOf, type RepeatSettings, type TrainedModel } from '../models/kind.js';
import type { CatalogRow } from './catalog.js';
import { encodeArtifact, type ArtifactInput } from './encode.js';

/** One customer's record (encodeUserRecord bytes); publish packs them into the version's customer shards. */
export interface CustomerRecord {
  customer: string;
  record: Uint8Array;
}

export interface ExportResult {
  artifact: Uint8Array;
  customers: CustomerRecord[];
  summary: {
    model: string;
    items: number;
    customers: number;
    quantize: Quantization;
    artifact_bytes: number;
    customer_bytes: number;
    catalog_matched: number | null;
  };
}

interface ExportOptions {
  quantize: Quantization;
  catalog?: ReadonlyMap<string, CatalogRow>;
  /** Length of the precomputed lists of the neighbourhood models (default 50). */
  topN?: number;
  /** Whether customers may be offered again what they bought, per surface; default the model's (`meta.repeats`), else none. */
  repeats?: RepeatSettings;
}

/** All items, best score first (ties by lower index), with their scores. */
function rankingOf(scores: ArrayLike<number>): { order: Int32Array; scores: Float32Array } {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return { order, scores: Float32Array.from(order, (i) => scores[i]) };
}

/**
 * Turns a trained model into an edge artifact (spec/model-format.md) and the per-customer
 * records published beside it (in customer shards). What depends on the model's kind comes from its
 * `artifactParts()` (trainer/models/<kind>/index.ts).
 */
export function exportTrained(model: TrainedModel, options: ExportOptions): ExportResult {
  const { kind, meta, dataset, train } = model;
  const itemIds = dataset.items.toJSON();
  const customers = dataset.users.toJSON();
  const topN = options.topN ?? 50;
  const parts = model.artifactParts();
  const input: ArtifactInput = {
    modelType: kind,
    itemIds,
    popularity: rankingOf(usersPerItem(train)),
    meta: { source_model: kind, ...meta },
    ...(options.catalog ? { catalog: options.catalog } : {}),
  };
  if (parts.vectors) {
    input.dim = parts.vectors.dim;
    input.itemVectors = parts.vectors.items;
    input.itemBiases = parts.vectors.biases;
  }
  if (parts.neighbours) input.neighbours = parts.neighbours;
  if (parts.features) input.itemFeatures = parts.features;
  if (parts.trending) input.trending = rankingOf(parts.trending);
  const repeats = options.repeats ?? repeatsOf(meta);
  // A kind without per-customer state still needs the customers' histories where a surface leaves out what they bought.
  const historyOnly = parts.customers.kind === 'none' && (!repeats.basket || !repeats['for-you']);
  input.userRecords = parts.customers.kind !== 'none' || historyOnly;
  input.history = { repeatBasket: repeats.basket, repeatForYou: repeats['for-you'], historyWeight: 0, repeatBoost: 0, ...parts.history };
  input.meta = { ...input.meta, repeats };
  const artifact = encodeArtifact(input, { quantize: options.quantize });
  const tag = decodeArtifact(artifact).itemTableTag;

  const records: CustomerRecord[] = [];
  const c = parts.customers;
  // A customer's history (their training items and weights), for the surfaces that leave
  // out what they bought, and for item-item, which scores it.
  const historyOf = (u: number) => ({
    items: train.indices.subarray(train.indptr[u], train.indptr[u + 1]),
    weights: train.data.subarray(train.indptr[u], train.indptr[u + 1]),
  });
  if (c.kind === 'vectors') {
    const withHistory = !repeats.basket || !repeats['for-you'];
    for (let u = 0; u < customers.length; u++) {
      const record = encodeUserRecord({
        kind: 'user-vector',
        itemTableTag: tag,
        bias: c.biases[u],
        vector: c.embeddings.subarray(u * c.dim, u * c.dim + c.dim),
        quantize: options.quantize,
        ...(withHistory && train.indptr[u + 1] > train.indptr[u] ? { history: historyOf(u) } : {}),
      });
      records.push({ customer: customers[u], record });
    }
  } else if (c.kind === 'top-items') {
    // A precomputed list answers for-you only; with repeats there it may hold the customer's own items.
    const forYou = repeats['for-you'];
    const lists = c.topN(topN, { repeats: forYou });
    for (let u = 0; u < customers.length; u++) {
      const from = lists.indptr[u];
      const to = lists.indptr[u + 1];
      const withHistory = !forYou && train.indptr[u + 1] > train.indptr[u];
      // A customer with nothing to recommend still needs a record for what to leave out of the fill.
      if (to === from && !withHistory) continue;
      records.push({
        customer: customers[u],
        record: encodeUserRecord({
          kind: 'top-items',
          itemTableTag: tag,
          items: lists.items.subarray(from, to),
          scores: lists.scores.subarray(from, to),
          ...(withHistory ? { history: historyOf(u) } : {}),
        }),
      });
    }
  } else if (c.kind === 'history' || historyOnly) {
    for (let u = 0; u < customers.length; u++) {
      if (train.indptr[u + 1] === train.indptr[u]) continue;
      records.push({ customer: customers[u], record: encodeUserRecord({ kind: 'history', itemTableTag: tag, history: historyOf(u) }) });
    }
  }
  let matched: number | null = null;
  if (options.catalog) matched = itemIds.filter((id) => options.catalog!.has(id)).length;
  return {
    artifact,
    customers: records,
    summary: {
      model: kind,
      items: itemIds.length,
      customers: records.length,
      quantize: options.quantize,
      artifact_bytes: artifact.length,
      customer_bytes: records.reduce((s, r) => s + r.record.length, 0),
      catalog_matched: matched,
    },
  };
}
