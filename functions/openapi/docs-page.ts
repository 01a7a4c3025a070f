import { SwaggerUI } from '@hono/swagger-ui';
import { SWAGGER_UI_VERSION } from './docs-assets.generated.js';

/**
 * /v1/docs: Swagger UI over /v1/openapi.json. The page is @hono/swagger-ui's markup, with
 * its assets served by this worker (functions/routes/meta.ts), never from a CDN:
 *   GET /v1/docs/assets/swagger-ui-dist@<version>/swagger-ui-bundle.js   (and swagger-ui.css,
 *   LICENSE, NOTICE, swagger-ui-bundle.js.LICENSE.txt)
 * The version in the path means a URL never changes content, so the assets are cached for a year.
 */

/** @hono/swagger-ui asks for `${baseUrl}/swagger-ui-dist@${version}/…`. */
const ASSETS_BASE = '/v1/docs/assets';

/** The folder of the assets, version included. */
export const DOCS_ASSETS_DIR = `${ASSETS_BASE}/swagger-ui-dist@${SWAGGER_UI_VERSION}`;

const BODY = SwaggerUI({
  url: '/v1/openapi.json',
  baseUrl: ASSETS_BASE,
  version: SWAGGER_UI_VERSION,
  // No badge from the public validator (it would send the document elsewhere).
  validatorUrl: 'none',
  deepLinking: true,
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
});

/** The page; its one inline script is what @hono/swagger-ui writes, allowed by its hash. */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>PlusOne edge API</title></head>
<body>${BODY}</body></html>`;

/** The inline scripts of the page (those without src). */
export function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}

let policy: Promise<string> | undefined;

/**
 * The page's Content-Security-Policy: scripts and stylesheets from this origin plus the
 * inline start-up script by hash (computed once per isolate, since the markup comes from
 * @hono/swagger-ui), images from here or data: URLs (Swagger UI's icons), fetch to this
 * origin only (the document, and "Try it out"), no framing.
 */
export function docsPagePolicy(): Promise<string> {
  policy ??= Promise.all(inlineScripts(DOCS_PAGE).map(sha256Base64)).then(
    (hashes) =>
      `default-src 'none'; script-src 'self' ${hashes.map((h) => `'sha256-${h}'`).join(' ')}; style-src 'self'; img-src 'self' data:; ` +
      `connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  );
  return policy;
}
