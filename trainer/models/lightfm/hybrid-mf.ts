import { csrFromCoo, csrHas, type Csr } from '../../data/sparse.js';
import { Random } from '../../util/random.js';
import {
  createContext,
  placeWarpData,
  positivesBitmap,
  predictFromRepr,
  representation,
  runRange,
  warpInWasm,
  type Examples,
  type Hyper,
  type Loss,
} from './kernels.js';
import { firstNonFinite, initParams, MAX_THREADS, regularize, type Params, type Schedule } from './params.js';
import { ThreadPool } from './thread-pool.js';

export const LOSSES: readonly Loss[] = ['logistic', 'bpr', 'warp', 'warp-kos'];
export const SCHEDULES: readonly Schedule[] = ['adagrad', 'adadelta'];

/** Hyperparameters; the defaults are LightFM's, except the 32 dimensions. */
export interface HybridMFOptions {
  dim: number;
  loss: Loss;
  learningRate: number;
  schedule: Schedule;
  rho: number;
  epsilon: number;
  itemAlpha: number;
  userAlpha: number;
  maxSampled: number;
  /** k-OS: the k-th positive of the n drawn is the anchor. */
  k: number;
  n: number;
  seed: number;
}

export const DEFAULT_OPTIONS: HybridMFOptions = {
  dim: 32,
  loss: 'warp',
  learningRate: 0.05,
  schedule: 'adagrad',
  rho: 0.95,
  epsilon: 1e-6,
  itemAlpha: 0,
  userAlpha: 0,
  maxSampled: 10,
  k: 5,
  n: 10,
  seed: 42,
};

/** Training data: interactions by index, and optional feature matrices (default identity). */
interface FitInput {
  users: Int32Array;
  items: Int32Array;
  /** Sample weights, default 1. With logistic loss a weight <= 0 marks a negative. */
  weights?: Float32Array | null;
  /** users x user features; default: the identity (one feature per user). */
  userFeatures?: Csr | null;
  /** items x item features; default: the identity. */
  itemFeatures?: Csr | null;
  /** Needed only when no feature matrix gives the count. */
  nUsers?: number;
  nItems?: number;
}

interface FitOptions {
  epochs?: number;
  /** Training threads (worker_threads over shared memory, lock-free). Default 1. */
  threads?: number;
  onEpoch?: (epoch: number, seconds: number) => void;
}

interface FitReport {
  epochs: number;
  epochSeconds: number[];
  seconds: number;
  interactions: number;
  threads: number;
}

/** Raised when training produces non-finite parameters; says what to change. */
export class DivergenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DivergenceError';
  }
}

/** The identity feature matrix: row i has feature i with weight 1. */
function identityFeatures(n: number): Csr {
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    indptr[i + 1] = i + 1;
    indices[i] = i;
  }
  return { rows: n, cols: n, indptr, indices, data: new Float32Array(n).fill(1) };
}

function check(cond: boolean, message: string): void {
  if (!cond) throw new RangeError(message);
}

/**
 * Hybrid matrix factorisation, the model of LightFM: a user (item) is the sum of the
 * embeddings of its features, the score is the dot product of the two plus their biases,
 * trained by SGD on one of four losses. `fit` starts over; `fitPartial` continues.
 */
export class HybridMF {
  readonly options: HybridMFOptions;
  private params: Params | null = null;
  private rng: Random;
  private userFeatures: Csr | null = null;
  private itemFeatures: Csr | null = null;

  constructor(options: Partial<HybridMFOptions> = {}) {
    const o = { ...DEFAULT_OPTIONS, ...options };
    check(Number.isInteger(o.dim) && o.dim > 0, `dim must be a positive integer, got ${o.dim}`);
    check(LOSSES.includes(o.loss), `loss must be one of ${LOSSES.join(', ')}, got ${o.loss}`);
    check(SCHEDULES.includes(o.schedule), `schedule must be adagrad or adadelta, got ${o.schedule}`);
    check(o.learningRate > 0 && Number.isFinite(o.learningRate), `learningRate must be > 0, got ${o.learningRate}`);
    check(o.rho > 0 && o.rho < 1, `rho must be in (0, 1), got ${o.rho}`);
    check(o.epsilon > 0, `epsilon must be > 0, got ${o.epsilon}`);
    check(o.itemAlpha >= 0 && Number.isFinite(o.itemAlpha), `itemAlpha must be >= 0, got ${o.itemAlpha}`);
    check(o.userAlpha >= 0 && Number.isFinite(o.userAlpha), `userAlpha must be >= 0, got ${o.userAlpha}`);
    check(Number.isInteger(o.maxSampled) && o.maxSampled > 0, `maxSampled must be a positive integer, got ${o.maxSampled}`);
    check(Number.isInteger(o.k) && o.k > 0, `k must be a positive integer, got ${o.k}`);
    check(Number.isInteger(o.n) && o.n >= o.k, `n must be an integer >= k (${o.k}), got ${o.n}`);
    check(Number.isFinite(o.seed), `seed must be a number, got ${o.seed}`);
    this.options = o;
    this.rng = new Random(o.seed);
  }

