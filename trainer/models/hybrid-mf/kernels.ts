/**
 * The SGD kernels of the hybrid MF model: one epoch's work over a slice of the shuffled
 * training examples, for each loss. They follow LightFM's Cython kernels step for step
 * (representations as weighted sums of feature embeddings, the same sampling rules, the
 * same adagrad / adadelta updates and lazy L2 regularisation), over typed arrays only:
 * no allocation inside the loops, so that the trainer thread and the worker threads run
 * the same code.
 *
 * One deliberate difference: in the pairwise losses (BPR, WARP, k-OS) LightFM also moves
 * the user bias by the loss, although the user bias cancels out of every score
 * difference. Here its true gradient, zero, is applied (its regularisation still is).
 * Rankings are unaffected either way; the finite-difference tests hold exactly.
 */
import { csrHas, type Csr } from '../../data/sparse.js';
import { regularize, type Params } from './params.js';

export type Loss = 'logistic' | 'bpr' | 'warp' | 'warp-kos';

/** LightFM clips the WARP rank weight at this value. */
export const MAX_LOSS = 10;
/** Scales beyond this are folded back into the parameters at once. */
export const MAX_REG_SCALE = 1e6;

export interface Hyper {
  loss: Loss;
  learningRate: number;
  adadelta: boolean;
  rho: number;
  epsilon: number;
  itemAlpha: number;
  userAlpha: number;
  maxSampled: number;
  k: number;
  n: number;
  /** itemAlpha or userAlpha is nonzero: track learning rates for lazy regularisation. */
  lazyScales: boolean;
}

/** The training examples in coordinate form, with the positives as a CSR lookup. */
export interface Examples {
  users: Int32Array;
  items: Int32Array;
  /** sample weights; with logistic loss a weight <= 0 marks a negative example. */
  weights: Float32Array;
  /** users x items, sorted rows: "is this item a positive of this user". */
  positives: Csr;
  /**
   * The same lookup as a bitmap (`wordsPerUser` 32-bit words a user) when it fits in
   * POSITIVE_BITMAP_MAX_BYTES; answering from it is several times faster than a binary
   * search, and the samplers ask for every candidate negative.
   */
  positiveBits: Uint32Array | null;
  wordsPerUser: number;
}

/** Largest positives bitmap built (64 MiB: 537M user-item pairs). */
export const POSITIVE_BITMAP_MAX_BYTES = 64 * 1024 * 1024;

/** Builds the positives bitmap, or null when the matrix is too large for one. */
export function positivesBitmap(positives: Csr): { bits: Uint32Array | null; wordsPerUser: number } {
  const wordsPerUser = Math.ceil(positives.cols / 32);
  if (positives.rows * wordsPerUser * 4 > POSITIVE_BITMAP_MAX_BYTES) return { bits: null, wordsPerUser };
  const bits = new Uint32Array(new SharedArrayBuffer(positives.rows * wordsPerUser * 4));
  for (let u = 0; u < positives.rows; u++) {
    const base = u * wordsPerUser;
    for (let p = positives.indptr[u]; p < positives.indptr[u + 1]; p++) {
      const i = positives.indices[p];
      bits[base + (i >>> 5)] |= 1 << (i & 31);
    }
  }
  return { bits, wordsPerUser };
}

function isPositive(ex: Examples, user: number, item: number): boolean {
  const bits = ex.positiveBits;
  if (bits !== null) return ((bits[user * ex.wordsPerUser + (item >>> 5)] >>> (item & 31)) & 1) === 1;
  return csrHas(ex.positives, user, item);
}

/** Everything a thread needs to run epochs. Scratch buffers are per thread. */
export interface KernelContext {
  params: Params;
  itemFeatures: Csr;
  userFeatures: Csr;
  examples: Examples;
  hyper: Hyper;
  userRepr: Float64Array;
  posRepr: Float64Array;
  negRepr: Float64Array;
  grad: Float64Array;
  pairIdx: Int32Array;
  pairVal: Float64Array;
}

export function createContext(
  params: Params,
  itemFeatures: Csr,
  userFeatures: Csr,
  examples: Examples,
  hyper: Hyper,
): KernelContext {
  const d = params.dim;
  return {
    params,
    itemFeatures,
    userFeatures,
    examples,
    hyper,
    userRepr: new Float64Array(d + 1),
    posRepr: new Float64Array(d + 1),
    negRepr: new Float64Array(d + 1),
    grad: new Float64Array(d),
    pairIdx: new Int32Array(Math.max(hyper.n, 1)),
    pairVal: new Float64Array(Math.max(hyper.n, 1)),
  };
}

