/**
 * Benchmark: every model type side by side on ../shared/bench (ml100k and retail): hybrid
 * MF per loss, item-item cosine and EASE at several lambdas and neighbour counts, user-user
 * kNN and popularity. Training time, p@10, r@10, AUC, MRR, basket_hr@10 (retail),
 * coverage@10 and novelty@10, with the anchors.json figures beside them (the model's own
 * scores: train items left out, as LightFM evaluates). Then each model is exported as the
 * int8 artifact the edge serves and evaluated as served (trainer/eval/served.ts: the
 * worker's decoder and recommend(), the figures npm start and the retrain gate show), on the
 * same test and basket files. Then the models trained from files through the trainer API:
 * order-level EASE (retail's train-orders.csv, rows = orders), the same with the customer's
 * history (repeats allowed on basket, with a boost), and what `plusone tune` chooses per
 * surface with its defaults (its model directories are kept in --tuned, default
 * .plusone/bench-tune, for bench:artifact). Writes benchmarks/models.json and .md and the
 * README tables between the bench:models and bench:models-served markers.
 *
 *   npm run bench:models -- [--bench DIR] [--only ml100k,retail] [--threads 2] [--tuned DIR] [--no-readme]
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { basketHitRate } from '../trainer/eval/basket.js';
import { coverageAndNovelty, usersPerItem } from '../trainer/eval/beyond.js';
import { evaluateRanking, summarize } from '../trainer/eval/metrics.js';
import { evaluateServed, FIGURE_SURFACE, holdoutFromFiles, type ServedMetrics } from '../trainer/eval/served.js';
import { exportTrained } from '../trainer/artifact/export.js';
import { itemKnn } from '../trainer/models/item-knn/index.js';
import { resolveParams, type ModelKind } from '../trainer/models/kind.js';
import { lightfm } from '../trainer/models/lightfm/index.js';
import type { Loss } from '../trainer/models/lightfm/kernels.js';
import { popularity } from '../trainer/models/popularity/index.js';
import { userKnn } from '../trainer/models/user-knn/index.js';
import { evaluate, evaluateArtifact, exportModel, train } from '../trainer/api.js';
import { DEFAULT_BENCH, PROJECT, fmt, loadSplit, readAnchors, runTuned, TUNED_CASES, updateReadme, type Anchor } from './bench-common.js';

interface ModelSpec {
  name: string;
  /** How to find its reference figure in anchors.json. */
  anchor: (a: Anchor, dataset: string) => boolean;
  kind: ModelKind;
  /** What the benchmark changes from the kind's default preset (the one the demo and retrain train). */
  overrides: (dataset: string) => Record<string, unknown>;
}

/** Epochs and seed of the LightFM anchors (anchors.json). */
const EPOCHS: Record<string, number> = { ml100k: 30, retail: 20 };

function hybrid(loss: Loss): ModelSpec {
  return {
    name: `lightfm ${loss}`,
    anchor: (a, d) => a.system === 'lightfm' && a.dataset === d && a.variant === 'cf' && a.loss === loss,
    kind: lightfm,
    overrides: (d) => ({ loss, epochs: EPOCHS[d], seed: 1 }),
  };
}

function ease(lambda: number, k: number): ModelSpec {
  return {
    name: `item-knn ease λ=${lambda} k=${k}`,
    anchor: (a, d) => a.system === 'ease' && a.dataset === d && a.variant === `lambda=${lambda}`,
    kind: itemKnn,
    overrides: () => ({ similarity: 'ease', lambda, neighbours: k }),
  };
}

const MODELS: ModelSpec[] = [
  hybrid('logistic'),
  hybrid('bpr'),
  hybrid('warp'),
  hybrid('warp-kos'),
  {
    name: 'item-knn cosine k=50',
    anchor: (a, d) => a.system === 'baseline' && a.dataset === d && a.variant === itemKnn.name, // anchors.json names the cosine baseline after the kind
    kind: itemKnn,
    overrides: () => ({ similarity: 'cosine', neighbours: 50 }),
  },
  ease(20, 50),
  ease(100, 20),
  ease(100, 50),
  ease(400, 20),
  ease(400, 50),
  {
    name: 'user-knn k=50',
    anchor: (a, d) => a.system === 'baseline' && a.dataset === d && a.variant === 'user-knn',
    kind: userKnn,
    overrides: () => ({ neighbours: 50 }),
  },
  {
    name: 'popularity',
    anchor: (a, d) => a.system === 'baseline' && a.dataset === d && a.variant === 'popularity',
    kind: popularity,
    overrides: () => ({}),
  },
];

