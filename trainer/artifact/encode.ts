import {
  align8,
  CATALOG_FLAGS,
  CATALOG_HEADER_BYTES,
  catalogLayout,
  ENTRY,
  f16Fits,
  FLAGS,
  FORMAT_VERSION,
  HEADER,
  HEADER_BYTES,
  HISTORY_FLAGS,
  HISTORY_SECTION_BYTES,
  ITEM_FEATURES_FLAGS,
  itemFeaturesLayout,
  itemIdsLayout,
  MAGIC,
  MODEL_TYPES,
  neighboursLayout,
  QUANTIZATIONS,
  quantizeF16,
  quantizeRowInt8,
  rankingLayout,
  REQUIRED_SECTIONS,
  SECTION_ENTRY_BYTES,
  SECTION_KINDS,
  vectorsLayout,
  xxh32,
  type HistorySettings,
  type ModelType,
  type Quantization,
  type SectionKind,
} from '../../core/format/index.js';
import type { CatalogRow } from './catalog.js';
import { buildStringTable } from '../../core/format/string-table.js';

/** Sparse rows (CSR) of item-item weights: row i is `indices/data[indptr[i]..indptr[i+1])`. */
export interface CsrInput {
  indptr: Int32Array | Uint32Array;
  indices: Int32Array | Uint32Array;
  data: Float32Array;
}

/** A ranking of item indices, best first, with their scores. */
export interface RankingInput {
  order: Uint32Array | Int32Array | readonly number[];
  scores: Float32Array | readonly number[];
}

/** What goes into an artifact, whatever the model type. Arrays are in item index order. */
export interface ArtifactInput {
  modelType: ModelType;
  itemIds: readonly string[];
  /** Item vector length; required with `itemVectors`. */
  dim?: number;
  /** n x dim, row-major (for lightfm: item representations, not raw feature embeddings). */
  itemVectors?: Float32Array;
  itemBiases?: Float32Array;
  neighbours?: CsrInput;
  popularity?: RankingInput;
  trending?: RankingInput;
  /** Display data: by item id (items not in the model are left out), or one row (or undefined) per item. */
  catalog?: ReadonlyMap<string, CatalogRow> | readonly (CatalogRow | null | undefined)[];
  /** The model card: version, created, training figures (a JSON object). */
  meta: Record<string, unknown>;
  /** Set the header flag that says per-customer records are published with this version. */
  userRecords?: boolean;
  /** How a known customer's history enters the answers (the `history` section); none: as before the section existed. */
  history?: HistorySettings;
  /** The feature embeddings of a hybrid model and their names (the `item-features` section; needs `itemVectors`). */
  itemFeatures?: ItemFeaturesInput;
}

/** What the `item-features` section holds: per named item feature, its embedding row and bias. */
export interface ItemFeaturesInput {
  /** The feature names (the item-features file's `feature` column), in row order. */
  names: readonly string[];
  /** names.length x dim, row-major: each feature's embedding (regularisation scale folded in). */
  embeddings: Float32Array;
  biases: Float32Array;
  /** Whether an item's feature weights are normalised to sum 1 before they are summed (the trainer always does). */
  normalised: boolean;
  /** Whether every item of the training had its own identity feature beside its named features (the trainer's default). */
  identity: boolean;
}

interface EncodeOptions {
  /** How item vectors and neighbour weights are stored. */
  quantize: Quantization;
}

interface Section {
  kind: SectionKind;
  encoding: number;
  count: number;
  extra: number;
  bytes: Uint8Array;
}

/** The input field that feeds each section. */
const INPUT_FIELD = {
  'item-ids': 'itemIds',
  'item-vectors': 'itemVectors',
  'item-biases': 'itemBiases',
  neighbours: 'neighbours',
  popularity: 'popularity',
  trending: 'trending',
  catalog: 'catalog',
  meta: 'meta',
  history: 'history',
  'item-features': 'itemFeatures',
} as const satisfies Record<SectionKind, keyof ArtifactInput>;

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * Encodes an artifact (spec/model-format.md, format version 1). Every input is checked
 * first; a bad one throws a RangeError naming the field, the row and what to do. The
 * output is deterministic: the same input gives the same bytes.
 */
