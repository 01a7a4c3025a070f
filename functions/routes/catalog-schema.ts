import { z } from 'zod';
import { CATALOG_LIMITS } from '../catalog/store.js';

/**
 * The zod schemas of the catalog routes (`PUT|GET …/catalog`, `GET|DELETE …/catalog/:item`):
 * what the route validates each item with, and the answers, from which the OpenAPI document
 * (functions/openapi/document.ts) is built.
 */

/** Limits on one catalog item (spec/edge-api.md, "Catalog updates"). */
export const ITEM_LIMITS = { idChars: 256, titleChars: 500, urlChars: 2048, categoryChars: 200, tags: 64, tagChars: 200, maxPrice: 1e9 } as const;

/** Whether a text holds a control character (C0, DEL or C1). */
function hasControl(v: string): boolean {
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

const link = (field: string) =>
  z
    .string({ error: `${field} must be text or null` })
    .max(ITEM_LIMITS.urlChars, `${field} is longer than ${ITEM_LIMITS.urlChars} characters`)
    .refine(
      (v) => v === '' || /^(https?:\/\/|\/(?!\/))[^\s]*$/i.test(v),
      `${field} must be an http:// or https:// URL or a path on the storefront (/p/mug-42), without spaces, or empty`,
    )
    .nullable()
    .optional()
    .describe(`${field === 'url' ? "The product page's" : "The product image's"} address (null: unknown).`);

/** The fields of a catalog item. */
const ITEM_FIELDS = ['id', 'title', 'url', 'image', 'price', 'in_stock', 'category', 'features'];

/** One catalog item of a `PUT …/catalog` call: a field left out keeps its value, null makes it unknown. */
export const catalogItem = z
  .object(
    {
      id: z
        .string({ error: 'id is required: the item id as the orders and the recommendation routes name it' })
        .min(1, 'id must not be empty')
        .max(ITEM_LIMITS.idChars, `id is longer than ${ITEM_LIMITS.idChars} characters`)
        .refine((v) => !hasControl(v), 'id must not hold control characters')
        .refine((v) => v.trim() === v, 'id must not start or end with spaces (the recommendation routes trim ids)')
        .describe('The item id, as the orders and the recommendation routes name it.'),
      title: z
        .string({ error: 'title must be text or null' })
        .max(ITEM_LIMITS.titleChars, `title is longer than ${ITEM_LIMITS.titleChars} characters`)
        .nullable()
        .optional()
        .describe('Display title (null: unknown).'),
      url: link('url'),
      image: link('image'),
      price: z
        .number({ error: 'price must be a number or null' })
        .min(0, 'price must be a number from 0 to 1e9')
        .max(ITEM_LIMITS.maxPrice, 'price must be a number from 0 to 1e9')
        .nullable()
        .optional()
        .describe("Price in the seller's currency (null: unknown)."),
      in_stock: z.boolean({ error: 'in_stock must be true, false or null' }).nullable().optional().describe('Stock (null: unknown).'),
      category: z
        .string({ error: 'category must be text or null' })
        .max(ITEM_LIMITS.categoryChars, `category is longer than ${ITEM_LIMITS.categoryChars} characters`)
        .nullable()
        .optional()
        .describe('Category, as the category= filter compares it (without regard to case).'),
      features: z
        .array(
          z
            .string({ error: 'each feature must be text' })
            .min(1, 'a feature must not be empty')
            .max(ITEM_LIMITS.tagChars, `a feature is longer than ${ITEM_LIMITS.tagChars} characters`),
          { error: 'features must be a list of feature names' },
        )
        .max(ITEM_LIMITS.tags, `features has more than ${ITEM_LIMITS.tags} names`)
        .optional()
        .describe(
          "The item's tags: names of the trainer's item-features file (its feature column, such as theme:space); replaces the item's tags. A hybrid slot trained with item features scores an item it never saw from them.",
        ),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; an item has ${ITEM_FIELDS.join(', ')}`
          : issue.code === 'invalid_type'
            ? 'an item must be a JSON object such as {"id":"sku1","in_stock":false}'
            : undefined,
    },
  )
  .strict();

/** Body of `PUT /v1/sellers/:seller/catalog` as JSON (NDJSON: the same items, one per line). */
export const catalogRequest = z
  .object({
    items: z.array(catalogItem).min(1).max(CATALOG_LIMITS.callItems).describe(`1 to ${CATALOG_LIMITS.callItems} items.`),
  })
  .strict();

const summary = z
  .object({
    version: z.number().int().describe('Grows by one per catalog write.'),
    base_entries: z.number().int().describe("Entries of the catalog's base layer."),
    delta_entries: z.number().int().describe('Entries of its delta layer (an id in both counts twice until the next compaction).'),
    updated: z.string().describe('When this version was written (ISO 8601).'),
  })
  .describe('The catalog version now in storage.');

/** Answer of `PUT /v1/sellers/:seller/catalog`. */
export const catalogPutAnswer = z.object({
  seller: z.string(),
  accepted: z.number().int().describe('Items of the call, all applied.'),
  catalog: summary,
});

/** Answer of `GET /v1/sellers/:seller/catalog`. */
export const catalogGetAnswer = z.object({ seller: z.string(), catalog: summary.nullable().describe('Null when nothing was ever pushed.') });

/** Answer of `DELETE /v1/sellers/:seller/catalog/:item`. */
export const catalogRetireAnswer = z.object({ seller: z.string(), item: z.string(), retired: z.literal(true), catalog: summary });

/** Answer of `GET /v1/sellers/:seller/catalog/:item`. */
export const catalogItemAnswer = z.object({
  seller: z.string(),
  item: z.string(),
  entry: z
    .object({
      title: z.string().optional(),
      url: z.string().optional(),
      image: z.string().optional(),
      price: z.number().nullable().optional(),
      in_stock: z.boolean().nullable().optional(),
      category: z.string().optional(),
      features: z.array(z.string()).optional(),
      retired: z.boolean(),
    })
    .nullable()
    .describe("The fields the latest catalog version holds for the item (the others come from the answering artifact's catalog); null when none."),
});
