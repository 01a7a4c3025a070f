/**
 * Benchmark: the edge's scoring kernel inside workerd. Starts the worker of
 * scripts/bench-worker/ with wrangler's unstable_dev (workerd, on 127.0.0.1), loads int8
 * lightfm artifacts of random vectors (10k, 100k and 250k items, dimension 64) into it,
 * and times "score every item + select the top 10" there: the WebAssembly kernel, the
 * JavaScript int8 kernel and the plain loop the edge had before, median and p90 of 200
 * warm calls each. Also accounts the memory of the decoded 250k model (artifact + the
 * kernel's memory) and reads the workerd process's resident memory around its load.
 * Prints a table; writes benchmarks/scoring.json and .md and the README table between
 * the bench:scoring markers.
 *
 *   npm run bench:scoring -- [--sizes 10000,100000,250000] [--dim 64] [--calls 200]
 *                            [--warmup 20] [--top 10] [--out DIR] [--no-readme]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { unstable_dev } from 'wrangler';
import { encodeArtifact } from '../trainer/artifact/encode.js';
import { Random } from '../trainer/util/random.js';
import { PROJECT, fmt, median, updateReadme } from './bench-common.js';

const VARIANTS = ['floor', 'fused', 'batch4', 'wasm', 'js', 'baseline'] as const;
type Variant = (typeof VARIANTS)[number];
/** What runs cold (each call after the caches were flushed), at the --cold sizes. */
const COLD_VARIANTS: readonly Variant[] = ['floor', 'fused', 'wasm'];

const LABEL: Record<Variant, string> = {
  floor: 'memory floor: sum every byte of the vectors',
  fused: 'WebAssembly SIMD, selection fused (4 rows a step)',
  batch4: 'the same, 4 queries a pass (per query)',
  wasm: 'WebAssembly SIMD (i16 query, i32 dot), then selectTopN',
  js: 'JavaScript int32 over packed bytes',
  baseline: 'plain JavaScript loop (baseline)',
};

interface TimingRow {
  items: number;
  dim: number;
  variant: Variant;
  cold: boolean;
  median_ms: number;
  p90_ms: number;
  batch_mean_ms: number | null;
  /** Whether its top list equals the WebAssembly kernel's. */
  same_top: boolean;
}

