import type { Csr } from '../data/sparse.js';

/** Input of {@link evaluateRanking}. */
interface RankingEvalInput {
  /** users x items, held-out positives (every stored entry is a positive, whatever its value). */
  test: Csr;
  /** Same shape as `test`; a user's train positives are removed from the ranking. */
  train?: Csr | null;
  /** Cut-off of p@k, r@k and ndcg@k; default 10. */
  k?: number;
  /** If given, rank only these items (cold-start "test-only" protocol); unique, in range. */
  candidates?: Int32Array | null;
  /**
   * Fills `out[0..nItems)` with the scores of one user. `out` is reused between users and
   * pre-filled with NaN, so an entry the scorer leaves alone shows up in `nanScores`.
   */
  score: (user: number, out: Float32Array) => void;
  /** Called after each evaluated user. */
  onProgress?: (done: number, total: number) => void;
  /**
   * When set, also collect each evaluated user's top-`k` recommendations from the pool (best
   * first, ties by lower item index) into `RankingMetrics.top`, for coverage and novelty.
   */
  collectTop?: boolean;
}

/** One value per evaluated user (index i of every array belongs to `users[i]`); callers average. */
export interface RankingMetrics {
  users: Int32Array;
  precision: Float64Array;
  recall: Float64Array;
  auc: Float64Array;
  mrr: Float64Array;
  ndcg: Float64Array;
  /**
   * NaN scores met among the ranked items (pool and test positives), summed over users.
   * They were ranked as -Infinity; a non-zero count usually means a diverged model.
   * Always set by `evaluateRanking`.
   */
  nanScores?: number;
  /** With `collectTop`: users.length x k item indices, best first, -1 past a short pool. */
  top?: Int32Array;
}

/**
 * Ranking metrics with the semantics of LightFM's `lightfm.evaluation`, ties aside.
 *
 * Evaluated users: those with at least one test positive (among `candidates`, when given).
 * Pool: all items (or `candidates`) minus the user's train positives. A test positive is
 * ranked against the pool (itself excluded); a test positive that is also a train positive
 * still counts as a positive, ranked against the pool.
 *
 * Ties are broken uniformly at random and each metric is its expected value: a positive with
 * `above` pool items scoring higher and `equal` scoring the same sits at a rank uniform on
 * above..above+equal. Without ties this is exactly LightFM's rank (and these are LightFM's
 * numbers); LightFM instead counts every tie against the positive, which ranks the items of a
 * content-only model (many share a feature set, hence a score) below where any real ordering
 * would put them on average.
 *
 * - precision = E[#(rank < k)] / k; recall = E[#(rank < k)] / #positives
 * - mrr = E[1 / (1 + rank of the first positive)]
 * - ndcg@k: binary relevance, 1 / log2(rank + 2), ideal DCG over min(k, #positives)
 * - auc = mean over positives of 1 - (negatives above + tied negatives / 2) / #negatives,
 *   the negatives being the pool minus the positives in it; 0.5 without negatives
 *
 * Per user each positive is ranked by one pass over the pool, or, for users with many
 * positives, by sorting the pool once and a binary search per positive.
 */
