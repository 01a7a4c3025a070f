/**
 * Benchmark: exact EASE against its scalable approximation (item-knn `ease-approx`: the
 * ridge regression of each item on its most associated co-occurring items) at the same lambda and
 * neighbour count: p@10, basket_hr@10, fit seconds and peak RSS, each fit in a fresh child
 * process so that its memory is its own.
 *
 *   npm run bench:item-knn -- [--bench DIR] [--lambda 100] [--neighbors 50] [--candidates 100,200] [--threads 2]
 *   npm run bench:item-knn -- --orders FILE [--test-days 30] [--scalable-only]
 *   npm run bench:item-knn -- --synthetic-items 100000 --synthetic-users 500000 --synthetic-interactions 1500000
 *
 * Data: the retail split of ../shared/bench by default; `--orders FILE` reads an orders CSV
 * (order_id,customer_id,item_id,quantity,unit_price,timestamp), holds out the last
 * `--test-days` days: their purchases of known customers and items not bought before are
 * the test set, their orders with 2 or more known items the baskets;
 * `--synthetic-*` generates a seeded heavy-tailed interaction matrix (timing only, no
 * metrics). `--scalable-only` skips exact EASE (which refuses above 20,000 items anyway).
 * Writes benchmarks/<name>.json and .md (name: item-knn for the retail split, else
 * item-knn-orders or item-knn-synthetic, or `--name`), and the README section between the
 * bench:<name> markers when there are any.
 */
import { fork } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Basket } from '../trainer/data/baskets.js';
import { Dataset, type DatasetInteractions } from '../trainer/data/dataset.js';
import type { InteractionRows } from '../trainer/data/interactions.js';
import { ordersToInteractions, readOrders } from '../trainer/data/orders.js';
import { csrHas } from '../trainer/data/sparse.js';
import { basketHitRate } from '../trainer/eval/basket.js';
import { evaluateRanking, summarize } from '../trainer/eval/metrics.js';
import { itemKnn } from '../trainer/models/item-knn/index.js';
import { resolveParams } from '../trainer/models/kind.js';
import { Random } from '../trainer/util/random.js';
import { DEFAULT_BENCH, PROJECT, fmt, loadSplit, updateReadme } from './bench-common.js';

/** Where the data come from (the same in the parent and every child). */
type Source =
  | { kind: 'retail'; bench: string }
  | { kind: 'orders'; file: string; testDays: number }
  | { kind: 'synthetic'; items: number; users: number; interactions: number; seed: number };

/** One fit, run in a child process. */
interface Job {
  source: Source;
  label: string;
  overrides: Record<string, unknown>;
  threads: number;
}

interface JobResult {
  label: string;
  overrides: Record<string, unknown>;
  figures: Record<string, unknown>;
  users: number;
  items: number;
  interactions: number;
  fit_s: number;
  /** Resident set before the fit (data loaded) and the process's peak, in MiB. */
  rss_before_mib: number;
  peak_rss_mib: number;
  metrics: Record<string, number>;
}

interface Loaded {
  dataset: Dataset;
  train: DatasetInteractions;
  test: DatasetInteractions | null;
  baskets: Basket[] | null;
}

const DAY_MS = 86_400_000;

async function load(source: Source): Promise<Loaded> {
  if (source.kind === 'retail') {
    const split = await loadSplit(source.bench, 'retail', 'cf');
    return { dataset: split.dataset, train: split.train, test: split.test, baskets: split.baskets };
  }
  if (source.kind === 'orders') return loadOrders(source.file, source.testDays);
  return loadSynthetic(source);
}

