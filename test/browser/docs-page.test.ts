/**
 * The API reference (/v1/docs: Swagger UI over /v1/openapi.json) in Chromium against a
 * local edge (`wrangler dev` over an empty state: the page needs no model and no key). It
 * must render the operations of the document, open one with its parameters, ask nothing of
 * any other origin, and log nothing: no console error or warning, no page error, no failed
 * or refused request (a CSP violation is a console error).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/bench-common.js';
import { startLocalEdge, type LocalEdge } from '../../scripts/local-edge.js';
import { launchChromium, skipReason, watchProblems } from './harness.js';

const skip = skipReason();
if (skip) console.warn(`skipping the docs page test: ${skip}`);

const BASKET = '/v1/sellers/{seller}/recommendations/basket';

describe.skipIf(skip !== null)('the API reference at /v1/docs in Chromium', () => {
  let state: string;
  let edge: LocalEdge;
  let browser: Browser;

  beforeAll(async () => {
    state = await mkdtemp(join(tmpdir(), 'plusone-docs-page-'));
    [edge, browser] = await Promise.all([startLocalEdge({ state }), launchChromium()]);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    if (state) await rm(state, { recursive: true, force: true });
  }, 60_000);

  it('renders every operation of the OpenAPI document from assets of its own origin, and logs nothing (screenshot in test-artifacts/)', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    const problems = await watchProblems(page);
    const failed: string[] = [];
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.url()}: ${r.status()}`);
    });
    const documentAnswer = page.waitForResponse((r) => r.url() === `${edge.url}/v1/openapi.json`);
    const res = await page.goto(`${edge.url}/v1/docs`);
    expect(res?.status()).toBe(200);
    const doc = (await (await documentAnswer).json()) as { info: { title: string }; paths: Record<string, Record<string, { summary: string }>> };

    // The reference: the title, the description's sections, and one summary line per operation.
    await expect.poll(() => page.locator('.swagger-ui .info .title').textContent(), { timeout: 30_000 }).toContain(doc.info.title);
    await expect.poll(() => page.locator(`.opblock-summary-path[data-path="${BASKET}"]`).isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await page.locator('.swagger-ui .info .description').textContent()).toMatch(/per isolate/);
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    const shown = await page
      .locator('.opblock-summary')
      .evaluateAll((rows) =>
        rows.map((r) => `${r.querySelector('.opblock-summary-method')?.textContent} ${r.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`),
      );
    expect([...shown].sort()).toEqual([...operations].sort());
    expect(await page.locator(`.opblock-summary:has([data-path="${BASKET}"]) .opblock-summary-description`).textContent()).toBe(doc.paths[BASKET].get.summary);

    // One operation opened: its parameters, as the document has them.
    await page.locator(`.opblock-summary:has([data-path="${BASKET}"]) .opblock-summary-control`).click();
    const params = page.locator(`.opblock:has([data-path="${BASKET}"]) .parameters tr[data-param-name]`);
    await expect.poll(() => params.count(), { timeout: 10_000 }).toBeGreaterThan(5);
    expect(await params.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-param-name')))).toEqual(
      expect.arrayContaining(['seller', 'items', 'customer', 'n', 'model']),
    );
    await page.waitForLoadState('networkidle');

    const dir = join(projectRoot(), 'test-artifacts');
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'docs-page.png'), fullPage: true });
    expect(requested.filter((u) => !u.startsWith(`${edge.url}/`) && !u.startsWith('data:'))).toEqual([]);
    expect(requested).toContain(`${edge.url}/v1/openapi.json`);
    expect(problems.console).toEqual([]);
    expect(problems.network).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(await problems.inPage()).toEqual([]);
    expect(failed).toEqual([]);
    await context.close();
  }, 60_000);
});
