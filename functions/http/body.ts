import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from '../../core/errors/api-error.js';
import type { AppEnv } from '../env.js';
import { MAX_BODY_BYTES } from './limits.js';
import { validationError } from './validate.js';

/**
 * The request body as text, read through this one place: 413 `request_too_large` as soon as it
 * passes `limit` ({@link MAX_BODY_BYTES} unless a route takes more, see `bodyLimit`), whatever
 * Content-Length said (`limits()` refuses a declared length over it before any route runs;
 * this also holds for a chunked body), and the read stops there.
 */
export async function bodyText(c: Context<AppEnv>, limit = MAX_BODY_BYTES): Promise<string> {
  const stream = c.req.raw.body;
  if (stream === null) return '';
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read();
    } catch {
      throw new ApiError('invalid_request', 'the body could not be read to its end; send it again');
    }
    const { done, value } = read;
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ApiError('request_too_large', `the body is more than ${limit} bytes; at most ${limit} are accepted`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * The request's JSON body (whatever its Content-Type says, as `curl -d` sends a form type)
 * checked against `schema`: 400 `invalid_request` when it is not JSON, or naming the fields
 * the schema refuses.
 */
export async function jsonBody<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.output<T>> {
  const text = await bodyText(c);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError('invalid_request', 'the body must be JSON');
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw validationError(result.error);
  return result.data;
}
