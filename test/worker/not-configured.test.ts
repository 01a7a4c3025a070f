import { beforeAll, describe, expect, it } from 'vitest';
import { callJson, createKey, seedModels, SELLERS } from './helpers.js';

/** A D1 whose migrations were never applied (this file does not migrate): every route that needs it says what to run. */

const S = SELLERS['item-knn'];
let sk: string;

beforeAll(async () => {
  await seedModels();
  sk = (await createKey({ seller: S, type: 'secret' })).key;
});

describe('a D1 without the schema', () => {
  it('answers 503 not_configured with the migration command on every route that reads or writes D1', async () => {
    const routes: [string, string, string?][] = [
      [
        'POST',
        `/v1/sellers/${S}/experiments`,
        JSON.stringify({
          surface: 'basket',
          arms: [
            { name: 'a', model: 'none' },
            { name: 'b', model: 'item-knn' },
          ],
        }),
      ],
      ['GET', `/v1/sellers/${S}/experiments`],
      ['GET', `/v1/sellers/${S}/experiments/exp_0123456789ab`],
      ['GET', `/v1/sellers/${S}/experiments/exp_0123456789ab/report`],
      ['POST', `/v1/sellers/${S}/experiments/exp_0123456789ab/start`],
      ['GET', `/v1/sellers/${S}/events`],
      ['GET', `/v1/sellers/${S}/customers/deleted`],
      ['DELETE', `/v1/sellers/${S}/customers/c1`],
    ];
    for (const [method, path, body] of routes) {
      const r = await callJson(path, { key: sk, method, ...(body ? { body } : {}) });
      expect(r.status, `${method} ${path}`).toBe(503);
      expect(r.body.error.code).toBe('not_configured');
      expect(r.body.error.message).toMatch(/npx wrangler d1 migrations apply DB --remote/);
    }
    // Recommendations need no D1.
    expect((await callJson(`/v1/sellers/${S}/recommendations/basket?items=sku1`, { key: sk })).status).toBe(200);
  });
});
