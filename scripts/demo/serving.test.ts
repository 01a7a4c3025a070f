import { describe, expect, it } from 'vitest';
import type { ServedReport } from '../../trainer/api.js';
import { bestServing } from './build.js';

const row = (slot: string, type: string, figures: Partial<Record<'basket_hr@10' | 'similar_hr@10' | 'p@10', number>>) => ({
  slot,
  type,
  metrics: {
    surfaces: type === 'user-knn' ? ['for-you'] : ['basket', 'similar', 'for-you'],
    'basket_hr@10': figures['basket_hr@10'] ?? null,
    'similar_hr@10': figures['similar_hr@10'] ?? null,
    'p@10': figures['p@10'] ?? null,
  } as unknown as ServedReport,
});

describe("npm start's serving configuration", () => {
  it('takes the best slot of each surface by its figure, the second best as fallback, and a hybrid slot for new items', () => {
    const rows = [
      row('warp', 'lightfm', { 'basket_hr@10': 0.15, 'similar_hr@10': 0.11, 'p@10': 0.04 }),
      row('bpr', 'lightfm', { 'basket_hr@10': 0.1, 'similar_hr@10': 0.12, 'p@10': 0.03 }),
      row('ease', 'item-knn', { 'basket_hr@10': 0.49, 'similar_hr@10': 0.37, 'p@10': 0.029 }),
      // user-user has the best p@10 here but serves no cart; its missing basket figure never counts.
      row('lookalike', 'user-knn', { 'p@10': 0.05 }),
    ];
    expect(bestServing(rows)).toEqual({
      basket: { slot: 'ease', fallback: 'warp' },
      similar: { slot: 'ease', fallback: 'bpr' },
      'for-you': { slot: 'lookalike', fallback: 'warp' },
      'new-items': { slot: 'bpr', fallback: 'warp' },
    });
    expect(bestServing([row('lookalike', 'user-knn', { 'p@10': 0.05 })])).toEqual({ 'for-you': { slot: 'lookalike', fallback: null } });
  });
});
