/**
 * Benchmark: the edge API under load, on this machine. Trains item-item EASE on the
 * retail split (../shared/bench/retail/train.csv; lambda 100, 20 neighbours), exports it
 * (int8), publishes it to a temporary local state with the CLI, creates a publishable key
 * there, starts `wrangler dev` on 127.0.0.1 over that state, and drives /v1/health and the
 * three recommendation routes with autocannon over loopback, one route at a time (a short
 * warm-up, then a fixed duration). Prints requests/s and latency p50/p99; writes
 * benchmarks/edge.json and .md and the README table between the bench:edge markers; stops
 * wrangler at the end. The bar (issue 5): the basket route at >= 60% of /v1/health's
 * requests/s in the same run. Then the for-you answer for known customers (who have a
 * record in the published version), one request at a time: its median and p90 wall time
 * from this process, the latency one shopper sees without the queueing of the load test;
 * once for 16 customers asked again and again (what the edge keeps in memory serves them),
 * once for 400 other customers asked once each (their records read from storage).
 *
 *   npm run bench:edge -- [--bench DIR] [--duration 10] [--warmup 2] [--connections 8]
 *                         [--out DIR] [--no-readme]
 */
import { readFile } from 'node:fs/promises';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportModel, publish, train } from '../trainer/api.js';
import { itemKnn } from '../trainer/models/item-knn/index.js';
import { createApiKey } from '../trainer/publish/api-keys.js';
import { ProxyStore } from '../trainer/publish/proxy-store.js';
import { DEFAULT_BENCH, PROJECT, fmt, updateReadme } from './bench-common.js';
import { startLocalEdge, type LocalEdge } from './local-edge.js';

const require = createRequire(import.meta.url);

/** The part of autocannon's API and result used here (autocannon ships no types). */
interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  requests: { method: 'GET'; path: string; headers?: Record<string, string> }[];
}) => Promise<LoadResult>;
const autocannon = require('autocannon') as Autocannon;

interface Target {
  route: string;
  paths: string[];
  auth: boolean;
}

interface Row {
  route: string;
  requests_per_s: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non_2xx: number;
  errors: number;
}

const SELLER = 'bench';

/** One request at a time, for the customers' own records (not queued behind other requests). */
interface Sequential {
  route: string;
  requests: number;
  median_ms: number;
  p90_ms: number;
}

function summary(route: string, times: number[]): Sequential {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 100) / 100;
  return { route, requests: sorted.length, median_ms: at(0.5), p90_ms: at(0.9) };
}

/**
 * Asks for-you once for each of `paths` (different customers), one at a time; times the
 * answers that came from a record (fallback false: a customer without a record in the model
 * is left out of the figure).
 */
async function firstAsks(url: string, paths: string[], headers: Record<string, string>): Promise<Sequential> {
  const times: number[] = [];
  for (const path of paths) {
    const t = performance.now();
    const res = await fetch(url + path, { headers });
    const body = (await res.json()) as { fallback?: boolean };
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    if (body.fallback === false) times.push(ms);
  }
  if (times.length < paths.length / 2) throw new Error(`only ${times.length} of ${paths.length} customers were answered from a record`);
  return summary('for-you (known customer, first ask)', times);
}

/**
 * Times `count` for-you requests one after the other (after `warmup` untimed ones), cycling
 * through `paths`. Each answer must come from the customer's record (fallback false):
 * otherwise the figure would time the fallback, not the record read.
 */
async function sequential(url: string, paths: string[], headers: Record<string, string>, warmup: number, count: number): Promise<Sequential> {
  const times: number[] = [];
  for (let k = 0; k < warmup + count; k++) {
    const path = paths[k % paths.length];
    const t = performance.now();
    const res = await fetch(url + path, { headers });
    const body = (await res.json()) as { fallback?: boolean };
    const ms = performance.now() - t;
    if (res.status !== 200 || body.fallback !== false)
      throw new Error(`${path} answered ${res.status} with fallback ${body.fallback}: not a known customer's answer`);
    if (k >= warmup) times.push(ms);
  }
  return summary('for-you (known customer, one at a time)', times);
}

