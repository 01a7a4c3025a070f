/**
 * What an experiment is: one zod schema for the definition as stored and reported, and the
 * request that creates one (the seller's part of it, with defaults), built from the same
 * fields. The types the store, the routes and the report use are inferred from it.
 */
import { z } from 'zod';
import { MODEL_TYPE_NAMES, type ModelType, SERVED_SURFACES } from '../../core/format/spec.js';
import { SURFACES } from '../../core/recommend/recommend.js';
import { slotNameProblem } from '../../core/storage/slots.js';
import { issueText } from '../http/validate.js';
import { validateArms } from './assign.js';

/**
 * What an arm's `model` may be: `popularity` (the ranking of the version serving the surface),
 * `none` (a holdout shown nothing), or a model type, the arms of experiments made before the
 * slots (read as the slot of that name). New arms name a `slot`.
 */
export const ARM_MODELS = [...MODEL_TYPE_NAMES, 'none'] as const;

const LIMITS = { arms: 10, armWeight: 1_000_000, nameChars: 100, windowHours: 24 * 30, ordersPerYear: 1e10 } as const;

const time = (name: string) =>
  z
    .string({ error: `${name} must be an ISO 8601 time` })
    .refine((v) => !Number.isNaN(Date.parse(v)), { error: (iss) => `${name} must be an ISO 8601 time, got ${JSON.stringify(iss.input)}` });

const slotName = z.string({ error: 'slot must be text' }).superRefine((v, ctx) => {
  const problem = slotNameProblem(v);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

const arm = z.object({
  name: z.string({ error: 'name must be text' }).regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'name must be 1-32 letters, digits, "_" or "-"'),
  /** The slot whose current version the arm serves. */
  slot: slotName.optional(),
  model: z.enum(ARM_MODELS, { error: `model must be one of ${ARM_MODELS.join(', ')}` }).optional(),
  weight: z
    .number({ error: `weight must be a number from 0 to ${LIMITS.armWeight}` })
    .min(0, `weight must be a number from 0 to ${LIMITS.armWeight}`)
    .max(LIMITS.armWeight, `weight must be a number from 0 to ${LIMITS.armWeight}`),
});

const armList = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { error: 'arms must be a list of arms' })
    .min(2, 'arms must list a control and at least one treatment (an experiment needs at least 2 arms)')
    .max(LIMITS.arms, `arms: at most ${LIMITS.arms} arms`);

const fields = z.object({
  id: z.string({ error: 'id must be text' }).min(1, 'id must not be empty'),
  seller: z.string({ error: 'seller must be text' }).min(1, 'seller must not be empty'),
  name: z.string({ error: 'name must be text' }),
  surface: z.enum(SURFACES, { error: `surface must be ${SURFACES.slice(0, -1).join(', ')} or ${SURFACES.at(-1)}` }),
  arms: armList(arm),
  /** The control arm's name. */
  control: z.string({ error: 'control must be text' }),
  status: z.enum(['draft', 'running', 'stopped'], { error: 'status must be draft, running or stopped' }),
  created: time('created'),
  started: time('started').nullable(),
  stopped: time('stopped').nullable(),
  /** How long after a click or add-to-cart an order still counts as attributed. */
  attribution_window_hours: z
    .number({ error: `attribution_window_hours must be a number of hours from 1 to ${LIMITS.windowHours}` })
    .min(1, `attribution_window_hours must be a number of hours from 1 to ${LIMITS.windowHours}`)
    .max(LIMITS.windowHours, `attribution_window_hours must be a number of hours from 1 to ${LIMITS.windowHours}`),
  /**
   * The seller's yearly order volume, for the revenue projection; null = estimate it from
   * the experiment's own orders per day × 365, over all arms.
   */
  orders_per_year: z
    .number({ error: `orders_per_year must be null or a number from 0 to ${LIMITS.ordersPerYear}` })
    .min(0, `orders_per_year must be null or a number from 0 to ${LIMITS.ordersPerYear}`)
    .max(LIMITS.ordersPerYear, `orders_per_year must be null or a number from 0 to ${LIMITS.ordersPerYear}`)
    .nullable(),
});