const METRICS = ['p@10', 'r@10', 'auc', 'mrr', 'basket_hr@10'] as const;
const SERVED_FIGURES = ['p@10', 'r@10', 'basket_hr@10', 'similar_hr@10'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bench: { type: 'string', default: DEFAULT_BENCH },
      only: { type: 'string', default: 'ml100k,retail' },
      threads: { type: 'string', default: '2' },
      out: { type: 'string', default: join(PROJECT, 'benchmarks') },
      tuned: { type: 'string', default: join(PROJECT, '.plusone', 'bench-tune') },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const benchDir = resolve(values.bench);
  const threads = Number(values.threads);
  const anchors = await readAnchors(benchDir);
  const rows: Record<string, unknown>[] = [];

  for (const dataset of values.only.split(',')) {
    const split = await loadSplit(benchDir, dataset, 'cf');
    const popularity = usersPerItem(split.train.csr);
    const baskets = join(benchDir, dataset, 'baskets.csv');
    const holdout = await holdoutFromFiles({ test: join(benchDir, dataset, 'test.csv'), ...(existsSync(baskets) ? { baskets } : {}) });
    for (const spec of MODELS) {
      const t0 = performance.now();
      const params = resolveParams(spec.kind, spec.overrides(dataset));
      const data = { dataset: split.dataset, interactions: split.train, userFeatures: null, itemFeatures: null };
      const trained = await spec.kind.fit(data, params, { threads });
      const { scorer } = trained;
      const fitSeconds = (performance.now() - t0) / 1000;
      const m = evaluateRanking({ test: split.test.csr, train: split.train.csr, collectTop: true, score: (u, out) => scorer.scoreUser(u, out) });
      const metrics: Record<string, number> = summarize(m, 10);
      const beyond = coverageAndNovelty(m.top!, 10, split.dataset.items.size, popularity, split.dataset.users.size);
      metrics['coverage@10'] = beyond.coverage;
      metrics['novelty@10'] = beyond.novelty;
      if (split.baskets) {
        metrics['basket_hr@10'] = basketHitRate({
          baskets: split.baskets,
          nItems: scorer.nItems,
          scoreBasket: (u, items, out) => scorer.scoreItems(items, u, out),
        }).hitRate;
      }
      // As served: the int8 artifact and its customer records, through the edge's code.
      const t1 = performance.now();
      const exported = exportTrained(trained, { quantize: 'int8', topN: 50 });
      const records = new Map(exported.customers.map((r) => [r.customer, r.record]));
      const served = await evaluateServed({ artifact: exported.artifact, record: async (c) => records.get(c) ?? null, holdout });
      const servedSeconds = (performance.now() - t1) / 1000;
      const anchor = anchors.find((a) => spec.anchor(a, dataset)) ?? null;
      const anchorFit = anchor ? (anchor.fit_s ?? anchor.build_s ?? null) : null;
      rows.push({
        dataset,
        model: spec.name,
        kind: spec.kind.name,
        preset: 'default',
        overrides: spec.overrides(dataset),
        fit_s: fitSeconds,
        metrics,
        anchor: anchor ? { ...pick(anchor), fit_s: anchorFit } : null,
        served,
        served_s: servedSeconds,
        artifact_bytes: exported.artifact.byteLength,
      });
      console.log(
        `${dataset.padEnd(7)} ${spec.name.padEnd(26)} fit ${fitSeconds.toFixed(2)} s  p@10 ${fmt(metrics['p@10'])}  basket ${fmt(metrics['basket_hr@10'])}`,
      );
    }
    for (const row of await fromFiles(benchDir, dataset, resolve(values.tuned), threads)) rows.push(row);
  }

  const md = render(rows);
  const servedMd = renderServed(rows);
  const result = { date: new Date().toISOString(), machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model ?? '' }, threads, rows };
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, 'models.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFile(join(values.out, 'models.md'), `${md}\n${servedMd}`);
  console.log(`\n${md}\n${servedMd}`);
  if (!values['no-readme']) {
    await updateReadme('models', md);
    await updateReadme('models-served', servedMd);
  }
}

/**
 * The rows of models trained from files through the trainer API: order-level EASE and the
 * history blend (fixed settings: lambda 25, 50 neighbours, the study's order-level setting;
 * boost 0.1), and tune's choices with its defaults. Own figures by `evaluate` (the model's
 * ids: items no one bought before the cut are not ranked, which changes AUC, not p@10),
 * served ones by `evaluateArtifact` on the exported int8 artifact.
 */
