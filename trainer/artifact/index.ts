export { joinCatalog, parseStock, readCatalog } from './catalog.js';
export type { CatalogFile, CatalogJoin, CatalogRow } from './catalog.js';
export { encodeArtifact } from './encode.js';
export type { ArtifactInput, CsrInput, EncodeOptions, RankingInput } from './encode.js';
export { buildStringTable } from './string-table.js';
export type { StringTable } from './string-table.js';
