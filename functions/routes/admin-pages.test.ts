import { Chart } from 'chart.js';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { CHART_JS_SOURCE, CHART_JS_VERSION } from '../admin/assets.generated.js';
import { CHART_JS_PATH } from '../admin/experiment-page.js';
import type { AppEnv } from '../env.js';
import { experimentPagePolicy } from '../admin/experiment-page.js';
import { REPORT_PAGE_SCRIPT, REPORT_PAGE_SCRIPT_HASH, REPORT_PAGE_STYLE, REPORT_PAGE_STYLE_HASH } from '../admin/report-page.generated.js';
import { adminPageRoutes } from './admin-pages.js';

const app = new Hono<AppEnv>().route('/', adminPageRoutes());

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...digest));
}

/** Runs the UMD bundle the way a CommonJS loader would and returns what it exports. */
function loadUmd(source: string): { version: string; register: unknown; registry: { controllers: { get(id: string): unknown } } } {
  const module = { exports: {} as never };
  new Function('module', 'exports', source)(module, module.exports);
  return module.exports;
}

describe('GET /admin/experiments/:id', () => {
  it('serves the page as HTML with a strict Content-Security-Policy', async () => {
    const res = await app.request('/admin/experiments/exp1?seller=shop1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'none'; /);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('allows exactly its inline script and stylesheet, by hash', async () => {
    const res = await app.request('/admin/experiments/exp1?seller=shop1');
    const html = await res.text();
    const csp = res.headers.get('content-security-policy')!;
    const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(inline).toHaveLength(1);
    expect(csp).toContain(`script-src 'self' 'sha256-${await sha256(inline[0])}'`);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    expect(csp).toContain(`style-src 'sha256-${await sha256(style)}'`);
  });

  it('inlines the bundles of web/admin with the hashes computed at build time', async () => {
    const res = await app.request('/admin/experiments/exp1?seller=shop1');
    const html = await res.text();
    expect(/<script>([\s\S]*?)<\/script>/.exec(html)![1]).toBe(REPORT_PAGE_SCRIPT);
    expect(/<style>([\s\S]*?)<\/style>/.exec(html)![1]).toBe(REPORT_PAGE_STYLE);
    expect(REPORT_PAGE_SCRIPT_HASH).toBe(`sha256-${await sha256(REPORT_PAGE_SCRIPT)}`);
    expect(REPORT_PAGE_STYLE_HASH).toBe(`sha256-${await sha256(REPORT_PAGE_STYLE)}`);
    expect(res.headers.get('content-security-policy')).toBe(await experimentPagePolicy());
    expect(await experimentPagePolicy()).toBe(
      `default-src 'none'; script-src 'self' '${REPORT_PAGE_SCRIPT_HASH}'; style-src '${REPORT_PAGE_STYLE_HASH}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
  });

  it('references the Chart.js asset and the report API, and holds no data', async () => {
    const html = await (await app.request('/admin/experiments/exp1?seller=shop1')).text();
    expect(html).toContain(`<script src="${CHART_JS_PATH}?v=${CHART_JS_VERSION}"></script>`);
    // (The script is minified: its string literals survive, in double quotes.)
    expect(html).toContain('"/v1/sellers/"+encodeURIComponent(');
    expect(html).toContain('"/report"');
    expect(html).toContain('"Bearer "+');
    // Same page for any id and seller: nothing from the request is written into it.
    const other = await (await app.request('/admin/experiments/%3Cscript%3E?seller=%22%3E%3Cb%3E')).text();
    expect(other).toBe(html);
    // Data goes in with textContent only.
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('the inline script is valid JavaScript', async () => {
    const html = await (await app.request('/admin/experiments/exp1?seller=shop1')).text();
    const inline = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    expect(() => new Function(inline)).not.toThrow();
  });
});

describe(`GET ${CHART_JS_PATH}`, () => {
  it('serves JavaScript with a long cache lifetime', async () => {
    const res = await app.request(`${CHART_JS_PATH}?v=${CHART_JS_VERSION}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(CHART_JS_SOURCE);
    // Without the version in the URL the content may change with a deploy: one day only.
    expect((await app.request(CHART_JS_PATH)).headers.get('cache-control')).toBe('public, max-age=86400');
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await app.request(CHART_JS_PATH);
    const res = await app.request(CHART_JS_PATH, { headers: { 'If-None-Match': first.headers.get('etag')! } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
  });

  it('is the real Chart.js of the installed package, license banner included', () => {
    expect(CHART_JS_VERSION).toBe(Chart.version);
    expect(CHART_JS_SOURCE.startsWith(`/*!\n * Chart.js v${Chart.version}\n * https://www.chartjs.org\n`)).toBe(true);
    expect(CHART_JS_SOURCE).toContain(' * Released under the MIT License\n */');
    expect(CHART_JS_SOURCE).not.toContain('sourceMappingURL');
    const umd = loadUmd(CHART_JS_SOURCE);
    expect(umd.version).toBe(Chart.version);
    expect(typeof umd.register).toBe('function');
    // The UMD build registers every controller, the ones the page uses included.
    for (const id of ['bar', 'line']) expect(umd.registry.controllers.get(id)).toBeTruthy();
  });
});
