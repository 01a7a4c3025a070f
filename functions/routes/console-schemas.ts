import { z } from 'zod';
import { MAX_STATS_DAYS, STATS_WINDOW_HOURS } from '../stats/stats-types.js';

/**
 * The zod schemas of the routes a seller's tools read their figures and versions with (the
 * console at /console among them, with nothing it alone may call): `GET …/stats`, `GET
 * …/models/:version/card`, `POST …/slots/:slot/rollback`, `GET /v1/widget`. The routes
 * validate with the request schemas; the OpenAPI document is built from all of them.
 */

const integerParam = (name: string, min: number, max: number, fallback: number) =>
  z
    .string({ error: (iss) => (Array.isArray(iss.input) ? `${name} must be given once` : `${name} must be text`) })
    .regex(/^\d{1,4}$/, `${name} must be an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((v) => v >= min && v <= max, `${name} must be an integer from ${min} to ${max}`)
    .optional()
    .default(fallback)
    .pipe(z.number());

/** Query of `GET /v1/sellers/:seller/stats`. */
export const statsQuery = z.object({
  days: integerParam('days', 1, MAX_STATS_DAYS, 30).describe(`UTC days up to now, today included (1 to ${MAX_STATS_DAYS}; default 30).`),
  attribution_window_hours: integerParam('attribution_window_hours', 1, 720, STATS_WINDOW_HOURS).describe(
    'An order is attributed when it holds an item the buyer clicked or added to cart from a recommendation this many hours before (1 to 720; default 24).',
  ),
});

const counts = {
  impressions: z.number().describe('Impression events of recommendation answers (events with a rec_id).'),
  clicks: z.number().describe('Clicks on recommended items.'),
  add_to_carts: z.number().describe('Adds to cart of recommended items.'),
  orders: z.number().describe('Orders: purchase events, one per order_id.'),
  items: z.number(),
  multi_item_orders: z.number().describe('Orders with 2 or more items.'),
  revenue: z.number().describe("Σ the purchases' value."),
  attributed_orders: z.number().describe('Orders holding an item the buyer clicked or added to cart from a recommendation within the window before.'),
  attributed_revenue: z.number(),
};

/** Answer of `GET /v1/sellers/:seller/stats`. */
export const statsAnswer = z.object({
  seller: z.string(),
  days: z.number(),
  from: z.string().describe('Start of the first day (UTC midnight).'),
  to: z.string().describe('Now.'),
  attribution_window_hours: z.number(),
  currencies: z.array(z.string()).describe('Currencies the purchases named, most used first; revenue adds values as they are.'),
  totals: z.object({
    ...counts,
    ctr: z.number().nullable().describe('clicks / impressions.'),
    items_per_order: z.number().nullable(),
    multi_item_share: z.number().nullable().describe('multi_item_orders / orders.'),
    attributed_share: z.number().nullable().describe('attributed_orders / orders.'),
  }),
  daily: z
    .array(z.object({ day: z.string().describe('YYYY-MM-DD (UTC).'), ...counts }))
    .describe('One entry per day, oldest first, days without events included.'),
});

/** A version name, as published (`<time>-<slot>-<hash>`). */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Answer of `GET /v1/sellers/:seller/models/:version/card`. */
export const cardAnswer = z.object({
  seller: z.string(),
  version: z.string(),
  card: z
    .record(z.string(), z.unknown())
    .describe(
      'The model card as published: seller, slot, version, model, sha256, bytes, items, customers, published, and what the trainer added (data window, counts, hyperparameters, holdout metrics).',
    ),
});

/** Body of `POST /v1/sellers/:seller/slots/:slot/rollback` (may be empty). */
export const rollbackRequest = z
  .object({
    to: z
      .string({ error: 'to must be a version name' })
      .regex(VERSION_PATTERN, 'to must be a version name as GET /v1/sellers/:seller/models lists it')
      .optional()
      .describe("The version to go back to (one of the slot's kept versions); default the one before the current one."),
  })
  .strict();

/** Answer of the rollback. */
export const rollbackAnswer = z.object({
  seller: z.string(),
  slot: z.string(),
  version: z.string().describe('The version the slot now answers with.'),
  previous: z.string().nullable().describe('The version it answered with before.'),
  kind: z.string(),
  published: z.string().describe('When the pointer moved.'),
});

/** Answer of `GET /v1/widget`. */
export const widgetAnswer = z.object({
  url: z.string().describe('The versioned script, to pin with integrity (spec/widget.md).'),
  latest: z.string().describe('The unversioned script: always the latest build.'),
  integrity: z.string().describe('The sha384 Subresource Integrity hash of the versioned script.'),
  bytes: z.number(),
  gzip_bytes: z.number(),
});
