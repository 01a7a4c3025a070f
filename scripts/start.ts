/**
 * `npm start`: the demo marketplace on the local edge. Generates five demo sellers
 * (.plusone/data), trains, exports and evaluates six models per seller (the four LightFM
 * losses with item features, EASE, user-user), publishes each into its own slot of the local
 * KV/R2 state (.plusone/state), sets each seller's serving configuration to the best slot of
 * each surface by the holdout figures, creates API keys, applies the D1 schema, then runs
 * `wrangler dev` in the foreground and prints where to look. A second run reuses everything
 * that is up to date (.plusone/manifest.json).
 *
 *   npm start [-- --port 8787] [--seed 1] [--customers 20000] [--orders 100000] [--months 18]
 *             [--threads 2] [--fresh] [--no-serve]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from './bench-common.js';
import { buildDemo, StepFailed, type BuildResult } from './demo/build.js';
import { DEFAULT_OPTIONS } from './demo/marketplace.js';

const USAGE = `Usage: npm start [-- options]

Builds the demo marketplace (data, models, keys) into .plusone/ and serves it with wrangler dev.

  --port N        port of the local edge on 127.0.0.1 (default 8787)
  --seed N        seed of the generated marketplace (default ${DEFAULT_OPTIONS.seed})
  --customers N   customers (default ${DEFAULT_OPTIONS.customers})
  --orders N      orders (default ${DEFAULT_OPTIONS.orders})
  --months N      months of orders (default ${DEFAULT_OPTIONS.months})
  --threads N     models trained at once (default: the cores less one, at most 2)
  --fresh         delete .plusone first and build everything again
  --no-serve      build, print the metrics, and stop (no wrangler dev)`;

function log(line: string): void {
  process.stderr.write(`start: ${line}\n`);
}

function integer(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text)))
    throw new StepFailed(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Whether 127.0.0.1:port can be listened on. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses a second `npm start` on the same .plusone while one runs (they would share the
 * state); with `fresh`, then deletes .plusone.
 */
async function lock(home: string, fresh: boolean): Promise<() => Promise<void>> {
  const path = join(home, 'start.pid');
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
    throw new StepFailed(`another npm start (pid ${pid}) is using ${home}; stop it first (two runtimes on one state folder corrupt it)`);
  }
  if (fresh) await rm(home, { recursive: true, force: true });
  await mkdir(home, { recursive: true });
  await writeFile(path, `${process.pid}\n`);
  return () => rm(path, { force: true });
}

function fmt(v: unknown, digits = 4): string {
  return typeof v === 'number' ? v.toFixed(digits) : '-';
}

/** The rules of a seller's serving configuration that name a slot ("basket", "for-you (fallback)", …). */
function servesOf(result: Pick<BuildResult, 'serving'>, seller: string, slot: string): string {
  const config = result.serving[seller] ?? {};
  const out: string[] = [];
  for (const [rule, r] of Object.entries(config)) {
    if (r?.slot === slot) out.push(rule);
    else if (r?.fallback === slot) out.push(`${rule} (fallback)`);
  }
  return out.join(', ');
}

