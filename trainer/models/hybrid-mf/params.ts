import type { Random } from '../../util/random.js';

/**
 * The trainable state of a hybrid MF model: per-feature embeddings and biases for users and
 * items, their adaptive learning-rate accumulators, and the lazy-regularisation scales.
 * Every array lives on a SharedArrayBuffer so that training threads update it in place
 * (Hogwild), exactly as LightFM's OpenMP threads share one set of parameters.
 */
export interface Params {
  dim: number;
  itemEmb: Float32Array;
  itemEmbAcc: Float32Array;
  /** adadelta's running mean of squared updates; empty with adagrad. */
  itemEmbDelta: Float32Array;
  itemBias: Float32Array;
  itemBiasAcc: Float32Array;
  itemBiasDelta: Float32Array;
  userEmb: Float32Array;
  userEmbAcc: Float32Array;
  userEmbDelta: Float32Array;
  userBias: Float32Array;
  userBiasAcc: Float32Array;
  userBiasDelta: Float32Array;
  /** [itemScale, userScale]: parameters are stored multiplied out by these (lazy L2). */
  scale: Float64Array;
  /** [0]: spin lock taken by the thread that folds the scales back into the parameters. */
  lock: Int32Array;
}

export type Schedule = 'adagrad' | 'adadelta';

function shared32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(Math.max(n, 0) * 4));
}

/**
 * Allocates and initialises parameters as LightFM does: embeddings uniform in
 * [-0.5, 0.5) / dim, biases zero, adagrad accumulators one, adadelta accumulators zero.
 */
export function initParams(
  nItemFeatures: number,
  nUserFeatures: number,
  dim: number,
  schedule: Schedule,
  rng: Random,
): Params {
  const adadelta = schedule === 'adadelta';
  const acc0 = adadelta ? 0 : 1;
  const p: Params = {
    dim,
    itemEmb: shared32(nItemFeatures * dim),
    itemEmbAcc: shared32(nItemFeatures * dim).fill(acc0),
    itemEmbDelta: shared32(adadelta ? nItemFeatures * dim : 0),
    itemBias: shared32(nItemFeatures),
    itemBiasAcc: shared32(nItemFeatures).fill(acc0),
    itemBiasDelta: shared32(adadelta ? nItemFeatures : 0),
    userEmb: shared32(nUserFeatures * dim),
    userEmbAcc: shared32(nUserFeatures * dim).fill(acc0),
    userEmbDelta: shared32(adadelta ? nUserFeatures * dim : 0),
    userBias: shared32(nUserFeatures),
    userBiasAcc: shared32(nUserFeatures).fill(acc0),
    userBiasDelta: shared32(adadelta ? nUserFeatures : 0),
    scale: new Float64Array(new SharedArrayBuffer(16)).fill(1),
    lock: new Int32Array(new SharedArrayBuffer(4)),
  };
  for (let i = 0; i < p.itemEmb.length; i++) p.itemEmb[i] = (rng.next() - 0.5) / dim;
  for (let i = 0; i < p.userEmb.length; i++) p.userEmb[i] = (rng.next() - 0.5) / dim;
  return p;
}

/** Folds the lazy-regularisation scales into the parameters and resets them to 1. */
export function regularize(p: Params): void {
  const is = p.scale[0];
  const us = p.scale[1];
  if (is !== 1) {
    for (let i = 0; i < p.itemEmb.length; i++) p.itemEmb[i] /= is;
    for (let i = 0; i < p.itemBias.length; i++) p.itemBias[i] /= is;
  }
  if (us !== 1) {
    for (let i = 0; i < p.userEmb.length; i++) p.userEmb[i] /= us;
    for (let i = 0; i < p.userBias.length; i++) p.userBias[i] /= us;
  }
  p.scale[0] = 1;
  p.scale[1] = 1;
}

/** The name of the first parameter array holding a NaN or an infinity, or null. */
export function firstNonFinite(p: Params): string | null {
  const arrays: [string, Float32Array][] = [
    ['item embeddings', p.itemEmb],
    ['item biases', p.itemBias],
    ['user embeddings', p.userEmb],
    ['user biases', p.userBias],
  ];
  for (const [name, a] of arrays) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return name;
  }
  return null;
}
