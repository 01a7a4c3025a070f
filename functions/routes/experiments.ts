import { Hono, type Context } from 'hono';
import { ApiError } from '../../core/errors/api-error.js';
import { SERVED_SURFACES, type ModelType } from '../../core/format/spec.js';
import { typeServesRule } from '../../core/storage/slots.js';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { armSlot, experimentRequest, type ExperimentArm, type ExperimentDefinition } from '../experiments/definition.js';
import { buildReport } from '../experiments/report.js';
import { changeStatus, experimentAggregates, getExperiment, insertExperiment, listExperiments, REPORT_LIMITS, syncRunning } from '../experiments/store.js';
import { jsonBody } from '../http/body.js';
import { storage } from '../http/storage.js';

/** A random experiment id: `exp_` and 12 hex digits. */
function newId(): string {
  return `exp_${Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Throws a 409 naming the arm unless it has a version to answer the experiment's surface with. */
async function checkArmServes(c: Context<AppEnv>, e: ExperimentDefinition, arm: ExperimentArm): Promise<void> {
  if (arm.model === 'none') return;
  const source = c.var.source;
  const slot = armSlot(arm);
  if (slot !== undefined) {
    const p = await source.pointer(e.seller, slot);
    if (p === null)
      throw new ApiError(
        'experiment_conflict',
        `arm "${arm.name}" serves slot ${slot}, but seller ${e.seller} has nothing published in it; publish into it first (plusone publish --slot ${slot}), see GET /v1/sellers/${e.seller}/models`,
      );
    if (!typeServesRule(p.model, e.surface)) {
      const served = SERVED_SURFACES[p.model as ModelType] ?? [];
      throw new ApiError(
        'experiment_conflict',
        `arm "${arm.name}" serves slot ${slot}, a ${p.model} model, which does not answer the ${e.surface} surface (it serves ${served.join(', ') || 'nothing'}); choose a slot of another kind`,
      );
    }
    return;
  }
  // A popularity arm: some version must serve the surface (its rule's slots, else the older active pointer).
  const rule = (await source.serving(e.seller))?.config.surfaces[e.surface];
  for (const s of rule ? [rule.slot, rule.fallback] : []) if (s !== null && (await source.pointer(e.seller, s)) !== null) return;
  if ((await source.pointer(e.seller)) !== null) return;
  throw new ApiError(
    'experiment_conflict',
    `arm "${arm.name}" serves the popularity ranking of the version that answers ${e.surface}, but seller ${e.seller} has none; publish a model first`,
  );
}

/**
 * Experiments (secret key), mounted under /v1/sellers/:seller/experiments: create, list,
 * read, start, stop, report.
 */
export function experimentRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use('*', requireSecret('experiments'));

  const load = async (c: Context<AppEnv>): Promise<ExperimentDefinition> => {
    const id = c.req.param('id')!;
    const e = /^exp_[0-9a-f]{12}$/.test(id) ? await storage(c, 'reading the experiment', () => getExperiment(c.env.DB, c.req.param('seller')!, id)) : null;
    if (e === null)
      throw new ApiError('experiment_not_found', `no experiment ${id.slice(0, 40)} for this seller; list them with GET /v1/sellers/:seller/experiments`);
    return e;
  };

  routes.post('/', async (c) => {
    const body = await jsonBody(c, experimentRequest);
    const id = newId();
    const e: ExperimentDefinition = {
      id,
      seller: c.req.param('seller')!,
      name: body.name ?? `${body.surface}: ${body.arms.map((a) => a.name).join(' vs ')}`,
      surface: body.surface,
      arms: body.arms.map((a) => ({ name: a.name, ...(a.slot !== undefined ? { slot: a.slot } : { model: a.model }), weight: a.weight })),
      control: body.control ?? body.arms[0].name,
      status: 'draft',
      created: new Date(c.var.now()).toISOString(),
      started: null,
      stopped: null,
      attribution_window_hours: body.attribution_window_hours,
      orders_per_year: body.orders_per_year,
    };
    await storage(c, 'creating the experiment', () => insertExperiment(c.env.DB, e));
    return c.json({ experiment: e }, 201, { Location: `/v1/sellers/${e.seller}/experiments/${id}` });
  });

  routes.get('/', async (c) =>
    c.json({ experiments: await storage(c, 'listing the experiments', () => listExperiments(c.env.DB, c.req.param('seller')!)) }, 200, {
      'Cache-Control': 'no-store',
    }),
  );

  routes.get('/:id', async (c) => c.json({ experiment: await load(c) }, 200, { 'Cache-Control': 'no-store' }));

  routes.post('/:id/start', async (c) => {
    const e = await load(c);
    if (e.status !== 'draft')
      throw new ApiError('experiment_conflict', `experiment ${e.id} is ${e.status}; only a draft can start (create a new one to run again)`);
    const busy = async () => {
      const running = await storage(c, 'reading the running experiments', () => listExperiments(c.env.DB, e.seller, 'running'));
      const clash = running.find((r) => r.surface === e.surface && r.id !== e.id);
      return new ApiError('experiment_conflict', `experiment ${clash?.id ?? '(another)'} already runs on the ${e.surface} surface; stop it first`);
    };
    // The friendly check; the database holds the rule (a unique index): of two starts at once one wins.
    if ((await storage(c, 'reading the running experiments', () => listExperiments(c.env.DB, e.seller, 'running'))).some((r) => r.surface === e.surface))
      throw await busy();
    // Every arm's slot must hold a version that serves the surface, or its visitors would
    // silently see another one (a ranking comes with every artifact: the version serving the
    // surface answers a popularity arm).
    for (const arm of e.arms) await storage(c, 'reading the published models', () => checkArmServes(c, e, arm));
    const changed = await storage(c, 'starting the experiment', () => changeStatus(c.env.DB, e.seller, e.id, 'draft', 'running', c.var.now()));
    if (changed === 'surface_busy') throw await busy();
    if (changed === 'changed_meanwhile') throw new ApiError('experiment_conflict', `experiment ${e.id} changed meanwhile; read it again`);
    try {
      await syncRunning(c.env.DB, c.env.KV, e.seller);
    } catch (err) {
      // The edge reads running experiments from KV: a start it cannot see is undone, to be tried again.
      await changeStatus(c.env.DB, e.seller, e.id, 'running', 'draft', null).catch(() => undefined);
      await storage(c, 'publishing the running experiments to KV', () => Promise.reject(err));
    }
    return c.json({ experiment: await load(c) }, 200);
  });

  routes.post('/:id/stop', async (c) => {
    const e = await load(c);
    if (e.status !== 'running') {
      // A stop whose KV write failed left the mirror behind: bring it up to date, then say so.
      if (e.status === 'stopped') await storage(c, 'publishing the running experiments to KV', () => syncRunning(c.env.DB, c.env.KV, e.seller));
      throw new ApiError('experiment_conflict', `experiment ${e.id} is ${e.status}; only a running experiment can stop`);
    }
    const changed = await storage(c, 'stopping the experiment', () => changeStatus(c.env.DB, e.seller, e.id, 'running', 'stopped', c.var.now()));
    if (changed !== 'changed') throw new ApiError('experiment_conflict', `experiment ${e.id} changed meanwhile; read it again`);
    await storage(c, 'publishing the running experiments to KV (the experiment is stopped; stop it again to retry)', () =>
      syncRunning(c.env.DB, c.env.KV, e.seller),
    );
    return c.json({ experiment: await load(c) }, 200);
  });

  routes.get('/:id/report', async (c) => {
    const e = await load(c);
    const now = c.var.now();
    const { totals, daily, work } = await storage(c, "reading the experiment's events", () => experimentAggregates(c.env.DB, e, now));
    const report = buildReport(e, totals, daily, { now: new Date(now).toISOString() });
    const counting = {
      events_per_visitor_cap: REPORT_LIMITS.eventsPerVisitor,
      visitors_at_cap: work.capped_visitors,
      queries: work.queries,
      rows_read: work.rows_read,
      max_rows_read: work.max_rows_read,
    };
    return c.json({ ...report, counting }, 200, { 'Cache-Control': 'no-store' });
  });
  return routes;
}
