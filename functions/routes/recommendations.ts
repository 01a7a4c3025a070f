import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import { ApiError } from '../../core/errors/api-error.js';
import { recommend, type RecommendQuery, type Surface } from '../../core/recommend/recommend.js';
import type { AppEnv } from '../env.js';
import type { EventsMessage } from '../events/event.js';
import { assignArm } from '../experiments/assign.js';
import { armSlot } from '../experiments/definition.js';
import type { RunningExperiment } from '../experiments/store.js';
import { sellerCatalog, sellerModel, surfaceModel } from '../http/context.js';
import type { Served, SlotLoader } from '../models/serving.js';
import { validationHook } from '../http/validate.js';
import { basketQuery, forYouQuery, similarQuery } from './query.js';

interface CommonQuery {
  n: number;
  exclude: string[];
  category?: string | null | undefined;
  in_stock?: boolean | undefined;
  min_price?: number | undefined;
  max_price?: number | undefined;
  model?: RecommendQuery['model'] | undefined;
  slot?: string | undefined;
  visitor?: string | undefined;
}

/** The arm a request falls in, when the seller runs an experiment on its surface. */
interface Assignment {
  experiment: RunningExperiment;
  arm: RunningExperiment['arms'][number];
  visitor: string;
}

/** The recommendation routes, mounted under /v1/sellers/:seller/recommendations. */
export function recommendationRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  const assign = async (c: Context<AppEnv>, seller: string, surface: Surface, visitor: string | null): Promise<Assignment | null> => {
    if (visitor === null) return null;
    const { memoMs, kvCacheTtl } = c.var.settings;
    let running: RunningExperiment[];
    try {
      running = await c.var.experiments.get(c.env.KV, seller, { memoMs, cacheTtl: kvCacheTtl, now: c.var.now() });
    } catch (err) {
      // No experiment beats no answer: serve the active model.
      c.var.log({ event: 'experiments_unreadable', seller, error: (err as Error).message });
      return null;
    }
    const experiment = running.find((e) => e.surface === surface);
    if (experiment === undefined) return null;
    const name = assignArm(visitor, experiment.id, experiment.arms);
    return { experiment, arm: experiment.arms.find((a) => a.name === name)!, visitor };
  };

  const answer = async (c: Context<AppEnv>, surface: Surface, q: CommonQuery, items: string[], customer: string | null) => {
    const secret = c.get('key').type === 'secret';
    if (q.model !== undefined && !secret) throw new ApiError('secret_key_required', 'model= needs a secret key (sk_…)');
    if (q.slot !== undefined && !secret) throw new ApiError('secret_key_required', 'slot= needs a secret key (sk_…)');
    const seller = c.req.param('seller')!;
    // An explicit model= or slot= (an operator's check) stays outside experiments.
    const assigned = q.model === undefined && q.slot === undefined ? await assign(c, seller, surface, q.visitor ?? customer) : null;
    const armModel = assigned?.arm.model;
    const load: SlotLoader = (slot) => sellerModel(c, seller, slot);
    // The seller's latest catalog: display data, filters, retired and unseen items (spec/edge-api.md, "Catalog updates").
    const live = await sellerCatalog(c, seller);
    let served: Served | null = null;
    if (q.slot !== undefined) {
      const model = await load(q.slot);
      if (model === null)
        throw new ApiError(
          'model_not_available',
          `slot=${q.slot}: seller ${seller} has no version in that slot to answer with (empty, or it could not be loaded); see GET /v1/sellers/${seller}/models`,
        );
      served = { model, slot: q.slot };
    }
    // An arm of a slot answers with that slot's current version, exactly.
    const armSlotName = assigned === null ? undefined : armSlot(assigned.arm);
    if (served === null && armSlotName !== undefined) {
      const model = await load(armSlotName);
      if (model !== null) served = { model, slot: armSlotName };
      else c.var.log({ event: 'arm_model_missing', seller, experiment: assigned!.experiment.id, arm: assigned!.arm.name, slot: armSlotName });
    }
    served ??= await surfaceModel(c, seller, surface, items, (m, ids) => live(m).knowsAny(ids));
    const model = served.model;
    const query: RecommendQuery = {
      surface,
      items,
      customer,
      n: q.n,
      exclude: q.exclude,
      filters: { category: q.category ?? null, inStock: q.in_stock ?? false, minPrice: q.min_price ?? null, maxPrice: q.max_price ?? null },
      model: q.model ?? (armModel === 'popularity' ? 'popularity' : null),
    };
    // The holdout arm answers with nothing, on purpose.
    const result =
      armModel === 'none'
        ? { items: [], model: null, fallback: false }
        : await recommend(model, query, (id) => c.var.source.userRecord(seller, model!.pointer, id), c.var.log, model === null ? undefined : live(model));
    const answered = result.model === null ? null : { ...result.model, slot: served.slot };
    const recId = crypto.randomUUID();
    if (assigned !== null)
      exposure(
        c,
        seller,
        surface,
        assigned,
        recId,
        customer,
        result.items.map((i) => i.id),
      );
    return c.json(
      {
        items: result.items,
        model: answered,
        variant: assigned?.arm.name ?? null,
        experiment: assigned?.experiment.id ?? null,
        rec_id: recId,
        fallback: result.fallback,
      },
      200,
      { 'Cache-Control': 'no-store' },
    );
  };

  routes.get('/basket', zValidator('query', basketQuery, validationHook), (c) => {
    const q = c.req.valid('query');
    return answer(c, 'basket', q, q.items, q.customer ?? null);
  });
  routes.get('/similar', zValidator('query', similarQuery, validationHook), (c) => {
    const q = c.req.valid('query');
    return answer(c, 'similar', q, [q.item], null);
  });
  routes.get('/for-you', zValidator('query', forYouQuery, validationHook), (c) => {
    const q = c.req.valid('query');
    return answer(c, 'for-you', q, q.items, q.customer ?? null);
  });
  return routes;
}

/**
 * Records that a visitor was answered inside an experiment (the `exposure` event the report
 * counts visitors from), after the response: a queue failure costs a data point, not the answer.
 */
function exposure(c: Context<AppEnv>, seller: string, surface: Surface, a: Assignment, recId: string, customer: string | null, shown: string[]): void {
  if (c.env.EVENTS === undefined) return;
  const now = c.var.now();
  const message: EventsMessage = {
    seller,
    events: [
      {
        event_id: recId,
        seller,
        type: 'exposure',
        visitor_id: a.visitor,
        customer_id: customer,
        rec_id: recId,
        experiment_id: a.experiment.id,
        variant: a.arm.name,
        surface,
        item_ids: shown,
        order_id: null,
        value: null,
        currency: null,
        ts: now,
        received: now,
      },
    ],
  };
  const sent = c.env.EVENTS.send(message, { contentType: 'json' }).catch((err: unknown) => {
    c.var.log({ event: 'exposure_enqueue_failed', seller, experiment: a.experiment.id, error: err instanceof Error ? err.message : String(err) });
  });
  try {
    c.executionCtx.waitUntil(sent);
  } catch {
    // No execution context (a plain app.request in tests): the promise runs on its own.
  }
}
