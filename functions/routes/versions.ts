import { Hono } from 'hono';
import { ApiError } from '../../core/errors/api-error.js';
import { toHex } from '../../core/storage/keys.js';
import { modelStorage } from '../../core/storage/pointer.js';
import { planRollback, RollbackRefused, rollbackPointer, type RollbackPlan } from '../../core/storage/rollback.js';
import { slotStorage } from '../../core/storage/slots.js';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { bodyText } from '../http/body.js';
import { validationError } from '../http/validate.js';
import { kvReads } from '../models/kv-reads.js';
import { VERSION_PATTERN, rollbackRequest } from './console-schemas.js';

/** R2 key of a version's model card (written by the publisher, trainer/publish/publish.ts). */
const cardKey = (seller: string, version: string) => `sellers/${seller}/models/${version}/card.json`;

const REFUSAL_STATUS = {
  invalid_slot: 'invalid_request',
  empty_slot: 'rollback_conflict',
  no_older_version: 'rollback_conflict',
  unknown_version: 'version_not_found',
} as const;

/**
 * A seller's published versions (secret key), mounted under /v1/sellers/:seller: a version's
 * model card, and rolling a slot back to an earlier version (the publisher's rollback, shared
 * through core/storage/rollback.ts).
 */
export function versionRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/models/:version/card', requireSecret('model cards'), async (c) => {
    const seller = c.req.param('seller')!;
    const version = c.req.param('version');
    if (!VERSION_PATTERN.test(version)) throw new ApiError('invalid_request', 'version must be a version name as GET /v1/sellers/:seller/models lists it');
    const object = await c.env.MODELS.get(cardKey(seller, version));
    if (object === null)
      throw new ApiError('version_not_found', `seller ${seller} has no model card for version ${version}; see GET /v1/sellers/${seller}/models`);
    let card: unknown;
    try {
      card = JSON.parse(await object.text());
    } catch {
      card = null;
    }
    if (typeof card !== 'object' || card === null || Array.isArray(card))
      throw new ApiError('version_not_found', `the model card of version ${version} is not a JSON object; publish the version again to rewrite it`);
    return c.json({ seller, version, card }, 200, { 'Cache-Control': 'no-store' });
  });

  routes.post('/slots/:slot/rollback', requireSecret('rollback'), async (c) => {
    const seller = c.req.param('seller')!;
    const slot = c.req.param('slot');
    // The body may be empty (back one version) or {"to":"VERSION"}.
    const text = (await bodyText(c)).trim();
    let to: string | undefined;
    if (text !== '') {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw new ApiError('invalid_request', 'the body must be empty or JSON: {"to":"VERSION"}');
      }
      const parsed = rollbackRequest.safeParse(raw);
      if (!parsed.success) throw validationError(parsed.error);
      to = parsed.data.to;
    }
    let plan: RollbackPlan;
    try {
      plan = await planRollback(kvReads(c.env.KV, c.var.settings.kvCacheTtl), seller, slot, to);
    } catch (err) {
      if (err instanceof RollbackRefused) throw new ApiError(REFUSAL_STATUS[err.reason], err.message);
      throw err;
    }
    // The artifact must be there as published (the publisher also decodes it; equal bytes decode the same).
    const object = await c.env.MODELS.get(modelStorage.artifact(seller, plan.target.version));
    const digest = object === null ? null : toHex(await crypto.subtle.digest('SHA-256', await object.arrayBuffer()));
    if (digest !== plan.target.sha256)
      throw new ApiError(
        'rollback_conflict',
        `version ${plan.target.version}: its artifact is ${digest === null ? 'missing' : 'damaged'}; not rolling back to it (publish it again, or roll back to another version)`,
      );
    const pointer = rollbackPointer(seller, slot, plan, plan.target.items, new Date(c.var.now()));
    await c.env.KV.put(slotStorage.pointer(seller, slot), JSON.stringify(pointer));
    // This isolate answers with it at once; the others within MEMO_SECONDS and KV's cache.
    c.var.models.forgetPointer(seller, slot);
    return c.json({ seller, slot, version: pointer.version, previous: pointer.previous, kind: pointer.model, published: pointer.published }, 200, {
      'Cache-Control': 'no-store',
    });
  });
  return routes;
}
