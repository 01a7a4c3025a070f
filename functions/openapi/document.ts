import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../core/errors/api-error.js';
import { ARM_MODELS, experimentRequest } from '../experiments/definition.js';
import { CATALOG_BODY_BYTES, MAX_BODY_BYTES, MAX_URL_BYTES } from '../http/limits.js';
import { CATALOG_LIMITS } from '../catalog/store.js';
import { catalogGetAnswer, catalogItem, catalogItemAnswer, catalogPutAnswer, catalogRequest, catalogRetireAnswer } from '../routes/catalog-schema.js';
import { LIMITS, PARAM_DOCS, PARAM_SCHEMAS } from '../routes/query.js';
import { cardAnswer, rollbackAnswer, rollbackRequest, statsAnswer, statsQuery, widgetAnswer } from '../routes/console-schemas.js';
import { keyCreateRequest, keyCreatedAnswer, keyRevokedAnswer, keysAnswer } from '../routes/keys-schema.js';
import { modelsAnswer, servingAnswer, servingRequest } from '../routes/slots-schema.js';

type Json = Record<string, unknown>;

/** The JSON Schema of a query parameter (its input side: what a client sends). */
function paramSchema(name: keyof typeof PARAM_SCHEMAS): Json {
  const schema = z.toJSONSchema(PARAM_SCHEMAS[name], { io: 'input', unrepresentable: 'any' }) as Json;
  delete schema.$schema;
  return schema;
}

/** The JSON Schema of a body or answer schema (its input side for bodies, output for answers). */
function bodySchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

/** The query parameters of a zod object schema (their input side), for an operation. */
function queryParams(schema: z.ZodObject): Json[] {
  const json = bodySchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    in: 'query',
    required: (json.required ?? []).includes(name) && p.default === undefined,
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
    schema: p,
  }));
}

/** A JSON answer of a zod schema (its output side). */
function jsonAnswer(description: string, schema: z.ZodType): Json {
  return { description, content: { 'application/json': { schema: bodySchema(schema, 'output') } } };
}

const pathParam = (name: string, description: string, pattern?: string): Json => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', ...(pattern ? { pattern } : {}) },
});

function queryParam(name: keyof typeof PARAM_SCHEMAS, required = false): Json {
  const doc = PARAM_DOCS[name];
  const schema = paramSchema(name);
  if (doc.default !== undefined) schema.default = doc.default;
  return { name, in: 'query', required, description: doc.description, schema, ...(doc.example ? { example: doc.example } : {}) };
}

const COMMON = ['n', 'exclude', 'category', 'in_stock', 'min_price', 'max_price', 'model', 'slot', 'key'] as const;

const sellerParam: Json = {
  name: 'seller',
  in: 'path',
  required: true,
  description: 'The seller id.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
};

function errorResponse(description: string, codes: ErrorCode[]): Json {
  return {
    description: `${description} Codes: ${codes.join(', ')}.`,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

function codesWith(status: number): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => ERROR_CODES[c] === status);
}

const sellerErrors: Json = {
  '400': errorResponse('A query parameter or the seller id is invalid; the message names it.', codesWith(400)),
  '401': errorResponse('No key, an unknown key, a revoked key, or a secret key in the URL (send it in the Authorization header).', codesWith(401)),
  '403': errorResponse('The key is of another seller, used from an origin it does not allow, or not allowed this.', codesWith(403)),
  '404': errorResponse('No such route, or `model=` names a model the active version does not have.', codesWith(404)),
  '413': errorResponse(
    `The URL is longer than ${MAX_URL_BYTES} characters, a body over ${MAX_BODY_BYTES} bytes is declared, or a list has more than ${LIMITS.ids} ids.`,
    codesWith(413),
  ),
  '429': {
    ...errorResponse(
      "The key's rate limit, its share for one client address, or the address's budget of failed requests is exceeded; retry after the number of seconds in Retry-After.",
      codesWith(429),
    ),
    headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
  },
  '503': {
    ...errorResponse(
      'Storage the request needs is unavailable (retry after Retry-After), or D1 has no schema (`not_configured`: the message gives the migration command).',
      codesWith(503),
    ),
    headers: { 'Retry-After': { description: 'Seconds to wait (unavailable).', schema: { type: 'integer' } } },
  },
};