export function evaluateRanking(input: RankingEvalInput): RankingMetrics {
  const { test, score, onProgress } = input;
  const train = input.train ?? null;
  const candidates = input.candidates ?? null;
  const k = input.k ?? 10;
  const nUsers = test.rows;
  const nItems = test.cols;

  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`k must be an integer >= 1, got ${k}`);
  }
  if (train && (train.rows !== nUsers || train.cols !== nItems)) {
    throw new RangeError(`train is ${train.rows} x ${train.cols} but test is ${nUsers} x ${nItems}; ` + 'both must index the same users and items');
  }

  // 1 = candidate item; without candidates every item is one.
  let candMask: Uint8Array | null = null;
  if (candidates) {
    candMask = new Uint8Array(nItems);
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i];
      if (!(c >= 0 && c < nItems)) {
        throw new RangeError(`candidates[${i}] = ${c} is outside [0, ${nItems}); pass item indices of the test matrix`);
      }
      if (candMask[c]) {
        throw new RangeError(`candidates[${i}] = ${c} appears twice; pass each item once`);
      }
      candMask[c] = 1;
    }
  }

  const { indptr: testPtr, indices: testIdx } = test;
  const isCandidate = (item: number): boolean => candMask === null || candMask[item] === 1;

  // Evaluated users, known up front so that outputs are sized once and progress has a total.
  let total = 0;
  const evaluated = new Int32Array(nUsers);
  for (let u = 0; u < nUsers; u++) {
    for (let p = testPtr[u]; p < testPtr[u + 1]; p++) {
      if (isCandidate(testIdx[p])) {
        evaluated[total++] = u;
        break;
      }
    }
  }

  const users = evaluated.slice(0, total);
  const precision = new Float64Array(total);
  const recall = new Float64Array(total);
  const auc = new Float64Array(total);
  const mrr = new Float64Array(total);
  const ndcg = new Float64Array(total);

  // Scratch, allocated once per call.
  const nCand = candidates ? candidates.length : nItems;
  const scores = new Float32Array(nItems);
  const pool = new Float32Array(nCand);
  const trainMask = new Uint8Array(nItems);
  // Without train, an all-empty matrix keeps the loop free of null checks.
  const trainPtr = train ? train.indptr : new Int32Array(nUsers + 1);
  const trainIdx = train ? train.indices : new Int32Array(0);
  // idcg[n] = ideal DCG with n relevant items in the top k; a user has at most nItems positives.
  const idcgLen = Math.min(k, nItems);
  const idcg = new Float64Array(idcgLen + 1);
  for (let i = 0; i < idcgLen; i++) idcg[i + 1] = idcg[i] + 1 / Math.log2(i + 2);
  // discountSum[r] = sum of 1 / log2(j + 2) for j < r, r <= k
  const discountSum = new Float64Array(k + 1);
  for (let r = 0; r < k; r++) discountSum[r + 1] = discountSum[r] + 1 / Math.log2(r + 2);
  let maxPositives = 0;
  for (let u = 0; u < nUsers; u++) maxPositives = Math.max(maxPositives, testPtr[u + 1] - testPtr[u]);
  const posScore = new Float64Array(maxPositives);
  const posAbove = new Int32Array(maxPositives);
  const posEqual = new Int32Array(maxPositives);
  const posInPool = new Uint8Array(maxPositives);
  const aucScratch = new Float64Array(maxPositives);
  const posTiedPositives = new Int32Array(maxPositives);
  const top = input.collectTop ? new Int32Array(total * k).fill(-1) : null;
  const topScore = new Float64Array(k);

  let nanScores = 0;
  for (let e = 0; e < total; e++) {
    const u = users[e];
    scores.fill(Number.NaN);
    score(u, scores);

    const trainStart = trainPtr[u];
    const trainEnd = trainPtr[u + 1];
    for (let p = trainStart; p < trainEnd; p++) trainMask[trainIdx[p]] = 1;

    // Copy the pool's scores, NaN read as -Infinity (also in `scores`, for the positives below).
    let poolSize = 0;
    for (let c = 0; c < nCand; c++) {
      const item = candidates ? candidates[c] : c;
      if (trainMask[item]) continue;
      let v = scores[item];
      if (v !== v) {
        v = Number.NEGATIVE_INFINITY;
        scores[item] = v;
        nanScores++;
      }
      pool[poolSize++] = v;
    }
    // Each test positive: how many pool items score strictly higher (`above`) and how many
    // tie with it (`equal`, itself excluded). Collected first, since AUC also needs how many
    // of those are other positives.
    let positives = 0;
    for (let p = testPtr[u]; p < testPtr[u + 1]; p++) {
      const item = testIdx[p];
      if (!isCandidate(item)) continue;
      let s = scores[item];
      if (s !== s) {
        // Only a train positive can still be NaN here; pool items were replaced above.
        s = Number.NEGATIVE_INFINITY;
        nanScores++;
      }
      posScore[positives] = s;
      posInPool[positives] = trainMask[item] === 0 ? 1 : 0;
      positives++;
    }
    rankAgainstPool(pool.subarray(0, poolSize), positives, posScore, posAbove, posEqual);
    for (let i = 0; i < positives; i++) posEqual[i] -= posInPool[i]; // a positive does not tie with itself

    // Ties are broken uniformly at random and every metric is its expectation: a positive
    // with `above` items over it and `equal` tied with it sits at a rank uniform on
    // above..above+equal. Without ties this is exactly LightFM's rank (ties would otherwise
    // all count against the positive, which punishes a content model whose items share
    // feature sets, and disagrees with anchors.json on the cold-start split).
    let hits = 0;
    let dcg = 0;
    let aucSum = 0;
    let best = 0;
    for (let i = 0; i < positives; i++) {
      const above = posAbove[i];
      const equal = posEqual[i];
      if (above < k) {
        hits += Math.min(1, (k - above) / (equal + 1));
        dcg += (discountSum[Math.min(above + equal + 1, k)] - discountSum[above]) / (equal + 1);
      }
      // Other in-pool positives above / tied, to count negatives only.
      let posGt = 0;
      let posEq = 0;
      for (let j = 0; j < positives; j++) {
        if (j === i || !posInPool[j]) continue;
        if (posScore[j] > posScore[i]) posGt++;
        else if (posScore[j] === posScore[i]) posEq++;
      }
      const negAbove = above - posGt;
      const negTied = equal - posEq;
      aucScratch[i] = negAbove + negTied / 2;
      if (posScore[i] > posScore[best] || (posScore[i] === posScore[best] && above < posAbove[best])) best = i;
      posTiedPositives[i] = posEq;
    }
    let inPoolPositives = 0;
    for (let i = 0; i < positives; i++) inPoolPositives += posInPool[i];
    const negatives = poolSize - inPoolPositives;
    if (negatives > 0) {
      for (let i = 0; i < positives; i++) aucSum += 1 - aucScratch[i] / negatives;
    }

    if (top) selectTop(scores, candidates, nCand, trainMask, top.subarray(e * k, e * k + k), topScore);
    for (let p = trainStart; p < trainEnd; p++) trainMask[trainIdx[p]] = 0;

    precision[e] = hits / k;
    recall[e] = hits / positives;
    mrr[e] = expectedReciprocalRank(posAbove[best], posEqual[best] + 1, posTiedPositives[best] + 1);
    ndcg[e] = dcg / idcg[Math.min(k, positives)];
    auc[e] = negatives > 0 ? aucSum / positives : 0.5;

    onProgress?.(e + 1, total);
  }

  return { users, precision, recall, auc, mrr, ndcg, nanScores, ...(top ? { top } : {}) };
}