  /** Discards any learned state and trains for `epochs` epochs. */
  async fit(input: FitInput, options: FitOptions = {}): Promise<FitReport> {
    this.params = null;
    this.rng = new Random(this.options.seed);
    return this.fitPartial(input, options);
  }

  /** Trains for `epochs` more epochs, initialising the parameters on first use. */
  async fitPartial(input: FitInput, options: FitOptions = {}): Promise<FitReport> {
    const epochs = options.epochs ?? 1;
    const threads = options.threads ?? 1;
    check(Number.isInteger(epochs) && epochs >= 0, `epochs must be a non-negative integer, got ${epochs}`);
    check(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS, `threads must be an integer in [1, ${MAX_THREADS}], got ${threads}`);
    const t0 = performance.now();
    const { userFeatures, itemFeatures, examples } = this.prepare(input);
    const o = this.options;
    if (!this.params) {
      this.params = initParams(itemFeatures.cols, userFeatures.cols, o.dim, o.schedule, this.rng);
    } else {
      check(
        this.params.itemBias.length === itemFeatures.cols && this.params.userBias.length === userFeatures.cols,
        `feature counts changed since the model was initialised (items ${this.params.itemBias.length} -> ${itemFeatures.cols}, users ${this.params.userBias.length} -> ${userFeatures.cols}); use fit() to start over`,
      );
    }
    this.userFeatures = userFeatures;
    this.itemFeatures = itemFeatures;
    const hyper: Hyper = {
      loss: o.loss,
      learningRate: o.learningRate,
      adadelta: o.schedule === 'adadelta',
      rho: o.rho,
      epsilon: o.epsilon,
      itemAlpha: o.itemAlpha,
      userAlpha: o.userAlpha,
      maxSampled: o.maxSampled,
      k: o.k,
      n: o.n,
      lazyScales: o.itemAlpha !== 0 || o.userAlpha !== 0,
    };
    const nExamples = examples.users.length;
    let params = this.params;
    let shuffle: Int32Array;
    let warpCtx = 0;
    if (warpInWasm(hyper)) {
      // The WARP loop runs in WebAssembly over data placed beside the parameters.
      const placed = placeWarpData(params, examples, itemFeatures, userFeatures, hyper);
      params = this.params = placed.params;
      shuffle = placed.shuffle;
      warpCtx = placed.warpCtx;
    } else {
      shuffle = new Int32Array(new SharedArrayBuffer(nExamples * 4));
    }
    const ctx = createContext(params, itemFeatures, userFeatures, examples, hyper, 0, warpCtx);
    const usedThreads = Math.max(1, Math.min(threads, nExamples));
    const pool = usedThreads > 1 ? new ThreadPool(usedThreads - 1, { params, itemFeatures, userFeatures, examples, hyper, shuffle, warpCtx }) : null;
    const epochSeconds: number[] = [];
    try {
      const blocks = o.loss === 'warp' ? examplesByUser(examples.users, userFeatures.rows) : null;
      for (let e = 0; e < epochs; e++) {
        const e0 = performance.now();
        // A fresh order each epoch, so that fitPartial in steps gives the same model as one
        // fit: for WARP the users in a random order, each user's examples one after the
        // other in a random order (see examplesByUser); otherwise a permutation of 0..n-1
        // (as LightFM).
        if (blocks) {
          userBlockOrder(blocks, this.rng, shuffle);
        } else {
          for (let i = 0; i < nExamples; i++) shuffle[i] = i;
          this.rng.shuffle(shuffle);
        }
        const seeds = Array.from({ length: usedThreads }, () => this.rng.nextUint32() | 1);
        if (pool) {
          // Contiguous slices, as OpenMP's static schedule; this thread takes the first.
          const chunk = Math.ceil(nExamples / usedThreads);
          const tasks = seeds.slice(1).map((seed, t) => ({
            start: Math.min(nExamples, (t + 1) * chunk),
            end: Math.min(nExamples, (t + 2) * chunk),
            seed,
          }));
          const done = pool.run(tasks);
          runRange(ctx, shuffle, 0, Math.min(chunk, nExamples), seeds[0]);
          await done;
        } else {
          runRange(ctx, shuffle, 0, nExamples, seeds[0]);
        }
        regularize(params);
        const bad = firstNonFinite(params);
        if (bad) {
          throw new DivergenceError(
            `training diverged in epoch ${e + 1}: the ${bad} hold non-finite values. ` +
              `Lower the learning rate (now ${o.learningRate}), raise --item-alpha/--user-alpha (now ${o.itemAlpha}/${o.userAlpha}), ` +
              `or check for very large sample weights.`,
          );
        }
        const sec = (performance.now() - e0) / 1000;
        epochSeconds.push(sec);
        options.onEpoch?.(e + 1, sec);
      }
    } finally {
      await pool?.close();
    }
    return { epochs, epochSeconds, seconds: (performance.now() - t0) / 1000, interactions: nExamples, threads: usedThreads };
  }

