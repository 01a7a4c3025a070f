/**
 * `plusone tune`: chooses a seller's model for one surface by validation. A validation split
 * is carved out of the training data (split.ts); every candidate is fitted on the rest,
 * exported as the int8 artifact the edge serves, and scored on the held-out queries through
 * the edge's own code (trainer/eval/served.ts, the evaluation every seller-facing figure
 * uses); the best is refitted on all the training data. The search is a small staged grid,
 * bounded by construction (a fixed number of fits, validation queries capped), not by a clock,
 * so that a seed always gives the same choice.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { Surface } from '../../core/format/spec.js';
import { neighboursLayout } from '../../core/format/layout.js';
import { exportTrained } from '../artifact/export.js';
import { InputError } from '../data/errors.js';
import { readFeatures } from '../data/features.js';
import type { Csr } from '../data/sparse.js';
import { readTrainingInput, trainingData, type TrainingInput } from '../data/training-input.js';
import { evaluateServed, type Holdout } from '../eval/served.js';
import { fitWeights, itemKnn, itemKnnFromWeights, type ItemKnnParams } from '../models/item-knn/index.js';
import { NO_REPEATS, resolveParams, type ModelKind, type RepeatSettings, type TrainedModel, type TrainingData } from '../models/kind.js';
import { pruneRows } from '../models/knn/top-k.js';
import { saveModel } from '../models/load.js';
import { MODEL_KINDS } from '../models/registry.js';
import { DEFAULT_BUDGET_MB } from './budget.js';
import { carveValidation, validationHoldout, type ValidationSplit } from './split.js';

/** The surfaces tune chooses a model for (similar is answered by the basket's item-item model). */
export const TUNE_SURFACES = ['basket', 'for-you'] as const;
export type TuneSurface = (typeof TUNE_SURFACES)[number];

/** The figure each surface is chosen by (served, at 10). */
export const TUNE_FIGURE = { basket: 'basket_hr@10', 'for-you': 'p@10' } as const satisfies Record<TuneSurface, string>;

export { DEFAULT_BUDGET_MB };

/** The grids. EASE's L2 penalty; neighbours per item (those the budget allows, and the most it allows); history settings. */
export const GRID = {
  lambdas: [10, 25, 50, 100, 200, 400, 800, 1600],
  neighbours: [20, 50, 100, 200, 500, 1000, 2000],
  /** Neighbours per item while the rows, similarity and lambda are chosen. */
  firstNeighbours: 100,
  /** Boost of what the customer bought before, where repeats are allowed (0: allowed, no boost). */
  repeatBoosts: [0, 0.01, 0.03, 0.1, 0.3, 1],
  /** user-knn neighbours (for-you). */
  userNeighbours: [20, 50, 100, 200],
} as const;

/** Above this many training interactions hybrid MF and user-user are left out (their fits would not keep the search within its bound). */
export const CHEAP_INTERACTIONS = 2_000_000;

export interface TuneOptions {
  input: TrainingInput;
  /** Item features (hybrid MF uses them). */
  itemFeatures?: string;
  surface: TuneSurface;
  /** The model directory to write (with tune.json, the model card of the search); omit with `refit: false`. */
  out?: string;
  /** Size budget of the artifact's neighbour section, in MB; default {@link DEFAULT_BUDGET_MB}. */
  budgetMb?: number;
  /** Seed of the validation split and of hybrid MF; default 42. */
  seed?: number;
  /** Threads of the approximate EASE regressions (hybrid MF trains on one, for a reproducible search). */
  threads?: number;
  /** The kinds to consider; default every retrain candidate that serves the surface. */
  kinds?: readonly string[];
  /** Refit the winner on all the data and write it to `out` (default true). */
  refit?: boolean;
  strict?: boolean;
  onWarning?: (message: string) => void;
  /** A line per step of the search (the CLI prints them on stderr). */
  log?: (line: string) => void;
}

/** One candidate of the search and its validation figure. */
export interface TuneCandidate {
  model: string;
  /** e.g. `item-knn ease rows=orders λ=25 k=100 repeats=off`. */
  label: string;
  /** The kind's hyperparameters (its flags' names), as `train` takes them. */
  params: Record<string, unknown>;
  repeats: RepeatSettings;
  /** The served validation figure; null when the holdout has no query for it. */
  figure: number | null;
  /** Seconds of the fit it comes from (shared by the candidates that only prune or re-weigh it). */
  fit_s: number;
  eval_s: number;
  stage: string;
}

