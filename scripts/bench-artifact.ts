/**
 * Benchmark: what quantisation costs. Trains hybrid MF (WARP, ml100k) and item-item EASE
 * (lambda 100, 20 neighbours, retail), exports each as f32, f16 and int8 artifacts, and
 * scores the held-out data straight from the decoded artifacts with the edge's kernels
 * (core/scoring): p@10, and basket_hr@10 where the split has baskets. Prints the
 * relative change against f32 and the bytes per item. Then the models `plusone tune` chooses
 * with its defaults (the acceptance cases of the tune issue; reused from --tuned, where
 * bench:models keeps them, or tuned here when missing), each exported the three ways and
 * evaluated as served (trainer/eval/served.ts) on the surface it was chosen for. Writes
 * benchmarks/artifact.json and .md and the README table between the bench:artifact markers.
 *
 *   npm run bench:artifact -- [--bench DIR] [--tuned DIR] [--no-readme]
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeArtifact } from '../core/format/decode.js';
import { decodeUserRecord } from '../core/format/user-record.js';
import type { Quantization } from '../core/format/spec.js';
import { scoreByNeighbours, scoreByVector, sumItemVectors } from '../core/scoring/score.js';
import { exportTrained } from '../trainer/artifact/export.js';
import { basketHitRate } from '../trainer/eval/basket.js';
import { evaluateRanking, summarize } from '../trainer/eval/metrics.js';
import { itemKnn } from '../trainer/models/item-knn/index.js';
import { resolveParams, type ModelKind } from '../trainer/models/kind.js';
import { lightfm } from '../trainer/models/lightfm/index.js';
import { evaluateServed, holdoutFromFiles } from '../trainer/eval/served.js';
import { loadModel } from '../trainer/models/load.js';
import type { TuneReport } from '../trainer/tune/tune.js';
import { DEFAULT_BENCH, PROJECT, fmt, loadSplit, runTuned, TUNED_CASES, tunedDir, updateReadme, type Split } from './bench-common.js';

const QUANTIZATIONS: Quantization[] = ['f32', 'f16', 'int8'];

interface Row {
  case: string;
  quantize: Quantization;
  artifact_bytes: number;
  vector_bytes_per_item: number | null;
  'p@10': number;
  'basket_hr@10': number | null;
  /** Evaluated as served (recommend()) rather than with the kernels directly. */
  served?: boolean;
}

