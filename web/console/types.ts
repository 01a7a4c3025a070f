/**
 * The API's answers as the console reads them: the types of the routes' own zod schemas and
 * of the report, imported as types only (no worker code reaches the bundle).
 */
import type { z } from 'zod';
import type { ExperimentDefinition } from '../../functions/experiments/definition.js';
import type { cardAnswer, rollbackAnswer, widgetAnswer } from '../../functions/routes/console-schemas.js';
import type { keyCreatedAnswer, keyRevokedAnswer, keysAnswer, listedKeyAnswer } from '../../functions/routes/keys-schema.js';
import type { modelsAnswer, servingAnswer } from '../../functions/routes/slots-schema.js';
import type { SellerStats } from '../../functions/stats/stats-types.js';

export type { ExperimentDefinition, SellerStats };
export type Models = z.output<typeof modelsAnswer>;
export type Slot = Models['slots'][number];
export type Version = Slot['versions'][number];
export type Serving = z.output<typeof servingAnswer>;
export type Card = z.output<typeof cardAnswer>;
export type Rollback = z.output<typeof rollbackAnswer>;
export type WidgetInfo = z.output<typeof widgetAnswer>;
export type Keys = z.output<typeof keysAnswer>;
export type ListedKey = z.output<typeof listedKeyAnswer>;
export type KeyCreated = z.output<typeof keyCreatedAnswer>;
export type KeyRevoked = z.output<typeof keyRevokedAnswer>;

/** A recommendation answer (spec/edge-api.md, "200 body"). */
export interface Recommendations {
  items: { id: string; score: number; title: string | null; url: string | null; image: string | null; price: number | null }[];
  model: { type: string; version: string; slot: string | null } | null;
  variant: string | null;
  experiment: string | null;
  rec_id: string;
  fallback: boolean;
}

/** The surfaces of the API and the rules of a serving configuration. */
export const SURFACES = ['basket', 'similar', 'for-you'] as const;
export type Surface = (typeof SURFACES)[number];
export const RULES = [...SURFACES, 'new-items'] as const;
export type Rule = (typeof RULES)[number];

/** Which surfaces a model type answers at the edge (core/format/spec.ts, SERVED_SURFACES); `new-items` needs one that answers from an item. */
const SERVED: Record<string, readonly Surface[]> = {
  lightfm: SURFACES,
  'item-knn': SURFACES,
  popularity: SURFACES,
  'user-knn': ['for-you'],
};
export function kindServes(kind: string | null, rule: Rule): boolean {
  const served = kind === null ? undefined : SERVED[kind];
  return served?.includes(rule === 'new-items' ? 'similar' : rule) ?? false;
}