/** What `tune` chose and why: the model card of the search. */
export interface TuneReport {
  surface: TuneSurface;
  model: string;
  params: Record<string, unknown>;
  repeats: RepeatSettings;
  validation: {
    method: ValidationSplit['method'];
    cut: string | null;
    figure: string;
    value: number | null;
    fit_lines: number;
    held_out_lines: number;
    baskets: number;
    customers: number;
  };
  /** Seconds of the refit on all the data (0 without it). */
  fit_s: number;
  /** Seconds of the whole search and refit. */
  tune_s: number;
  budget_mb: number;
  seed: number;
  source: string;
  out: string | null;
  /** Every candidate, in the order tried. */
  candidates: TuneCandidate[];
  /** Candidates left out and why (over the size budget, too large to fit in time). */
  skipped: string[];
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;

/** Bytes of an int8 neighbour section of n items when each of `active` items keeps k neighbours (at most). */
export function neighbourSectionBytes(n: number, active: number, k: number): number {
  return neighboursLayout(n, active * Math.min(k, Math.max(active - 1, 0)), 'int8').total;
}

/** The neighbour counts to try under the budget: the grid's, and the most the budget (or the catalogue) allows. */
export function neighbourGrid(n: number, active: number, budgetBytes: number): { grid: number[]; over: number[] } {
  const most = Math.max(active - 1, 1);
  let kBudget = 0;
  // The largest k that fits: the section grows by about 5 bytes per item per neighbour.
  let lo = 0;
  let hi = most;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (neighbourSectionBytes(n, active, mid) <= budgetBytes) lo = mid;
    else hi = mid - 1;
  }
  kBudget = lo;
  if (kBudget < 1) {
    const need = neighbourSectionBytes(n, active, 1) / 2 ** 20;
    throw new InputError(`--budget-mb ${budgetBytes / 2 ** 20} is too small for the neighbours of ${n} items: one neighbour each takes ${need.toFixed(2)} MB`);
  }
  const cap = Math.min(kBudget, most);
  const grid: number[] = GRID.neighbours.filter((k) => k < cap);
  grid.push(cap);
  const over = GRID.neighbours.filter((k) => k > cap && k <= most);
  return { grid, over };
}

/** Items with at least one interaction in X. */
function activeItems(X: Csr): number {
  const seen = new Uint8Array(X.cols);
  let n = 0;
  for (let p = 0; p < X.indices.length; p++) if (seen[X.indices[p]] === 0) n += seen[X.indices[p]] = 1;
  return n;
}

/** The repeat settings with `on` for the tuned surface, off for the other. */
function repeatsFor(surface: TuneSurface, on: boolean): RepeatSettings {
  return { ...NO_REPEATS, [surface]: on };
}

