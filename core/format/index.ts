export { Artifact, LEGACY_HISTORY_SETTINGS, type HistorySettings, type ItemFeatures } from './artifact.js';
export { xxh32 } from './checksum.js';
export { decodeArtifact } from './decode.js';
export { FormatError } from './errors.js';
export { f16Fits, fromF16 } from './f16.js';
export { CATALOG_HEADER_BYTES, catalogLayout, itemFeaturesLayout, itemIdsLayout, neighboursLayout, rankingLayout, vectorsLayout } from './layout.js';
export { quantizeF16, quantizeRowInt8 } from './quantize.js';
export {
  align8,
  CATALOG_FLAGS,
  ENTRY,
  FLAGS,
  FORMAT_VERSION,
  HEADER,
  HEADER_BYTES,
  HISTORY_FLAGS,
  HISTORY_SECTION_BYTES,
  ITEM_FEATURES_FLAGS,
  MAGIC,
  MAX_PREFIXES,
  MODEL_TYPES,
  QUANTIZATIONS,
  REQUIRED_SECTIONS,
  SECTION_ENTRY_BYTES,
  SECTION_KINDS,
} from './spec.js';
export type { ModelType, Quantization, SectionKind } from './spec.js';
export { decodeUserRecord, encodeUserRecord, type CustomerHistory } from './user-record.js';
