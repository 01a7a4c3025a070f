import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCustomerRecords } from '../../trainer/artifact/customer-records.js';
import { modelStorage, type ActivePointer } from '../../core/storage/pointer.js';
import { exportModel, train as trainModel, type ExportReport, type TrainReport } from '../../trainer/api.js';
import { resolveParams, type ModelKind } from '../../trainer/models/kind.js';
import { MODEL_KINDS } from '../../trainer/models/registry.js';
import { SURFACES } from '../../core/format/spec.js';
import { evaluateServed, FIGURE_SURFACE, holdoutOf, type Holdout, type ServedFigure, type ServedMetrics } from '../../trainer/eval/served.js';
import { checkSeller, publish, readPublishedRecords } from '../../trainer/publish/publish.js';
import type { ModelStore } from '../../trainer/publish/store.js';
import { ordersFromFile, splitByTime, writeOrdersCsv, type OrderLine } from './data.js';
import { decide, type Current } from './gate.js';

/**
 * One seller's retrain: orders (a file and/or the purchase events in D1, less deleted
 * customers) -> time split -> train and export each candidate -> evaluate the candidates
 * and the published versions on the holdout, served through the edge's own code -> publish
 * what passes the gate, with a model card next to each artifact. `scripts/retrain.ts` is
 * the command line over it, for one seller (`--seller`) or many (`--sellers`, through
 * `retrainSellers` in sellers.ts).
 */

/** Candidates when no models are given: the kinds the registry marks as retrain candidates. */
export const DEFAULT_MODELS: readonly string[] = MODEL_KINDS.filter((k) => k.retrainCandidate).map((k) => k.name);
export const METRICS = ['basket_hr@10', 'similar_hr@10', 'p@10', 'r@10'] as const satisfies readonly ServedFigure[];
export type Metric = (typeof METRICS)[number];

/**
 * The figure a kind is judged by: the gate's metric when the kind serves its surface, else
 * the first figure of a surface it does serve (user-knn, which answers no cart: p@10).
 */
export function figureFor(kind: ModelKind, metric: Metric): Metric {
  if (kind.surfaces.includes(FIGURE_SURFACE[metric])) return metric;
  return METRICS.find((m) => kind.surfaces.includes(FIGURE_SURFACE[m])) ?? metric;
}

/** Every candidate trains its kind's default preset (the one the demo and the benchmarks train). */
const PRESET = 'default';

/** Where a seller's purchase events and deleted customers come from (D1, read through wrangler). */
export interface SellerEvents {
  /** Named in the progress output: `local` or `remote`. */
  readonly mode: string;
  events(seller: string): Promise<OrderLine[]>;
  deleted(seller: string): Promise<Set<string>>;
}