/** Chooses, refits and writes the model for one surface; see the module comment. */
export async function tune(options: TuneOptions): Promise<TuneReport> {
  const t0 = performance.now();
  const surface = options.surface;
  if (!TUNE_SURFACES.includes(surface)) throw new InputError(`--surface must be one of ${TUNE_SURFACES.join(', ')}, got "${String(surface)}"`);
  const refit = options.refit ?? true;
  if (refit && !options.out) throw new InputError('tune needs --out DIR, the model directory to write');
  const budgetMb = options.budgetMb ?? DEFAULT_BUDGET_MB;
  if (!(budgetMb > 0) || !Number.isFinite(budgetMb)) throw new InputError(`--budget-mb must be a number > 0, got "${budgetMb}"`);
  const seed = options.seed ?? 42;
  if (!Number.isInteger(seed) || seed < 0) throw new InputError(`--seed must be an integer >= 0, got "${seed}"`);
  const threads = options.threads ?? 2;
  const log = options.log ?? (() => {});
  const warn = options.onWarning ?? (() => {});
  const readOpts = { strict: Boolean(options.strict), onWarning: warn };
  const figureName = TUNE_FIGURE[surface];

  const kinds = candidateKinds(surface, options.kinds);
  const read = await readTrainingInput(options.input, readOpts);
  if (surface === 'basket' && read.orderIds === null) {
    throw new InputError('tune --surface basket needs orders (--orders F): a basket is an order, and an interactions file has no order ids');
  }
  const itemFeatures = options.itemFeatures ? await readFeatures(options.itemFeatures, readOpts) : undefined;
  const split = carveValidation({ rows: read.rows, orderIds: read.orderIds }, seed);
  const fitData = trainingData(split.fit.rows, split.fit.orderIds, { usesFeatures: kinds.some((k) => k.usesFeatures), itemFeatures });
  const holdout = validationHoldout(split, fitData.dataset, seed);
  const queries = surface === 'basket' ? holdout.baskets.length : holdout.customers.size;
  log(
    `validation: ${split.method === 'time' ? `the orders from ${split.cut} on` : split.method === 'random-orders' ? 'a seeded 20% of the orders' : "a seeded 20% of each customer's items"} ` +
      `(${split.validation.rows.users.length} of ${read.rows.users.length} lines): ${holdout.baskets.length} baskets of 2+ known items, ${holdout.customers.size} known customers`,
  );
  if (queries === 0) {
    throw new InputError(
      surface === 'basket'
        ? `${read.source}: the validation split holds no order of 2 or more items the rest knows; tune needs more orders (or train a preset with "plusone train")`
        : `${read.source}: the validation split holds no purchase of a known customer; tune needs more data (or train a preset with "plusone train")`,
    );
  }

  const search = new Search(surface, holdout, figureName, log);
  const budgetBytes = budgetMb * 2 ** 20;
  // The budget holds for the model refitted on all the data: its items, and those it knows only from features.
  const active = new Set(read.rows.items).size;
  const items = itemFeatures ? new Set([...read.rows.items, ...itemFeatures.ids]).size : active;
  const skipped: string[] = [];
  for (const kind of kinds) {
    if (kind.name === itemKnn.name) await searchItemKnn(search, fitData, { grid: neighbourGrid(items, active, budgetBytes), budgetMb, threads, skipped });
    else if (fitData.interactions.users.length > CHEAP_INTERACTIONS) {
      skipped.push(`${kind.name}: ${fitData.interactions.users.length} interactions, over ${CHEAP_INTERACTIONS}`);
      log(`skipped ${kind.name}: ${fitData.interactions.users.length} interactions are more than the search's bound (${CHEAP_INTERACTIONS})`);
    } else if (kind.name === 'lightfm') await searchPlain(search, kind, fitData, [{ seed }], threads);
    else if (kind.name === 'user-knn')
      await searchPlain(
        search,
        kind,
        fitData,
        GRID.userNeighbours.map((k) => ({ neighbours: k })),
        threads,
      );
  }
  const best = search.best();
  if (best === null) throw new Error('tune: no candidate was evaluated');
  log(`chose ${best.label}: ${figureName} ${best.figure ?? '–'} on validation`);

  let fitSeconds = 0;
  const report: TuneReport = {
    surface,
    model: best.model,
    params: best.params,
    repeats: best.repeats,
    validation: {
      method: split.method,
      cut: split.cut,
      figure: figureName,
      value: best.figure,
      fit_lines: split.fit.rows.users.length,
      held_out_lines: split.validation.rows.users.length,
      baskets: holdout.baskets.length,
      customers: holdout.customers.size,
    },
    fit_s: 0,
    tune_s: 0,
    budget_mb: budgetMb,
    seed,
    source: read.source,
    out: refit ? options.out! : null,
    candidates: search.candidates,
    skipped,
  };
  if (refit) {
    // The winner on all the training data.
    const kind = MODEL_KINDS.find((k) => k.name === best.model)!;
    const t1 = performance.now();
    const all = trainingData(read.rows, read.orderIds, { usesFeatures: kind.usesFeatures, itemFeatures });
    const chosen = { ...best.params };
    // Exact EASE was chosen below its item limit; all the data may pass it.
    if (chosen.similarity === 'ease' && activeItems(all.interactions.csr) > (resolveParams(itemKnn, {}) as ItemKnnParams).maxItems)
      chosen.similarity = 'ease-approx';
    const params = resolveParams(kind, chosen);
    const trained = await kind.fit(all, params, { threads: kind.name === 'lightfm' ? 1 : threads });
    fitSeconds = seconds(t1);
    report.fit_s = fitSeconds;
    report.tune_s = seconds(t0);
    const { fit_s: _, ...settings } = trained.figures as { fit_s: number };
    const training = {
      model: kind.name,
      ...settings,
      fit_s: fitSeconds,
      interactions: all.interactions.users.length,
      users: all.dataset.users.size,
      items: all.dataset.items.size,
      source: read.source,
      ...(kind.usesFeatures ? { item_features: options.itemFeatures ?? null } : {}),
    };
    await saveModel(options.out!, trained, { training, repeats: best.repeats, tuning: report });
    await writeFile(join(options.out!, 'tune.json'), JSON.stringify(report, null, 2) + '\n');
    log(`refitted ${best.model} on all ${read.rows.users.length} lines in ${fitSeconds} s; wrote ${options.out}`);
  } else {
    report.tune_s = seconds(t0);
  }
  return report;
}

/** The kinds tune has settings to search for (popularity has none). */
const SEARCHED = ['item-knn', 'lightfm', 'user-knn'];

