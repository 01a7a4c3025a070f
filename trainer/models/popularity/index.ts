export { PopularityModel } from './popularity.js';
export type { PopularityOptions } from './popularity.js';
export { recencyWeights } from '../knn/recency.js';