export function encodeArtifact(input: ArtifactInput, opts: EncodeOptions): Uint8Array {
  if (!LITTLE_ENDIAN_HOST) throw new Error('artifacts are written as little-endian typed arrays; this machine is big-endian');
  const q = opts.quantize;
  if (!Object.hasOwn(QUANTIZATIONS, q)) throw new RangeError(`quantize must be "int8", "f16" or "f32", got ${JSON.stringify(q)}`);
  if (!Object.hasOwn(MODEL_TYPES, input.modelType)) {
    throw new RangeError(`modelType must be one of ${Object.keys(MODEL_TYPES).join(', ')}, got ${JSON.stringify(input.modelType)}`);
  }
  const missing = REQUIRED_SECTIONS[input.modelType].map((k) => INPUT_FIELD[k]).filter((f) => input[f] === undefined);
  if (missing.length > 0) throw new RangeError(`${input.modelType} artifacts need ${missing.join(' and ')}; the input has none`);

  const ids = input.itemIds;
  const n = ids.length;
  const sections: Section[] = [itemIdsSection(ids)];
  let dim = 0;
  if (input.itemVectors !== undefined) {
    dim = input.dim ?? 0;
    sections.push(vectorsSection(input.itemVectors, n, dim, q));
  }
  if (input.itemBiases !== undefined) sections.push(biasesSection(input.itemBiases, n));
  if (input.neighbours !== undefined) sections.push(neighboursSection(input.neighbours, n, q));
  if (input.popularity !== undefined) sections.push(rankingSection('popularity', input.popularity, n));
  if (input.trending !== undefined) sections.push(rankingSection('trending', input.trending, n));
  if (input.catalog !== undefined) sections.push(catalogSection(input.catalog, ids));
  sections.push(metaSection(input.meta));
  if (input.history !== undefined) sections.push(historySection(input.history));
  if (input.itemFeatures !== undefined) {
    if (input.itemVectors === undefined)
      throw new RangeError('itemFeatures needs itemVectors: the edge scores an unseen item beside the vectors of the others');
    sections.push(itemFeaturesSection(input.itemFeatures, dim, q));
  }
  return assemble(sections, {
    modelType: MODEL_TYPES[input.modelType],
    quantization: QUANTIZATIONS[q],
    flags: input.userRecords ? FLAGS.userRecords : 0,
    dim,
    n,
  });
}

function assemble(sections: Section[], head: { modelType: number; quantization: number; flags: number; dim: number; n: number }): Uint8Array {
  const tableEnd = HEADER_BYTES + sections.length * SECTION_ENTRY_BYTES;
  const offsets: number[] = [];
  let end = tableEnd;
  for (const s of sections) {
    const at = align8(end);
    offsets.push(at);
    end = at + s.bytes.length;
  }
  if (end > 0xffffffff) throw new RangeError(`the artifact would be ${end} bytes; the format stops at 4 GiB`);
  const out = new Uint8Array(end);
  const view = new DataView(out.buffer);
  sections.forEach((s, k) => {
    const e = HEADER_BYTES + k * SECTION_ENTRY_BYTES;
    view.setUint16(e + ENTRY.kind, SECTION_KINDS[s.kind], true);
    out[e + ENTRY.encoding] = s.encoding;
    view.setUint32(e + ENTRY.offset, offsets[k], true);
    view.setUint32(e + ENTRY.byteLength, s.bytes.length, true);
    view.setUint32(e + ENTRY.count, s.count, true);
    view.setUint32(e + ENTRY.extra, s.extra, true);
    view.setUint32(e + ENTRY.checksum, xxh32(s.bytes), true);
    out.set(s.bytes, offsets[k]);
  });
  out.set(MAGIC, HEADER.magic);
  out[HEADER.version] = FORMAT_VERSION;
  out[HEADER.modelType] = head.modelType;
  out[HEADER.quantization] = head.quantization;
  out[HEADER.sectionCount] = sections.length;
  view.setUint32(HEADER.flags, head.flags, true);
  view.setUint32(HEADER.dim, head.dim, true);
  view.setUint32(HEADER.itemCount, head.n, true);
  view.setUint32(HEADER.fileLength, end, true);
  view.setUint32(HEADER.tableChecksum, xxh32(out.subarray(HEADER_BYTES, tableEnd)), true);
  view.setUint32(HEADER.headerChecksum, xxh32(out.subarray(0, HEADER.headerChecksum)), true);
  return out;
}

/** The `history` section: flags, history weight, repeat boost. */
function historySection(h: HistorySettings): Section {
  for (const [name, v] of [
    ['historyWeight', h.historyWeight],
    ['repeatBoost', h.repeatBoost],
  ] as const) {
    if (!(Math.fround(v) >= 0 && Math.fround(v) < Infinity)) throw new RangeError(`history.${name} is ${v}; it must be a finite f32 >= 0`);
  }
  const bytes = new Uint8Array(HISTORY_SECTION_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, (h.repeatBasket ? HISTORY_FLAGS.repeatBasket : 0) | (h.repeatForYou ? HISTORY_FLAGS.repeatForYou : 0), true);
  view.setFloat32(4, h.historyWeight, true);
  view.setFloat32(8, h.repeatBoost, true);
  return { kind: 'history', encoding: 0, count: 0, extra: 0, bytes };
}

