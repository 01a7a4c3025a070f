import { describe, expect, it } from 'vitest';
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
  });

  it('GET /v1/docs is an HTML page that lists the routes and mentions the per-isolate rate limit', async () => {
    const res = await call('/v1/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('/v1/sellers/{seller}/recommendations/basket');
    expect(html).toContain('/v1/openapi.json');
    expect(html).toMatch(/per isolate/);
    expect(html).not.toMatch(/<script/);
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