/**
 * Writes the representation of `row` into `out`: the feature-weighted sum of its feature
 * embeddings in out[0..dim) and of its feature biases in out[dim].
 */
export function representation(
  features: Csr,
  row: number,
  emb: Float32Array,
  bias: Float32Array,
  dim: number,
  scale: number,
  out: Float64Array,
): void {
  const { indptr, indices, data } = features;
  const start = indptr[row];
  const end = indptr[row + 1];
  if (start === end) {
    for (let j = 0; j <= dim; j++) out[j] = 0;
    return;
  }
  // The first feature is assigned rather than added, sparing a pass of zeroing.
  let f = indices[start];
  let w = data[start] * scale;
  let base = f * dim;
  for (let j = 0; j < dim; j++) out[j] = w * emb[base + j];
  out[dim] = w * bias[f];
  for (let p = start + 1; p < end; p++) {
    f = indices[p];
    w = data[p] * scale;
    base = f * dim;
    for (let j = 0; j < dim; j++) out[j] += w * emb[base + j];
    out[dim] += w * bias[f];
  }
}

/**
 * Score of item (or user) `row` against a finished representation `other`, computed
 * feature by feature without building the row's representation: the sampling loops call
 * this for every candidate negative.
 */
export function scoreRow(
  features: Csr,
  row: number,
  emb: Float32Array,
  bias: Float32Array,
  dim: number,
  scale: number,
  other: Float64Array,
): number {
  const { indptr, indices, data } = features;
  let s = other[dim];
  for (let p = indptr[row], end = indptr[row + 1]; p < end; p++) {
    const f = indices[p];
    const base = f * dim;
    // Four partial sums break the chain of dependent additions (about 3x faster in V8).
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    let j = 0;
    for (; j + 3 < dim; j += 4) {
      d0 += other[j] * emb[base + j];
      d1 += other[j + 1] * emb[base + j + 1];
      d2 += other[j + 2] * emb[base + j + 2];
      d3 += other[j + 3] * emb[base + j + 3];
    }
    for (; j < dim; j++) d0 += other[j] * emb[base + j];
    s += data[p] * scale * (bias[f] + (d0 + d1) + (d2 + d3));
  }
  return s;
}

/** Score from two representations: dot product plus both biases. */
export function predictFromRepr(user: Float64Array, item: Float64Array, dim: number): number {
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    d0 += user[j] * item[j];
    d1 += user[j + 1] * item[j + 1];
    d2 += user[j + 2] * item[j + 2];
    d3 += user[j + 3] * item[j + 3];
  }
  for (; j < dim; j++) d0 += user[j] * item[j];
  return user[dim] + item[dim] + (d0 + d1) + (d2 + d3);
}

/**
 * Applies one gradient step to every feature of `row`: embedding gradient
 * `grad[j] * weight` per component and bias gradient `biasGrad * weight`.
 * Returns the sum of the per-parameter learning rates (for lazy regularisation).
 */
