/**
 * Benchmark: the whole pipeline on one large seller. Generates the seller
 * (scripts/scale/generate.ts; timed, but not part of the pipeline's total), then for every
 * model kind the retrain pipeline trains (`retrainCandidate` in MODEL_KINDS): trains it
 * (default preset; lightfm with the item features), evaluates it on the last 30 days (p@10,
 * basket_hr@10), exports it (int8, with the catalog), publishes it to a fresh local state
 * (one ProxyStore), starts `wrangler dev` over that state and times the first answer and the
 * warm answers (median of --warm different queries) of the basket, similar and for-you
 * routes. Every step but serving runs in a child process of its own (scripts/train-process.ts),
 * which gives its peak resident set; serving reports the peak of wrangler's process tree.
 * A step that fails is recorded with its message, and the run goes on. Prints a table and
 * writes benchmarks/NAME.json, .md and the README section between the bench:NAME markers.
 *
 *   npm run bench:scale -- [--orders 1000000] [--items 100000] [--customers 500000]
 *                          [--months 24] [--seed 1] [--models lightfm,item-knn,user-knn]
 *                          [--warm 5] [--name scale] [--data DIR] [--keep] [--no-readme]
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelKind } from '../trainer/models/kind.js';
import { MODEL_KINDS, modelKind } from '../trainer/models/registry.js';
import { fmt, median, PROJECT, updateReadme } from './bench-common.js';
import { startLocalEdge, type LocalEdge } from './local-edge.js';
import { DEFAULT_SCALE, wholeNumber, type ScaleSummary } from './scale/generate.js';
import { descendants, peakRssMb, runInProcess, type StepName, type StepResult } from './train-process.js';

const SELLER = 'scale';
const ROUTES = ['basket', 'similar', 'for-you'] as const;
type Route = (typeof ROUTES)[number];

interface StepRow {
  model: string | null;
  step: string;
  ok: boolean;
  /** Wall time as seen by this process (child start included). */
  wall_s: number;
  max_rss_mb: number | null;
  /** Peak of the processes the step started (the ProxyStore's workerd, wrangler's workerd). */
  children_max_rss_mb: number | null;
  message?: string;
  figures?: Record<string, unknown>;
  /** The machine's 1-minute load average at the end of the step (other people's work shows here). */
  load_1m?: number;
}

interface RouteRow {
  model: string;
  route: Route;
  ok: boolean;
  first_ms: number | null;
  warm_median_ms: number | null;
  warm: number;
  /** Items in the first answer, and whether it was the fallback ranking. */
  items: number | null;
  fallback: boolean | null;
  message?: string;
}

const say = (line: string) => process.stderr.write(line + '\n');
const seconds = (ms: number) => Math.round(ms / 10) / 100;

/** Runs one step in a child process and records it; never throws. */
async function step<S extends StepName>(
  rows: StepRow[],
  model: string | null,
  name: string,
  run: S,
  options: Parameters<typeof runInProcess<S>>[1],
  figuresOf: (r: StepResult<Awaited<ReturnType<typeof runInProcess<S>>>['result']>['result']) => Record<string, unknown>,
): Promise<StepResult<Awaited<ReturnType<typeof runInProcess<S>>>['result']> | null> {
  say(`${model ?? '-'}: ${name} ...`);
  const t0 = performance.now();
  try {
    const r = await runInProcess(run, options);
    const row: StepRow = {
      model,
      step: name,
      ok: true,
      wall_s: seconds(performance.now() - t0),
      max_rss_mb: r.max_rss_mb,
      children_max_rss_mb: r.children_max_rss_mb || null,
      figures: figuresOf(r.result),
      load_1m: load(),
    };
    rows.push(row);
    say(
      `${model ?? '-'}: ${name} done in ${row.wall_s} s, peak RSS ${row.max_rss_mb} MB${row.children_max_rss_mb ? ` (+ ${row.children_max_rss_mb} MB workerd)` : ''}`,
    );
    return r;
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    rows.push({ model, step: name, ok: false, wall_s: seconds(performance.now() - t0), max_rss_mb: null, children_max_rss_mb: null, message, load_1m: load() });
    say(`${model ?? '-'}: ${name} FAILED: ${message}`);
    return null;
  }
}

const load = () => Math.round(loadavg()[0] * 10) / 10;

function skipped(rows: StepRow[], model: string, names: string[], why: string): void {
  for (const name of names) rows.push({ model, step: name, ok: false, wall_s: 0, max_rss_mb: null, children_max_rss_mb: null, message: `skipped: ${why}` });
}

