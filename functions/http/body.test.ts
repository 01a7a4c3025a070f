import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from '../../core/errors/api-error.js';
import type { AppEnv } from '../env.js';
import { bodyText, jsonBody } from './body.js';
import { MAX_BODY_BYTES } from './limits.js';

const schema = z.object({ arms: z.array(z.object({ model: z.enum(['a', 'b'], { error: 'model must be a or b' }) })) }).strict();

const app = new Hono<AppEnv>();
app.post('/text', async (c) => c.json({ text: await bodyText(c) }));
app.post('/json', async (c) => c.json(await jsonBody(c, schema)));
app.onError((err, c) => (err instanceof ApiError ? c.json(err.body(), err.status) : c.json({ error: { code: 'internal', message: String(err) } }, 500)));

/** A body sent in chunks with no Content-Length (as a chunked upload arrives); counts the chunks pulled. */
function chunked(chunks: Uint8Array[]): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
  return { body, pulled: () => i };
}

const post = (path: string, body: BodyInit) => app.request(path, { method: 'POST', body, duplex: 'half' } as RequestInit);
const textOf = async (res: Response) => (await res.json<{ text: string }>()).text;

describe('bodyText', () => {
  it('reads a body of up to MAX_BODY_BYTES, in any chunks, as UTF-8', async () => {
    const full = 'x'.repeat(MAX_BODY_BYTES);
    expect(await textOf(await post('/text', full))).toBe(full);
    // "é" is two bytes, split over two chunks.
    const bytes = new TextEncoder().encode('caf\u00e9 \u{1f600}');
    const { body } = chunked([bytes.slice(0, 4), bytes.slice(4, 7), bytes.slice(7)]);
    expect(await textOf(await post('/text', body))).toBe('caf\u00e9 \u{1f600}');
    expect(await textOf(await app.request('/text', { method: 'POST' }))).toBe('');
  });

  it('answers 413 as soon as a chunked body passes the limit, and reads no further', async () => {
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    const { body, pulled } = chunked(Array.from({ length: 64 }, () => chunk));
    const res = await post('/text', body);
    expect(res.status).toBe(413);
    expect((await res.json<{ error: unknown }>()).error).toEqual({
      code: 'request_too_large',
      message: `the body is more than ${MAX_BODY_BYTES} bytes; at most ${MAX_BODY_BYTES} are accepted`,
    });
    expect(pulled()).toBeLessThan(10);
  });
});

describe('jsonBody', () => {
  it('parses JSON whatever the Content-Type, and returns what the schema makes of it', async () => {
    const res = await app.request('/json', {
      method: 'POST',
      body: '{"arms":[{"model":"a"}]}',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ arms: [{ model: 'a' }] });
  });

  it('answers 400 invalid_request to a body that is not JSON, or naming the fields the schema refuses', async () => {
    for (const [body, message] of [
      ['', 'the body must be JSON'],
      ['{"arms":', 'the body must be JSON'],
      ['{"arms":[{"model":"a"},{"model":"c"}]}', 'arms[1].model must be a or b'],
      ['{"arms":[],"extra":1}', 'Unrecognized key: "extra"'],
    ]) {
      const res = await post('/json', body);
      expect(res.status, body).toBe(400);
      expect(await res.json(), body).toEqual({ error: { code: 'invalid_request', message } });
    }
  });
});