function updateRow(
  features: Csr,
  row: number,
  emb: Float32Array,
  embAcc: Float32Array,
  embDelta: Float32Array,
  bias: Float32Array,
  biasAcc: Float32Array,
  biasDelta: Float32Array,
  grad: Float64Array,
  biasGrad: number,
  alpha: number,
  h: Hyper,
  dim: number,
): number {
  const { indptr, indices, data } = features;
  let sumLr = 0;
  const lr = h.learningRate;
  if (!h.adadelta && !h.lazyScales) {
    // The common case, without regularisation: no learning-rate bookkeeping.
    for (let p = indptr[row], end = indptr[row + 1]; p < end; p++) {
      const f = indices[p];
      const w = data[p];
      let g = biasGrad * w;
      let a = biasAcc[f];
      bias[f] -= (lr / Math.sqrt(a)) * g;
      biasAcc[f] = a + g * g;
      const base = f * dim;
      for (let j = 0; j < dim; j++) {
        const o = base + j;
        g = grad[j] * w;
        a = embAcc[o];
        emb[o] -= (lr / Math.sqrt(a)) * g;
        embAcc[o] = a + g * g;
      }
    }
  } else if (!h.adadelta) {
    for (let p = indptr[row], end = indptr[row + 1]; p < end; p++) {
      const f = indices[p];
      const w = data[p];
      let g = biasGrad * w;
      let a = biasAcc[f];
      let llr = lr / Math.sqrt(a);
      bias[f] -= llr * g;
      biasAcc[f] = a + g * g;
      if (alpha !== 0) bias[f] *= 1 + alpha * llr;
      sumLr += llr;
      const base = f * dim;
      for (let j = 0; j < dim; j++) {
        const o = base + j;
        g = grad[j] * w;
        a = embAcc[o];
        llr = lr / Math.sqrt(a);
        emb[o] -= llr * g;
        embAcc[o] = a + g * g;
        if (alpha !== 0) emb[o] *= 1 + alpha * llr;
        sumLr += llr;
      }
    }
  } else {
    const rho = h.rho;
    const eps = h.epsilon;
    for (let p = indptr[row], end = indptr[row + 1]; p < end; p++) {
      const f = indices[p];
      const w = data[p];
      let g = biasGrad * w;
      let acc = rho * biasAcc[f] + (1 - rho) * g * g;
      biasAcc[f] = acc;
      let llr = Math.sqrt(biasDelta[f] + eps) / Math.sqrt(acc + eps);
      let step = llr * g;
      biasDelta[f] = rho * biasDelta[f] + (1 - rho) * step * step;
      bias[f] -= step;
      if (alpha !== 0) bias[f] *= 1 + alpha * llr;
      sumLr += llr;
      const base = f * dim;
      for (let j = 0; j < dim; j++) {
        const o = base + j;
        g = grad[j] * w;
        acc = rho * embAcc[o] + (1 - rho) * g * g;
        embAcc[o] = acc;
        llr = Math.sqrt(embDelta[o] + eps) / Math.sqrt(acc + eps);
        step = llr * g;
        embDelta[o] = rho * embDelta[o] + (1 - rho) * step * step;
        emb[o] -= step;
        if (alpha !== 0) emb[o] *= 1 + alpha * llr;
        sumLr += llr;
      }
    }
  }
  return sumLr;
}

function rowLength(m: Csr, row: number): number {
  return m.indptr[row + 1] - m.indptr[row];
}

/** Grows the lazy-regularisation scales by the step's average learning rate. */
function growScales(ctx: KernelContext, sumLr: number, nParams: number): void {
  const h = ctx.hyper;
  if (!h.lazyScales) return;
  const avg = sumLr / nParams;
  const s = ctx.params.scale;
  s[0] *= 1 + h.itemAlpha * avg;
  s[1] *= 1 + h.userAlpha * avg;
}

/** Folds the scales back when they grow too large; one thread at a time. */
function maybeRegularize(p: Params): void {
  if (p.scale[0] <= MAX_REG_SCALE && p.scale[1] <= MAX_REG_SCALE) return;
  while (Atomics.compareExchange(p.lock, 0, 0, 1) !== 0) {
    // another thread is folding the scales; spin briefly
  }
  try {
    if (p.scale[0] > MAX_REG_SCALE || p.scale[1] > MAX_REG_SCALE) regularize(p);
  } finally {
    Atomics.store(p.lock, 0, 0);
  }
}

/**
 * Pointwise step: gradient `loss` of the logistic loss with respect to the score
 * (sigmoid(score) - y, times the sample weight).
 */
export function pointwiseUpdate(ctx: KernelContext, loss: number, user: number, item: number): void {
  const { params: p, hyper: h, grad, userRepr, posRepr } = ctx;
  const dim = p.dim;
  let sumLr = 0;
  for (let j = 0; j < dim; j++) grad[j] = loss * userRepr[j];
  sumLr += updateRow(ctx.itemFeatures, item, p.itemEmb, p.itemEmbAcc, p.itemEmbDelta, p.itemBias, p.itemBiasAcc, p.itemBiasDelta, grad, loss, h.itemAlpha, h, dim);
  for (let j = 0; j < dim; j++) grad[j] = loss * posRepr[j];
  sumLr += updateRow(ctx.userFeatures, user, p.userEmb, p.userEmbAcc, p.userEmbDelta, p.userBias, p.userBiasAcc, p.userBiasDelta, grad, loss, h.userAlpha, h, dim);
  growScales(ctx, sumLr, (dim + 1) * (rowLength(ctx.userFeatures, user) + rowLength(ctx.itemFeatures, item)));
}

/**
 * Pairwise step: `loss` is the derivative of the loss with respect to
 * (negative score - positive score); reads the representations in ctx.
 */
