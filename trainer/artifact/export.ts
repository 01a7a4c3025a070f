import { decodeArtifact } from '../../functions/format/decode.js';
import type { Quantization } from '../../functions/format/spec.js';
import { encodeUserRecord } from '../../functions/format/user-record.js';
import type { Csr } from '../data/sparse.js';
import { usersPerItem } from '../eval/beyond.js';
import { loadHybrid } from '../models/hybrid-mf/persist.js';
import { loadModel } from '../models/load.js';
import { readModelDir } from '../models/model-dir.js';
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

/** Items ranked by how many customers bought them (the fallback every artifact carries). */
function popularityRanking(train: Csr): { order: Int32Array; scores: Float32Array } {
  const counts = usersPerItem(train);
  const order = Int32Array.from({ length: counts.length }, (_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
  return { order, scores: Float32Array.from(order, (i) => counts[i]) };
}

/**
 * A customer's best `n` items from a scorer, their own training items left out (what the
 * edge serves to a known customer of a neighbourhood model).
 */
function topItems(scorer: Scorer, train: Csr, u: number, n: number, scores: Float32Array): { items: number[]; scores: number[] } {
  scorer.scoreUser(u, scores);
  for (let p = train.indptr[u]; p < train.indptr[u + 1]; p++) scores[train.indices[p]] = Number.NEGATIVE_INFINITY;
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (!(v > 0) || !Number.isFinite(v)) continue;
    if (best.length === n && v <= scores[best[n - 1]]) continue;
    let q = best.length < n ? best.push(i) - 1 : n - 1;
    while (q > 0 && scores[best[q - 1]] < v) {
      best[q] = best[q - 1];
      q--;
    }
    best[q] = i;
  }
  return { items: best, scores: best.map((i) => scores[i]) };
}

/**
 * Turns a trained model directory into an edge artifact (spec/model-format.md) and the
 * per-customer records that go to KV beside it.
 */
export async function exportModelDir(dir: string, options: ExportOptions): Promise<ExportResult> {
  const { type, meta } = await readModelDir(dir);
  const loaded = await loadModel(dir);
  const { dataset, train } = loaded;
  const itemIds = dataset.items.toJSON();
  const customers = dataset.users.toJSON();
  const topN = options.topN ?? 50;
  const input: ArtifactInput = {
    modelType: type as ArtifactInput['modelType'],
    itemIds,
    popularity: popularityRanking(train),
    meta: { source_model: type, ...meta },
    ...(options.catalog ? { catalog: options.catalog } : {}),
  };

  let vectors: { emb: Float32Array; bias: Float32Array; dim: number } | null = null;
  if (type === 'lightfm') {
    const saved = await loadHybrid(dir);
    const items = saved.model.getItemRepresentations();
    const users = saved.model.getUserRepresentations();
    input.dim = saved.model.options.dim;
    input.itemVectors = items.embeddings;
    input.itemBiases = items.biases;
    vectors = { emb: users.embeddings, bias: users.biases, dim: saved.model.options.dim };
  } else if (type === 'item-knn') {
    const contents = await readModelDir(dir);
    input.neighbours = {
      indptr: contents.arrays['neighbors.indptr'] as Int32Array,
      indices: contents.arrays['neighbors.indices'] as Int32Array,
      data: contents.arrays['neighbors.data'] as Float32Array,
    };
  } else if (type === 'popularity') {
    const scores = (await readModelDir(dir)).arrays.scores as Float32Array;
    const order = Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
    input.trending = { order, scores: Float32Array.from(order, (i) => scores[i]) };
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
    const lists = type === 'user-knn' ? (loaded.scorer as UserKnnModel).topN(topN) : null;
    for (let u = 0; u < customers.length; u++) {
      let items: ArrayLike<number>;
      let s: ArrayLike<number>;
      if (lists) {
        items = lists.items.subarray(lists.indptr[u], lists.indptr[u + 1]);
        s = lists.scores.subarray(lists.indptr[u], lists.indptr[u + 1]);
      } else {
        ({ items, scores: s } = topItems(loaded.scorer, train, u, topN, scores));
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
