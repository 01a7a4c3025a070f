import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { docsPage } from '../openapi/docs-page.js';
import { openApiDocument } from '../openapi/document.js';

/** What needs no key: the health check, the OpenAPI document and the docs page built from it. */
export function metaRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/v1/health', (c) => c.json({ ok: true }));
  routes.get('/v1/openapi.json', (c) => c.json(openApiDocument()));
  routes.get('/v1/docs', (c) => c.html(docsPage()));
  return routes;
}