/** Queries for the routes: baskets and customers of the holdout, all known to training. */
async function pickQueries(data: string, count: number): Promise<{ baskets: string[][]; customers: string[] }> {
  const baskets = new Map<string, string[]>();
  for (const line of (await readFile(join(data, 'test-baskets.csv'), 'utf8')).split('\n').slice(1)) {
    if (line === '') continue;
    const [b, , item] = line.split(',');
    if (!baskets.has(b)) {
      if (baskets.size >= count) break;
      baskets.set(b, []);
    }
    baskets.get(b)!.push(item);
  }
  const customers: string[] = [];
  for (const line of (await readFile(join(data, 'test.csv'), 'utf8')).split('\n').slice(1)) {
    if (line === '') continue;
    const u = line.split(',')[0];
    if (!customers.includes(u)) customers.push(u);
    if (customers.length >= count) break;
  }
  if (baskets.size < count || customers.length < count) throw new Error(`${data}: fewer than ${count} holdout baskets or customers to query with`);
  return { baskets: [...baskets.values()], customers };
}

/** Peak resident set over a process and its descendants, MB (the largest one, and the sum). */
function treePeak(pid: number): { max: number; sum: number } {
  const all = [pid, ...descendants(pid)].map(peakRssMb);
  return { max: Math.max(0, ...all), sum: all.reduce((a, b) => a + b, 0) };
}

/** Starts the edge over `state`, times the routes, stops it; records a serve step and the route rows. */
async function serve(
  rows: StepRow[],
  routeRows: RouteRow[],
  model: string,
  state: string,
  key: string,
  queries: { baskets: string[][]; customers: string[] },
  warm: number,
): Promise<void> {
  say(`${model}: serving ...`);
  const t0 = performance.now();
  let edge: LocalEdge | null = null;
  try {
    edge = await startLocalEdge({ state });
    const startS = seconds(performance.now() - t0);
    const base = `${edge.url}/v1/sellers/${SELLER}/recommendations`;
    const headers = { authorization: `Bearer ${key}` };
    const path = (route: Route, q: number): string => {
      const b = queries.baskets[q];
      if (route === 'basket') return `/basket?items=${b.slice(0, 2).map(encodeURIComponent).join(',')}`;
      if (route === 'similar') return `/similar?item=${encodeURIComponent(b[0])}`;
      return `/for-you?customer=${encodeURIComponent(queries.customers[q])}`;
    };
    const timed = async (route: Route, q: number): Promise<{ ms: number; body: { items?: unknown[]; fallback?: boolean } }> => {
      const t = performance.now();
      const res = await fetch(base + path(route, q), { headers });
      const text = await res.text();
      const ms = Math.round((performance.now() - t) * 10) / 10;
      if (res.status !== 200) throw new Error(`${route}: ${path(route, q)} answered ${res.status}: ${text.slice(0, 300)}`);
      return { ms, body: JSON.parse(text) as { items?: unknown[]; fallback?: boolean } };
    };
    for (const route of ROUTES) {
      try {
        const first = await timed(route, 0);
        const times: number[] = [];
        for (let q = 1; q <= warm; q++) times.push((await timed(route, q)).ms);
        const row: RouteRow = {
          model,
          route,
          ok: true,
          first_ms: first.ms,
          warm_median_ms: median(times),
          warm,
          items: first.body.items?.length ?? null,
          fallback: first.body.fallback ?? null,
        };
        routeRows.push(row);
        say(
          `${model}: ${route.padEnd(8)} first ${row.first_ms} ms, warm median ${row.warm_median_ms} ms (${row.items} items${row.fallback ? ', fallback' : ''})`,
        );
      } catch (err) {
        const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
        routeRows.push({ model, route, ok: false, first_ms: null, warm_median_ms: null, warm, items: null, fallback: null, message });
        say(`${model}: ${route} FAILED: ${message}`);
      }
    }
    const peak = edge.child.pid !== undefined ? treePeak(edge.child.pid) : { max: 0, sum: 0 };
    rows.push({
      model,
      step: 'serve',
      ok: true,
      wall_s: seconds(performance.now() - t0),
      max_rss_mb: peak.max,
      children_max_rss_mb: peak.sum,
      figures: { start_s: startS },
      load_1m: load(),
    });
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    rows.push({
      model,
      step: 'serve',
      ok: false,
      wall_s: seconds(performance.now() - t0),
      max_rss_mb: null,
      children_max_rss_mb: null,
      message,
      load_1m: load(),
    });
    say(`${model}: serving FAILED: ${message}`);
  } finally {
    await edge?.stop();
  }
}

