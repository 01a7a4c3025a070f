import type { Random } from '../../util/random.js';
import { sharedMemory } from './simd.js';

/**
 * The trainable state of a hybrid MF model: per-feature embeddings and biases for users and
 * items, their adaptive learning-rate accumulators, and the lazy-regularisation scales.
 * Every array lives in one shared WebAssembly memory, so that the SIMD loops and all
 * training threads update it in place (Hogwild), as LightFM's OpenMP threads share one set
 * of parameters.
 */
export interface Params {
  dim: number;
  /**
   * One shared wasm memory holds every array below (they are views into it), so that the
   * SIMD loops and all training threads work on the same bytes.
   */
  memory: WebAssembly.Memory;
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
  /** Per-thread scratch vectors: slot t starts at scratchOffset + t * scratchSlotBytes. */
  scratchOffset: number;
  scratchSlotBytes: number;
}

export type Schedule = 'adagrad' | 'adadelta';

/** Most training threads (scratch slots) a model supports. */
export const MAX_THREADS = 64;

/** Floats of one scratch vector: dim values and a bias, rounded up to whole SIMD lanes. */
export function scratchStride(dim: number): number {
  return Math.ceil((dim + 1) / 4) * 4;
}

/**
 * Allocates and initialises parameters as LightFM does: embeddings uniform in
 * [-0.5, 0.5) / dim, biases zero, adagrad accumulators one, adadelta accumulators zero.
 */
export function initParams(nItemFeatures: number, nUserFeatures: number, dim: number, schedule: Schedule, rng: Random): Params {
  const adadelta = schedule === 'adadelta';
  const acc0 = adadelta ? 0 : 1;
  const sizes: [string, number, 4 | 8][] = [
    ['itemEmb', nItemFeatures * dim, 4],
    ['itemEmbAcc', nItemFeatures * dim, 4],
    ['itemEmbDelta', adadelta ? nItemFeatures * dim : 0, 4],
    ['itemBias', nItemFeatures, 4],
    ['itemBiasAcc', nItemFeatures, 4],
    ['itemBiasDelta', adadelta ? nItemFeatures : 0, 4],
    ['userEmb', nUserFeatures * dim, 4],
    ['userEmbAcc', nUserFeatures * dim, 4],
    ['userEmbDelta', adadelta ? nUserFeatures * dim : 0, 4],
    ['userBias', nUserFeatures, 4],
    ['userBiasAcc', nUserFeatures, 4],
    ['userBiasDelta', adadelta ? nUserFeatures : 0, 4],
    ['scale', 2, 8],
    ['lock', 1, 4],
  ];
  const align = (n: number) => Math.ceil(n / 16) * 16;
  const offsets: number[] = [];
  let bytes = 16; // keep offset 0 unused
  for (const [, n, width] of sizes) {
    offsets.push(bytes);
    bytes = align(bytes + n * width);
  }
  const scratchSlotBytes = 4 * scratchStride(dim) * 4;
  const scratchOffset = bytes;
  bytes += MAX_THREADS * scratchSlotBytes;
  const memory = sharedMemory(bytes);
  const buf = memory.buffer;
  const view = (k: number) => {
    const [name, n] = sizes[k];
    if (name === 'scale') return new Float64Array(buf, offsets[k], n);
    if (name === 'lock') return new Int32Array(buf, offsets[k], n);
    return new Float32Array(buf, offsets[k], n);
  };
  const p = {
    dim,
    memory,
    scratchOffset,
    scratchSlotBytes,
    ...Object.fromEntries(sizes.map(([name], k) => [name, view(k)])),
  } as unknown as Params;
  p.itemEmbAcc.fill(acc0);
  p.itemBiasAcc.fill(acc0);
  p.userEmbAcc.fill(acc0);
  p.userBiasAcc.fill(acc0);
  p.scale.fill(1);
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

/** Bytes of the memory that the parameters and the threads' scratch use (the rest is free). */
export function paramsBytes(p: Params): number {
  return p.scratchOffset + MAX_THREADS * p.scratchSlotBytes;
}

/**
 * The same parameters in a new shared memory with `extraBytes` free after them (at the
 * returned offset, 16-aligned): the WARP loop (simd.wat) reads its data from the memory
 * that holds the parameters. Every view keeps its offset; the old memory is left as it was.
 */
export function relocateParams(p: Params, extraBytes: number): { params: Params; extraOffset: number } {
  const used = paramsBytes(p);
  const extraOffset = Math.ceil(used / 16) * 16;
  const memory = sharedMemory(extraOffset + extraBytes);
  new Uint8Array(memory.buffer, 0, used).set(new Uint8Array(p.memory.buffer, 0, used));
  const buf = memory.buffer;
  const f32 = (a: Float32Array) => new Float32Array(buf, a.byteOffset, a.length);
  return {
    params: {
      dim: p.dim,
      memory,
      itemEmb: f32(p.itemEmb),
      itemEmbAcc: f32(p.itemEmbAcc),
      itemEmbDelta: f32(p.itemEmbDelta),
      itemBias: f32(p.itemBias),
      itemBiasAcc: f32(p.itemBiasAcc),
      itemBiasDelta: f32(p.itemBiasDelta),
      userEmb: f32(p.userEmb),
      userEmbAcc: f32(p.userEmbAcc),
      userEmbDelta: f32(p.userEmbDelta),
      userBias: f32(p.userBias),
      userBiasAcc: f32(p.userBiasAcc),
      userBiasDelta: f32(p.userBiasDelta),
      scale: new Float64Array(buf, p.scale.byteOffset, p.scale.length),
      lock: new Int32Array(buf, p.lock.byteOffset, p.lock.length),
      scratchOffset: p.scratchOffset,
      scratchSlotBytes: p.scratchSlotBytes,
    },
    extraOffset,
  };
}