/** The `item-features` section: flags, names, biases, then the embeddings quantised as item vectors are. */
function itemFeaturesSection(input: ItemFeaturesInput, dim: number, q: Quantization): Section {
  const f = input.names.length;
  if (input.embeddings.length !== f * dim) {
    throw new RangeError(`itemFeatures.embeddings has ${input.embeddings.length} values; expected names.length x dim = ${f} x ${dim} = ${f * dim}`);
  }
  if (input.biases.length !== f) throw new RangeError(`itemFeatures.biases has ${input.biases.length} values; expected one per feature (${f})`);
  const encoder = new TextEncoder();
  const seen = new Map<string, number>();
  const encoded = input.names.map((name, k) => {
    if (typeof name !== 'string' || name === '')
      throw new RangeError(`itemFeatures.names[${k}] is ${JSON.stringify(name)}; feature names are non-empty strings`);
    const before = seen.get(name);
    if (before !== undefined) throw new RangeError(`itemFeatures.names[${k}]: ${JSON.stringify(name)} is also names[${before}]; feature names must be unique`);
    seen.set(name, k);
    return encoder.encode(name);
  });
  for (let k = 0; k < f; k++) checkValues(input.embeddings, k * dim, (k + 1) * dim, q, () => `itemFeatures row ${k} (${JSON.stringify(input.names[k])})`);
  checkValues(input.biases, 0, f, 'f32', () => 'itemFeatures.biases');
  const nameBytes = encoded.reduce((sum, b) => sum + b.length, 0);
  const lay = itemFeaturesLayout(f, nameBytes, dim, q);
  const b = block(lay.total);
  b.u32(0, 1)[0] = (input.normalised ? ITEM_FEATURES_FLAGS.normalised : 0) | (input.identity ? ITEM_FEATURES_FLAGS.identity : 0);
  const offsets = b.u32(lay.nameOffsets, f + 1);
  const names = b.u8(lay.names, nameBytes);
  let at = 0;
  encoded.forEach((e, k) => {
    names.set(e, at);
    at += e.length;
    offsets[k + 1] = at;
  });
  b.f32(lay.biases, f).set(input.biases);
  if (q === 'int8') {
    const scales = b.f32(lay.scales, f);
    const values = b.i8(lay.values, f * dim);
    for (let k = 0; k < f; k++) scales[k] = quantizeRowInt8(input.embeddings, k * dim, (k + 1) * dim, values);
  } else if (q === 'f16') {
    quantizeF16(input.embeddings, b.u16(lay.values, f * dim));
  } else {
    b.f32(lay.values, f * dim).set(input.embeddings);
  }
  return { kind: 'item-features', encoding: QUANTIZATIONS[q], count: f, extra: nameBytes, bytes: b.bytes };
}

/** A section of `total` zero bytes with typed views at offsets within it. */
function block(total: number) {
  const buffer = new ArrayBuffer(total);
  return {
    bytes: new Uint8Array(buffer),
    u8: (at: number, len: number) => new Uint8Array(buffer, at, len),
    u16: (at: number, len: number) => new Uint16Array(buffer, at, len),
    u32: (at: number, len: number) => new Uint32Array(buffer, at, len),
    i8: (at: number, len: number) => new Int8Array(buffer, at, len),
    f32: (at: number, len: number) => new Float32Array(buffer, at, len),
    f64: (at: number, len: number) => new Float64Array(buffer, at, len),
  };
}

function itemIdsSection(ids: readonly string[]): Section {
  const n = ids.length;
  if (n > 0xfffffffe) throw new RangeError(`${n} items; the format holds at most 4294967294`);
  const encoder = new TextEncoder();
  const seen = new Map<string, number>();
  const encoded = ids.map((id, i) => {
    if (typeof id !== 'string' || id === '') throw new RangeError(`itemIds[${i}] is ${JSON.stringify(id)}; item ids are non-empty strings`);
    const before = seen.get(id);
    if (before !== undefined) throw new RangeError(`itemIds[${i}]: ${JSON.stringify(id)} is also itemIds[${before}]; item ids must be unique`);
    seen.set(id, i);
    return encoder.encode(id);
  });
  const total = encoded.reduce((sum, b) => sum + b.length, 0);
  const lay = itemIdsLayout(n, total);
  const b = block(lay.total);
  const offsets = b.u32(lay.offsets, n + 1);
  const data = b.u8(lay.bytes, total);
  let at = 0;
  encoded.forEach((e, i) => {
    data.set(e, at);
    at += e.length;
    offsets[i + 1] = at;
  });
  return { kind: 'item-ids', encoding: 0, count: n, extra: total, bytes: b.bytes };
}