export interface SellerOptions {
  seller: string;
  /** An orders file; without it the orders are the purchase events. */
  orders?: string | undefined;
  /** Header names of the orders file (the trainer's --columns). */
  columns?: Record<string, string> | undefined;
  /** The purchase events too, with an orders file. */
  withEvents: boolean;
  catalog?: string | undefined;
  /** Item features, for the kinds that use them. */
  itemFeatures?: string | undefined;
  models: readonly ModelKind[];
  holdoutDays: number;
  metric: Metric;
  /** Relative tolerance of the gate, in [0, 1). */
  tolerance: number;
  /** The folder for the seller's files (created): orders splits, models, artifacts, cards, retrain.json. */
  work: string;
  /** Evaluate and decide, publish nothing. */
  dryRun: boolean;
  /** Training threads per model (default 2). */
  threads?: number;
  events: SellerEvents;
  /**
   * The store to compare with and publish to, asked for once training is done (so a run
   * over many sellers opens one store, when the first seller needs it).
   */
  store: () => Promise<ModelStore>;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

type Decision = ReturnType<typeof decide>[number];

/** What retrain.json holds and `--seller S --json` prints. */
export interface SellerSummary {
  seller: string;
  metric: Metric;
  tolerance: number;
  work: string;
  /** The active version before this run, if any. */
  active_before: string | null;
  decisions: Decision[];
  /** Model type -> the version published by this run. */
  published: Record<string, string>;
  candidates: { model: string; metrics: ServedMetrics }[];
  /** The versions published before this run, on the same holdout (the active one and the latest of each candidate type). */
  published_before: { version: string; model: string; active: boolean; metrics: ServedMetrics }[];
}

export interface SellerResult {
  summary: SellerSummary;
  /** The decision table (markdown), one row per candidate. */
  table: string;
}

async function step<T>(log: (line: string) => void, what: string, run: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  log(`• ${what}…`);
  const out = await run();
  log(`  ${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

/** Retrains one seller; throws (with what went wrong) when it cannot, having published nothing it did not decide to. */
export async function retrainSeller(options: SellerOptions): Promise<SellerResult> {
  const { seller, metric, tolerance, holdoutDays, work } = options;
  const log = options.log ?? (() => {});
  const dryRun = options.dryRun;
  checkSeller(seller);
  await mkdir(work, { recursive: true });

  // 1. Orders.
  let lines: OrderLine[] = [];
  let skipped = 0;
  const sources: string[] = [];
  if (options.orders) {
    const path = options.orders;
    const got = await step(log, `reading ${path}`, () => ordersFromFile(path, options.columns));
    lines = got.lines;
    skipped = got.skipped;
    sources.push(path);
  }
  if (!options.orders || options.withEvents) {
    const events = await step(log, `reading purchase events from D1 (${options.events.mode})`, () => options.events.events(seller));
    lines.push(...events);
    sources.push(`D1 events (${events.length} lines)`);
  }
  const deleted = await readDeletedCustomers(seller, options.events, log);
  const before = lines.length;
  // The deleted customers these orders still held, for the log line below.
  const droppedCustomers = new Set<string>();
  lines = lines.filter((l) => {
    if (!deleted.has(l.customer)) return true;
    droppedCustomers.add(l.customer);
    return false;
  });
  const split = splitByTime(lines, holdoutDays);
  if (split.test.length === 0 || split.train.length === 0)
    throw new Error(`the last ${holdoutDays} days leave ${split.train.length} lines to train on and ${split.test.length} to hold out; both must be non-empty`);
  const trainCsv = join(work, 'train-orders.csv');
  await writeOrdersCsv(trainCsv, split.train);
  await writeOrdersCsv(join(work, 'holdout-orders.csv'), split.test);
  const holdout = holdoutOf(split.test);
  log(
    `  ${lines.length} order lines (${plural(before - lines.length, 'order line')} of ${plural(droppedCustomers.size, 'deleted customer')} left out, of ${deleted.size} deleted; ${skipped} skipped in the file): ${split.train.length} train up to ${new Date(split.cutoff).toISOString().slice(0, 10)}, ${split.test.length} holdout; ${holdout.baskets.length} holdout orders, ${holdout.customers.size} customers`,
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
  for (const kind of options.models) {
    const model = kind.name;
    const dir = join(work, `model-${model}`);
    const artifact = join(work, `${model}.bin`);
    const itemFeatures = kind.usesFeatures ? options.itemFeatures : undefined;
    const train = await step(log, `training ${model}`, () =>
      trainModel({
        input: { orders: trainCsv },
        model: kind,
        preset: PRESET,
        threads: options.threads ?? 2,
        out: dir,
        ...(itemFeatures ? { itemFeatures } : {}),
        onWarning: (m) => log(`  warning: ${m}`),
      }),
    );
    const exported = await exportModel({
      model: dir,
      ...(options.catalog ? { catalog: options.catalog } : {}),
      out: artifact,
      onWarning: (m) => log(`  warning: ${m}`),
    });
    const records = await readRecords(`${artifact}.customers.jsonl`);
    const metrics = await step(log, `evaluating ${model} as served`, async () =>
      evaluateServed({ artifact: new Uint8Array(await readFile(artifact)), record: async (c) => records.get(c) ?? null, holdout }),
    );
    candidates.push({ model, params: resolveParams(kind, {}, { preset: PRESET }) as Record<string, unknown>, dir, artifact, train, exported, metrics });
  }

  // 3. What is published now, on the same holdout.
  const store = await options.store();
  const current = await step(log, 'evaluating the published versions', () =>
    publishedMetrics(
      store,
      seller,
      options.models.map((k) => k.name),
      holdout,
      log,
    ),
  );
  // Each kind is judged by a figure of a surface it serves (figureFor); the active model by the gate's metric.
  const kindOf = (name: string) => options.models.find((k) => k.name === name)!;
  const scoreOf = (m: ServedMetrics, model?: string) => m[model === undefined ? metric : figureFor(kindOf(model), metric)];
  const decisions = decide({
    candidates: candidates.map((c) => ({
      model: c.model,
      score: scoreOf(c.metrics, c.model),
      notServed: SURFACES.filter((x) => !kindOf(c.model).surfaces.includes(x)),
    })),
    active: current.active && { version: current.active.pointer.version, model: current.active.pointer.model, score: scoreOf(current.active.metrics) },
    ofType: new Map(
      [...current.ofType].map(([type, v]): [string, Current] => [type, { version: v.pointer.version, model: type, score: scoreOf(v.metrics, type) }]),
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
    if (!d.publish || dryRun) continue;
    const bytes = new Uint8Array(await readFile(c.artifact));
    const customers = await readCustomerRecords(`${c.artifact}.customers.jsonl`);
    const r = await step(log, `publishing ${c.model}${d.activate ? ' (active)' : ''}`, () =>
      publish(store, { seller, artifact: bytes, customers, card, activate: d.activate }),
    );
    published[c.model] = r.pointer.version;
  }

  // 5. Report: the candidates, then the versions published before this run, on the same holdout and by the same code.
  const f = (m: ServedMetrics, key: Metric) => (!m.surfaces.includes(FIGURE_SURFACE[key]) ? 'not served' : m[key] === null ? '-' : m[key].toFixed(4));
  const figures = (m: ServedMetrics) => METRICS.map((key) => f(m, key)).join(' | ');
  const rows = decisions.map((d) => {
    const c = candidates.find((x) => x.model === d.model)!;
    const judged = figureFor(kindOf(d.model), metric);
    return `| ${d.model} | candidate | ${figures(c.metrics)} | ${d.publish ? (dryRun ? 'would publish' : `published ${published[d.model]}`) : 'not published'}${d.activate ? ', active' : ''} | ${judged === metric ? '' : `judged by ${judged}: `}${d.reason} |`;
  });
  const previous = publishedBefore(current);
  for (const v of previous) rows.push(`| ${v.model} | ${v.version}${v.active ? ' (active)' : ''} | ${figures(v.metrics)} | published before | |`);
  const table = [
    `| model | version | ${METRICS.join(' | ')} | decision | why (gate: ${metric}) |`,
    `| --- | --- |${' --- |'.repeat(METRICS.length)} --- | --- |`,
    ...rows,
  ].join('\n');
  const summary: SellerSummary = {
    seller,
    metric,
    tolerance,
    work,
    active_before: current.active?.pointer.version ?? null,
    decisions,
    published,
    candidates: candidates.map((c) => ({ model: c.model, metrics: c.metrics })),
    published_before: previous,
  };
  await writeFile(join(work, 'retrain.json'), JSON.stringify(summary, null, 2));
  return { summary, table };
}

async function readRecords(path: string): Promise<Map<string, Uint8Array>> {
  return new Map((await readCustomerRecords(path)).map((r) => [r.customer, r.record]));
}

/** The published versions evaluated, each once: the active one first. */
function publishedBefore(current: { active: PublishedVersion | null; ofType: Map<string, PublishedVersion> }): SellerSummary['published_before'] {
  const out: SellerSummary['published_before'] = [];
  const seen = new Set<string>();
  for (const v of [...(current.active ? [current.active] : []), ...current.ofType.values()]) {
    if (seen.has(v.pointer.version)) continue;
    seen.add(v.pointer.version);
    out.push({ version: v.pointer.version, model: v.pointer.model, active: v === current.active, metrics: v.metrics });
  }
  return out;
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
  log: (line: string) => void,
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
      log(`  (the published ${pointer.model} ${pointer.version} has no artifact at ${pointer.artifact}; not comparing with it)`);
      return null;
    }
    // The records of the holdout's customers (the shards they fall in, or one KV bulk read for older versions).
    const records = await readPublishedRecords(store, seller, pointer, [...holdout.customers.keys()]);
    const metrics = await evaluateServed({ artifact: bytes, record: async (c) => records.get(c) ?? null, holdout });
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

/** "1 order line", "48 order lines". */
function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The customers the seller deleted through the API, from D1 (and the visitor ids they used, as
 * the `visitor:<id>` customers of anonymous purchase events). It fails closed: when D1 cannot
 * be read, or has no deleted-customer tables (its migrations were never applied, so nothing
 * says who was deleted), the seller is not retrained: an orders file may still hold a deleted
 * customer's orders, and training on them would bring that customer back.
 */
async function readDeletedCustomers(seller: string, events: SellerEvents, log: (line: string) => void): Promise<Set<string>> {
  try {
    const deleted = await events.deleted(seller);
    const visitors = [...deleted].filter((c) => c.startsWith('visitor:')).length;
    if (visitors > 0) log(`  (${plural(deleted.size - visitors, 'deleted customer')} and ${plural(visitors, 'visitor id')} of theirs left out)`);
    return deleted;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/no such table: deleted_(customers|visitors)/.test(message)) {
      throw new Error(
        `D1 (${events.mode}) has no list of deleted customers (${message.slice(0, 120)}): its migrations were never applied, so nothing says who was deleted; not retraining ${seller}. Apply them, then run again: npx wrangler d1 migrations apply DB --${events.mode === 'remote' ? 'remote' : 'local [--persist-to DIR]'}`,
      );
    }
    throw new Error(
      `could not read ${seller}'s deleted customers from D1 (${message.slice(0, 200)}); not retraining, so that no deleted customer's orders are trained on. Check the D1 database in wrangler.toml and the credentials, then run again.`,
    );
  }
}