function recommendationsOperation(summary: string, description: string, params: Json[]): Json {
  return {
    get: {
      summary,
      description,
      tags: ['recommendations'],
      security: [{ bearer: [] }, { queryKey: [] }],
      parameters: [sellerParam, ...params, ...COMMON.map((p) => queryParam(p))],
      responses: {
        '200': { description: 'Recommendations, best first.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Recommendations' } } } },
        ...sellerErrors,
      },
    },
  };
}

let cached: Json | undefined;

/** The OpenAPI 3.1 document of the API (built once per isolate). */
export function openApiDocument(): Json {
  if (cached !== undefined) return cached;
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'PlusOne edge API',
      version: '1',
      // Markdown (CommonMark), as the API reference at /v1/docs renders it.
      description: [
        'Recommendations that add one more item to the basket, served from the edge.',
        '**Keys.** Every seller route needs one: `Authorization: Bearer <key>`, or, from the storefront widget, `?key=pk_…` (a secret key in the URL is refused: 401 `secret_key_in_url`). ' +
          'Publishable keys (`pk_…`) are for browsers, from the origins listed when they were created (CORS); secret keys (`sk_…`) only for servers. ' +
          'A key of one seller gets 403 on another. `plusone keys create` and `plusone keys revoke` make and revoke them; only their SHA-256 is stored.',
        "**Rate limits** are per key, per publishable key and client address (one address gets at most half of a key's budget), and per address for requests with a wrong, unknown or missing key " +
          "(counted by Cloudflare's Rate Limiting bindings where the worker has them, else per isolate): over a limit the answer is 429 `rate_limited` with a `Retry-After` header in seconds.",
        '**Errors** are `{"error":{"code","message"}}`; the message says what was wrong and what to do. Each operation lists its codes per status.',
        '**Example**',
        '```\ncurl -H "Authorization: Bearer pk_…" "https://<worker>/v1/sellers/shop1/recommendations/basket?items=sku1,sku7&n=4"\n\n' +
          '{"items":[{"id":"sku3","score":0.42,"title":"Mug","url":"https://…","image":"https://…","price":12.5}],\n' +
          ' "model":{"type":"item-knn","version":"20260101T120000Z-ease-1a2b3c4d","slot":"ease"},"variant":null,"experiment":null,"rec_id":"…","fallback":false}\n```',
      ].join('\n\n'),
    },
    paths: {
      '/v1/health': {
        get: {
          summary: 'Liveness',
          tags: ['meta'],
          responses: {
            '200': {
              description: 'Up.',
              content: { 'application/json': { schema: { type: 'object', properties: { ok: { const: true } }, required: ['ok'] } } },
            },
          },
        },
      },
      '/v1/openapi.json': { get: { summary: 'This document', tags: ['meta'], responses: { '200': { description: 'OpenAPI 3.1 JSON.' } } } },
      '/v1/docs': { get: { summary: 'This reference (Swagger UI over this document)', tags: ['meta'], responses: { '200': { description: 'HTML.' } } } },
      '/v1/sellers/{seller}/recommendations/basket': recommendationsOperation(
        'Complete the order',
        "Items to add to a cart. item-knn sums the neighbour rows of the cart items; hybrid MF scores every item against the sum of the cart items' vectors and the customer's vector. Without a known cart item: the customer's list, then trending or popular items.",
        [queryParam('items'), queryParam('customer')],
      ),
      '/v1/sellers/{seller}/recommendations/similar': recommendationsOperation(
        'Customers also bought / more like this',
        'Items to show with one item: its neighbour row (item-knn) or the items closest to its vector (hybrid MF). An unknown item gets trending or popular items with fallback true.',
        [queryParam('item', true)],
      ),
      '/v1/sellers/{seller}/recommendations/for-you': recommendationsOperation(
        'For this customer',
        "Items for a customer: their vector (hybrid MF) or their precomputed list (item-knn, user-knn). An unknown customer falls back to the session's items, then to trending or popular items.",
        [queryParam('customer'), queryParam('items')],
      ),
      '/v1/sellers/{seller}/model': {
        get: {
          summary: "The older active pointer (or ?slot=: a slot's) and what this isolate serves from it (secret keys only)",
          tags: ['admin'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, { name: 'slot', in: 'query', required: false, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' } }],
          responses: { '200': { description: 'The pointer, the served version and the last loading problem.' }, ...sellerErrors },
        },
      },
      '/v1/sellers/{seller}/models': {
        get: {
          summary: "The seller's slots, their versions and the serving configuration (secret keys only)",
          description:
            'Each slot with its kind, current version, the serving rules that name it and its kept versions (kind, bytes, items, customers, published, the numeric figures of the model card). Sellers published before the slots show their type pointers and version list as slots named by kind. KV lists eventually: a version published in the last minute may be missing at other locations.',
          tags: ['admin'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          responses: {
            '200': { description: 'The slots, by name.', content: { 'application/json': { schema: bodySchema(modelsAnswer, 'output') } } },
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/serving': {
        get: {
          summary: 'The serving configuration: which slot (and fallback slot) answers each surface (secret keys only)',
          tags: ['admin'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          responses: {
            '200': {
              description: 'Every rule; null where a surface has none.',
              content: { 'application/json': { schema: bodySchema(servingAnswer, 'output') } },
            },
            ...sellerErrors,
          },
        },
        put: {
          summary: 'Change the rules of some surfaces (secret keys only)',
          description:
            'The surfaces named in the body get the rule (null removes it); the others keep theirs; the whole configuration is written as one KV value. Each slot must be non-empty and of a kind that serves the surface (user-knn serves for-you only; new-items needs lightfm, item-knn or popularity): otherwise 409 serving_conflict. Answers take it within MEMO_SECONDS in an isolate that reads it from KV (spec/edge-api.md, "Slots and serving").',
          tags: ['admin'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          requestBody: { required: true, content: { 'application/json': { schema: bodySchema(servingRequest, 'input') } } },
          responses: {
            '200': { description: 'The configuration as written.', content: { 'application/json': { schema: bodySchema(servingAnswer, 'output') } } },
            '409': errorResponse('A rule names an empty slot, or a slot whose kind does not serve the surface.', ['serving_conflict']),
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/catalog': {
        put: {
          summary: 'Upsert catalog items: display data, price, stock, category, tags (secret keys only)',
          description: [
            `1 to ${CATALOG_LIMITS.callItems} items per call, as NDJSON (one item per line; Content-Type application/x-ndjson) or as JSON {"items":[…]} (application/json), in a body of at most ${CATALOG_BODY_BYTES / 1048576} MiB read as a stream.`,
            'A field given replaces what the catalog holds for the item; a field left out keeps it; null makes it unknown; an upsert brings a retired item back.',
            "The call is checked whole: a 400 names every problem by line (NDJSON) or item (JSON) and field, and nothing of a refused call is written. A good call is applied all at once; calls at the same time never lose each other's items (409 catalog_conflict after 5 attempts, nothing written).",
            'Answers use it within MEMO_SECONDS (R2 is strongly consistent): display data and the category, in_stock and price filters read it; retired items are never answered; an item a hybrid slot trained with item features never saw is scored from its tags (spec/edge-api.md, "Catalog updates").',
          ].join(' '),
          tags: ['catalog'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: bodySchema(catalogRequest, 'input') },
              'application/x-ndjson': { schema: { ...bodySchema(catalogItem, 'input'), description: 'One item per line.' } },
            },
          },
          responses: {
            '200': { description: 'The call was applied.', content: { 'application/json': { schema: bodySchema(catalogPutAnswer, 'output') } } },
            '409': errorResponse('Other catalog writes kept changing the catalog while this one was applied; nothing was written: send it again.', [
              'catalog_conflict',
            ]),
            '413': errorResponse(
              `A body over ${CATALOG_BODY_BYTES} bytes, more than ${CATALOG_LIMITS.callItems} items, or a call that would take the overlay past ${CATALOG_LIMITS.entries} entries.`,
              ['request_too_large', 'too_many_items'],
            ),
            '503': errorResponse('The stored catalog could not be read; nothing was changed: try again.', ['unavailable']),
            ...Object.fromEntries(Object.entries(sellerErrors).filter(([status]) => status !== '413')),
          },
        },
        get: {
          summary: "The catalog's version: its number, its layers' entries, when it was written (secret keys only)",
          tags: ['catalog'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          responses: {
            '200': {
              description: 'The version, or null when nothing was pushed.',
              content: { 'application/json': { schema: bodySchema(catalogGetAnswer, 'output') } },
            },
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/catalog/{item}': {
        get: {
          summary: 'What the latest catalog holds for an item: the fields pushed for it (secret keys only)',
          tags: ['catalog'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, { name: 'item', in: 'path', required: true, schema: bodySchema(catalogItem.shape.id, 'input') }],
          responses: {
            '200': { description: 'The entry, or null.', content: { 'application/json': { schema: bodySchema(catalogItemAnswer, 'output') } } },
            ...sellerErrors,
          },
        },
        delete: {
          summary: 'Retire an item: never recommended again, until it is upserted again (secret keys only)',
          tags: ['catalog'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, { name: 'item', in: 'path', required: true, schema: bodySchema(catalogItem.shape.id, 'input') }],
          responses: {
            '200': { description: 'Retired.', content: { 'application/json': { schema: bodySchema(catalogRetireAnswer, 'output') } } },
            '409': errorResponse('Other catalog writes kept changing the catalog; nothing was written: send it again.', ['catalog_conflict']),
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/events': {
        post: {
          summary: 'Report shopper events (impressions, clicks, add-to-carts, purchases)',
          description:
            'Body {"events":[…]}, 1 to 100 events (fields in spec/edge-api.md, "Events"), read as JSON whatever the Content-Type. Queued, then written to D1 idempotently on event_id.',
          tags: ['events'],
          security: [{ bearer: [] }, { queryKey: [] }],
          parameters: [sellerParam],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'object', required: ['events'], properties: { events: { type: 'array', maxItems: 100, items: { type: 'object' } } } },
              },
            },
          },
          responses: { '202': { description: '{"accepted":n,"duplicates":m}' }, ...sellerErrors },
        },
        get: {
          summary: 'List stored events, oldest first (secret keys only)',
          tags: ['events'],
          security: [{ bearer: [] }],
          parameters: [
            sellerParam,
            ...['visitor', 'customer', 'type', 'experiment', 'since', 'after', 'limit'].map((name) => ({
              name,
              in: 'query',
              required: false,
              schema: { type: 'string' },
            })),
          ],
          responses: { '200': { description: '{"events":[…],"next":cursor|null}' }, ...sellerErrors },
        },
      },
      '/v1/sellers/{seller}/experiments': {
        post: {
          summary: 'Create an A/B experiment (secret keys only)',
          description: `{"surface":"basket","arms":[{"name","slot":"<slot>","weight"} or {"name","model":"popularity|none","weight"}],"control","attribution_window_hours","orders_per_year"}. An arm names a slot (its current version answers) or a model: popularity, none, or (experiments made before the slots) ${ARM_MODELS.filter((m) => m !== 'none' && m !== 'popularity').join(', ')}, read as the slot of that name. Start refuses an arm whose slot is empty or of a kind that does not serve the surface (409).`,
          tags: ['experiments'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          requestBody: { required: true, content: { 'application/json': { schema: bodySchema(experimentRequest, 'input') } } },
          responses: { '201': { description: '{"experiment":{…}} in draft' }, ...sellerErrors },
        },
        get: {
          summary: "The seller's experiments, newest first",
          tags: ['experiments'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          responses: { '200': { description: '{"experiments":[…]}' }, ...sellerErrors },
        },
      },
      '/v1/sellers/{seller}/experiments/{id}/start': {
        post: {
          summary: 'Start a draft experiment',
          tags: ['experiments'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: '{"experiment":{…}}' }, ...sellerErrors },
        },
      },
      '/v1/sellers/{seller}/experiments/{id}/stop': {
        post: {
          summary: 'Stop a running experiment',
          tags: ['experiments'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: '{"experiment":{…}}' }, ...sellerErrors },
        },
      },
      '/v1/sellers/{seller}/experiments/{id}/report': {
        get: {
          summary: "An experiment's report: per-arm rates with intervals, z and Welch tests, SRM, sequential p-values, revenue projection",
          tags: ['experiments'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, { name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'spec/experiment-report.md' }, ...sellerErrors },
        },
      },
      '/v1/widget': {
        get: {
          summary: 'The storefront widget to pin: its versioned URL and Subresource Integrity hash',
          description: 'What a snippet needs (spec/widget.md): `<script async src="EDGE/widget.v1.js" integrity="…" crossorigin="anonymous" data-…>`.',
          tags: ['meta'],
          responses: { '200': jsonAnswer('The script and its hash.', widgetAnswer) },
        },
      },
      '/console': {
        get: {
          summary: 'The seller console: a page that signs in with a secret key and calls this API with it',
          description:
            'Overview, models, preview, experiments, install (keys and the snippet) and customers, all through the routes of this document: the console can do nothing the key could not do with curl. The key stays in the tab (sessionStorage), never in a URL.',
          tags: ['meta'],
          responses: { '200': { description: 'HTML.' } },
        },
      },
      '/v1/sellers/{seller}/stats': {
        get: {
          summary: "The seller's figures per day over the last days, from its events (secret keys only)",
          description:
            'Impressions, clicks and add-to-carts of recommendations (events with a rec_id), orders (purchase events, one per order_id), orders and revenue attributed to a recommendation (an item of the order clicked or added to cart from an answer within the window before), items per order, orders with 2+ items; per UTC day and in total. Aggregated in D1 (one range scan of the window per query); at most 90 days.',
          tags: ['admin'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, ...queryParams(statsQuery)],
          responses: { '200': jsonAnswer('The totals and one entry per day, oldest first.', statsAnswer), ...sellerErrors },
        },
      },
      '/v1/sellers/{seller}/keys': {
        get: {
          summary: "The seller's API keys, revoked ones included (secret keys only)",
          description: 'Never the keys themselves: their id, type, hint (first characters), origins, dates and limits.',
          tags: ['keys'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          responses: { '200': jsonAnswer('Oldest first; `current` is the key of this request.', keysAnswer), ...sellerErrors },
        },
        post: {
          summary: 'Create an API key (secret keys only); the answer holds the key, shown this once',
          description:
            'The same record and index entry as `plusone keys create` (spec/edge-api.md, "Keys"). Origins are written in canonical form; a path, query or user part is refused. A seller has at most 500 keys (409 key_conflict).',
          tags: ['keys'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          requestBody: { required: true, content: { 'application/json': { schema: bodySchema(keyCreateRequest, 'input') } } },
          responses: {
            '201': jsonAnswer('The new key and its listing.', keyCreatedAnswer),
            '409': errorResponse('The seller has too many keys.', ['key_conflict']),
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/keys/{id}': {
        delete: {
          summary: 'Revoke an API key (secret keys only)',
          description:
            "Requests with it get 401 revoked_key: at once in the isolate that revoked it, within MEMO_SECONDS and KV's cache elsewhere. The key making the request cannot revoke itself (409 key_conflict).",
          tags: ['keys'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, pathParam('id', 'The key id (key_ and 16 hex digits).', '^key_[0-9a-f]{16}$')],
          responses: {
            '200': jsonAnswer('The key as listed now.', keyRevokedAnswer),
            '404': errorResponse('No such key.', ['key_not_found']),
            '409': errorResponse('The key making the request.', ['key_conflict']),
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/models/{version}/card': {
        get: {
          summary: "A version's model card (secret keys only)",
          tags: ['admin'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, pathParam('version', 'A version name as GET …/models lists it.')],
          responses: {
            '200': jsonAnswer('The card as published.', cardAnswer),
            '404': errorResponse('No card for this version.', ['version_not_found']),
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/slots/{slot}/rollback': {
        post: {
          summary: 'Point a slot back at an earlier version (secret keys only)',
          description:
            "The publisher's rollback (`plusone rollback --slot`): to `to`, one of the slot's kept versions, or by default the one before the current one; its artifact's SHA-256 is checked first. The surfaces the slot serves answer with it within MEMO_SECONDS and KV's cache.",
          tags: ['admin'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, pathParam('slot', 'The slot name.', '^[a-z0-9][a-z0-9-]{0,31}$')],
          requestBody: { required: false, content: { 'application/json': { schema: bodySchema(rollbackRequest, 'input') } } },
          responses: {
            '200': jsonAnswer('The slot now answers with this version.', rollbackAnswer),
            '404': errorResponse("`to` is not one of the slot's versions.", ['version_not_found']),
            '409': errorResponse("The slot is empty, has no older version, or the target's artifact is missing or damaged.", ['rollback_conflict']),
            ...sellerErrors,
          },
        },
      },
      '/v1/sellers/{seller}/customers/deleted': {
        get: {
          summary: 'Customers forgotten so far (secret keys only)',
          description: 'The retrain pipeline leaves them out of training.',
          tags: ['customers'],
          security: [{ bearer: [] }],
          parameters: [sellerParam],
          responses: { '200': { description: '{"customers":[{"customer","deleted"}]}, oldest deletion first' }, ...sellerErrors },
        },
      },
      '/v1/sellers/{seller}/customers/{customer}': {
        delete: {
          summary: 'Forget a customer: their events, their per-customer records, and their place in the next training',
          tags: ['customers'],
          security: [{ bearer: [] }],
          parameters: [sellerParam, { name: 'customer', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: '{"customer","events_deleted","records_deleted","excluded_from_training":true}' }, ...sellerErrors },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer pk_… or sk_…' },
        queryKey: { type: 'apiKey', in: 'query', name: 'key', description: 'For the storefront widget: ?key=pk_…' },
      },
      schemas: {
        Recommendations: {
          type: 'object',
          required: ['items', 'model', 'variant', 'experiment', 'rec_id', 'fallback'],
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: ['id', 'score', 'title', 'url', 'image', 'price'],
                properties: {
                  id: { type: 'string' },
                  score: { type: 'number', description: "The model's score (for fallback items: the ranking's score)." },
                  title: { type: ['string', 'null'] },
                  url: { type: ['string', 'null'] },
                  image: { type: ['string', 'null'] },
                  price: { type: ['number', 'null'] },
                },
              },
            },
            model: {
              type: ['object', 'null'],
              description:
                'The model that answered: its type, version and slot (slot null: the older active pointer of a seller published before the slots); null when the seller has no model.',
              properties: { type: { type: 'string' }, version: { type: 'string' }, slot: { type: ['string', 'null'] } },
            },
            variant: { type: ['string', 'null'], description: 'The A/B arm of this answer inside a running experiment, else null.' },
            experiment: { type: ['string', 'null'], description: 'The running experiment this answer belongs to, else null.' },
            rec_id: { type: 'string', description: 'A random id of this response (for events).' },
            fallback: { type: 'boolean', description: "True when no item came from the model's own scoring (trending, popular, or nothing)." },
          },
        },
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  };
  return cached;
}
