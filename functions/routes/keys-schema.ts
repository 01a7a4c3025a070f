import { z } from 'zod';
import { KEY_TYPES, MAX_ORIGINS } from '../../core/storage/keys.js';

/**
 * The zod schemas of the key routes (`GET|POST /v1/sellers/:seller/keys`, `DELETE
 * …/keys/:id`): the request body the route validates with, and the answers, from which the
 * OpenAPI document is built and against which the worker tests check what the routes answer.
 */

/** Body of `POST /v1/sellers/:seller/keys`. */
export const keyCreateRequest = z
  .object({
    type: z.enum(KEY_TYPES, { error: 'type must be publishable or secret' }).describe('publishable (pk_: storefronts) or secret (sk_: servers, the console).'),
    origins: z
      .array(z.string({ error: 'origins must be a list of origins' }).max(200, 'an origin is at most 200 characters'), {
        error: 'origins must be a list of origins',
      })
      .max(MAX_ORIGINS, `origins: at most ${MAX_ORIGINS}`)
      .optional()
      .describe('Publishable keys: the origins allowed to use the key (https://shop.example), or ["*"] for any. Refused for secret keys.'),
    rps: z
      .number({ error: 'rps must be a number of requests per second, or null' })
      .gt(0, 'rps must be more than 0')
      .max(1e6, 'rps must be at most 1000000')
      .nullable()
      .optional()
      .describe("Rate limit per isolate, requests per second; null or absent: the worker's default."),
    burst: z
      .number({ error: 'burst must be an integer, or null' })
      .int('burst must be an integer')
      .min(1, 'burst must be at least 1')
      .max(1e6, 'burst must be at most 1000000')
      .nullable()
      .optional()
      .describe("Burst size of the rate limit; null or absent: the worker's default."),
  })
  .strict()
  .refine((v) => v.type === 'publishable' || v.origins === undefined || v.origins.length === 0, {
    path: ['origins'],
    message: 'origins are for publishable keys; a secret key is never used from a storefront',
  });

/** A key as listed: never the key itself, nor its hash. */
export const listedKeyAnswer = z.object({
  id: z.string().describe('key_ and 16 hex digits: names the key in listings and DELETE.'),
  seller: z.string(),
  type: z.enum(KEY_TYPES),
  hint: z.string().describe("The key's first 7 characters and …, to recognise it."),
  origins: z.array(z.string()),
  created: z.string(),
  revoked: z.string().nullable().describe('When it was revoked (ISO 8601), else null.'),
  rps: z.number().nullable(),
  burst: z.number().nullable(),
});

/** Answer of `GET /v1/sellers/:seller/keys`. */
export const keysAnswer = z.object({
  seller: z.string(),
  current: z.string().describe('The id of the key that made this request.'),
  keys: z.array(listedKeyAnswer).describe('Oldest first, revoked ones included.'),
});

/** Answer of `POST /v1/sellers/:seller/keys` (201): the key, shown this once, and its listing. */
export const keyCreatedAnswer = listedKeyAnswer.extend({
  key: z.string().describe('The new key. It is shown only in this answer: only its SHA-256 is stored.'),
});

/** Answer of `DELETE /v1/sellers/:seller/keys/:id`. */
export const keyRevokedAnswer = z.object({
  key: listedKeyAnswer,
  already: z.boolean().describe('True when the key was revoked before (its date is kept).'),
});
