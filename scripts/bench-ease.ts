/**
 * `npm run bench:ease`: the exact EASE solver against numpy/OpenBLAS on the same matrices.
 *
 * For each source it builds the Gram matrix G = X^T X + lambda I that exact EASE inverts
 * (the retail split's training interactions, about 3,500 items with interactions; a
 * generated seller of about 13,000), writes it for scripts/reference/ease_reference.py,
 * and times, alternately and `--repeats` times, our inverse (trainer/models/item-knn/
 * spd-inverse.ts, 1 and `--threads` threads) and numpy.linalg.inv. It checks that the
 * threaded inverse is bit-identical to the one-thread inverse and how far both are from
 * numpy's; the ratio is our median over numpy's median, from the same run.
 *
 *   npm run bench:ease -- [--bench ../shared/bench] [--seller-orders FILE] [--repeats 3]
 *       [--threads 2] [--lambda 100] [--only retail|seller] [--precision f32|f64]
 *
 * f32 is what exact EASE uses (ease.ts); --precision f64 times the float64 solver instead.
 *
 * Without --seller-orders it generates the seller (scripts/scale/generate.ts: 150,000 orders,
 * 14,000 items, 75,000 customers, seed 1) into .plusone/scale-ease/ once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Dataset } from '../trainer/data/dataset.js';
import { ordersToInteractions, readOrders } from '../trainer/data/orders.js';
import type { Csr } from '../trainer/data/sparse.js';
import { createSpdWorkspace, invertSpd, type SpdPrecision } from '../trainer/models/item-knn/spd-inverse.js';
import { DEFAULT_BENCH, PROJECT, loadSplit, median, updateReadme } from './bench-common.js';
import { generateScaleSeller } from './scale/generate.js';

interface Row {
  source: string;
  items: number;
  threads: number;
  precision: SpdPrecision;
  ours: number[];
  numpy: number[];
  oneThread: number | null;
  maxRelDiff: number;
  identical: boolean | null;
  load: number[];
}

const { values } = parseArgs({
  options: {
    bench: { type: 'string', default: DEFAULT_BENCH },
    'seller-orders': { type: 'string' },
    repeats: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    lambda: { type: 'string', default: '100' },
    only: { type: 'string' },
    precision: { type: 'string', default: 'f32' },
    name: { type: 'string', default: 'ease' },
  },
});
const repeats = Number(values.repeats);
const threads = Number(values.threads);
const lambda = Number(values.lambda);
if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`--repeats must be an integer >= 1, got ${values.repeats}`);
if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be an integer >= 1, got ${values.threads}`);
if (!(lambda > 0)) throw new Error(`--lambda must be > 0, got ${values.lambda}`);
if (values.precision !== 'f32' && values.precision !== 'f64') throw new Error(`--precision must be f32 or f64, got ${values.precision}`);
const precision: SpdPrecision = values.precision;

const uptime = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

/** Dense G = X^T X + lambda I over the items with interactions, lower triangle, as ease.ts builds it. */
function gram(X: Csr): { n: number; fill: (a: Float64Array | Float32Array, ld: number) => void } {
  const dense = new Int32Array(X.cols).fill(-1);
  for (let p = 0; p < X.indices.length; p++) dense[X.indices[p]] = 0;
  let n = 0;
  for (let i = 0; i < X.cols; i++) if (dense[i] === 0) dense[i] = n++;
  const fill = (a: Float64Array | Float32Array, ld: number) => {
    for (let u = 0; u < X.rows; u++) {
      const start = X.indptr[u];
      const end = X.indptr[u + 1];
      for (let p = start; p < end; p++) {
        const row = dense[X.indices[p]] * ld;
        const w = X.data[p];
        for (let q = start; q <= p; q++) a[row + dense[X.indices[q]]] += w * X.data[q];
      }
    }
    for (let i = 0; i < n; i++) a[i * ld + i] += lambda;
  };
  return { n, fill };
}

async function sellerCsr(): Promise<Csr> {
  let file = values['seller-orders'];
  if (!file) {
    const dir = join(PROJECT, '.plusone/scale-ease');
    file = join(dir, 'orders.csv');
    if (!existsSync(file)) {
      console.log(`generating the seller into ${dir} ...`);
      generateScaleSeller({ out: dir, orders: 150_000, items: 14_000, customers: 75_000, seed: 1 });
    }
  }
  const rows = ordersToInteractions(await readOrders(resolve(file)), { weight: 'lines' });
  const dataset = new Dataset().fit({ interactions: [rows] });
  return dataset.buildInteractions(rows, { unknown: 'error' }).csr;
}

