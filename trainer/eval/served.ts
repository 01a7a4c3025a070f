import { SERVED_SURFACES, type ModelType, type Surface } from '../../core/format/spec.js';
import type { LoadedModel } from '../../core/recommend/model.js';
import { recommend, type RecommendQuery } from '../../core/recommend/recommend.js';
import { decodeForScoring, prepareScoring } from '../../core/scoring/wasm-kernel.js';
import { CsvFile } from '../data/csv.js';
import { readInteractions, type ReadOptions } from '../data/interactions.js';
import { readOrders } from '../data/orders.js';

/**
 * The one evaluation of what shoppers get. An artifact is decoded by the worker's decoder
 * and every held-out query is answered by the worker's `recommend()` (quantised vectors,
 * neighbour lists, per-customer records, fallbacks included), for each surface the model
 * type serves at the edge (core/format/spec.ts SERVED_SURFACES). `npm start`'s table,
 * `plusone evaluate --artifact`, the retrain gate and its table, and the served rows of
 * `bench:models` all come from here, so a figure shown to a seller is a figure of the
 * answers the edge gives.
 */

/** Answers per query. */
export const SERVED_K = 10;

/** Held-out purchases: baskets (one order's distinct items) and what each customer bought. */
export interface Holdout {
  baskets: { customer: string; items: string[] }[];
  /** Customer → items bought in the holdout window. */
  customers: Map<string, Set<string>>;
}

/** Figures of one served artifact on a holdout; null for a surface the model does not serve (or nothing to ask). */
export interface ServedMetrics {
  /** The artifact's model type. */
  model: string;
  /** The surfaces evaluated: the ones the model type serves. */
  surfaces: Surface[];
  /** basket: hide each item of a 2+ item order, ask the basket route with the rest (and the customer); is it in the 10 answers? */
  'basket_hr@10': number | null;
  basket_pairs: number;
  /** similar: for each ordered pair (a, b) of distinct items of a 2+ item order, is b among the 10 items similar to a? */
  'similar_hr@10': number | null;
  similar_pairs: number;
  /** for-you with the customer: |top 10 ∩ items bought in the holdout| / 10, averaged over the holdout's customers. */
  'p@10': number | null;
  /** for-you with the customer: |top 10 ∩ items bought| / |items bought|, averaged over customers. */
  'r@10': number | null;
  customers: number;
  /** Share of the artifact's items that appear in at least one answer above. */
  'coverage@10': number | null;
  /** Share of the answers above that came from the fallback ranking only. */
  fallback_share: number | null;
}

/** The figures compared by name (the retrain gate's metric is one of these). */
export type ServedFigure = 'basket_hr@10' | 'similar_hr@10' | 'p@10' | 'r@10';

/** The surface a figure measures. */
export const FIGURE_SURFACE: Readonly<Record<ServedFigure, Surface>> = {
  'basket_hr@10': 'basket',
  'similar_hr@10': 'similar',
  'p@10': 'for-you',
  'r@10': 'for-you',
};