async function fromFiles(benchDir: string, dataset: string, tunedDir: string, threads: number): Promise<Record<string, unknown>[]> {
  const dir = join(benchDir, dataset);
  const test = join(dir, 'test.csv');
  const baskets = existsSync(join(dir, 'baskets.csv')) ? join(dir, 'baskets.csv') : undefined;
  const rows: Record<string, unknown>[] = [];
  const measure = async (name: string, modelDir: string, fitSeconds: number, extra: Record<string, unknown>) => {
    const own = await evaluate({ model: modelDir, test, ...(baskets ? { baskets } : {}) });
    const artifact = `${modelDir}.bin`;
    const exported = await exportModel({ model: modelDir, out: artifact, quantize: 'int8', topN: 50 });
    const t1 = performance.now();
    const served = await evaluateArtifact({ artifact, test, ...(baskets ? { baskets } : {}) });
    rows.push({
      dataset,
      model: name,
      fit_s: fitSeconds,
      metrics: own,
      anchor: null,
      served,
      served_s: (performance.now() - t1) / 1000,
      artifact_bytes: exported.artifact_bytes,
      ...extra,
    });
    console.log(`${dataset.padEnd(7)} ${name.padEnd(26)} fit ${fitSeconds.toFixed(2)} s  p@10 ${fmt(own['p@10'])}  basket ${fmt(own['basket_hr@10'])}`);
  };
  const orders = join(dir, 'train-orders.csv');
  if (existsSync(orders)) {
    const fixed: [string, Record<string, unknown>, { basket: boolean; 'for-you': boolean }][] = [
      ['item-knn ease rows=orders λ=25 k=50', { similarity: 'ease', rows: 'orders', lambda: 25, neighbours: 50 }, { basket: false, 'for-you': false }],
      [
        'item-knn ease rows=orders λ=25 k=50 + history (repeats on basket, boost 0.1)',
        { similarity: 'ease', rows: 'orders', lambda: 25, neighbours: 50, repeatBoost: 0.1 },
        { basket: true, 'for-you': false },
      ],
    ];
    for (const [name, params, repeats] of fixed) {
      const modelDir = join(tunedDir, `${dataset}-${name.replace(/[^a-z0-9]+/gi, '-')}`);
      const report = await train({ input: { orders }, model: itemKnn, params, repeats, threads, out: modelDir });
      await measure(name, modelDir, report.fit_s, { kind: itemKnn.name, overrides: params, repeats, source: 'train-orders.csv' });
    }
  }
  for (const c of TUNED_CASES.filter((t) => t.dataset === dataset)) {
    const { report, dir: modelDir } = await runTuned(benchDir, tunedDir, c, threads);
    await measure(c.name, modelDir, report.fit_s, { kind: report.model, tune: report, source: c.file });
  }
  return rows;
}

function pick(a: Anchor): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of METRICS) if (typeof a[k] === 'number') out[k] = a[k] as number;
  return out;
}

function render(rows: Record<string, unknown>[]): string {
  const lines = [
    'One run each (hybrid MF: seed 1, 2 threads, dim 32, lr 0.05, 30 epochs on ml100k and 20 on retail; kNN models are deterministic). ' +
      'In brackets: the anchors.json figure of the same model (LightFM; numpy EASE and kNN baselines, unpruned). Basket queries use the other items of the basket; hybrid MF and item-knn add the user when known. ' +
      "The model's own scores: train items left out of p@10, r@10, AUC and MRR (as the anchors); basket_hr@10 leaves out the other items of the basket only. " +
      'Rows `rows=orders` and `tune`: trained from files through the trainer API (retail: train-orders.csv, the same customer-item pairs as train.csv, as order lines), ' +
      'evaluated on their own ids (items nobody bought before the cut are not ranked: AUC is not comparable, p@10 is); `tune`: what `plusone tune` chooses with its defaults, its fit s the refit on all the data.',
    '',
    '| dataset | model | fit s | p@10 | r@10 | AUC | MRR | basket_hr@10 | coverage@10 | novelty@10 |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const m = r.metrics as Record<string, number>;
    const a = r.anchor as (Record<string, number | null> & { fit_s: number | null }) | null;
    const cell = (k: string, d = 4) => (a && typeof a[k] === 'number' ? `${fmt(m[k], d)} (${fmt(a[k] as number, d)})` : fmt(m[k], d));
    const fit = a && typeof a.fit_s === 'number' ? `${fmt(r.fit_s as number, 2)} (${fmt(a.fit_s, 2)})` : fmt(r.fit_s as number, 2);
    lines.push(
      `| ${r.dataset} | ${r.model} | ${fit} | ${cell('p@10')} | ${cell('r@10')} | ${cell('auc')} | ${cell('mrr')} | ${cell('basket_hr@10')} | ${fmt(m['coverage@10'], 3)} | ${fmt(m['novelty@10'], 2)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

await main();

/** The served rows: the same models as the edge answers with their int8 artifacts. */
function renderServed(rows: Record<string, unknown>[]): string {
  const lines = [
    "The same models exported as int8 artifacts (top 50 per customer list and neighbour row) and asked through the edge's own decoder and `recommend()` " +
      '(trainer/eval/served.ts), on the same test and basket files: for-you with the customer (p@10, r@10 against the test items; nothing left out but what the artifact leaves out), ' +
      'basket with the other items and the customer, similar per item pair of a basket. "not served": the edge does not answer that surface with this model type.',
    '',
    '| dataset | model | p@10 | r@10 | basket_hr@10 | similar_hr@10 | coverage@10 | fallback share | artifact bytes | eval s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const m = r.served as ServedMetrics;
    const cell = (k: (typeof SERVED_FIGURES)[number]) => (!m.surfaces.includes(FIGURE_SURFACE[k]) ? 'not served' : m[k] === null ? '–' : fmt(m[k]));
    lines.push(
      `| ${r.dataset} | ${r.model} | ${SERVED_FIGURES.map(cell).join(' | ')} | ${m['coverage@10'] === null ? '–' : fmt(m['coverage@10'], 3)} | ${m.fallback_share === null ? '–' : fmt(m.fallback_share, 3)} | ${r.artifact_bytes} | ${fmt(r.served_s as number, 1)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