function markdown(report: {
  partial: boolean;
  options: typeof DEFAULT_SCALE;
  generated: ScaleSummary | null;
  generate: StepRow;
  steps: StepRow[];
  routes: RouteRow[];
  pipeline_s: number;
  peak_rss_mb: number;
  machine: string;
}): string {
  const g = report.generated;
  const o = report.options;
  const n = (x: number) => x.toLocaleString('en-US');
  const lines: string[] = [];
  lines.push(
    `One seller of ${n(o.orders)} orders, ${n(o.items)} items and ${n(o.customers)} customers over ${o.months} months (seed ${o.seed}; \`npm run bench:scale -- --orders ${o.orders} --items ${o.items} --customers ${o.customers}\`), ${report.machine}.` +
      (g
        ? ` Generated in ${report.generate.wall_s} s (not counted below): ${n(g.order_lines)} order lines, ${(g.single_item_share * 100).toFixed(1)}% single-item orders, ${n(g.buyers)} buyers (${(g.repeat_buyer_share * 100).toFixed(0)}% came back); holdout from ${g.holdout_from.slice(0, 10)}: ${n(g.test_interactions)} test interactions, ${n(g.test_baskets)} baskets.`
        : ` Generation failed: ${report.generate.message}.`),
  );
  lines.push('');
  lines.push(
    "Each step runs in a process of its own; peak RSS is that process's (publish: + the ProxyStore's workerd; serve: the largest process of `wrangler dev`'s tree, and the sum over the tree); load 1m: the machine's 1-minute load average at the end of the step (other users of the machine show there).",
  );
  lines.push('');
  lines.push('| model | step | wall s | peak RSS MB | load 1m | figures |');
  lines.push('| --- | --- | ---: | ---: | ---: | --- |');
  for (const s of report.steps) {
    const extra = s.children_max_rss_mb ? (s.step === 'serve' ? ` (tree ${s.children_max_rss_mb})` : ` (+${s.children_max_rss_mb})`) : '';
    const rss = s.max_rss_mb === null ? '–' : `${s.max_rss_mb}${extra}`;
    const fig = s.ok
      ? Object.entries(s.figures ?? {})
          .map(([k, v]) => `${k} ${typeof v === 'number' ? v : JSON.stringify(v)}`)
          .join(', ')
      : `**failed**: ${(s.message ?? '').replace(/\|/g, '/').replace(/\n/g, ' ')}`;
    lines.push(`| ${s.model ?? '–'} | ${s.step} | ${s.wall_s} | ${rss} | ${s.load_1m ?? '–'} | ${fig} |`);
  }
  lines.push('');
  lines.push(`| model | route | first ms | warm median ms |`);
  lines.push('| --- | --- | ---: | ---: |');
  for (const r of report.routes) {
    lines.push(
      r.ok
        ? `| ${r.model} | ${r.route} | ${r.first_ms} | ${r.warm_median_ms} |`
        : `| ${r.model} | ${r.route} | **failed** | ${(r.message ?? '').replace(/\|/g, '/').slice(0, 160)} |`,
    );
  }
  lines.push('');
  const failed = report.steps.filter((s) => !s.ok).length + report.routes.filter((r) => !r.ok).length;
  lines.push(
    `Pipeline total (every step above, generation excluded): ${fmt(report.pipeline_s / 60, 1)} min; highest peak RSS of a step: ${n(report.peak_rss_mb)} MB; ${failed} failed or skipped. The bar at the default size: within 20 min, no step above 6 GB.`,
  );
  if (report.partial) lines.push('', '_Partial: the run has not finished (figures so far)._');
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      items: { type: 'string' },
      customers: { type: 'string' },
      months: { type: 'string' },
      seed: { type: 'string' },
      models: { type: 'string' },
      warm: { type: 'string', default: '5' },
      name: { type: 'string', default: 'scale' },
      data: { type: 'string' },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      keep: { type: 'boolean', default: false },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const opt = (name: 'orders' | 'items' | 'customers' | 'months' | 'seed') => wholeNumber(name, values[name], DEFAULT_SCALE[name]);
  const options = { ...DEFAULT_SCALE, orders: opt('orders'), items: opt('items'), customers: opt('customers'), months: opt('months'), seed: opt('seed') };
  const warm = wholeNumber('warm', values.warm, 5);
  if (warm < 1 || warm > 50) throw new RangeError('--warm must be 1 to 50');
  if (!/^[a-z0-9-]+$/.test(values.name)) throw new RangeError('--name must be lower-case letters, digits and dashes');
  const kinds = values.models ? values.models.split(',').map((m) => modelKind(m.trim(), '--models')) : MODEL_KINDS.filter((k) => k.retrainCandidate);
  const tag = `o${options.orders}-i${options.items}-c${options.customers}-m${options.months}-s${options.seed}`;
  const data = resolve(values.data ?? join(PROJECT, '.plusone', 'scale', tag));
  const work = join(data, 'work');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });

  const steps: StepRow[] = [];
  const routes: RouteRow[] = [];
  say(`generating ${tag} into ${data} ...`);
  const gen = await step(steps, null, 'generate', 'generateScale', { ...options, out: data }, (s) => ({
    orders: s.orders,
    order_lines: s.order_lines,
    single_item_share: s.single_item_share,
    test_interactions: s.test_interactions,
    test_baskets: s.test_baskets,
  }));
  const generate = steps.pop()!;
  const generated = gen?.result ?? null;

  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}`;
  /** Writes NAME.json and .md: after each model (partial, so that a stopped run leaves its figures), and at the end. */
  const save = async (done: boolean): Promise<string> => {
    const pipeline_s = Math.round(steps.reduce((a, s) => a + s.wall_s, 0) * 100) / 100;
    const peak_rss_mb = Math.max(0, ...steps.map((s) => Math.max(s.max_rss_mb ?? 0, s.children_max_rss_mb && s.step !== 'serve' ? s.children_max_rss_mb : 0)));
    const report = { date: new Date().toISOString(), partial: !done, options, machine, generated, generate, steps, routes, pipeline_s, peak_rss_mb };
    const md = markdown(report);
    await mkdir(values.out, { recursive: true });
    await writeFile(join(values.out, `${values.name}.json`), JSON.stringify(report, null, 2) + '\n');
    await writeFile(join(values.out, `${values.name}.md`), md);
    return md;
  };

  const runModel = async (kind: ModelKind, queries: { baskets: string[][]; customers: string[] }): Promise<void> => {
    const m = kind.name;
    const dir = join(work, `model-${m}`);
    const artifact = join(work, `${m}.bin`);
    const state = join(work, `state-${m}`);
    const trained = await step(
      steps,
      m,
      'train',
      'train',
      {
        input: { orders: join(data, 'train-orders.csv') },
        model: m,
        threads: 2,
        out: dir,
        ...(kind.usesFeatures ? { itemFeatures: join(data, 'item-features.csv') } : {}),
      },
      (r) => ({ fit_s: r.fit_s, load_s: r.load_s, users: r.users, items: r.items, interactions: r.interactions }),
    );
    if (!trained) {
      skipped(steps, m, ['evaluate', 'export', 'publish', 'serve'], 'training failed');
      return;
    }
    await step(steps, m, 'evaluate', 'evaluate', { model: dir, test: join(data, 'test.csv'), baskets: join(data, 'test-baskets.csv'), k: 10 }, (r) => ({
      'p@10': r['p@10'],
      'basket_hr@10': r['basket_hr@10'],
      'r@10': r['r@10'],
      eval_s: r.eval_s,
    }));
    const exported = await step(steps, m, 'export', 'export', { model: dir, catalog: join(data, 'catalog.csv'), out: artifact }, (r) => ({
      artifact_bytes: r.artifact_bytes,
      customers: r.customers,
    }));
    if (!exported) {
      skipped(steps, m, ['publish', 'serve'], 'export failed');
      return;
    }
    const published = await step(steps, m, 'publish', 'publishLocal', { state, seller: SELLER, artifact, createKey: true, serveOnly: true }, (r) => ({
      bytes: r.bytes,
      customers: r.customers,
    }));
    if (!published?.result.key) {
      skipped(steps, m, ['serve'], 'publishing failed');
      return;
    }
    await serve(steps, routes, m, state, published.result.key, queries, warm);
    if (!values.keep) await rm(state, { recursive: true, force: true });
  };

  if (generated) {
    const queries = await pickQueries(data, warm + 1);
    for (const kind of kinds) {
      await runModel(kind, queries);
      await save(false);
    }
  }
  if (!values.keep) await rm(work, { recursive: true, force: true });
  const md = await save(true);
  console.log('\n' + md);
  if (!values['no-readme']) await updateReadme(values.name, md);
}

await main();
