/**
 * The retrain pipeline, for one seller: orders (a file and/or the purchase events in D1,
 * less deleted customers) -> time split (the most recent --holdout-days are the holdout) ->
 * train and export each candidate model -> evaluate each candidate and the currently
 * published versions on the holdout, served through the edge's own code -> publish only
 * what passes the gate (scripts/retrain/gate.ts), with a model card next to each artifact.
 *
 *   npm run retrain -- --seller S [--local | --remote] [--orders F [--columns SPEC]] [--with-events]
 *       [--catalog F] [--item-features F] [--models lightfm,item-knn,user-knn] [--holdout-days 14]
 *       [--metric basket_hr@10|p@10] [--tolerance 0.02] [--persist-to DIR] [--work DIR] [--dry-run] [--json]
 *
 * Without --orders the purchase events in D1 are the orders. --local works on wrangler's
 * local state (.wrangler/state, or --persist-to): do not run it while `wrangler dev`
 * (npm start) serves the same state.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { userRecordKey } from '../core/format/user-record.js';
import { modelStorage, type ActivePointer } from '../core/storage/pointer.js';
import { exportModel, train as trainModel, type ExportReport, type TrainReport } from '../trainer/api.js';
import { resolveParams, type ModelKind } from '../trainer/models/kind.js';
import { MODEL_KIND_NAMES, MODEL_KINDS } from '../trainer/models/registry.js';
import { parseColumnsArg } from '../trainer/data/orders.js';
import { evaluateServed, type Holdout, type ServedMetrics } from '../trainer/eval/served.js';
import { ProxyStore } from '../trainer/publish/proxy-store.js';
import { checkSeller, publish } from '../trainer/publish/publish.js';
import { WranglerStore, type ModelStore } from '../trainer/publish/store.js';
import { projectRoot } from './bench-common.js';
import { deletedCustomers, holdoutOf, ordersFromEvents, ordersFromFile, splitByTime, writeOrdersCsv, type D1Location, type OrderLine } from './retrain/data.js';
import { decide, type Current } from './retrain/gate.js';

/** Candidates when --models is not given: the kinds the registry marks as retrain candidates. */
const DEFAULT_MODELS = MODEL_KINDS.filter((k) => k.retrainCandidate).map((k) => k.name);
const METRICS = ['basket_hr@10', 'p@10'] as const;
type Metric = (typeof METRICS)[number];

/** Every candidate trains its kind's default preset (the one the demo and the benchmarks train). */
const PRESET = 'default';

class UsageError extends Error {}

