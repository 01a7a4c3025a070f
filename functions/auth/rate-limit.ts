/**
 * Per-key rate limiting with token buckets kept in the isolate's memory. Each isolate
 * counts on its own: Cloudflare runs many isolates, so the limit is per isolate, not
 * global (a global limit needs a Durable Object or the Rate Limiting binding). It bounds
 * what one client can make one isolate do, which is what protects the scoring CPU.
 */

export interface RateLimit {
  /** Sustained requests per second. */
  rps: number;
  /** Bucket capacity: requests allowed at once after a quiet period. */
  burst: number;
}

interface TakeResult {
  ok: boolean;
  /** Whole seconds until a token is available (0 when ok). */
  retryAfter: number;
  /** Tokens left after this request. */
  remaining: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key id, the least recently used dropped beyond `maxKeys`. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxKeys = 10_000) {}

  /** Takes one token from `id`'s bucket at time `nowMs`. */
  take(id: string, limit: RateLimit, nowMs: number): TakeResult {
    let b = this.buckets.get(id);
    if (b === undefined) {
      b = { tokens: limit.burst, at: nowMs };
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    } else {
      this.buckets.delete(id); // re-inserted below: Map order is the LRU order
      const elapsed = Math.max(0, nowMs - b.at) / 1000;
      b.tokens = Math.min(limit.burst, b.tokens + elapsed * limit.rps);
      b.at = nowMs;
    }
    this.buckets.set(id, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfter: 0, remaining: Math.floor(b.tokens) };
    }
    return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / limit.rps)), remaining: 0 };
  }

  /** Forgets every bucket (tests). */
  clear(): void {
    this.buckets.clear();
  }
}