async function measure(source: string, X: Csr, work: string): Promise<Row> {
  const { n, fill } = gram(X);
  console.log(`${source}: ${n} items with interactions; load ${uptime()}`);
  // G for numpy, full (both triangles), row-major.
  const full = new Float64Array(n * n);
  fill(full, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) full[j * n + i] = full[i * n + j];
  const gFile = join(work, `${source}.gram.f64`);
  const pFile = join(work, `${source}.inv.f64`);
  await writeFile(gFile, new Uint8Array(full.buffer));
  const ours: number[] = [];
  const numpy: number[] = [];
  const load: number[] = [];
  let first: Float64Array | null = null;
  const ourInverse = (t: number, precision: SpdPrecision): { seconds: number; inv: Float64Array } => {
    const ws = createSpdWorkspace(n, undefined, precision);
    fill(ws.a, ws.size);
    const t0 = performance.now();
    invertSpd(ws, undefined, t);
    const seconds = (performance.now() - t0) / 1000;
    const inv = new Float64Array(n * n);
    for (let i = 0; i < n; i++) inv.set(ws.a.subarray(i * ws.size, i * ws.size + n), i * n);
    return { seconds, inv };
  };
  for (let r = 0; r < repeats; r++) {
    const a = ourInverse(threads, precision);
    ours.push(a.seconds);
    if (r === 0) first = a.inv;
    const out = execFileSync('python3', [join(PROJECT, 'scripts/reference/ease_reference.py'), gFile, String(n), ...(r === 0 ? ['--out', pFile] : [])], {
      encoding: 'utf8',
    });
    numpy.push((JSON.parse(out.trim().split('\n').pop()!) as { seconds: number }).seconds);
    load.push(loadavg()[0]);
    console.log(`  round ${r + 1}: ours ${a.seconds.toFixed(3)} s (${precision}, ${threads} threads), numpy ${numpy[r].toFixed(3)} s; load ${uptime()}`);
  }
  let identical: boolean | null = null;
  let oneThread: number | null = null;
  if (threads > 1) {
    // The one-thread inverse, once: it must be the same bits, and its time shows the gain.
    const b = ourInverse(1, precision);
    oneThread = b.seconds;
    identical = first!.every((v, i) => Object.is(v, b.inv[i]));
    console.log(`  one thread: ${b.seconds.toFixed(3)} s; bit-identical to ${threads} threads: ${identical}; load ${uptime()}`);
  }
  const ref = new Float64Array((await readFile(pFile)).buffer.slice(0));
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  let maxRelDiff = 0;
  for (let i = 0; i < ref.length; i++) maxRelDiff = Math.max(maxRelDiff, Math.abs(first![i] - ref[i]) / scale);
  return { source, items: n, threads, precision, ours, numpy, oneThread, maxRelDiff, identical, load };
}

const work = await mkdtemp(join(tmpdir(), 'plusone-bench-ease-'));
const rows: Row[] = [];
try {
  if (!values.only || values.only === 'retail') {
    const split = await loadSplit(resolve(values.bench), 'retail', 'cf');
    rows.push(await measure('retail', split.train.csr, work));
  }
  if (!values.only || values.only === 'seller') rows.push(await measure('seller', await sellerCsr(), work));
} finally {
  await rm(work, { recursive: true, force: true });
}

const cpu = cpus();
const lines = [
  `Exact EASE's inverse of G = X^T X + ${lambda} I (the matrix \`--similarity ease\` inverts) against numpy.linalg.inv (${JSON.parse(execFileSync('python3', ['-c', 'import json, numpy; c = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]; print(json.dumps(c["name"] + " " + c["version"]))'], { encoding: 'utf8' }))}, its default threads) on the same matrix, alternated ${repeats} times in one run (\`npm run bench:ease\`); ${cpu.length} cores (${cpu[0]?.model.trim()}), shared with other work: load average (1 min) at each round in the table.`,
  '',
  '| matrix | items | ours | ours median s | numpy median s | ratio | ours, rounds | numpy, rounds | ours, 1 thread | max diff / max entry | same bits as 1 thread | load |',
  '| --- | ---: | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | --- | --- |',
];
for (const r of rows) {
  const ratio = median(r.ours) / median(r.numpy);
  lines.push(
    `| ${r.source === 'retail' ? 'retail split' : 'generated seller'} | ${r.items} | ${r.precision}, ${r.threads} threads | ${median(r.ours).toFixed(2)} | ${median(r.numpy).toFixed(2)} | ${ratio.toFixed(2)} ${ratio <= 1 ? '✓' : '✗'} | ${r.ours.map((x) => x.toFixed(2)).join(', ')} | ${r.numpy.map((x) => x.toFixed(2)).join(', ')} | ${r.oneThread === null ? '–' : r.oneThread.toFixed(2)} | ${r.maxRelDiff.toExponential(1)} | ${r.identical === null ? '–' : r.identical ? 'yes' : 'no'} | ${r.load.map((x) => x.toFixed(1)).join(', ')} |`,
  );
}
lines.push('', '✓/✗: the bar (at most 1.0 x numpy). Max diff: the largest |ours - numpy| over the largest |entry| of the inverse.');
const md = lines.join('\n');
console.log(`\n${md}\n\nuptime load average: ${uptime()}`);
await mkdir(join(PROJECT, 'benchmarks'), { recursive: true });
await writeFile(join(PROJECT, `benchmarks/${values.name}.json`), JSON.stringify({ lambda, repeats, rows, load: loadavg() }, null, 1));
await writeFile(join(PROJECT, `benchmarks/${values.name}.md`), md + '\n');
await updateReadme(values.name, `${md}\n`);