const { values } = parseArgs({
  options: {
    seller: { type: 'string' },
    orders: { type: 'string' },
    columns: { type: 'string' },
    'with-events': { type: 'boolean', default: false },
    catalog: { type: 'string' },
    'item-features': { type: 'string' },
    models: { type: 'string', default: DEFAULT_MODELS.join(',') },
    'holdout-days': { type: 'string', default: '14' },
    metric: { type: 'string', default: 'basket_hr@10' },
    tolerance: { type: 'string', default: '0.02' },
    local: { type: 'boolean', default: false },
    remote: { type: 'boolean', default: false },
    'persist-to': { type: 'string' },
    config: { type: 'string' },
    work: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const say = (line: string) => process.stderr.write(`${line}\n`);

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  say(`• ${what}…`);
  const out = await run();
  say(`  ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

async function run(): Promise<void> {
  if (values.help) {
    say(readFileHelp());
    return;
  }
  const seller = values.seller;
  if (!seller) throw new UsageError('--seller is required');
  checkSeller(seller);
  if (values.local && values.remote) throw new UsageError('give --local or --remote, not both');
  const models: ModelKind[] = [];
  for (const name of values.models!.split(',').map((m) => m.trim())) {
    const kind = MODEL_KINDS.find((k) => k.name === name);
    if (!kind) throw new UsageError(`--models: unknown model "${name}" (known: ${MODEL_KIND_NAMES.join(', ')})`);
    models.push(kind);
  }
  const metric = values.metric as Metric;
  if (!METRICS.includes(metric)) throw new UsageError(`--metric must be one of ${METRICS.join(', ')}`);
  const holdoutDays = Number(values['holdout-days']);
  if (!(holdoutDays > 0)) throw new UsageError('--holdout-days must be > 0');
  const tolerance = Number(values.tolerance);
  if (!(tolerance >= 0 && tolerance < 1)) throw new UsageError('--tolerance must be in [0, 1), e.g. 0.02 for 2%');
  const where: D1Location = { mode: values.remote ? 'remote' : 'local', persistTo: values['persist-to'], config: values.config };
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const work = resolve(values.work ?? join(projectRoot(), '.plusone', 'retrain', `${seller}-${stamp}`));
  await mkdir(work, { recursive: true });

  // 1. Orders.
  let lines: OrderLine[] = [];
  let skipped = 0;
  const sources: string[] = [];
  if (values.orders) {
    const got = await step(`reading ${values.orders}`, () => ordersFromFile(values.orders!, values.columns ? parseColumnsArg(values.columns) : undefined));
    lines = got.lines;
    skipped = got.skipped;
    sources.push(values.orders);
  }
  if (!values.orders || values['with-events']) {
    const events = await step(`reading purchase events from D1 (${where.mode})`, () => ordersFromEvents(seller, where));
    lines.push(...events);
    sources.push(`D1 events (${events.length} lines)`);
  }
  let deleted = new Set<string>();
  try {
    deleted = await deletedCustomers(seller, where);
  } catch (err) {
    if (!values.orders) throw err;
    say(`  (no D1 to read deleted customers from: ${(err as Error).message.slice(0, 160)}; continuing with the file)`);
  }
  const before = lines.length;
  lines = lines.filter((l) => !deleted.has(l.customer));
  const split = splitByTime(lines, holdoutDays);
  if (split.test.length === 0 || split.train.length === 0)
    throw new Error(`the last ${holdoutDays} days leave ${split.train.length} lines to train on and ${split.test.length} to hold out; both must be non-empty`);
  const trainCsv = join(work, 'train-orders.csv');
  await writeOrdersCsv(trainCsv, split.train);
  await writeOrdersCsv(join(work, 'holdout-orders.csv'), split.test);
  const holdout = holdoutOf(split.test);
  say(
    `  ${lines.length} order lines (${before - lines.length} of ${deleted.size} deleted customers left out, ${skipped} skipped in the file): ${split.train.length} train up to ${new Date(split.cutoff).toISOString().slice(0, 10)}, ${split.test.length} holdout; ${holdout.baskets.length} holdout orders, ${holdout.customers.size} customers`,
  );

  // 2. Candidates.
  const candidates: {
    model: string;
    params: Record<string, unknown>;
    dir: string;
    artifact: string;
    train: TrainReport;
    exported: ExportReport;
    metrics: ServedMetrics;
  }[] = [];
  for (const kind of models) {
    const model = kind.name;
    const dir = join(work, `model-${model}`);
    const artifact = join(work, `${model}.bin`);
    const itemFeatures = kind.usesFeatures ? values['item-features'] : undefined;
    const train = await step(`training ${model}`, () =>
      trainModel({
        input: { orders: trainCsv },
        model: kind,
        preset: PRESET,
        threads: 2,
        out: dir,
        ...(itemFeatures ? { itemFeatures } : {}),
        onWarning: (m) => say(`  warning: ${m}`),
      }),
    );
    const exported = await exportModel({
      model: dir,
      ...(values.catalog ? { catalog: values.catalog } : {}),
      out: artifact,
      onWarning: (m) => say(`  warning: ${m}`),
    });
    const records = await readRecords(`${artifact}.customers.jsonl`);
    const metrics = await step(`evaluating ${model} as served`, async () =>
      evaluateServed({ artifact: new Uint8Array(await readFile(artifact)), record: async (c) => records.get(c) ?? null, holdout }),
    );
    candidates.push({ model, params: resolveParams(kind, {}, { preset: PRESET }) as Record<string, unknown>, dir, artifact, train, exported, metrics });
  }

  // 3. What is published now, on the same holdout.
  const store = await openStore(where);
  try {
    const current = await step('evaluating the published versions', () =>
      publishedMetrics(
        store,
        seller,
        models.map((k) => k.name),
        holdout,
      ),
    );
    const scoreOf = (m: ServedMetrics) => m[metric];
    const decisions = decide({
      candidates: candidates.map((c) => ({ model: c.model, score: scoreOf(c.metrics) })),
      active: current.active && { version: current.active.pointer.version, model: current.active.pointer.model, score: scoreOf(current.active.metrics) },
      ofType: new Map(
        [...current.ofType].map(([type, v]): [string, Current] => [type, { version: v.pointer.version, model: type, score: scoreOf(v.metrics) }]),
      ),
      tolerance,
    });

    // 4. Publish what passed, the one to activate last.
    const order = [...decisions].sort((a, b) => Number(a.activate) - Number(b.activate));
    const published: Record<string, string> = {};
    for (const d of order) {
      const c = candidates.find((x) => x.model === d.model)!;
      const card = {
        seller,
        model: c.model,
        data: {
          sources,
          from: new Date(split.from).toISOString(),
          to: new Date(split.to).toISOString(),
          holdout_from: new Date(split.cutoff).toISOString(),
          train_lines: split.train.length,
          holdout_lines: split.test.length,
          holdout_orders: holdout.baskets.length,
          holdout_customers: holdout.customers.size,
          deleted_customers_left_out: deleted.size,
        },
        hyperparameters: { preset: PRESET, ...c.params },
        training: c.train,
        artifact: { bytes: c.exported.artifact_bytes, customer_records: c.exported.customers, file: c.artifact },
        metrics: {
          gate_metric: metric,
          candidate: c.metrics,
          published_same_type: current.ofType.get(c.model)?.metrics ?? null,
          active: current.active?.metrics ?? null,
        },
        gate: { tolerance, publish: d.publish, activate: d.activate, reason: d.reason },
      };
      await writeFile(`${c.artifact}.card.json`, JSON.stringify(card, null, 2));
      if (!d.publish || values['dry-run']) continue;
      const bytes = new Uint8Array(await readFile(c.artifact));
      const customers = [...(await readRecordsText(`${c.artifact}.customers.jsonl`))];
      const r = await step(`publishing ${c.model}${d.activate ? ' (active)' : ''}`, () =>
        publish(store, { seller, artifact: bytes, customers, card, activate: d.activate }),
      );
      published[c.model] = r.pointer.version;
    }

    // 5. Report.
    const rows = decisions.map((d) => {
      const c = candidates.find((x) => x.model === d.model)!;
      const same = current.ofType.get(d.model);
      const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(4));
      return `| ${d.model} | ${f(c.metrics['basket_hr@10'])} | ${f(c.metrics['p@10'])} | ${f(same ? scoreOf(same.metrics) : null)} | ${d.publish ? (values['dry-run'] ? 'would publish' : `published ${published[d.model]}`) : 'not published'}${d.activate ? ', active' : ''} | ${d.reason} |`;
    });
    const table = [`| model | basket_hr@10 | p@10 | published same type (${metric}) | decision | why |`, '| --- | --- | --- | --- | --- | --- |', ...rows].join(
      '\n',
    );
    say(`\n${table}\n`);
    const summary = {
      seller,
      metric,
      tolerance,
      work,
      active_before: current.active?.pointer.version ?? null,
      decisions,
      published,
      candidates: candidates.map((c) => ({ model: c.model, metrics: c.metrics })),
    };
    await writeFile(join(work, 'retrain.json'), JSON.stringify(summary, null, 2));
    if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else say(`work folder: ${work}`);
  } finally {
    if (store instanceof ProxyStore) await store.dispose();
  }
}

async function openStore(where: D1Location): Promise<ModelStore> {
  if (where.mode === 'remote') return new WranglerStore({ mode: 'remote', ...(where.config ? { config: where.config } : {}) });
  return ProxyStore.open({ persistTo: where.persistTo ?? join(projectRoot(), '.wrangler', 'state'), ...(where.config ? { config: where.config } : {}) });
}

async function readRecordsText(path: string): Promise<{ customer: string; record: string }[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { customer: string; record: string });
}

async function readRecords(path: string): Promise<Map<string, Uint8Array>> {
  return new Map((await readRecordsText(path)).map((r) => [r.customer, Uint8Array.from(Buffer.from(r.record, 'base64'))]));
}

interface PublishedVersion {
  pointer: ActivePointer;
  metrics: ServedMetrics;
}

/** The active version and the latest of each candidate type, evaluated on the holdout (each version once). */
async function publishedMetrics(
  store: ModelStore,
  seller: string,
  types: readonly string[],
  holdout: Holdout,
): Promise<{ active: PublishedVersion | null; ofType: Map<string, PublishedVersion> }> {
  const keys = [modelStorage.active(seller), ...types.map((t) => modelStorage.activeOfType(seller, t))];
  const texts = await store.getValues(keys);
  const byVersion = new Map<string, PublishedVersion>();
  const evaluate = async (text: string | null | undefined): Promise<PublishedVersion | null> => {
    if (!text) return null;
    const pointer = JSON.parse(text) as ActivePointer;
    const hit = byVersion.get(pointer.version);
    if (hit) return hit;
    const bytes = await store.getObject(pointer.artifact);
    if (bytes === null) {
      say(`  (the published ${pointer.model} ${pointer.version} has no artifact at ${pointer.artifact}; not comparing with it)`);
      return null;
    }
    // The records of the holdout's customers, in one bulk read.
    const customers = [...holdout.customers.keys()];
    const recordKeys = new Map<string, string>();
    for (const c of customers) {
      try {
        recordKeys.set(c, userRecordKey(seller, pointer.version, c));
      } catch {
        // an id too long for a key has no record
      }
    }
    const got = pointer.customers > 0 ? await store.getValues([...recordKeys.values()]) : new Map<string, string | null>();
    const metrics = await evaluateServed({
      artifact: bytes,
      record: async (c) => {
        const text = recordKeys.has(c) ? got.get(recordKeys.get(c)!) : null;
        return text ? Uint8Array.from(Buffer.from(text, 'base64')) : null;
      },
      holdout,
    });
    const v = { pointer, metrics };
    byVersion.set(pointer.version, v);
    return v;
  };
  const active = await evaluate(texts.get(keys[0]));
  const ofType = new Map<string, PublishedVersion>();
  for (let i = 0; i < types.length; i++) {
    const v = await evaluate(texts.get(keys[i + 1]));
    if (v) ofType.set(types[i], v);
  }
  return { active, ofType };
}

function readFileHelp(): string {
  return `npm run retrain -- --seller S [--local | --remote] [--orders F [--columns SPEC]] [--with-events]
    [--catalog F] [--item-features F] [--models ${DEFAULT_MODELS.join(',')}] [--holdout-days 14]
    [--metric ${METRICS.join('|')}] [--tolerance 0.02] [--persist-to DIR] [--config F] [--work DIR] [--dry-run] [--json]

Trains the candidate models on all but the most recent --holdout-days of orders, evaluates
each (and the published versions) on those days through the edge's own scoring, and
publishes a candidate only when it is not worse than the published version of its type by
more than --tolerance (relative); the best one becomes active when it is not worse than the
active model either. Without --orders, the orders are the purchase events stored in D1.`;
}

run().catch((err: unknown) => {
  say(`retrain: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