/** An orders CSV split by time: the last `testDays` days are the test set and its baskets. */
async function loadOrders(file: string, testDays: number): Promise<Loaded> {
  const orders = await readOrders(file);
  const rows = ordersToInteractions(orders, { weight: 'lines' });
  const times = rows.timestamps;
  if (!times || times.length === 0) throw new Error(`${file}: the orders have no timestamp column (or no rows); the split needs one`);
  let last = -Infinity;
  for (const t of times) if (t > last) last = t;
  const cut = last - testDays * DAY_MS;
  const pick = (keep: (t: number) => boolean): InteractionRows => {
    const idx: number[] = [];
    for (let r = 0; r < times.length; r++) if (keep(times[r])) idx.push(r);
    return {
      users: idx.map((r) => rows.users[r]),
      items: idx.map((r) => rows.items[r]),
      weights: null,
      timestamps: Float64Array.from(idx, (r) => times[r]),
      skipped: 0,
    };
  };
  const trainRows = pick((t) => t <= cut);
  const testRows = pick((t) => t > cut);
  if (trainRows.users.length === 0 || testRows.users.length === 0) {
    throw new Error(`${file}: the last ${testDays} days hold ${testRows.users.length} of ${times.length} order lines; choose another --test-days`);
  }
  const dataset = new Dataset().fit({ interactions: [trainRows] });
  const train = dataset.buildInteractions(trainRows, { unknown: 'error' });
  // Test: as in the retail split, later purchases of known customers and known items that
  // the customer had not bought before the cut (repeat purchases are another question).
  const fresh = testRows.users.flatMap((user, r) => {
    const u = dataset.users.get(user);
    const i = dataset.items.get(testRows.items[r]);
    return u === undefined || i === undefined || csrHas(train.csr, u, i) ? [] : [r];
  });
  const test = dataset.buildInteractions(
    { users: fresh.map((r) => testRows.users[r]), items: fresh.map((r) => testRows.items[r]), weights: null, timestamps: null, skipped: 0 },
    { unknown: 'error' },
  );
  // Held-out orders with 2 or more distinct known items are the baskets.
  const byOrder = new Map<string, { user: number; items: Set<number> }>();
  for (let r = 0; r < times.length; r++) {
    if (!(times[r] > cut)) continue;
    const item = dataset.items.get(orders.items[r]);
    if (item === undefined) continue;
    let order = byOrder.get(orders.orderIds[r]);
    if (!order) {
      order = { user: dataset.users.get(orders.customers[r]) ?? -1, items: new Set() };
      byOrder.set(orders.orderIds[r], order);
    }
    order.items.add(item);
  }
  const baskets: Basket[] = [];
  for (const o of byOrder.values()) if (o.items.size >= 2) baskets.push({ user: o.user, items: Int32Array.from(o.items) });
  return { dataset, train, test, baskets };
}

/**
 * A seeded heavy-tailed users x items matrix: user activity Pareto-distributed (alpha 1.7,
 * at most 500 items), item popularity Zipf-like (exponent 0.9), and each user drawing 60%
 * of its items from one of 2,000 item groups, so that items co-occur as catalogues do.
 */
