import { describe, expect, it } from 'vitest';
import { LATEST_CACHE, VERSIONED_CACHE, widgetRoutes } from './widget.js';
import { WIDGET_ETAG, WIDGET_INTEGRITY, WIDGET_JS } from '../widget/widget.generated.js';

const routes = widgetRoutes();

describe('widget routes', () => {
  it.each([
    ['/widget.v1.js', VERSIONED_CACHE],
    ['/widget.js', LATEST_CACHE],
  ])('GET %s serves the widget as JavaScript for any origin, cached %s', async (path, cache) => {
    const res = await routes.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe(cache);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('etag')).toBe(WIDGET_ETAG);
    expect(await res.text()).toBe(WIDGET_JS);
  });

  it('keeps the versioned URL a year and immutable, the latest one five minutes', () => {
    expect(VERSIONED_CACHE).toMatch(/max-age=31536000/);
    expect(VERSIONED_CACHE).toMatch(/immutable/);
    expect(LATEST_CACHE).toBe('public, max-age=300');
  });

  it('answers a matching If-None-Match with 304 and no body', async () => {
    for (const tag of [WIDGET_ETAG, `W/${WIDGET_ETAG}`, `"other", ${WIDGET_ETAG}`]) {
      const res = await routes.request('/widget.v1.js', { headers: { 'If-None-Match': tag } });
      expect(res.status, tag).toBe(304);
      expect(await res.text()).toBe('');
    }
    expect((await routes.request('/widget.v1.js', { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
  });

  it('serves the bytes its integrity hash describes', async () => {
    const bytes = new TextEncoder().encode(await (await routes.request('/widget.v1.js')).text());
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-384', bytes));
    expect(`sha384-${btoa(String.fromCharCode(...digest))}`).toBe(WIDGET_INTEGRITY);
  });
});
