import { z } from 'zod';
import { RULE_NAMES, slotNameProblem } from '../../core/storage/slots.js';

/**
 * The zod schemas of the slot routes (`GET …/models`, `GET|PUT …/serving`): the request
 * body the route validates with, and the answers, from which the OpenAPI document
 * (functions/openapi/document.ts) is built and against which the worker tests check what
 * the routes answer.
 */

const slotName = z
  .string({ error: 'a slot name must be text' })
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a slot name is 1-32 lowercase letters, digits or "-", starting with a letter or digit')
  .superRefine((v, ctx) => {
    const problem = slotNameProblem(v);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('A slot name: 1-32 lowercase letters, digits or "-" (warp, ease, lookalike, …).');

const rule = z
  .object({
    slot: slotName.describe('The slot that answers the surface.'),
    fallback: slotName.nullable().optional().describe('The slot that answers when the first cannot be loaded.'),
  })
  .strict();

/** Body of `PUT /v1/sellers/:seller/serving`: the rules to change (null removes one); the others stay. */
export const servingRequest = z
  .object({
    surfaces: z
      .object(
        Object.fromEntries(RULE_NAMES.map((r) => [r, rule.nullable().optional()])) as Record<
          (typeof RULE_NAMES)[number],
          z.ZodOptional<z.ZodNullable<typeof rule>>
        >,
        {
          error: `surfaces must be an object with any of ${RULE_NAMES.join(', ')}`,
        },
      )
      .strict()
      .refine((v) => Object.keys(v).length > 0, `surfaces must name at least one of ${RULE_NAMES.join(', ')}`),
  })
  .strict();

const storedRule = z.object({ slot: z.string(), fallback: z.string().nullable() }).nullable();

/** The rules of every surface (null: no rule). */
const surfacesAnswer = z.object(Object.fromEntries(RULE_NAMES.map((r) => [r, storedRule])) as Record<(typeof RULE_NAMES)[number], typeof storedRule>);

/** Answer of `GET|PUT /v1/sellers/:seller/serving`. */
export const servingAnswer = z.object({
  seller: z.string(),
  surfaces: surfacesAnswer,
  updated: z.string().nullable().describe('When the configuration was last written (ISO 8601); null when it never was.'),
});

const versionAnswer = z.object({
  version: z.string(),
  kind: z.string().describe('The model type of the artifact: lightfm, item-knn, user-knn or popularity.'),
  bytes: z.number(),
  items: z.number(),
  customers: z.number().describe('Customers with a record in this version.'),
  published: z.string(),
  current: z.boolean().describe("Whether the slot's pointer names this version."),
  metrics: z.record(z.string(), z.number()).nullable().describe("The numeric figures of the version's model card (served holdout figures)."),
});

/** Answer of `GET /v1/sellers/:seller/models`. */
export const modelsAnswer = z.object({
  seller: z.string(),
  slots: z.array(
    z.object({
      slot: z.string(),
      kind: z.string().nullable().describe("The model type of the slot's current version; null when the slot has no pointer."),
      current: z.string().nullable(),
      serves: z.array(z.string()).describe('The serving rules that name the slot: basket, similar, for-you, new-items, "… (fallback)".'),
      versions: z.array(versionAnswer).describe('Oldest first.'),
    }),
  ),
  serving: surfacesAnswer,
  problems: z.array(z.string()).describe('Stored values that could not be read (left out of the listing); empty when all could.'),
});