/** The kinds searched for a surface: those asked for (or every retrain candidate) that serve it and have settings to choose. */
function candidateKinds(surface: TuneSurface, names: readonly string[] | undefined): ModelKind[] {
  const pool = names === undefined ? MODEL_KINDS.filter((k) => k.retrainCandidate) : names.map((n) => MODEL_KINDS.find((k) => k.name === n));
  const out: ModelKind[] = [];
  for (const [i, kind] of pool.entries()) {
    if (kind === undefined) throw new InputError(`tune: unknown model kind "${names![i]}"`);
    if (kind.surfaces.includes(surface as Surface) && SEARCHED.includes(kind.name)) out.push(kind);
  }
  if (out.length === 0)
    throw new InputError(
      `tune: none of the kinds given (${(names ?? []).join(', ')}) has settings to choose for the ${surface} surface; tune searches ${SEARCHED.join(', ')}`,
    );
  return out;
}

/** The candidates evaluated so far, and the best. */
class Search {
  readonly candidates: TuneCandidate[] = [];

  constructor(
    readonly surface: TuneSurface,
    private readonly holdout: Holdout,
    private readonly figureName: (typeof TUNE_FIGURE)[TuneSurface],
    private readonly log: (line: string) => void,
  ) {}

  /** Exports the model as the edge gets it (int8), serves the validation queries, records the figure. */
  async evaluate(trained: TrainedModel, candidate: Omit<TuneCandidate, 'figure' | 'eval_s' | 'repeats'> & { repeatsOn: boolean }): Promise<TuneCandidate> {
    const t0 = performance.now();
    const repeats = repeatsFor(this.surface, candidate.repeatsOn);
    const exported = exportTrained(trained, { quantize: 'int8', topN: 50, repeats });
    const records = new Map(exported.customers.map((r) => [r.customer, r.record]));
    const m = await evaluateServed({
      artifact: exported.artifact,
      record: async (c) => records.get(c) ?? null,
      holdout: this.holdout,
      surfaces: [this.surface],
    });
    const value = m[this.figureName];
    const { repeatsOn: _, ...rest } = candidate;
    const label = `${candidate.label} repeats=${candidate.repeatsOn ? 'on' : 'off'}`;
    const c: TuneCandidate = { ...rest, label, repeats, figure: value === null ? null : round4(value), eval_s: seconds(t0) };
    this.candidates.push(c);
    this.log(`  ${label}: ${this.figureName} ${c.figure ?? '–'} (fit ${c.fit_s} s, eval ${c.eval_s} s)`);
    return c;
  }

  /** The best candidate (the first of equals: candidates are tried cheapest settings first). */
  best(filter: (c: TuneCandidate) => boolean = () => true): TuneCandidate | null {
    let best: TuneCandidate | null = null;
    for (const c of this.candidates) if (filter(c) && (best === null || (c.figure ?? -1) > (best.figure ?? -1))) best = c;
    return best;
  }
}

/** The item-knn hyperparameters a candidate is trained with (flags' names, as `train` takes them). */
function itemKnnParams(p: ItemKnnParams): Record<string, unknown> {
  return {
    similarity: p.similarity,
    rows: p.rows,
    ...(p.similarity !== 'cosine' ? { lambda: p.lambda } : {}),
    neighbours: p.neighbours,
    ...(p.similarity === 'ease-approx' ? { candidates: p.candidates } : {}),
    historyWeight: p.historyWeight,
    repeatBoost: p.repeatBoost,
  };
}

/**
 * Item-item, in three stages. 1: rows (orders, customers) x similarity (EASE at each lambda,
 * cosine), each fitted once with the most neighbours the budget allows and scored pruned to
 * {@link GRID.firstNeighbours}. 2: the best of those pruned to each neighbour count under
 * the budget. 3: the customer's history: repeats allowed, with each boost.
 */
