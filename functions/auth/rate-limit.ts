/**
 * Token buckets kept in the isolate's memory: the rate limits' local form (functions/auth/limits.ts
 * uses Cloudflare's Rate Limiting binding where it is bound, and these where it is not, or for
 * limits the binding cannot express). Each isolate counts on its own: Cloudflare runs many
 * isolates, so such a limit is per isolate, not global. It bounds what one client can make one
 * isolate do, which is what protects the scoring CPU.
 */

export interface Budget {
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
  take(id: string, limit: Budget, nowMs: number): TakeResult {
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

  /** Whether `id`'s bucket holds a whole token at `nowMs`, without taking it. */
  has(id: string, limit: Budget, nowMs: number): boolean {
    const b = this.buckets.get(id);
    if (b === undefined) return limit.burst >= 1;
    return Math.min(limit.burst, b.tokens + (Math.max(0, nowMs - b.at) / 1000) * limit.rps) >= 1;
  }

  /** Seconds until `id`'s bucket holds a whole token (0 when it does). */
  wait(id: string, limit: Budget, nowMs: number): number {
    const b = this.buckets.get(id);
    if (b === undefined) return 0;
    const tokens = Math.min(limit.burst, b.tokens + (Math.max(0, nowMs - b.at) / 1000) * limit.rps);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / limit.rps));
  }

  /** Forgets every bucket (tests). */
  clear(): void {
    this.buckets.clear();
  }
}
