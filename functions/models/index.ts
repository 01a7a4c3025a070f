export { KvR2Source } from './kv-r2-source.js';
export type { KvR2SourceOptions } from './kv-r2-source.js';
export { MemorySource } from './memory-source.js';
export { ModelCache } from './model-cache.js';
export type { GetOptions, LoadedModel, LoadProblem, ModelCacheOptions, SellerModelStatus } from './model-cache.js';
export { fromBase64 } from './model-source.js';
export type { ModelSource } from './model-source.js';
export { modelStorage, parsePointer } from '../../core/storage/pointer.js';
export type { ActivePointer } from '../../core/storage/pointer.js';