export function pairwiseUpdate(ctx: KernelContext, loss: number, user: number, pos: number, neg: number): void {
  const { params: p, hyper: h, grad, userRepr, posRepr, negRepr } = ctx;
  const dim = p.dim;
  let sumLr = 0;
  for (let j = 0; j < dim; j++) grad[j] = -loss * userRepr[j];
  sumLr += updateRow(ctx.itemFeatures, pos, p.itemEmb, p.itemEmbAcc, p.itemEmbDelta, p.itemBias, p.itemBiasAcc, p.itemBiasDelta, grad, -loss, h.itemAlpha, h, dim);
  for (let j = 0; j < dim; j++) grad[j] = loss * userRepr[j];
  sumLr += updateRow(ctx.itemFeatures, neg, p.itemEmb, p.itemEmbAcc, p.itemEmbDelta, p.itemBias, p.itemBiasAcc, p.itemBiasDelta, grad, loss, h.itemAlpha, h, dim);
  for (let j = 0; j < dim; j++) grad[j] = loss * (negRepr[j] - posRepr[j]);
  sumLr += updateRow(ctx.userFeatures, user, p.userEmb, p.userEmbAcc, p.userEmbDelta, p.userBias, p.userBiasAcc, p.userBiasDelta, grad, 0, h.userAlpha, h, dim);
  growScales(ctx, sumLr, (dim + 1) * (rowLength(ctx.userFeatures, user) + rowLength(ctx.itemFeatures, pos) + rowLength(ctx.itemFeatures, neg)));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** xorshift32 step; the kernels keep the state in a local for speed. */
function xorshift(s: number): number {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return s;
}

/**
 * Runs examples shuffle[start..end) of one epoch with the context's loss. `seed` (nonzero)
 * seeds this thread's sampling stream.
 */
export function runRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  switch (ctx.hyper.loss) {
    case 'logistic':
      return logisticRange(ctx, shuffle, start, end);
    case 'bpr':
      return bprRange(ctx, shuffle, start, end, seed);
    case 'warp':
      return warpRange(ctx, shuffle, start, end, seed);
    case 'warp-kos':
      return warpKosRange(ctx, shuffle, start, end, seed);
  }
}

function logisticRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number): void {
  const { params: p, examples: ex, userRepr, posRepr } = ctx;
  const dim = p.dim;
  for (let i = start; i < end; i++) {
    const row = shuffle[i];
    const u = ex.users[row];
    const it = ex.items[row];
    const w = ex.weights[row];
    representation(ctx.userFeatures, u, p.userEmb, p.userBias, dim, p.scale[1], userRepr);
    representation(ctx.itemFeatures, it, p.itemEmb, p.itemBias, dim, p.scale[0], posRepr);
    const prediction = sigmoid(predictFromRepr(userRepr, posRepr, dim));
    // LightFM's convention: the sign of the interaction is the label, its magnitude the weight.
    const y = w > 0 ? 1 : 0;
    pointwiseUpdate(ctx, Math.abs(w) * (prediction - y), u, it);
    maybeRegularize(p);
  }
}

function bprRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  const { params: p, examples: ex, userRepr, posRepr, negRepr } = ctx;
  const dim = p.dim;
  const nExamples = ex.items.length;
  let s = seed | 0 || 1;
  for (let i = start; i < end; i++) {
    const row = shuffle[i];
    const w = ex.weights[row];
    if (!(w > 0)) continue;
    const u = ex.users[row];
    const pos = ex.items[row];
    // Negatives are drawn from the items of the training examples (popularity-weighted),
    // as LightFM does, retrying while the draw is one of the user's positives.
    let neg = pos;
    for (let tries = 0; tries < nExamples; tries++) {
      s = xorshift(s);
      neg = ex.items[(s >>> 1) % nExamples];
      if (!isPositive(ex, u, neg)) break;
    }
    representation(ctx.userFeatures, u, p.userEmb, p.userBias, dim, p.scale[1], userRepr);
    representation(ctx.itemFeatures, pos, p.itemEmb, p.itemBias, dim, p.scale[0], posRepr);
    representation(ctx.itemFeatures, neg, p.itemEmb, p.itemBias, dim, p.scale[0], negRepr);
    const diff = predictFromRepr(userRepr, posRepr, dim) - predictFromRepr(userRepr, negRepr, dim);
    pairwiseUpdate(ctx, w * (1 - sigmoid(diff)), u, pos, neg);
    maybeRegularize(p);
  }
}

function warpRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  const { params: p, examples: ex, userRepr, posRepr, negRepr } = ctx;
  const dim = p.dim;
  const nItems = ctx.itemFeatures.rows;
  const maxSampled = ctx.hyper.maxSampled;
  const positives = ex.positives;
  let s = seed | 0 || 1;
  for (let i = start; i < end; i++) {
    const row = shuffle[i];
    const w = ex.weights[row];
    if (!(w > 0)) continue;
    const u = ex.users[row];
    // A user who likes every item has no negative to sample.
    if (rowLength(positives, u) >= nItems) continue;
    const pos = ex.items[row];
    representation(ctx.userFeatures, u, p.userEmb, p.userBias, dim, p.scale[1], userRepr);
    representation(ctx.itemFeatures, pos, p.itemEmb, p.itemBias, dim, p.scale[0], posRepr);
    const posPred = predictFromRepr(userRepr, posRepr, dim);
    let sampled = 0;
    while (sampled < maxSampled) {
      s = xorshift(s);
      const neg = (s >>> 1) % nItems;
      if (isPositive(ex, u, neg)) continue;
      sampled++;
      if (scoreRow(ctx.itemFeatures, neg, p.itemEmb, p.itemBias, dim, p.scale[0], userRepr) > posPred - 1) {
        representation(ctx.itemFeatures, neg, p.itemEmb, p.itemBias, dim, p.scale[0], negRepr);
        // The number of draws estimates the positive's rank; log of it weights the step.
        let loss = w * Math.log(Math.max(1, Math.floor((nItems - 1) / sampled)));
        if (loss > MAX_LOSS) loss = MAX_LOSS;
        pairwiseUpdate(ctx, loss, u, pos, neg);
        break;
      }
    }
    maybeRegularize(p);
  }
}

function warpKosRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  const { params: p, examples: ex, userRepr, posRepr, negRepr, pairIdx, pairVal } = ctx;
  const dim = p.dim;
  const nItems = ctx.itemFeatures.rows;
  const { maxSampled, k, n } = ctx.hyper;
  const positives = ex.positives;
  let s = seed | 0 || 1;
  for (let i = start; i < end; i++) {
    const u = ex.users[shuffle[i]];
    const pStart = positives.indptr[u];
    const nPos = positives.indptr[u + 1] - pStart;
    if (nPos === 0 || nPos >= nItems) continue;
    representation(ctx.userFeatures, u, p.userEmb, p.userBias, dim, p.scale[1], userRepr);
    // Draw n of the user's positives and pick the k-th best scored as the anchor.
    const drawn = Math.min(n, nPos);
    for (let j = 0; j < drawn; j++) {
      s = xorshift(s);
      const item = positives.indices[pStart + ((s >>> 1) % nPos)];
      representation(ctx.itemFeatures, item, p.itemEmb, p.itemBias, dim, p.scale[0], posRepr);
      // insertion into a descending list
      const v = predictFromRepr(userRepr, posRepr, dim);
      let q = j;
      while (q > 0 && pairVal[q - 1] < v) {
        pairVal[q] = pairVal[q - 1];
        pairIdx[q] = pairIdx[q - 1];
        q--;
      }
      pairVal[q] = v;
      pairIdx[q] = item;
    }
    const anchor = Math.min(k, drawn) - 1;
    const pos = pairIdx[anchor];
    const posPred = pairVal[anchor];
    representation(ctx.itemFeatures, pos, p.itemEmb, p.itemBias, dim, p.scale[0], posRepr);
    const nNeg = nItems - nPos;
    let sampled = 0;
    while (sampled < maxSampled) {
      s = xorshift(s);
      const neg = (s >>> 1) % nItems;
      if (isPositive(ex, u, neg)) continue;
      sampled++;
      if (scoreRow(ctx.itemFeatures, neg, p.itemEmb, p.itemBias, dim, p.scale[0], userRepr) > posPred - 1) {
        representation(ctx.itemFeatures, neg, p.itemEmb, p.itemBias, dim, p.scale[0], negRepr);
        let loss = Math.log(Math.max(1, Math.floor(nNeg / sampled)));
        if (loss > MAX_LOSS) loss = MAX_LOSS;
        pairwiseUpdate(ctx, loss, u, pos, neg);
        break;
      }
    }
    maybeRegularize(p);
  }
}