function loadSynthetic(s: Extract<Source, { kind: 'synthetic' }>): Loaded {
  const rng = new Random(s.seed);
  const groups = Math.min(2000, s.items);
  const zipfCdf = (n: number, exponent: number) => {
    const cdf = new Float64Array(n);
    let acc = 0;
    for (let r = 0; r < n; r++) cdf[r] = acc += 1 / (r + 1) ** exponent;
    for (let r = 0; r < n; r++) cdf[r] /= acc;
    return cdf;
  };
  const draw = (cdf: Float64Array) => {
    const x = rng.next();
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const itemCdf = zipfCdf(s.items, 0.9);
  const perGroup = Math.ceil(s.items / groups);
  const groupCdf = zipfCdf(perGroup, 0.9);
  // Popularity rank -> item, shuffled so that popular items are spread over the groups.
  const order = Int32Array.from({ length: s.items }, (_, i) => i);
  for (let i = s.items - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const counts = new Float64Array(s.users);
  let sum = 0;
  for (let u = 0; u < s.users; u++) sum += counts[u] = Math.min(500, 1 / (1 - rng.next()) ** (1 / 1.7));
  const scale = s.interactions / sum;
  const users: string[] = [];
  const items: string[] = [];
  const userIds = Array.from({ length: s.users }, (_, u) => `u${u}`);
  const itemIds = Array.from({ length: s.items }, (_, i) => `i${i}`);
  for (let u = 0; u < s.users; u++) {
    const n = Math.max(1, Math.round(counts[u] * scale));
    const group = draw(itemCdf) % groups;
    for (let q = 0; q < n; q++) {
      let item: number;
      if (rng.next() < 0.6) {
        item = Math.min(s.items - 1, group + groups * draw(groupCdf));
      } else item = order[draw(itemCdf)];
      users.push(userIds[u]);
      items.push(itemIds[item]);
    }
  }
  const rows: InteractionRows = { users, items, weights: null, timestamps: null, skipped: 0 };
  const dataset = new Dataset().fit({ users: userIds, items: itemIds });
  return { dataset, train: dataset.buildInteractions(rows, { unknown: 'error' }), test: null, baskets: null };
}

async function runChild(job: Job): Promise<JobResult> {
  const data = await load(job.source);
  const rssBefore = process.memoryUsage().rss;
  const params = resolveParams(itemKnn, job.overrides);
  let lastNote = 0;
  const t0 = performance.now();
  const model = await itemKnn.fit({ dataset: data.dataset, interactions: data.train, userFeatures: null, itemFeatures: null }, params, {
    threads: job.threads,
    onProgress: (done, total, note) => {
      const now = performance.now();
      if (now - lastNote < 10_000 && done < total) return;
      lastNote = now;
      process.stderr.write(`  ${job.label}: ${note ?? ''} ${done}/${total} (${((now - t0) / 1000).toFixed(0)} s)\n`);
    },
  });
  const fitSeconds = (performance.now() - t0) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  const metrics: Record<string, number> = {};
  if (data.test) {
    const m = evaluateRanking({ test: data.test.csr, train: data.train.csr, score: (u, out) => model.scorer.scoreUser(u, out) });
    metrics['p@10'] = summarize(m, 10)['p@10'];
  }
  if (data.baskets && data.baskets.length > 0) {
    metrics['basket_hr@10'] = basketHitRate({
      baskets: data.baskets,
      nItems: model.scorer.nItems,
      scoreBasket: (u, items, out) => model.scorer.scoreItems(items, u, out),
    }).hitRate;
  }
  const csr = data.train.csr;
  return {
    label: job.label,
    overrides: job.overrides,
    figures: model.figures,
    users: csr.rows,
    items: csr.cols,
    interactions: csr.indices.length,
    fit_s: fitSeconds,
    rss_before_mib: rssBefore / 2 ** 20,
    peak_rss_mib: peak / 2 ** 20,
    metrics,
  };
}

function runInChild(job: Job): Promise<JobResult> {
  return new Promise((done, fail) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=6144'],
    });
    let result: JobResult | null = null;
    child.on('message', (m) => {
      result = m as JobResult;
    });
    child.on('error', fail);
    child.on('exit', (code) => (result ? done(result) : fail(new Error(`${job.label}: the child process exited with code ${code} before its result`))));
  });
}

