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
import { regularize, relocateParams, scratchStride, MAX_THREADS, type Params } from './params.js';
import { instantiateSimd, type Simd } from './simd.js';

export type Loss = 'logistic' | 'bpr' | 'warp' | 'warp-kos';

/** LightFM clips the WARP rank weight at this value. */
const MAX_LOSS = 10;
/** Scales beyond this are folded back into the parameters at once. */
const MAX_REG_SCALE = 1e6;

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
const POSITIVE_BITMAP_MAX_BYTES = 64 * 1024 * 1024;

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

/**
 * Everything a thread needs to run epochs. The scratch vectors (representations and the
 * gradient) live in the thread's slot of the shared memory, where the SIMD loops read them;
 * `*Ptr` are their byte offsets, the Float32Arrays views of the same bytes.
 */
interface KernelContext {
  params: Params;
  itemFeatures: Csr;
  userFeatures: Csr;
  examples: Examples;
  hyper: Hyper;
  simd: Simd;
  userRepr: Float32Array;
  posRepr: Float32Array;
  negRepr: Float32Array;
  grad: Float32Array;
  userPtr: number;
  posPtr: number;
  negPtr: number;
  gradPtr: number;
  /** Byte offsets of the embedding arrays (reading .byteOffset in the loops is slow). */
  itemEmbPtr: number;
  itemAccPtr: number;
  userEmbPtr: number;
  userAccPtr: number;
  /** The item features are the identity (row i = feature i, weight 1): the samplers skip the CSR. */
  itemIdentity: boolean;
  /** This thread's xorshift32 state, and the draws of the last WARP search. */
  rng: number;
  sampled: number;
  pairIdx: Int32Array;
  pairVal: Float64Array;
  /** Offset of the WARP loop's context in the memory (see placeWarpData); 0: the JavaScript loop. */
  warpCtx: number;
  /** Byte offset of this thread's scratch vectors. */
  scratchPtr: number;
}

/** Whether the WARP loop in WebAssembly (simd.wat, warpRange) applies: adagrad without L2. */
export function warpInWasm(hyper: Hyper): boolean {
  return hyper.loss === 'warp' && !hyper.adadelta && !hyper.lazyScales;
}

/**
 * Puts what the WARP loop reads into the parameters' memory, after the parameters: its
 * context (the offsets, see simd.wat), the rank weights, the examples, the shuffle, both
 * feature matrices and the positives (and their bitmap). Returns the parameters in their
 * new memory (relocateParams), the context's offset and the shuffle as a view there.
 */