interface LoadInfo {
  items: number;
  dim: number;
  artifactBytes: number;
  scoresBytes: number;
  loadMs: number;
  kernel: 'wasm' | 'js';
  wasmBytes: number;
  inPlace: boolean;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

/** An int8 lightfm artifact of `n` random items (ids, vectors, biases). */
function syntheticArtifact(n: number, dim: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  const itemVectors = new Float32Array(n * dim);
  for (let k = 0; k < itemVectors.length; k++) itemVectors[k] = rng.normal() * 0.1;
  const itemBiases = Float32Array.from({ length: n }, () => rng.normal() * 0.01);
  const itemIds = Array.from({ length: n }, (_, i) => `sku-${String(i).padStart(7, '0')}`);
  return encodeArtifact({ modelType: 'lightfm', itemIds, dim, itemVectors, itemBiases, meta: { version: `bench-${n}x${dim}` } }, { quantize: 'int8' });
}

/** Resident memory (bytes) of the workerd processes started below this one; null where /proc is not there. */
function workerdRss(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      name.set(Number(e), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(e), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const descends = (pid: number) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  let total = 0;
  let found = false;
  for (const [pid, comm] of name) {
    if (!comm.startsWith('workerd') || !descends(pid)) continue;
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (kb) {
        total += Number(kb[1]) * 1024;
        found = true;
      }
    } catch {
      // ended
    }
  }
  return found ? total : null;
}

const mb = (bytes: number | null) => (bytes === null ? '–' : (bytes / 2 ** 20).toFixed(1));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,100000,250000' },
      dim: { type: 'string', default: '64' },
      calls: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '20' },
      top: { type: 'string', default: '10' },
      cold: { type: 'string', default: '100000' },
      compressed: { type: 'string', default: '1000000' },
      'recall-queries': { type: 'string', default: '200' },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const dim = Number(values.dim);
  const calls = Number(values.calls);
  const warmup = Number(values.warmup);
  const top = Number(values.top);
  for (const [k, v] of Object.entries({ sizes: Math.min(...sizes), dim, calls, top })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${k} must be whole numbers >= 1`);
  }
  const largest = Math.max(...sizes);
  const coldSizes = new Set(values.cold.split(',').filter(Boolean).map(Number));
  const compressedSizes = values.compressed.split(',').filter(Boolean).map(Number);
  const recallQueries = Number(values['recall-queries']);

  console.log('starting workerd (wrangler unstable_dev, 127.0.0.1) ...');
  const start = () =>
    unstable_dev(join(PROJECT, 'scripts/bench-worker/index.ts'), {
      config: join(PROJECT, 'scripts/bench-worker/wrangler.toml'),
      ip: '127.0.0.1',
      port: 0,
      inspect: false,
      logLevel: 'error',
      experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
    });
  let worker = await start();
  const runtimeInfo = (await (await worker.fetch('http://127.0.0.1/runtime')).json()) as { relaxed?: boolean };
  const post = async <T>(path: string, body: string | Uint8Array): Promise<T> => {
    const res = await worker.fetch(`http://127.0.0.1${path}`, { method: 'POST', body });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`${path}: ${json.error ?? res.status}`);
    return json;
  };

  const rows: TimingRow[] = [];
  const relaxedNote = runtimeInfo.relaxed ? 'workerd has it, and it ran' : 'not in use here';
  const topOf = new Map<TimingRow, string>();
  const compressedRows: {
    items: number;
    dim: number;
    loadMs: number;
    wasmBytes: number;
    recall: number;
    exactScores: boolean;
    compressed: boolean;
    floor: { median_ms: number; p90_ms: number };
    fused: { median_ms: number; p90_ms: number };
    wasm: { median_ms: number; p90_ms: number };
  }[] = [];
  const loads: Record<string, LoadInfo> = {};
  let rssBefore: number | null = null;
  let rssAfter: number | null = null;
  let inPlace: (LoadInfo & { median_ms: number; p90_ms: number }) | null = null;
  try {
    for (const n of sizes) {
      const bytes = syntheticArtifact(n, dim, n);
      if (n === largest) rssBefore = workerdRss();
      // Decoded as the model cache decodes (decodeArtifact); the kernel copies the vectors once.
      loads[n] = await post<LoadInfo>(`/load?name=${n}&mode=copy`, bytes);
      if (n === largest) rssAfter = workerdRss();
      const tops: Partial<Record<Variant, string>> = {};
      const runs: [Variant, boolean][] = [
        ...VARIANTS.map((v): [Variant, boolean] => [v, false]),
        ...(coldSizes.has(n) ? COLD_VARIANTS.map((v): [Variant, boolean] => [v, true]) : []),
      ];
      for (const [variant, cold] of runs) {
        const r = await post<{ samples: number[]; batchMeanMs: number | null; top: { items: number[] } }>(
          '/run',
          JSON.stringify({ name: String(n), variant, calls: cold ? Math.min(calls, 100) : calls, warmup, top, cold }),
        );
        const topList = r.top.items.join(',');
        if (!cold) tops[variant] = topList;
        // batch4 answers four queries a call: its times are per query.
        const per = variant === 'batch4' ? 4 : 1;
        const row: TimingRow = {
          items: n,
          dim,
          variant,
          cold,
          median_ms: median(r.samples) / per,
          p90_ms: quantile(r.samples, 0.9) / per,
          batch_mean_ms: r.batchMeanMs === null ? null : r.batchMeanMs / per,
          same_top: true,
        };
        topOf.set(row, topList);
        rows.push(row);
        console.log(
          `${String(n).padStart(7)} x ${dim}  ${LABEL[variant].padEnd(52)} ${cold ? 'cold' : 'warm'} median ${fmt(row.median_ms, 3)} ms  p90 ${fmt(row.p90_ms, 3)} ms  (batch mean ${fmt(row.batch_mean_ms, 3)}); load ${loadavg()[0].toFixed(2)}`,
        );
      }
      // Every kernel's top list against the WebAssembly kernel's (the floor selects nothing).
      for (const row of rows) if (row.items === n && row.variant !== 'floor') row.same_top = topOf.get(row) === tops.wasm;
      await post('/drop?name=' + n, '');
    }
    // The same largest model decoded straight into the kernel's memory (decodeForScoring).
    const info = await post<LoadInfo>(`/load?name=in-place&mode=in-place`, syntheticArtifact(largest, dim, largest));
    const r = await post<{ samples: number[] }>('/run', JSON.stringify({ name: 'in-place', variant: 'fused', calls, warmup, top }));
    inPlace = { ...info, median_ms: median(r.samples), p90_ms: quantile(r.samples, 0.9) };
    await post('/drop?name=in-place', '');
    // Past 250,000 items: the compressed path (4-bit codes, then int8 rescoring), decoded in
    // place; its floor is the sum over the int8 vectors, as above.
    for (const n of compressedSizes) {
      // A fresh runtime: the large model's upload and decoding need room the earlier ones used.
      await worker.stop();
      worker = await start();
      console.log(`encoding ${n} x ${dim} ...`);
      const bytes = syntheticArtifact(n, dim, n);
      // In parts of 32 MB: a request body of 82 MB is refused by the local runtime.
      const PART = 32 * 2 ** 20;
      for (let at = 0; at + PART < bytes.length; at += PART) await post(`/part?name=c${n}`, bytes.subarray(at, at + PART));
      const info = await post<LoadInfo>(`/load?name=c${n}&mode=in-place`, bytes.subarray(Math.floor((bytes.length - 1) / PART) * PART));
      const rec = await post<{ recall: number; exactScores: boolean; compressed: boolean }>(
        '/recall',
        JSON.stringify({ name: `c${n}`, queries: recallQueries, top }),
      );
      const timed: Record<string, { median_ms: number; p90_ms: number }> = {};
      for (const variant of ['floor', 'fused', 'wasm'] as const) {
        const r = await post<{ samples: number[] }>('/run', JSON.stringify({ name: `c${n}`, variant, calls: Math.min(calls, 50), warmup: 5, top }));
        timed[variant] = { median_ms: median(r.samples), p90_ms: quantile(r.samples, 0.9) };
        console.log(`${n} x ${dim} ${variant}: median ${fmt(timed[variant].median_ms, 3)} ms; load ${loadavg()[0].toFixed(2)}`);
      }
      compressedRows.push({ items: n, dim, loadMs: info.loadMs, wasmBytes: info.wasmBytes, ...rec, floor: timed.floor, fused: timed.fused, wasm: timed.wasm });
      await post(`/drop?name=c${n}`, '');
    }
  } finally {
    await worker.stop();
  }

  const big = loads[largest];
  const memory = {
    items: largest,
    dim,
    artifact_bytes: big.artifactBytes,
    copy: {
      kernel_memory_bytes: big.wasmBytes,
      total_bytes: big.artifactBytes + big.wasmBytes,
      workerd_rss_delta_bytes: rssBefore !== null && rssAfter !== null ? rssAfter - rssBefore : null,
    },
    in_place: inPlace && { kernel_memory_bytes: inPlace.wasmBytes, total_bytes: inPlace.wasmBytes, median_ms: inPlace.median_ms, p90_ms: inPlace.p90_ms },
  };

  const lines = [
    `Inside workerd (wrangler's unstable_dev, one isolate, this machine): int8 lightfm artifacts of random vectors, dimension ${dim}; one call scores every item and selects the top ${top}. Floor: the same call pattern reading every byte of the vectors once and summing them; x floor: the kernel's median over the floor's, same items, same caches. Cold rows: each call after reading 64 MB of other memory.` +
      ` ${calls} warm calls per row, after ${warmup}, each timed on its own against the runtime's millisecond clock (scripts/bench-worker/clock.ts); batch mean: ${Math.min(calls, 20)} calls timed together, as a check.`,
    '',
    '| items | kernel | caches | median ms | p90 ms | batch mean ms | floor ms | x floor | vs baseline |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const base = rows.find((x) => x.items === r.items && x.variant === 'baseline' && !x.cold)!;
    const floor = rows.find((x) => x.items === r.items && x.variant === 'floor' && x.cold === r.cold)!;
    lines.push(
      `| ${r.items.toLocaleString('en-US')} | ${LABEL[r.variant]}${r.same_top ? '' : ' (another top list)'} | ${r.cold ? 'cold' : 'warm'} | ${fmt(r.median_ms, 3)} | ${fmt(r.p90_ms, 3)} | ${fmt(r.batch_mean_ms, 3)} | ${fmt(floor.median_ms, 3)} | ${(r.median_ms / floor.median_ms).toFixed(2)} | ${r.variant === 'floor' ? '–' : `${(base.median_ms / r.median_ms).toFixed(1)}x`} |`,
    );
  }
  lines.push(
    '',
    `Memory of the decoded ${largest.toLocaleString('en-US')} x ${dim} model, decoded with \`decodeArtifact\` as the model cache does: the artifact, ${mb(memory.artifact_bytes)} MB,` +
      ` plus the kernel's memory (its copy of the int8 vectors, scales and biases, and the scores), ${mb(memory.copy.kernel_memory_bytes)} MB: ${mb(memory.copy.total_bytes)} MB` +
      ` (workerd's resident memory grew ${mb(memory.copy.workerd_rss_delta_bytes)} MB over the request that uploaded and loaded it, upload buffers included).` +
      (memory.in_place
        ? ` Decoded with \`decodeForScoring\` (straight into the kernel's memory, no copy): ${mb(memory.in_place.total_bytes)} MB in all; median ${fmt(memory.in_place.median_ms, 2)} ms, p90 ${fmt(memory.in_place.p90_ms, 2)} ms.`
        : ''),
  );
  if (compressedRows.length > 0) {
    lines.push(
      '',
      `Past ${(250000).toLocaleString('en-US')} items, \`scoreTopN\` takes the compressed path: 4-bit codes of the rows (built at load), a coarse pass with the query at 7 bits (relaxed SIMD where the runtime has it: ${relaxedNote}) that keeps 256 candidates, then their exact int8 scores. Recall@${top}: the share of the exact int8 top ${top} (scoreByVector, then selectTopN) it returns, over ${recallQueries} queries. Decoded in place; warm calls.`,
      '',
      '| items | path | median ms | p90 ms | floor ms | x floor | recall@10 | exact scores | kernel memory MB | load ms |',
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
    );
    for (const c of compressedRows) {
      lines.push(
        `| ${c.items.toLocaleString('en-US')} | ${c.compressed ? 'compressed (4-bit, int8 rescoring)' : 'not compressed'} | ${fmt(c.fused.median_ms, 2)} | ${fmt(c.fused.p90_ms, 2)} | ${fmt(c.floor.median_ms, 2)} | ${(c.fused.median_ms / c.floor.median_ms).toFixed(2)} | ${fmt(c.recall, 3)} | ${c.exactScores ? 'yes' : 'no'} | ${mb(c.wasmBytes)} | ${Math.round(c.loadMs)} |`,
        `| ${c.items.toLocaleString('en-US')} | exact int8 (scoreByVector, then selectTopN) | ${fmt(c.wasm.median_ms, 2)} | ${fmt(c.wasm.p90_ms, 2)} | ${fmt(c.floor.median_ms, 2)} | ${(c.wasm.median_ms / c.floor.median_ms).toFixed(2)} | 1.000 | yes | | |`,
      );
    }
  }
  lines.push(
    '',
    `Load average (1, 5, 15 min) at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')} (2 cores shared with other work; ratios come from the same run).`,
  );
  const md = lines.join('\n') + '\n';
  await mkdir(values.out, { recursive: true });
  await writeFile(
    join(values.out, 'scoring.json'),
    JSON.stringify({ date: new Date().toISOString(), calls, warmup, top, rows, loads, memory }, null, 2) + '\n',
  );
  await writeFile(join(values.out, 'scoring.md'), md);
  console.log('\n' + md);
  if (!values['no-readme']) await updateReadme('scoring', md);
}

await main();
