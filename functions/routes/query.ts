import { z } from 'zod';
import { MODEL_CHOICES } from '../../core/recommend/recommend.js';
import { slotNameProblem } from '../../core/storage/slots.js';

/** Limits on what a request may carry. */
export const LIMITS = {
  /** Ids in `items` or `exclude`; more is a 413. */
  ids: 100,
  /** Characters in one id (item or customer). */
  idChars: 256,
  n: 100,
  categoryChars: 200,
  maxPrice: 1e12,
} as const;

/** A parameter that must appear once, as text. */
const once = (name: string) => z.string({ error: (iss) => (Array.isArray(iss.input) ? `${name} must be given once` : `${name} must be text`) });

const id = (name: string) =>
  once(name)
    .transform((v) => v.trim())
    .pipe(z.string().min(1, `${name} must not be empty`).max(LIMITS.idChars, `${name} is longer than ${LIMITS.idChars} characters`));

/**
 * A list of ids: `A,B` and/or the parameter repeated (`items=A&items=B`); blanks dropped.
 * More than {@link LIMITS.ids} is flagged for a 413.
 */
const idList = (name: string) =>
  z
    .union([z.string(), z.array(z.string())], { error: `${name} must be a comma-separated list of ids` })
    .optional()
    .transform((v, ctx) => {
      const ids = (v === undefined ? [] : Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (ids.length > LIMITS.ids) {
        ctx.addIssue({ code: 'custom', message: `${name} has ${ids.length} ids; at most ${LIMITS.ids} are accepted`, params: { status: 413 } });
      }
      const long = ids.find((s) => s.length > LIMITS.idChars);
      if (long !== undefined) ctx.addIssue({ code: 'custom', message: `${name}: an id is longer than ${LIMITS.idChars} characters` });
      return ids;
    });

const price = (name: string) =>
  once(name)
    .regex(/^\d{1,13}(\.\d{1,6})?$/, `${name} must be a number >= 0 such as 19.99`)
    .transform(Number)
    .refine((v) => v <= LIMITS.maxPrice, `${name} must be at most ${LIMITS.maxPrice}`)
    .optional();

const common = {
  n: once('n')
    .regex(/^\d{1,3}$/, `n must be an integer from 1 to ${LIMITS.n}`)
    .transform(Number)
    .refine((v) => v >= 1 && v <= LIMITS.n, `n must be an integer from 1 to ${LIMITS.n}`)
    .optional()
    .default(10),
  exclude: idList('exclude'),
  category: once('category')
    .max(LIMITS.categoryChars, `category is longer than ${LIMITS.categoryChars} characters`)
    .transform((v) => (v.trim() === '' ? null : v.trim()))
    .optional(),
  in_stock: z
    .enum(['1', 'true', '0', 'false'], { error: 'in_stock must be 1 or 0 (true or false), given once' })
    .transform((v) => v === '1' || v === 'true')
    .optional(),
  min_price: price('min_price'),
  max_price: price('max_price'),
  model: z.enum(MODEL_CHOICES, { error: `model must be one of ${MODEL_CHOICES.join(', ')}, given once` }).optional(),
  slot: once('slot')
    .superRefine((v, ctx) => {
      const problem = slotNameProblem(v);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** The key, for the widget; read by the auth middleware. */
  key: once('key').optional(),
  /** The storefront's visitor id: the unit of A/B assignment. */
  visitor: once('visitor')
    .transform((v) => v.trim())
    .pipe(z.string().min(1, 'visitor must not be empty').max(128, 'visitor is longer than 128 characters'))
    .optional(),
};

const priceOrder = (q: { min_price?: number | undefined; max_price?: number | undefined }) =>
  q.min_price === undefined || q.max_price === undefined || q.min_price <= q.max_price;
const priceMessage = { message: 'min_price must not be above max_price', path: ['min_price'] };

export const basketQuery = z.object({ ...common, items: idList('items'), customer: id('customer').optional() }).refine(priceOrder, priceMessage);
export const similarQuery = z.object({ ...common, item: id('item') }).refine(priceOrder, priceMessage);
export const forYouQuery = z.object({ ...common, customer: id('customer').optional(), items: idList('items') }).refine(priceOrder, priceMessage);

/** What each query parameter means (the OpenAPI document and /v1/docs are built from this). */
export const PARAM_DOCS: Record<string, { description: string; example?: string; default?: string }> = {
  items: {
    description: `Item ids, comma-separated (or the parameter repeated); at most ${LIMITS.ids}. Basket: the cart. For-you: the session. Unknown ids are ignored.`,
    example: 'sku1,sku7',
  },
  item: { description: 'The item to find similar items for. An unknown id gets the fallback ranking.', example: 'sku1' },
  customer: {
    description: 'The customer id as in the orders file. An unknown customer falls back to the items, then to trending or popular items.',
    example: 'c42',
  },
  n: { description: `How many items to return, 1 to ${LIMITS.n} (default 10).`, example: '4', default: '10' },
  exclude: { description: 'Item ids never to return, comma-separated. Cart items (and the item of similar) are never returned either.', example: 'sku3' },
  category: { description: 'Only items of this catalog category (case-insensitive exact match).', example: 'mugs' },
  in_stock: { description: '1: only items the catalog says are in stock (unknown stock is left out).', example: '1' },
  min_price: { description: 'Only items priced at least this (items without a price are left out).', example: '10' },
  max_price: { description: 'Only items priced at most this (items without a price are left out).', example: '50' },
  model: {
    description: 'Secret keys only: answer with this model of the version that answers, or with its popularity or trending ranking.',
    example: 'popularity',
  },
  slot: {
    description: "Secret keys only: answer with this slot's current version, outside the serving configuration and experiments (404 when the slot is empty).",
    example: 'ease',
  },
  key: { description: 'The API key, for the storefront widget (otherwise use the Authorization header).', example: 'pk_…' },
  visitor: {
    description:
      "The storefront's visitor id (the widget sends it). Inside a running experiment it picks the arm, stably; without it, the customer id does, else no experiment applies.",
    example: 'v-3f2a',
  },
};

/** The zod schema of each parameter, for the OpenAPI document. */
export const PARAM_SCHEMAS = { ...common, items: idList('items'), item: id('item'), customer: id('customer') };