/** Each arm names a slot or a model (popularity, none), not both. */
function checkTargets(v: { arms: { slot?: string | undefined; model?: string | undefined }[] }, ctx: z.RefinementCtx): void {
  v.arms.forEach((a, i) => {
    if ((a.slot === undefined) === (a.model === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['arms', i],
        message: `give the arm a slot ("slot":"warp") or a model ("model":"popularity" or "none"), ${a.slot === undefined ? 'not neither' : 'not both'}`,
        input: a,
      });
    }
  });
}

/** Unique arm names, a positive total weight, and a control that is one of the arms. */
function checkArms(v: { arms: { name: string; weight: number }[]; control?: string | undefined }, ctx: z.RefinementCtx): void {
  try {
    validateArms(v.arms);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message, input: v.arms });
    return;
  }
  if (v.control !== undefined && !v.arms.some((a) => a.name === v.control)) {
    ctx.addIssue({
      code: 'custom',
      path: ['control'],
      message: `control "${v.control}" is not one of the arms (${v.arms.map((a) => a.name).join(', ')})`,
      input: v.control,
    });
  }
}

/** No arm offers a model type for a surface the edge does not answer with it (user-knn and a cart). */
function checkServed(v: { surface: (typeof SURFACES)[number]; arms: { model?: string | undefined }[] }, ctx: z.RefinementCtx): void {
  v.arms.forEach((a, i) => {
    if (a.model === undefined) return;
    const served = SERVED_SURFACES[a.model as ModelType];
    if (served === undefined || served.includes(v.surface)) return;
    const able = MODEL_TYPE_NAMES.filter((t) => SERVED_SURFACES[t].includes(v.surface));
    ctx.addIssue({
      code: 'custom',
      path: ['arms', i, 'model'],
      message: `${a.model} does not answer the ${v.surface} surface at the edge (it serves ${served.join(', ')}); choose ${able.join(', ')} or none`,
      input: a.model,
    });
  });
}

// The cross-field checks run once every field is valid.
const fieldsValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** An experiment as stored (D1), listed and reported. */
const experimentDefinition = fields.superRefine(checkTargets, fieldsValid).superRefine(checkArms, fieldsValid);
export type ExperimentDefinition = z.infer<typeof experimentDefinition>;
/** One arm: a slot, or a model (popularity, none, or a model type of before the slots). */
export type ExperimentArm = ExperimentDefinition['arms'][number];
/** The model an arm serves, when it names no slot. */
export type ArmModel = (typeof ARM_MODELS)[number];

/**
 * The slot an arm answers from: its `slot`, or for an arm made before the slots the slot named
 * by its model type; undefined for `popularity` and `none`.
 */
export function armSlot(arm: Pick<ExperimentArm, 'slot' | 'model'>): string | undefined {
  if (arm.slot !== undefined) return arm.slot;
  return arm.model === undefined || arm.model === 'none' || arm.model === 'popularity' ? undefined : arm.model;
}

/**
 * The body of POST /v1/sellers/:seller/experiments: the seller's fields of a definition. The
 * name defaults to the surface and the arms, the control to the first arm, a weight to 1.
 */
export const experimentRequest = z
  .object({
    name: z
      .string({ error: 'name must be text' })
      .trim()
      .min(1, `name must be 1 to ${LIMITS.nameChars} characters`)
      .max(LIMITS.nameChars, `name must be 1 to ${LIMITS.nameChars} characters`)
      .optional(),
    surface: fields.shape.surface,
    arms: armList(arm.extend({ weight: arm.shape.weight.default(1) })),
    control: fields.shape.control.optional(),
    attribution_window_hours: fields.shape.attribution_window_hours.default(24),
    orders_per_year: fields.shape.orders_per_year.default(null),
  })
  .strict()
  .superRefine(checkTargets, fieldsValid)
  .superRefine(checkArms, fieldsValid)
  .superRefine(checkServed, fieldsValid);

/** Throws a RangeError naming the first problem of `def` (`definition.arms[1].model must be one of …`). */
export function checkDefinition(def: ExperimentDefinition): void {
  const result = experimentDefinition.safeParse(def);
  if (!result.success) throw new RangeError(`definition.${issueText(result.error.issues[0])}`);
}
