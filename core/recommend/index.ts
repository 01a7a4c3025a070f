export { compileFilter, NO_FILTERS } from './filters.js';
export type { FilterSpec, ItemFilter } from './filters.js';
export { MODEL_CHOICES, recommend, SURFACES } from './recommend.js';
export type { Log, ModelChoice, Recommendation, RecommendedItem, RecommendQuery, RecordFetcher, Surface } from './recommend.js';