interface ServedEvalInput {
  artifact: Uint8Array;
  /** A customer's record bytes for this artifact, or null. */
  record: (customer: string) => Promise<Uint8Array | null>;
  holdout: Holdout;
  /** Only these surfaces (of those the model serves); default all it serves. */
  surfaces?: readonly Surface[];
  /** Told every few hundred queries (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A decoded artifact as the worker holds it (the worker's decoder and scoring setup). */
export function loaded(bytes: Uint8Array): LoadedModel {
  const artifact = decodeForScoring(bytes);
  return {
    seller: 'eval',
    version: 'eval',
    pointer: {
      version: 'eval',
      model: artifact.modelType,
      artifact: 'eval',
      sha256: '0'.repeat(64),
      items: artifact.itemCount,
      customers: 0,
      published: '',
      previous: null,
    },
    artifact,
    loadedAt: 0,
    scoring: prepareScoring(artifact),
    scores: new Float32Array(artifact.itemCount),
  };
}

/** Serves every holdout query of the surfaces the model serves through the edge code and scores the answers. */
export async function evaluateServed(input: ServedEvalInput): Promise<ServedMetrics> {
  const k = SERVED_K;
  const model = loaded(input.artifact);
  const surfaces = [...(SERVED_SURFACES[model.artifact.modelType as ModelType] ?? [])];
  const asked = input.surfaces ?? surfaces;
  const serves = (s: Surface) => surfaces.includes(s) && asked.includes(s);
  const base: Omit<RecommendQuery, 'surface' | 'items' | 'customer'> = {
    n: k,
    exclude: [],
    filters: { category: null, inStock: false, minPrice: null, maxPrice: null },
    model: null,
  };
  const multi = input.holdout.baskets.map((b) => ({ customer: b.customer, items: [...new Set(b.items)] })).filter((b) => b.items.length >= 2);
  const similarItems = serves('similar') ? [...new Set(multi.flatMap((b) => b.items))] : [];
  const total =
    (serves('basket') ? multi.reduce((n, b) => n + b.items.length, 0) : 0) + similarItems.length + (serves('for-you') ? input.holdout.customers.size : 0);
  const quiet = () => {};
  const shown = new Uint8Array(model.artifact.itemCount);
  let answers = 0;
  let fallbacks = 0;
  const ask = async (q: RecommendQuery): Promise<string[]> => {
    const r = await recommend(model, q, input.record, quiet);
    answers++;
    if (r.fallback) fallbacks++;
    if (input.onProgress && answers % 500 === 0) input.onProgress(answers, total);
    return r.items.map((i) => {
      const index = model.artifact.itemIndex(i.id);
      if (index >= 0) shown[index] = 1;
      return i.id;
    });
  };

  let basketHits = 0;
  let basketPairs = 0;
  if (serves('basket')) {
    for (const basket of multi) {
      for (let h = 0; h < basket.items.length; h++) {
        const rest = basket.items.filter((_, j) => j !== h);
        const top = await ask({ ...base, surface: 'basket', items: rest, customer: basket.customer || null });
        basketPairs++;
        if (top.includes(basket.items[h])) basketHits++;
      }
    }
  }

  let similarHits = 0;
  let similarPairs = 0;
  if (serves('similar')) {
    // A similar answer depends on the item only: ask once per item.
    const answersOf = new Map<string, Set<string>>();
    for (const item of similarItems) answersOf.set(item, new Set(await ask({ ...base, surface: 'similar', items: [item], customer: null })));
    for (const basket of multi) {
      for (const a of basket.items) {
        const top = answersOf.get(a)!;
        for (const b of basket.items) {
          if (b === a) continue;
          similarPairs++;
          if (top.has(b)) similarHits++;
        }
      }
    }
  }

  let precision = 0;
  let recall = 0;
  let customers = 0;
  if (serves('for-you')) {
    for (const [customer, bought] of input.holdout.customers) {
      const top = await ask({ ...base, surface: 'for-you', items: [], customer });
      let hit = 0;
      for (const id of top) if (bought.has(id)) hit++;
      precision += hit / k;
      recall += hit / bought.size;
      customers++;
    }
  }
  let covered = 0;
  for (let i = 0; i < shown.length; i++) covered += shown[i];
  return {
    model: model.artifact.modelType,
    surfaces,
    'basket_hr@10': basketPairs > 0 ? basketHits / basketPairs : null,
    basket_pairs: basketPairs,
    'similar_hr@10': similarPairs > 0 ? similarHits / similarPairs : null,
    similar_pairs: similarPairs,
    'p@10': customers > 0 ? precision / customers : null,
    'r@10': customers > 0 ? recall / customers : null,
    customers,
    'coverage@10': answers > 0 && shown.length > 0 ? covered / shown.length : null,
    fallback_share: answers > 0 ? fallbacks / answers : null,
  };
}

/** One order line as the holdout needs it. */
interface HoldoutLine {
  order: string;
  customer: string;
  item: string;
}

/** The holdout of order lines: baskets (distinct items per order) and the items each customer bought. */
export function holdoutOf(lines: Iterable<HoldoutLine>): Holdout {
  const orders = new Map<string, { customer: string; items: Set<string> }>();
  const customers = new Map<string, Set<string>>();
  for (const l of lines) {
    let o = orders.get(l.order);
    if (o === undefined) orders.set(l.order, (o = { customer: l.customer, items: new Set() }));
    o.items.add(l.item);
    let c = customers.get(l.customer);
    if (c === undefined) customers.set(l.customer, (c = new Set()));
    c.add(l.item);
  }
  return { baskets: [...orders.values()].map((o) => ({ customer: o.customer, items: [...o.items] })), customers };
}

/** The holdout of an orders file (the trainer's order reader: cancellations and bad lines left out and counted). */
export async function holdoutFromOrders(path: string, options: ReadOptions = {}): Promise<{ holdout: Holdout; lines: number; skipped: number }> {
  const rows = await readOrders(path, options);
  const lines = rows.orderIds.map((order, i) => ({ order, customer: rows.customers[i], item: rows.items[i] }));
  return { holdout: holdoutOf(lines), lines: lines.length, skipped: Object.values(rows.skipped).reduce((a, b) => a + b, 0) };
}

/**
 * The holdout of the benchmark splits' files: `user_id,item_id` (what each customer bought;
 * for-you) and/or `basket_id,user_id,item_id` (the baskets; basket and similar).
 */
export async function holdoutFromFiles(files: { test?: string; baskets?: string }, options: ReadOptions = {}): Promise<Holdout> {
  const customers = new Map<string, Set<string>>();
  if (files.test !== undefined) {
    const rows = await readInteractions(files.test, options);
    for (let r = 0; r < rows.users.length; r++) {
      let c = customers.get(rows.users[r]);
      if (c === undefined) customers.set(rows.users[r], (c = new Set()));
      c.add(rows.items[r]);
    }
  }
  const baskets: Holdout['baskets'] = [];
  if (files.baskets !== undefined) {
    const csv = await CsvFile.open(files.baskets, { ...options, required: ['basket_id', 'item_id'], optional: ['user_id'] });
    const kB = csv.index('basket_id');
    const kU = csv.has('user_id') ? csv.index('user_id') : -1;
    const kI = csv.index('item_id');
    const byId = new Map<string, { customer: string; items: string[] }>();
    for await (const row of csv.rows()) {
      let b = byId.get(row.values[kB]);
      if (b === undefined) byId.set(row.values[kB], (b = { customer: kU >= 0 ? row.values[kU] : '', items: [] }));
      if (!b.items.includes(row.values[kI])) b.items.push(row.values[kI]);
    }
    baskets.push(...byId.values());
  }
  return { baskets, customers };
}
