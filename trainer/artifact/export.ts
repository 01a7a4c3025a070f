import { decodeArtifact } from '../../core/format/decode.js';
import type { Quantization } from '../../core/format/spec.js';
import { encodeUserRecord } from '../../core/format/user-record.js';
import type { Csr } from '../data/sparse.js';
import { usersPerItem } from '../eval/beyond.js';
import { loadModel } from '../models/load.js';
import { TopK } from '../models/knn/top-k.js';
import type { Scorer } from '../models/scorer.js';
import { UserKnnModel } from '../models/user-knn/index.js';
import type { CatalogRow } from './catalog.js';
import { encodeArtifact, type ArtifactInput } from './encode.js';

/** One customer's record, for KV (`sellers/<seller>/models/<version>/users/<customer>`). */
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

export interface ExportOptions {
  quantize: Quantization;
  catalog?: ReadonlyMap<string, CatalogRow>;
  /** Length of the precomputed lists of the neighbourhood models (default 50). */
  topN?: number;
}

/** All items, best score first (ties by lower index), with their scores. */
function rankingOf(scores: ArrayLike<number>): { order: Int32Array; scores: Float32Array } {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
  return { order, scores: Float32Array.from(order, (i) => scores[i]) };
}

/**
 * A customer's best `n` items with a positive score, their own training items left out
 * (what the edge serves to a known customer of a neighbourhood model).
 */
function topItems(scorer: Scorer, train: Csr, u: number, top: TopK, scores: Float32Array): { items: Int32Array; scores: Float32Array } {
  scorer.scoreUser(u, scores);
  for (let p = train.indptr[u]; p < train.indptr[u + 1]; p++) scores[train.indices[p]] = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) if (scores[i] > 0 && Number.isFinite(scores[i])) top.push(i, scores[i]);
  const items = new Int32Array(top.size);
  const values = new Float32Array(top.size);
  top.drainBestFirst(items, values);
  return { items, scores: values };
}

/**
 * Turns a trained model directory into an edge artifact (spec/model-format.md) and the
 * per-customer records that go to KV beside it.
 */
export async function exportModelDir(dir: string, options: ExportOptions): Promise<ExportResult> {
  const loaded = await loadModel(dir);
  const { type, meta, dataset, train, contents } = loaded;
  const itemIds = dataset.items.toJSON();
  const customers = dataset.users.toJSON();
  const topN = options.topN ?? 50;
  const input: ArtifactInput = {
    modelType: type as ArtifactInput['modelType'],
    itemIds,
    popularity: rankingOf(usersPerItem(train)),
    meta: { source_model: type, ...meta },
    ...(options.catalog ? { catalog: options.catalog } : {}),
  };

  let vectors: { emb: Float32Array; bias: Float32Array; dim: number } | null = null;
  if (loaded.hybrid) {
    const items = loaded.hybrid.getItemRepresentations();
    const users = loaded.hybrid.getUserRepresentations();
    input.dim = loaded.hybrid.options.dim;
    input.itemVectors = items.embeddings;
    input.itemBiases = items.biases;
    vectors = { emb: users.embeddings, bias: users.biases, dim: loaded.hybrid.options.dim };
  } else if (type === 'item-knn') {
    input.neighbours = {
      indptr: contents.arrays['neighbors.indptr'] as Int32Array,
      indices: contents.arrays['neighbors.indices'] as Int32Array,
      data: contents.arrays['neighbors.data'] as Float32Array,
    };
  } else if (type === 'popularity') {
    input.trending = rankingOf(contents.arrays.scores as Float32Array);
  }
  input.userRecords = type !== 'popularity';
  const artifact = encodeArtifact(input, { quantize: options.quantize });
  const tag = decodeArtifact(artifact).itemTableTag;

  const records: CustomerRecord[] = [];
  if (vectors) {
    const { emb, bias, dim } = vectors;
    for (let u = 0; u < customers.length; u++) {
      const record = encodeUserRecord({ kind: 'user-vector', itemTableTag: tag, bias: bias[u], vector: emb.subarray(u * dim, u * dim + dim), quantize: options.quantize });
      records.push({ customer: customers[u], record });
    }
  } else if (type === 'item-knn' || type === 'user-knn') {
    const scores = new Float32Array(itemIds.length);
    const top = new TopK(topN);
    const lists = type === 'user-knn' ? (loaded.scorer as UserKnnModel).topN(topN) : null;
    for (let u = 0; u < customers.length; u++) {
      let items: ArrayLike<number>;
      let s: ArrayLike<number>;
      if (lists) {
        items = lists.items.subarray(lists.indptr[u], lists.indptr[u + 1]);
        s = lists.scores.subarray(lists.indptr[u], lists.indptr[u + 1]);
      } else {
        ({ items, scores: s } = topItems(loaded.scorer, train, u, top, scores));
      }
      if (items.length === 0) continue;
      records.push({ customer: customers[u], record: encodeUserRecord({ kind: 'top-items', itemTableTag: tag, items, scores: s }) });
    }
  }
  let matched: number | null = null;
  if (options.catalog) matched = itemIds.filter((id) => options.catalog!.has(id)).length;
  return {
    artifact,
    customers: records,
    summary: {
      model: type,
      items: itemIds.length,
      customers: records.length,
      quantize: options.quantize,
      artifact_bytes: artifact.length,
      customer_bytes: records.reduce((s, r) => s + r.record.length, 0),
      catalog_matched: matched,
    },
  };
}
