const DAY_MS = 86_400_000;

/**
 * Recency weights to multiply into interaction weights: 0.5^(age / halfLifeDays), where the
 * age in days is `now - timestamp` (epoch milliseconds, as `readInteractions` gives them).
 * `now` defaults to the latest timestamp, so that the same file always gives the same
 * weights. Interactions later than `now` weigh 1.
 */
export function recencyWeights(timestamps: Float64Array, halfLifeDays: number, now?: number): Float32Array {
  if (!(halfLifeDays > 0) || !Number.isFinite(halfLifeDays)) {
    throw new RangeError(`halfLifeDays must be a finite number > 0, got ${halfLifeDays}`);
  }
  let ref = now ?? -Infinity;
  if (now === undefined) {
    for (let i = 0; i < timestamps.length; i++) if (timestamps[i] > ref) ref = timestamps[i];
  } else if (!Number.isFinite(now)) {
    throw new RangeError(`now must be a finite timestamp (epoch milliseconds), got ${now}`);
  }
  const out = new Float32Array(timestamps.length);
  const perMs = 1 / (halfLifeDays * DAY_MS);
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i];
    if (!Number.isFinite(t)) {
      throw new RangeError(`timestamps[${i}] is ${t}; every interaction needs a timestamp for recency weights`);
    }
    const age = Math.max(0, ref - t);
    out[i] = 0.5 ** (age * perMs);
  }
  return out;
}
