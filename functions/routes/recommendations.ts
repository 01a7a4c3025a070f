import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import type { z } from 'zod';
import { settingsOf, type AppEnv } from '../env.js';
import { ApiError } from '../http/errors.js';
import type { ModelCache } from '../models/model-cache.js';
import type { ModelSource } from '../models/model-source.js';
import { recommend, type Log, type RecommendQuery, type Surface } from '../recommend/recommend.js';
import { basketQuery, forYouQuery, similarQuery } from './query.js';

export interface RouteDeps {
  models: ModelCache;
  /** The model source of a request's env. */
  source: (c: Context<AppEnv>) => ModelSource;
  log: Log;
  now: () => number;
}

/** A failed validation as the API's error: 413 for too many ids, else 400 naming the parameter. */
export function validationError(error: { issues: readonly z.core.$ZodIssue[] }): ApiError {
  const issues = error.issues;
  const tooMany = issues.find((i) => i.code === 'custom' && (i as { params?: { status?: number } }).params?.status === 413);
  if (tooMany !== undefined) return new ApiError('too_many_items', tooMany.message);
  const messages = issues.slice(0, 5).map((i) => {
    const name = i.path.join('.');
    return name === '' || i.message.startsWith(name) ? i.message : `${name}: ${i.message}`;
  });
  return new ApiError('invalid_request', messages.join('; '));
}

const hook = (result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }) => {
  if (!result.success) throw validationError(result.error!);
};

interface CommonQuery {
  n: number;
  exclude: string[];
  category?: string | null | undefined;
  in_stock?: boolean | undefined;
  min_price?: number | undefined;
  max_price?: number | undefined;
  model?: RecommendQuery['model'] | undefined;
}

/** The recommendation routes, mounted under /v1/sellers/:seller/recommendations. */
export function recommendationRoutes(deps: RouteDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  const answer = async (c: Context<AppEnv>, surface: Surface, q: CommonQuery, items: string[], customer: string | null) => {
    if (q.model !== undefined && c.get('key').type !== 'secret') throw new ApiError('secret_key_required', 'model= needs a secret key (sk_…)');
    const seller = c.req.param('seller')!;
    const settings = settingsOf(c.env);
    const source = deps.source(c);
    const model = await deps.models.get(seller, source, { memoMs: settings.memoMs, maxBytes: settings.modelCacheBytes, now: deps.now() });
    const query: RecommendQuery = {
      surface,
      items,
      customer,
      n: q.n,
      exclude: q.exclude,
      filters: { category: q.category ?? null, inStock: q.in_stock ?? false, minPrice: q.min_price ?? null, maxPrice: q.max_price ?? null },
      model: q.model ?? null,
    };
    const result = await recommend(model, query, (id) => source.userRecord(seller, model!.version, id), deps.log);
    return c.json(
      { items: result.items, model: result.model, variant: null, rec_id: crypto.randomUUID(), fallback: result.fallback },
      200,
      { 'Cache-Control': 'no-store' },
    );
  };

  routes.get('/basket', zValidator('query', basketQuery, hook), (c) => {
    const q = c.req.valid('query');
    return answer(c, 'basket', q, q.items, q.customer ?? null);
  });
  routes.get('/similar', zValidator('query', similarQuery, hook), (c) => {
    const q = c.req.valid('query');
    return answer(c, 'similar', q, [q.item], null);
  });
  routes.get('/for-you', zValidator('query', forYouQuery, hook), (c) => {
    const q = c.req.valid('query');
    return answer(c, 'for-you', q, q.items, q.customer ?? null);
  });
  return routes;
}