/** Evaluates a decoded artifact the way the edge scores. */
function evaluateArtifact(bytes: Uint8Array, customers: { customer: string; record: Uint8Array }[], split: Split): { p10: number; basket: number | null } {
  const a = decodeArtifact(bytes);
  const n = a.itemCount;
  const byCustomer = new Map(customers.map((c) => [c.customer, c.record]));
  const query = new Float32Array(a.dim);
  const train = split.train.csr;
  const m = evaluateRanking({
    test: split.test.csr,
    train,
    score: (u, out) => {
      if (a.vectors) {
        // hybrid MF: the customer's vector from its record
        const rec = decodeUserRecord(byCustomer.get(split.dataset.users.id(u))!, { itemTableTag: a.itemTableTag, dim: a.dim, itemCount: a.itemCount });
        if (rec.kind !== 'user-vector') throw new Error('expected a user-vector record');
        scoreByVector(a, rec.vector, out, rec.bias);
      } else {
        // item-item: the customer's history scored through the (quantised) neighbours
        out.fill(0);
        scoreByNeighbours(a, train.indices.subarray(train.indptr[u], train.indptr[u + 1]), out);
      }
    },
  });
  let basket: number | null = null;
  if (split.baskets) {
    basket = basketHitRate({
      baskets: split.baskets,
      nItems: n,
      scoreBasket: (_u, items, out) => {
        if (a.vectors) {
          query.fill(0);
          sumItemVectors(a, items, query);
          scoreByVector(a, query, out);
        } else {
          out.fill(0);
          scoreByNeighbours(a, items, out);
        }
      },
    }).hitRate;
  }
  return { p10: summarize(m, 10)['p@10'], basket };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bench: { type: 'string', default: DEFAULT_BENCH },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      tuned: { type: 'string', default: join(PROJECT, '.plusone', 'bench-tune') },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const benchDir = resolve(values.bench);
  const work = await mkdtemp(join(tmpdir(), 'plusone-bench-artifact-'));
  const rows: Row[] = [];
  try {
    // Both from their kind's default preset, with the benchmark's changes.
    const cases: { name: string; split: Split; kind: ModelKind; overrides: Record<string, unknown> }[] = [];
    const ml = await loadSplit(benchDir, 'ml100k', 'cf');
    cases.push({ name: 'ml100k hybrid MF (warp, dim 32, seed 1)', split: ml, kind: lightfm, overrides: { loss: 'warp', dim: 32, seed: 1 } });
    const retail = await loadSplit(benchDir, 'retail', 'cf');
    cases.push({
      name: 'retail item-knn EASE (lambda 100, 20 neighbours)',
      split: retail,
      kind: itemKnn,
      overrides: { similarity: 'ease', lambda: 100, neighbours: 20 },
    });

    for (const c of cases) {
      const data = { dataset: c.split.dataset, interactions: c.split.train, userFeatures: c.split.userFeatures, itemFeatures: c.split.itemFeatures };
      const trained = await c.kind.fit(data, resolveParams(c.kind, c.overrides), { threads: 2 });
      for (const quantize of QUANTIZATIONS) {
        const exported = exportTrained(trained, { quantize });
        const { p10, basket } = evaluateArtifact(exported.artifact, exported.customers, c.split);
        const a = decodeArtifact(exported.artifact);
        const vectorSection = a.sections.filter((s) => s.name === 'item-vectors' || s.name === 'item-biases').reduce((s, x) => s + x.byteLength, 0);
        rows.push({
          case: c.name,
          quantize,
          artifact_bytes: exported.artifact.length,
          vector_bytes_per_item: a.vectors ? vectorSection / a.itemCount : null,
          'p@10': p10,
          'basket_hr@10': basket,
        });
        console.log(`${c.name.padEnd(50)} ${quantize.padEnd(5)} p@10 ${fmt(p10)}  basket ${fmt(basket)}  ${exported.artifact.length} bytes`);
      }
    }
    // The models tune chooses (the acceptance cases; not the informational time-split for-you one).
    for (const c of TUNED_CASES.filter((t) => t.orders === (t.surface === 'basket'))) {
      const dir = tunedDir(resolve(values.tuned), c);
      let report: TuneReport;
      if (existsSync(join(dir, 'tune.json'))) {
        report = JSON.parse(await readFile(join(dir, 'tune.json'), 'utf8')) as TuneReport;
        console.log(`${c.name}: reusing ${dir} (tuned ${report.model})`);
      } else {
        report = (await runTuned(benchDir, resolve(values.tuned), c, 2)).report;
      }
      const model = await loadModel(dir);
      const files = c.surface === 'basket' ? { baskets: join(benchDir, c.dataset, 'baskets.csv') } : { test: join(benchDir, c.dataset, 'test.csv') };
      const holdout = await holdoutFromFiles(files);
      const name = `${c.dataset} ${c.name}: ${report.model} ${JSON.stringify(report.params)}`;
      for (const quantize of QUANTIZATIONS) {
        const exported = exportTrained(model, { quantize, topN: 50 });
        const records = new Map(exported.customers.map((r) => [r.customer, r.record]));
        const m = await evaluateServed({ artifact: exported.artifact, record: async (x) => records.get(x) ?? null, holdout, surfaces: [c.surface] });
        rows.push({
          case: name,
          quantize,
          artifact_bytes: exported.artifact.length,
          vector_bytes_per_item: null,
          'p@10': c.surface === 'for-you' ? m['p@10']! : Number.NaN,
          'basket_hr@10': c.surface === 'basket' ? m['basket_hr@10'] : null,
          served: true,
        });
        console.log(`${name.slice(0, 70).padEnd(70)} ${quantize.padEnd(5)} served ${c.surface} ${fmt(c.surface === 'basket' ? m['basket_hr@10'] : m['p@10'])}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const lines = [
    'Scored from the decoded artifacts with the edge kernels; the models `plusone tune` chooses (its defaults, the cases of the tune issue) evaluated as served (trainer/eval/served.ts, the surface they were chosen for). Change: relative to f32; the bar is at most 1% lost for int8.',
    '',
    '| model | quantisation | p@10 | change | basket_hr@10 | change | artifact bytes | vector + bias bytes / item |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  let failed = 0;
  for (const r of rows) {
    const base = rows.find((x) => x.case === r.case && x.quantize === 'f32')!;
    const change = (k: 'p@10' | 'basket_hr@10') => {
      const b = base[k];
      const v = r[k];
      if (b === null || v === null || Number.isNaN(b) || Number.isNaN(v)) return '–';
      const rel = (v - b) / b;
      if (r.quantize === 'int8' && rel < -0.01) failed++;
      return `${(rel * 100).toFixed(2)}%`;
    };
    lines.push(
      `| ${r.case} | ${r.quantize} | ${fmt(r['p@10'])} | ${change('p@10')} | ${fmt(r['basket_hr@10'])} | ${change('basket_hr@10')} | ${r.artifact_bytes} | ${r.vector_bytes_per_item === null ? '–' : fmt(r.vector_bytes_per_item, 1)} |`,
    );
  }
  const md = lines.join('\n') + '\n';
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, 'artifact.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + '\n');
  await writeFile(join(values.out, 'artifact.md'), md);
  console.log('\n' + md);
  console.log(failed === 0 ? 'int8 within 1% of f32 everywhere' : `${failed} int8 figure(s) lose more than 1%`);
  if (!values['no-readme']) await updateReadme('artifact', md);
}

await main();
