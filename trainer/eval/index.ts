export { evaluateRanking, mean, summarize } from './metrics.js';
export type { RankingEvalInput, RankingMetrics } from './metrics.js';
export { basketHitRate } from './basket.js';
export type { BasketEvalInput, BasketHitRate } from './basket.js';
