export { adminRoutes } from './admin.js';
export type { AdminDeps } from './admin.js';
export { basketQuery, forYouQuery, LIMITS, PARAM_DOCS, PARAM_SCHEMAS, similarQuery } from './query.js';
export { recommendationRoutes, validationError } from './recommendations.js';
export type { RouteDeps } from './recommendations.js';