  /** Validates the input and builds the kernels' view of it. */
  private prepare(input: FitInput): { userFeatures: Csr; itemFeatures: Csr; examples: Examples } {
    const nUsers = input.userFeatures?.rows ?? input.nUsers ?? maxPlusOne(input.users);
    const nItems = input.itemFeatures?.rows ?? input.nItems ?? maxPlusOne(input.items);
    const userFeatures = input.userFeatures ?? this.userFeatures ?? identityFeatures(nUsers);
    const itemFeatures = input.itemFeatures ?? this.itemFeatures ?? identityFeatures(nItems);
    check(userFeatures.rows === nUsers, `user features have ${userFeatures.rows} rows but ${nUsers} users were given`);
    check(itemFeatures.rows === nItems, `item features have ${itemFeatures.rows} rows but ${nItems} items were given`);
    checkFeatures(userFeatures, 'user');
    checkFeatures(itemFeatures, 'item');
    const { users, items } = input;
    check(users.length === items.length, `users (${users.length}) and items (${items.length}) differ in length`);
    check(users.length > 0, 'no interactions to train on');
    for (let i = 0; i < users.length; i++) {
      if (users[i] < 0 || users[i] >= nUsers) throw new RangeError(`interaction ${i}: user index ${users[i]} outside [0, ${nUsers})`);
      if (items[i] < 0 || items[i] >= nItems) throw new RangeError(`interaction ${i}: item index ${items[i]} outside [0, ${nItems})`);
    }
    const weights = input.weights ?? new Float32Array(users.length).fill(1);
    check(weights.length === users.length, `weights (${weights.length}) and interactions (${users.length}) differ in length`);
    for (let i = 0; i < weights.length; i++) {
      if (!Number.isFinite(weights[i])) throw new RangeError(`interaction ${i}: weight ${weights[i]} is not finite`);
    }
    if (this.options.loss === 'warp-kos') {
      for (let i = 0; i < weights.length; i++) {
        if (weights[i] !== 1) throw new RangeError('k-OS WARP does not support sample weights (as in LightFM); drop the weight column or choose another loss');
      }
    }
    // The positives lookup holds the pairs with a positive weight.
    let nPos = 0;
    for (let i = 0; i < weights.length; i++) if (weights[i] > 0) nPos++;
    const pu = new Int32Array(nPos);
    const pi = new Int32Array(nPos);
    for (let i = 0, j = 0; i < weights.length; i++) {
      if (weights[i] > 0) {
        pu[j] = users[i];
        pi[j++] = items[i];
      }
    }
    const positives = csrFromCoo(nUsers, nItems, pu, pi);
    const { bits, wordsPerUser } = positivesBitmap(positives);
    return { userFeatures, itemFeatures, examples: { users, items, weights, positives, positiveBits: bits, wordsPerUser } };
  }

  private requireParams(): Params {
    if (!this.params) throw new Error('the model is not trained yet: call fit() first');
    return this.params;
  }

  /** Number of features of each side the model was trained with. */
  get shape(): { userFeatures: number; itemFeatures: number; dim: number } {
    const p = this.requireParams();
    return { userFeatures: p.userBias.length, itemFeatures: p.itemBias.length, dim: p.dim };
  }

