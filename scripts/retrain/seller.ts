import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readCustomerRecords } from '../../trainer/artifact/customer-records.js';
import { modelStorage, type ActivePointer } from '../../core/storage/pointer.js';
import { exportModel, train as trainModel, tune, type ExportReport, type TrainReport, type TuneReport } from '../../trainer/api.js';
import { NO_REPEATS, resolveParams, type ModelKind, type RepeatSettings } from '../../trainer/models/kind.js';
import { TUNE_SURFACES, type TuneCandidate, type TuneSurface } from '../../trainer/tune/tune.js';
import { MODEL_KINDS } from '../../trainer/models/registry.js';
import { SURFACES, type Surface } from '../../core/format/spec.js';
import { InputError } from '../../trainer/data/errors.js';
import { evaluateServed, FIGURE_SURFACE, holdoutOf, type Holdout, type ServedFigure, type ServedMetrics } from '../../trainer/eval/served.js';
import { checkSeller, checkSlot, publish, readPublishedRecords } from '../../trainer/publish/publish.js';
import { readServing, setServing, slotPointer } from '../../trainer/publish/slots.js';
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
  /** The slot of each kind (`--slots lightfm=warp,item-knn=ease`); a kind not listed goes to the slot named like it. */
  slots?: Readonly<Record<string, string>> | undefined;
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
  /**
   * Choose each candidate's settings by validation on the training orders (`tune`, per
   * surface, bounded), instead of its kind's default preset; default true (`--no-tune`: false).
   */
  tune?: boolean;
  /** Size budget of an item-item model's neighbour section, MB (tune's --budget-mb; default its own). */
  budgetMb?: number;
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
  /** The version answering each surface before this run (its slot: null for the older active pointer), if any. */
  serving_before: Partial<Record<Surface, { slot: string | null; version: string }>>;
  decisions: Decision[];
  /** Slot -> the version published into it by this run. */
  published: Record<string, string>;
  /** The serving rules this run set (surface -> slot). */
  served: Partial<Record<Surface, string>>;
  candidates: { slot: string; model: string; metrics: ServedMetrics }[];
  /** The versions published before this run, on the same holdout: each candidate slot's current one and those answering a surface. */
  published_before: { version: string; slot: string | null; model: string; serves: Surface[]; metrics: ServedMetrics }[];
  /** What tune chose per surface (null with --no-tune, or when the data was too small to carve a validation split from). */
  tuned: Partial<Record<TuneSurface, { model: string; label: string; figure: number | null; seconds: number } | null>> | null;
}

/** The served figure each surface is judged by when the gate decides what serves it. */
const SURFACE_FIGURE: Readonly<Record<Surface, Metric>> = { basket: 'basket_hr@10', similar: 'similar_hr@10', 'for-you': 'p@10' };

