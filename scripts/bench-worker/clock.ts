/**
 * Sub-millisecond timings from the Workers runtime's clock, which moves in whole
 * milliseconds (performance.now() and Date.now() both). A measurement starts right on a
 * clock tick. After the work it counts the clock reads that fit before the next tick
 * (`rest`) and takes
 *
 *   elapsed = (that tick - start tick) - rest / readsPerMs
 *
 * The read rate varies by 10% and more on a busy machine, so it is measured all along:
 * each measurement also counts the reads of one whole tick, and `readsPerMs` is the
 * median of the last 31 such counts (a tick during which the isolate was descheduled
 * does not spoil it). Each measurement costs up to 2 ms of spinning beyond the work.
 */

/** Spins to the next clock tick; returns its time and the number of reads it took. */
function nextTick(): { t: number; reads: number } {
  const t0 = performance.now();
  let t = t0;
  let reads = 0;
  while (t === t0) {
    t = performance.now();
    reads++;
  }
  return { t, reads };
}

export class MsClock {
  private readonly rates: number[] = [];

  constructor() {
    nextTick();
    for (let k = 0; k < 31; k++) this.rates.push(nextTick().reads);
  }

  /** Clock reads per millisecond: the median of the recent whole-tick counts. */
  readsPerMs(): number {
    const s = [...this.rates].sort((a, b) => a - b);
    return s[s.length >> 1];
  }

  /** How long `fn` takes, in ms. */
  time(fn: () => void): number {
    const start = nextTick().t;
    fn();
    const end = nextTick();
    this.rates.push(nextTick().reads);
    if (this.rates.length > 31) this.rates.shift();
    return end.t - start - Math.min(1, end.reads / this.readsPerMs());
  }
}
