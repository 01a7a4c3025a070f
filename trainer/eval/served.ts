import type { LoadedModel } from '../../core/recommend/model.js';
import { recommend, type RecommendQuery } from '../../core/recommend/recommend.js';
import { decodeForScoring, prepareScoring } from '../../core/scoring/wasm-kernel.js';

/**
 * Evaluates an artifact the way the edge serves it: decoded by the worker's decoder,
 * answered by the worker's `recommend()` (quantised vectors, neighbour lists, per-customer
 * records, filters and fallbacks included). The retrain gate compares a candidate and the
 * active version this way, so both are judged on exactly what shoppers would see.
 */

/** Held-out purchases: baskets (one order's distinct items) and what each customer bought. */
export interface Holdout {
  baskets: { customer: string; items: string[] }[];
  /** Customer → items bought in the holdout window. */
  customers: Map<string, Set<string>>;
}

/** Figures of one served artifact on a holdout. */
export interface ServedMetrics {
  /** Leave-one-out basket completion: hide each item of a 2+ item basket, ask the basket route with the rest (and the customer). */
  'basket_hr@10': number | null;
  basket_pairs: number;
  /** for-you with the customer: |top 10 ∩ items bought| / 10, averaged over customers. */
  'p@10': number | null;
  customers: number;
  /** Answers that came from the fallback ranking only. */
  fallback_share: number | null;
}

interface ServedEvalInput {
  artifact: Uint8Array;
  /** A customer's record bytes for this artifact, or null. */
  record: (customer: string) => Promise<Uint8Array | null>;
  holdout: Holdout;
  k?: number;
}

/** Serves every holdout query through the edge code and scores the answers. */
export async function evaluateServed(input: ServedEvalInput): Promise<ServedMetrics> {
  const k = input.k ?? 10;
  const artifact = decodeForScoring(input.artifact);
  const model: LoadedModel = {
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
  const base: Omit<RecommendQuery, 'surface' | 'items' | 'customer'> = {
    n: k,
    exclude: [],
    filters: { category: null, inStock: false, minPrice: null, maxPrice: null },
    model: null,
  };
  const quiet = () => {};
  let answers = 0;
  let fallbacks = 0;
  const ask = async (q: RecommendQuery): Promise<string[]> => {
    const r = await recommend(model, q, input.record, quiet);
    answers++;
    if (r.fallback) fallbacks++;
    return r.items.map((i) => i.id);
  };

  let hits = 0;
  let pairs = 0;
  for (const basket of input.holdout.baskets) {
    const items = [...new Set(basket.items)];
    if (items.length < 2) continue;
    for (let h = 0; h < items.length; h++) {
      const rest = items.filter((_, j) => j !== h);
      const top = await ask({ ...base, surface: 'basket', items: rest, customer: basket.customer });
      pairs++;
      if (top.includes(items[h])) hits++;
    }
  }

  let precision = 0;
  let customers = 0;
  for (const [customer, bought] of input.holdout.customers) {
    const top = await ask({ ...base, surface: 'for-you', items: [], customer });
    let hit = 0;
    for (const id of top) if (bought.has(id)) hit++;
    precision += hit / k;
    customers++;
  }
  return {
    'basket_hr@10': pairs > 0 ? hits / pairs : null,
    basket_pairs: pairs,
    'p@10': customers > 0 ? precision / customers : null,
    customers,
    fallback_share: answers > 0 ? fallbacks / answers : null,
  };
}