/** Checks that every value of `src[start..end)` can be stored with `q`; names the row otherwise. */
function checkValues(src: Float32Array, start: number, end: number, q: Quantization, where: () => string): void {
  for (let j = start; j < end; j++) {
    const ok = q === 'f16' ? f16Fits(src[j]) : Number.isFinite(src[j]);
    if (!ok) {
      const what = Number.isFinite(src[j]) ? `${src[j]}, beyond the f16 range (+-65504); use quantize "int8" or "f32"` : `${src[j]}; values must be finite`;
      throw new RangeError(`${where()}: value ${j - start} is ${what}`);
    }
  }
}

function vectorsSection(vectors: Float32Array, n: number, dim: number, q: Quantization): Section {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be an integer >= 1 with itemVectors, got ${dim}`);
  if (vectors.length !== n * dim) {
    throw new RangeError(`itemVectors has ${vectors.length} values; expected itemIds.length x dim = ${n} x ${dim} = ${n * dim}`);
  }
  for (let i = 0; i < n; i++) checkValues(vectors, i * dim, (i + 1) * dim, q, () => `itemVectors row ${i}`);
  const lay = vectorsLayout(n, dim, q);
  const b = block(lay.total);
  if (q === 'int8') {
    const scales = b.f32(lay.scales, n);
    const values = b.i8(lay.values, n * dim);
    for (let i = 0; i < n; i++) scales[i] = quantizeRowInt8(vectors, i * dim, (i + 1) * dim, values);
  } else if (q === 'f16') {
    quantizeF16(vectors, b.u16(lay.values, n * dim));
  } else {
    b.f32(lay.values, n * dim).set(vectors);
  }
  return { kind: 'item-vectors', encoding: QUANTIZATIONS[q], count: n, extra: 0, bytes: b.bytes };
}

function biasesSection(biases: Float32Array, n: number): Section {
  if (biases.length !== n) throw new RangeError(`itemBiases has ${biases.length} values; expected one per item (${n})`);
  checkValues(biases, 0, n, 'f32', () => 'itemBiases');
  const b = block(4 * n);
  b.f32(0, n).set(biases);
  return { kind: 'item-biases', encoding: 0, count: n, extra: 0, bytes: b.bytes };
}

function neighboursSection(m: CsrInput, n: number, q: Quantization): Section {
  const { indptr, indices, data } = m;
  if (indptr.length !== n + 1) throw new RangeError(`neighbours.indptr has ${indptr.length} entries; expected itemIds.length + 1 = ${n + 1}`);
  const nnz = indices.length;
  if (indptr[0] !== 0 || indptr[n] !== nnz)
    throw new RangeError(`neighbours.indptr must run from 0 to indices.length (${nnz}); it runs from ${indptr[0]} to ${indptr[n]}`);
  if (data.length !== nnz) throw new RangeError(`neighbours.data has ${data.length} values but indices has ${nnz}`);
  for (let i = 0; i < n; i++) {
    if (indptr[i + 1] < indptr[i]) throw new RangeError(`neighbours.indptr decreases at row ${i}`);
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      if (!(indices[p] >= 0 && indices[p] < n)) throw new RangeError(`neighbours row ${i} lists item ${indices[p]}; indices are 0..${n - 1}`);
    }
    checkValues(data, indptr[i], indptr[i + 1], q, () => `neighbours row ${i}`);
  }
  const lay = neighboursLayout(n, nnz, q);
  const b = block(lay.total);
  b.u32(lay.indptr, n + 1).set(indptr);
  b.u32(lay.indices, nnz).set(indices);
  if (q === 'int8') {
    const scales = b.f32(lay.scales, n);
    const weights = b.i8(lay.weights, nnz);
    for (let i = 0; i < n; i++) scales[i] = quantizeRowInt8(data, indptr[i], indptr[i + 1], weights);
  } else if (q === 'f16') {
    quantizeF16(data, b.u16(lay.weights, nnz));
  } else {
    b.f32(lay.weights, nnz).set(data);
  }
  return { kind: 'neighbours', encoding: QUANTIZATIONS[q], count: n, extra: nnz, bytes: b.bytes };
}

function rankingSection(kind: 'popularity' | 'trending', r: RankingInput, n: number): Section {
  const k = r.order.length;
  if (r.scores.length !== k) throw new RangeError(`${kind}.order has ${k} entries but ${kind}.scores has ${r.scores.length}`);
  if (k > n) throw new RangeError(`${kind} ranks ${k} items but there are ${n}`);
  const lay = rankingLayout(k);
  const b = block(lay.total);
  const items = b.u32(lay.items, k);
  const scores = b.f32(lay.scores, k);
  const seen = new Uint8Array(n);
  for (let p = 0; p < k; p++) {
    const i = r.order[p];
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`${kind}.order[${p}] is ${i}; item indices are 0..${n - 1}`);
    if (seen[i] !== 0) throw new RangeError(`${kind}.order[${p}]: item ${i} is ranked twice`);
    seen[i] = 1;
    if (!Number.isFinite(Math.fround(r.scores[p]))) throw new RangeError(`${kind}.scores[${p}] is ${r.scores[p]}; scores must be finite`);
    items[p] = i;
    scores[p] = r.scores[p];
  }
  return { kind, encoding: 0, count: k, extra: 0, bytes: b.bytes };
}

const STRING_FIELDS = ['title', 'url', 'image', 'category'] as const;

function catalogSection(catalog: NonNullable<ArtifactInput['catalog']>, ids: readonly string[]): Section {
  const n = ids.length;
  let rows: readonly (CatalogRow | null | undefined)[];
  if (Array.isArray(catalog)) {
    if (catalog.length !== n) throw new RangeError(`catalog has ${catalog.length} rows; expected one (or undefined) per item (${n}), or pass a Map by item id`);
    rows = catalog;
  } else {
    const byId = catalog as ReadonlyMap<string, CatalogRow>;
    rows = ids.map((id) => byId.get(id));
  }
  const table = buildStringTable(
    (function* () {
      for (const row of rows) for (const f of STRING_FIELDS) yield row?.[f] ?? '';
    })(),
  );
  const s = table.suffixes.length;
  const p = table.prefixes.length;
  const stringBytes = table.suffixes.reduce((sum, x) => sum + x.length, 0);
  const prefixBytes = table.prefixes.reduce((sum, x) => sum + x.length, 0);
  const lay = catalogLayout(n, s, stringBytes, p, prefixBytes);
  const b = block(lay.total);
  b.u32(0, CATALOG_HEADER_BYTES / 4).set([s, stringBytes, p, prefixBytes]);
  const columns = { title: b.u32(lay.title, n), url: b.u32(lay.url, n), image: b.u32(lay.image, n), category: b.u32(lay.category, n) };
  const price = b.f64(lay.price, n);
  const flags = b.u8(lay.flags, n);
  rows.forEach((row, i) => {
    price[i] = NaN;
    if (row === undefined || row === null) return;
    let f = CATALOG_FLAGS.listed;
    for (const field of STRING_FIELDS) {
      const v = row[field] ?? '';
      if (typeof v !== 'string') throw new RangeError(`catalog row of item ${JSON.stringify(ids[i])}: ${field} is not a string`);
      columns[field][i] = table.index.get(v)!;
    }
    if (row.price !== undefined && row.price !== null) {
      if (!Number.isFinite(row.price)) throw new RangeError(`catalog row of item ${JSON.stringify(ids[i])}: price ${row.price} is not a finite number`);
      price[i] = row.price;
    }
    if (row.inStock !== undefined && row.inStock !== null) {
      f |= CATALOG_FLAGS.stockKnown | (row.inStock ? CATALOG_FLAGS.inStock : 0);
    }
    flags[i] = f;
  });
  const pack = (parts: Uint8Array[], offsetsAt: number, dataAt: number, total: number) => {
    const offsets = b.u32(offsetsAt, parts.length + 1);
    const data = b.u8(dataAt, total);
    let at = 0;
    parts.forEach((part, k) => {
      data.set(part, at);
      at += part.length;
      offsets[k + 1] = at;
    });
  };
  pack(table.suffixes, lay.stringOffsets, lay.stringData, stringBytes);
  pack(table.prefixes, lay.prefixOffsets, lay.prefixData, prefixBytes);
  b.u16(lay.stringPrefix, s).set(table.prefixOf);
  return { kind: 'catalog', encoding: 0, count: n, extra: 0, bytes: b.bytes };
}

function metaSection(meta: Record<string, unknown>): Section {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new RangeError('meta must be a plain object (the model card)');
  let text: string;
  try {
    text = JSON.stringify(meta);
  } catch (err) {
    throw new RangeError(`meta cannot be written as JSON (${(err as Error).message})`);
  }
  const bytes = new TextEncoder().encode(text);
  return { kind: 'meta', encoding: 0, count: bytes.length, extra: 0, bytes };
}
