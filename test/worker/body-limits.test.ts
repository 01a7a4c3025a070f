import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../functions/http/limits.js';
import worker from '../../functions/index.js';
import { createKey, migrate, seedModels, SELLERS } from './helpers.js';

/**
 * Bodies are counted as they arrive, on every route that reads one (one helper,
 * functions/http/body.ts): a chunked body with no Content-Length stops being read at 64 KiB
 * and is answered 413; routes that read no body answer without reading it.
 */

const S = SELLERS['item-knn'];
let sk: string;
let pk: string;
let experiment: string;

beforeAll(async () => {
  await seedModels();
  await migrate();
  sk = (await createKey({ seller: S, type: 'secret', rps: 1e6, burst: 1e6 })).key;
  pk = (await createKey({ seller: S, rps: 1e6, burst: 1e6 })).key;
  const created = await worker.fetch(
    new Request(`https://edge.test/v1/sellers/${S}/experiments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sk}` },
      body: JSON.stringify({
        surface: 'similar',
        arms: [
          { name: 'a', model: 'none' },
          { name: 'b', model: 'item-knn' },
        ],
      }),
    }),
    env,
    createExecutionContext(),
  );
  experiment = ((await created.json()) as { experiment: { id: string } }).experiment.id;
});

/** 2 MiB in 16 KiB chunks that never says its length; counts the bytes the worker pulled. */
function endless(): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(16 * 1024).fill(0x20);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= 2 * 1024 * 1024) controller.close();
      else {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      }
    },
  });
  return { body, pulled: () => sent };
}

describe('body limits', () => {
  it('answers 413 to a chunked body over 64 KiB on every route that reads a body, having read little more than the limit', async () => {
    const reading: [string, string][] = [
      [`/v1/sellers/${S}/events`, pk],
      [`/v1/sellers/${S}/events`, sk],
      [`/v1/sellers/${S}/experiments`, sk],
    ];
    for (const [path, key] of reading) {
      const { body, pulled } = endless();
      const res = await worker.fetch(
        new Request(`https://edge.test${path}`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body, duplex: 'half' } as RequestInit),
        env,
        createExecutionContext(),
      );
      expect(res.status, path).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
      expect(pulled()).toBeLessThanOrEqual(MAX_BODY_BYTES + 3 * 16 * 1024);
    }
  });

  it('answers the routes that read no body without reading it, and never with a 5xx', async () => {
    const other: [string, string, string][] = [
      ['POST', `/v1/sellers/${S}/experiments/${experiment}/start`, sk],
      ['POST', `/v1/sellers/${S}/experiments/${experiment}/stop`, sk],
      ['DELETE', `/v1/sellers/${S}/customers/c-limits`, sk],
      ['POST', `/v1/sellers/${S}/recommendations/basket?items=sku1`, pk],
      ['POST', '/v1/health', pk],
      ['POST', `/v1/sellers/${S}/model`, sk],
    ];
    for (const [method, path, key] of other) {
      const { body, pulled } = endless();
      const res = await worker.fetch(
        new Request(`https://edge.test${path}`, { method, headers: { Authorization: `Bearer ${key}` }, body, duplex: 'half' } as RequestInit),
        env,
        createExecutionContext(),
      );
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
      await res.text();
      expect(pulled(), `${method} ${path}`).toBeLessThanOrEqual(MAX_BODY_BYTES);
    }
  });

  it('refuses a declared Content-Length over the limit before any route runs', async () => {
    const res = await worker.fetch(
      new Request(`https://edge.test/v1/sellers/${S}/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${pk}`, 'Content-Length': '2097152' },
        body: 'x',
      }),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(413);
  });
});