/** The slot of each candidate kind: the mapping's, else the kind's name; checked and unique. */
export function slotsOf(models: readonly ModelKind[], mapping: Readonly<Record<string, string>> = {}): Map<string, string> {
  for (const kind of Object.keys(mapping))
    if (!models.some((m) => m.name === kind))
      throw new InputError(`--slots names ${kind}, which is not among the candidates (${models.map((m) => m.name).join(', ')})`);
  const out = new Map<string, string>();
  for (const m of models) {
    const slot = mapping[m.name] ?? m.name;
    checkSlot(slot);
    const other = [...out].find(([, s]) => s === slot);
    if (other) throw new InputError(`--slots: ${other[0]} and ${m.name} would both publish into slot ${slot}; give each its own`);
    out.set(m.name, slot);
  }
  return out;
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

  // 2. Candidates, each for its slot: each kind with its settings chosen by validation on the
  // training orders (tune, per surface), or with its default preset.
  const slotOf = slotsOf(options.models, options.slots);
  const tuned = options.tune === false ? null : await tuneSurfaces(trainCsv, options, log);
  const candidates: {
    slot: string;
    model: string;
    params: Record<string, unknown>;
    repeats: RepeatSettings;
    /** Whether tune chose the settings (else the default preset). */
    tuned: boolean;
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
    const chosen = tuned === null ? null : settingsOf(kind, metric, tuned);
    const train = await step(log, `training ${model}${chosen ? ` (tuned: ${JSON.stringify(chosen.params)})` : ''}`, () =>
      trainModel({
        input: { orders: trainCsv },
        model: kind,
        preset: PRESET,
        ...(chosen ? { params: chosen.params, repeats: chosen.repeats } : {}),
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
    const params = resolveParams(kind, chosen?.params ?? {}, { preset: PRESET }) as Record<string, unknown>;
    candidates.push({
      slot: slotOf.get(model)!,
      model,
      params,
      repeats: chosen?.repeats ?? { ...NO_REPEATS },
      tuned: chosen !== null,
      dir,
      artifact,
      train,
      exported,
      metrics,
    });
  }

  // 3. What is published now, on the same holdout: each candidate slot's current version, and the version answering each surface.
  const store = await options.store();
  const current = await step(log, 'evaluating the published versions', () =>
    publishedMetrics(
      store,
      seller,
      candidates.map((c) => c.slot),
      holdout,
      log,
    ),
  );
  // Each kind is judged by a figure of a surface it serves (figureFor); what serves a surface, by that surface's figure.
  const kindOf = (name: string) => options.models.find((k) => k.name === name)!;
  const scoreOf = (m: ServedMetrics, model: string) => m[figureFor(kindOf(model), metric)];
  const currentOf = (v: PublishedVersion, figure: Metric): Current => ({
    version: v.pointer.version,
    slot: v.slot,
    model: v.pointer.model,
    score: v.metrics[figure],
  });
  const decisions = decide({
    candidates: candidates.map((c) => ({
      slot: c.slot,
      model: c.model,
      score: scoreOf(c.metrics, c.model),
      figures: Object.fromEntries(SURFACES.map((x) => [x, c.metrics.surfaces.includes(x) ? c.metrics[SURFACE_FIGURE[x]] : null])),
      notServed: SURFACES.filter((x) => !kindOf(c.model).surfaces.includes(x)),
    })),
    // A slot's current version is judged by the figure its candidate is judged by.
    ofSlot: new Map(
      candidates.flatMap((c): [string, Current][] => {
        const v = current.ofSlot.get(c.slot);
        return v === undefined ? [] : [[c.slot, currentOf(v, figureFor(kindOf(c.model), metric))]];
      }),
    ),
    serving: Object.fromEntries([...current.serving].map(([x, v]) => [x, currentOf(v, SURFACE_FIGURE[x])])),
    tolerance,
  });

  // 4. Publish what passed (each into its slot, leaving the serving configuration to the decisions), then the serving rules.
  const published: Record<string, string> = {};
  for (const d of decisions) {
    const c = candidates.find((x) => x.slot === d.slot)!;
    const card = {
      seller,
      slot: c.slot,
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
      hyperparameters: {
        preset: PRESET,
        ...c.params,
        repeats: c.repeats,
        chosen_by: c.tuned ? 'tune (validation on the training orders)' : 'the default preset',
      },
      tuning: tuned,
      training: c.train,
      artifact: { bytes: c.exported.artifact_bytes, customer_records: c.exported.customers, file: c.artifact },
      metrics: {
        gate_metric: metric,
        candidate: c.metrics,
        published_same_slot: current.ofSlot.get(c.slot)?.metrics ?? null,
        serving: Object.fromEntries([...current.serving].map(([x, v]) => [x, { slot: v.slot, version: v.pointer.version, metrics: v.metrics }])),
      },
      gate: { tolerance, publish: d.publish, serves: d.serves, reason: d.reason },
    };
    await writeFile(`${c.artifact}.card.json`, JSON.stringify(card, null, 2));
    if (!d.publish || dryRun) continue;
    const bytes = new Uint8Array(await readFile(c.artifact));
    const customers = await readCustomerRecords(`${c.artifact}.customers.jsonl`);
    const r = await step(log, `publishing ${c.model} into slot ${c.slot}`, () =>
      publish(store, { seller, slot: c.slot, artifact: bytes, customers, card, serve: 'none' }),
    );
    for (const w of r.warnings) log(`  warning: ${w}`);
    published[c.slot] = r.pointer.version;
  }
  const served: Partial<Record<Surface, string>> = {};
  for (const d of decisions) for (const x of d.serves) served[x] = d.slot;
  if (!dryRun && Object.keys(served).length > 0) {
    // Each surface's rule names the slot the gate chose; the rule's fallback stays unless it is that slot.
    const before = (await readServing(store, seller))?.surfaces ?? {};
    const changes = Object.fromEntries(
      Object.entries(served).map(([x, slot]) => {
        const fallback = before[x as Surface]?.fallback ?? null;
        return [x, { slot, fallback: fallback === slot ? null : fallback }];
      }),
    );
    await step(
      log,
      `serving ${Object.entries(served)
        .map(([x, slot]) => `${x} from slot ${slot}`)
        .join(', ')}`,
      () => setServing(store, seller, changes),
    );
  }

  // 5. Report: the candidates, then the versions published before this run, on the same holdout and by the same code.
  const f = (m: ServedMetrics, key: Metric) => (!m.surfaces.includes(FIGURE_SURFACE[key]) ? 'not served' : m[key] === null ? '-' : m[key].toFixed(4));
  const figures = (m: ServedMetrics) => METRICS.map((key) => f(m, key)).join(' | ');
  const rows = decisions.map((d) => {
    const c = candidates.find((x) => x.slot === d.slot)!;
    const judged = figureFor(kindOf(d.model), metric);
    const outcome = d.publish ? (dryRun ? 'would publish' : `published ${published[d.slot]}`) : 'not published';
    return `| ${d.slot} | ${d.model} | candidate | ${figures(c.metrics)} | ${outcome}${d.serves.length > 0 ? `, serves ${d.serves.join(', ')}` : ''} | ${judged === metric ? '' : `judged by ${judged}: `}${d.reason} |`;
  });
  const previous = publishedBefore(current);
  for (const v of previous)
    rows.push(
      `| ${v.slot ?? '(active pointer)'} | ${v.model} | ${v.version} | ${figures(v.metrics)} | published before${v.serves.length > 0 ? `, served ${v.serves.join(', ')}` : ''} | |`,
    );
  const table = [
    `| slot | model | version | ${METRICS.join(' | ')} | decision | why (gate: ${metric}) |`,
    `| --- | --- | --- |${' --- |'.repeat(METRICS.length)} --- | --- |`,
    ...rows,
  ].join('\n');
  const summary: SellerSummary = {
    seller,
    metric,
    tolerance,
    work,
    serving_before: Object.fromEntries([...current.serving].map(([x, v]) => [x, { slot: v.slot, version: v.pointer.version }])),
    decisions,
    published,
    served,
    candidates: candidates.map((c) => ({ slot: c.slot, model: c.model, metrics: c.metrics })),
    published_before: previous,
    tuned: tuned === null ? null : Object.fromEntries(Object.entries(tuned).map(([surface, r]) => [surface, r === null ? null : summaryOf(r)])),
  };
  await writeFile(join(work, 'retrain.json'), JSON.stringify(summary, null, 2));
  return { summary, table };
}

/** Runs tune for each surface on the training orders (no refit: the pipeline trains the candidates itself); null for a surface whose validation split is too small. */
async function tuneSurfaces(trainCsv: string, options: SellerOptions, log: (line: string) => void): Promise<Partial<Record<TuneSurface, TuneReport | null>>> {
  const out: Partial<Record<TuneSurface, TuneReport | null>> = {};
  for (const surface of TUNE_SURFACES) {
    const kinds = options.models.filter((k) => k.surfaces.includes(surface)).map((k) => k.name);
    if (kinds.length === 0) continue;
    try {
      out[surface] = await step(log, `tuning ${surface} (${kinds.join(', ')})`, () =>
        tune({
          input: { orders: trainCsv },
          ...(options.itemFeatures ? { itemFeatures: options.itemFeatures } : {}),
          surface,
          kinds,
          refit: false,
          threads: options.threads ?? 2,
          ...(options.budgetMb !== undefined ? { budgetMb: options.budgetMb } : {}),
          log: (line) => log(`    ${line}`),
        }),
      );
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      log(`  tune ${surface}: ${err.message}; the candidates of this surface keep their default presets`);
      out[surface] = null;
    }
  }
  return out;
}

/** The best candidate of a kind in a tune report (the first of equals), or null. */
function bestOf(report: TuneReport | null | undefined, kind: string): TuneCandidate | null {
  let best: TuneCandidate | null = null;
  for (const c of report?.candidates ?? []) if (c.model === kind && (best === null || (c.figure ?? -1) > (best.figure ?? -1))) best = c;
  return best;
}

/**
 * A kind's settings from the tune reports: its best candidate on the surface it is judged by
 * (the gate's metric's, else the first it serves; similar is answered by the basket's
 * item-item model), and whether repeats are allowed from its best on each surface. Null when
 * tune has nothing for the kind.
 */
function settingsOf(
  kind: ModelKind,
  metric: Metric,
  tuned: Partial<Record<TuneSurface, TuneReport | null>>,
): { params: Record<string, unknown>; repeats: RepeatSettings } | null {
  const judged = FIGURE_SURFACE[figureFor(kind, metric)];
  const surface: TuneSurface = judged === 'for-you' ? 'for-you' : 'basket';
  const main = bestOf(tuned[surface], kind.name);
  if (main === null) return null;
  const repeats = { ...NO_REPEATS };
  for (const s of TUNE_SURFACES) repeats[s] = bestOf(tuned[s], kind.name)?.repeats[s] ?? false;
  return { params: main.params, repeats };
}

function summaryOf(r: TuneReport): { model: string; label: string; figure: number | null; seconds: number } {
  const best = r.candidates.find(
    (c) => c.model === r.model && JSON.stringify(c.params) === JSON.stringify(r.params) && JSON.stringify(c.repeats) === JSON.stringify(r.repeats),
  );
  return { model: r.model, label: best?.label ?? r.model, figure: r.validation.value, seconds: r.tune_s };
}

async function readRecords(path: string): Promise<Map<string, Uint8Array>> {
  return new Map((await readCustomerRecords(path)).map((r) => [r.customer, r.record]));
}

/** The published versions evaluated, each once: those answering a surface first. */
function publishedBefore(current: PublishedNow): SellerSummary['published_before'] {
  const out: SellerSummary['published_before'] = [];
  const seen = new Map<string, SellerSummary['published_before'][number]>();
  const add = (v: PublishedVersion, surface?: Surface) => {
    let row = seen.get(v.pointer.version);
    if (row === undefined) {
      row = { version: v.pointer.version, slot: v.slot, model: v.pointer.model, serves: [], metrics: v.metrics };
      seen.set(v.pointer.version, row);
      out.push(row);
    }
    if (surface !== undefined) row.serves.push(surface);
  };
  for (const [surface, v] of current.serving) add(v, surface);
  for (const v of current.ofSlot.values()) add(v);
  return out;
}

interface PublishedVersion {
  /** Its slot; null for the older active pointer. */
  slot: string | null;
  pointer: ActivePointer;
  metrics: ServedMetrics;
}

interface PublishedNow {
  /** The current version of each candidate slot. */
  ofSlot: Map<string, PublishedVersion>;
  /** The version answering each surface (its rule's slot, else the rule's fallback, else the older active pointer). */
  serving: Map<Surface, PublishedVersion>;
}

/** Each candidate slot's current version and the version answering each surface, evaluated on the holdout (each version once). */
async function publishedMetrics(
  store: ModelStore,
  seller: string,
  slots: readonly string[],
  holdout: Holdout,
  log: (line: string) => void,
): Promise<PublishedNow> {
  const byVersion = new Map<string, ServedMetrics | null>();
  const evaluate = async (slot: string | null, pointer: ActivePointer | null): Promise<PublishedVersion | null> => {
    if (pointer === null) return null;
    if (!byVersion.has(pointer.version)) {
      const bytes = await store.getObject(pointer.artifact);
      if (bytes === null) {
        log(`  (the published ${pointer.model} ${pointer.version} has no artifact at ${pointer.artifact}; not comparing with it)`);
        byVersion.set(pointer.version, null);
      } else {
        // The records of the holdout's customers (the shards they fall in, or one KV bulk read for older versions).
        const records = await readPublishedRecords(store, seller, pointer, [...holdout.customers.keys()]);
        byVersion.set(pointer.version, await evaluateServed({ artifact: bytes, record: async (c) => records.get(c) ?? null, holdout }));
      }
    }
    const metrics = byVersion.get(pointer.version) ?? null;
    return metrics === null ? null : { slot, pointer, metrics };
  };
  const ofSlot = new Map<string, PublishedVersion>();
  for (const slot of slots) {
    const v = await evaluate(slot, await slotPointer(store, seller, slot));
    if (v !== null) ofSlot.set(slot, v);
  }
  const rules = (await readServing(store, seller))?.surfaces ?? {};
  const legacyText = await store.getValue(modelStorage.active(seller));
  const serving = new Map<Surface, PublishedVersion>();
  for (const surface of SURFACES) {
    const rule = rules[surface];
    let v: PublishedVersion | null = null;
    for (const slot of rule ? [rule.slot, rule.fallback] : []) {
      if (slot === null || v !== null) continue;
      v = await evaluate(slot, await slotPointer(store, seller, slot));
    }
    v ??= legacyText ? await evaluate(null, JSON.parse(legacyText) as ActivePointer) : null;
    if (v !== null) serving.set(surface, v);
  }
  return { ofSlot, serving };
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
