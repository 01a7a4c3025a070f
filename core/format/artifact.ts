import type { Catalog } from './catalog.js';
import { f16Table } from './f16.js';
import type { ItemTable } from './item-table.js';
import { FLAGS, type ModelType, type Quantization, type SectionKind } from './spec.js';

/** Stored values of a quantised tensor: i8, f16 bits or f32. */
export type QuantizedValues = Int8Array | Uint16Array | Float32Array;

/** Item vectors: `values[i * dim + j]`, with one scale per row for int8. */
export interface ItemVectors {
  quantization: Quantization;
  dim: number;
  values: QuantizedValues;
  /** Per-row scales (int8 only): value = values[k] * scales[row]. */
  scales: Float32Array | undefined;
}

/** Sparse item-item neighbours, CSR: row i is `indices[indptr[i]..indptr[i+1])`. */
export interface Neighbours {
  quantization: Quantization;
  indptr: Uint32Array;
  indices: Uint32Array;
  weights: QuantizedValues;
  /** Per-row scales (int8 only). */
  scales: Float32Array | undefined;
}

/**
 * The `item-features` section: the feature embeddings of a hybrid model and their names, from
 * which an item the artifact does not list is scored (spec/model-format.md, "10 `item-features`").
 */
export interface ItemFeatures {
  quantization: Quantization;
  dim: number;
  /** Whether an item's feature weights are divided by the sum of their absolute values before they are summed. */
  normalised: boolean;
  /** Whether every item of the training had its own identity feature (weight 1) beside its named features. */
  identity: boolean;
  /** The feature names, in row order (lookup by name: `names.indexOf`). */
  names: ItemTable;
  /** One bias per feature. */
  biases: Float32Array;
  /** F rows of `dim` values: `values[f * dim + j]`, with one scale per row for int8. */
  values: QuantizedValues;
  scales: Float32Array | undefined;
}

/** A ranking of items, best first. */
export interface Ranking {
  items: Uint32Array;
  scores: Float32Array;
}

/**
 * The `history` section: how a known customer's history enters the answers. An artifact
 * without the section is answered as before it existed ({@link LEGACY_HISTORY_SETTINGS}).
 */
export interface HistorySettings {
  /** Whether what the customer bought before may be answered on the basket surface (else it is left out, as the cart is). */
  repeatBasket: boolean;
  /** The same on the for-you surface. */
  repeatForYou: boolean;
  /** item-knn: factor on the customer's history rows in a query with known items (a query without any uses 1). */
  historyWeight: number;
  /** item-knn: added to each history item's score as boost x ln(1 + weight), where repeats are allowed. */
  repeatBoost: number;
}

/** What an artifact without a `history` section means: nothing left out, no history weight, no boost. */
export const LEGACY_HISTORY_SETTINGS: Readonly<HistorySettings> = Object.freeze({ repeatBasket: true, repeatForYou: true, historyWeight: 0, repeatBoost: 0 });

/** One entry of the section table. */
export interface SectionInfo {
  /** Kind number as stored. */
  kind: number;
  /** Kind name (`item-vectors`), or `kind <n>` for a kind this reader does not know. */
  name: SectionKind | `kind ${number}`;
  encoding: number;
  offset: number;
  byteLength: number;
  count: number;
  extra: number;
  checksum: number;
}

/** What {@link decodeArtifact} found, handed to the Artifact constructor. */
export interface ArtifactParts {
  formatVersion: number;
  modelType: ModelType;
  quantization: Quantization;
  flags: number;
  dim: number;
  byteLength: number;
  sections: readonly SectionInfo[];
  items: ItemTable;
  itemTableTag: number;
  vectors?: ItemVectors;
  biases?: Float32Array;
  neighbours?: Neighbours;
  popularity?: Ranking;
  trending?: Ranking;
  catalog?: Catalog;
  history?: HistorySettings;
  features?: ItemFeatures;
  meta: Record<string, unknown>;
}

/**
 * A decoded model artifact. The arrays are views into the artifact's bytes (nothing is
 * copied when the bytes start 8-byte aligned), so keep the Artifact, not the bytes.
 */