function render(source: Source, rows: JobResult[]): string {
  const first = rows[0];
  const what =
    source.kind === 'retail'
      ? 'the retail split of ../shared/bench'
      : source.kind === 'orders'
        ? `${source.file} (the last ${source.testDays} days held out)`
        : `a synthetic heavy-tailed matrix (seed ${source.seed})`;
  const lines = [
    `${what}: ${first.users} users, ${first.items} items, ${first.interactions} interactions; one fit each in its own process, ` +
      'peak RSS of that process (data loaded: the RSS before the fit). The approximation regresses each item j on the C co-occurring items a with the largest G[j][a] / (G[a][a] + lambda).',
    '',
    '| method | lambda | k | C | threads | fit s | RSS before fit MiB | peak RSS MiB | p@10 | basket_hr@10 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const exact = rows.find((r) => r.figures.similarity === 'ease');
  for (const r of rows) {
    const f = r.figures;
    const rel = (key: string) => {
      const v = r.metrics[key];
      if (v === undefined) return '–';
      const base = exact?.metrics[key];
      return r !== exact && base ? `${fmt(v)} (${((v / base) * 100).toFixed(1)}%)` : fmt(v);
    };
    lines.push(
      `| ${f.method ?? f.similarity} | ${f.lambda} | ${f.neighbors} | ${f.candidates ?? '–'} | ${f.threads ?? 1} | ${fmt(r.fit_s, 2)} | ${r.rss_before_mib.toFixed(0)} | ${r.peak_rss_mib.toFixed(0)} | ${rel('p@10')} | ${rel('basket_hr@10')} |`,
    );
  }
  if (exact && rows.length > 1) lines.push('', 'In brackets: the share of exact EASE.');
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      bench: { type: 'string', default: DEFAULT_BENCH },
      orders: { type: 'string' },
      'test-days': { type: 'string', default: '30' },
      'synthetic-items': { type: 'string' },
      'synthetic-users': { type: 'string', default: '500000' },
      'synthetic-interactions': { type: 'string', default: '1500000' },
      seed: { type: 'string', default: '1' },
      lambda: { type: 'string', default: '100' },
      neighbors: { type: 'string', default: '50' },
      candidates: { type: 'string', default: '200' },
      'scalable-only': { type: 'boolean', default: false },
      threads: { type: 'string', default: '2' },
      name: { type: 'string' },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  if (values.child) {
    const result = await runChild(JSON.parse(values.child) as Job);
    process.send?.(result);
    return;
  }
  const positive = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be an integer >= 1, got "${v}"`);
    return n;
  };
  let source: Source;
  if (values['synthetic-items'] !== undefined) {
    source = {
      kind: 'synthetic',
      items: positive('synthetic-items', values['synthetic-items']),
      users: positive('synthetic-users', values['synthetic-users']),
      interactions: positive('synthetic-interactions', values['synthetic-interactions']),
      seed: positive('seed', values.seed),
    };
  } else if (values.orders !== undefined) {
    source = { kind: 'orders', file: resolve(values.orders), testDays: positive('test-days', values['test-days']) };
  } else source = { kind: 'retail', bench: resolve(values.bench) };
  const name = values.name ?? (source.kind === 'retail' ? 'item-knn' : `item-knn-${source.kind}`);
  const lambda = Number(values.lambda);
  const neighbours = positive('neighbors', values.neighbors);
  const candidates = values.candidates.split(',').map((c) => positive('candidates', c));
  const threads = positive('threads', values.threads);

  const jobs: Job[] = [];
  if (!values['scalable-only']) jobs.push({ source, label: 'ease', overrides: { similarity: 'ease', lambda, neighbours }, threads });
  for (const c of candidates)
    jobs.push({ source, label: `ease-approx C=${c}`, overrides: { similarity: 'ease-approx', lambda, neighbours, candidates: c }, threads });
  const rows: JobResult[] = [];
  const failed: string[] = [];
  for (const job of jobs) {
    let r: JobResult;
    try {
      r = await runInChild(job);
    } catch (err) {
      // Exact EASE refuses a catalogue over --max-items, for example: the other fits still count.
      const message = err instanceof Error ? err.message : String(err);
      console.error(`${job.label}: failed (${message}); going on with the other fits`);
      failed.push(job.label);
      continue;
    }
    rows.push(r);
    const m = Object.entries(r.metrics)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join('  ');
    console.log(`${job.label.padEnd(20)} fit ${r.fit_s.toFixed(2)} s  peak RSS ${r.peak_rss_mib.toFixed(0)} MiB  ${m}`);
  }
  if (rows.length === 0) throw new Error(`every fit failed (${failed.join(', ')}); nothing to write`);
  const md = render(source, rows) + (failed.length > 0 ? `\nFailed (see the log): ${failed.join(', ')}.\n` : '');
  const result = {
    failed,
    date: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model ?? '', loadavg: loadavg() },
    source,
    threads,
    rows,
  };
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
  await writeFile(join(values.out, `${name}.md`), md);
  console.log('\n' + md);
  if (!values['no-readme']) await updateReadme(name, md);
}

await main();