async function searchItemKnn(
  search: Search,
  data: TrainingData,
  o: { grid: { grid: number[]; over: number[] }; budgetMb: number; threads: number; skipped: string[] },
): Promise<void> {
  const active = activeItems(data.interactions.csr);
  const { grid, over } = o.grid;
  if (over.length > 0) o.skipped.push(`item-knn neighbours ${over.join(', ')}: over the ${o.budgetMb} MB budget`);
  const kFit = grid[grid.length - 1];
  const kFirst = Math.min(GRID.firstNeighbours, kFit);
  const base = resolveParams(itemKnn, {}) as ItemKnnParams;
  const exact = active <= base.maxItems;
  const rowsChoices: ('orders' | 'customers')[] = data.orders ? ['orders', 'customers'] : ['customers'];
  const settings: { rows: 'orders' | 'customers'; similarity: ItemKnnParams['similarity']; lambda: number }[] = [];
  for (const rows of rowsChoices) {
    for (const lambda of GRID.lambdas) settings.push({ rows, similarity: exact ? 'ease' : 'ease-approx', lambda });
    settings.push({ rows, similarity: 'cosine', lambda: base.lambda });
  }
  let bestFit: { weights: Csr; p: ItemKnnParams; fit_s: number; figure: number } | null = null;
  for (const s of settings) {
    const p: ItemKnnParams = { ...base, ...s, neighbours: kFit };
    const X = s.rows === 'orders' ? data.orders! : data.interactions.csr;
    const t0 = performance.now();
    const weights = await fitWeights(X, p, { threads: o.threads });
    const fit_s = seconds(t0);
    const pk = { ...p, neighbours: kFirst };
    const c = await search.evaluate(itemKnnFromWeights(pruneRows(weights, kFirst, s.similarity !== 'cosine'), data, pk, {}), {
      model: itemKnn.name,
      label: itemKnnLabel(pk),
      params: itemKnnParams(pk),
      fit_s,
      stage: 'rows, similarity, lambda',
      repeatsOn: false,
    });
    if (bestFit === null || (c.figure ?? -1) > bestFit.figure) bestFit = { weights, p, fit_s, figure: c.figure ?? -1 };
  }
  if (bestFit === null) return;

  // 2. Neighbours per item under the budget.
  let best = { p: { ...bestFit.p, neighbours: kFirst }, figure: bestFit.figure };
  for (const k of grid) {
    if (k === kFirst) continue;
    const pk = { ...bestFit.p, neighbours: k };
    const c = await search.evaluate(itemKnnFromWeights(pruneRows(bestFit.weights, k, pk.similarity !== 'cosine'), data, pk, {}), {
      model: itemKnn.name,
      label: itemKnnLabel(pk),
      params: itemKnnParams(pk),
      fit_s: bestFit.fit_s,
      stage: 'neighbours',
      repeatsOn: false,
    });
    if ((c.figure ?? -1) > best.figure) best = { p: pk, figure: c.figure ?? -1 };
  }
  const weights = pruneRows(bestFit.weights, best.p.neighbours, best.p.similarity !== 'cosine');

  // 3. The customer's history: whether what they bought may be offered again, with each boost.
  // (A history weight in a cart, --history-weight, is not searched: the neighbour rows of a
  // whole history cost a cart query as much as the rest together, for no gain measured.)
  for (const b of GRID.repeatBoosts) {
    const pb = { ...best.p, repeatBoost: b };
    await search.evaluate(itemKnnFromWeights(weights, data, pb, {}), {
      model: itemKnn.name,
      label: itemKnnLabel(pb),
      params: itemKnnParams(pb),
      fit_s: bestFit.fit_s,
      stage: 'repeats',
      repeatsOn: true,
    });
  }
}

function itemKnnLabel(p: ItemKnnParams): string {
  const parts = [`item-knn ${p.similarity} rows=${p.rows}`];
  if (p.similarity !== 'cosine') parts.push(`λ=${p.lambda}`);
  parts.push(`k=${p.neighbours}`);
  if (p.historyWeight > 0) parts.push(`history=${p.historyWeight}`);
  if (p.repeatBoost > 0) parts.push(`boost=${p.repeatBoost}`);
  return parts.join(' ');
}

/** A kind fitted once per setting (hybrid MF, user-user), each scored with repeats off; the best also with repeats allowed. */
async function searchPlain(search: Search, kind: ModelKind, data: TrainingData, grid: Record<string, unknown>[], threads: number): Promise<void> {
  let best: { trained: TrainedModel; c: TuneCandidate } | null = null;
  for (const overrides of grid) {
    const params = resolveParams(kind, overrides) as Record<string, unknown>;
    const t0 = performance.now();
    // Hybrid MF on one thread: the same seed gives the same model, so the search is reproducible.
    const trained = await kind.fit(data, params, { threads: kind.name === 'lightfm' ? 1 : threads });
    const label = `${kind.name} ${Object.entries(overrides)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`.trim();
    const c = await search.evaluate(trained, { model: kind.name, label, params: overrides, fit_s: seconds(t0), stage: kind.name, repeatsOn: false });
    if (best === null || (c.figure ?? -1) > (best.c.figure ?? -1)) best = { trained, c };
  }
  if (best !== null) {
    await search.evaluate(best.trained, {
      model: kind.name,
      label: best.c.label.replace(/ repeats=off$/, ''),
      params: best.c.params,
      fit_s: best.c.fit_s,
      stage: kind.name,
      repeatsOn: true,
    });
  }
}
