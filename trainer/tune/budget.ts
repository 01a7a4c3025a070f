/**
 * The default size budget of an item-item artifact's neighbour section, in MB (MiB): a
 * fifth of the edge's model cache (MODEL_CACHE_MB, 80 by default in functions/env.ts), so
 * that a seller's basket, similar and for-you slots and an experiment arm fit in it with
 * room for other sellers. Runtime-neutral (no imports), so the worker's tests can check it
 * against the cache's default (functions/models/tune-budget.test.ts).
 */
export const DEFAULT_BUDGET_MB = 16;
