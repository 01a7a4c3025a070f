import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as run } from './run-cli.js';

/**
 * `plusone catalog push` against a stand-in for the edge that records each call and answers
 * as scripted (the route itself is tested in the worker runtime, test/worker/catalog.test.ts,
 * and by the README walkthrough against `wrangler dev`).
 */

interface Received {
  method: string;
  path: string;
  auth: string | undefined;
  type: string | undefined;
  lines: string[];
}

let server: Server;
let base: string;
let dir: string;
const received: Received[] = [];
let script: ((call: number, r: Received) => Answer) | null = null;

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const ok = (version: number, n: number): Answer => ({
  status: 200,
  body: { seller: 'shop1', accepted: n, catalog: { version, base_entries: 0, delta_entries: n, updated: '2026-01-01T00:00:00.000Z' } },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plusone-catalog-cli-'));
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        lines: body.split('\n').filter((l) => l !== ''),
      };
      received.push(r);
      const answer = script ? script(received.length, r) : ok(received.length, r.lines.length);
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function reset(next: typeof script = null): void {
  received.length = 0;
  script = next;
}

/** An NDJSON file of `n` items with a blank line after every fourth, so that file lines and call lines differ. */
async function ndjson(name: string, n: number): Promise<string> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({ id: `sku${i}`, price: i, features: ['theme:space'] }));
    if (i % 4 === 3) lines.push('');
  }
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

describe('plusone catalog push', () => {
  it('sends the file in calls of --batch items, as NDJSON with the secret key, and prints the catalog version', async () => {
    reset();
    const file = await ndjson('items.ndjson', 25);
    const r = await run(['catalog', 'push', '--seller', 'shop1', '--file', file, '--url', base, '--key', 'sk_test', '--batch', '10', '--json']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(received.map((x) => [x.method, x.path, x.auth, x.type, x.lines.length])).toEqual([
      ['PUT', '/v1/sellers/shop1/catalog', 'Bearer sk_test', 'application/x-ndjson', 10],
      ['PUT', '/v1/sellers/shop1/catalog', 'Bearer sk_test', 'application/x-ndjson', 10],
      ['PUT', '/v1/sellers/shop1/catalog', 'Bearer sk_test', 'application/x-ndjson', 5],
    ]);
    expect(JSON.parse(received[1].lines[0])).toEqual({ id: 'sku10', price: 10, features: ['theme:space'] });
    expect(JSON.parse(r.out.at(-1)!)).toMatchObject({ seller: 'shop1', items: 25, calls: 3, catalog: { version: 3 } });
    expect(r.err).toEqual([
      'call 1 of 3: 10 items applied (catalog version 1)',
      'call 2 of 3: 10 items applied (catalog version 2)',
      'call 3 of 3: 5 items applied (catalog version 3)',
    ]);
  });

  it('stops at a refused call, naming the file lines of the edge’s problems, what was applied, and exits 2', async () => {
    reset((call, r) =>
      call === 2
        ? {
            status: 400,
            body: {
              error: {
                code: 'invalid_request',
                message: `the catalog call was refused, nothing of it was applied: line 3: price must be a number or null; line 10: unknown field "x"`,
              },
            },
          }
        : ok(call, r.lines.length),
    );
    const file = await ndjson('bad.ndjson', 25);
    const r = await run(['catalog', 'push', '--seller', 'shop1', '--file', file, '--url', base, '--key', 'sk_test', '--batch', '10']);
    expect(r.code).toBe(2);
    expect(received).toHaveLength(2);
    const message = r.err.at(-1)!;
    // Call 2 holds items 10-19: its third, item 12, is on file line 16 (a blank line after every fourth), item 19 on line 24.
    expect(message).toContain(`the edge refused call 2 of 3 (${file}:13 to ${file}:24) with 400 invalid_request`);
    expect(message).toContain(`${file}:16: price must be a number or null; ${file}:24: unknown field "x"`);
    expect(message).toContain('Nothing of this call was applied; the 10 items of the calls before it were applied; the later calls were not sent.');
  });

  it('sends again a call the edge asks to repeat (409 catalog_conflict), and reads a JSON file by its items', async () => {
    reset((call, r) =>
      call === 1
        ? { status: 409, body: { error: { code: 'catalog_conflict', message: 'send it again' } }, headers: { 'Retry-After': '1' } }
        : ok(call, r.lines.length),
    );
    const path = join(dir, 'items.json');
    await writeFile(
      path,
      JSON.stringify({
        items: [
          { id: 'a', in_stock: false },
          { id: 'b', title: 'B' },
        ],
      }),
    );
    const r = await run(['catalog', 'push', '--seller', 'shop1', '--file', path, '--url', `${base}/`, '--key', 'sk_test']);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(received).toHaveLength(2);
    expect(received[1].lines).toEqual(['{"id":"a","in_stock":false}', '{"id":"b","title":"B"}']);
    expect(r.out.at(-1)).toMatch(/^pushed 2 items to seller shop1 in 1 call: catalog version 2 /);
  });

  it('names JSON items by position in the edge’s problems', async () => {
    reset(() => ({ status: 400, body: { error: { code: 'invalid_request', message: 'line 2: title is longer than 500 characters' } } }));
    const path = join(dir, 'list.json');
    await writeFile(path, JSON.stringify([{ id: 'a' }, { id: 'b', title: 'x' }]));
    const r = await run(['catalog', 'push', '--seller', 'shop1', '--file', path, '--url', base, '--key', 'sk_test']);
    expect(r.code).toBe(2);
    expect(r.err.at(-1)).toContain(`${path} items[1]: title is longer than 500 characters`);
  });

  it('refuses what it cannot send, saying what to fix', async () => {
    reset();
    const file = await ndjson('ok.ndjson', 2);
    const cases: [string[], RegExp][] = [
      [['--url', base], /give the seller's secret key: --key sk_… or the PLUSONE_KEY environment variable/],
      [['--url', base, '--key', 'pk_abc'], /catalog updates need a secret key/],
      [['--remote', '--key', 'sk_x'], /--remote needs --url/],
      [['--local', '--url', base, '--key', 'sk_x'], /--local is the local edge/],
      [['--url', base, '--key', 'sk_x', '--batch', '20000'], /--batch must be <= 10000/],
    ];
    for (const [extra, message] of cases) {
      const r = await run(['catalog', 'push', '--seller', 'shop1', '--file', file, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.err.join('\n')).toMatch(message);
    }
    const broken = join(dir, 'broken.ndjson');
    await writeFile(broken, '{"id":"a"}\n{"id":\n');
    const r = await run(['catalog', 'push', '--seller', 'shop1', '--file', broken, '--url', base, '--key', 'sk_x']);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toContain(`${broken}:2: not JSON`);
    expect(received).toHaveLength(0);
  });

  it('exits 1 when the edge cannot be reached', async () => {
    const file = await ndjson('unreachable.ndjson', 1);
    // A port nothing listens on: one a server just gave back.
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const port = (spare.address() as AddressInfo).port;
    await new Promise((resolve) => spare.close(resolve));
    const r = await run(['catalog', 'push', '--seller', 'shop1', '--file', file, '--url', `http://127.0.0.1:${port}`, '--key', 'sk_x']);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain(`cannot reach the edge at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });
});