  /** Scores of (user, item) pairs. */
  predict(users: Int32Array, items: Int32Array, features: { userFeatures?: Csr; itemFeatures?: Csr } = {}): Float32Array {
    const p = this.requireParams();
    const uf = this.featuresFor('user', features.userFeatures);
    const itf = this.featuresFor('item', features.itemFeatures);
    check(users.length === items.length, 'users and items differ in length');
    const ur = new Float64Array(p.dim + 1);
    const ir = new Float64Array(p.dim + 1);
    const out = new Float32Array(users.length);
    for (let i = 0; i < users.length; i++) {
      check(users[i] >= 0 && users[i] < uf.rows, `user index ${users[i]} outside [0, ${uf.rows})`);
      check(items[i] >= 0 && items[i] < itf.rows, `item index ${items[i]} outside [0, ${itf.rows})`);
      representation(uf, users[i], p.userEmb, p.userBias, p.dim, p.scale[1], ur);
      representation(itf, items[i], p.itemEmb, p.itemBias, p.dim, p.scale[0], ir);
      out[i] = predictFromRepr(ur, ir, p.dim);
    }
    return out;
  }

  /**
   * For each test interaction, the number of items scored at least as high that are not
   * train positives of the user (LightFM's predict_rank): 0 is the top.
   */
  predictRank(test: Csr, train: Csr | null = null, features: { userFeatures?: Csr; itemFeatures?: Csr } = {}): Csr {
    const users = this.getUserRepresentations(features.userFeatures);
    const items = this.getItemRepresentations(features.itemFeatures);
    const dim = this.requireParams().dim;
    const nItems = items.biases.length;
    check(test.cols === nItems, `test matrix has ${test.cols} columns but the model has ${nItems} items`);
    const scores = new Float32Array(nItems);
    const ranks = new Float32Array(test.indices.length);
    for (let u = 0; u < test.rows; u++) {
      const s = test.indptr[u];
      const e = test.indptr[u + 1];
      if (s === e) continue;
      scoreAll(users.embeddings, users.biases[u], u, items.embeddings, items.biases, dim, scores);
      for (let it = 0; it < nItems; it++) {
        if (train && csrHas(train, u, it)) continue;
        const v = scores[it];
        for (let q = s; q < e; q++) if (test.indices[q] !== it && v >= scores[test.indices[q]]) ranks[q]++;
      }
    }
    return { rows: test.rows, cols: test.cols, indptr: test.indptr, indices: test.indices, data: ranks };
  }

  /** Item biases and embeddings (rows of `itemFeatures`, default the training features). */
  getItemRepresentations(itemFeatures?: Csr): { biases: Float32Array; embeddings: Float32Array } {
    const p = this.requireParams();
    return represent(this.featuresFor('item', itemFeatures), p.itemEmb, p.itemBias, p.dim, p.scale[0]);
  }

  /** User biases and embeddings (rows of `userFeatures`, default the training features). */
  getUserRepresentations(userFeatures?: Csr): { biases: Float32Array; embeddings: Float32Array } {
    const p = this.requireParams();
    return represent(this.featuresFor('user', userFeatures), p.userEmb, p.userBias, p.dim, p.scale[1]);
  }

  private featuresFor(side: 'user' | 'item', given?: Csr): Csr {
    const p = this.requireParams();
    const f = given ?? (side === 'user' ? this.userFeatures : this.itemFeatures);
    if (!f) throw new Error(`no ${side} features: pass them, or train first`);
    const n = side === 'user' ? p.userBias.length : p.itemBias.length;
    check(f.cols === n, `${side} features have ${f.cols} columns but the model was trained with ${n}`);
    return f;
  }

  /** Raw parameters, for saving. */
  exportParams(): { dim: number; itemEmb: Float32Array; itemBias: Float32Array; userEmb: Float32Array; userBias: Float32Array } {
    const p = this.requireParams();
    return { dim: p.dim, itemEmb: p.itemEmb, itemBias: p.itemBias, userEmb: p.userEmb, userBias: p.userBias };
  }

