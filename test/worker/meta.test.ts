import { describe, expect, it } from 'vitest';
import { SWAGGER_UI_VERSION } from '../../functions/openapi/docs-assets.generated.js';
import { call, callJson } from './helpers.js';

describe('public routes', () => {
  it('GET /v1/health answers {"ok":true}', async () => {
    const { status, body } = await callJson('/v1/health');
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true });
  });

  it('GET /v1/openapi.json is an OpenAPI 3 document of every route and parameter', async () => {
    const { status, body, res } = await callJson('/v1/openapi.json');
    expect(status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(body.openapi).toMatch(/^3\./);
    const paths = Object.keys(body.paths);
    for (const p of [
      '/v1/health',
      '/v1/sellers/{seller}/recommendations/basket',
      '/v1/sellers/{seller}/recommendations/similar',
      '/v1/sellers/{seller}/recommendations/for-you',
    ]) {
      expect(paths).toContain(p);
    }
    const basket = body.paths['/v1/sellers/{seller}/recommendations/basket'].get;
    const names = basket.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['seller', 'items', 'customer', 'n', 'exclude', 'category', 'in_stock', 'min_price', 'max_price', 'model']));
    const n = basket.parameters.find((p: { name: string }) => p.name === 'n');
    expect(n.schema).toMatchObject({ type: 'string', default: '10' });
    const similar = body.paths['/v1/sellers/{seller}/recommendations/similar'].get;
    expect(similar.parameters.find((p: { name: string }) => p.name === 'item').required).toBe(true);
    expect(Object.keys(basket.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '413', '429']));
    expect(body.components.schemas.Error.properties.error.properties.code.enum).toContain('rate_limited');
    // An experiment's body is the zod schema the route validates with: its fields, required ones and limits.
    const experiment = body.paths['/v1/sellers/{seller}/experiments'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(experiment.properties).sort()).toEqual(['arms', 'attribution_window_hours', 'control', 'name', 'orders_per_year', 'surface']);
    expect(experiment.required).toEqual(expect.arrayContaining(['surface', 'arms']));
    expect(experiment.properties.arms).toMatchObject({ type: 'array', minItems: 2, maxItems: 10 });
    expect(experiment.properties.surface.enum).toEqual(['basket', 'similar', 'for-you']);
  });

  it('documents the catalog routes from their zod schemas', async () => {
    const { body } = await callJson('/v1/openapi.json');
    const put = body.paths['/v1/sellers/{seller}/catalog'].put;
    const item = put.requestBody.content['application/x-ndjson'].schema;
    expect(item.required).toEqual(['id']);
    expect(Object.keys(item.properties)).toEqual(['id', 'title', 'url', 'image', 'price', 'in_stock', 'category', 'features']);
    expect(item.properties.features).toMatchObject({ type: 'array', maxItems: 64 });
    expect(put.requestBody.content['application/json'].schema.properties.items).toMatchObject({ maxItems: 10_000 });
    expect(Object.keys(put.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '409', '413', '503']));
    expect(put.responses['200'].content['application/json'].schema.properties).toHaveProperty('catalog');
    const one = body.paths['/v1/sellers/{seller}/catalog/{item}'];
    expect(Object.keys(one)).toEqual(['get', 'delete']);
    expect(one.delete.responses['200'].content['application/json'].schema.properties.retired).toMatchObject({ const: true });
  });

  it('GET /v1/docs is Swagger UI over /v1/openapi.json, every script and stylesheet served from here under a strict CSP', async () => {
    const res = await call('/v1/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("url: '/v1/openapi.json'");
    expect(html).toContain('SwaggerUIBundle(');
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual([
      'data:,',
      `/v1/docs/assets/swagger-ui-dist@${SWAGGER_UI_VERSION}/swagger-ui.css`,
      `/v1/docs/assets/swagger-ui-dist@${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`,
    ]);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'none'; script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='; style-src 'self';/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe|https?:/);
  });

  it('serves Swagger UI, its stylesheet and licences from the versioned folder, cached for a year, and 404 for anything else there', async () => {
    const dir = `/v1/docs/assets/swagger-ui-dist@${SWAGGER_UI_VERSION}`;
    const js = await call(`${dir}/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    const source = await js.text();
    expect(source.startsWith('/*! For license information please see swagger-ui-bundle.js.LICENSE.txt */')).toBe(true);
    expect(source).not.toContain('sourceMappingURL');
    const again = await call(`${dir}/swagger-ui-bundle.js`, { headers: { 'If-None-Match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
    await again.arrayBuffer();
    const css = await call(`${dir}/swagger-ui.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toContain('.swagger-ui');
    for (const name of ['LICENSE', 'NOTICE', 'swagger-ui-bundle.js.LICENSE.txt']) {
      const r = await call(`${dir}/${name}`);
      expect(r.status, name).toBe(200);
      expect((await r.text()).length, name).toBeGreaterThan(40);
    }
    for (const path of [`${dir}/index.html`, `${dir}/toString`, '/v1/docs/assets/swagger-ui-dist@0.0.1/swagger-ui-bundle.js']) {
      const r = await call(path);
      expect(r.status, path).toBe(404);
      expect(await r.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('the OpenAPI document says how keys, rate limits and errors work (the reference shows it first)', async () => {
    const { body } = await callJson('/v1/openapi.json');
    expect(body.info.description).toMatch(/per isolate/);
    expect(body.info.description).toContain('Authorization: Bearer');
    expect(body.info.description).toContain('Retry-After');
  });

  it('answers unknown routes and methods with a JSON 404', async () => {
    for (const [path, method] of [
      ['/nope', 'GET'],
      ['/v1', 'GET'],
      ['/v1/health', 'POST'],
      ['/v1/healthz', 'GET'],
    ] as const) {
      const res = await call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not_found', message: expect.stringContaining(path) } });
    }
  });

  it('allows any origin on public routes and answers preflights', async () => {
    const res = await call('/v1/health', { origin: 'https://anywhere.example' });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const pre = await call('/v1/health', { origin: 'https://anywhere.example', method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('refuses an over-long URL with 413', async () => {
    const { status, body } = await callJson(`/v1/health?x=${'a'.repeat(9000)}`);
    expect(status).toBe(413);
    expect(body.error.code).toBe('request_too_large');
  });
});
