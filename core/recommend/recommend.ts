import type { Artifact, HistorySettings, Ranking } from '../format/artifact.js';
import { ANSWERS_WITH, MODEL_TYPE_NAMES, type ModelType, SERVED_SURFACES, SURFACES, type Surface } from '../format/spec.js';
import { decodeUserRecord, type CustomerHistory, type UserRecord } from '../format/user-record.js';
import { ApiError } from '../errors/api-error.js';
import type { LoadedModel } from './model.js';
import { LiveItems } from '../catalog/live.js';
import { scoreByNeighbours, scoreByVector, scoreTopN } from '../scoring/score.js';
import { selectTopN, type TopN } from '../scoring/select.js';
import type { FilterSpec } from './filters.js';

export { SURFACES, type Surface };

/** What `model=` may ask for: a model type, or one of the rankings every artifact carries. */
export const MODEL_CHOICES = [...MODEL_TYPE_NAMES, 'trending'] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** A validated recommendation request. */
export interface RecommendQuery {
  surface: Surface;
  /** The cart or session (basket, for-you), or the one item (similar). */
  items: string[];
  customer: string | null;
  n: number;
  exclude: string[];
  filters: FilterSpec;
  /** Which part of the answering version answers (secret keys only); null for its own model. */
  model: ModelChoice | null;
}

interface RecommendedItem {
  id: string;
  score: number;
  title: string | null;
  url: string | null;
  image: string | null;
  price: number | null;
}

interface Recommendation {
  items: RecommendedItem[];
  /** The model that answered; null when the seller has no model. */
  model: { type: string; version: string } | null;
  /** True when no item came from the model's own scoring (popularity, trending, or nothing). */
  fallback: boolean;
}

/** Fetches a customer's record bytes for the model's version; null when there is none. */
type RecordFetcher = (customer: string) => Promise<Uint8Array | null>;

export type Log = (event: Record<string, unknown>) => void;

type Method = 'vectors' | 'neighbours' | 'user-lists' | 'ranking';

/** How a choice is answered from an artifact, or why it cannot be. */
function methodFor(a: Artifact, choice: ModelChoice, explicit: boolean): { method: Method; ranking?: Ranking } | string {
  if (choice === 'trending') return a.trending ? { method: 'ranking', ranking: a.trending } : 'it has no trending ranking';
  switch (ANSWERS_WITH[choice]) {
    case 'vectors':
      return a.vectors ? { method: 'vectors' } : 'it has no item vectors';
    case 'neighbours':
      return a.neighbours ? { method: 'neighbours' } : 'it has no item neighbours';
    case 'user-lists':
      return a.modelType === choice ? { method: 'user-lists' } : `it has no ${choice} customer lists`;
    case 'ranking': {
      // A popularity model's own scores (recency-weighted when trained so) are its trending ranking.
      const ranking = a.modelType === choice && !explicit ? (a.trending ?? a.popularity) : a.popularity;
      return ranking ? { method: 'ranking', ranking } : 'it has no popularity ranking';
    }
  }
}

/** Known item indices of `ids`, each once, in order (unknown ids are ignored). */
function indicesOf(items: LiveItems, ids: readonly string[]): number[] {
  const out: number[] = [];
  for (const id of ids) {
    const i = items.index(id);
    if (i >= 0 && !out.includes(i)) out.push(i);
  }
  return out;
}

