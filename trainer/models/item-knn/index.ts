export { cosineNeighbors } from './cosine.js';
export { easeNeighbors } from './ease.js';
export type { EaseOptions } from './ease.js';
export { ItemKnnModel } from './item-knn.js';
export type { ItemKnnOptions } from './item-knn.js';
export { recencyWeights } from '../knn/recency.js';