/** The most frequent items and the first customers with history in a user_id,item_id file. */
async function pickIds(trainCsv: string, count: number): Promise<{ items: string[]; customers: string[] }> {
  const lines = (await readFile(trainCsv, 'utf8')).split(/\r?\n/);
  const header = lines[0].split(',');
  const u = header.indexOf('user_id');
  const it = header.indexOf('item_id');
  if (u < 0 || it < 0) throw new Error(`${trainCsv}: expected the columns user_id and item_id`);
  const freq = new Map<string, number>();
  const customers = new Set<string>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const cells = line.split(',');
    freq.set(cells[it], (freq.get(cells[it]) ?? 0) + 1);
    if (customers.size < count) customers.add(cells[u]);
  }
  const items = [...freq.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([id]) => id);
  return { items, customers: [...customers] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bench: { type: 'string', default: DEFAULT_BENCH },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '8' },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  if (!(duration > 0 && duration <= 120)) throw new RangeError('--duration must be 1 to 120 seconds');
  if (!(warmup >= 0 && warmup <= 30)) throw new RangeError('--warmup must be 0 to 30 seconds');
  if (!(Number.isInteger(connections) && connections >= 1 && connections <= 256)) throw new RangeError('--connections must be 1 to 256');
  const trainCsv = join(resolve(values.bench), 'retail', 'train.csv');

  const work = await mkdtemp(join(tmpdir(), 'plusone-bench-edge-'));
  const state = join(work, 'state');
  let edge: LocalEdge | null = null;
  const rows: Row[] = [];
  let known: Sequential | null = null;
  let first: Sequential | null = null;
  let model: Record<string, unknown> = {};
  try {
    console.log('training item-knn EASE on retail, exporting, publishing to local state ...');
    const modelDir = join(work, 'model');
    const artifact = join(work, 'model.bin');
    await train({ input: { interactions: trainCsv }, model: itemKnn, params: { neighbours: 20 }, out: modelDir });
    const exported = await exportModel({ model: modelDir, out: artifact, quantize: 'int8' });
    const store = await ProxyStore.open({ persistTo: state });
    let key: string;
    try {
      await publish({ store, seller: SELLER, artifact });
      key = (await createApiKey(store, { seller: SELLER, type: 'publishable', rps: 1_000_000, burst: 1_000_000 })).key;
    } finally {
      await store.dispose();
    }
    model = { model: exported.model, items: exported.items, artifact_bytes: exported.artifact_bytes };

    const ids = await pickIds(trainCsv, 16);
    const base = `/v1/sellers/${SELLER}/recommendations`;
    const targets: Target[] = [
      { route: '/v1/health', paths: ['/v1/health'], auth: false },
      {
        route: 'basket',
        paths: ids.items.map((it, k) => `${base}/basket?items=${encodeURIComponent(it)},${encodeURIComponent(ids.items[(k + 1) % ids.items.length])}`),
        auth: true,
      },
      { route: 'similar', paths: ids.items.map((it) => `${base}/similar?item=${encodeURIComponent(it)}`), auth: true },
      { route: 'for-you', paths: ids.customers.map((c) => `${base}/for-you?customer=${encodeURIComponent(c)}`), auth: true },
    ];

    console.log('starting wrangler dev ...');
    edge = await startLocalEdge({ state });
    const url = edge.url;
    const headers = { authorization: `Bearer ${key}` };

    for (const t of targets) {
      const requests = t.paths.map((path) => ({ method: 'GET' as const, path, ...(t.auth ? { headers } : {}) }));
      // One plain request first: the route must exist and answer 200 (it also loads the model).
      const probe = await fetch(url + t.paths[0], { headers: t.auth ? headers : {} });
      if (probe.status !== 200) throw new Error(`${t.route}: ${t.paths[0]} answered ${probe.status}: ${(await probe.text()).slice(0, 300)}`);
      if (warmup > 0) await autocannon({ url, connections, duration: warmup, requests });
      const r = await autocannon({ url, connections, duration, requests });
      const row: Row = {
        route: t.route,
        requests_per_s: r.requests.average,
        p50_ms: r.latency.p50,
        p99_ms: r.latency.p99,
        requests: r.requests.total,
        non_2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      };
      rows.push(row);
      console.log(
        `${t.route.padEnd(12)} ${fmt(row.requests_per_s, 0).padStart(7)} req/s  p50 ${row.p50_ms} ms  p99 ${row.p99_ms} ms  (${row.requests} requests, ${row.non_2xx} non-2xx, ${row.errors} errors)`,
      );
    }
    known = await sequential(url, targets.find((t) => t.route === 'for-you')!.paths, headers, 50, 500);
    console.log(`${known.route}: median ${known.median_ms} ms, p90 ${known.p90_ms} ms (${known.requests} requests)`);
    // Customers other than the 16 above, each asked once.
    const others = (await pickIds(trainCsv, 416)).customers.slice(16);
    first = await firstAsks(
      url,
      others.map((c) => `${base}/for-you?customer=${encodeURIComponent(c)}`),
      headers,
    );
    console.log(`${first.route}: median ${first.median_ms} ms, p90 ${first.p90_ms} ms (${first.requests} requests)`);
  } finally {
    await edge?.stop();
    await rm(work, { recursive: true, force: true });
  }

  const health = rows.find((r) => r.route === '/v1/health')!;
  const basket = rows.find((r) => r.route === 'basket')!;
  const ratio = basket.requests_per_s / health.requests_per_s;
  const lines = [
    `\`wrangler dev\` (local workerd) on 127.0.0.1, driven by autocannon over loopback on the same machine: ${connections} connections, ${duration} s per route after ${warmup} s of warm-up.` +
      ` Model: item-knn EASE (lambda 100, 20 neighbours) on retail, int8, ${model.items} items, ${model.artifact_bytes} bytes; a publishable key; 16 different queries per route.`,
    '',
    '| route | requests/s | p50 ms | p99 ms | vs health | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.route} | ${fmt(r.requests_per_s, 0)} | ${r.p50_ms} | ${r.p99_ms} | ${(r.requests_per_s / health.requests_per_s).toFixed(2)} | ${r.non_2xx} |`,
    ),
    '',
    `Basket at ${(ratio * 100).toFixed(0)}% of /v1/health's requests/s (the bar: at least 60%) ${ratio >= 0.6 ? '✓' : '✗'}.`,
    '',
    `For-you for a known customer (the answer from their record), one request at a time: the 16 customers above again and again (after 50 untimed), median ${known!.median_ms} ms, p90 ${known!.p90_ms} ms over ${known!.requests} requests; ${first!.requests} other customers asked once each, median ${first!.median_ms} ms, p90 ${first!.p90_ms} ms.`,
  ];
  const md = lines.join('\n') + '\n';
  await mkdir(values.out, { recursive: true });
  await writeFile(
    join(values.out, 'edge.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        connections,
        duration_s: duration,
        warmup_s: warmup,
        model,
        rows,
        basket_vs_health: ratio,
        known_customer: known,
        known_customer_first_ask: first,
      },
      null,
      2,
    ) + '\n',
  );
  await writeFile(join(values.out, 'edge.md'), md);
  console.log('\n' + md);
  if (!values['no-readme']) await updateReadme('edge', md);
}

await main();
