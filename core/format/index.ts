export { Artifact, dequantize } from './artifact.js';
export type { ArtifactParts, ItemVectors, Neighbours, QuantizedValues, Ranking, SectionInfo } from './artifact.js';
export { Catalog } from './catalog.js';
export type { CatalogArrays, CatalogEntry } from './catalog.js';
export { xxh32 } from './checksum.js';
export { decodeArtifact } from './decode.js';
export { FormatError } from './errors.js';
export { F16_MAX, f16Fits, f16Table, fromF16, toF16 } from './f16.js';
export { ItemTable } from './item-table.js';
export { CATALOG_HEADER_BYTES, catalogLayout, itemIdsLayout, neighboursLayout, rankingLayout, valueBytes, vectorsLayout } from './layout.js';
export { quantizeF16, quantizeRowInt8 } from './quantize.js';
export {
  align8,
  ANSWERS_WITH,
  CATALOG_FLAGS,
  ENTRY,
  FLAGS,
  FORMAT_VERSION,
  HEADER,
  HEADER_BYTES,
  KNOWN_FLAGS,
  MAGIC,
  MAX_PREFIXES,
  MODEL_TYPE_NAMES,
  MODEL_TYPES,
  nameOf,
  QUANTIZATIONS,
  REQUIRED_FLAG_MASK,
  REQUIRED_SECTIONS,
  SECTION_ENTRY_BYTES,
  SECTION_KINDS,
  USER_RECORD_HEADER_BYTES,
  USER_RECORD_KINDS,
  USER_RECORD_MAGIC,
  USER_RECORD_VERSION,
} from './spec.js';
export type { ModelType, Quantization, SectionKind, UserRecordKind } from './spec.js';
export { decodeUserRecord, encodeUserRecord, userRecordKey } from './user-record.js';
export type { UserRecord, UserRecordExpectation, UserRecordInput } from './user-record.js';