export function placeWarpData(
  p: Params,
  examples: Examples,
  itemFeatures: Csr,
  userFeatures: Csr,
  hyper: Hyper,
): { params: Params; warpCtx: number; shuffle: Int32Array } {
  const n = examples.users.length;
  const align = (x: number) => Math.ceil(x / 16) * 16;
  const parts: [string, number][] = [
    ['ctx', 128],
    ['rank', 4 * (hyper.maxSampled + 1)],
    ['users', 4 * n],
    ['items', 4 * n],
    ['weights', 4 * n],
    ['shuffle', 4 * n],
    ['iPtr', 4 * itemFeatures.indptr.length],
    ['iPairs', 8 * itemFeatures.indices.length],
    ['uPtr', 4 * userFeatures.indptr.length],
    ['uPairs', 8 * userFeatures.indices.length],
    ['posPtr', 4 * examples.positives.indptr.length],
    ['posIdx', 4 * examples.positives.indices.length],
    ['bits', examples.positiveBits === null ? 0 : 4 * examples.positiveBits.length],
  ];
  let bytes = 0;
  const rel: Record<string, number> = {};
  for (const [name, size] of parts) {
    rel[name] = bytes;
    bytes += align(size);
  }
  const { params, extraOffset } = relocateParams(p, bytes);
  const buf = params.memory.buffer;
  const at: Record<string, number> = {};
  for (const [name] of parts) at[name] = extraOffset + rel[name];
  // Copied as bytes: every array here is 4 bytes an element.
  const put = (name: string, a: Int32Array | Float32Array | Uint32Array) => {
    new Uint8Array(buf, at[name], a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  };
  put('users', examples.users);
  put('items', examples.items);
  put('weights', examples.weights);
  put('iPtr', itemFeatures.indptr);
  put('uPtr', userFeatures.indptr);
  // (feature, weight) pairs: a row's features and weights on the same cache lines.
  for (const [name, m] of [
    ['iPairs', itemFeatures],
    ['uPairs', userFeatures],
  ] as const) {
    const idx = new Int32Array(buf, at[name], 2 * m.indices.length);
    const dat = new Float32Array(buf, at[name], 2 * m.indices.length);
    for (let q = 0; q < m.indices.length; q++) {
      idx[2 * q] = m.indices[q];
      dat[2 * q + 1] = m.data[q];
    }
  }
  put('posPtr', examples.positives.indptr);
  put('posIdx', examples.positives.indices);
  if (examples.positiveBits !== null) put('bits', examples.positiveBits);
  const nItems = itemFeatures.rows;
  const rank = new Float32Array(buf, at.rank, hyper.maxSampled + 1);
  for (let k = 1; k <= hyper.maxSampled; k++) rank[k] = Math.min(Math.log(Math.max(1, Math.floor((nItems - 1) / k))), MAX_LOSS);
  const ctx = new Int32Array(buf, at.ctx, 32);
  const slots = [
    params.itemEmb.byteOffset,
    params.itemEmbAcc.byteOffset,
    params.itemBias.byteOffset,
    params.itemBiasAcc.byteOffset,
    params.userEmb.byteOffset,
    params.userEmbAcc.byteOffset,
    params.userBias.byteOffset,
    params.userBiasAcc.byteOffset,
    at.iPtr,
    at.iPairs,
    at.iPairs + 4,
    at.uPtr,
    at.uPairs,
    at.uPairs + 4,
    at.users,
    at.items,
    at.weights,
    at.posPtr,
    at.posIdx,
    examples.positiveBits === null ? 0 : at.bits,
    examples.wordsPerUser,
    nItems,
    params.dim,
    hyper.maxSampled,
    isIdentity(itemFeatures) ? 1 : 0,
  ];
  ctx.set(slots);
  new Float32Array(buf, at.ctx + 100, 1)[0] = hyper.learningRate;
  ctx[26] = at.rank;
  return { params, warpCtx: at.ctx, shuffle: new Int32Array(buf, at.shuffle, n) };
}

/** Whether `m` is the identity matrix (square, row i holding column i with weight 1). */
function isIdentity(m: Csr): boolean {
  if (m.rows !== m.cols || m.indices.length !== m.rows) return false;
  for (let i = 0; i < m.rows; i++) {
    if (m.indptr[i] !== i || m.indices[i] !== i || m.data[i] !== 1) return false;
  }
  return true;
}

/** A thread's context; `slot` (0 .. MAX_THREADS-1) picks its scratch space. */
export function createContext(params: Params, itemFeatures: Csr, userFeatures: Csr, examples: Examples, hyper: Hyper, slot = 0, warpCtx = 0): KernelContext {
  if (!(slot >= 0 && slot < MAX_THREADS)) throw new RangeError(`thread slot ${slot} outside [0, ${MAX_THREADS})`);
  const d = params.dim;
  const stride = scratchStride(d);
  const base = params.scratchOffset + slot * params.scratchSlotBytes;
  const vec = (k: number) => new Float32Array(params.memory.buffer, base + k * stride * 4, d + 1);
  return {
    params,
    itemFeatures,
    userFeatures,
    examples,
    hyper,
    simd: instantiateSimd(params.memory),
    userRepr: vec(0),
    posRepr: vec(1),
    negRepr: vec(2),
    grad: vec(3),
    userPtr: base,
    posPtr: base + stride * 4,
    negPtr: base + 2 * stride * 4,
    gradPtr: base + 3 * stride * 4,
    itemEmbPtr: params.itemEmb.byteOffset,
    itemAccPtr: params.itemEmbAcc.byteOffset,
    userEmbPtr: params.userEmb.byteOffset,
    userAccPtr: params.userEmbAcc.byteOffset,
    itemIdentity: isIdentity(itemFeatures),
    rng: 1,
    sampled: 0,
    pairIdx: new Int32Array(Math.max(hyper.n, 1)),
    pairVal: new Float64Array(Math.max(hyper.n, 1)),
    warpCtx,
    scratchPtr: base,
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
  out: Float64Array | Float32Array,
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

/** Score from two representations: dot product plus both biases. */
export function predictFromRepr(user: Float64Array | Float32Array, item: Float64Array | Float32Array, dim: number): number {
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

/** Writes the representation of `row` into the scratch vector at `outPtr` (SIMD). */
function reprInto(ctx: KernelContext, features: Csr, row: number, embPtr: number, bias: Float32Array, scale: number, out: Float32Array, outPtr: number): void {
  const { indptr, indices, data } = features;
  const dim = ctx.params.dim;
  const simd = ctx.simd;
  const start = indptr[row];
  const end = indptr[row + 1];
  if (start === end) {
    out.fill(0);
    return;
  }
  let f = indices[start];
  let w = data[start] * scale;
  simd.scale(outPtr, w, embPtr + f * dim * 4, dim);
  let b = w * bias[f];
  for (let p = start + 1; p < end; p++) {
    f = indices[p];
    w = data[p] * scale;
    simd.axpy(outPtr, w, embPtr + f * dim * 4, dim);
    b += w * bias[f];
  }
  out[dim] = b;
}

/**
 * Score of item `row` against the finished representation at `otherPtr`, feature by
 * feature, without building the item's representation: the samplers call this for every
 * candidate negative.
 */
function scoreAgainst(
  ctx: KernelContext,
  features: Csr,
  row: number,
  embPtr: number,
  bias: Float32Array,
  scale: number,
  other: Float32Array,
  otherPtr: number,
): number {
  const { indptr, indices, data } = features;
  const dim = ctx.params.dim;
  const simd = ctx.simd;
  let s = other[dim];
  for (let p = indptr[row], end = indptr[row + 1]; p < end; p++) {
    const f = indices[p];
    s += data[p] * scale * (bias[f] + simd.dot(otherPtr, embPtr + f * dim * 4, dim));
  }
  return s;
}

/** Score from two scratch representations. */
function predictScratch(ctx: KernelContext, a: Float32Array, aPtr: number, b: Float32Array, bPtr: number): number {
  const dim = ctx.params.dim;
  return a[dim] + b[dim] + ctx.simd.dot(aPtr, bPtr, dim);
}

/**
 * Applies one gradient step to every feature of `row`: embedding gradient
 * `grad[j] * weight` per component and bias gradient `biasGrad * weight`.
 * Returns the sum of the per-parameter learning rates (for lazy regularisation; 0 when no
 * regularisation is asked for, where the SIMD adagrad loop does the work).
 */
function updateRow(
  ctx: KernelContext,
  features: Csr,
  row: number,
  emb: Float32Array,
  embPtr: number,
  embAcc: Float32Array,
  accPtr: number,
  embDelta: Float32Array,
  bias: Float32Array,
  biasAcc: Float32Array,
  biasDelta: Float32Array,
  biasGrad: number,
  alpha: number,
): number {
  const { indptr, indices, data } = features;
  const h = ctx.hyper;
  const dim = ctx.params.dim;
  const grad = ctx.grad;
  const lr = h.learningRate;
  let sumLr = 0;
  if (!h.adadelta && !h.lazyScales) {
    const simd = ctx.simd;
    for (let p = indptr[row], end = indptr[row + 1]; p < end; p++) {
      const f = indices[p];
      const w = data[p];
      const g = biasGrad * w;
      const a = biasAcc[f];
      bias[f] -= (lr / Math.sqrt(a)) * g;
      biasAcc[f] = a + g * g;
      simd.adagrad(embPtr + f * dim * 4, accPtr + f * dim * 4, ctx.gradPtr, w, lr, dim);
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
      bias[f] *= 1 + alpha * llr;
      sumLr += llr;
      const base = f * dim;
      for (let j = 0; j < dim; j++) {
        const o = base + j;
        g = grad[j] * w;
        a = embAcc[o];
        llr = lr / Math.sqrt(a);
        emb[o] -= llr * g;
        embAcc[o] = a + g * g;
        emb[o] *= 1 + alpha * llr;
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
 * Pointwise step: `loss` is the derivative of the logistic loss with respect to the score
 * (sigmoid(score) - y, times the sample weight). Reads the representations in ctx.
 */
function pointwiseUpdate(ctx: KernelContext, loss: number, user: number, item: number): void {
  const { params: p, hyper: h, simd } = ctx;
  const dim = p.dim;
  let sumLr = 0;
  simd.scale(ctx.gradPtr, loss, ctx.userPtr, dim);
  sumLr += updateRow(
    ctx,
    ctx.itemFeatures,
    item,
    p.itemEmb,
    ctx.itemEmbPtr,
    p.itemEmbAcc,
    ctx.itemAccPtr,
    p.itemEmbDelta,
    p.itemBias,
    p.itemBiasAcc,
    p.itemBiasDelta,
    loss,
    h.itemAlpha,
  );
  simd.scale(ctx.gradPtr, loss, ctx.posPtr, dim);
  sumLr += updateRow(
    ctx,
    ctx.userFeatures,
    user,
    p.userEmb,
    ctx.userEmbPtr,
    p.userEmbAcc,
    ctx.userAccPtr,
    p.userEmbDelta,
    p.userBias,
    p.userBiasAcc,
    p.userBiasDelta,
    loss,
    h.userAlpha,
  );
  growScales(ctx, sumLr, (dim + 1) * (rowLength(ctx.userFeatures, user) + rowLength(ctx.itemFeatures, item)));
}

/**
 * Pairwise step: `loss` is the derivative of the loss with respect to
 * (negative score - positive score). Reads the representations in ctx.
 */
function pairwiseUpdate(ctx: KernelContext, loss: number, user: number, pos: number, neg: number): void {
  const { params: p, hyper: h, simd } = ctx;
  const dim = p.dim;
  let sumLr = 0;
  simd.scale(ctx.gradPtr, -loss, ctx.userPtr, dim);
  sumLr += updateRow(
    ctx,
    ctx.itemFeatures,
    pos,
    p.itemEmb,
    ctx.itemEmbPtr,
    p.itemEmbAcc,
    ctx.itemAccPtr,
    p.itemEmbDelta,
    p.itemBias,
    p.itemBiasAcc,
    p.itemBiasDelta,
    -loss,
    h.itemAlpha,
  );
  simd.scale(ctx.gradPtr, loss, ctx.userPtr, dim);
  sumLr += updateRow(
    ctx,
    ctx.itemFeatures,
    neg,
    p.itemEmb,
    ctx.itemEmbPtr,
    p.itemEmbAcc,
    ctx.itemAccPtr,
    p.itemEmbDelta,
    p.itemBias,
    p.itemBiasAcc,
    p.itemBiasDelta,
    loss,
    h.itemAlpha,
  );
  simd.scaledDiff(ctx.gradPtr, loss, ctx.negPtr, ctx.posPtr, dim);
  sumLr += updateRow(
    ctx,
    ctx.userFeatures,
    user,
    p.userEmb,
    ctx.userEmbPtr,
    p.userEmbAcc,
    ctx.userAccPtr,
    p.userEmbDelta,
    p.userBias,
    p.userBiasAcc,
    p.userBiasDelta,
    0,
    h.userAlpha,
  );
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
      logisticRange(ctx, shuffle, start, end);
      return;
    case 'bpr':
      bprRange(ctx, shuffle, start, end, seed);
      return;
    case 'warp':
      if (ctx.warpCtx !== 0) warpRangeWasm(ctx, shuffle, start, end, seed);
      else warpRange(ctx, shuffle, start, end, seed);
      return;
    case 'warp-kos':
      warpKosRange(ctx, shuffle, start, end, seed);
      return;
  }
}

/** Examples per call of the WebAssembly WARP loop (see warpRangeWasm). */
const WASM_CHUNK = 8192;

/**
 * The WARP loop in WebAssembly, a chunk of examples per call, the sampling state carried
 * from one call to the next (so the result is that of one call over the whole range).
 * V8 runs a wasm function first from its baseline compiler and switches to the optimised
 * code only at the next call: in chunks, the optimised loop takes over within the first
 * epoch instead of after it.
 */
function warpRangeWasm(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  let s = seed | 0 || 1;
  for (let from = start; from < end; from += WASM_CHUNK) {
    s = ctx.simd.warpRange(ctx.warpCtx, ctx.scratchPtr, shuffle.byteOffset, from, Math.min(end, from + WASM_CHUNK), s);
  }
  ctx.rng = s;
}

function logisticRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number): void {
  const { params: p, examples: ex, userRepr, posRepr, userPtr, posPtr, userFeatures, itemFeatures } = ctx;
  for (let i = start; i < end; i++) {
    const row = shuffle[i];
    const u = ex.users[row];
    const it = ex.items[row];
    const w = ex.weights[row];
    reprInto(ctx, userFeatures, u, ctx.userEmbPtr, p.userBias, p.scale[1], userRepr, userPtr);
    reprInto(ctx, itemFeatures, it, ctx.itemEmbPtr, p.itemBias, p.scale[0], posRepr, posPtr);
    const prediction = sigmoid(predictScratch(ctx, userRepr, userPtr, posRepr, posPtr));
    // LightFM's convention: the sign of the interaction is the label, its magnitude the weight.
    const y = w > 0 ? 1 : 0;
    pointwiseUpdate(ctx, Math.abs(w) * (prediction - y), u, it);
    maybeRegularize(p);
  }
}

function bprRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  const { params: p, examples: ex, userRepr, posRepr, negRepr, userPtr, posPtr, negPtr, userFeatures, itemFeatures } = ctx;
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
    reprInto(ctx, userFeatures, u, ctx.userEmbPtr, p.userBias, p.scale[1], userRepr, userPtr);
    reprInto(ctx, itemFeatures, pos, ctx.itemEmbPtr, p.itemBias, p.scale[0], posRepr, posPtr);
    reprInto(ctx, itemFeatures, neg, ctx.itemEmbPtr, p.itemBias, p.scale[0], negRepr, negPtr);
    const diff = predictScratch(ctx, userRepr, userPtr, posRepr, posPtr) - predictScratch(ctx, userRepr, userPtr, negRepr, negPtr);
    pairwiseUpdate(ctx, w * (1 - sigmoid(diff)), u, pos, neg);
    maybeRegularize(p);
  }
}

/**
 * WARP's search for a violating negative: draws items uniformly until one that is not a
 * positive of user `u` scores above `posPred - 1` (returned, its representation left in
 * negRepr) or `maxSampled` draws, positives included, fail (returns -1). `ctx.sampled`
 * holds the number of draws.
 */
function sampleViolator(ctx: KernelContext, u: number, posPred: number, itemScale: number): number {
  const { params: p, examples: ex, simd, itemFeatures, userRepr, userPtr } = ctx;
  const nItems = itemFeatures.rows;
  const maxSampled = ctx.hyper.maxSampled;
  const bits = ex.positiveBits;
  const dim = p.dim;
  const rowBytes = dim * 4;
  const userBias = userRepr[dim];
  const bitRow = u * ex.wordsPerUser;
  let s = ctx.rng;
  let sampled = 0;
  let found = -1;
  while (sampled < maxSampled) {
    s = xorshift(s);
    const neg = (s >>> 1) % nItems;
    // Every draw counts, a positive too (it is just never the negative), as in LightFM: the
    // number of draws is the rank estimate, and a user with many positives gets no extra tries.
    sampled++;
    if (bits !== null ? ((bits[bitRow + (neg >>> 5)] >>> (neg & 31)) & 1) === 1 : csrHas(ex.positives, u, neg)) continue;
    const negPred = ctx.itemIdentity
      ? userBias + itemScale * (p.itemBias[neg] + simd.dot(userPtr, ctx.itemEmbPtr + neg * rowBytes, dim))
      : scoreAgainst(ctx, itemFeatures, neg, ctx.itemEmbPtr, p.itemBias, itemScale, userRepr, userPtr);
    if (negPred > posPred - 1) {
      reprInto(ctx, itemFeatures, neg, ctx.itemEmbPtr, p.itemBias, itemScale, ctx.negRepr, ctx.negPtr);
      found = neg;
      break;
    }
  }
  ctx.rng = s;
  ctx.sampled = sampled;
  return found;
}

function warpRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  const { params: p, examples: ex, userRepr, posRepr, userPtr, posPtr, userFeatures, itemFeatures } = ctx;
  const nItems = itemFeatures.rows;
  ctx.rng = seed | 0 || 1;
  for (let i = start; i < end; i++) {
    const row = shuffle[i];
    const w = ex.weights[row];
    if (!(w > 0)) continue;
    const u = ex.users[row];
    // A user who likes every item has no negative to sample.
    if (rowLength(ex.positives, u) >= nItems) continue;
    const pos = ex.items[row];
    const itemScale = p.scale[0];
    reprInto(ctx, userFeatures, u, ctx.userEmbPtr, p.userBias, p.scale[1], userRepr, userPtr);
    reprInto(ctx, itemFeatures, pos, ctx.itemEmbPtr, p.itemBias, itemScale, posRepr, posPtr);
    const neg = sampleViolator(ctx, u, predictScratch(ctx, userRepr, userPtr, posRepr, posPtr), itemScale);
    if (neg >= 0) {
      // The number of draws estimates the positive's rank; log of it weights the step.
      const loss = w * Math.log(Math.max(1, Math.floor((nItems - 1) / ctx.sampled)));
      pairwiseUpdate(ctx, Math.min(loss, MAX_LOSS), u, pos, neg);
    }
    maybeRegularize(p);
  }
}

function warpKosRange(ctx: KernelContext, shuffle: Int32Array, start: number, end: number, seed: number): void {
  const { params: p, examples: ex, userRepr, posRepr, userPtr, posPtr, userFeatures, itemFeatures, pairIdx, pairVal } = ctx;
  const nItems = itemFeatures.rows;
  const { k, n } = ctx.hyper;
  const positives = ex.positives;
  ctx.rng = seed | 0 || 1;
  for (let i = start; i < end; i++) {
    const u = ex.users[shuffle[i]];
    const pStart = positives.indptr[u];
    const nPos = positives.indptr[u + 1] - pStart;
    if (nPos === 0 || nPos >= nItems) continue;
    const itemScale = p.scale[0];
    reprInto(ctx, userFeatures, u, ctx.userEmbPtr, p.userBias, p.scale[1], userRepr, userPtr);
    // Draw n of the user's positives and pick the k-th best scored as the anchor.
    const drawn = Math.min(n, nPos);
    let s = ctx.rng;
    for (let j = 0; j < drawn; j++) {
      s = xorshift(s);
      const item = positives.indices[pStart + ((s >>> 1) % nPos)];
      const v = scoreAgainst(ctx, itemFeatures, item, ctx.itemEmbPtr, p.itemBias, itemScale, userRepr, userPtr);
      // insertion into a list sorted by descending score
      let q = j;
      while (q > 0 && pairVal[q - 1] < v) {
        pairVal[q] = pairVal[q - 1];
        pairIdx[q] = pairIdx[q - 1];
        q--;
      }
      pairVal[q] = v;
      pairIdx[q] = item;
    }
    ctx.rng = s;
    const anchor = Math.min(k, drawn) - 1;
    const pos = pairIdx[anchor];
    reprInto(ctx, itemFeatures, pos, ctx.itemEmbPtr, p.itemBias, itemScale, posRepr, posPtr);
    const neg = sampleViolator(ctx, u, pairVal[anchor], itemScale);
    if (neg >= 0) {
      // LightFM's k-OS weight, like WARP's, counts every item but one as a possible
      // violator; max(1, ...) only matters when maxSampled >= nItems - 1, where LightFM
      // would take log(0).
      const loss = Math.log(Math.max(1, Math.floor((nItems - 1) / ctx.sampled)));
      pairwiseUpdate(ctx, Math.min(loss, MAX_LOSS), u, pos, neg);
    }
    maybeRegularize(p);
  }
}
