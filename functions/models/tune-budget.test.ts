import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET_MB } from '../../trainer/tune/budget.js';
import { settingsOf } from '../env.js';

describe("tune's default size budget", () => {
  it("is a fifth of the edge's model cache (MODEL_CACHE_MB's default): room for a seller's other slots", () => {
    expect(DEFAULT_BUDGET_MB * 5 * 2 ** 20).toBe(settingsOf({} as never).modelCacheBytes);
  });
});
