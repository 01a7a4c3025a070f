import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import {
  SWAGGER_UI_BUNDLE,
  SWAGGER_UI_BUNDLE_LICENSES,
  SWAGGER_UI_CSS,
  SWAGGER_UI_LICENSE,
  SWAGGER_UI_NOTICE,
  SWAGGER_UI_VERSION,
} from '../openapi/docs-assets.generated.js';
import { DOCS_ASSETS_DIR, DOCS_PAGE, docsPagePolicy } from '../openapi/docs-page.js';
import { openApiDocument } from '../openapi/document.js';
import { pageHeaders } from '../http/page-headers.js';

const TEXT = 'text/plain; charset=utf-8';

/** The files of /v1/docs, by name under DOCS_ASSETS_DIR. */
const DOCS_ASSETS: Record<string, { type: string; body: string }> = {
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', body: SWAGGER_UI_BUNDLE },
  'swagger-ui.css': { type: 'text/css; charset=utf-8', body: SWAGGER_UI_CSS },
  'swagger-ui-bundle.js.LICENSE.txt': { type: TEXT, body: SWAGGER_UI_BUNDLE_LICENSES },
  LICENSE: { type: TEXT, body: SWAGGER_UI_LICENSE },
  NOTICE: { type: TEXT, body: SWAGGER_UI_NOTICE },
};

/**
 * What needs no key: the health check, the OpenAPI document, and the API reference over it
 * (Swagger UI, its assets served from here: see functions/openapi/docs-page.ts).
 */
export function metaRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/v1/health', (c) => c.json({ ok: true }));
  routes.get('/v1/openapi.json', (c) => c.json(openApiDocument()));
  routes.get('/v1/docs', async (c) => c.html(DOCS_PAGE, 200, pageHeaders(await docsPagePolicy())));
  routes.get(`${DOCS_ASSETS_DIR}/:file`, (c) => {
    const asset = Object.hasOwn(DOCS_ASSETS, c.req.param('file')) ? DOCS_ASSETS[c.req.param('file')] : undefined;
    if (asset === undefined) return c.notFound();
    const etag = `"swagger-ui-${SWAGGER_UI_VERSION}-${c.req.param('file')}"`;
    // The version is in the path, so a URL never changes content: cache it for a year.
    const headers = { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=31536000, immutable', ETag: etag, 'X-Content-Type-Options': 'nosniff' };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });
  return routes;
}