/**
 * The `out.length` best-scored pool items (not train-masked), best first; ties go to the lower
 * item index. A bounded insertion list: O(pool x k) worst case, O(pool) typically.
 */
function selectTop(scores: Float32Array, candidates: Int32Array | null, nCand: number, trainMask: Uint8Array, out: Int32Array, outScore: Float64Array): void {
  const k = out.length;
  let size = 0;
  for (let c = 0; c < nCand; c++) {
    const item = candidates ? candidates[c] : c;
    if (trainMask[item]) continue;
    const v = scores[item];
    if (size === k && !(v > outScore[k - 1])) continue;
    let q = size < k ? size++ : k - 1;
    while (q > 0 && outScore[q - 1] < v) {
      outScore[q] = outScore[q - 1];
      out[q] = out[q - 1];
      q--;
    }
    outScore[q] = v;
    out[q] = item;
  }
}

/**
 * Below this many positives a user's ranks come from one pass over the pool per positive;
 * from it on, from sorting the pool once (n log n) and a binary search per positive. Most
 * users hold one or two test positives, and on a 100,000-item catalogue the sort is what
 * evaluation spent its time on.
 */
const SCAN_BELOW_POSITIVES = 16;

/**
 * For each of the first `count` scores in `posScore`: how many pool values are strictly
 * greater (`above`) and how many equal (`equal`, the positive itself included when it is in
 * the pool). `pool` may be reordered.
 */
function rankAgainstPool(pool: Float32Array, count: number, posScore: Float64Array, above: Int32Array, equal: Int32Array): void {
  if (count < SCAN_BELOW_POSITIVES) {
    for (let i = 0; i < count; i++) {
      // Pool values are float32 and so is every score they are compared with.
      const s = Math.fround(posScore[i]);
      let gt = 0;
      let eq = 0;
      for (let c = 0; c < pool.length; c++) {
        const v = pool[c];
        if (v > s) gt++;
        else if (v === s) eq++;
      }
      above[i] = gt;
      equal[i] = eq;
    }
    return;
  }
  pool.sort();
  for (let i = 0; i < count; i++) {
    const lo = lowerBound(pool, posScore[i]);
    const hi = upperBound(pool, posScore[i]);
    above[i] = pool.length - hi;
    equal[i] = hi - lo;
  }
}

/** First index of ascending `a` whose value is > `x` (`a.length` if none). */
function upperBound(a: Float32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * E[1 / (1 + above + X)] where X is the position of the first of `m` positives placed at
 * random among the `block` tied slots that start at rank `above`.
 */
function expectedReciprocalRank(above: number, block: number, m: number): number {
  // P(X = 0) = m / block; P(X = x + 1) = P(X = x) * (block - m - x) / (block - 1 - x)
  let prob = m / block;
  let sum = 0;
  for (let x = 0; x <= block - m; x++) {
    sum += prob / (1 + above + x);
    if (x < block - m) prob *= (block - m - x) / (block - 1 - x);
  }
  return sum;
}

/** First index of ascending `a` whose value is >= `x` (`a.length` if none). */
function lowerBound(a: Float32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Arithmetic mean; NaN for an empty array. */
export function mean(values: Float64Array): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/**
 * Averages per-user metrics into the keys that anchors.json uses:
 * `p@{k}`, `r@{k}`, `auc`, `mrr`, `ndcg@{k}` and `users` (how many users were averaged).
 */
export function summarize(m: RankingMetrics, k: number): { [key: string]: number } {
  return {
    [`p@${k}`]: mean(m.precision),
    [`r@${k}`]: mean(m.recall),
    auc: mean(m.auc),
    mrr: mean(m.mrr),
    [`ndcg@${k}`]: mean(m.ndcg),
    users: m.users.length,
  };
}