export class Artifact {
  readonly formatVersion: number;
  readonly modelType: ModelType;
  /** Quantisation of the item vectors and neighbour weights. */
  readonly quantization: Quantization;
  readonly flags: number;
  /** Item vector length (0 without item vectors). */
  readonly dim: number;
  readonly itemCount: number;
  /** Size of the encoded artifact. */
  readonly byteLength: number;
  readonly sections: readonly SectionInfo[];
  readonly items: ItemTable;
  /** Checksum of the `item-ids` section; per-customer records carry it to say which item order they use. */
  readonly itemTableTag: number;
  readonly vectors: ItemVectors | undefined;
  readonly biases: Float32Array | undefined;
  readonly neighbours: Neighbours | undefined;
  readonly popularity: Ranking | undefined;
  readonly trending: Ranking | undefined;
  readonly catalog: Catalog | undefined;
  /** The `history` section as stored; undefined when the artifact has none (see {@link Artifact.historySettings}). */
  readonly history: HistorySettings | undefined;
  /** The `item-features` section; undefined when the artifact has none (it then scores no item it does not list). */
  readonly features: ItemFeatures | undefined;
  /** The model card (`meta` section). */
  readonly meta: Record<string, unknown>;

  constructor(parts: ArtifactParts) {
    this.formatVersion = parts.formatVersion;
    this.modelType = parts.modelType;
    this.quantization = parts.quantization;
    this.flags = parts.flags;
    this.dim = parts.dim;
    this.itemCount = parts.items.count;
    this.byteLength = parts.byteLength;
    this.sections = parts.sections;
    this.items = parts.items;
    this.itemTableTag = parts.itemTableTag;
    this.vectors = parts.vectors;
    this.biases = parts.biases;
    this.neighbours = parts.neighbours;
    this.popularity = parts.popularity;
    this.trending = parts.trending;
    this.catalog = parts.catalog;
    this.history = parts.history;
    this.features = parts.features;
    this.meta = parts.meta;
  }

  /** Whether per-customer records are published for this artifact. */
  get hasUserRecords(): boolean {
    return (this.flags & FLAGS.userRecords) !== 0;
  }

  /** How a known customer's history enters the answers: the `history` section, or what an artifact without one means. */
  get historySettings(): Readonly<HistorySettings> {
    return this.history ?? LEGACY_HISTORY_SETTINGS;
  }

  /** The index of the item with this id, or -1. */
  itemIndex(id: string): number {
    return this.items.indexOf(id);
  }

  /** The id of item `i`. */
  itemId(i: number): string {
    return this.items.id(i);
  }

  /** Item `i`'s vector, dequantised into `out` (length >= dim), which is returned. */
  itemVector(i: number, out: Float32Array = new Float32Array(this.dim)): Float32Array {
    const v = this.vectors;
    if (v === undefined) throw new RangeError(`this ${this.modelType} artifact has no item vectors`);
    if (!(i >= 0 && i < this.itemCount)) throw new RangeError(`item index ${i} is out of range (0..${this.itemCount - 1})`);
    dequantize(v.values, v.quantization, v.scales === undefined ? 1 : v.scales[i], i * v.dim, v.dim, out);
    return out;
  }

  /**
   * Row `i`'s neighbour weights, dequantised into `out` (length >= the row's length);
   * returns the row length. The neighbours are `neighbours.indices` over the same range.
   */
  neighbourWeights(i: number, out: Float32Array): number {
    const nb = this.neighbours;
    if (nb === undefined) throw new RangeError(`this ${this.modelType} artifact has no neighbours`);
    if (!(i >= 0 && i < this.itemCount)) throw new RangeError(`item index ${i} is out of range (0..${this.itemCount - 1})`);
    const start = nb.indptr[i];
    const len = nb.indptr[i + 1] - start;
    dequantize(nb.weights, nb.quantization, nb.scales === undefined ? 1 : nb.scales[i], start, len, out);
    return len;
  }
}

/** Dequantises `values[start..start+len)` into `out[0..len)`. */
export function dequantize(values: QuantizedValues, q: Quantization, scale: number, start: number, len: number, out: Float32Array): void {
  if (q === 'int8') {
    for (let j = 0; j < len; j++) out[j] = values[start + j] * scale;
  } else if (q === 'f16') {
    const t = f16Table();
    for (let j = 0; j < len; j++) out[j] = t[values[start + j]];
  } else {
    for (let j = 0; j < len; j++) out[j] = values[start + j];
  }
}
