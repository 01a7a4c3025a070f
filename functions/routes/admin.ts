import { Hono, type Context } from 'hono';
import { ApiError } from '../../core/errors/api-error.js';
import {
  cardMetrics,
  listSlots,
  RULE_NAMES,
  ruleProblem,
  slotNameProblem,
  slotStorage,
  parseServingConfig,
  type RuleName,
  type ServingConfig,
} from '../../core/storage/slots.js';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { jsonBody } from '../http/body.js';
import { sellerModel, surfaceModel } from '../http/context.js';
import { SURFACES, type Surface } from '../../core/format/spec.js';
import { servingRequest } from './slots-schema.js';

/** Model cards read per listing at most, for versions whose entry carries no metrics (published before the slots). */
const MAX_CARD_READS = 50;

/** The serving configuration as the routes answer it: every rule, null where there is none. */
function servingView(seller: string, config: ServingConfig | null) {
  return {
    seller,
    surfaces: Object.fromEntries(RULE_NAMES.map((r) => [r, config?.surfaces[r] ?? null])) as Record<RuleName, { slot: string; fallback: string | null } | null>,
    updated: config?.updated || null,
  };
}

/** The metrics of a version's model card in R2, or null (no card, not JSON, no figures). */
async function cardFigures(c: Context<AppEnv>, seller: string, version: string): Promise<Record<string, number> | null> {
  const object = await c.env.MODELS.get(`sellers/${seller}/models/${version}/card.json`);
  if (object === null) return null;
  try {
    return cardMetrics(JSON.parse(await object.text()));
  } catch {
    return null;
  }
}

/** Secret-key routes, mounted under /v1/sellers/:seller. */
export function adminRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  // The version that answers a surface (?surface=, default basket) or a slot (?slot=), and what this isolate serves from it (loading it if needed).
  routes.get('/model', requireSecret('the model status'), async (c) => {
    const seller = c.req.param('seller')!;
    const slotParam = c.req.query('slot');
    const surface = c.req.query('surface') ?? 'basket';
    if (slotParam !== undefined && slotNameProblem(slotParam) !== null) throw new ApiError('invalid_request', `slot: ${slotNameProblem(slotParam)}`);
    if (!(SURFACES as readonly string[]).includes(surface)) throw new ApiError('invalid_request', `surface must be ${SURFACES.join(', ')}`);
    let slot: string | null = slotParam ?? null;
    if (slotParam !== undefined) await sellerModel(c, seller, slotParam);
    else slot = (await surfaceModel(c, seller, surface as Surface)).slot;
    const status = c.var.models.status(seller, slot ?? undefined);
    return c.json(
      { seller, surface: slotParam === undefined ? surface : null, slot, pointer: status.pointer, serving: status.serving, last_problem: status.lastProblem },
      200,
      { 'Cache-Control': 'no-store' },
    );
  });

  // The seller's slots, their versions (with their cards' figures) and the serving configuration.
  routes.get('/models', requireSecret('the list of models'), async (c) => {
    const seller = c.req.param('seller')!;
    const stored = await c.var.source.slots(seller);
    const slots = listSlots(stored);
    let budget = MAX_CARD_READS;
    const listed = await Promise.all(
      slots.map(async (s) => ({
        slot: s.slot,
        kind: s.kind,
        current: s.current,
        serves: s.serves,
        versions: await Promise.all(
          s.versions.map(async (v) => ({
            version: v.version,
            kind: v.model,
            bytes: v.bytes,
            items: v.items,
            customers: v.customers,
            published: v.published,
            current: v.current,
            metrics: v.metrics ?? (budget-- > 0 ? await cardFigures(c, seller, v.version) : null),
          })),
        ),
      })),
    );
    for (const problem of stored.problems) c.var.log({ event: 'slot_unreadable', seller, error: problem });
    return c.json({ seller, slots: listed, serving: servingView(seller, stored.serving).surfaces, problems: stored.problems }, 200, {
      'Cache-Control': 'no-store',
    });
  });

  routes.get('/serving', requireSecret('the serving configuration'), async (c) => {
    const seller = c.req.param('seller')!;
    let config: ServingConfig | null = null;
    try {
      const read = await c.var.source.serving(seller);
      config = read?.config ?? null;
      for (const problem of read?.problems ?? []) c.var.log({ event: 'serving_unreadable', seller, error: problem });
    } catch (err) {
      // A value that is no configuration at all: shown as none (a PUT replaces it).
      c.var.log({ event: 'serving_unreadable', seller, error: (err as Error).message });
    }
    return c.json(servingView(seller, config), 200, { 'Cache-Control': 'no-store' });
  });

  // Changes the rules named in the body (null removes one), checked against the slots, in one KV write.
  routes.put('/serving', requireSecret('the serving configuration'), async (c) => {
    const seller = c.req.param('seller')!;
    const body = await jsonBody(c, servingRequest);
    const kinds = new Map<string, string | null>();
    const changes = Object.entries(body.surfaces) as [RuleName, { slot: string; fallback?: string | null | undefined } | null | undefined][];
    for (const [surface, rule] of changes) {
      if (rule === null || rule === undefined) continue;
      const fallback = rule.fallback ?? null;
      if (fallback === rule.slot) throw new ApiError('invalid_request', `surfaces.${surface}.fallback is the slot itself; name another slot or leave it out`);
      for (const slot of [rule.slot, fallback])
        if (slot !== null && !kinds.has(slot)) kinds.set(slot, (await c.var.source.pointer(seller, slot))?.model ?? null);
      const problem = ruleProblem(surface, { slot: rule.slot, fallback }, (slot) => kinds.get(slot) ?? null);
      if (problem !== null) throw new ApiError('serving_conflict', `${problem}; see GET /v1/sellers/${seller}/models`);
    }
    // Read without the isolate's memo: the configuration as KV holds it now.
    const key = slotStorage.serving(seller);
    const text = await c.env.KV.get(key, 'text');
    let config: ServingConfig = { surfaces: {}, updated: '' };
    try {
      if (text !== null) config = parseServingConfig(text, seller).config;
    } catch (err) {
      c.var.log({ event: 'serving_unreadable', seller, error: (err as Error).message, replaced: true });
    }
    for (const [surface, rule] of changes) {
      if (rule === undefined) continue;
      if (rule === null) delete config.surfaces[surface];
      else config.surfaces[surface] = { slot: rule.slot, fallback: rule.fallback ?? null };
    }
    config.updated = new Date(c.var.now()).toISOString();
    await c.env.KV.put(key, JSON.stringify(config));
    // This isolate answers with it at once; the others within the memo and KV's cache (spec/edge-api.md).
    c.var.models.forgetServing(seller);
    return c.json(servingView(seller, config), 200, { 'Cache-Control': 'no-store' });
  });
  return routes;
}