/** The holdout table: one row per seller and slot, the figures the served ones, and which rules the slot serves. */
function metricsTable(result: Pick<BuildResult, 'models' | 'marketplace' | 'serving'>): string {
  const header = ['seller', 'slot', 'model', 'items', 'customers', 'basket_hr@10', 'similar_hr@10', 'p@10', 'r@10', 'coverage@10', 'fit s', 'serves'];
  const served = (m: BuildResult['models'][number], key: 'basket_hr@10' | 'similar_hr@10' | 'p@10' | 'r@10', surface: string) =>
    m.metrics.surfaces.includes(surface as never) ? fmt(m.metrics[key]) : 'not served';
  const rows = result.models.map((m) => [
    m.seller,
    m.slot,
    m.label,
    String(m.training.items ?? '-'),
    String(m.training.users ?? '-'),
    served(m, 'basket_hr@10', 'basket'),
    served(m, 'similar_hr@10', 'similar'),
    served(m, 'p@10', 'for-you'),
    served(m, 'r@10', 'for-you'),
    fmt(m.metrics['coverage@10'], 3),
    fmt(m.training.fit_s, 2),
    servesOf(result, m.seller, m.slot),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const left = (i: number) => i < 3 || i === header.length - 1;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  // A blank line between sellers.
  const body = rows.flatMap((r, i) => (i > 0 && r[0] !== rows[i - 1][0] ? ['', line(r)] : [line(r)]));
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body,
    '',
    `Holdout: the orders from ${result.marketplace.holdout_from.slice(0, 10)} (the last ${result.marketplace.holdout_days} days), asked of the published artifacts through the edge's own code`,
    '(the figures `npm run retrain` prints for these versions). basket_hr@10: hide each item of a multi-item order, ask the basket route with the rest;',
    'similar_hr@10: is another item of the order among the 10 similar to one; p@10, r@10: for-you for each customer against what they bought.',
    '"not served": the edge does not answer that surface with this model (user-user keeps per-customer lists only).',
    'serves: the serving configuration npm start sets, the best slot of each surface by these figures (the second best its fallback;',
    "new-items: the hybrid slot with the best similar_hr@10, for products the surface's model has never seen). Change it with plusone serve.",
  ].join('\n');
}

function banner(result: BuildResult, url: string, total: number): string {
  const first = result.sellers[0];
  const example = result.examples[first.id];
  const item = example?.items[0] ?? '';
  const lines = [
    '',
    `PlusOne demo marketplace: ${result.sellers.length} sellers, ${result.marketplace.customers} customers, ${result.marketplace.orders} orders (built in ${result.seconds.toFixed(1)} s, serving after ${total.toFixed(1)} s)`,
    '',
    `  console     ${url}/console?seller=${first.id}`,
    `              sign in with ${first.name}'s secret key (the curl line below, or .plusone/local.json); every seller has one`,
    `  storefront  ${url}/demo`,
    `  API docs    ${url}/v1/docs`,
    `  A/B tests   ${url}/console?seller=${first.id}#experiments`,
    `              the experiments and their reports (npm run simulate:traffic runs one); a report alone: /admin/experiments/<id>?seller=${first.id}`,
    '',
    `Complete-your-order for a cart holding ${item} at ${first.name}:`,
    `  curl -H "Authorization: Bearer ${first.publishable_key}" \\`,
    `    "${url}/v1/sellers/${first.id}/recommendations/basket?items=${item}&customer=${example?.customer ?? ''}&n=5"`,
    `The model status (secret key):`,
    `  curl -H "Authorization: Bearer ${first.secret_key}" ${url}/v1/sellers/${first.id}/model`,
    '',
    metricsTable(result),
    '',
    `Each seller has six slots (warp, bpr, logistic, warp-kos, ease, lookalike); the list, with versions and figures:`,
    `  curl -H "Authorization: Bearer ${first.secret_key}" ${url}/v1/sellers/${first.id}/models`,
    'npm run simulate:traffic runs a six-arm experiment over them.',
    'Keys and URL: .plusone/local.json. Ctrl-C stops the server; npm start again reuses what is built.',
    '',
  ];
  return lines.join('\n');
}

/** Waits until GET url/v1/health answers 200, or the child exits, or `ms` pass. */
async function waitHealthy(url: string, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new StepFailed(`wrangler dev exited before ${url}/v1/health answered; see its output above`);
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // Not up yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new StepFailed(`${url}/v1/health did not answer within ${ms / 1000} s`);
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      seed: { type: 'string' },
      customers: { type: 'string' },
      orders: { type: 'string' },
      months: { type: 'string' },
      threads: { type: 'string' },
      fresh: { type: 'boolean' },
      'no-serve': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const t0 = performance.now();
  const root = projectRoot();
  const home = join(root, '.plusone');
  const port = integer('port', values.port, 8787, 1);
  const url = `http://127.0.0.1:${port}`;
  const serve = !values['no-serve'];
  // Fail before the work, not after it.
  if (serve && !(await portFree(port)))
    throw new StepFailed(`port ${port} of 127.0.0.1 is in use (another npm start or wrangler dev?); stop it, or run npm start -- --port N`);
  const unlock = await lock(home, Boolean(values.fresh));
  let child: ChildProcess | null = null;
  try {
    const result = await buildDemo({
      root,
      home,
      seed: integer('seed', values.seed, DEFAULT_OPTIONS.seed, 0),
      customers: integer('customers', values.customers, DEFAULT_OPTIONS.customers, 1),
      orders: integer('orders', values.orders, DEFAULT_OPTIONS.orders, 1),
      months: integer('months', values.months, DEFAULT_OPTIONS.months, 1),
      // One core stays with the local runtime, which publishes while the trainer trains.
      threads: integer('threads', values.threads, Math.max(1, Math.min(2, availableParallelism() - 1)), 1),
      log,
      url,
    });
    log(`built in ${result.seconds.toFixed(1)} s`);
    if (!serve) {
      process.stdout.write(metricsTable(result) + '\n');
      return 0;
    }

    const t = performance.now();
    const bin = createRequire(import.meta.url).resolve('wrangler/bin/wrangler.js');
    const args = [
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      join(home, 'state'),
      '--var',
      'DEMO_STOREFRONT:on',
      '--show-interactive-dev-session=false',
    ];
    log(`wrangler ${args.join(' ')}`);
    const running = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
    child = running;
    const exit = new Promise<number>((resolve) => running.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 0))));
    // The terminal sends Ctrl-C to both; a kill from elsewhere reaches only this process.
    // wrangler stops cleanly on SIGINT and SIGTERM (its launcher dies of a SIGHUP).
    // The build's runtime (Miniflare) leaves exit hooks behind that would end this process
    // on the first signal and orphan wrangler: from here on, signals only go to wrangler.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(signal);
    process.on('SIGINT', () => running.kill('SIGINT'));
    process.on('SIGTERM', () => running.kill('SIGTERM'));
    process.on('SIGHUP', () => running.kill('SIGTERM'));
    await waitHealthy(url, running, 120_000);
    log(`wrangler dev answers on ${url} after ${((performance.now() - t) / 1000).toFixed(1)} s (total ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    process.stdout.write(banner(result, url, (performance.now() - t0) / 1000) + '\n');
    const code = await exit;
    child = null;
    return code;
  } finally {
    if (child !== null) child.kill('SIGTERM');
    await unlock();
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  if (err instanceof StepFailed || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    process.stderr.write(`start: error: ${(err as Error).message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`start: failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
