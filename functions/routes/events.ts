import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { requireSecret } from '../auth/authenticate.js';
import type { AppEnv } from '../env.js';
import { EVENT_TYPES, EventValidationError, parseEventsBody } from '../events/event.js';
import { sendEvents } from '../events/queue-message.js';
import { RecentIds } from '../events/recent-ids.js';
import { listEvents, parseCursor } from '../events/store.js';
import { ApiError } from '../../core/errors/api-error.js';
import { bodyText } from '../http/body.js';
import { storage } from '../http/storage.js';
import { validationHook } from '../http/validate.js';

const listQuery = z.object({
  visitor: z.string().min(1).max(128).optional(),
  customer: z.string().min(1).max(256).optional(),
  type: z.enum(EVENT_TYPES, { error: `type must be one of ${EVENT_TYPES.join(', ')}` }).optional(),
  experiment: z.string().min(1).max(64).optional(),
  since: z
    .string()
    .regex(/^\d{1,16}$/, 'since must be epoch milliseconds')
    .transform(Number)
    .optional(),
  after: z
    .string()
    .transform((v, ctx) => {
      const cursor = parseCursor(v);
      if (cursor) return cursor;
      ctx.addIssue({ code: 'custom', message: 'after must be the "next" cursor of a previous page' });
      return z.NEVER;
    })
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'limit must be an integer from 1 to 1000')
    .transform(Number)
    .refine((v) => v >= 1 && v <= 1000, 'limit must be an integer from 1 to 1000')
    .optional()
    .default(100),
  key: z.string().optional(),
});

/**
 * Event intake and listing, mounted under /v1/sellers/:seller/events. Intake validates the
 * whole call, then puts it on the queue and answers 202: it never waits on the database.
 */
export function eventRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const recent = new RecentIds();

  routes.post('/', async (c) => {
    const seller = c.req.param('seller')!;
    const body = await bodyText(c);
    const now = c.var.now();
    let events: ReturnType<typeof parseEventsBody>;
    try {
      events = parseEventsBody(body, seller, now);
    } catch (err) {
      if (err instanceof EventValidationError) throw new ApiError(err.tooMany ? 'too_many_events' : 'invalid_request', err.message);
      throw err;
    }
    // Event ids are the seller's own: another seller's event with the same id is another event.
    const idOf = (e: { event_id: string }) => `${seller}\u0000${e.event_id}`;
    const inCall = new Set<string>();
    const fresh = events.filter((e) => {
      const id = idOf(e);
      if (inCall.has(id) || recent.has(id)) return false;
      inCall.add(id);
      return true;
    });
    if (fresh.length > 0) {
      try {
        await sendEvents(c.env.EVENTS, seller, fresh);
      } catch (err) {
        c.var.log({ event: 'events_enqueue_failed', seller, events: fresh.length, error: err instanceof Error ? err.message : String(err) });
        throw new ApiError('unavailable', 'the events could not be queued just now; send them again in a few seconds (event ids make that safe)', {
          'Retry-After': '5',
        });
      }
      // Remembered only once queued: a failed call must be retryable.
      for (const e of fresh) recent.add(idOf(e));
    }
    return c.json({ accepted: fresh.length, duplicates: events.length - fresh.length }, 202);
  });

  routes.get('/', requireSecret('listing events'), zValidator('query', listQuery, validationHook), async (c) => {
    const page = await storage(c, 'listing the events', () => listEvents(c.env.DB, c.req.param('seller')!, c.req.valid('query')));
    return c.json(page, 200, { 'Cache-Control': 'no-store' });
  });
  return routes;
}
