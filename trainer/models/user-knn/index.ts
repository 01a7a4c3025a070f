export { UserKnnModel } from './user-knn.js';
export type { TopNLists, UserKnnOptions } from './user-knn.js';
