import {
  Artifact,
  type ArtifactParts,
  type HistorySettings,
  type ItemFeatures,
  type Neighbours,
  type QuantizedValues,
  type Ranking,
  type SectionInfo,
} from './artifact.js';
import { Catalog } from './catalog.js';
import { xxh32 } from './checksum.js';
import { FormatError, hex32 } from './errors.js';
import { ItemTable } from './item-table.js';
import { CATALOG_HEADER_BYTES, catalogLayout, itemFeaturesLayout, itemIdsLayout, neighboursLayout, rankingLayout, vectorsLayout } from './layout.js';
import {
  align8,
  CATALOG_FLAGS,
  ENTRY,
  FORMAT_VERSION,
  HEADER,
  HISTORY_FLAGS,
  HISTORY_SECTION_BYTES,
  HEADER_BYTES,
  ITEM_FEATURES_FLAGS,
  KNOWN_FLAGS,
  MAGIC,
  MAX_PREFIXES,
  MODEL_TYPES,
  nameOf,
  QUANTIZATIONS,
  REQUIRED_FLAG_MASK,
  REQUIRED_SECTIONS,
  SECTION_ENTRY_BYTES,
  SECTION_KINDS,
  type Quantization,
  type SectionKind,
} from './spec.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const ANY_CATALOG_FLAG = CATALOG_FLAGS.listed | CATALOG_FLAGS.stockKnown | CATALOG_FLAGS.inStock;

/** `0x0000abcd` for a number. */
function hexNum(x: number): string {
  return `0x${(x >>> 0).toString(16).padStart(8, '0')}`;
}