function rounded(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function display(items: LiveItems, i: number, score: number): RecommendedItem {
  return { id: items.id(i), score: rounded(score), ...items.display(i) };
}

/**
 * Answers a recommendation request from a loaded model. Customer records are fetched
 * first; everything after that runs synchronously on the model's scratch scores. The chain:
 * the surface's own signal (customer and/or items, by model type), then the fallback
 * ranking (trending, else popularity) to fill the list. `live` is the model's items under
 * the seller's latest catalog (display data, filters, retired and unseen items); without
 * it, the artifact alone.
 */
export async function recommend(model: LoadedModel | null, q: RecommendQuery, fetchRecord: RecordFetcher, log: Log, live?: LiveItems): Promise<Recommendation> {
  if (model === null) return { items: [], model: null, fallback: true };
  const a = model.artifact;
  const items = live ?? LiveItems.of(a, null);
  const choice: ModelChoice = q.model ?? (a.modelType as ModelChoice);
  const how = methodFor(a, choice, q.model !== null);
  if (typeof how === 'string') {
    throw new ApiError(
      'model_not_available',
      `model=${choice} is not available: the version that answers, ${model.version}, is a ${a.modelType} model and ${how}`,
    );
  }
  const known = indicesOf(items, q.items);
  const similar = q.surface === 'similar';
  // A surface the model type does not serve (user-knn has no answer for a cart or an item)
  // is answered from the fallback ranking alone, as the evaluation counts it.
  const served = how.method === 'ranking' || (SERVED_SURFACES[choice as ModelType] ?? SURFACES).includes(q.surface);
  const settings = a.historySettings;
  // May this surface answer what the customer bought before? (similar has no customer.)
  const repeats = q.surface === 'basket' ? settings.repeatBasket : q.surface === 'for-you' ? settings.repeatForYou : true;
  // What the surface starts from, by method (see spec/edge-api.md, "Scoring"). Item-item
  // needs the customer's record for a cart only when their history changes the answer.
  const historyMatters = !repeats || settings.historyWeight > 0 || settings.repeatBoost > 0;
  const wantsRecord =
    served &&
    !similar &&
    q.customer !== null &&
    a.hasUserRecords &&
    (how.method === 'vectors' ||
      how.method === 'user-lists' ||
      (how.method === 'neighbours' && (q.surface === 'for-you' || known.length === 0 || historyMatters)) ||
      // A ranking leaves out what the customer bought where repeats are off.
      (how.method === 'ranking' && !repeats));
  const record = wantsRecord ? await readRecord(model, q.customer!, fetchRecord, log) : null;

  // From here on: synchronous.
  const excluded = new Set<number>(known);
  for (const i of indicesOf(items, q.exclude)) excluded.add(i);
  const history = record?.history ?? null;
  // What the customer bought before is left out where the seller's setting says so, fill included.
  if (!repeats && history !== null) for (const i of history.items) excluded.add(i);
  const filter = items.filter(q.filters);
  const accept = (i: number) => !excluded.has(i) && (filter === null || filter(i));

  let top: TopN | null = null;
  const ranking: Ranking | undefined = how.ranking;
  try {
    if (!served) {
      top = null;
    } else if (how.method === 'vectors') {
      top = scoreVectors(model, items, similar ? known.slice(0, 1) : known, similar ? null : record, accept, q.n);
    } else if (how.method === 'neighbours') {
      if (similar) {
        if (known.length > 0) top = scoreNeighbours(model, known.slice(0, 1), null, settings, false, accept, q.n);
      } else if (record?.kind === 'top-items' && (q.surface === 'for-you' || known.length === 0)) {
        // A version exported before records carried histories: the precomputed list.
        top = fromList(model, record, accept, q.n);
      } else {
        const own = record?.kind === 'history' ? history : null;
        if (known.length > 0 || (own !== null && own.items.length > 0)) top = scoreNeighbours(model, known, own, settings, repeats, accept, q.n);
      }
    } else if (how.method === 'user-lists') {
      if (record?.kind === 'top-items') top = fromList(model, record, accept, q.n);
    }
  } catch (err) {
    // The kernels refuse data they cannot score (a non-finite vector): answer from the ranking.
    log({ event: 'scoring_failed', seller: model.seller, version: model.version, error: (err as Error).message });
    top = null;
  }

  const answer: RecommendedItem[] = [];
  const chosen = new Set<number>();
  if (top !== null) {
    for (let k = 0; k < top.items.length; k++) {
      answer.push(display(items, top.items[k], top.scores[k]));
      chosen.add(top.items[k]);
    }
  }
  const fromModel = answer.length;
  // Fill up from the ranking: the model's own for popularity and trending, else the fallback.
  const fill = ranking ?? a.trending ?? a.popularity;
  if (fill !== undefined && answer.length < q.n) {
    for (let r = 0; r < fill.items.length && answer.length < q.n; r++) {
      const i = fill.items[r];
      if (chosen.has(i) || !accept(i)) continue;
      chosen.add(i);
      answer.push(display(items, i, fill.scores[r]));
    }
  }
  return {
    items: answer,
    model: { type: choice, version: model.version },
    fallback: how.method !== 'ranking' && fromModel === 0,
  };
}

async function readRecord(model: LoadedModel, customer: string, fetchRecord: RecordFetcher, log: Log): Promise<UserRecord | null> {
  const a = model.artifact;
  let bytes: Uint8Array | null;
  try {
    bytes = await fetchRecord(customer);
  } catch (err) {
    log({ event: 'record_unreadable', seller: model.seller, version: model.version, error: (err as Error).message });
    return null;
  }
  if (bytes === null) return null;
  let record: UserRecord;
  try {
    record = decodeUserRecord(bytes, { itemTableTag: a.itemTableTag, dim: a.dim, itemCount: a.itemCount });
  } catch (err) {
    log({ event: 'record_rejected', seller: model.seller, version: model.version, error: (err as Error).message });
    return null;
  }
  const answers = ANSWERS_WITH[a.modelType];
  // Item-item answers from a history (or, for versions exported before histories, a
  // precomputed list); a ranking's records are histories, to leave out what was bought.
  const wanted: UserRecord['kind'][] =
    a.vectors !== undefined && answers === 'vectors'
      ? ['user-vector']
      : answers === 'neighbours'
        ? ['history', 'top-items']
        : answers === 'ranking'
          ? ['history']
          : ['top-items'];
  if (!wanted.includes(record.kind)) {
    log({
      event: 'record_rejected',
      seller: model.seller,
      version: model.version,
      error: `a ${record.kind} record for a ${a.modelType} model (expected ${wanted.join(' or ')})`,
    });
    return null;
  }
  return record;
}

/**
 * Hybrid MF: query = customer vector (when known) + the items' vectors; every item scored
 * (the catalog's unseen items too, when the model scores them), then the best `n` that
 * `accept` lets through (asked only of items that would enter).
 */
function scoreVectors(model: LoadedModel, live: LiveItems, items: number[], record: UserRecord | null, accept: (i: number) => boolean, n: number): TopN | null {
  const a = model.artifact;
  const query = new Float32Array(a.dim);
  let bias = 0;
  let used = false;
  if (record?.kind === 'user-vector') {
    query.set(record.vector);
    bias = record.bias;
    used = true;
  }
  if (items.length > 0) {
    const row = new Float32Array(a.dim);
    for (const i of items) live.addVector(i, query, row);
    used = true;
  }
  if (!used) return null;
  // Without unseen items the kernel scores and selects in one pass (scoreTopN: the same items
  // and scores as scoring all, then selecting).
  if (live.scores === null) return scoreTopN(a, query, n, model.scores, bias, accept);
  const scores = scoreAllVectors(model, live, query, bias);
  return selectTopN(scores, n, (i) => !accept(i));
}

/**
 * Every item's score for a query vector (the artifact's items by its kernels, then the
 * unseen items the model scores from their tags): what the vectors method ranks. The
 * returned array is the model's (or the live view's) scratch: read it before the next call.
 */
export function scoreAllVectors(model: LoadedModel, live: LiveItems, query: Float32Array, queryBias: number): Float32Array {
  const scores = live.scores ?? model.scores;
  scoreByVector(model.artifact, query, scores, queryBias);
  live.scoreUnseen(query, scores, queryBias);
  return scores.subarray(0, live.count);
}

/**
 * The best `n` of a sparse candidate list (repeats taken once) by `scores[index]`, among
 * those `accept` lets through (it is given the item and its score); ties keep the
 * candidates' order. Leaves the candidates' places of `scores` as NaN (the scratch is
 * cleared by whoever scores next).
 */
function selectAmong(scores: Float32Array, candidates: ArrayLike<number>, n: number, accept: (i: number, score: number) => boolean): TopN {
  const unique = new Int32Array(candidates.length);
  const local = new Float32Array(candidates.length);
  let u = 0;
  for (let k = 0; k < candidates.length; k++) {
    const i = candidates[k];
    const s = scores[i];
    // NaN marks a candidate taken already (scores are sums of finite weights).
    if (s !== s) continue;
    unique[u] = i;
    local[u++] = s;
    scores[i] = Number.NaN;
  }
  const top = selectTopN(local.subarray(0, u), n, (k) => !accept(unique[k], local[k]));
  for (let k = 0; k < top.items.length; k++) top.items[k] = unique[top.items[k]];
  return top;
}

/**
 * Item-item: the sum of the neighbour rows of the query's items, plus the customer's history
 * (each history item's row times its weight, times the history weight when the query has
 * items, else 1), plus the repeat boost on the history items where repeats are allowed:
 * what the trainer's `ItemKnnModel.scoreItems` computes. Only items with a positive sum;
 * equal sums in the candidates' order (a query touching a quarter of the items or more: in
 * item order).
 */
function scoreNeighbours(
  model: LoadedModel,
  items: number[],
  history: CustomerHistory | null,
  settings: Readonly<HistorySettings>,
  repeats: boolean,
  accept: (i: number) => boolean,
  n: number,
): TopN {
  const a = model.artifact;
  const { indptr, indices } = a.neighbours!;
  const scores = model.scores;
  const rows: number[] = [...items];
  const rowWeights: number[] = items.map(() => 1);
  const factor = history === null ? 0 : items.length > 0 ? settings.historyWeight : 1;
  if (factor > 0) {
    for (let k = 0; k < history!.items.length; k++) {
      rows.push(history!.items[k]);
      rowWeights.push(factor * history!.weights[k]);
    }
  }
  const boost = history !== null && repeats ? settings.repeatBoost : 0;
  let total = boost > 0 ? history!.items.length : 0;
  for (const r of rows) total += indptr[r + 1] - indptr[r];
  const addBoost = () => {
    if (boost > 0) for (let k = 0; k < history!.items.length; k++) scores[history!.items[k]] += boost * Math.log1p(history!.weights[k]);
  };
  if (4 * total >= a.itemCount) {
    // A large query (a long history, many neighbours): every item's sum at once, ties to the lower index.
    scores.fill(0, 0, a.itemCount);
    scoreByNeighbours(a, rows, scores, rowWeights);
    addBoost();
    return selectTopN(scores.subarray(0, a.itemCount), n, (i) => !(scores[i] > 0 && accept(i)));
  }
  const candidates = new Int32Array(total);
  let c = 0;
  for (const r of rows) for (let p = indptr[r]; p < indptr[r + 1]; p++) candidates[c++] = indices[p];
  if (boost > 0) for (const i of history!.items) candidates[c++] = i;
  // The scratch array holds another request's scores: clear what this one adds to.
  for (let k = 0; k < total; k++) scores[candidates[k]] = 0;
  scoreByNeighbours(a, rows, scores, rowWeights);
  addBoost();
  return selectAmong(scores, candidates, n, (i, score) => score > 0 && accept(i));
}

/** A precomputed per-customer list (user-knn, or item-knn over the customer's history). */
function fromList(model: LoadedModel, record: UserRecord & { kind: 'top-items' }, accept: (i: number) => boolean, n: number): TopN {
  const scores = model.scores;
  for (let k = 0; k < record.items.length; k++) scores[record.items[k]] = record.scores[k];
  return selectAmong(scores, record.items, n, accept);
}
