/**
 * Measures `npm run retrain -- --sellers all` over many small generated sellers in one run:
 * generates N tiny sellers (a few hundred orders each, from seeded demo marketplaces), breaks
 * one orders file on purpose, retrains them all on one fresh local state, and reports the
 * total time, the time per seller and how many published.
 *
 *   npm run bench:retrain-sellers -- [--sellers 100] [--concurrency N] [--out DIR] [--keep] [--no-readme]
 *
 * Writes benchmarks/retrain-sellers.json and .md, and the README section between the
 * bench:retrain-sellers markers (not with --no-readme).
 * Exits 0 when every seller but the broken one published and the broken one is the run's
 * only failure, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT, projectRoot, updateReadme } from './bench-common.js';
import { generateMarketplace } from './demo/generate.js';
import { wranglerCommand } from './local-edge.js';
import type { RunSummary } from './retrain/sellers.js';

const { values } = parseArgs({
  options: {
    sellers: { type: 'string', default: '100' },
    concurrency: { type: 'string' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-readme': { type: 'boolean', default: false },
  },
});

const say = (line: string) => process.stderr.write(`${line}\n`);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(): Promise<number> {
  const n = Number(values.sellers);
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`--sellers must be a whole number >= 2, got "${values.sellers}"`);
  const root = values.out ? resolve(values.out) : await mkdtemp(join(tmpdir(), 'plusone-retrain-sellers-'));
  const orders = join(root, 'orders');
  await mkdir(root, { recursive: true });
  try {
    await mkdir(orders);
  } catch {
    throw new Error(`${orders} exists already (or ${root} cannot be written): give --out a new or empty folder`);
  }

  // N sellers: the five sellers of each seeded marketplace, renamed shop-001, shop-002, …
  const t0 = Date.now();
  let made = 0;
  for (let seed = 1; made < n; seed++) {
    const gen = join(root, `gen-${seed}`);
    await generateMarketplace({ out: gen, seed, customers: 300, orders: 1500, months: 3 });
    for (const d of (await readdir(gen, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      if (made === n) break;
      await rename(join(gen, d.name), join(orders, `shop-${String(++made).padStart(3, '0')}`));
    }
    await rm(gen, { recursive: true, force: true });
  }
  const broken = `shop-${String(Math.ceil(n / 2)).padStart(3, '0')}`;
  await writeFile(join(orders, broken, 'orders.csv'), 'order_id;customer_id;item_id\no1;c1;i1\n');
  say(`generated ${n} sellers in ${orders} in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${broken}'s orders file is malformed on purpose`);

  // The retrain refuses a D1 without its list of deleted customers: the state gets the schema first, as npm start's does.
  await wranglerCommand(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', join(root, 'state')]);
  const args = [
    join(projectRoot(), 'dist', 'scripts', 'retrain.js'),
    '--sellers',
    'all',
    '--orders-dir',
    orders,
    '--local',
    '--persist-to',
    join(root, 'state'),
    '--work',
    join(root, 'work'),
    '--json',
    ...(values.concurrency ? ['--concurrency', values.concurrency] : []),
  ];
  say(`running: node ${args.join(' ')}  (its progress: ${join(root, 'retrain.log')})`);
  const t1 = Date.now();
  // The run's progress goes to the log as it comes; its summary (stdout) is kept.
  const log = createWriteStream(join(root, 'retrain.log'));
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done, fail) => {
    const child = spawn(process.execPath, args, {
      cwd: projectRoot(),
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.pipe(log);
    child.on('error', fail);
    child.on('close', (c) => done({ code: c ?? 1, stdout: Buffer.concat(out).toString('utf8') }));
  });
  const wall = (Date.now() - t1) / 1000;
  await new Promise((r) => log.end(r));
  let run: RunSummary;
  try {
    run = JSON.parse(stdout.trim().split('\n').pop() ?? '') as RunSummary;
  } catch {
    throw new Error(`the retrain run (exit ${code}) printed no summary; see ${join(root, 'retrain.log')}`);
  }
  const secs = run.results.filter((r) => r.ok).map((r) => r.seconds);
  // Sellers whose run published a version that now serves a surface.
  const withActive = run.results.filter((r) => r.decisions.some((d) => d.serves.length > 0 && d.version !== null)).length;
  const good = code === 1 && run.failed === 1 && run.failed_sellers[0] === broken && withActive === n - 1;
  const report = {
    sellers: run.sellers,
    ok: run.ok,
    failed: run.failed_sellers,
    sellers_with_an_active_model_published: withActive,
    models_published: run.published,
    exit_code: code,
    concurrency: run.concurrency,
    wall_s: Math.round(wall * 10) / 10,
    per_seller_s: {
      median: quantile(secs, 0.5),
      p90: quantile(secs, 0.9),
      max: Math.max(...secs),
      wall_per_seller: Math.round((wall / run.sellers) * 100) / 100,
    },
    out: values.keep || !good ? root : null,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const failure = run.results.find((r) => !r.ok);
  const md = [
    `${n} generated sellers of about 300 orders each (seeded demo marketplaces), ${broken}'s orders file malformed on purpose, retrained by one`,
    `\`retrain --sellers all --orders-dir DIR --local\` run on a fresh local state, ${run.concurrency} at a time, ${cpus().length} cores (load average`,
    `${loadavg()[0].toFixed(2)} at the end): ${report.wall_s} s for the run, ${report.per_seller_s.wall_per_seller} s of wall time per seller;`,
    `each seller took ${report.per_seller_s.median} s (median; p90 ${report.per_seller_s.p90} s, max ${report.per_seller_s.max} s).`,
    `${withActive} sellers published (${run.published} models); failed: ${run.failed_sellers.join(', ') || 'none'}${failure?.error ? ` ("${failure.error.slice(0, 160)}")` : ''};`,
    `exit code ${code}. ${good ? 'As expected' : 'NOT as expected'} (${n - 1} published, ${broken} alone failed, exit 1).`,
    '',
  ].join('\n');
  await mkdir(join(PROJECT, 'benchmarks'), { recursive: true });
  await writeFile(join(PROJECT, 'benchmarks', 'retrain-sellers.json'), `${JSON.stringify({ date: new Date().toISOString(), ...report }, null, 2)}\n`);
  await writeFile(join(PROJECT, 'benchmarks', 'retrain-sellers.md'), md);
  if (!values['no-readme']) await updateReadme('retrain-sellers', md);
  if (!good) say(`expected ${n - 1} sellers to publish and ${broken} alone to fail (exit 1); see ${join(root, 'retrain.log')}`);
  if (!values.keep && good) await rm(root, { recursive: true, force: true });
  return good ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(`bench-retrain-sellers: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