function enumList(table: Readonly<Record<string, number>>): string {
  return Object.entries(table)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

/**
 * Decodes a model artifact (spec/model-format.md). Checks, in order: magic, format
 * version, header checksum and fields, section table bounds and checksum, each section's
 * position and bounds, the file length, padding, every section checksum, then each known
 * section's layout and contents. Any problem throws a {@link FormatError} naming it.
 *
 * The returned arrays are views into the bytes when they start 8-byte aligned (an
 * ArrayBuffer always does); otherwise the bytes are copied once.
 */
export function decodeArtifact(input: ArrayBuffer | Uint8Array): Artifact {
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const len = bytes.length;
  if (len < 4 || !MAGIC.every((b, k) => bytes[k] === b)) {
    const got = len < 4 ? `only ${len} byte${len === 1 ? '' : 's'}` : `magic ${hex32(bytes)}`;
    throw new FormatError(`not a PlusOne model artifact (${got}, expected ${hex32(MAGIC)} "P1MA")`, 'header');
  }
  if (len <= HEADER.version) throw new FormatError(`truncated: the header ends at byte ${HEADER_BYTES} but the file has ${len}`, 'header');
  const version = bytes[HEADER.version];
  if (version !== FORMAT_VERSION) {
    throw new FormatError(`unsupported format version ${version}; this reader supports ${FORMAT_VERSION}`, 'header');
  }
  if (len < HEADER_BYTES) throw new FormatError(`truncated: the header ends at byte ${HEADER_BYTES} but the file has ${len}`, 'header');
  if (!LITTLE_ENDIAN_HOST) throw new FormatError('artifacts are read as little-endian typed arrays; this host is big-endian');
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const u32 = (at: number) => view.getUint32(at, true);

  // Header.
  if (xxh32(bytes.subarray(0, HEADER.headerChecksum)) !== u32(HEADER.headerChecksum)) {
    throw new FormatError('checksum mismatch in header', 'header');
  }
  const modelType = nameOf(MODEL_TYPES, bytes[HEADER.modelType]);
  if (modelType === undefined) {
    throw new FormatError(`unknown model type ${bytes[HEADER.modelType]} in the header; this reader knows ${enumList(MODEL_TYPES)}`, 'header');
  }
  const quantization = nameOf(QUANTIZATIONS, bytes[HEADER.quantization]);
  if (quantization === undefined) {
    throw new FormatError(`unknown quantisation ${bytes[HEADER.quantization]} in the header; this reader knows ${enumList(QUANTIZATIONS)}`, 'header');
  }
  const flags = u32(HEADER.flags);
  const unknownRequired = flags & REQUIRED_FLAG_MASK & ~KNOWN_FLAGS;
  if (unknownRequired !== 0) {
    throw new FormatError(`the artifact needs features this reader does not have (flags ${hexNum(unknownRequired)}); update the reader`, 'header');
  }
  const sectionCount = bytes[HEADER.sectionCount];
  const dim = u32(HEADER.dim);
  const n = u32(HEADER.itemCount);
  const fileLength = u32(HEADER.fileLength);
  if (sectionCount === 0) throw new FormatError('the header lists no sections', 'header');

  // Section table.
  const tableEnd = HEADER_BYTES + sectionCount * SECTION_ENTRY_BYTES;
  if (tableEnd > len) throw new FormatError(`truncated: the section table ends at byte ${tableEnd} but the file has ${len}`, 'section table');
  if (xxh32(bytes.subarray(HEADER_BYTES, tableEnd)) !== u32(HEADER.tableChecksum)) {
    throw new FormatError('checksum mismatch in section table', 'section table');
  }
  const sections: SectionInfo[] = [];
  const byKind = new Map<SectionKind, SectionInfo>();
  let expected = align8(tableEnd);
  let previousEnd = tableEnd;
  for (let s = 0; s < sectionCount; s++) {
    const at = HEADER_BYTES + s * SECTION_ENTRY_BYTES;
    const kind = view.getUint16(at + ENTRY.kind, true);
    const known = nameOf(SECTION_KINDS, kind);
    const info: SectionInfo = {
      kind,
      name: known ?? `kind ${kind}`,
      encoding: bytes[at + ENTRY.encoding],
      offset: u32(at + ENTRY.offset),
      byteLength: u32(at + ENTRY.byteLength),
      count: u32(at + ENTRY.count),
      extra: u32(at + ENTRY.extra),
      checksum: u32(at + ENTRY.checksum),
    };
    if (sections.some((o) => o.kind === kind)) throw new FormatError(`section ${info.name} appears twice in the section table`, info.name);
    if (info.offset !== expected) {
      throw new FormatError(
        `section ${info.name} starts at byte ${info.offset}; expected ${expected} (sections follow each other at the next multiple of 8)`,
        info.name,
      );
    }
    const end = info.offset + info.byteLength;
    if (end > len) throw new FormatError(`truncated: section ${info.name} ends at byte ${end} but the file has ${len}`, info.name);
    checkPadding(bytes, previousEnd, info.offset);
    previousEnd = end;
    expected = align8(end);
    sections.push(info);
    if (known !== undefined) byKind.set(known, info);
  }
  if (len < fileLength) throw new FormatError(`truncated: the header says ${fileLength} bytes but the file has ${len}`, 'header');
  if (len > fileLength)
    throw new FormatError(`${len - fileLength} unexpected bytes after the end of the artifact (the header says ${fileLength} bytes)`, 'header');
  if (previousEnd !== fileLength) {
    throw new FormatError(`the header says the file has ${fileLength} bytes but its last section ends at byte ${previousEnd}`, 'header');
  }
  for (const info of sections) {
    if (xxh32(bytes.subarray(info.offset, info.offset + info.byteLength)) !== info.checksum) {
      throw new FormatError(`checksum mismatch in section ${info.name}`, info.name);
    }
  }

  // Sections.
  const sec = new SectionReader(bytes, n, quantization);
  for (const kind of ['item-ids', 'meta', ...REQUIRED_SECTIONS[modelType]] as SectionKind[]) {
    if (!byKind.has(kind)) throw new FormatError(`${modelType} artifacts need the ${kind} section; this one has none`, kind);
  }
  const idsInfo = byKind.get('item-ids')!;
  const parts: ArtifactParts = {
    formatVersion: version,
    modelType,
    quantization,
    flags,
    dim,
    byteLength: len,
    sections,
    items: sec.itemIds(idsInfo),
    itemTableTag: idsInfo.checksum,
    meta: sec.meta(byKind.get('meta')!),
  };
  const vectors = byKind.get('item-vectors');
  if (vectors !== undefined) {
    if (dim === 0) throw new FormatError('the artifact has item vectors but the header says dimension 0', 'header');
    parts.vectors = sec.vectors(vectors, dim);
  } else if (dim !== 0) {
    throw new FormatError(`the header says dimension ${dim} but the artifact has no item-vectors section`, 'header');
  }
  const biases = byKind.get('item-biases');
  if (biases !== undefined) parts.biases = sec.biases(biases);
  const neighbours = byKind.get('neighbours');
  if (neighbours !== undefined) parts.neighbours = sec.neighbours(neighbours);
  const popularity = byKind.get('popularity');
  if (popularity !== undefined) parts.popularity = sec.ranking(popularity);
  const trending = byKind.get('trending');
  if (trending !== undefined) parts.trending = sec.ranking(trending);
  const catalog = byKind.get('catalog');
  if (catalog !== undefined) parts.catalog = sec.catalog(catalog);
  const history = byKind.get('history');
  if (history !== undefined) parts.history = sec.history(history);
  const features = byKind.get('item-features');
  if (features !== undefined) {
    if (parts.vectors === undefined) throw new FormatError('the artifact has an item-features section but no item vectors to score with it', 'item-features');
    parts.features = sec.itemFeatures(features, dim);
  }
  return new Artifact(parts);
}

function checkPadding(bytes: Uint8Array, from: number, to: number): void {
  for (let p = from; p < to; p++) {
    if (bytes[p] !== 0) throw new FormatError(`padding byte at ${p} is not zero`);
  }
}

/** Checks `offsets` start at 0, never decrease and end at `end`. */
function checkOffsets(offsets: Uint32Array, end: number, section: string, what: string): void {
  if (offsets[0] !== 0) throw new FormatError(`section ${section}: ${what} start at ${offsets[0]}, not 0`, section);
  for (let k = 1; k < offsets.length; k++) {
    if (offsets[k] < offsets[k - 1]) throw new FormatError(`section ${section}: ${what} decrease at entry ${k}`, section);
  }
  const last = offsets[offsets.length - 1];
  if (last !== end) throw new FormatError(`section ${section}: ${what} end at ${last}, expected ${end}`, section);
}

function checkIndices(indices: Uint32Array, n: number, section: string, what: string): void {
  for (let k = 0; k < indices.length; k++) {
    if (indices[k] >= n) throw new FormatError(`section ${section}: ${what} ${k} is item ${indices[k]}, but there are ${n} items`, section);
  }
}

function checkScales(scales: Float32Array, section: string): void {
  for (let k = 0; k < scales.length; k++) {
    const s = scales[k];
    if (!(s >= 0 && s < Infinity)) throw new FormatError(`section ${section}: the int8 scale of row ${k} is ${s}; scales are finite and >= 0`, section);
  }
}

/** Typed views over the sections of one artifact, each checked against its table entry. */
class SectionReader {
  private readonly buffer: ArrayBufferLike;
  private readonly base: number;

  constructor(
    bytes: Uint8Array,
    private readonly n: number,
    private readonly quantization: Quantization,
  ) {
    this.buffer = bytes.buffer;
    this.base = bytes.byteOffset;
  }

  private u8(info: SectionInfo, at: number, length: number): Uint8Array {
    return new Uint8Array(this.buffer, this.base + info.offset + at, length);
  }
  private u16(info: SectionInfo, at: number, length: number): Uint16Array {
    return new Uint16Array(this.buffer, this.base + info.offset + at, length);
  }
  private u32(info: SectionInfo, at: number, length: number): Uint32Array {
    return new Uint32Array(this.buffer, this.base + info.offset + at, length);
  }
  private f32(info: SectionInfo, at: number, length: number): Float32Array {
    return new Float32Array(this.buffer, this.base + info.offset + at, length);
  }
  private f64(info: SectionInfo, at: number, length: number): Float64Array {
    return new Float64Array(this.buffer, this.base + info.offset + at, length);
  }
  private values(info: SectionInfo, q: Quantization, at: number, length: number): QuantizedValues {
    if (q === 'int8') return new Int8Array(this.buffer, this.base + info.offset + at, length);
    if (q === 'f16') return this.u16(info, at, length);
    return this.f32(info, at, length);
  }

  private expectLength(info: SectionInfo, total: number, what: string): void {
    if (info.byteLength !== total) {
      throw new FormatError(`section ${info.name} is ${info.byteLength} bytes; ${total} expected for ${what}`, info.name);
    }
  }

  private expectItemCount(info: SectionInfo): void {
    if (info.count !== this.n) throw new FormatError(`section ${info.name} has ${info.count} rows; the header says ${this.n} items`, info.name);
  }

  private plain(info: SectionInfo): void {
    if (info.encoding !== 0) throw new FormatError(`section ${info.name} has encoding ${info.encoding}; it is not quantised and must have 0`, info.name);
  }

  private quantised(info: SectionInfo): Quantization {
    const q = nameOf(QUANTIZATIONS, info.encoding);
    if (q === undefined)
      throw new FormatError(`section ${info.name} has unknown encoding ${info.encoding}; this reader knows ${enumList(QUANTIZATIONS)}`, info.name);
    if (q !== this.quantization) {
      throw new FormatError(`section ${info.name} is encoded ${q} but the header says ${this.quantization}; format version 1 uses one scheme`, info.name);
    }
    return q;
  }

  itemIds(info: SectionInfo): ItemTable {
    this.plain(info);
    this.expectItemCount(info);
    const lay = itemIdsLayout(this.n, info.extra);
    this.expectLength(info, lay.total, `${this.n} ids of ${info.extra} bytes`);
    const offsets = this.u32(info, lay.offsets, this.n + 1);
    checkOffsets(offsets, info.extra, info.name, 'id offsets');
    return new ItemTable(offsets, this.u8(info, lay.bytes, info.extra));
  }

  vectors(info: SectionInfo, dim: number) {
    const q = this.quantised(info);
    this.expectItemCount(info);
    const lay = vectorsLayout(this.n, dim, q);
    this.expectLength(info, lay.total, `${this.n} ${q} vectors of dimension ${dim}`);
    const scales = lay.scales < 0 ? undefined : this.f32(info, lay.scales, this.n);
    if (scales !== undefined) checkScales(scales, info.name);
    return { quantization: q, dim, values: this.values(info, q, lay.values, this.n * dim), scales };
  }

  biases(info: SectionInfo): Float32Array {
    this.plain(info);
    this.expectItemCount(info);
    this.expectLength(info, 4 * this.n, `${this.n} f32 biases`);
    return this.f32(info, 0, this.n);
  }

  neighbours(info: SectionInfo): Neighbours {
    const q = this.quantised(info);
    this.expectItemCount(info);
    const nnz = info.extra;
    const lay = neighboursLayout(this.n, nnz, q);
    this.expectLength(info, lay.total, `${this.n} rows and ${nnz} ${q} weights`);
    const indptr = this.u32(info, lay.indptr, this.n + 1);
    checkOffsets(indptr, nnz, info.name, 'row pointers');
    const indices = this.u32(info, lay.indices, nnz);
    checkIndices(indices, this.n, info.name, 'neighbour');
    const scales = lay.scales < 0 ? undefined : this.f32(info, lay.scales, this.n);
    if (scales !== undefined) checkScales(scales, info.name);
    return { quantization: q, indptr, indices, weights: this.values(info, q, lay.weights, nnz), scales };
  }

  ranking(info: SectionInfo): Ranking {
    this.plain(info);
    const k = info.count;
    if (k > this.n) throw new FormatError(`section ${info.name} ranks ${k} items but there are ${this.n}`, info.name);
    const lay = rankingLayout(k);
    this.expectLength(info, lay.total, `a ranking of ${k} items`);
    const items = this.u32(info, lay.items, k);
    checkIndices(items, this.n, info.name, 'entry');
    const seen = new Uint8Array(this.n);
    for (let r = 0; r < k; r++) {
      if (seen[items[r]] !== 0) throw new FormatError(`section ${info.name}: item ${items[r]} is ranked twice`, info.name);
      seen[items[r]] = 1;
    }
    return { items, scores: this.f32(info, lay.scores, k) };
  }

  catalog(info: SectionInfo): Catalog {
    this.plain(info);
    this.expectItemCount(info);
    const n = this.n;
    if (info.byteLength < CATALOG_HEADER_BYTES) this.expectLength(info, CATALOG_HEADER_BYTES, 'the catalog header');
    const head = this.u32(info, 0, 4);
    const [strings, stringBytes, prefixes, prefixBytes] = [head[0], head[1], head[2], head[3]];
    if (strings < 1) throw new FormatError(`section ${info.name}: the string table is empty; string 0 (the empty string) is always there`, info.name);
    if (prefixes < 1 || prefixes > MAX_PREFIXES) throw new FormatError(`section ${info.name}: ${prefixes} prefixes; 1 to ${MAX_PREFIXES} allowed`, info.name);
    const lay = catalogLayout(n, strings, stringBytes, prefixes, prefixBytes);
    this.expectLength(info, lay.total, `${n} items, ${strings} strings of ${stringBytes} bytes and ${prefixes} prefixes of ${prefixBytes} bytes`);
    const arrays = {
      title: this.u32(info, lay.title, n),
      url: this.u32(info, lay.url, n),
      image: this.u32(info, lay.image, n),
      category: this.u32(info, lay.category, n),
      price: this.f64(info, lay.price, n),
      flags: this.u8(info, lay.flags, n),
      stringOffsets: this.u32(info, lay.stringOffsets, strings + 1),
      stringPrefix: this.u16(info, lay.stringPrefix, strings),
      prefixOffsets: this.u32(info, lay.prefixOffsets, prefixes + 1),
      prefixBytes: this.u8(info, lay.prefixData, prefixBytes),
      stringBytes: this.u8(info, lay.stringData, stringBytes),
    };
    checkOffsets(arrays.stringOffsets, stringBytes, info.name, 'string offsets');
    checkOffsets(arrays.prefixOffsets, prefixBytes, info.name, 'prefix offsets');
    if (arrays.stringOffsets[1] !== 0 || arrays.stringPrefix[0] !== 0) {
      throw new FormatError(`section ${info.name}: string 0 must be the empty string`, info.name);
    }
    for (let k = 0; k < strings; k++) {
      if (arrays.stringPrefix[k] >= prefixes)
        throw new FormatError(`section ${info.name}: string ${k} has prefix ${arrays.stringPrefix[k]} of ${prefixes}`, info.name);
    }
    for (const column of ['title', 'url', 'image', 'category'] as const) {
      const col = arrays[column];
      for (let i = 0; i < n; i++) {
        if (col[i] >= strings) throw new FormatError(`section ${info.name}: the ${column} of item ${i} is string ${col[i]} of ${strings}`, info.name);
      }
    }
    for (let i = 0; i < n; i++) {
      if ((arrays.flags[i] & ~ANY_CATALOG_FLAG) !== 0)
        throw new FormatError(`section ${info.name}: item ${i} has unknown flag bits ${arrays.flags[i]}`, info.name);
    }
    return new Catalog(arrays);
  }

  history(info: SectionInfo): HistorySettings {
    this.plain(info);
    if (info.count !== 0 || info.extra !== 0)
      throw new FormatError(`section ${info.name} has count ${info.count} and extra ${info.extra}; both must be 0`, info.name);
    this.expectLength(info, HISTORY_SECTION_BYTES, 'the history settings');
    const view = new DataView(this.buffer, this.base + info.offset, HISTORY_SECTION_BYTES);
    const flags = view.getUint32(0, true);
    const known = HISTORY_FLAGS.repeatBasket | HISTORY_FLAGS.repeatForYou;
    if ((flags & ~known) !== 0) throw new FormatError(`section ${info.name} has unknown flag bits ${hexNum(flags & ~known)}`, info.name);
    const historyWeight = view.getFloat32(4, true);
    const repeatBoost = view.getFloat32(8, true);
    for (const [name, v] of [
      ['history weight', historyWeight],
      ['repeat boost', repeatBoost],
    ] as const) {
      if (!(v >= 0 && v < Infinity)) throw new FormatError(`section ${info.name}: the ${name} is ${v}; it must be finite and >= 0`, info.name);
    }
    if (view.getUint32(12, true) !== 0) throw new FormatError(`section ${info.name}: reserved bytes 12-15 are not zero`, info.name);
    return {
      repeatBasket: (flags & HISTORY_FLAGS.repeatBasket) !== 0,
      repeatForYou: (flags & HISTORY_FLAGS.repeatForYou) !== 0,
      historyWeight,
      repeatBoost,
    };
  }

  itemFeatures(info: SectionInfo, dim: number): ItemFeatures {
    const q = this.quantised(info);
    const f = info.count;
    const lay = itemFeaturesLayout(f, info.extra, dim, q);
    this.expectLength(info, lay.total, `${f} ${q} feature embeddings of dimension ${dim} and ${info.extra} bytes of names`);
    const head = this.u32(info, 0, 2);
    const known = ITEM_FEATURES_FLAGS.normalised | ITEM_FEATURES_FLAGS.identity;
    if ((head[0] & ~known) !== 0) throw new FormatError(`section ${info.name} has unknown flag bits ${hexNum(head[0] & ~known)}`, info.name);
    if (head[1] !== 0) throw new FormatError(`section ${info.name}: reserved bytes 4-7 are not zero`, info.name);
    const offsets = this.u32(info, lay.nameOffsets, f + 1);
    checkOffsets(offsets, info.extra, info.name, 'name offsets');
    const names = new ItemTable(offsets, this.u8(info, lay.names, info.extra));
    const seen = new Set<string>();
    for (let k = 0; k < f; k++) {
      if (offsets[k + 1] === offsets[k]) throw new FormatError(`section ${info.name}: feature ${k} has an empty name`, info.name);
      const name = names.id(k);
      if (seen.has(name)) throw new FormatError(`section ${info.name}: feature ${JSON.stringify(name)} appears twice`, info.name);
      seen.add(name);
    }
    const biases = this.f32(info, lay.biases, f);
    for (let k = 0; k < f; k++) {
      if (!Number.isFinite(biases[k])) throw new FormatError(`section ${info.name}: the bias of feature ${k} is ${biases[k]}; biases are finite`, info.name);
    }
    const scales = lay.scales < 0 ? undefined : this.f32(info, lay.scales, f);
    if (scales !== undefined) checkScales(scales, info.name);
    return {
      quantization: q,
      dim,
      normalised: (head[0] & ITEM_FEATURES_FLAGS.normalised) !== 0,
      identity: (head[0] & ITEM_FEATURES_FLAGS.identity) !== 0,
      names,
      biases,
      values: this.values(info, q, lay.values, f * dim),
      scales,
    };
  }

  meta(info: SectionInfo): Record<string, unknown> {
    this.plain(info);
    this.expectLength(info, info.count, `${info.count} bytes of JSON`);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(this.u8(info, 0, info.count)));
    } catch (err) {
      throw new FormatError(`section meta is not valid UTF-8 JSON (${(err as Error).message})`, info.name);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new FormatError('section meta must hold a JSON object', info.name);
    }
    return value as Record<string, unknown>;
  }
}