  /** Restores saved parameters (for scoring; continuing training restarts the accumulators). */
  importParams(
    saved: { itemEmb: Float32Array; itemBias: Float32Array; userEmb: Float32Array; userBias: Float32Array },
    features: { userFeatures: Csr; itemFeatures: Csr },
  ): void {
    const d = this.options.dim;
    check(saved.itemEmb.length === saved.itemBias.length * d, 'item embeddings do not match the item biases and dim');
    check(saved.userEmb.length === saved.userBias.length * d, 'user embeddings do not match the user biases and dim');
    const p = initParams(saved.itemBias.length, saved.userBias.length, d, this.options.schedule, new Random(this.options.seed));
    p.itemEmb.set(saved.itemEmb);
    p.itemBias.set(saved.itemBias);
    p.userEmb.set(saved.userEmb);
    p.userBias.set(saved.userBias);
    this.params = p;
    this.userFeatures = features.userFeatures;
    this.itemFeatures = features.itemFeatures;
    this.featuresFor('user');
    this.featuresFor('item');
  }
}

/** The examples grouped by user: user u's are order[start[k] .. start[k + 1]) for users[k]. */
interface UserBlocks {
  users: Int32Array;
  start: Int32Array;
  order: Int32Array;
}

/**
 * The example indices grouped by user (counting sort), for the WARP epoch order: a user's
 * examples run one after the other, so that the user's embedding row and its adagrad
 * accumulators are fetched from memory once for all of them rather than once each (on a
 * large seller those rows do not stay in cache between two random visits), and each
 * thread's contiguous slice holds users of its own.
 */
function examplesByUser(users: Int32Array, nUsers: number): UserBlocks {
  const counts = new Int32Array(nUsers + 1);
  for (let i = 0; i < users.length; i++) counts[users[i] + 1]++;
  let present = 0;
  for (let u = 0; u < nUsers; u++) if (counts[u + 1] > 0) present++;
  for (let u = 0; u < nUsers; u++) counts[u + 1] += counts[u];
  const order = new Int32Array(users.length);
  const cursor = counts.slice(0, nUsers);
  for (let i = 0; i < users.length; i++) order[cursor[users[i]]++] = i;
  const list = new Int32Array(present);
  const start = new Int32Array(present + 1);
  for (let u = 0, k = 0; u < nUsers; u++) {
    if (counts[u + 1] === counts[u]) continue;
    list[k] = u;
    start[k++] = counts[u];
  }
  start[present] = users.length;
  return { users: list, start, order };
}

/** One epoch's order: the users shuffled, then each user's examples, shuffled among themselves. */
function userBlockOrder(b: UserBlocks, rng: Random, out: Int32Array): void {
  const perm = rng.shuffle(Int32Array.from({ length: b.users.length }, (_, k) => k));
  let at = 0;
  for (let k = 0; k < perm.length; k++) {
    const from = b.start[perm[k]];
    const to = b.start[perm[k] + 1];
    for (let p = from; p < to; p++) out[at + p - from] = b.order[p];
    // Fisher-Yates on the user's segment.
    for (let i = to - from - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = out[at + i];
      out[at + i] = out[at + j];
      out[at + j] = t;
    }
    at += to - from;
  }
}

function maxPlusOne(a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m + 1;
}

function checkFeatures(f: Csr, side: string): void {
  for (let i = 0; i < f.data.length; i++) {
    if (!Number.isFinite(f.data[i])) throw new RangeError(`${side} features: weight at position ${i} is not finite`);
  }
}

function represent(features: Csr, emb: Float32Array, bias: Float32Array, dim: number, scale: number): { biases: Float32Array; embeddings: Float32Array } {
  const n = features.rows;
  const biases = new Float32Array(n);
  const embeddings = new Float32Array(n * dim);
  const r = new Float64Array(dim + 1);
  for (let i = 0; i < n; i++) {
    representation(features, i, emb, bias, dim, scale, r);
    for (let j = 0; j < dim; j++) embeddings[i * dim + j] = r[j];
    biases[i] = r[dim];
  }
  return { biases, embeddings };
}

/** Scores every item for user `u` from precomputed representations. */
export function scoreAll(
  userEmb: Float32Array,
  userBias: number,
  u: number,
  itemEmb: Float32Array,
  itemBias: Float32Array,
  dim: number,
  out: Float32Array,
): void {
  const ub = u * dim;
  for (let i = 0, n = itemBias.length; i < n; i++) {
    let s = userBias + itemBias[i];
    const ib = i * dim;
    for (let j = 0; j < dim; j++) s += userEmb[ub + j] * itemEmb[ib + j];
    out[i] = s;
  }
}
