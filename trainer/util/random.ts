/**
 * Seeded pseudo-random numbers. Everything random in training and data generation goes
 * through this module so that a seed reproduces a run exactly.
 */

/** A seeded generator (mulberry32 core): 32-bit state, uniform floats and integers. */
export class Random {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // Spread small consecutive seeds apart so that seeds 1, 2, 3 give unrelated streams.
    this.state = hash32(Math.trunc(seed) >>> 0);
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal deviate (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Shuffles `a` in place (Fisher-Yates). */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** The generator's state, to save and resume a stream. */
  getState(): number {
    return this.state;
  }

  setState(state: number): void {
    this.state = state | 0;
  }
}

/** Integer hash (murmur3 finaliser); never returns 0 for the xorshift kernels' sake. */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h === 0 ? 0x9e3779b9 : h >>> 0;
}
